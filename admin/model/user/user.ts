// oc_user and oc_user_group: who may sign in, and what their group may access and modify.
import bcrypt from 'bcryptjs';
import type { Pool } from '../../../system/library/db.ts';
import { quoteIdentifier } from '../../../system/library/db.ts';
import type { AdminUser } from '../../../system/engine/context.ts';

interface UserRow {
  user_id: number;
  username: string;
  password: string;
  firstname: string;
  lastname: string;
  permission: string | null;
}

export class UserModel {
  private readonly userTable: string;
  private readonly groupTable: string;

  constructor(
    private readonly pool: Pool,
    prefix: string,
  ) {
    this.userTable = quoteIdentifier(prefix + 'user');
    this.groupTable = quoteIdentifier(prefix + 'user_group');
  }

  private async find(where: string, value: string | number): Promise<UserRow | null> {
    const [rows] = await this.pool.query(
      `SELECT u.user_id, u.username, u.password, u.firstname, u.lastname, g.permission
         FROM ${this.userTable} u LEFT JOIN ${this.groupTable} g ON g.user_group_id = u.user_group_id
        WHERE ${where} = ? AND u.status = 1`,
      [value],
    );
    return (rows as UserRow[])[0] ?? null;
  }

  /** Active users only; PHP's `$2y$` bcrypt hashes are the same algorithm bcryptjs checks as `$2b$`. */
  async authenticate(username: string, password: string): Promise<AdminUser | null> {
    if (!username || !password) return null;
    const row = await this.find('u.username', username);
    if (!row || !/^\$2[aby]\$/.test(row.password)) return null;
    const matches = await bcrypt.compare(password, row.password.replace(/^\$2y\$/, '$2b$'));
    return matches ? toAdminUser(row) : null;
  }

  async byId(userId: number): Promise<AdminUser | null> {
    const row = await this.find('u.user_id', userId);
    return row ? toAdminUser(row) : null;
  }
}

function toAdminUser(row: UserRow): AdminUser {
  let permission: AdminUser['permission'] = { access: [], modify: [] };
  try {
    const parsed = JSON.parse(row.permission ?? '');
    permission = {
      access: Array.isArray(parsed?.access) ? parsed.access.map(String) : [],
      modify: Array.isArray(parsed?.modify) ? parsed.modify.map(String) : [],
    };
  } catch {
    // An empty or broken permission field grants nothing.
  }
  return { userId: row.user_id, username: row.username, firstname: row.firstname, lastname: row.lastname, permission };
}

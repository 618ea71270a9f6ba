// oc_user and oc_user_group: who may sign in, and what their group may access and modify; failed sign-ins per username.
import bcrypt from 'bcryptjs';
import type { Pool } from '../../../system/library/db.ts';
import { quoteIdentifier } from '../../../system/library/db.ts';
import type { AdminUser } from '../../../system/engine/context.ts';
import { RESERVED_TABLE_PREFIX } from '../tool/backup.ts';

/** OpenCart's default for `config_login_attempts` (admin/controller/setting/setting.php). */
export const DEFAULT_LOGIN_ATTEMPTS = 5;

/** How long a failed sign-in counts, as OpenCart's catalog login ("try again in 1 hour"). */
const ATTEMPT_WINDOW = 'INTERVAL 1 HOUR';

/**
 * OpenCart 4.0.2.3 has no table of failed admin sign-ins: `oc_user_login` logs successful ones (user_id NOT NULL, shown
 * as the user's login history) and `oc_customer_login` is the shop's customers'. So the module keeps its own, under its
 * reserved prefix (never listed, backed up or restored), one per table prefix, since each prefix has its own users.
 */
export function loginAttemptTable(prefix: string): string {
  return `${RESERVED_TABLE_PREFIX}l_${prefix}user`;
}

const ER_NO_SUCH_TABLE = 1146;

/** A bcrypt hash (cost 10, as PHP's password_hash) of no one's password, checked when the username is unknown. */
const UNKNOWN_USER_HASH = '$2b$10$PJHcjRU/v4Ze3EiDoPmd5.jC7SUOOOTvpfTpkqmiqtWVzGTwfP/lm';

/** The column holds 255 characters; a longer name is no user's (OpenCart's are 20) and still counts under its start. */
function attemptKey(username: string): string {
  return Array.from(username).slice(0, 255).join('');
}

function isMissingTable(error: unknown): boolean {
  return Number((error as { errno?: number } | null)?.errno) === ER_NO_SUCH_TABLE;
}

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
  private readonly settingTable: string;
  private readonly attemptTable: string;

  constructor(
    private readonly pool: Pool,
    prefix: string,
  ) {
    this.userTable = quoteIdentifier(prefix + 'user');
    this.groupTable = quoteIdentifier(prefix + 'user_group');
    this.settingTable = quoteIdentifier(prefix + 'setting');
    this.attemptTable = quoteIdentifier(loginAttemptTable(prefix));
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

  /**
   * Active users only; PHP's `$2y$` bcrypt hashes are the same algorithm bcryptjs checks as `$2b$`. A name that is no
   * user's costs a bcrypt check too, so the answer's time does not tell which usernames exist.
   */
  async authenticate(username: string, password: string): Promise<AdminUser | null> {
    if (!username || !password) return null;
    const row = await this.find('u.username', username);
    const usable = row !== null && /^\$2[aby]\$/.test(row.password);
    const matches = await bcrypt.compare(password, usable ? row.password.replace(/^\$2y\$/, '$2b$') : UNKNOWN_USER_HASH);
    return usable && matches ? toAdminUser(row) : null;
  }

  /** The shop's `config_login_attempts` (store 0), read on each sign-in so a change in OpenCart's settings applies at once. */
  async loginAttemptLimit(): Promise<number> {
    try {
      const [rows] = await this.pool.query(
        `SELECT value FROM ${this.settingTable} WHERE store_id = 0 AND code = 'config' AND \`key\` = 'config_login_attempts'`,
      );
      const limit = Number((rows as Array<{ value: string }>)[0]?.value);
      // OpenCart's settings form refuses less than 1; anything else it could not have saved means the default.
      return Number.isInteger(limit) && limit >= 1 ? limit : DEFAULT_LOGIN_ATTEMPTS;
    } catch (error) {
      if (isMissingTable(error)) return DEFAULT_LOGIN_ATTEMPTS;
      throw error;
    }
  }

  /**
   * Records a sign-in attempt before its password is checked and says whether it may be checked: it may when at most
   * `limit` attempts for this username in the last hour came before it or are it. Recording first is what makes the
   * limit hold for attempts sent all at once (a count read before a slow password check lets every one of them in).
   * The column's collation matches oc_user's, so case does not split the count. Returns the attempt's id (to forget it
   * when the password was right) or null when refused; a refused attempt is not kept, so a flood adds no rows.
   */
  async beginLoginAttempt(username: string, ip: string, limit: number): Promise<number | null> {
    const key = attemptKey(username);
    const id = await this.addLoginAttempt(key, ip);
    const [rows] = await this.pool.query(
      `SELECT COUNT(*) AS total FROM ${this.attemptTable} WHERE username = ? AND date_added > NOW() - ${ATTEMPT_WINDOW} AND login_attempt_id <= ?`,
      [key, id],
    );
    if (Number((rows as Array<{ total: number | string }>)[0].total) <= limit) return id;
    await this.pool.query(`DELETE FROM ${this.attemptTable} WHERE login_attempt_id = ?`, [id]);
    return null;
  }

  private async addLoginAttempt(key: string, ip: string): Promise<number> {
    const insert = async (): Promise<number> => {
      const [result] = await this.pool.query(`INSERT INTO ${this.attemptTable} (username, ip, date_added) VALUES (?, ?, NOW())`, [key, ip.slice(0, 40)]);
      return Number((result as { insertId: number }).insertId);
    };
    let id: number;
    try {
      id = await insert();
    } catch (error) {
      if (!isMissingTable(error)) throw error;
      await this.pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.attemptTable} (
           login_attempt_id int(11) NOT NULL AUTO_INCREMENT,
           username varchar(255) NOT NULL,
           ip varchar(40) NOT NULL,
           date_added datetime NOT NULL,
           PRIMARY KEY (login_attempt_id),
           KEY username (username, date_added)
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
      );
      id = await insert();
    }
    // Rows past the window count for nothing; dropping them here keeps the table as small as the last hour's failures.
    await this.pool.query(`DELETE FROM ${this.attemptTable} WHERE date_added <= NOW() - ${ATTEMPT_WINDOW}`);
    return id;
  }

  /** After a successful sign-in, as OpenCart's deleteLoginAttempts. */
  async deleteLoginAttempts(username: string): Promise<void> {
    try {
      await this.pool.query(`DELETE FROM ${this.attemptTable} WHERE username = ?`, [attemptKey(username)]);
    } catch (error) {
      if (!isMissingTable(error)) throw error;
    }
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

// OpenCart's sessions: the OCSESSID cookie names JSON data kept by the file engine or the db engine.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Pool } from './db.ts';
import { quoteIdentifier } from './db.ts';

export type SessionData = Record<string, unknown>;

export interface SessionStore {
  read(id: string): Promise<SessionData>;
  write(id: string, data: SessionData): Promise<void>;
  destroy(id: string): Promise<void>;
}

export const SESSION_COOKIE = 'OCSESSID';

// OpenCart accepts exactly these ids (system/library/session.php); anything else starts a new session.
const SESSION_ID_PATTERN = /^[a-zA-Z0-9,-]{22,52}$/;

export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID_PATTERN.test(id);
}

/** A random token of OpenCart's alphabet, as its oc_token() makes them. */
export function createToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let token = '';
  // 62 does not divide 256; the bias of a modulo here is below 2^-2 per symbol and tokens stay unguessable at 26+ symbols.
  for (const byte of bytes) token += alphabet[byte % alphabet.length];
  return token;
}

export function createSessionId(): string {
  return createToken(26);
}

function parseSessionJson(text: string): SessionData {
  if (!text) return {};
  try {
    const data: unknown = JSON.parse(text);
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as SessionData) : {};
  } catch {
    return {};
  }
}

/** `DIR_STORAGE/session/sess_<id>` holding JSON, as OpenCart 4's file engine writes it. */
export class FileSessionStore implements SessionStore {
  constructor(
    private readonly directory: string,
    private readonly expireSeconds: number,
  ) {}

  private pathOf(id: string): string {
    return path.join(this.directory, 'sess_' + path.basename(id));
  }

  async read(id: string): Promise<SessionData> {
    try {
      const file = this.pathOf(id);
      const stat = await fs.stat(file);
      if (Date.now() - stat.mtimeMs > this.expireSeconds * 1000) return {};
      return parseSessionJson(await fs.readFile(file, 'utf8'));
    } catch {
      return {};
    }
  }

  async write(id: string, data: SessionData): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
    // Write then rename, so a concurrent reader never sees half a session.
    const file = this.pathOf(id);
    const temporary = `${file}.${process.pid}.${createToken(6)}.tmp`;
    await fs.writeFile(temporary, JSON.stringify(data), { mode: 0o600 });
    await fs.rename(temporary, file);
  }

  async destroy(id: string): Promise<void> {
    await fs.rm(this.pathOf(id), { force: true });
  }
}

/** `<prefix>session` (session_id, data, expire), as OpenCart 4's db engine keeps it. */
export class DbSessionStore implements SessionStore {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    prefix: string,
    private readonly expireSeconds: number,
  ) {
    this.table = quoteIdentifier(prefix + 'session');
  }

  async read(id: string): Promise<SessionData> {
    const [rows] = await this.pool.query(`SELECT data FROM ${this.table} WHERE session_id = ? AND expire > NOW()`, [id]);
    const list = rows as Array<{ data: string }>;
    return list.length ? parseSessionJson(list[0].data) : {};
  }

  async write(id: string, data: SessionData): Promise<void> {
    await this.pool.query(
      `REPLACE INTO ${this.table} (session_id, data, expire) VALUES (?, ?, NOW() + INTERVAL ? SECOND)`,
      [id, JSON.stringify(data), this.expireSeconds],
    );
  }

  async destroy(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.table} WHERE session_id = ?`, [id]);
  }
}

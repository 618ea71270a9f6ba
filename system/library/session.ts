// OpenCart's sessions: the OCSESSID cookie names JSON data kept by the file engine or the db engine.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Pool } from './db.ts';
import { quoteIdentifier } from './db.ts';

export type SessionData = Record<string, unknown>;

export interface SessionStore {
  /** The longest id the store can keep (OpenCart's oc_session.session_id is varchar(32)); a longer cookie is a new session. */
  readonly maxIdLength: number;
  read(id: string): Promise<SessionData>;
  write(id: string, data: SessionData): Promise<void>;
  destroy(id: string): Promise<void>;
}

/** OpenCart's default session cookie (`session_name` in system/config/default.php); HostConfig.sessionName may differ. */
export const SESSION_COOKIE = 'OCSESSID';

// OpenCart accepts exactly these ids (system/library/session.php); anything else starts a new session.
const SESSION_ID_PATTERN = /^[a-zA-Z0-9,-]{22,52}$/;

/** One cookie's value from a Cookie header; undefined when absent or not decodable. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * What to write back when a request changed `before` into `after` while others (OpenCart's PHP writes the whole session
 * at the end of each of its requests) may have changed the stored session into `current`: `current` with only the keys
 * this request set, changed or removed (compared as JSON).
 */
export function mergeSessionChanges(current: SessionData, before: SessionData, after: SessionData): SessionData {
  const result = { ...current };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!(key in after)) delete result[key];
    else if (!(key in before) || JSON.stringify(before[key]) !== JSON.stringify(after[key])) result[key] = after[key];
  }
  return result;
}

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
  readonly maxIdLength = 52;

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
  readonly maxIdLength = 32;
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    prefix: string,
    private readonly expireSeconds: number,
  ) {
    this.table = quoteIdentifier(prefix + 'session');
  }

  async read(id: string): Promise<SessionData> {
    // OpenCart writes `expire` with gmdate(): UTC, whatever the server's time zone.
    const [rows] = await this.pool.query(`SELECT data FROM ${this.table} WHERE session_id = ? AND expire > UTC_TIMESTAMP()`, [id]);
    const list = rows as Array<{ data: string }>;
    return list.length ? parseSessionJson(list[0].data) : {};
  }

  async write(id: string, data: SessionData): Promise<void> {
    // Never earlier than it was: OpenCart may keep sessions longer (its config_session_expire) than this module would.
    await this.pool.query(
      `INSERT INTO ${this.table} (session_id, data, expire) VALUES (?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)
         ON DUPLICATE KEY UPDATE data = VALUES(data), expire = GREATEST(expire, VALUES(expire))`,
      [id, JSON.stringify(data), this.expireSeconds],
    );
  }

  async destroy(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.table} WHERE session_id = ?`, [id]);
  }
}

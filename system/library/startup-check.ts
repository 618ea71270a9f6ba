// `npm start`'s checks before it serves: the database can be reached and opened, the port can be had. Each failure is
// one line for the operator (English, like the rest of the server's console) that says what is wrong and what to do.
import mysql from 'mysql2/promise';
import type { HostConfig } from './config.ts';

/** Where a setting came from, so the advice names the thing the operator has to change. */
export interface SettingSources {
  /** the OPENCART_CONFIG file, when one is used */
  openCartConfig?: string;
  /** environment variables that are set */
  env: Record<string, string | undefined>;
}

/** A failure `npm start` reports as its one line; anything else is unexpected and keeps its own message. */
export class StartupError extends Error {}

/** How to change DB_* settings: the variables when one is set or there is no file, else the file's defines. */
function advise(names: string[], sources: SettingSources): string {
  const list = names.join(' and ');
  if (names.some((name) => sources.env[name] !== undefined) || !sources.openCartConfig) return `set ${list}`;
  return `correct ${list} in ${sources.openCartConfig} (or set ${names.length > 1 ? 'them' : 'it'} in the environment)`;
}

/**
 * Opens one connection as the app will. `requireDatabase` false (the demo, which creates its database): the server
 * only. A connection that cannot be made in 5 s is reported instead of waiting for the driver's longer timeout.
 */
export async function checkDatabase(config: HostConfig, sources: SettingSources, requireDatabase = true): Promise<void> {
  const { hostname, port, username, password, database } = config.db;
  const where = `${hostname}:${port}`;
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({
      host: hostname,
      port,
      user: username,
      password,
      database: requireDatabase ? database : undefined,
      connectTimeout: 5000,
    });
  } catch (error) {
    const e = error as { code?: string; errno?: number; message?: string };
    switch (e.code) {
      case 'ER_BAD_DB_ERROR':
        throw new StartupError(`Database "${database}" does not exist on ${where}: create it or ${advise(['DB_DATABASE'], sources)}`);
      case 'ER_DBACCESS_DENIED_ERROR':
        // MariaDB answers this, not "unknown database", when the user has no rights on a database that may not exist.
        throw new StartupError(
          `User "${username}" may not open database "${database}" on ${where} (it is missing or not granted): create it and grant access (README, "Database account") or ${advise(['DB_DATABASE'], sources)}`,
        );
      case 'ER_ACCESS_DENIED_ERROR':
      case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
        throw new StartupError(`MariaDB on ${where} refused user "${username}" with this password: ${advise(['DB_USERNAME', 'DB_PASSWORD'], sources)}`);
      case 'ECONNREFUSED':
      case 'ETIMEDOUT':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH': {
        const reasons: Record<string, string> = { ECONNREFUSED: 'connection refused', ETIMEDOUT: 'no answer within 5 s', ENOTFOUND: 'unknown host', EAI_AGAIN: 'unknown host' };
        const why = reasons[e.code] ?? 'unreachable';
        throw new StartupError(`Cannot reach MariaDB on ${where} (${why}): start it or ${advise(['DB_HOSTNAME', 'DB_PORT'], sources)}`);
      }
      default:
        throw new StartupError(`Cannot open database "${database}" on ${where}: ${e.message ?? String(error)}`);
    }
  } finally {
    await connection?.end().catch(() => undefined);
  }
}

/** The line for a listen error; null for one that is not about the port. */
export function describeListenError(error: unknown, port: number): string | null {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'EADDRINUSE') return `Port ${port} is in use: stop the other server or set PORT`;
  if (code === 'EACCES') return `Port ${port} needs privileges this process does not have: set PORT to 1024 or above`;
  return null;
}

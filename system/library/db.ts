// The shop database: one mysql2 pool for short queries, and dedicated connections for long jobs.
import mysql from 'mysql2/promise';
import type { Pool, Connection, ConnectionOptions, PoolConnection } from 'mysql2/promise';
import type { HostConfig } from './config.ts';
import { UserError } from '../engine/errors.ts';

export type { Pool, Connection };

/** Quotes an identifier for MariaDB/MySQL: backticks, with backticks inside doubled. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

function connectionOptions(config: HostConfig): ConnectionOptions {
  return {
    host: config.db.hostname,
    port: config.db.port,
    user: config.db.username,
    password: config.db.password,
    database: config.db.database,
    charset: 'utf8mb4_general_ci',
    // TIMESTAMP values travel in UTC so a backup does not depend on any time zone setting.
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

export function createPool(config: HostConfig): Pool {
  return mysql.createPool({ ...connectionOptions(config), connectionLimit: 10, waitForConnections: true });
}

/** A connection of its own for a job that holds a transaction across requests. */
export async function openJobConnection(config: HostConfig, extra: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const connection = await mysql.createConnection({ ...connectionOptions(config), ...extra });
  await connection.query("SET SESSION time_zone = '+00:00'");
  return connection;
}

/**
 * Takes the database's job lock on this connection: one backup or restore at a time per database, across server
 * processes too. MariaDB releases it when the connection ends, so a crashed process never leaves it behind.
 */
export async function holdDatabaseLock(connection: Connection, database: string, waitSeconds = 10): Promise<void> {
  // A short wait: housekeeping holds the lock for a moment while it drops leftovers, and that is no reason to refuse.
  if (!(await takeJobLock(connection, database, waitSeconds))) throw new UserError('error_busy_other');
}

async function takeJobLock(connection: Connection | PoolConnection, database: string, waitSeconds: number): Promise<boolean> {
  const [rows] = await connection.query('SELECT GET_LOCK(?, ?) AS locked', [`opencart_backup_restore.${database}`, waitSeconds]);
  return Number((rows as Array<{ locked: number | string | null }>)[0].locked) === 1;
}

/**
 * Runs `work` under the database's job lock, taken without waiting: only while no backup or restore runs on the
 * database in any process, so what `work` removes is no running job's. Returns false (and runs nothing) otherwise.
 */
export async function whileDatabaseIdle(pool: Pool, database: string, work: (connection: PoolConnection) => Promise<void>): Promise<boolean> {
  const connection = await pool.getConnection();
  try {
    if (!(await takeJobLock(connection, database, 0))) return false;
    try {
      await work(connection);
    } finally {
      await connection.query('DO RELEASE_ALL_LOCKS()');
    }
    return true;
  } finally {
    connection.release();
  }
}

// Removes what interrupted jobs leave behind: old `.part` files, orphaned shadow tables, and undo tables past their time.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HostConfig } from '../config.ts';
import type { Pool, Connection } from '../db.ts';
import type { PoolConnection } from 'mysql2/promise';
import { quoteIdentifier, whileDatabaseIdle } from '../db.ts';
import type { JobRegistry } from './jobs.ts';
import { PART_SUFFIX } from './filename.ts';
import { RESERVED_TABLE_PREFIX } from '../../../admin/model/tool/backup.ts';
import { STATE_TABLE, recoverUndo, type UndoRecord } from './restore-job.ts';
import { readJsonFile } from './json-file.ts';

export const UNDO_FILE = '.restore-undo.json';
/** The running restore's RestoreJobState, so a restarted process can continue it. */
export const RESTORE_STATE_FILE = '.restore-job.json';

const escapedPrefix = RESERVED_TABLE_PREFIX.replace(/_/g, '\\_');

export async function cleanStaleFiles(config: HostConfig, pool: Pool, jobs: JobRegistry): Promise<void> {
  const backupDir = path.join(config.dirStorage, 'backup');
  const names = await fs.readdir(backupDir).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    if (!name.endsWith(PART_SUFFIX)) continue;
    const file = path.join(backupDir, name);
    const stat = await fs.stat(file).catch(() => null);
    // A running job writes or is touched more often than this; a file this old belongs to no one.
    if (stat && now - stat.mtimeMs > config.backup.jobTimeoutMs) await fs.rm(file, { force: true });
  }

  if (jobs.running('restore')) return;
  // Tables are only dropped under the database's job lock: another server process may be in the middle of a restore
  // (its shadow tables, state row and kept tables are its own), and it holds the lock as long as it works.
  await whileDatabaseIdle(pool, config.db.database, (connection) => dropLeftovers(connection, backupDir, now, config.backup.jobTimeoutMs));
}

/**
 * Drops every shadow table (`_bkr_n_…`) and the restore state table. Only under the database's job lock: whoever holds
 * it is the one restore or undo that may have shadows in use, so with the lock in hand every shadow is a leftover.
 */
export async function dropRestoreLeftovers(connection: Connection | PoolConnection, backupDir: string): Promise<void> {
  // An undo that stopped half way keeps the shop's tables and triggers under shadow names: put back, never dropped.
  await recoverUndo(connection, path.join(backupDir, UNDO_FILE));
  await connection.query(`DROP TABLE IF EXISTS ${quoteIdentifier(STATE_TABLE)}`);
  const [rows] = await connection.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ?',
    [`${escapedPrefix}n\\_%`],
  );
  const shadows = (rows as Array<{ name: string }>).map((row) => quoteIdentifier(row.name));
  if (shadows.length) await connection.query(`DROP TABLE IF EXISTS ${shadows.join(', ')}`);
}

/**
 * A restore of a process with another storage folder (its state file is not here) still writes its state row at every
 * request: a row written within the job timeout belongs to a restore that may go on, and its shadows are not leftovers.
 */
async function restoreRecentlyActive(connection: PoolConnection, jobTimeoutMs: number): Promise<boolean> {
  try {
    const [rows] = await connection.query(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(STATE_TABLE)} WHERE updated_at > NOW() - INTERVAL ? SECOND`, [Math.ceil(jobTimeoutMs / 1000)]);
    return Number((rows as Array<{ n: number | string }>)[0].n) > 0;
  } catch {
    // No state table (no restore), or one made before it had updated_at: nothing says a restore is going on.
    return false;
  }
}

async function dropLeftovers(connection: PoolConnection, backupDir: string, now: number, jobTimeoutMs: number): Promise<void> {
  // An undo that stopped half way holds the shop's tables and triggers under reserved names: put back first.
  await recoverUndo(connection, path.join(backupDir, UNDO_FILE));
  // A restore interrupted by a restart keeps its shadow tables while it can still be resumed.
  const stateFile = path.join(backupDir, RESTORE_STATE_FILE);
  const stateStat = await fs.stat(stateFile).catch(() => null);
  const resumable = (stateStat !== null && now - stateStat.mtimeMs <= jobTimeoutMs) || (await restoreRecentlyActive(connection, jobTimeoutMs));
  if (!resumable) {
    await fs.rm(stateFile, { force: true });
    await dropRestoreLeftovers(connection, backupDir);
  }

  // Kept tables: only those of the current undo record, and only until its deadline.
  const undoFile = path.join(backupDir, UNDO_FILE);
  let record = await readJsonFile<UndoRecord>(undoFile);
  if (record && Date.parse(record.until) < now) {
    await fs.rm(undoFile, { force: true });
    record = null;
  }
  const keep = new Set((record?.tables ?? []).map((t) => t.kept).filter((name): name is string => name !== null));
  const [keptRows] = await connection.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND (TABLE_NAME LIKE ? OR TABLE_NAME LIKE ?)',
    [`${escapedPrefix}o\\_%`, `${escapedPrefix}p\\_%`],
  );
  const stale = (keptRows as Array<{ name: string }>).map((row) => row.name).filter((name) => !keep.has(name));
  if (stale.length) await connection.query(`DROP TABLE IF EXISTS ${stale.map(quoteIdentifier).join(', ')}`);
}

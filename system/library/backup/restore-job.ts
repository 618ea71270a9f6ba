// One restore as a resumable job: check the whole file first, load it into shadow tables, then swap them in with one RENAME TABLE.
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { readJsonFile, writeJsonFile } from './json-file.ts';
import mysql from 'mysql2/promise';
import type { Connection } from '../db.ts';
import { quoteIdentifier, holdDatabaseLock } from '../db.ts';
import { UserError } from '../../engine/errors.ts';
import { readStatements, openDumpStream, DumpParseError, TruncatedDumpError, type SqlStatement, type ReaderState } from './reader.ts';
import { checkStatement, classifyCheckedStatement, renameStatementTables, type GuardOptions } from './guard.ts';
import { HEADER_MARK, FOOTER_MARK, isConnectionLost } from './backup-job.ts';
import { RESERVED_TABLE_PREFIX } from '../../../admin/model/tool/backup.ts';

/** Statements are sent in multi-statement batches of about this size: one round trip per batch, not per row. */
const BATCH_BYTES = 1024 * 1024;

export interface TableInFile {
  name: string;
  statements: number;
  bytes: number;
}

export interface RestoreProgress {
  phase: 'validate' | 'load' | 'done';
  bytesDone: number;
  bytesTotal: number;
  skippedProtected: number;
  /** Set when phase is 'done'. */
  undo?: UndoRecord;
}

export interface UndoRecord {
  filename: string;
  /** Live name → the reserved name its old data is kept under; null when the restore created the table. */
  tables: Array<{ live: string; kept: string | null }>;
  restoredAt: string;
  until: string;
}

export interface RestoreSettings {
  connection: mysql.ConnectionOptions;
  guard: GuardOptions;
  undoKeepMs: number;
  /** Where the last restore's UndoRecord is kept (a dotfile beside the backups, never listed). */
  undoFile: string;
}

/**
 * Shadow tables (n) and tables kept for undo get reserved names; kept tables alternate between two generations (o, p) so
 * a restore never waits for the previous one's kept tables to be dropped. A long name is shortened with a hash, since
 * MariaDB names stop at 64 characters.
 */
export function reservedName(kind: 'n' | 'o' | 'p', live: string): string {
  const name = `${RESERVED_TABLE_PREFIX}${kind}_${live}`;
  if (name.length <= 64) return name;
  return `${RESERVED_TABLE_PREFIX}${kind}_${createHash('sha1').update(live).digest('hex').slice(0, 24)}`;
}

/**
 * Progress of a gzip file goes by the bytes it holds: gzip's trailer gives their number modulo 4 GiB (ISIZE, RFC 1952),
 * taken as the smallest such number at least as large as the compressed file.
 */
export function uncompressedLength(path: string, size: number): number {
  if (size < 18) return size;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    if (head[0] !== 0x1f || head[1] !== 0x8b) return size;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    let length = tail.readUInt32LE(0);
    while (length < size) length += 2 ** 32;
    return length;
  } finally {
    closeSync(fd);
  }
}

/** True when the file starts with this tool's header, so its completion footer is required. */
export function isOwnBackup(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_MARK.length);
    readSync(fd, head, 0, head.length, 0);
    return head.toString('utf8') === HEADER_MARK;
  } finally {
    closeSync(fd);
  }
}

/** Our backups end with the completion footer; a file cut short (an interrupted copy, a full disk) does not. */
export function hasCompletionFooter(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailSize = Math.min(size, 1024 * 1024);
    const tail = Buffer.alloc(tailSize);
    readSync(fd, tail, 0, tailSize, size - tailSize);
    const text = tail.toString('utf8');
    return text.includes('\n' + FOOTER_MARK) && /-- End of backup\n?$/.test(text);
  } finally {
    closeSync(fd);
  }
}

/** What survives a restart: written beside the backups at the end of every request. */
export interface RestoreJobState {
  id: string;
  owner: string;
  filename: string;
  size: number;
  mtimeMs: number;
  startedAt: string;
  chosen: string[] | null;
  phase: 'validate' | 'load';
  /** Validation's reader position (the load position lives in the database, committed with the rows). */
  position: ReaderState;
  tables: TableInFile[];
  step: number;
  lastReply: Record<string, unknown> | null;
}

/** The load position, the dump's SETs and the shadow map, committed in the same transaction as the rows they describe. */
interface LoadState {
  position: ReaderState;
  sets: string[];
  shadows: Array<[string, string]>;
  skippedProtected: number;
}

/** One row per restore job, in the shop database, so a restart resumes exactly after the last committed batch. */
export const STATE_TABLE = `${RESERVED_TABLE_PREFIX}state`;
const START: ReaderState = { offset: 0, line: 1, delimiter: ';' };
const KEYS_SWITCH = /^(?:\/\*!\d*\s*)?ALTER\s+TABLE\s+(?:`(?:[^`]|``)+`|\S+)\s+(?:DISABLE|ENABLE)\s+KEYS\s*(?:\*\/)?\s*$/is;
const CREATE_IF_NOT_EXISTS = /^(?:\/\*.*?\*\/\s*)*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\b/is;

interface QueuedStatement {
  sql: Buffer;
  line: number;
  /** Reader position after this statement. */
  end: ReaderState;
}

/**
 * Phase validate reads the whole file once and refuses it on the first forbidden statement, before anything is written.
 * Phase load executes it into shadow tables in transactions; the last request swaps them in and keeps the old tables for undo.
 */
export class RestoreJob {
  readonly tables = new Map<string, TableInFile>();
  private phase: 'validate' | 'load' | 'done' = 'validate';
  private statements: AsyncGenerator<SqlStatement, ReaderState> | null = null;
  /** Where the reader stands: after the last statement handed out. */
  private position: ReaderState = { ...START };
  private skippedProtected = 0;
  private connection: Connection | null = null;
  /** Live table → shadow table, for every table this restore has written so far. */
  private readonly shadows = new Map<string, string>();
  /** The dump's session SETs met so far, replayed on a new connection after a restart. */
  private readonly sets: string[] = [];
  private liveTables = new Set<string>();
  /**
   * What this job knows of each shadow: absent (not created yet, or dropped), empty (created, no row yet), or filled.
   * Unknown (after a restart) means: execute everything as written.
   */
  private readonly shadowState = new Map<string, 'absent' | 'empty' | 'filled'>();
  private batch: QueuedStatement[] = [];
  private inflight: Promise<unknown> | null = null;
  private batchBytes = 0;
  /** The server's max_allowed_packet: no query may be longer. */
  private maxPacket = 16 * 1024 * 1024;
  private chosen: Set<string> | null = null;
  /** Set when the restore has swapped its tables in. */
  undo: UndoRecord | null = null;

  /** Bytes the reader will go through: the file's size, or for gzip the size of what it holds. */
  private readonly bytesTotal: number;

  constructor(
    readonly id: string,
    readonly path: string,
    readonly filename: string,
    /** The file's size on disk (with its time, it tells a resumed job that the file is the one it checked). */
    readonly size: number,
    private readonly settings: RestoreSettings,
  ) {
    this.bytesTotal = uncompressedLength(path, size);
  }

  /** Tables the caller wants; null restores every table of the file. Checked against the file once validation has listed them. */
  choose(tables: string[] | null): void {
    this.chosen = tables ? new Set(tables) : null;
  }

  /** The part of the job a restarted process needs, besides what the database holds. */
  snapshot(owner: string, startedAt: Date, step: number, lastReply: Record<string, unknown> | null, mtimeMs: number): RestoreJobState {
    return {
      id: this.id,
      owner,
      filename: this.filename,
      size: this.size,
      mtimeMs,
      startedAt: startedAt.toISOString(),
      chosen: this.chosen ? [...this.chosen] : null,
      phase: this.phase === 'validate' ? 'validate' : 'load',
      position: this.phase === 'validate' ? { ...this.position } : { ...START },
      tables: [...this.tables.values()],
      step,
      lastReply,
    };
  }

  /** Rebuilds a job from its state file after a restart; the load position comes from the database. */
  static resume(path: string, state: RestoreJobState, settings: RestoreSettings): RestoreJob {
    const job = new RestoreJob(state.id, path, state.filename, state.size, settings);
    job.choose(state.chosen);
    job.phase = state.phase;
    for (const table of state.tables) job.tables.set(table.name, table);
    if (state.phase === 'validate') job.position = { ...state.position };
    return job;
  }

  async advance(deadline: number): Promise<RestoreProgress> {
    if (this.phase === 'validate') await this.validate(deadline);
    if (this.phase === 'load' && Date.now() < deadline) await this.load(deadline);
    return { phase: this.phase, bytesDone: this.position.offset, bytesTotal: this.bytesTotal, skippedProtected: this.skippedProtected, undo: this.undo ?? undefined };
  }

  private async nextStatement(): Promise<SqlStatement | null> {
    if (!this.statements) {
      const position = this.position;
      this.statements = readStatements(await openDumpStream(this.path, position.offset), position, {
        // The command takes its whole line: what follows starts on the next one.
        onDelimiter: (change) => (this.position = { offset: change.end, line: change.line + 1, delimiter: change.delimiter }),
      });
    }
    let item: IteratorResult<SqlStatement, ReaderState>;
    try {
      item = await this.statements.next();
    } catch (error) {
      if (error instanceof TruncatedDumpError) throw new UserError('error_truncated', [error.line]);
      if (error instanceof DumpParseError) throw new UserError('error_forbidden', [error.line, 'DELIMITER']);
      throw error;
    }
    if (item.done) {
      this.statements = null;
      this.position = item.value;
      return null;
    }
    const statement = item.value;
    this.position = { offset: statement.end, line: statement.endLine, delimiter: this.position.delimiter };
    return statement;
  }

  private async validate(deadline: number): Promise<void> {
    while (true) {
      const statement = await this.nextStatement();
      if (!statement) break;
      const verdict = checkStatement(statement.sql, this.settings.guard);
      if (verdict.verdict === 'forbid') throw new UserError('error_forbidden', [statement.line, verdict.head]);
      if (verdict.verdict === 'allow' && isDataStatement(verdict.kind)) {
        for (const table of verdict.tables) {
          const entry = this.tables.get(table) ?? { name: table, statements: 0, bytes: 0 };
          entry.statements++;
          entry.bytes += statement.sql.length;
          this.tables.set(table, entry);
        }
      }
      if (Date.now() >= deadline) return;
    }
    if (this.tables.size === 0) throw new UserError('error_empty');
    if (this.chosen) {
      for (const table of this.chosen) if (!this.tables.has(table)) throw new UserError('error_table', [table]);
    }
    this.phase = 'load';
    this.position = { ...START };
  }

  private async openConnection(): Promise<Connection> {
    const connection = await mysql.createConnection({
      ...this.settings.connection,
      multipleStatements: true,
      // Statement bytes travel unchanged: the file's bytes become a latin1 string and mysql2 sends it as 'binary'.
      // Without SESSION_TRACK mysql2 does not follow the dump's SET NAMES and re-encode (double-encoding every non-ASCII byte).
      charset: 'BINARY',
      flags: ['-SESSION_TRACK'],
    });
    await connection.query(
      "SET NAMES utf8mb4; SET SESSION time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
    );
    try {
      await holdDatabaseLock(connection, String(this.settings.connection.database));
    } catch (error) {
      connection.destroy();
      throw error;
    }
    await connection.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(STATE_TABLE)} (job_id varchar(32) NOT NULL PRIMARY KEY, state longtext NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    const [packetRows] = await connection.query('SELECT @@max_allowed_packet AS size');
    this.maxPacket = Number((packetRows as Array<{ size: number | string }>)[0].size);
    const [rows] = await connection.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
    this.liveTables = new Set((rows as Array<{ name: string }>).map((row) => row.name));
    // After a restart: continue exactly after the last committed batch, with the dump's SETs of before.
    const [stateRows] = await connection.query(`SELECT state FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]);
    const saved = (stateRows as Array<{ state: string }>)[0];
    if (saved) {
      const state = JSON.parse(saved.state) as LoadState;
      this.position = state.position;
      this.skippedProtected = state.skippedProtected;
      for (const [live, shadow] of state.shadows) this.shadows.set(live, shadow);
      for (const set of state.sets) {
        this.sets.push(set);
        await connection.query(set);
      }
    }
    return connection;
  }

  private loadState(position: ReaderState): string {
    const state: LoadState = { position, sets: this.sets, shadows: [...this.shadows], skippedProtected: this.skippedProtected };
    return `REPLACE INTO ${quoteIdentifier(STATE_TABLE)} (job_id, state) VALUES ('${this.id}', ${literalJson(state)})`;
  }

  /** Loads until the deadline; a lost connection is replaced once per request, continuing from the committed position. */
  private async load(deadline: number): Promise<void> {
    try {
      await this.loadUntil(deadline);
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      await this.dropConnection();
      await this.loadUntil(deadline);
    }
  }

  /** Forgets everything not committed: the next connection starts from the position recorded with the last batch. */
  private async dropConnection(): Promise<void> {
    this.inflight = null;
    this.batch = [];
    this.batchBytes = 0;
    await this.statements?.return(undefined as unknown as ReaderState).catch(() => undefined);
    this.statements = null;
    this.connection?.destroy();
    this.connection = null;
    this.shadows.clear();
    this.shadowState.clear();
    this.sets.length = 0;
    this.position = { ...START };
  }

  private async loadUntil(deadline: number): Promise<void> {
    this.connection ??= await this.openConnection();
    while (true) {
      const statement = await this.nextStatement();
      if (!statement) break;
      await this.loadStatement(statement);
      if (this.batchBytes >= Math.min(BATCH_BYTES, this.maxPacket / 4)) await this.flush();
      if (Date.now() >= deadline) {
        await this.flush();
        await this.settle();
        return;
      }
    }
    await this.flush();
    await this.settle();
    await this.swap();
    this.phase = 'done';
  }

  private async loadStatement(statement: SqlStatement): Promise<void> {
    // Validation checked every statement of this very file (its size and time are checked again on resume).
    const verdict = classifyCheckedStatement(statement.sql, this.settings.guard);
    if (verdict.verdict === 'forbid') throw new UserError('error_forbidden', [statement.line, verdict.head]);
    if (verdict.verdict === 'skip') {
      this.skippedProtected++;
      return;
    }
    const queued: QueuedStatement = { sql: statement.sql, line: statement.line, end: { ...this.position } };
    switch (verdict.kind) {
      case 'set': {
        // The dump's own session settings (SQL_MODE, NAMES, time_zone) apply to what follows, in order.
        const text = statement.sql.toString('latin1');
        if (!this.sets.includes(text)) this.sets.push(text);
        this.queue(queued);
        return;
      }
      case 'lock_tables':
      case 'unlock_tables':
      case 'transaction':
      case 'empty':
        // This job commits its own batches; the dump's locks and transactions would only cut them up.
        return;
      default: {
        const tables = verdict.tables.filter((table) => !this.chosen || this.chosen.has(table));
        if (tables.length === 0) return;
        if (tables.length !== verdict.tables.length) throw new UserError('error_mixed_tables', [statement.line]);
        for (const table of tables) await this.ensureShadow(table, verdict.kind, statement);
        const renamed = { ...queued, sql: renameStatementTables(statement.sql, this.shadows) };
        if (verdict.kind === 'insert' || verdict.kind === 'replace') {
          for (const table of tables) this.shadowState.set(table, 'filled');
          return this.queue(renamed);
        }
        // Emptying a shadow that holds nothing, or dropping one that does not exist, is a no-op that would still cost a commit;
        // DISABLE/ENABLE KEYS only speed up MyISAM loads (InnoDB ignores them) and never change the data.
        if (verdict.kind === 'truncate' && tables.every((table) => this.shadowState.get(table) === 'empty')) return;
        if (verdict.kind === 'drop_table' && tables.every((table) => this.shadowState.get(table) === 'absent')) return;
        const ifNotExists = verdict.kind === 'create_table' && isCreateIfNotExists(statement.sql);
        if (ifNotExists && tables.every((table) => ['empty', 'filled'].includes(this.shadowState.get(table) ?? ''))) return;
        if (verdict.kind === 'alter_table' && KEYS_SWITCH.test(statement.sql.subarray(0, 400).toString('latin1'))) return;
        await this.flush();
        await this.settle();
        if (verdict.kind === 'alter_table') {
          // Not idempotent (ADD KEY twice fails): its position is committed with it, so a restart never runs it again.
          await this.execute([renamed]);
        } else {
          // CREATE, DROP and TRUNCATE can run again after a restart (a plain CREATE after dropping what it would create),
          // so they go without a position record of their own: one commit each, as the mysql client does.
          if (verdict.kind === 'create_table' && !ifNotExists) {
            for (const table of tables) if (this.shadowState.get(table) === undefined) await this.dropShadow(table, statement.line);
          }
          await this.executeAlone(renamed);
        }
        if ((verdict.kind === 'create_table' && !ifNotExists) || verdict.kind === 'truncate') for (const table of tables) this.shadowState.set(table, 'empty');
        if (ifNotExists) for (const table of tables) if (this.shadowState.get(table) === 'absent') this.shadowState.set(table, 'empty');
        if (verdict.kind === 'drop_table') for (const table of tables) this.shadowState.set(table, 'absent');
      }
    }
  }

  private queue(statement: QueuedStatement): void {
    this.batch.push(statement);
    this.batchBytes += statement.sql.length;
  }

  // The shadow starts as an empty copy of the live table, so a file of only TRUNCATE + INSERT (OpenCart's format) restores,
  // and `CREATE TABLE IF NOT EXISTS` (ours) keeps the live definition (MariaDB cannot print some of it, e.g. emoji ENUM
  // members). A file that drops or plainly creates the table builds the shadow itself, so no copy is made first.
  private async ensureShadow(table: string, kind: string, statement: SqlStatement): Promise<void> {
    if (this.shadows.has(table)) return;
    await this.flush();
    await this.settle();
    const shadow = reservedName('n', table);
    const connection = this.connection as Connection;
    const buildsItself = kind === 'drop_table' || (kind === 'create_table' && !isCreateIfNotExists(statement.sql));
    try {
      if (this.liveTables.has(shadow)) await connection.query(`DROP TABLE IF EXISTS ${quoteIdentifier(shadow)}`);
      this.shadowState.set(table, 'absent');
      if (!buildsItself && this.liveTables.has(table)) {
        await connection.query(`CREATE TABLE ${quoteIdentifier(shadow)} LIKE ${quoteIdentifier(table)}`);
        this.shadowState.set(table, 'empty');
      }
    } catch (error) {
      throw statementError(statement.line, error);
    }
    this.shadows.set(table, shadow);
  }

  private async executeAlone(statement: QueuedStatement): Promise<void> {
    try {
      await (this.connection as Connection).query(statement.sql.toString('latin1'));
    } catch (error) {
      throw statementError(statement.line, error);
    }
  }

  private async dropShadow(table: string, line: number): Promise<void> {
    try {
      await (this.connection as Connection).query(`DROP TABLE IF EXISTS ${quoteIdentifier(this.shadows.get(table) as string)}`);
    } catch (error) {
      throw statementError(line, error);
    }
  }

  /**
   * Sends the queued statements without waiting for them: the server executes one batch while the next is read and checked
   * (one batch in flight at most, so memory stays bounded and errors surface at the next flush or settle).
   */
  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    await this.settle();
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.inflight = this.execute(batch).then(
      () => null,
      (error: unknown) => error,
    );
  }

  /** Waits for the batch in flight; throws its error. */
  private async settle(): Promise<void> {
    const inflight = this.inflight;
    this.inflight = null;
    const error = inflight ? await inflight : null;
    if (error) throw error;
  }

  /**
   * Runs statements as one multi-statement transaction that also records the position after them, so a restart never runs
   * a statement twice; on failure, finds the statement the server rejected, for its line.
   */
  private async execute(batch: QueuedStatement[]): Promise<void> {
    const connection = this.connection as Connection;
    const text = batch.map((statement) => statement.sql.toString('latin1'));
    const record = this.loadState(batch[batch.length - 1].end);
    const size = text.reduce((sum, part) => sum + part.length + 2, record.length + 64);
    try {
      if (size < this.maxPacket) {
        await connection.query(['START TRANSACTION', ...text, record, 'COMMIT'].join(';\n'));
      } else {
        // One query may not exceed max_allowed_packet: a batch holding a statement near that size goes one statement per
        // query, still in one transaction with its position record.
        await connection.query('START TRANSACTION');
        for (const part of text) await connection.query(part);
        await connection.query(record);
        await connection.query('COMMIT');
      }
      return;
    } catch (error) {
      if (isConnectionLost(error)) throw error;
      await connection.query('ROLLBACK').catch(() => undefined);
      if (batch.length === 1) throw statementError(batch[0].line, error);
    }
    await connection.query('START TRANSACTION');
    try {
      for (let i = 0; i < batch.length; i++) {
        try {
          await connection.query(text[i]);
        } catch (error) {
          throw statementError(batch[i].line, error);
        }
      }
    } finally {
      await connection.query('ROLLBACK').catch(() => undefined);
    }
    throw statementError(batch[batch.length - 1].line, new Error('the batch failed'));
  }

  private async swap(): Promise<void> {
    const connection = this.connection as Connection;
    if (this.shadows.size === 0) throw new UserError('error_empty');
    // Undo keeps one generation: this restore keeps under the other generation's names, and the previous restore's kept
    // tables are dropped in the background afterwards (housekeeping), not while the shop owner waits.
    const previous = await readJsonFile<UndoRecord>(this.settings.undoFile);
    const generation = previous?.tables.some((t) => t.kept?.startsWith(`${RESERVED_TABLE_PREFIX}o_`)) ? 'p' : 'o';
    const renames: string[] = [];
    const undo: UndoRecord['tables'] = [];
    for (const [live, shadow] of this.shadows) {
      const kept = reservedName(generation, live);
      if (this.liveTables.has(live)) {
        // A leftover of this generation (from an undo or a crash) would block the rename.
        if (this.liveTables.has(kept)) await connection.query(`DROP TABLE IF EXISTS ${quoteIdentifier(kept)}`);
        renames.push(`${quoteIdentifier(live)} TO ${quoteIdentifier(kept)}`);
        undo.push({ live, kept });
      } else {
        undo.push({ live, kept: null });
      }
      renames.push(`${quoteIdentifier(shadow)} TO ${quoteIdentifier(live)}`);
    }
    // One statement: MariaDB renames all or none, so the shop never sees a mix of old and new tables.
    await connection.query(`RENAME TABLE ${renames.join(', ')}`);
    await connection.query(`DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]);
    const now = new Date();
    this.undo = {
      filename: this.filename,
      tables: undo,
      restoredAt: now.toISOString(),
      until: new Date(now.getTime() + this.settings.undoKeepMs).toISOString(),
    };
    await writeJsonFile(this.settings.undoFile, this.undo);
    this.shadows.clear();
  }

  /** Drops the shadow tables and closes the connection; the live tables were never touched. */
  async abort(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.statements?.return(undefined as unknown as ReaderState).catch(() => undefined);
    this.statements = null;
    if (this.connection) {
      for (const shadow of this.shadows.values()) {
        await this.connection.query(`DROP TABLE IF EXISTS ${quoteIdentifier(shadow)}`).catch(() => undefined);
      }
      await this.connection.query(`DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]).catch(() => undefined);
      await this.connection.query('DO RELEASE_ALL_LOCKS()').catch(() => undefined);
      this.connection.destroy();
      this.connection = null;
    }
    this.shadows.clear();
  }

  /** Lets go of the connection and the file (end of the job, or the process is stopping: the job can resume later). */
  async close(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.statements?.return(undefined as unknown as ReaderState).catch(() => undefined);
    this.statements = null;
    await this.connection?.query('DO RELEASE_ALL_LOCKS()').catch(() => undefined);
    this.connection?.destroy();
    this.connection = null;
  }
}

// The state is ASCII JSON (non-ASCII escaped as \uXXXX), so it survives the latin1 path of the restore connection unchanged.
function literalJson(value: unknown): string {
  const json = JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return "'" + json.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

function isCreateIfNotExists(sql: Buffer): boolean {
  return CREATE_IF_NOT_EXISTS.test(sql.subarray(0, 200).toString('latin1'));
}

function statementError(line: number, error: unknown): unknown {
  if (isConnectionLost(error)) return error;
  const message = (error as { sqlMessage?: string }).sqlMessage ?? (error as Error).message;
  return new UserError('error_statement', [line, message]);
}

function isDataStatement(kind: string): boolean {
  return ['create_table', 'drop_table', 'truncate', 'insert', 'replace', 'alter_table'].includes(kind);
}

/** Puts the kept tables of the last restore back, in one RENAME TABLE, and drops what the restore had written. */
export async function undoRestore(connection: Connection, record: UndoRecord): Promise<void> {
  const renames: string[] = [];
  const drops: string[] = [];
  for (const { live, kept } of record.tables) {
    const discard = reservedName('n', live);
    await connection.query(`DROP TABLE IF EXISTS ${quoteIdentifier(discard)}`);
    renames.push(`${quoteIdentifier(live)} TO ${quoteIdentifier(discard)}`);
    if (kept) renames.push(`${quoteIdentifier(kept)} TO ${quoteIdentifier(live)}`);
    drops.push(quoteIdentifier(discard));
  }
  await connection.query(`RENAME TABLE ${renames.join(', ')}`);
  await connection.query(`DROP TABLE IF EXISTS ${drops.join(', ')}`);
}

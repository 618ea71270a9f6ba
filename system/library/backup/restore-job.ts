// One restore as a resumable job, in one pass over one open file: each statement is read with the restore's tokenizer,
// parsed into a typed statement, checked, and re-emitted into shadow tables; the last request swaps the shadows in with
// one RENAME TABLE. A refused statement, a server error or a damaged file drops the shadows: the live tables are untouched
// until the swap.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { promises as fs } from 'node:fs';
import mysql from 'mysql2/promise';
import { readJsonFile, writeJsonFile } from './json-file.ts';
import { openBackupForRead } from './backup-file.ts';
import type { Connection } from '../db.ts';
import { quoteIdentifier, holdDatabaseLock } from '../db.ts';
import { UserError } from '../../engine/errors.ts';
import { DumpReader, openDumpHandle, isGzipMagic, DumpParseError, TruncatedDumpError, StatementTooLargeError, READER_PAUSED, type ReaderState, type ScannedStatement } from './reader.ts';
import { StatementParser, StatementRefused, type Statement } from './statement.ts';
import { SessionModel, INITIAL_SESSION, type SessionState } from './restore-session.ts';
import { emitInsert, emitCreateTable, emitAlterTable, quoteName, type EmitContext } from './statement-emit.ts';
import { swapTables, snapshotForSwap, rollbackSwap, utf8Sql, TEMPORARY_CONSTRAINT_PREFIX, type ForeignKey, type Sql, type SwapSnapshot } from './table-swap.ts';
import { HEADER_MARK, FOOTER_MARK, isConnectionLost } from './backup-job.ts';
import { RESERVED_TABLE_PREFIX } from '../../../admin/model/tool/backup.ts';

/** Statements are sent in multi-statement batches of about this size: one round trip per batch, not per row. */
const BATCH_BYTES = 1024 * 1024;

/** Which tables a restore may write. */
export interface RestoreRules {
  /** the shop's table prefix, e.g. 'oc_' ('' = any table); tables without it are skipped and reported */
  prefix: string;
  /** the shop's database: names qualified with another database are refused */
  database: string;
  /** full names with prefix (oc_user, oc_session...): never written, skipped and counted */
  protectedTables: string[];
}

export interface RestoreSettings {
  connection: mysql.ConnectionOptions;
  rules: RestoreRules;
  undoKeepMs: number;
  /** Where the last restore's UndoRecord is kept (a dotfile beside the backups, never listed). */
  undoFile: string;
}

/** What the restore passed over without running, for the shop owner. */
export interface RestoreNotes {
  /** statements on protected tables (oc_user, oc_session...) */
  protectedStatements: number;
  /** tables the file writes that do not carry the shop's prefix */
  otherTables: string[];
  /** views, triggers, routines and events in the file (never created by a restore) */
  objects: Array<{ what: string; name: string }>;
  /** session settings of the file that a restore does not carry over */
  settings: string[];
}

export interface RestoreProgress {
  phase: 'load' | 'done';
  bytesDone: number;
  bytesTotal: number;
  notes: RestoreNotes;
  /** Set when phase is 'done'. */
  undo?: UndoRecord;
}

export interface UndoRecord {
  filename: string;
  /** the restore job that wrote it: a job resumed after its swap finds its own record and knows the swap is done */
  jobId?: string;
  /** Live name → the reserved name its old data is kept under; null when the restore created the table. */
  tables: Array<{ live: string; kept: string | null }>;
  /** Foreign keys the kept tables had (taken off them at the swap so the live tables could have their names). */
  foreignKeys?: ForeignKey[];
  restoredAt: string;
  until: string;
  /** Set while an undo runs, from just before its RENAME: what to put back if it stopped half way (see recoverUndo). */
  undoing?: SwapSnapshot;
}

/** What survives a restart: written beside the backups at the end of every request. */
export interface RestoreJobState {
  id: string;
  owner: string;
  filename: string;
  size: number;
  mtimeMs: number;
  /** device and inode: a resumed job reads the very file it started with */
  dev: number;
  ino: number;
  startedAt: string;
  chosen: string[] | null;
  step: number;
  lastReply: Record<string, unknown> | null;
}

/** The load position, session, shadows and notes, committed in the same transaction as the rows they describe. */
interface LoadState {
  position: ReaderState;
  session: SessionState;
  shadows: Array<[string, ShadowInfo]>;
  constraintNames: Array<[string, string]>;
  seen: string[];
  notes: RestoreNotes;
  /**
   * Set before work that a lost connection could leave half done beyond this position: a batch into a shadow that is
   * not transactional (MyISAM, Aria: its rows stay when the batch rolls back), an ALTER TABLE (not safe to run twice).
   * A job that finds it set starts the file again from the beginning.
   */
  unsettled?: boolean;
  /** Set from just before the swap's RENAME until the swap is over: what to put back if it stopped in the middle. */
  swap?: SwapSnapshot;
}

interface ShadowInfo {
  name: string;
  /** the shadow copies the live definition (data-only files, CREATE TABLE IF NOT EXISTS): the live keys come back at the swap */
  keepsLiveDefinition: boolean;
  /** the file dropped the table (and did not create it again): the swap removes the live table */
  dropped?: boolean;
  /** the shadow's engine rolls back (InnoDB); false for MyISAM, Aria... */
  transactional?: boolean;
}

/** One row per restore job, in the shop database, so a restart resumes exactly after the last committed batch. */
export const STATE_TABLE = `${RESERVED_TABLE_PREFIX}state`;
const START: ReaderState = { offset: 0, line: 1, delimiter: ';' };

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

/** A temporary name for a named foreign key of a shadow table (constraint names are unique per database). */
function temporaryConstraintName(shadow: string, name: string): string {
  return TEMPORARY_CONSTRAINT_PREFIX + createHash('sha1').update(`${shadow}\u0000${name}`).digest('hex').slice(0, 32);
}

/**
 * Progress of a gzip file goes by the bytes it holds: gzip's trailer gives their number modulo 4 GiB (ISIZE, RFC 1952),
 * taken as the smallest such number at least as large as the compressed file.
 */
export async function uncompressedLength(handle: FileHandle, size: number): Promise<{ length: number; gzip: boolean }> {
  if (size < 18) return { length: size, gzip: false };
  const head = Buffer.alloc(2);
  await handle.read(head, 0, 2, 0);
  if (!isGzipMagic(head)) return { length: size, gzip: false };
  const tail = Buffer.alloc(4);
  await handle.read(tail, 0, 4, size - 4);
  let length = tail.readUInt32LE(0);
  while (length < size) length += 2 ** 32;
  return { length, gzip: true };
}

/** True when the file starts with this tool's header, so its completion footer is required. */
export async function isOwnBackup(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(HEADER_MARK.length);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  return head.subarray(0, bytesRead).toString('utf8') === HEADER_MARK;
}

const FOOTER_END = '-- End of backup';

/** Our backups end with the completion footer; a file cut short (an interrupted copy, a full disk) does not. */
export async function hasCompletionFooter(handle: FileHandle): Promise<boolean> {
  const size = (await handle.stat()).size;
  const tailSize = Math.min(size, 1024 * 1024);
  const tail = Buffer.alloc(tailSize);
  await handle.read(tail, 0, tailSize, size - tailSize);
  let text = tail.toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  return text.includes('\n' + FOOTER_MARK) && text.endsWith(FOOTER_END);
}

/** What went wrong reading a file, in the shop owner's words (errors of other kinds pass unchanged). */
export function readError(error: unknown): unknown {
  if (error instanceof TruncatedDumpError) return new UserError('error_truncated', [error.line]);
  if (error instanceof StatementTooLargeError) return new UserError('error_statement_size', [error.line, error.limit]);
  if (error instanceof DumpParseError) return new UserError('error_delimiter', [error.line]);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('Z_') || code === 'DECOMPRESSED_TOO_LARGE') return new UserError('error_gzip');
  return error;
}

/** SQL is text: a NUL byte near the start means an image, an archive or a UTF-16 file, not a dump. */
export async function checkLooksLikeSql(handle: FileHandle, size: number): Promise<void> {
  const head = Buffer.alloc(Math.min(size, 4096));
  await handle.read(head, 0, head.length, 0);
  if (!isGzipMagic(head) && head.includes(0)) throw new UserError('error_not_sql');
}

/** The refusal or failure of a restore, as a translated message with the line it happened at. */
function refusalError(line: number, error: StatementRefused): UserError {
  return new UserError(`error_refused_${error.reason}`, [line, error.detail]);
}

export class RestoreJob {
  private phase: 'load' | 'done' = 'load';
  private reader: DumpReader | null = null;
  private readonly parser: StatementParser;
  private session = new SessionModel();
  /** the session as the connection has it (statements queued or sent) */
  private sentSession: SessionState | null = null;
  private position: ReaderState = { ...START };
  private connection: Connection | null = null;
  /** Live table → its shadow, for every table this restore has written so far. */
  private readonly shadows = new Map<string, ShadowInfo>();
  private readonly constraintNames = new Map<string, string>();
  /** Tables of the file the restore wrote (after the chosen-table filter). */
  private readonly seen = new Set<string>();
  private notes: RestoreNotes = { protectedStatements: 0, otherTables: [], objects: [], settings: [] };
  private liveTables = new Set<string>();
  /** What this job knows of each shadow; unknown (after a restart) means: execute everything as written. */
  private readonly shadowState = new Map<string, 'absent' | 'empty' | 'filled'>();
  private batch: string[] = [];
  private batchLines: number[] = [];
  private inflight: Promise<unknown> | null = null;
  private batchBytes = 0;
  /** The server's max_allowed_packet: no query (and so no statement) may be longer. */
  private maxPacket = 16 * 1024 * 1024;
  private serverVersion = 101100;
  private chosen: Set<string> | null = null;
  private bytesTotal: number;
  private gzip = false;
  /** Set when the restore has swapped its tables in. */
  undo: UndoRecord | null = null;

  private constructor(
    readonly id: string,
    private readonly handle: FileHandle,
    readonly filename: string,
    private readonly file: { size: number; mtimeMs: number; dev: number; ino: number },
    private readonly settings: RestoreSettings,
  ) {
    this.parser = new StatementParser(settings.rules.database);
    this.bytesTotal = file.size;
  }

  /** Opens the file (once: every later step reads this same handle) and checks what can be checked before any write. */
  static async start(id: string, path: string, filename: string, settings: RestoreSettings): Promise<RestoreJob> {
    const opened = await openBackupForRead(path);
    try {
      if ((await isOwnBackup(opened.handle)) && !(await hasCompletionFooter(opened.handle))) throw new UserError('error_incomplete');
      const job = new RestoreJob(id, opened.handle, filename, opened, settings);
      const { length, gzip } = await uncompressedLength(opened.handle, opened.size);
      job.bytesTotal = length;
      job.gzip = gzip;
      await checkLooksLikeSql(opened.handle, opened.size);
      return job;
    } catch (error) {
      await opened.handle.close();
      throw error;
    }
  }

  /** Rebuilds a job from its state file after a restart: the same file (device, inode, size, time) or nothing. */
  static async resume(path: string, state: RestoreJobState, settings: RestoreSettings): Promise<RestoreJob | null> {
    const opened = await openBackupForRead(path).catch(() => null);
    if (!opened) return null;
    if (opened.dev !== state.dev || opened.ino !== state.ino || opened.size !== state.size || opened.mtimeMs !== state.mtimeMs) {
      await opened.handle.close();
      return null;
    }
    const job = new RestoreJob(state.id, opened.handle, state.filename, opened, settings);
    const { length, gzip } = await uncompressedLength(opened.handle, opened.size);
    job.bytesTotal = length;
    job.gzip = gzip;
    job.choose(state.chosen);
    return job;
  }

  /** Tables the caller wants; null restores every table of the file. */
  choose(tables: string[] | null): void {
    this.chosen = tables ? new Set(tables) : null;
  }

  /** The part of the job a restarted process needs, besides what the database holds. */
  snapshot(owner: string, startedAt: Date, step: number, lastReply: Record<string, unknown> | null): RestoreJobState {
    return {
      id: this.id,
      owner,
      filename: this.filename,
      size: this.file.size,
      mtimeMs: this.file.mtimeMs,
      dev: this.file.dev,
      ino: this.file.ino,
      startedAt: startedAt.toISOString(),
      chosen: this.chosen ? [...this.chosen] : null,
      step,
      lastReply,
    };
  }

  async advance(deadline: number): Promise<RestoreProgress> {
    try {
      await this.load(deadline);
    } catch (error) {
      throw this.publicError(error);
    }
    return { phase: this.phase, bytesDone: this.position.offset, bytesTotal: this.bytesTotal, notes: this.notes, undo: this.undo ?? undefined };
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

  /** Queries built from ordinary strings (names, the state row), sent as UTF-8 on the restore's byte-for-byte connection. */
  private get sql(): Sql {
    return utf8Sql(this.connection as Connection);
  }

  private async openConnection(): Promise<Connection> {
    const connection = await mysql.createConnection({
      ...this.settings.connection,
      multipleStatements: true,
      // The restore's SQL is a latin1 string whose code units are the bytes to send; mysql2 sends it as 'binary'.
      // Without SESSION_TRACK mysql2 does not follow SET character_set_client and re-encode (double-encoding every byte).
      charset: 'BINARY',
      flags: ['-SESSION_TRACK'],
    });
    try {
      await connection.query("SET NAMES utf8mb4; SET SESSION foreign_key_checks = 0, unique_checks = 0");
      await holdDatabaseLock(connection, String(this.settings.connection.database));
      const sql = utf8Sql(connection);
      await sql.query(
        `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(STATE_TABLE)} (job_id varchar(32) NOT NULL PRIMARY KEY, state longtext NOT NULL,
           updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      );
      const [serverRows] = await sql.query('SELECT @@max_allowed_packet AS size, @@version AS version');
      const server = (serverRows as Array<{ size: number | string; version: string }>)[0];
      this.maxPacket = Number(server.size);
      const [major, minor, patch] = String(server.version).split(/[.-]/).map(Number);
      this.serverVersion = major * 10000 + minor * 100 + (patch || 0);
      // After a restart: continue exactly after the last committed batch, with the session the file had set by then.
      const [stateRows] = await sql.query(`SELECT state FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]);
      const row = (stateRows as Array<{ state: string }>)[0];
      const state = row ? await this.recover(sql, JSON.parse(row.state) as LoadState) : null;
      this.liveTables = await baseTables(sql);
      this.session = new SessionModel(INITIAL_SESSION);
      if (state) {
        this.position = state.position;
        this.session = new SessionModel(state.session);
        for (const [live, shadow] of state.shadows) this.shadows.set(live, shadow);
        for (const [temporary, original] of state.constraintNames) this.constraintNames.set(temporary, original);
        for (const table of state.seen) this.seen.add(table);
        this.notes = state.notes;
      }
      for (const statement of this.session.statementsSince(null)) await connection.query(statement);
      this.sentSession = structuredClone(this.session.state);
      return connection;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /**
   * What a saved state means for a job that opens a new connection: a swap that stopped in the middle is put back (or
   * found finished, when the undo record is this job's), and work left unsettled by a lost connection starts again from
   * the beginning of the file (its shadows dropped). Returns the state to continue from, or null to start afresh.
   */
  private async recover(sql: Sql, state: LoadState): Promise<LoadState | null> {
    if (state.swap) {
      const record = await readJsonFile<UndoRecord>(this.settings.undoFile);
      if (record?.jobId === this.id) {
        await sql.query(`DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]);
        this.undo = record;
        this.phase = 'done';
        return null;
      }
      await rollbackSwap(sql, state.swap);
      delete state.swap;
      await sql.query(`REPLACE INTO ${quoteIdentifier(STATE_TABLE)} (job_id, state) VALUES (?, ?)`, [this.id, JSON.stringify(state)]);
    }
    if (!state.unsettled) return state;
    for (const [, shadow] of state.shadows) await sql.query(`DROP TABLE IF EXISTS ${quoteIdentifier(shadow.name)}`);
    await sql.query(`DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]);
    return null;
  }

  /** The state row as a REPLACE statement (ASCII: it travels unchanged on the restore's connection). */
  private loadState(extra: Pick<LoadState, 'unsettled' | 'swap'> = {}): string {
    const state: LoadState = {
      position: this.position,
      session: this.session.state,
      shadows: [...this.shadows],
      constraintNames: [...this.constraintNames],
      seen: [...this.seen],
      notes: this.notes,
      ...extra,
    };
    return `REPLACE INTO ${quoteIdentifier(STATE_TABLE)} (job_id, state) VALUES ('${this.id}', ${literalJson(state)})`;
  }

  /** Forgets everything not committed: the next connection starts from the position recorded with the last batch. */
  private async dropConnection(): Promise<void> {
    this.inflight = null;
    this.batch = [];
    this.batchLines = [];
    this.batchBytes = 0;
    await this.reader?.close().catch(() => undefined);
    this.reader = null;
    this.connection?.destroy();
    this.connection = null;
    this.shadows.clear();
    this.shadowState.clear();
    this.constraintNames.clear();
    this.seen.clear();
    this.notes = { protectedStatements: 0, otherTables: [], objects: [], settings: [] };
    this.position = { ...START };
  }

  private async openReader(): Promise<DumpReader> {
    // A gzip file may not hold more than its trailer claims (plus 4 GiB wraps are already counted in bytesTotal).
    const stream = await openDumpHandle(this.handle, this.position.offset, this.gzip ? this.bytesTotal : Infinity);
    return new DumpReader(stream, this.position, { mode: this.session.lexerMode(this.serverVersion), maxStatementBytes: this.maxPacket - 1024 });
  }

  private async nextStatement(deadline: number): Promise<ScannedStatement | null | typeof READER_PAUSED> {
    this.reader ??= await this.openReader();
    try {
      const statement = await this.reader.nextWithin(deadline);
      if (statement && statement !== READER_PAUSED) this.position = { offset: statement.end, line: statement.endLine, delimiter: statement.delimiter };
      else this.position = this.reader.state;
      return statement;
    } catch (error) {
      throw readError(error);
    }
  }

  private async loadUntil(deadline: number): Promise<void> {
    this.connection ??= await this.openConnection();
    // A swap this job finished before its connection was lost.
    if (this.phase === 'done') return;
    for (;;) {
      const statement = await this.nextStatement(deadline);
      if (statement === READER_PAUSED) {
        // Only empty statements and comments since the last look: the position after them is recorded.
        await this.flush(true);
        await this.settle();
        return;
      }
      if (!statement) break;
      await this.loadStatement(statement);
      if (this.batchBytes >= Math.min(BATCH_BYTES, this.maxPacket / 4)) await this.flush();
      if (Date.now() >= deadline) {
        await this.flush(true);
        await this.settle();
        return;
      }
    }
    await this.flush(true);
    await this.settle();
    if (this.chosen) for (const table of this.chosen) if (!this.seen.has(table)) throw new UserError('error_table', [table]);
    if (this.shadows.size === 0) throw new UserError(this.notes.otherTables.length || this.notes.protectedStatements ? 'error_nothing_to_restore' : 'error_empty');
    await this.swap();
    this.phase = 'done';
  }

  private async loadStatement(scanned: ScannedStatement): Promise<void> {
    const mode = this.reader!.mode;
    let statement: Statement;
    try {
      statement = this.parser.parse(scanned.sql, scanned.tokens, mode.backslashEscapes);
    } catch (error) {
      if (error instanceof StatementRefused) throw refusalError(scanned.line, error);
      throw error;
    }
    const context: EmitContext = { sql: scanned.sql, tokens: scanned.tokens, mode };
    switch (statement.kind) {
      case 'set': {
        try {
          this.session.apply(statement.assignments);
        } catch (error) {
          if (error instanceof StatementRefused) throw refusalError(scanned.line, error);
          throw error;
        }
        Object.assign(this.reader!.mode, this.session.lexerMode(this.serverVersion));
        for (const name of this.session.state.ignored) if (!this.notes.settings.includes(name)) this.notes.settings.push(name);
        for (const sql of this.session.statementsSince(this.sentSession)) this.queue(sql, scanned.line);
        this.sentSession = structuredClone(this.session.state);
        return;
      }
      case 'ignored':
        return;
      case 'skipped':
        if (!this.notes.objects.some((o) => o.what === statement.what && o.name === statement.name)) this.notes.objects.push({ what: statement.what, name: statement.name });
        return;
      default:
        break;
    }
    const tables = statement.kind === 'drop_table' ? statement.tables : [statement.table];
    const wanted: string[] = [];
    let skippedProtected = false;
    for (const table of tables) {
      if (!this.hasPrefix(table) || table.startsWith(RESERVED_TABLE_PREFIX)) {
        if (!this.notes.otherTables.includes(table)) this.notes.otherTables.push(table);
      } else if (this.isProtected(table)) skippedProtected = true;
      else if (!this.chosen || this.chosen.has(table)) wanted.push(table);
    }
    if (skippedProtected) this.notes.protectedStatements++;
    if (wanted.length === 0) return;
    for (const table of wanted) {
      this.seen.add(table);
      await this.ensureShadow(table, statement);
    }
    const shadow = (table: string): string => (this.shadows.get(table) as ShadowInfo).name;
    switch (statement.kind) {
      case 'insert':
        this.shadowState.set(statement.table, 'filled');
        this.queue(emitInsert(context, statement, this.parser, shadow(statement.table)), scanned.line);
        return;
      case 'truncate':
        // Emptying a shadow that holds nothing would still cost a commit.
        if (this.shadowState.get(statement.table) === 'empty') return;
        await this.executeAlone(`TRUNCATE TABLE ${quoteName(shadow(statement.table))}`, scanned.line);
        this.shadowState.set(statement.table, 'empty');
        return;
      case 'drop_table': {
        for (const table of wanted) Object.assign(this.shadows.get(table) as ShadowInfo, { keepsLiveDefinition: false, dropped: true });
        const present = wanted.filter((table) => this.shadowState.get(table) !== 'absent');
        if (present.length === 0) return;
        await this.executeAlone(`DROP TABLE IF EXISTS ${present.map((table) => quoteName(shadow(table))).join(', ')}`, scanned.line);
        for (const table of present) this.shadowState.set(table, 'absent');
        return;
      }
      case 'create_table': {
        const table = statement.table;
        const state = this.shadowState.get(table);
        if (statement.ifNotExists && (state === 'empty' || state === 'filled')) return;
        // After a restart the shadow's state is unknown: IF NOT EXISTS keeps what a first run loaded, a plain CREATE
        // replaces it (the committed position is before this CREATE, so nothing after it was kept).
        const keepExisting = statement.ifNotExists && state === undefined;
        if (state !== 'absent' && !keepExisting) await this.executeAlone(`DROP TABLE IF EXISTS ${quoteName(shadow(table))}`, 0);
        const names = new Map<string, string>();
        for (const key of statement.foreignKeys) {
          const temporary = temporaryConstraintName(shadow(table), key.name);
          names.set(key.name, temporary);
          this.constraintNames.set(temporary, key.name);
        }
        await this.executeAlone(emitCreateTable(context, statement, shadow(table), names, keepExisting), scanned.line);
        this.shadowState.set(table, 'empty');
        const info = this.shadows.get(table) as ShadowInfo;
        Object.assign(info, { keepsLiveDefinition: false, dropped: false, transactional: await this.isTransactional(info.name) });
        return;
      }
      case 'alter_table': {
        // DISABLE/ENABLE KEYS only speed up MyISAM loads (InnoDB ignores them) and never change the data.
        if (statement.keysSwitch) return;
        const names = new Map<string, string>();
        for (const key of statement.foreignKeys) {
          const temporary = temporaryConstraintName(shadow(statement.table), key.name);
          names.set(key.name, temporary);
          this.constraintNames.set(temporary, key.name);
        }
        // Not safe to run twice (ADD KEY of a key that exists fails): a lost connection before its position is recorded
        // makes the job start again.
        await this.executeAlone(emitAlterTable(context, statement, shadow(statement.table), names), scanned.line, true);
        return;
      }
    }
  }

  private hasPrefix(table: string): boolean {
    return table.startsWith(this.settings.rules.prefix);
  }

  private isProtected(table: string): boolean {
    const lower = table.toLowerCase();
    return this.settings.rules.protectedTables.some((name) => name.toLowerCase() === lower);
  }

  private queue(sql: string, line: number): void {
    this.batch.push(sql);
    this.batchLines.push(line);
    this.batchBytes += sql.length;
  }

  /**
   * The shadow starts as an empty copy of the live table, so a file of only TRUNCATE + INSERT (OpenCart's format) restores,
   * and `CREATE TABLE IF NOT EXISTS` (ours) keeps the live definition (MariaDB cannot print some of it, e.g. emoji ENUM
   * members). A file that drops or plainly creates the table builds the shadow itself, so no copy is made first.
   */
  private async ensureShadow(table: string, statement: Statement): Promise<void> {
    if (this.shadows.has(table)) return;
    await this.flush(false);
    await this.settle();
    const shadow = reservedName('n', table);
    const buildsItself = statement.kind === 'drop_table' || (statement.kind === 'create_table' && !statement.ifNotExists);
    const info: ShadowInfo = { name: shadow, keepsLiveDefinition: false };
    await this.executeAlone(`DROP TABLE IF EXISTS ${quoteName(shadow)}`, 0);
    this.shadowState.set(table, 'absent');
    if (!buildsItself && this.liveTables.has(table)) {
      await this.executeAlone(`CREATE TABLE ${quoteName(shadow)} LIKE ${quoteName(table)}`, 0);
      this.shadowState.set(table, 'empty');
      info.keepsLiveDefinition = true;
      info.transactional = await this.isTransactional(shadow);
    }
    this.shadows.set(table, info);
  }

  private async isTransactional(table: string): Promise<boolean> {
    const [rows] = await this.sql.query('SELECT ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table]);
    return String((rows as Array<{ engine: string | null }>)[0]?.engine ?? 'InnoDB').toUpperCase() === 'INNODB';
  }

  /** Some shadow keeps rows that a rolled-back batch wrote. */
  private get nonTransactional(): boolean {
    for (const shadow of this.shadows.values()) if (shadow.transactional === false) return true;
    return false;
  }

  /**
   * DDL (`sql` already in the connection's bytes): runs on its own (the server commits it anyway), followed by the
   * position after it. `unsettling`: the state says so before it runs (see LoadState.unsettled).
   */
  private async executeAlone(sql: string, line: number, unsettling = false): Promise<void> {
    await this.flush(false);
    await this.settle();
    const connection = this.connection as Connection;
    if (unsettling) await connection.query(this.loadState({ unsettled: true }));
    try {
      await connection.query(sql);
    } catch (error) {
      throw statementError(line, error);
    }
    if (line > 0 || unsettling) await connection.query(this.loadState());
  }

  /**
   * Sends the queued statements without waiting for them: the server executes one batch while the next is read and checked
   * (one batch in flight at most, so memory stays bounded and errors surface at the next flush or settle).
   * `always`: send the position record even without statements (statements that had no effect moved it).
   */
  private async flush(always = false): Promise<void> {
    if (this.batch.length === 0 && !always) return;
    await this.settle();
    const batch = this.batch;
    const lines = this.batchLines;
    this.batch = [];
    this.batchLines = [];
    this.batchBytes = 0;
    const record = this.loadState();
    this.inflight = this.execute(batch, lines, record).then(
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
  private async execute(batch: string[], lines: number[], record: string): Promise<void> {
    const connection = this.connection as Connection;
    const size = batch.reduce((sum, part) => sum + part.length + 2, record.length + 64);
    try {
      // A MyISAM shadow keeps the rows of a batch that rolls back: the state says so first (committed on its own).
      const before = this.nonTransactional ? [this.loadState({ unsettled: true })] : [];
      if (size + (before[0]?.length ?? 0) < this.maxPacket) {
        await connection.query([...before, 'START TRANSACTION', ...batch, record, 'COMMIT'].join(';\n'));
      } else {
        // One query may not exceed max_allowed_packet: a batch holding a statement near that size goes one statement per
        // query, still in one transaction with its position record.
        for (const marker of before) await connection.query(marker);
        await connection.query('START TRANSACTION');
        for (const part of batch) await connection.query(part);
        await connection.query(record);
        await connection.query('COMMIT');
      }
      return;
    } catch (error) {
      if (isConnectionLost(error)) throw error;
      await connection.query('ROLLBACK').catch(() => undefined);
      if (batch.length <= 1) throw statementError(lines[0] ?? 0, error);
    }
    await connection.query('START TRANSACTION');
    try {
      for (let i = 0; i < batch.length; i++) {
        try {
          await connection.query(batch[i]);
        } catch (error) {
          throw statementError(lines[i], error);
        }
      }
    } finally {
      await connection.query('ROLLBACK').catch(() => undefined);
    }
    throw statementError(lines[lines.length - 1], new Error('the batch failed'));
  }

  private async swap(): Promise<void> {
    const sql = this.sql;
    // Undo keeps one generation: this restore keeps under the other generation's names, and the previous restore's kept
    // tables are dropped in the background afterwards (housekeeping), not while the shop owner waits.
    const previous = await readJsonFile<UndoRecord>(this.settings.undoFile);
    const generation = previous?.tables.some((t) => t.kept?.startsWith(`${RESERVED_TABLE_PREFIX}o_`)) ? 'p' : 'o';
    const renames: Array<[string, string]> = [];
    const awayToLive = new Map<string, string>();
    const fromFile = new Set<string>();
    const keepKeysOf = new Set<string>();
    const undo: UndoRecord['tables'] = [];
    const present = await baseTables(sql);
    for (const [live, shadow] of this.shadows) {
      // A shadow is missing only when the file dropped its table; anything else (dropped by hand, by another job) must
      // not be taken for "remove the live table".
      if (!present.has(shadow.name) && !shadow.dropped) throw new UserError('error_job_expired');
      const kept = reservedName(generation, live);
      if (this.liveTables.has(live)) {
        // A leftover of this generation (from an undo or a crash) would block the rename.
        if (present.has(kept)) await sql.query(`DROP TABLE IF EXISTS ${quoteIdentifier(kept)}`);
        renames.push([live, kept]);
        awayToLive.set(kept, live);
        undo.push({ live, kept });
        if (shadow.keepsLiveDefinition) keepKeysOf.add(live);
      } else if (present.has(shadow.name)) {
        undo.push({ live, kept: null });
      }
      // A file that drops a table without creating it again removes it (kept for undo like any replaced table).
      if (!present.has(shadow.name)) continue;
      if (!shadow.keepsLiveDefinition) fromFile.add(live);
      renames.push([shadow.name, live]);
    }
    const plan = { renames, awayToLive, fromFile, keepKeysOf, constraintNames: this.constraintNames };
    // What to put back if the swap stops half way, recorded before the RENAME (see recover()).
    const snapshot = await snapshotForSwap(sql, plan);
    await sql.query(this.loadState({ swap: snapshot }));
    let result: Awaited<ReturnType<typeof swapTables>>;
    try {
      // One RENAME: MariaDB renames all or none, so the shop never sees a mix of old and new tables.
      result = await swapTables(sql, plan, snapshot);
    } catch (error) {
      // A lost connection is recovered from the state row by the retry; anything else is put back now.
      if (isConnectionLost(error)) throw error;
      await rollbackSwap(sql, snapshot);
      await sql.query(this.loadState());
      throw new UserError('error_swap', [this.publicText((error as { sqlMessage?: string }).sqlMessage ?? String(error))]);
    }
    const now = new Date();
    this.undo = {
      filename: this.filename,
      jobId: this.id,
      tables: undo,
      foreignKeys: result.removedKeys,
      restoredAt: now.toISOString(),
      until: new Date(now.getTime() + this.settings.undoKeepMs).toISOString(),
    };
    // The undo record first: a job that stops between the two finds its own record and knows the swap is done.
    await writeJsonFile(this.settings.undoFile, this.undo);
    await sql.query(`DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]);
    this.shadows.clear();
  }

  /** Server messages name the shadow tables; the shop owner knows only the live names. */
  private publicError(error: unknown): unknown {
    if (!(error instanceof UserError)) return error;
    const args = error.args.map((arg) => (typeof arg === 'string' ? this.publicText(arg) : arg));
    return new UserError(error.key, args);
  }

  private publicText(text: string): string {
    let out = text;
    for (const [live, shadow] of this.shadows) out = out.split(shadow.name).join(live);
    for (const [temporary, original] of this.constraintNames) out = out.split(temporary).join(original);
    // Anything reserved left (a name this job did not make) is not the shop owner's business.
    return out.replace(/_bkr_[a-z]_/g, '');
  }

  /** Drops the shadow tables and closes the connection and the file; the live tables were never touched. */
  async abort(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.reader?.close().catch(() => undefined);
    this.reader = null;
    // A connection the server closed (a packet too large, a kill) cannot drop the shadows: a new one does.
    if (this.connection && !(await this.connection.query('DO 1').then(() => true, () => false))) {
      this.connection.destroy();
      this.connection = null;
      this.shadows.clear();
    }
    if (!this.connection) this.connection = await this.openConnection().catch(() => null);
    if (this.connection) {
      const sql = this.sql;
      const present = await baseTables(sql).catch(() => new Set<string>());
      for (const shadow of this.shadows.values()) {
        if (present.has(shadow.name)) await sql.query(`DROP TABLE IF EXISTS ${quoteIdentifier(shadow.name)}`).catch(() => undefined);
      }
      await sql.query(`DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE job_id = ?`, [this.id]).catch(() => undefined);
      await sql.query('DO RELEASE_ALL_LOCKS()').catch(() => undefined);
      this.connection.destroy();
      this.connection = null;
    }
    this.shadows.clear();
    await this.handle.close().catch(() => undefined);
  }

  /** Lets go of the connection (end of a request's work, or the process is stopping: the job can resume later). */
  async close(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.reader?.close().catch(() => undefined);
    this.reader = null;
    await this.connection?.query('DO RELEASE_ALL_LOCKS()').catch(() => undefined);
    this.connection?.destroy();
    this.connection = null;
    if (this.phase === 'done') await this.handle.close().catch(() => undefined);
  }

  /** Closes the file too (the job is over or forgotten). */
  async release(): Promise<void> {
    await this.close();
    await this.handle.close().catch(() => undefined);
  }
}

/** The database's tables (views have names in the same list, but a dump's DROP TABLE never touches them). */
async function baseTables(sql: Sql): Promise<Set<string>> {
  const [rows] = await sql.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
  );
  return new Set((rows as Array<{ name: string }>).map((row) => row.name));
}

// The state is ASCII JSON (non-ASCII escaped as \uXXXX), so it survives the binary path of the restore connection unchanged.
function literalJson(value: unknown): string {
  const json = JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return "'" + json.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

function statementError(line: number, error: unknown): unknown {
  if (isConnectionLost(error)) return error;
  const message = (error as { sqlMessage?: string }).sqlMessage ?? (error as Error).message;
  return new UserError('error_statement', [line, message]);
}

/**
 * Puts the kept tables of the last restore back, in one RENAME TABLE, and drops what the restore had written. `sql`
 * talks UTF-8 (the undo runs on an ordinary connection). The record in `undoFile` carries the swap's snapshot from
 * just before the RENAME until the swap is over: a failing step puts everything back at once, a stopped process is put
 * back by {@link recoverUndo}. When done, the record is removed (there is nothing left to undo).
 */
export async function undoRestore(sql: Sql, record: UndoRecord, undoFile: string): Promise<void> {
  if (record.undoing) await recoverUndo(sql, undoFile);
  const renames: Array<[string, string]> = [];
  const awayToLive = new Map<string, string>();
  const drops: string[] = [];
  const present = await baseTables(sql);
  for (const { live, kept } of record.tables) {
    const discard = reservedName('n', live);
    await sql.query(`DROP TABLE IF EXISTS ${quoteIdentifier(discard)}`);
    // A table the restore removed (the file dropped it) has no live copy to set aside.
    if (present.has(live)) renames.push([live, discard]);
    if (kept) {
      renames.push([kept, live]);
      awayToLive.set(discard, live);
    }
    drops.push(quoteIdentifier(discard));
  }
  // The restored tables give their keys up; the kept tables get back the keys they had before the restore.
  const plan = { renames, awayToLive, fromFile: new Set<string>(), keepKeysOf: new Set<string>(), constraintNames: new Map<string, string>(), restoreKeys: record.foreignKeys ?? [] };
  const snapshot = await snapshotForSwap(sql, plan);
  await writeJsonFile(undoFile, { ...record, undoing: snapshot });
  try {
    await swapTables(sql, plan, snapshot);
  } catch (error) {
    if (!isConnectionLost(error)) await recoverUndo(sql, undoFile);
    throw error;
  }
  await fs.rm(undoFile, { force: true });
  await sql.query(`DROP TABLE IF EXISTS ${drops.join(', ')}`);
}

/** An undo that stopped half way (its record still carries the snapshot) is put back as before it; the record stays. */
export async function recoverUndo(sql: Sql, undoFile: string): Promise<void> {
  const record = await readJsonFile<UndoRecord>(undoFile);
  if (!record?.undoing) return;
  await rollbackSwap(sql, record.undoing);
  const { undoing: _done, ...rest } = record;
  await writeJsonFile(undoFile, rest);
}

export { quoteName };

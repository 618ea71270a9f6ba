// One backup as a resumable job: a read-only snapshot held across requests, rows read by key cursor, INSERT lines into `<name>.sql.part`.
import path from 'node:path';
import { closeSync, openSync, writeSync, linkSync, rmSync, fsyncSync, ftruncateSync } from 'node:fs';
import type { Connection as CoreConnection } from 'mysql2';
import type { Connection } from '../db.ts';
import { quoteIdentifier } from '../db.ts';
import { SqlBuffer, literalText } from './literal.ts';
import { streamRawRows, type RawRow } from './raw-rows.ts';
import type { TablePlan, ColumnPlan } from '../../../admin/model/tool/backup.ts';
import { UserError } from '../../engine/errors.ts';

/** OpenCart's line-based restore reads whole lines; ~1 MB lines keep it and the mysql client comfortable. */
// OpenCart's own restore reads the file with fgets($handle, 1000000): a longer line comes in two pieces and the second
// is not an INSERT, so it is skipped. Lines of several rows stay below that (a single longer row cannot).
const LINE_TARGET_BYTES = 960 * 1024;
/** Rows per keyset page: large pages amortise the query, streaming keeps memory flat whatever the page holds. */
const PAGE_ROWS_MIN = 1000;
const PAGE_ROWS_MAX = 50000;

export const TOOL_NAME = 'OpenCart Backup & Restore';
export const TOOL_VERSION = '1.0.0';
/** First line of every file this tool writes; restore uses it to require our completion footer. */
export const HEADER_MARK = `-- ${TOOL_NAME} `;
export const FOOTER_MARK = '-- Backup completed';
// Same length, so the header line can be overwritten in place when a lost connection forces a second snapshot.
const CONSISTENT_LINE = '-- Consistent snapshot: yes (one read-only transaction for all tables)';
const INCONSISTENT_LINE = '-- Consistent snapshot: NO (connection lost; later pages were read later)'.padEnd(CONSISTENT_LINE.length, ' ');


export interface BackupJobInfo {
  database: string;
  serverVersion: string;
  maxPacket: number;
  includeCreateTable: boolean;
}

export interface BackupProgress {
  done: boolean;
  table: string;
  tableRowsDone: number;
  tableRowsEstimate: number;
  rowsDone: number;
  rowsEstimate: number;
}

interface TableState {
  plan: TablePlan;
  started: boolean;
  rows: number;
  /** Last key values written, as SQL literals; null before the first page. */
  cursor: string[] | null;
  /** File size when the table's rows began. */
  startOffset: number;
}

/**
 * Holds a `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` on its own connection, so every page of every table reads
 * one moment of the database while the shop keeps writing.
 */
export class BackupJob {
  private readonly out = new SqlBuffer();
  private readonly tables: TableState[];
  private tableIndex = 0;
  private fd: number | null;
  private lineRows = 0;
  private pageRows = 5000;
  private pageTargetMs = 250;
  private closed = false;
  private consistentLineOffset = 0;
  /** False once a lost connection made the job open a second snapshot. */
  consistent = true;
  /** Bytes written to the file so far: a table read without a key starts again from here after a lost connection. */
  private written = 0;

  constructor(
    private connection: Connection,
    plans: TablePlan[],
    readonly partPath: string,
    private finalPath: string,
    private readonly info: BackupJobInfo,
    startedAt: Date,
  ) {
    this.tables = plans.map((plan) => ({ plan, started: false, rows: 0, cursor: null, startOffset: 0 }));
    // 'wx': two backups in the same second never share a file (OpenCart interleaved them).
    this.fd = openSync(partPath, 'wx', 0o600);
    this.writeHeader(startedAt);
  }

  get rowsEstimate(): number {
    return this.tables.reduce((sum, table) => sum + Math.max(table.rows, table.plan.estimatedRows), 0);
  }

  private get rowsDone(): number {
    return this.tables.reduce((sum, table) => sum + table.rows, 0);
  }

  private writeHeader(startedAt: Date): void {
    const lines = [
      `${HEADER_MARK}${TOOL_VERSION}`,
      `-- Database: ${commentText(this.info.database)} on MariaDB/MySQL ${this.info.serverVersion}`,
      `-- Started: ${formatUtc(startedAt)} UTC`,
      `-- Tables: ${this.tables.map((t) => commentText(t.plan.name)).join(', ')}`,
      CONSISTENT_LINE,
      '',
      // The mysql client defaults to utf8mb3 on Debian and fails on 4-byte characters without this.
      'SET NAMES utf8mb4;',
      // Values of TIMESTAMP columns were read in UTC.
      "SET time_zone = '+00:00';",
      // Zero in an AUTO_INCREMENT column stays zero; no strict mode, so zero dates the table holds load again.
      "SET SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';",
      'SET FOREIGN_KEY_CHECKS = 0;',
      'SET UNIQUE_CHECKS = 0;',
      '',
      '',
    ];
    const text = lines.join('\n');
    this.consistentLineOffset = Buffer.byteLength(text.slice(0, text.indexOf(CONSISTENT_LINE)));
    this.out.utf8(text);
    this.flush();
  }

  /** Marks the file as not read from one snapshot; the header line keeps its length. */
  private markInconsistent(): void {
    writeSync(this.fd as number, Buffer.from(INCONSISTENT_LINE), 0, INCONSISTENT_LINE.length, this.consistentLineOffset);
    this.consistent = false;
  }

  private writeTableStart(table: TableState): void {
    const name = quoteIdentifier(table.plan.name);
    this.out.utf8(`-- Table ${commentText(name)}\n`);
    if (this.info.includeCreateTable) {
      this.out.utf8(table.plan.createStatement.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ') + ';\n\n');
    }
    this.out.utf8(`TRUNCATE TABLE ${name};\n`);
    this.flush();
  }

  private insertHead(plan: TablePlan): string {
    return `INSERT INTO ${quoteIdentifier(plan.name)} (${plan.columns.map((c) => quoteIdentifier(c.name)).join(', ')}) VALUES `;
  }

  /** Encodes one row, ending the current INSERT line first when the row would take it past ~1 MB. */
  private appendRow(plan: TablePlan, row: RawRow): void {
    const out = this.out;
    if (this.lineRows === 0) out.utf8(this.insertHead(plan));
    else out.byte(0x2c);
    const rowStart = out.length;
    out.byte(0x28);
    const columns = plan.columns;
    const { buffer, starts, ends } = row;
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) out.byte(0x2c);
      out.literalRange(buffer, starts[i], ends[i], columns[i].kind);
    }
    out.byte(0x29);
    this.lineRows++;
    if (out.length > LINE_TARGET_BYTES && this.lineRows > 1) {
      const row = Buffer.from(out.bytes.subarray(rowStart, out.length));
      out.length = rowStart - 1; // drop the comma before it
      this.lineRows--;
      this.endLine();
      out.utf8(this.insertHead(plan));
      out.raw(row);
      this.lineRows = 1;
    }
  }

  private endLine(): void {
    if (this.lineRows === 0) return;
    this.out.ascii(';\n');
    if (this.lineRows === 1 && this.out.length > this.info.maxPacket) {
      throw new UserError('error_packet', [this.tables[this.tableIndex].plan.name, this.out.length, this.info.maxPacket]);
    }
    this.lineRows = 0;
    this.flush();
  }

  private flush(): void {
    if (this.fd === null) throw new Error('backup file is closed');
    let offset = 0;
    while (offset < this.out.length) offset += writeSync(this.fd, this.out.bytes, offset, this.out.length - offset);
    this.written += this.out.length;
    this.out.clear();
  }

  /**
   * Works until `deadline` (ms since epoch) or the end; an unfinished table continues from its cursor next time.
   * If the connection is lost (killed, server restarted), it reconnects once per request through `reconnect`, opens a new
   * snapshot, marks the file as not consistent, and goes on from the cursor.
   */
  async advance(deadline: number, reconnect?: () => Promise<Connection>): Promise<BackupProgress> {
    let retried = false;
    // A page takes about a quarter of the request's budget, so a request ends close to its deadline.
    this.pageTargetMs = clamp((deadline - Date.now()) / 4, 10, 250);
    while (this.tableIndex < this.tables.length) {
      const table = this.tables[this.tableIndex];
      if (!table.started) {
        this.writeTableStart(table);
        table.started = true;
        table.startOffset = this.written;
      }
      let finished: boolean;
      try {
        finished = table.plan.key && table.plan.transactional ? await this.readKeyedPage(table) : await this.readWholeTable(table);
      } catch (error) {
        if (!reconnect || retried || !isConnectionLost(error)) throw error;
        retried = true;
        await this.resumeOnNewConnection(table, reconnect);
        continue;
      }
      if (finished) {
        this.endLine();
        // The file's TRUNCATE reset the counter: ids the shop handed out before the backup are not handed out again.
        if (table.plan.autoIncrement !== null) this.out.utf8(`ALTER TABLE ${quoteIdentifier(table.plan.name)} AUTO_INCREMENT = ${table.plan.autoIncrement};\n`);
        this.out.ascii('\n');
        this.flush();
        this.tableIndex++;
      }
      if (Date.now() >= deadline) break;
    }
    const done = this.tableIndex >= this.tables.length;
    if (done) await this.finish();
    const current = this.tables[Math.min(this.tableIndex, this.tables.length - 1)];
    return {
      done,
      table: current.plan.name,
      tableRowsDone: current.rows,
      tableRowsEstimate: Math.max(current.rows, current.plan.estimatedRows),
      rowsDone: this.rowsDone,
      rowsEstimate: this.rowsEstimate,
    };
  }

  private async resumeOnNewConnection(table: TableState, reconnect: () => Promise<Connection>): Promise<void> {
    this.connection.destroy();
    this.connection = await reconnect();
    await startSnapshot(this.connection);
    this.markInconsistent();
    if (!table.plan.key) {
      // Rows of a table without a key cannot be resumed part way: write that table again from its start.
      this.out.clear();
      ftruncateSync(this.fd as number, table.startOffset);
      this.written = table.startOffset;
      this.lineRows = 0;
      table.rows = 0;
    }
  }

  // Keyset paging: WHERE key > last key ORDER BY key: each page costs the same wherever it starts (OpenCart's LIMIT offset grew quadratically).
  private async readKeyedPage(table: TableState): Promise<boolean> {
    const plan = table.plan;
    const key = plan.key as string[];
    // The cursor's values are selected after the row's columns; literals of numbers (ENUM/SET as member numbers) or of the column's kind.
    const keyPositions = key.map((_, k) => plan.columns.length + k);
    const keyKinds = key.map((name, k) =>
      plan.cursorExpressions[k].endsWith('+0') ? ('number' as const) : (plan.columns.find((c) => c.name === name) as ColumnPlan).kind,
    );
    const where = table.cursor ? ` WHERE ${cursorCondition(key.map(quoteIdentifier), table.cursor)}` : '';
    const limit = this.pageRows;
    const sql =
      `SELECT ${[...plan.columns.map((c) => c.selectExpression), ...plan.cursorExpressions].join(', ')} FROM ${quoteIdentifier(plan.name)}${where}` +
      ` ORDER BY ${key.map(quoteIdentifier).join(', ')} LIMIT ${limit}`;
    const started = Date.now();
    let rows = 0;
    // Where the last row's key values are; copied into the cursor once, at the end of the page.
    let lastBuffer: Buffer | null = null;
    const lastStarts = new Int32Array(keyPositions.length);
    const lastEnds = new Int32Array(keyPositions.length);
    try {
      await this.stream(sql, plan.columns.length + key.length, (row) => {
        this.appendRow(plan, row);
        lastBuffer = row.buffer;
        for (let k = 0; k < keyPositions.length; k++) {
          lastStarts[k] = row.starts[keyPositions[k]];
          lastEnds[k] = row.ends[keyPositions[k]];
        }
        rows++;
      });
    } finally {
      // Also after a failure: the rows appended so far are in the file, and the cursor must say so.
      table.rows += rows;
      const source = lastBuffer as Buffer | null;
      if (source) table.cursor = keyPositions.map((_, k) => literalText(Buffer.from(source.subarray(lastStarts[k], lastEnds[k])), keyKinds[k]));
    }
    const finished = rows < limit;
    const elapsed = Math.max(1, Date.now() - started);
    if (!finished) this.pageRows = clamp(Math.round((rows * this.pageTargetMs) / elapsed), PAGE_ROWS_MIN, PAGE_ROWS_MAX);
    return finished;
  }

  // A table without a usable key has no stable order to resume from, and a MyISAM/Aria table is outside the snapshot, so
  // each is read in one streamed pass (one statement sees one state of it):
  // memory stays flat because rows are written as they arrive; the request lasts as long as the table takes.
  private async readWholeTable(table: TableState): Promise<boolean> {
    const plan = table.plan;
    const sql = `SELECT ${plan.columns.map((c) => c.selectExpression).join(', ')} FROM ${quoteIdentifier(plan.name)}`;
    await this.stream(sql, plan.columns.length, (row) => {
      this.appendRow(plan, row);
      table.rows++;
    });
    return true;
  }

  private stream(sql: string, columnCount: number, onRow: (row: RawRow) => void): Promise<void> {
    return streamRawRows(coreConnection(this.connection), sql, columnCount, onRow);
  }

  private async finish(): Promise<void> {
    this.out.utf8(`${FOOTER_MARK}: ${formatUtc(new Date())} UTC\n`);
    for (const table of this.tables) this.out.utf8(`-- Rows ${commentText(quoteIdentifier(table.plan.name))}: ${table.rows}\n`);
    this.out.utf8('-- End of backup\n');
    this.flush();
    fsyncSync(this.fd as number);
    closeSync(this.fd as number);
    this.fd = null;
    this.publish();
    await this.release();
  }

  /** The finished file's name (another than planned when a file took the planned name while the backup ran). */
  get fileName(): string {
    return path.basename(this.finalPath);
  }

  /**
   * Gives the finished file its name without ever replacing a file that took that name meanwhile (an upload, a copy by
   * hand): link() fails on an existing name, atomically; the backup then takes `<name> (2).sql`, `(3)`...
   */
  private publish(): void {
    const planned = this.finalPath;
    for (let n = 2; ; n++) {
      try {
        linkSync(this.partPath, this.finalPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        this.finalPath = `${planned.slice(0, -'.sql'.length)} (${n}).sql`;
      }
    }
    rmSync(this.partPath);
  }

  /** Stops the job: releases the snapshot, and removes the unfinished file. */
  async abort(): Promise<void> {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      rmSync(this.partPath, { force: true });
    }
    await this.release();
  }

  private async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // Released before the reply goes out, so the next job (a restore right after) finds the database free.
      await this.connection.query('ROLLBACK');
      await this.connection.query('DO RELEASE_ALL_LOCKS()');
    } catch {
      // The connection may already be gone; ending it below is all that is left to do.
    }
    this.connection.destroy();
  }
}

/** `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...`: spelled out because MariaDB does not use an index for row-value comparisons. */
function cursorCondition(expressions: string[], cursor: string[]): string {
  const terms: string[] = [];
  for (let i = 0; i < expressions.length; i++) {
    const equal = expressions.slice(0, i).map((expression, j) => `${expression} = ${cursor[j]}`);
    terms.push('(' + [...equal, `${expressions[i]} > ${cursor[i]}`].join(' AND ') + ')');
  }
  return terms.join(' OR ');
}

/** A `-- ` comment ends at the line's end: a name holding CR or LF (MariaDB allows it) must not spill into SQL. */
function commentText(text: string): string {
  return text.replace(/[\r\n]/g, '?');
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function formatUtc(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** Opens the snapshot every page of one backup reads from. */
export async function startSnapshot(connection: Connection): Promise<void> {
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

// The promise wrapper hides mysql2's streaming query events; the callback connection underneath has them.
function coreConnection(connection: Connection): CoreConnection {
  return (connection as unknown as { connection: CoreConnection }).connection;
}

/** A connection that is gone (killed, timed out, server restarted), as opposed to an error of the statement. */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { fatal?: boolean; code?: string; errno?: number } | null;
  if (!e) return false;
  // 1927: ER_CONNECTION_KILLED; 2006/2013: server gone away / lost connection.
  return e.fatal === true || ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_CONNECTION_KILLED'].includes(String(e.code)) || [1927, 2006, 2013].includes(Number(e.errno));
}

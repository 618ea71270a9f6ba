// What a dump holds, for the restore confirmation: the tables it writes, with row counts where the file tells them. Read
// with the restore's own tokenizer and parser, so the dialog lists what a restore would write.
import { DumpReader, openDumpHandle, READER_PAUSED } from './reader.ts';
import { StatementParser, StatementRefused } from './statement.ts';
import { SessionModel } from './restore-session.ts';
import { openBackupForRead } from './backup-file.ts';
import { isOwnBackup, hasCompletionFooter, checkLooksLikeSql, readError, uncompressedLength, type RestoreRules } from './restore-job.ts';
import type { FileHandle } from 'node:fs/promises';

export interface TableContents {
  name: string;
  /** Exact for this tool's backups (from the footer), counted row tuples for other dumps. */
  rows: number | null;
  /** True when `rows` is exact. */
  exact: boolean;
}

export interface FileContents {
  tables: TableContents[];
  /** False when reading stopped at the deadline: more tables may follow in the file. */
  complete: boolean;
}

/** Longest statement inspect buffers (a statement longer than this cannot be restored anyway: max_allowed_packet). */
const MAX_STATEMENT = 1024 * 1024 * 1024;

/**
 * Our own backups list their row counts in the footer; other dumps are read, counting the rows of each INSERT, until
 * `deadline` (ms since epoch): a request for the restore dialog must not hang on a dump of several gigabytes. Statements a
 * restore would refuse or skip are left out; tables without the shop's prefix or protected ones are not listed.
 */
export async function tablesInFile(path: string, rules: RestoreRules, deadline = Infinity, maxStatementBytes = MAX_STATEMENT): Promise<FileContents> {
  const { handle, size } = await openBackupForRead(path);
  try {
    if ((await isOwnBackup(handle)) && (await hasCompletionFooter(handle))) return { tables: await tablesFromFooter(handle), complete: true };
    await checkLooksLikeSql(handle, size);
    // A gzip file may not hold more than its trailer says, as for the restore.
    const { length, gzip } = await uncompressedLength(handle, size);
    return await countTables(handle, rules, deadline, maxStatementBytes, gzip ? length : Infinity).catch((error: unknown) => {
      throw readError(error);
    });
  } finally {
    await handle.close();
  }
}

async function countTables(handle: FileHandle, rules: RestoreRules, deadline: number, maxStatementBytes: number, maxDecompressed: number): Promise<FileContents> {
  const tables = new Map<string, TableContents>();
  const session = new SessionModel();
  const reader = new DumpReader(await openDumpHandle(handle, 0, maxDecompressed), {}, { mode: session.lexerMode(101100), maxStatementBytes });
  const parser = new StatementParser(rules.database);
  const protectedNames = new Set(rules.protectedTables.map((name) => name.toLowerCase()));
  const listed = (table: string): boolean => table.startsWith(rules.prefix) && !protectedNames.has(table.toLowerCase()) && !table.startsWith('_bkr_');
  // A list that stops before its first table offers no choice: the reading goes on past the deadline until one is found,
  // up to five times the time given (a dump's header of comments and settings can take long on a busy server).
  const lastChance = deadline + 4 * Math.max(0, deadline - Date.now());
  try {
    for (;;) {
      const until = tables.size > 0 ? deadline : lastChance;
      if (Date.now() > until) return { tables: [...tables.values()], complete: false };
      const scanned = await reader.nextWithin(until);
      if (scanned === READER_PAUSED) return { tables: [...tables.values()], complete: false };
      if (!scanned) break;
      try {
        const statement = parser.parse(scanned.sql, scanned.tokens, reader.mode.backslashEscapes);
        if (statement.kind === 'set') {
          session.apply(statement.assignments);
          Object.assign(reader.mode, session.lexerMode(101100));
          continue;
        }
        const names = statement.kind === 'drop_table' ? statement.tables : 'table' in statement ? [statement.table] : [];
        for (const name of names.filter(listed)) {
          const entry = tables.get(name) ?? { name, rows: 0, exact: false };
          if (statement.kind === 'insert') entry.rows = (entry.rows ?? 0) + statement.rows;
          tables.set(name, entry);
        }
      } catch (error) {
        // The restore will name the refused statement; the dialog lists what it can.
        if (!(error instanceof StatementRefused)) throw error;
      }
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
  return { tables: [...tables.values()], complete: true };
}

const ROWS_MARK = '-- Rows `';

/** Reads our footer's `-- Rows `name`: n` lines (plain string work: no pattern runs over file content). */
async function tablesFromFooter(handle: FileHandle): Promise<TableContents[]> {
  const size = (await handle.stat()).size;
  const tailSize = Math.min(size, 4 * 1024 * 1024);
  const tail = Buffer.alloc(tailSize);
  await handle.read(tail, 0, tailSize, size - tailSize);
  const text = tail.toString('utf8');
  const footer = text.slice(text.lastIndexOf('\n-- Backup completed'));
  const tables: TableContents[] = [];
  for (const line of footer.split('\n')) {
    if (!line.startsWith(ROWS_MARK)) continue;
    const close = line.lastIndexOf('`: ');
    if (close < ROWS_MARK.length) continue;
    const count = line.slice(close + 3);
    if (count === '' || [...count].some((c) => c < '0' || c > '9')) continue;
    tables.push({ name: line.slice(ROWS_MARK.length, close).split('``').join('`'), rows: Number(count), exact: true });
  }
  return tables;
}

// What a dump holds, for the restore confirmation: the tables it writes, with row counts where the file tells them.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { readStatements, openDumpStream } from './reader.ts';
import { checkStatement, type GuardOptions } from './guard.ts';
import { isOwnBackup, hasCompletionFooter } from './restore-job.ts';

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

/**
 * Our own backups list their row counts in the footer; other dumps are read, counting the row tuples of each INSERT,
 * until `deadline` (ms since epoch): a request for the restore dialog must not hang on a dump of several gigabytes.
 */
export async function tablesInFile(path: string, guard: GuardOptions, deadline = Infinity): Promise<FileContents> {
  if (isOwnBackup(path) && hasCompletionFooter(path)) return { tables: tablesFromFooter(path), complete: true };
  const tables = new Map<string, TableContents>();
  let complete = true;
  const statements = readStatements(await openDumpStream(path));
  for await (const statement of statements) {
    if (Date.now() > deadline) {
      complete = false;
      await statements.return(undefined as never);
      break;
    }
    const verdict = checkStatement(statement.sql, guard);
    if (verdict.verdict !== 'allow') continue;
    if (!['create_table', 'truncate', 'insert', 'replace', 'drop_table'].includes(verdict.kind)) continue;
    for (const name of verdict.tables) {
      const entry = tables.get(name) ?? { name, rows: 0, exact: false };
      if (verdict.kind === 'insert' || verdict.kind === 'replace') entry.rows = (entry.rows ?? 0) + countRowTuples(statement.sql);
      tables.set(name, entry);
    }
  }
  return { tables: [...tables.values()], complete };
}

function tablesFromFooter(path: string): TableContents[] {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailSize = Math.min(size, 4 * 1024 * 1024);
    const tail = Buffer.alloc(tailSize);
    readSync(fd, tail, 0, tailSize, size - tailSize);
    const text = tail.toString('utf8');
    const footer = text.slice(text.lastIndexOf('\n-- Backup completed'));
    const tables: TableContents[] = [];
    for (const match of footer.matchAll(/^-- Rows `((?:[^`]|``)+)`: (\d+)$/gm)) {
      tables.push({ name: match[1].replace(/``/g, '`'), rows: Number(match[2]), exact: true });
    }
    return tables;
  } finally {
    closeSync(fd);
  }
}

// Counts "(" that open a row after VALUES, outside quotes: close enough for an estimate, exact for dumps without "),(" in strings.
function countRowTuples(sql: Buffer): number {
  const values = sql.indexOf('VALUES') >= 0 ? sql.indexOf('VALUES') : sql.indexOf('values');
  if (values < 0) return 0;
  let rows = 0;
  let depth = 0;
  let quote = 0;
  for (let i = values + 6; i < sql.length; i++) {
    const byte = sql[i];
    if (quote) {
      if (byte === 0x5c) i++;
      else if (byte === quote) quote = 0;
      continue;
    }
    if (byte === 0x27 || byte === 0x22) quote = byte;
    else if (byte === 0x28) {
      if (depth === 0) rows++;
      depth++;
    } else if (byte === 0x29) depth--;
  }
  return rows;
}

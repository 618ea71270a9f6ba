// SQL for tool/backup: which tables exist, how to read them, and what the server allows.
import type { Pool, Connection } from '../../../system/library/db.ts';
import { quoteIdentifier } from '../../../system/library/db.ts';
import { literalKindOf, isIntroducedHex, type LiteralKind } from '../../../system/library/backup/literal.ts';

type Queryable = Pool | Connection;

/**
 * Tables a backup or restore must never touch (SPEC §6): OpenCart 4.1's list, which includes 4.0's, and `session`:
 * OpenCart's admin keeps its sign-ins there (db engine), so restoring it would sign out everyone who signed in after the
 * backup (the admin running the restore too) and bring back sessions that had signed out. Likewise `api_session`
 * (API sign-ins) and `customer_login` (failed customer logins: an old copy would lift a lockout).
 */
export const PROTECTED_TABLE_NAMES = ['user', 'user_group', 'user_login', 'user_authorize', 'user_token', 'task', 'session', 'api_session', 'customer_login'];

/** Names this module gives its own shadow and undo tables; never listed, never accepted. */
export const RESERVED_TABLE_PREFIX = '_bkr_';

export function protectedTables(prefix: string): string[] {
  return PROTECTED_TABLE_NAMES.map((name) => prefix + name);
}

export interface TableSummary {
  name: string;
  estimatedRows: number;
}

export interface ColumnPlan {
  name: string;
  kind: LiteralKind;
  /** What to SELECT: FLOAT goes through DOUBLE because the server prints FLOAT with 6 digits, which does not round-trip. */
  selectExpression: string;
}

export interface TablePlan {
  name: string;
  columns: ColumnPlan[];
  /** Columns of the primary key, or of a unique key whose columns are all NOT NULL; null: no such key. */
  key: string[] | null;
  /**
   * What the key cursor remembers, one per key column, selected after `columns`. ENUM and SET sort by their member number
   * but compare with a string by text, so their cursor is the number (`col+0`), which `col > n` compares by number too.
   */
  cursorExpressions: string[];
  estimatedRows: number;
  createStatement: string;
  /** The table's next AUTO_INCREMENT value (null without one): written after its rows, since TRUNCATE resets it. */
  autoIncrement: number | null;
  /**
   * The engine keeps a snapshot (InnoDB). Others (MyISAM, Aria) are outside the backup's consistent snapshot, so they are
   * read in one statement rather than page by page across requests.
   */
  transactional: boolean;
}

/** Base tables of this database the page may offer: with the prefix, not protected, not our own. */
export async function listTables(db: Queryable, database: string, prefix: string): Promise<TableSummary[]> {
  const [rows] = await db.query(
    `SELECT TABLE_NAME AS name, COALESCE(TABLE_ROWS, 0) AS estimatedRows FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [database],
  );
  const hidden = new Set(protectedTables(prefix));
  return (rows as Array<{ name: string; estimatedRows: string | number }>)
    .filter((row) => row.name.startsWith(prefix) && !hidden.has(row.name) && !row.name.startsWith(RESERVED_TABLE_PREFIX))
    .map((row) => ({ name: row.name, estimatedRows: Number(row.estimatedRows) }));
}

type ColumnRow = { table: string; name: string; dataType: string; characterSet: string | null; generated: string };
type IndexRow = { table: string; indexName: string; columnName: string; nullable: string; subPart: number | null };

/** How to read each table: three information_schema queries for all of them, and SHOW CREATE TABLE for each. */
export async function describeTables(db: Queryable, database: string, tables: string[]): Promise<TablePlan[]> {
  const [columnRows] = await db.query(
    `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, DATA_TYPE AS dataType, CHARACTER_SET_NAME AS characterSet, IS_GENERATED AS generated
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [database, tables],
  );
  const [indexRows] = await db.query(
    `SELECT TABLE_NAME AS \`table\`, INDEX_NAME AS indexName, COLUMN_NAME AS columnName, NULLABLE AS nullable, SUB_PART AS subPart
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND NON_UNIQUE = 0
      ORDER BY TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [database, tables],
  );
  const [statusRows] = await db.query(
    `SELECT TABLE_NAME AS \`table\`, COALESCE(TABLE_ROWS, 0) AS estimatedRows, AUTO_INCREMENT AS autoIncrement, ENGINE AS engine
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)`,
    [database, tables],
  );
  const status = new Map((statusRows as StatusRow[]).map((row) => [row.table, row]));
  const plans: TablePlan[] = [];
  for (const table of tables) {
    const [createRows] = await db.query(`SHOW CREATE TABLE ${quoteIdentifier(table)}`);
    plans.push(
      planTable(
        table,
        (columnRows as ColumnRow[]).filter((row) => row.table === table),
        (indexRows as IndexRow[]).filter((row) => row.table === table),
        status.get(table),
        (createRows as Array<Record<string, string>>)[0]['Create Table'],
      ),
    );
  }
  return plans;
}

interface StatusRow {
  table: string;
  estimatedRows: number | string;
  autoIncrement: number | string | null;
  engine: string | null;
}

function planTable(name: string, columnList: ColumnRow[], indexRows: IndexRow[], status: StatusRow | undefined, createStatement: string): TablePlan {
  // Generated columns are computed by the server; an INSERT that names them fails.
  const columns: ColumnPlan[] = columnList
    .filter((column) => column.generated !== 'ALWAYS')
    .map((column) => {
      const kind = literalKindOf(column.dataType, column.characterSet);
      const quoted = quoteIdentifier(column.name);
      // FLOAT through DOUBLE prints every stored bit; text in another character set than UTF-8 as its stored bytes (the
      // connection's conversion to utf8mb4 would turn bytes without a Unicode mapping into "?").
      const selectExpression = column.dataType === 'float' ? `CAST(${quoted} AS DOUBLE)` : isIntroducedHex(kind) ? `CAST(${quoted} AS BINARY)` : quoted;
      return { name: column.name, kind, selectExpression };
    });
  const key = chooseKey(indexRows, columns);
  const numberedTypes = new Set(columnList.filter((c) => c.dataType === 'enum' || c.dataType === 'set').map((c) => c.name));
  const cursorExpressions = (key ?? []).map((column) => (numberedTypes.has(column) ? `${quoteIdentifier(column)}+0` : quoteIdentifier(column)));
  return {
    name,
    columns,
    key,
    cursorExpressions,
    estimatedRows: Number(status?.estimatedRows ?? 0),
    createStatement,
    autoIncrement: status?.autoIncrement == null ? null : Number(status.autoIncrement),
    transactional: String(status?.engine ?? 'InnoDB').toUpperCase() === 'INNODB',
  };
}

// A cursor needs a total order with no ties: the primary key, else a unique key over NOT NULL columns only,
// without prefix parts (a prefix index does not order whole values) and not on a generated or FLOAT column.
function chooseKey(rows: IndexRow[], columns: ColumnPlan[]): string[] | null {
  const usable = new Map(columns.filter((c) => !c.selectExpression.startsWith('CAST(')).map((c) => [c.name, c]));
  const byIndex = new Map<string, typeof rows>();
  for (const row of rows) byIndex.set(row.indexName, [...(byIndex.get(row.indexName) ?? []), row]);
  for (const indexColumns of byIndex.values()) {
    if (indexColumns.every((c) => c.nullable !== 'YES' && c.subPart === null && usable.has(c.columnName))) {
      return indexColumns.map((c) => c.columnName);
    }
  }
  return null;
}

export async function maxAllowedPacket(db: Queryable): Promise<number> {
  const [rows] = await db.query('SELECT @@max_allowed_packet AS size');
  return Number((rows as Array<{ size: number }>)[0].size);
}

export async function serverVersion(db: Queryable): Promise<string> {
  const [rows] = await db.query('SELECT VERSION() AS version');
  return (rows as Array<{ version: string }>)[0].version;
}

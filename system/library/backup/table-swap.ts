// Swapping whole tables with RENAME TABLE, and what RENAME does not carry over: triggers stay with the renamed-away
// table, foreign keys of other tables follow it (InnoDB re-points them to its new name), and constraint names are unique
// per database (a shadow cannot hold the live table's names: errno 121). After the rename, this module puts the shop's
// triggers and foreign keys back on the tables that now hold the live names.
import type { Connection } from '../db.ts';
import { quoteIdentifier } from '../db.ts';
import { RESERVED_TABLE_PREFIX } from '../../../admin/model/tool/backup.ts';

/** One foreign key, as information_schema describes it. */
export interface ForeignKey {
  table: string;
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  updateRule: string;
  deleteRule: string;
}

/** Temporary names for the named foreign keys of shadow tables, so they never collide with the live tables' names. */
export const TEMPORARY_CONSTRAINT_PREFIX = `${RESERVED_TABLE_PREFIX}f_`;

export async function foreignKeys(connection: Connection): Promise<ForeignKey[]> {
  const [rows] = await connection.query(
    `SELECT k.TABLE_NAME AS tableName, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS columnName,
            k.REFERENCED_TABLE_NAME AS referencedTable, k.REFERENCED_COLUMN_NAME AS referencedColumn,
            r.UPDATE_RULE AS updateRule, r.DELETE_RULE AS deleteRule
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
      WHERE k.CONSTRAINT_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );
  const keys = new Map<string, ForeignKey>();
  for (const row of rows as Array<Record<string, string>>) {
    const id = `${row.tableName}\u0000${row.name}`;
    let key = keys.get(id);
    if (!key) {
      key = { table: row.tableName, name: row.name, columns: [], referencedTable: row.referencedTable, referencedColumns: [], updateRule: row.updateRule, deleteRule: row.deleteRule };
      keys.set(id, key);
    }
    key.columns.push(row.columnName);
    key.referencedColumns.push(row.referencedColumn);
  }
  return [...keys.values()];
}

function addForeignKeySql(table: string, key: ForeignKey, name: string, referencedTable: string): string {
  return (
    `ALTER TABLE ${quoteIdentifier(table)} ADD CONSTRAINT ${quoteIdentifier(name)} FOREIGN KEY (${key.columns.map(quoteIdentifier).join(', ')}) ` +
    `REFERENCES ${quoteIdentifier(referencedTable)} (${key.referencedColumns.map(quoteIdentifier).join(', ')}) ON DELETE ${key.deleteRule} ON UPDATE ${key.updateRule}`
  );
}

/** A trigger's CREATE statement as the server prints it, with the table it belongs to. */
export interface TriggerDefinition {
  table: string;
  name: string;
  sql: string;
}

export async function triggersOf(connection: Connection, tables: string[]): Promise<TriggerDefinition[]> {
  if (tables.length === 0) return [];
  const [rows] = await connection.query(
    'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE IN (?) ORDER BY ACTION_ORDER',
    [tables],
  );
  const triggers: TriggerDefinition[] = [];
  for (const row of rows as Array<{ name: string; tableName: string }>) {
    const [created] = await connection.query(`SHOW CREATE TRIGGER ${quoteIdentifier(row.name)}`);
    const sql = (created as Array<Record<string, string>>)[0]['SQL Original Statement'];
    triggers.push({ table: row.tableName, name: row.name, sql });
  }
  return triggers;
}

/**
 * Puts triggers back on their live table name after RENAME carried them away. The statements were read from the server
 * before the rename (never from a dump), so they already name the live table; the DEFINER clause is kept only when it is
 * the restore's own account, since naming another account needs a privilege a shop's database user does not have.
 */
async function recreateTriggers(connection: Connection, triggers: TriggerDefinition[]): Promise<void> {
  if (triggers.length === 0) return;
  const [userRows] = await connection.query('SELECT CURRENT_USER() AS user');
  const [user, host] = String((userRows as Array<{ user: string }>)[0].user).split('@');
  const ownDefiner = `DEFINER=${quoteIdentifier(user)}@${quoteIdentifier(host ?? '%')} `;
  for (const trigger of triggers) {
    await connection.query(`DROP TRIGGER IF EXISTS ${quoteIdentifier(trigger.name)}`);
    let sql = trigger.sql;
    if (!sql.includes(ownDefiner)) sql = sql.replace(/^CREATE DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*` /, 'CREATE ');
    await connection.query(sql);
  }
}

export interface SwapPlan {
  /** RENAME TABLE pairs, in order: [from, to] */
  renames: Array<[string, string]>;
  /** table renamed away → the live name it had (the kept table of a restore, the discarded one of an undo) */
  awayToLive: Map<string, string>;
  /** live names now held by tables whose definition came from the file (their temporary key names are put right) */
  fromFile: Set<string>;
  /** live names that must get back the foreign keys of the table renamed away (definition kept from the live table) */
  keepKeysOf: Set<string>;
  /** temporary constraint name → the name the file gave it */
  constraintNames: Map<string, string>;
  /** foreign keys to add after the swap (e.g. those an undo puts back), keyed by live table */
  restoreKeys?: ForeignKey[];
}

/** What the swap took off the tables renamed away: kept in the undo record so an undo can put it back. */
export interface SwapResult {
  removedKeys: ForeignKey[];
}

/**
 * RENAME TABLE in one statement (all or nothing), then triggers and foreign keys put right. Runs with
 * foreign_key_checks = 0, so adding keys does not re-check rows (the rows are the file's, as the file's own load would be).
 */
export async function swapTables(connection: Connection, plan: SwapPlan): Promise<SwapResult> {
  // Triggers of the tables about to be renamed away, read while they still carry the live names.
  // Only for live names that a table takes again (a table the file dropped keeps its triggers on the renamed-away copy).
  const takenAgain = new Set(plan.renames.map(([, to]) => to));
  const liveBefore = [...plan.awayToLive]
    .filter(([away, live]) => takenAgain.has(live) && plan.renames.some(([from, to]) => from === live && to === away))
    .map(([, live]) => live);
  const triggers = await triggersOf(connection, liveBefore);
  await connection.query('SET SESSION foreign_key_checks = 0');
  await connection.query(`RENAME TABLE ${plan.renames.map(([from, to]) => `${quoteIdentifier(from)} TO ${quoteIdentifier(to)}`).join(', ')}`);
  await recreateTriggers(connection, triggers);

  const keys = await foreignKeys(connection);
  const mapReference = (table: string): string => plan.awayToLive.get(table) ?? table;
  // 1. The tables renamed away give up their keys (their names are needed by the live tables).
  const removedKeys: ForeignKey[] = [];
  for (const key of keys.filter((k) => plan.awayToLive.has(k.table))) {
    await connection.query(`ALTER TABLE ${quoteIdentifier(key.table)} DROP FOREIGN KEY ${quoteIdentifier(key.name)}`);
    removedKeys.push({ ...key, table: plan.awayToLive.get(key.table) as string, referencedTable: mapReference(key.referencedTable) });
  }
  // 2. Keys with temporary names, or pointing at a table renamed away: rebuilt with the right name and target.
  for (const key of keys) {
    if (plan.awayToLive.has(key.table) || key.table.startsWith(RESERVED_TABLE_PREFIX)) continue;
    const name = originalConstraintName(key, plan);
    const target = mapReference(key.referencedTable);
    if (name === key.name && target === key.referencedTable) continue;
    await connection.query(`ALTER TABLE ${quoteIdentifier(key.table)} DROP FOREIGN KEY ${quoteIdentifier(key.name)}`);
    await connection.query(addForeignKeySql(key.table, key, name, target));
  }
  // 3. Tables that kept the live definition get the live table's keys back.
  const toAdd = [...removedKeys.filter((key) => plan.keepKeysOf.has(key.table)), ...(plan.restoreKeys ?? [])].filter((key) => takenAgain.has(key.table));
  for (const key of toAdd) await connection.query(addForeignKeySql(key.table, key, key.name, mapReference(key.referencedTable)));
  return { removedKeys };
}

/** The name a key of a table from the file should have: the file's own name, or the server's automatic name for its live table. */
function originalConstraintName(key: ForeignKey, plan: SwapPlan): string {
  const original = plan.constraintNames.get(key.name);
  if (original) return original;
  if (key.name.startsWith(RESERVED_TABLE_PREFIX) && plan.fromFile.has(key.table)) {
    // Unnamed keys were named after the shadow (`_bkr_n_oc_x_ibfk_1`): name them after the live table, as a load would.
    const marker = `_${key.table}_ibfk_`;
    const at = key.name.indexOf(marker);
    if (at >= 0) return key.name.slice(at + 1);
  }
  return key.name;
}

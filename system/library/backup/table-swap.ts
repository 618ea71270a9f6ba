// Swapping whole tables with RENAME TABLE, and what RENAME does not carry over: triggers stay with the renamed-away
// table, foreign keys of other tables follow it (InnoDB re-points them to its new name), and constraint names are unique
// per database (a shadow cannot hold the live table's names: errno 121). After the rename, this module puts the shop's
// triggers and foreign keys back on the tables that now hold the live names.
import mysql from 'mysql2/promise';
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

/** How the swap talks to the server: a query with `?` values, answered with rows. */
export interface Sql {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

/**
 * For the restore's connection, which sends a query's code units as its bytes (see restore-job.ts): SQL built from
 * ordinary strings (names, trigger bodies) is formatted here and sent as its UTF-8 bytes.
 */
export function utf8Sql(connection: Connection): Sql {
  return {
    query: (sql, values) => connection.query(Buffer.from(values ? mysql.format(sql, values as never) : sql, 'utf8').toString('latin1')) as Promise<[unknown, unknown]>,
  };
}

/** Temporary names for the named foreign keys of shadow tables, so they never collide with the live tables' names. */
export const TEMPORARY_CONSTRAINT_PREFIX = `${RESERVED_TABLE_PREFIX}f_`;

export async function foreignKeys(sql: Sql): Promise<ForeignKey[]> {
  const [rows] = await sql.query(
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

export async function triggersOf(sql: Sql, tables: string[]): Promise<TriggerDefinition[]> {
  if (tables.length === 0) return [];
  const [rows] = await sql.query(
    'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE IN (?) ORDER BY ACTION_ORDER',
    [tables],
  );
  const triggers: TriggerDefinition[] = [];
  for (const row of rows as Array<{ name: string; tableName: string }>) {
    const [created] = await sql.query(`SHOW CREATE TRIGGER ${quoteIdentifier(row.name)}`);
    triggers.push({ table: row.tableName, name: row.name, sql: (created as Array<Record<string, string>>)[0]['SQL Original Statement'] });
  }
  return triggers;
}

/**
 * Puts triggers back on their live table name after RENAME carried them away. The statements were read from the server
 * before the rename (never from a dump), so they already name the live table; the DEFINER clause is kept only when it is
 * the restore's own account, since naming another account needs a privilege a shop's database user does not have.
 */
async function recreateTriggers(sql: Sql, triggers: TriggerDefinition[]): Promise<void> {
  if (triggers.length === 0) return;
  const [userRows] = await sql.query('SELECT CURRENT_USER() AS user');
  const [user, host] = String((userRows as Array<{ user: string }>)[0].user).split('@');
  const ownDefiner = `DEFINER=${quoteIdentifier(user)}@${quoteIdentifier(host ?? '%')} `;
  for (const trigger of triggers) {
    await sql.query(`DROP TRIGGER IF EXISTS ${quoteIdentifier(trigger.name)}`);
    let text = trigger.sql;
    if (!text.includes(ownDefiner)) text = text.replace(/^CREATE DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*` /, 'CREATE ');
    await sql.query(text);
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
 * The triggers and foreign keys a swap touches, read before it starts: enough to put everything back as it was when a
 * step after the RENAME fails (a trigger that does not fit the file's columns, a key whose target lost its index) or
 * the process stops in the middle. Kept in the restore's state row until the swap is over.
 */
export interface SwapSnapshot {
  renames: Array<[string, string]>;
  triggers: TriggerDefinition[];
  keys: ForeignKey[];
}

export async function snapshotForSwap(sql: Sql, plan: SwapPlan): Promise<SwapSnapshot> {
  const names = new Set(plan.renames.flat());
  const [rows] = await sql.query('SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
  const tables = [...new Set((rows as Array<{ tableName: string }>).map((row) => row.tableName).filter((table) => names.has(table)))];
  const keys = (await foreignKeys(sql)).filter((key) => names.has(key.table) || names.has(key.referencedTable));
  return { renames: plan.renames, triggers: await triggersOf(sql, tables), keys };
}

/**
 * RENAME TABLE in one statement (all or nothing), then triggers and foreign keys put right. Runs with
 * foreign_key_checks = 0, so adding keys does not re-check rows (the rows are the file's, as the file's own load would be).
 * When a step after the RENAME fails, the caller puts everything back with {@link rollbackSwap}.
 */
export async function swapTables(sql: Sql, plan: SwapPlan, snapshot: SwapSnapshot): Promise<SwapResult> {
  // Triggers of the tables renamed away go to the table taking their live name again (a table the file dropped keeps
  // its triggers on the renamed-away copy).
  const takenAgain = new Set(plan.renames.map(([, to]) => to));
  const liveBefore = new Set(
    [...plan.awayToLive].filter(([away, live]) => takenAgain.has(live) && plan.renames.some(([from, to]) => from === live && to === away)).map(([, live]) => live),
  );
  const triggers = snapshot.triggers.filter((trigger) => liveBefore.has(trigger.table));
  await sql.query('SET SESSION foreign_key_checks = 0');
  await sql.query(`RENAME TABLE ${plan.renames.map(([from, to]) => `${quoteIdentifier(from)} TO ${quoteIdentifier(to)}`).join(', ')}`);
  await recreateTriggers(sql, triggers);

  const keys = await foreignKeys(sql);
  const mapReference = (table: string): string => plan.awayToLive.get(table) ?? table;
  // 1. The tables renamed away give up their keys (their names are needed by the live tables).
  const removedKeys: ForeignKey[] = [];
  for (const key of keys.filter((k) => plan.awayToLive.has(k.table))) {
    await sql.query(`ALTER TABLE ${quoteIdentifier(key.table)} DROP FOREIGN KEY ${quoteIdentifier(key.name)}`);
    removedKeys.push({ ...key, table: plan.awayToLive.get(key.table) as string, referencedTable: mapReference(key.referencedTable) });
  }
  // 2. Keys with temporary names, or pointing at a table renamed away: rebuilt with the right name and target.
  for (const key of keys) {
    if (plan.awayToLive.has(key.table) || key.table.startsWith(RESERVED_TABLE_PREFIX)) continue;
    const name = originalConstraintName(key, plan);
    const target = mapReference(key.referencedTable);
    if (name === key.name && target === key.referencedTable) continue;
    await sql.query(`ALTER TABLE ${quoteIdentifier(key.table)} DROP FOREIGN KEY ${quoteIdentifier(key.name)}`);
    await sql.query(addForeignKeySql(key.table, key, name, target));
  }
  // 3. Tables that kept the live definition get the live table's keys back.
  const toAdd = [...removedKeys.filter((key) => plan.keepKeysOf.has(key.table)), ...(plan.restoreKeys ?? [])].filter((key) => takenAgain.has(key.table));
  for (const key of toAdd) await sql.query(addForeignKeySql(key.table, key, key.name, mapReference(key.referencedTable)));
  return { removedKeys };
}

/**
 * Puts the tables, triggers and foreign keys of a swap back as the snapshot found them, from wherever the swap stopped
 * (also when it stopped before the RENAME, or in an earlier rollback): every trigger and key the swap could have
 * touched is dropped, the RENAME is reversed when it happened, and the snapshot's keys and triggers are created again.
 */
export async function rollbackSwap(sql: Sql, snapshot: SwapSnapshot): Promise<void> {
  await sql.query('SET SESSION foreign_key_checks = 0');
  const names = new Set(snapshot.renames.flat());
  const [rows] = await sql.query('SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
  const snapshotTriggers = new Set(snapshot.triggers.map((trigger) => trigger.name));
  for (const row of rows as Array<{ name: string; tableName: string }>) {
    if (names.has(row.tableName) || snapshotTriggers.has(row.name)) await sql.query(`DROP TRIGGER IF EXISTS ${quoteIdentifier(row.name)}`);
  }
  for (const key of await foreignKeys(sql)) {
    if (names.has(key.table) || names.has(key.referencedTable)) await sql.query(`ALTER TABLE ${quoteIdentifier(key.table)} DROP FOREIGN KEY ${quoteIdentifier(key.name)}`);
  }
  // Before the RENAME every table it renames exists under its first name; after it, a name no table is renamed to is gone.
  const probe = snapshot.renames.find(([from]) => !snapshot.renames.some(([, to]) => to === from));
  if (probe) {
    const [present] = await sql.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [probe[0]]);
    if (Number((present as Array<{ n: number | string }>)[0].n) === 0) {
      const back = [...snapshot.renames].reverse().map(([from, to]) => `${quoteIdentifier(to)} TO ${quoteIdentifier(from)}`);
      await sql.query(`RENAME TABLE ${back.join(', ')}`);
    }
  }
  for (const key of snapshot.keys) await sql.query(addForeignKeySql(key.table, key, key.name, key.referencedTable));
  await recreateTriggers(sql, snapshot.triggers);
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

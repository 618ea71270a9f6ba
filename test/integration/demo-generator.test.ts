// Checks the demo shop generator against a real MariaDB: schema shape, key rows, admin login data, determinism.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import bcrypt from 'bcryptjs';
import { createDemoShop, ensureDemoDatabase, type DemoShopSummary } from '../../system/demo/generator.ts';

const SERVER = { host: '127.0.0.1', port: 3306, user: 'root', password: '', multipleStatements: false } as const;
const PREFIX = 'oc_';
const RUN = `test_demo_${process.pid}_${randomBytes(4).toString('hex')}`;

const created: string[] = [];
const open: Connection[] = [];

async function connect(): Promise<Connection> {
  const conn = await createConnection({ ...SERVER });
  open.push(conn);
  return conn;
}

/** A fresh database with its own connection already switched to it. */
async function freshDatabase(suffix: string): Promise<{ name: string; conn: Connection }> {
  const name = `${RUN}_${suffix}`;
  const conn = await connect();
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  created.push(name);
  await conn.query(`USE \`${name}\``);
  return { name, conn };
}

async function rows<T = RowDataPacket>(conn: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await conn.query<RowDataPacket[]>(sql, params);
  return result as T[];
}

async function tablesOf(conn: Connection, database: string, prefix = PREFIX): Promise<string[]> {
  const list = await rows<{ name: string }>(conn,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ? ORDER BY TABLE_NAME',
    [database, `${prefix.replace(/_/g, '\\_')}%`]);
  return list.map((t) => t.name);
}

async function count(conn: Connection, table: string): Promise<number> {
  const [row] = await rows<{ n: number }>(conn, `SELECT COUNT(*) AS n FROM \`${table}\``);
  return Number(row!.n);
}

async function checksums(conn: Connection, tables: string[]): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of tables) {
    const [row] = await rows<{ Checksum: string | number }>(conn, `CHECKSUM TABLE \`${table}\``);
    result[table] = String(row!.Checksum);
  }
  return result;
}

let first: { name: string; conn: Connection; summary: DemoShopSummary };
let second: { name: string; conn: Connection; summary: DemoShopSummary };

beforeAll(async () => {
  const a = await freshDatabase('a');
  first = { ...a, summary: await createDemoShop(a.conn, { prefix: PREFIX, scale: 1 }) };
  const b = await freshDatabase('b');
  second = { ...b, summary: await createDemoShop(b.conn, { prefix: PREFIX, scale: 1 }) };
}, 120_000);

afterAll(async () => {
  const admin = await connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  for (const conn of open) await conn.end().catch(() => undefined);
}, 60_000);

describe('createDemoShop (scale 1)', () => {
  it('creates at least 30 prefixed InnoDB utf8mb4 tables', async () => {
    const tables = await tablesOf(first.conn, first.name);
    expect(tables.length).toBeGreaterThanOrEqual(30);
    expect(first.summary.tables).toBe(tables.length);
    const odd = await rows(first.conn,
      "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND (ENGINE <> 'InnoDB' OR TABLE_COLLATION <> 'utf8mb4_general_ci')",
      [first.name]);
    expect(odd).toEqual([]);
  });

  it('uses OpenCart primary keys', async () => {
    const keys = await rows<{ table: string; columns: string }>(first.conn,
      `SELECT TABLE_NAME AS \`table\`, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) AS columns
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND CONSTRAINT_NAME = 'PRIMARY' GROUP BY TABLE_NAME`,
      [first.name]);
    const byTable = Object.fromEntries(keys.map((k) => [k.table, k.columns]));
    expect(byTable['oc_product_description']).toBe('product_id,language_id');
    expect(byTable['oc_product_to_category']).toBe('product_id,category_id');
    expect(byTable['oc_category_path']).toBe('category_id,path_id');
    expect(byTable['oc_session']).toBe('session_id');
    expect(byTable['oc_order']).toBe('order_id');
  });

  it('fills the key tables', async () => {
    const minimum: Record<string, number> = {
      oc_product: 150, oc_product_description: 300, oc_product_to_category: 150, oc_category: 10, oc_category_path: 10,
      oc_customer: 200, oc_address: 200, oc_order: 400, oc_order_product: 1000, oc_order_total: 1000, oc_order_history: 400,
      oc_setting: 50, oc_language: 2, oc_currency: 2, oc_country: 5, oc_zone: 20, oc_review: 100, oc_seo_url: 300,
      oc_session: 1, oc_user: 1, oc_user_group: 2, oc_user_login: 1, oc_cart: 1,
    };
    for (const [table, atLeast] of Object.entries(minimum)) expect(await count(first.conn, table), table).toBeGreaterThanOrEqual(atLeast);
  });

  it('reports the number of rows it wrote', async () => {
    let total = 0;
    for (const table of await tablesOf(first.conn, first.name)) total += await count(first.conn, table);
    expect(first.summary.rows).toBe(total);
  });

  it('has the settings and languages the admin module relies on', async () => {
    const [setting] = await rows<{ value: string; serialized: number }>(first.conn,
      "SELECT value, serialized FROM oc_setting WHERE store_id = 0 AND code = 'config' AND `key` = 'config_language_admin'");
    expect(setting).toMatchObject({ value: 'en-gb', serialized: 0 });
    const languages = await rows<{ language_id: number; code: string }>(first.conn, 'SELECT language_id, code FROM oc_language ORDER BY language_id');
    expect(languages).toEqual([{ language_id: 1, code: 'en-gb' }, { language_id: 2, code: 'de-de' }]);
  });

  it('stores an admin user whose PHP-style bcrypt hash matches "admin"', async () => {
    const [admin] = await rows<{ username: string; password: string; user_group_id: number; firstname: string; lastname: string; email: string; status: number }>(
      first.conn, 'SELECT * FROM oc_user WHERE user_id = 1');
    expect(admin).toMatchObject({ username: 'admin', user_group_id: 1, firstname: 'John', lastname: 'Doe', email: 'admin@example.com', status: 1 });
    expect(admin!.password.startsWith('$2y$')).toBe(true);
    expect(bcrypt.compareSync('admin', admin!.password)).toBe(true);
    expect(bcrypt.compareSync('wrong', admin!.password)).toBe(false);
  });

  it('gives Administrator full backup rights and Demonstration read-only ones', async () => {
    const groups = await rows<{ user_group_id: number; name: string; permission: string }>(first.conn, 'SELECT * FROM oc_user_group ORDER BY user_group_id');
    const [administrator, demonstration] = groups.map((g) => ({ name: g.name, ...(JSON.parse(g.permission) as { access: string[]; modify: string[] }) }));
    expect(administrator!.name).toBe('Administrator');
    for (const route of ['common/dashboard', 'tool/backup', 'tool/log', 'user/user', 'setting/setting']) {
      expect(administrator!.access).toContain(route);
      expect(administrator!.modify).toContain(route);
    }
    expect(demonstration!.name).toBe('Demonstration');
    expect(demonstration!.access).toContain('tool/backup');
    expect(demonstration!.modify).not.toContain('tool/backup');
  });

  it('contains the awkward values a backup must round-trip', async () => {
    const [{ hits }] = await rows<{ hits: number }>(first.conn,
      "SELECT COUNT(*) AS hits FROM oc_product_description WHERE description LIKE ? AND name LIKE ?", ['%C:\\\\new\\\\table%', '%Windows%']);
    expect(Number(hits)).toBeGreaterThan(0);
    const [{ emoji }] = await rows<{ emoji: number }>(first.conn, "SELECT COUNT(*) AS emoji FROM oc_product_description WHERE name LIKE '%🍵%'");
    expect(Number(emoji)).toBeGreaterThan(0);
    const [{ nulls }] = await rows<{ nulls: number }>(first.conn, 'SELECT COUNT(*) AS nulls FROM oc_order WHERE forwarded_ip IS NULL');
    expect(Number(nulls)).toBeGreaterThan(0);
    const [{ multiline }] = await rows<{ multiline: number }>(first.conn, "SELECT COUNT(*) AS multiline FROM oc_setting WHERE value LIKE '%\\r\\n%'");
    expect(Number(multiline)).toBeGreaterThan(0);
  });

  it('is deterministic: two runs give identical tables (oc_user aside: bcrypt salt and NOW())', async () => {
    const tables = (await tablesOf(first.conn, first.name)).filter((t) => t !== 'oc_user');
    expect(await checksums(second.conn, tables)).toEqual(await checksums(first.conn, tables));
    expect(second.summary).toEqual(first.summary);
    const users = 'SELECT user_id, user_group_id, username, firstname, lastname, email, image, code, ip, status FROM oc_user ORDER BY user_id';
    expect(await rows(second.conn, users)).toEqual(await rows(first.conn, users));
  });
});

describe('createDemoShop (scale 3)', () => {
  it('multiplies the big tables with unique keys and intact references', async () => {
    const { conn } = await freshDatabase('scale3');
    const summary = await createDemoShop(conn, { prefix: PREFIX, scale: 3 });
    expect(summary.rows).toBeGreaterThan(first.summary.rows);
    for (const table of ['oc_product', 'oc_customer', 'oc_order', 'oc_order_product']) {
      expect(await count(conn, table), table).toBeGreaterThan(await count(first.conn, table));
    }
    const orphans = [
      'SELECT COUNT(*) AS n FROM oc_order_product op LEFT JOIN oc_product p USING (product_id) WHERE p.product_id IS NULL',
      'SELECT COUNT(*) AS n FROM oc_order_product op LEFT JOIN oc_order o USING (order_id) WHERE o.order_id IS NULL',
      'SELECT COUNT(*) AS n FROM oc_order o LEFT JOIN oc_customer c USING (customer_id) WHERE o.customer_id <> 0 AND c.customer_id IS NULL',
      'SELECT COUNT(*) AS n FROM oc_product p LEFT JOIN oc_product_description d ON d.product_id = p.product_id AND d.language_id = 2 WHERE d.product_id IS NULL',
      "SELECT COUNT(*) - COUNT(DISTINCT email) AS n FROM oc_customer",
    ];
    for (const sql of orphans) expect(Number((await rows<{ n: number }>(conn, sql))[0]!.n), sql).toBe(0);
  });
});

describe('ensureDemoDatabase', () => {
  it('creates the database once and leaves it alone afterwards', async () => {
    const database = `${RUN}_ensure`;
    created.push(database);
    const settings = { ...SERVER, database, prefix: 'demo_' };
    expect(await ensureDemoDatabase(settings)).toBe(true);
    expect(await ensureDemoDatabase(settings)).toBe(false);
    const conn = await connect();
    const tables = await tablesOf(conn, database, 'demo_');
    expect(tables.length).toBeGreaterThanOrEqual(30);
    const [schema] = await rows<{ charset: string }>(conn,
      'SELECT DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    expect(schema!.charset).toBe('utf8mb4');
  }, 60_000);
});

// "A backup restores the exact bytes it read", for cases exactness.test.ts does not cover, through the page's restore,
// the mariadb client, and a faithful model of OpenCart 4.0.2.3's line-based restore (fgets of 1,000,000 bytes, 100 reads per
// request, and the session its mysqli driver opens). Found in review; the two `it.fails` are README's documented limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { createTestDatabase, createUsers, checksums, runMariadbClient, connect, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, type TestApp, type SignedIn } from '../helpers/app.ts';

let shop: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let sql: mysql.Connection;
const others: TestDatabase[] = [];

beforeAll(async () => {
  shop = await createTestDatabase('exact_review');
  await createUsers(shop.name);
  test = await startTestApp(shop.name);
  admin = await signIn(test.app, 'tester');
  sql = await connect(shop.name);
  await sql.query("SET time_zone = '+00:00'");
});

afterAll(async () => {
  await sql?.end().catch(() => undefined);
  await test?.close();
  for (const database of others) await database.drop().catch(() => undefined);
  await shop?.drop();
});

function route(name: string, query: Record<string, string> = {}, signedIn: SignedIn = admin): string {
  return `/admin/index.php?${new URLSearchParams({ route: name, user_token: signedIn.token, ...query }).toString()}`;
}

/** Runs a job, asking again when the previous job's lock has not gone yet on the very first request. */
async function job(url: string, form: Record<string, string | string[]>, signedIn: SignedIn = admin): Promise<Record<string, unknown>> {
  for (let attempt = 0; ; attempt++) {
    let requests = 0;
    const reply = await runJob(signedIn.agent, url, form, () => requests++);
    if (reply.error && /another|busy|running/i.test(String(reply.error)) && requests === 1 && attempt < 40) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    return reply;
  }
}

async function backup(tables: string[], app: TestApp = test, signedIn: SignedIn = admin): Promise<string> {
  const before = new Set(readdirSync(app.backupDir));
  const reply = await job(route('tool/backup.backup', {}, signedIn), { 'backup[]': tables }, signedIn);
  if (!reply.success) throw new Error(`the backup answered ${JSON.stringify(reply)}`);
  const created = readdirSync(app.backupDir).filter((name) => name.endsWith('.sql') && !before.has(name));
  expect(created).toHaveLength(1);
  return path.join(app.backupDir, created[0]);
}

async function restore(file: string): Promise<void> {
  const reply = await job(route('tool/backup.restore', { filename: path.basename(file) }), {});
  if (!reply.success) throw new Error(`the restore answered ${JSON.stringify(reply)}`);
}

/** Every row as HEX() of every column (UTC session), sorted. */
async function hexRows(database: string, table: string): Promise<string[]> {
  const c = await connect(database);
  try {
    await c.query("SET time_zone = '+00:00'");
    const [columns] = await c.query('SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [
      database,
      table,
    ]);
    const select = (columns as Array<{ name: string }>).map((column) => `HEX(\`${column.name}\`)`).join(', ');
    const [rows] = await c.query({ sql: `SELECT ${select} FROM \`${table}\``, rowsAsArray: true });
    return (rows as unknown[][]).map((row) => row.map((value) => (value === null ? 'NULL' : String(value))).join('|')).sort();
  } finally {
    await c.end();
  }
}

async function clientDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase('exact_review_client');
  others.push(database);
  return database;
}

async function loadWithClient(file: string): Promise<TestDatabase> {
  const target = await clientDatabase();
  const result = await runMariadbClient(target.name, file);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return target;
}

async function autoIncrement(database: string, table: string): Promise<number> {
  const [rows] = await sql.query('SELECT AUTO_INCREMENT AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table]);
  return Number((rows as Array<{ n: number }>)[0].n);
}

/**
 * OpenCart 4.0.2.3's restore (admin/controller/tool/backup.php `restore()`), byte for byte: each request reads at most 100
 * times `fgets($handle, 1000000)` (a "line" is at most 999,999 bytes), a statement starts at a read beginning with
 * `TRUNCATE TABLE` or `INSERT INTO` and runs when a read ends with ";\n"; the next request starts at `ftell` with
 * `$start = false`. The session is the one OpenCart's mysqli driver opens: utf8mb4, sql_mode
 * 'NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION', FOREIGN_KEY_CHECKS = 0, time_zone = PHP's date('P').
 */
async function opencartRestore(database: string, file: string, phpOffset = '+00:00'): Promise<{ requests: number; statements: number }> {
  const c = await connect(database);
  try {
    await c.query("SET SESSION sql_mode = 'NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'");
    await c.query('SET FOREIGN_KEY_CHECKS = 0');
    await c.query('SET time_zone = ?', [phpOffset]);
    const bytes = readFileSync(file);
    let position = 0;
    let requests = 0;
    let statements = 0;
    while (position < bytes.length) {
      requests++;
      let start = false;
      let parts: Buffer[] = [];
      for (let i = 0; i < 100 && position < bytes.length; i++) {
        const lineFeed = bytes.indexOf(0x0a, position);
        let end = lineFeed < 0 ? bytes.length : lineFeed + 1;
        if (end - position > 999999) end = position + 999999;
        const line = bytes.subarray(position, end);
        position = end;
        const head = line.toString('latin1', 0, 14);
        if (head.startsWith('TRUNCATE TABLE') || head.startsWith('INSERT INTO')) {
          parts = [];
          start = true;
        }
        if (start) parts.push(line);
        if (start && line.length >= 2 && line[line.length - 2] === 0x3b && line[line.length - 1] === 0x0a) {
          const statement = Buffer.concat(parts);
          await c.query(statement.toString('utf8', 0, statement.length - 2));
          statements++;
          start = false;
        }
      }
    }
    return { requests, statements };
  } finally {
    await c.end();
  }
}

/** An empty database with the same table definitions (OpenCart's restore does not create tables). */
async function opencartTarget(tables: string[]): Promise<TestDatabase> {
  const target = await clientDatabase();
  for (const table of tables) await sql.query(`CREATE TABLE \`${target.name}\`.\`${table}\` LIKE \`${shop.name}\`.\`${table}\``);
  return target;
}

// ---------------------------------------------------------------------------------------------------------------------

describe('single-byte character sets with bytes that have no Unicode mapping', () => {
  // cp1251 0x98, cp1250 0x81 and any byte >= 0x80 in an ascii column are stored as they are, but the backup reads them
  // converted to utf8mb4 (character_set_results), which turns each into '?' (0x3F).
  const table = 'oc_r_unmapped';
  let file = '';
  let before: string[] = [];
  let checksum: Record<string, string> = {};
  beforeAll(async () => {
    await sql.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, ru VARCHAR(20) CHARACTER SET cp1251, cz VARCHAR(20) CHARACTER SET cp1250,
      a VARCHAR(20) CHARACTER SET ascii)`);
    await sql.query(`INSERT INTO ${table} VALUES (1, _cp1251 0x98, NULL, NULL), (2, NULL, _cp1250 0x81, NULL), (3, NULL, NULL, _ascii 0xC3A9),
      (4, _cp1251 0xCFF0E8E2E5F2, _cp1250 0x8A9A, 'plain')`);
    before = await hexRows(shop.name, table);
    checksum = await checksums(shop.name, [table]);
    file = await backup([table]);
  });

  it('keeps cp1251 0x98, cp1250 0x81 and ascii 0xC3A9 when the page restores the backup', async () => {
    await sql.query(`DELETE FROM ${table} WHERE id = 4`);
    await restore(file);
    expect(await hexRows(shop.name, table)).toEqual(before);
    expect(await checksums(shop.name, [table])).toEqual(checksum);
  });

  it('keeps cp1251 0x98, cp1250 0x81 and ascii 0xC3A9 when the mariadb client loads the file', async () => {
    const target = await loadWithClient(file);
    expect(await hexRows(target.name, table)).toEqual(before);
  });
});

describe("an ENUM with the member '' beside the invalid value (index 0)", () => {
  // Both print as '': the restore writes '' back, which is the member '' (index 1), not the invalid value (index 0).
  const table = 'oc_r_enum_empty';
  let file = '';
  let indexes: string[] = [];
  beforeAll(async () => {
    await sql.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, e ENUM('', 'a') NOT NULL)`);
    const c = await connect(shop.name);
    await c.query("SET SESSION sql_mode = ''");
    await c.query(`INSERT INTO ${table} VALUES (1, ''), (2, 'not a member'), (3, 'a')`);
    await c.end();
    const [rows] = await sql.query(`SELECT CONCAT(id, ':', e + 0) AS i FROM ${table} ORDER BY id`);
    indexes = (rows as Array<{ i: string }>).map((row) => row.i);
    expect(indexes).toEqual(['1:1', '2:0', '3:2']);
    file = await backup([table]);
  });

  // Known limit (README): writing ENUM values as member numbers would fix this, but a data-only restore into a table
  // whose ENUM gained or reordered members would then shift every value. Kept as the one documented difference.
  it.fails('gives back index 0 for the invalid value after the page restores the backup', async () => {
    await restore(file);
    const [rows] = await sql.query(`SELECT CONCAT(id, ':', e + 0) AS i FROM ${table} ORDER BY id`);
    expect((rows as Array<{ i: string }>).map((row) => row.i)).toEqual(indexes);
  });
});

describe('AUTO_INCREMENT after a restore', () => {
  // The file's CREATE TABLE IF NOT EXISTS carries AUTO_INCREMENT=N, but the TRUNCATE after it (and the page's shadow
  // table) starts the counter again at MAX(id) + 1: ids of deleted orders are handed out again.
  const table = 'oc_r_order';
  let file = '';
  let counter = 0;
  beforeAll(async () => {
    await sql.query(`CREATE TABLE ${table} (order_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, total DECIMAL(15,4) NOT NULL)`);
    await sql.query(`INSERT INTO ${table} (total) SELECT seq FROM seq_1_to_10`);
    await sql.query(`DELETE FROM ${table} WHERE order_id > 5`);
    counter = await autoIncrement(shop.name, table);
    expect(counter).toBeGreaterThan(10);
    file = await backup([table]);
  });

  it('keeps the table\'s AUTO_INCREMENT when the page restores the backup', async () => {
    await sql.query(`INSERT INTO ${table} (total) VALUES (99)`);
    await restore(file);
    expect(await autoIncrement(shop.name, table)).toBeGreaterThanOrEqual(counter);
  });

  it('keeps the table\'s AUTO_INCREMENT when the mariadb client loads the file into an empty database', async () => {
    const target = await loadWithClient(file);
    expect(await autoIncrement(target.name, table)).toBeGreaterThanOrEqual(counter);
  });
});

describe("OpenCart's own line-based restore (fgets of 1,000,000 bytes, 100 reads a request)", () => {
  it('restores every row of a table whose INSERT lines are over 999,999 bytes, wherever a request ends', async () => {
    // INSERT lines were cut at ~1 MiB, so OpenCart read each in two fgets calls. When the first half was the 100th read of
    // a request, the next request started on the second half (not "INSERT INTO"): the whole INSERT (~1 MB of rows) was
    // skipped and the restore reported success. Padding columns put the first INSERT on the 100th line, as chance does.
    const table = 'oc_r_wide';
    await sql.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, description MEDIUMTEXT NOT NULL)`);
    await sql.query(`INSERT INTO ${table} SELECT seq, REPEAT(CONCAT('<p>Product ', seq, ' description</p>'), 800) FROM seq_1_to_120`);
    const linesBeforeInsert = (bytes: Buffer) => bytes.subarray(0, bytes.indexOf('\nINSERT INTO ') + 1).toString('latin1').split('\n').length - 1;
    let file = await backup([table]);
    const padding = 99 - linesBeforeInsert(readFileSync(file));
    for (let i = 0; i < padding; i++) await sql.query(`ALTER TABLE ${table} ADD COLUMN pad_${i} TINYINT NULL`);
    file = await backup([table]);
    const bytes = readFileSync(file);
    expect(linesBeforeInsert(bytes)).toBe(99);
    // Every line of several rows fits one fgets of OpenCart's restore.
    const longest = Math.max(...bytes.toString('latin1').split('\n').map((line) => line.length));
    expect(longest).toBeGreaterThan(900_000);
    expect(longest).toBeLessThan(999_999);

    const target = await opencartTarget([table]);
    await opencartRestore(target.name, file);
    const count = async (database: string) => {
      const [rows] = await sql.query(`SELECT COUNT(*) AS n FROM \`${database}\`.${table}`);
      return Number((rows as Array<{ n: number }>)[0].n);
    };
    expect(await count(target.name)).toBe(120);
    expect((await checksums(target.name, [table]))[table]).toBe((await checksums(shop.name, [table]))[table]);
  });

  // Known limit (README): OpenCart's restore skips the file's SET time_zone; OpenCart 4.0.2.3 itself has no TIMESTAMP
  // column (DATETIME does not move), only extensions' tables can. Kept as a documented difference.
  it.fails('gives back the same TIMESTAMP instants when OpenCart\'s session time zone is the shop\'s (+02:00)', async () => {
    // OpenCart skips the file's SET lines and its mysqli driver sets time_zone = date('P'); the values were written in UTC.
    const table = 'oc_r_stamp';
    await sql.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, changed TIMESTAMP(6) NULL DEFAULT NULL)`);
    await sql.query(`INSERT INTO ${table} VALUES (1, '2024-06-01 12:00:00.123456'), (2, '2024-12-24 18:30:00')`);
    const file = await backup([table]);
    const target = await opencartTarget([table]);
    await opencartRestore(target.name, file, '+02:00');
    const instants = async (database: string) => {
      const [rows] = await sql.query(`SELECT id, UNIX_TIMESTAMP(changed) AS t FROM \`${database}\`.${table} ORDER BY id`);
      return rows;
    };
    expect(await instants(target.name)).toEqual(await instants(shop.name));
  });
});

describe('a MyISAM table that changes while a backup of several requests runs', () => {
  // START TRANSACTION WITH CONSISTENT SNAPSHOT covers InnoDB only: a MyISAM (or Aria) table is read page by page at each
  // request's moment, so a row whose key moves between pages is written twice, while the header says "Consistent snapshot: yes".
  it('writes each row once, as its "Consistent snapshot: yes" header says', async () => {
    const table = 'oc_r_myisam';
    // An InnoDB table read first keeps the backup going over several requests while the MyISAM table changes.
    const first = 'oc_r_a_innodb';
    await sql.query(`CREATE TABLE ${first} (id INT NOT NULL PRIMARY KEY, v VARCHAR(100) NOT NULL) ENGINE=InnoDB`);
    await sql.query(`INSERT INTO ${first} SELECT seq, REPEAT('v', 90) FROM seq_1_to_60000`);
    await sql.query(`CREATE TABLE ${table} (id INT NOT NULL PRIMARY KEY, v VARCHAR(100) NOT NULL) ENGINE=MyISAM`);
    await sql.query(`INSERT INTO ${table} SELECT seq, REPEAT('v', 90) FROM seq_1_to_60000`);
    const app = await startTestApp(shop.name, { backup: { requestBudgetMs: 20 } });
    try {
      const signedIn = await signIn(app.app, 'tester');
      const before = new Set(readdirSync(app.backupDir));
      let url: string | undefined = route('tool/backup.backup', {}, signedIn);
      let requests = 0;
      let moved = 0;
      while (url) {
        const target = new URL(url, 'http://x');
        const reply = await signedIn.agent
          .post(target.pathname + target.search)
          .type('form')
          .send(encodeForm({ 'backup[]': [first, table] }));
        const body = reply.body as Record<string, unknown>;
        if (body.error) throw new Error(String(body.error));
        if (body.success) break;
        requests++;
        // The shop moves the lowest id (read already) past the highest (not read yet), as a renumbering would.
        const [rows] = await sql.query(`SELECT MIN(id) AS lo, MAX(id) AS hi FROM ${table}`);
        const { lo, hi } = (rows as Array<{ lo: number; hi: number }>)[0];
        await sql.query(`UPDATE ${table} SET id = ? WHERE id = ?`, [Number(hi) + 1, lo]);
        moved++;
        url = body.next as string | undefined;
      }
      expect(requests).toBeGreaterThan(1);
      const file = readdirSync(app.backupDir).find((name) => name.endsWith('.sql') && !before.has(name)) as string;
      const text = readFileSync(path.join(app.backupDir, file), 'utf8');
      const rows = Number(/-- Rows `oc_r_myisam`: (\d+)/.exec(text)?.[1]);
      const consistent = text.includes('-- Consistent snapshot: yes');
      expect(moved).toBeGreaterThan(0);
      // Either every row once, or a header that does not claim one snapshot.
      expect({ rows, consistent }).toEqual({ rows: 60000, consistent: true });
    } finally {
      await app.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Cases that held up in review (no test covered them before).

describe('held up: INVISIBLE columns, FLOAT/DOUBLE -0 and subnormals, BIT(2..63), CHAR/BINARY padding', () => {
  const tables = ['oc_r_invisible', 'oc_r_float_edges', 'oc_r_pad'];
  let file = '';
  let before: Record<string, string[]> = {};
  let checksum: Record<string, string> = {};
  beforeAll(async () => {
    await sql.query('CREATE TABLE oc_r_invisible (id INT NOT NULL PRIMARY KEY, secret VARCHAR(10) INVISIBLE, v INT)');
    await sql.query("INSERT INTO oc_r_invisible (id, secret, v) VALUES (1, 'hid', 1), (2, 'den', NULL)");
    await sql.query('CREATE TABLE oc_r_float_edges (id INT NOT NULL PRIMARY KEY, f FLOAT, d DOUBLE, b2 BIT(2), b33 BIT(33), b63 BIT(63))');
    await sql.query(`INSERT INTO oc_r_float_edges VALUES (1, -0e0, -0e0, b'11', b'111111111111111111111111111111111', 0x7FFFFFFFFFFFFFFF),
      (2, 1.4e-45, 4.9e-324, 0, 1, 1), (3, -1.17549435e-38, -2.2250738585072014e-308, 1, 0, 0)`);
    await sql.query(`CREATE TABLE oc_r_pad (id INT NOT NULL PRIMARY KEY, c CHAR(5), cb CHAR(5) COLLATE utf8mb4_bin, cn CHAR(5) COLLATE utf8mb4_nopad_bin,
      b BINARY(5), vt VARCHAR(5))`);
    await sql.query("INSERT INTO oc_r_pad VALUES (1, 'a  ', 'a  ', 'a  ', 'a\\0\\0', 'a  '), (2, '  ', ' ', '', '\\0\\0\\0\\0\\0', ' ')");
    before = {};
    for (const table of tables) before[table] = await hexRows(shop.name, table);
    checksum = await checksums(shop.name, tables);
    file = await backup(tables);
  });

  it('come back byte for byte through the page and the mariadb client', async () => {
    await sql.query('DELETE FROM oc_r_pad WHERE id = 1');
    await sql.query('UPDATE oc_r_float_edges SET f = 1');
    await restore(file);
    const target = await loadWithClient(file);
    for (const table of tables) {
      expect(await hexRows(shop.name, table), table).toEqual(before[table]);
      expect(await hexRows(target.name, table), table).toEqual(before[table]);
    }
    expect(await checksums(shop.name, tables)).toEqual(checksum);
    expect(await checksums(target.name, tables)).toEqual(checksum);
  });
});

// Restores the dumps shop owners bring: mariadb-dump with several option sets, phpMyAdmin and OpenCart 3/4 files, gzip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, checksums, DB_HOST, DB_USER, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, type TestApp, type SignedIn } from '../helpers/app.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let original: Record<string, string>;
const TABLES = ['oc_product', 'oc_blob'];

beforeAll(async () => {
  database = await createTestDatabase('formats');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query(`CREATE TABLE oc_product (product_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, model varchar(64) NOT NULL,
    description text, price decimal(15,4) NOT NULL, added datetime NOT NULL) DEFAULT CHARSET=utf8mb4`);
  await c.query(`INSERT INTO oc_product (model, description, price, added) VALUES
    ('A-1', 'C:\\\\new\\\\table; -- not a comment\\r\\nline two', 10.5, '2024-01-02 03:04:05'),
    ('Ünïcödé 😀', NULL, 0, '2000-02-29 00:00:00'),
    ('quote''s "double"', '/* not a comment */ # nor this', 99999999999.9999, '1999-12-31 23:59:59')`);
  await c.query('CREATE TABLE oc_blob (id int NOT NULL PRIMARY KEY, data blob) DEFAULT CHARSET=utf8mb4');
  await c.query('INSERT INTO oc_blob VALUES (1, ?), (2, NULL), (3, ?)', [Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0, 0x1a, 0x5c, 0x27, 0x0a])]);
  await c.end();
  original = await checksums(database.name, TABLES);
  test = await startTestApp(database.name);
  admin = await signIn(test.app, 'tester');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

async function damage(): Promise<void> {
  const c = await connect(database.name);
  await c.query("UPDATE oc_product SET model = 'damaged'");
  await c.query('DELETE FROM oc_blob WHERE id = 1');
  await c.end();
}

async function restoreFile(name: string, content: Buffer | string): Promise<Record<string, unknown>> {
  writeFileSync(path.join(test.backupDir, name), content);
  await damage();
  return runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(name)}`, {});
}

function mariadbDump(...options: string[]): Buffer {
  return execFileSync('mariadb-dump', ['-h', DB_HOST, '-u', DB_USER, ...options, database.name, ...TABLES], { maxBuffer: 64 * 1024 * 1024 });
}

describe('dumps made by mariadb-dump', () => {
  it.each([
    ['default options', []],
    ['--skip-extended-insert', ['--skip-extended-insert']],
    ['--complete-insert', ['--complete-insert']],
    ['--hex-blob', ['--hex-blob']],
    ['--single-transaction --quick --hex-blob --complete-insert', ['--single-transaction', '--quick', '--hex-blob', '--complete-insert']],
  ])('with %s restore exactly', async (_label, options) => {
    const reply = await restoreFile('mariadb-dump.sql', mariadbDump(...(options as string[])));
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });

  it('a gzip-compressed dump (.sql.gz) restores exactly, its progress going by the bytes it holds', async () => {
    const dump = mariadbDump();
    writeFileSync(path.join(test.backupDir, 'compressed.sql.gz'), gzipSync(dump));
    const { uncompressedLength } = await import('../../system/library/backup/restore-job.ts');
    const file = path.join(test.backupDir, 'compressed.sql.gz');
    const handle = await (await import('node:fs/promises')).open(file, 'r');
    expect((await uncompressedLength(handle, (await handle.stat()).size)).length).toBe(dump.length);
    await handle.close();
    const reply = await restoreFile('compressed.sql.gz', gzipSync(dump));
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });

  it('a dump with CRLF line endings and a byte-order mark restores exactly', async () => {
    const text = mariadbDump('--skip-extended-insert').toString('latin1').replace(/\n/g, '\r\n');
    const reply = await restoreFile('windows.sql', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'latin1')]));
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });
});

describe('the restore dialog\'s list of tables', () => {
  it('counts the rows of each table of a dump, and says when a time limit cut the list short', async () => {
    const { tablesInFile } = await import('../../system/library/backup/inspect.ts');
    const file = path.join(test.backupDir, 'listed.sql');
    writeFileSync(file, mariadbDump('--skip-extended-insert'));
    const guard = { prefix: 'oc_', database: database.name, protectedTables: ['oc_user'] };
    const whole = await tablesInFile(file, guard);
    expect(whole.complete).toBe(true);
    expect(whole.tables.map((t) => [t.name, t.rows, t.exact])).toEqual([['oc_product', 3, false], ['oc_blob', 3, false]]);
    const cut = await tablesInFile(file, guard, Date.now() - 1);
    expect(cut.complete).toBe(false);
    const reply = await admin.agent.get(`/admin/index.php?route=tool/backup.inspect&user_token=${admin.token}&filename=listed.sql`);
    expect(reply.body).toMatchObject({ complete: true, text_partial: '', tables: [{ name: 'oc_product', rows: 3, text: 'about 3 rows' }, { name: 'oc_blob', rows: 3 }] });
  });
});

describe('hand-written dumps in other tools\' documented formats', () => {
  it("phpMyAdmin's export (SET SQL_MODE, START TRANSACTION, CREATE, multi-line INSERT, ALTER TABLE keys, COMMIT) restores", async () => {
    const c = await connect(database.name);
    const [rows] = await c.query("SELECT product_id, model, description, price, added FROM oc_product ORDER BY product_id");
    await c.end();
    const values = (rows as Array<Record<string, unknown>>).map((row) => `(${[row.product_id, row.model, row.description, row.price, row.added].map((v) => (v === null ? 'NULL' : typeof v === 'number' ? v : "'" + String(v).replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\r/g, '\\r').replace(/\n/g, '\\n') + "'")).join(', ')})`);
    const dump = [
      '-- phpMyAdmin SQL Dump',
      '-- version 5.2.1',
      'SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";',
      'START TRANSACTION;',
      'SET time_zone = "+00:00";',
      '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
      '/*!40101 SET NAMES utf8mb4 */;',
      '',
      'DROP TABLE IF EXISTS `oc_product`;',
      'CREATE TABLE `oc_product` (',
      '  `product_id` int(11) NOT NULL,',
      '  `model` varchar(64) NOT NULL,',
      '  `description` text DEFAULT NULL,',
      '  `price` decimal(15,4) NOT NULL,',
      '  `added` datetime NOT NULL',
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
      '',
      'INSERT INTO `oc_product` (`product_id`, `model`, `description`, `price`, `added`) VALUES',
      values.join(',\n') + ';',
      '',
      'ALTER TABLE `oc_product`',
      '  ADD PRIMARY KEY (`product_id`);',
      '',
      'ALTER TABLE `oc_product`',
      '  MODIFY `product_id` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=4;',
      'COMMIT;',
      '',
    ].join('\n');
    const reply = await restoreFile('phpmyadmin.sql', dump);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect((await checksums(database.name, ['oc_product'])).oc_product).toBe(original.oc_product);
  });

  it("OpenCart 3/4's own backup format (TRUNCATE, then one INSERT per row with a column list) restores", async () => {
    const c = await connect(database.name);
    const [rows] = await c.query('SELECT * FROM oc_product ORDER BY product_id');
    await c.end();
    const escape = (v: unknown) => (v === null ? 'NULL' : "'" + String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r') + "'");
    const lines = ['TRUNCATE TABLE `oc_product`;', ''];
    for (const row of rows as Array<Record<string, unknown>>) {
      lines.push(`INSERT INTO \`oc_product\` (\`product_id\`, \`model\`, \`description\`, \`price\`, \`added\`) VALUES (${Object.values(row).map(escape).join(', ')});`);
    }
    const reply = await restoreFile('opencart.sql', lines.join('\n') + '\n\n');
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect((await checksums(database.name, ['oc_product'])).oc_product).toBe(original.oc_product);
  });

  it('our own backup rebuilds a dropped table (CREATE TABLE IF NOT EXISTS) and restores exactly', async () => {
    const before = await checksums(database.name, TABLES);
    const backup = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': TABLES });
    expect(backup.success).toBeTruthy();
    const c = await connect(database.name);
    await c.query('DROP TABLE oc_blob');
    await c.end();
    const name = (await import('node:fs')).readdirSync(test.backupDir).find((file) => /^\d{4}-/.test(file)) as string;
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(name)}`, {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(before);
    expect(readFileSync(path.join(test.backupDir, name), 'utf8')).toContain('CREATE TABLE IF NOT EXISTS `oc_blob`');
  });
});

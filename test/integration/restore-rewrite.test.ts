// The restore sends the server only SQL it re-emits from typed statements, read in one pass from one open file: tricks
// that make a guard's lexer and the server's disagree have nothing left to work on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, renameSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, checksums, type TestDatabase, queryRows } from '../helpers/database.ts';
import { startTestApp, signIn, encodeForm, type TestApp, type SignedIn, restoreFile } from '../helpers/app.ts';
import { languageStrings, fill } from '../helpers/browser.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
/** The same database through an app whose requests stop after 20 ms, so a restore takes many requests. */
let paged: TestApp;
let pagedAdmin: SignedIn;
const en = languageStrings('en-gb', 'tool/backup');

const SCHEMA = 'CREATE TABLE IF NOT EXISTS `oc_item` (`id` int NOT NULL PRIMARY KEY, `name` varchar(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n';

beforeAll(async () => {
  database = await createTestDatabase('rewrite');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_item (id int NOT NULL PRIMARY KEY, name varchar(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');
  await c.query("INSERT INTO oc_item VALUES (1, 'live')");
  await c.query('CREATE TABLE oc_keep (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB');
  await c.query('INSERT INTO oc_keep VALUES (7)');
  await c.end();
  test = await startTestApp(database.name);
  admin = await signIn(test.app, 'tester');
  paged = await startTestApp(database.name, { backup: { requestBudgetMs: 20 } });
  pagedAdmin = await signIn(paged.app, 'tester');
});

afterAll(async () => {
  await test?.close();
  await paged?.close();
  await database?.drop();
});

const restore = (name: string, content: string | Buffer) => restoreFile(test, admin, name, content);

const rows = (sql: string, params: unknown[] = []) => queryRows(database.name, sql, params);

async function shadowTables(): Promise<string[]> {
  const result = (await rows("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_bkr\\_n\\_%'")) as Array<{ name: string }>;
  return result.map((row) => row.name);
}

describe('comments never reach the server', () => {
  it('a versioned comment the server would skip cannot carry a statement past the restore', async () => {
    const reply = await restore('skipped-version.sql', `${SCHEMA}INSERT INTO oc_item VALUES (2, 'two') /*!999999 ; DROP TABLE oc_keep */;\n`);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await rows('SELECT id, name FROM oc_item ORDER BY id')).toEqual([{ id: 2, name: 'two' }]);
    expect(await rows('SELECT id FROM oc_keep')).toEqual([{ id: 7 }]);
  });

  it('a quote inside a skipped comment does not open a string: the statement after it is read as a statement', async () => {
    const users = await checksums(database.name, ['oc_user']);
    const reply = await restore('quote-in-comment.sql', `${SCHEMA}INSERT INTO oc_item VALUES (3, 'three') /*!999999 ' */; DROP TABLE oc_user; -- '\n`);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(String(reply.success)).toContain(fill(en.text_skipped_protected, 1));
    expect(await checksums(database.name, ['oc_user'])).toEqual(users);
    expect(await rows('SELECT name FROM oc_item')).toEqual([{ name: 'three' }]);
  });

  it('a comment nested in mariadb-dump\'s sandbox line leaves text that is refused, and nothing changes', async () => {
    const before = await checksums(database.name, ['oc_item', 'oc_keep']);
    const reply = await restore('nested.sql', `/*M!999999\\- enable the sandbox mode */\n${SCHEMA}/*M!999999\\ /* nested */ DROP TABLE oc_keep; */;\n`);
    expect(reply.error).toBe(fill(en.error_refused_statement_not_allowed, 3, '*/'));
    expect(await checksums(database.name, ['oc_item', 'oc_keep'])).toEqual(before);
    expect(await shadowTables()).toEqual([]);
  });

  it('an executable comment is read as SQL and checked like any other text', async () => {
    const reply = await restore('exec-sleep.sql', `${SCHEMA}INSERT INTO oc_item VALUES (4, /*! SLEEP(5) */ 'x');\n`);
    expect(reply.error).toBe(fill(en.error_refused_function_not_allowed, 2, 'SLEEP'));
  });
});

describe('session settings are evaluated, not sent', () => {
  it('a multibyte character set whose characters can hide a quote is refused, DEFAULT means utf8mb4', async () => {
    const refused = await restore('sjis.sql', `SET NAMES sjis;\n${SCHEMA}`);
    expect(refused.error).toBe(fill(en.error_refused_unsafe_charset, 1, 'sjis'));
    const reply = await restore('default-charset.sql', `SET NAMES latin1;\nSET character_set_client = DEFAULT;\n${SCHEMA}INSERT INTO oc_item VALUES (5, 'Grüße');\n`);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await rows('SELECT name FROM oc_item')).toEqual([{ name: 'Grüße' }]);
  });

  it('NO_BACKSLASH_ESCAPES in the file is how the file is read; the server keeps its own escaping', async () => {
    const reply = await restore('nbe.sql', `SET sql_mode = 'NO_BACKSLASH_ESCAPES';\n${SCHEMA}INSERT INTO oc_item VALUES (6, 'C:\\new\\'), (7, 'it''s');\n`);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await rows('SELECT name FROM oc_item ORDER BY id')).toEqual([{ name: 'C:\\new\\' }, { name: "it's" }]);
  });

  it('SET default_storage_engine is not carried over (reported), and SET GLOBAL is refused', async () => {
    const reply = await restore('engine.sql', 'SET default_storage_engine = MEMORY;\nCREATE TABLE `oc_engine` (`id` int NOT NULL PRIMARY KEY);\nINSERT INTO oc_engine VALUES (1);\n');
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(String(reply.success)).toContain(fill(en.text_ignored_settings, 'default_storage_engine'));
    expect(await rows("SELECT ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'oc_engine'")).toEqual([{ engine: 'InnoDB' }]);
    const global = await restore('global.sql', 'SET @@global.max_connections = 1;\n');
    expect(global.error).toBe(fill(en.error_refused_set_global, 1, '@@global.max_connections'));
  });

  it('a time zone and character set set by the file survive a lost connection (resume replays them)', async () => {
    const values = Array.from({ length: 30000 }, (_, i) => `(${i + 1}, 'caf\xe9 ${i}', '2024-03-01 12:00:00')`);
    const file = Buffer.concat([
      Buffer.from("SET NAMES latin1;\nSET time_zone = '+05:30';\nCREATE TABLE `oc_tz` (`id` int NOT NULL PRIMARY KEY, `name` varchar(64) CHARACTER SET utf8mb4, `at` timestamp NULL);\n"),
      ...Array.from({ length: 300 }, (_, k) => Buffer.from(`INSERT INTO oc_tz VALUES ${values.slice(k * 100, k * 100 + 100).join(',')};\n`, 'latin1')),
    ]);
    writeFileSync(path.join(paged.backupDir, 'tz.sql'), file);
    let url: string | undefined = `/admin/index.php?route=tool/backup.restore&user_token=${pagedAdmin.token}&filename=tz.sql`;
    let reply: Record<string, unknown> = {};
    let killed = false;
    while (url) {
      const target = new URL(url, 'http://x');
      reply = (await pagedAdmin.agent.post(target.pathname + target.search).type('form').send(encodeForm({}))).body;
      if (reply.error || reply.success) break;
      if (!killed) {
        // The restore's connection holds the job lock: kill it between two requests.
        const c = await connect();
        const [lock] = await c.query('SELECT IS_USED_LOCK(?) AS id', [`opencart_backup_restore.${database.name}`]);
        const id = (lock as Array<{ id: number | null }>)[0].id;
        if (id) {
          await c.query(`KILL CONNECTION ${Number(id)}`);
          killed = true;
        }
        await c.end();
      }
      url = reply.next as string | undefined;
    }
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(killed).toBe(true);
    const check = (await rows("SELECT COUNT(*) AS n, SUM(name = CONCAT('café ', id - 1)) AS names, SUM(UNIX_TIMESTAMP(at) = UNIX_TIMESTAMP('2024-03-01 06:30:00')) AS times FROM oc_tz")) as Array<Record<string, unknown>>;
    const c = await connect(database.name);
    await c.query("SET time_zone = '+00:00'");
    const [utc] = await c.query("SELECT SUM(at = '2024-03-01 06:30:00') AS times FROM oc_tz");
    await c.end();
    expect(Number(check[0].n)).toBe(30000);
    expect(Number(check[0].names)).toBe(30000);
    expect(Number((utc as Array<{ times: string }>)[0].times)).toBe(30000);
  });
});

describe('one pass from one open file', () => {
  it('a refusal after rows were loaded drops the shadow tables: the live tables are as before', async () => {
    const before = await checksums(database.name, ['oc_item', 'oc_keep']);
    const inserts = Array.from({ length: 200 }, (_, i) => `INSERT INTO oc_item VALUES (${1000 + i}, 'row ${i}');`).join('\n');
    const reply = await restore('late-refusal.sql', `${SCHEMA}${inserts}\nSELECT * FROM oc_user;\n`);
    expect(reply.error).toBe(fill(en.error_refused_statement_not_allowed, 202, 'SELECT'));
    expect(await checksums(database.name, ['oc_item', 'oc_keep'])).toEqual(before);
    expect(await shadowTables()).toEqual([]);
  });

  it('replacing the file on disk during a restore does not change what is restored', async () => {
    const good = Array.from({ length: 400 }, (_, k) => `INSERT INTO oc_item VALUES ${Array.from({ length: 200 }, (_, i) => `(${k * 200 + i}, 'good ${k * 200 + i}')`).join(',')};`).join('\n');
    writeFileSync(path.join(paged.backupDir, 'swap.sql'), `${SCHEMA}${good}\n`);
    let url: string | undefined = `/admin/index.php?route=tool/backup.restore&user_token=${pagedAdmin.token}&filename=swap.sql`;
    let reply: Record<string, unknown> = {};
    let swapped = false;
    while (url) {
      const target = new URL(url, 'http://x');
      reply = (await pagedAdmin.agent.post(target.pathname + target.search).type('form').send(encodeForm({}))).body;
      if (reply.error || reply.success) break;
      if (!swapped) {
        const evil = path.join(paged.backupDir, 'evil.tmp');
        writeFileSync(evil, `${SCHEMA}DROP TABLE oc_keep;\n`.repeat(10));
        renameSync(evil, path.join(paged.backupDir, 'swap.sql'));
        swapped = true;
      }
      url = reply.next as string | undefined;
    }
    expect(swapped).toBe(true);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await rows('SELECT COUNT(*) AS n FROM oc_item')).toEqual([{ n: '80000' }]);
    expect(await rows('SELECT id FROM oc_keep')).toEqual([{ id: 7 }]);
  });

  it('a statement longer than max_allowed_packet is refused before it is held in memory', async () => {
    const [packet] = (await rows('SELECT @@max_allowed_packet AS size')) as Array<{ size: number }>;
    const big = `${SCHEMA}INSERT INTO oc_item VALUES (1, '${'x'.repeat(Number(packet.size) + 10)}');\n`;
    const reply = await restore('big.sql', big);
    expect(reply.error).toBe(fill(en.error_statement_size, 2, Number(packet.size) - 1024));
  });

  it('damaged and non-SQL files get their own message', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.alloc(200)]);
    expect((await restore('picture.sql', png)).error).toBe(en.error_not_sql);
    const gz = gzipSync(Buffer.from(`${SCHEMA}INSERT INTO oc_item VALUES (1, 'a');\n`.repeat(50)));
    gz.fill(0x41, 20, 60);
    expect((await restore('damaged.sql.gz', gz)).error).toBe(en.error_gzip);
    // The restore dialog reads the file first: it gives the same messages, never the generic one.
    const inspect = async (name: string) => (await admin.agent.get(`/admin/index.php?route=tool/backup.inspect&user_token=${admin.token}&filename=${name}`)).body;
    expect((await inspect('picture.sql')).error).toBe(en.error_not_sql);
    expect((await inspect('damaged.sql.gz')).error).toBe(en.error_gzip);
    writeFileSync(path.join(test.backupDir, 'cut.sql'), `${SCHEMA}INSERT INTO oc_item VALUES (1, 'cut`);
    expect((await inspect('cut.sql')).error).toBe(fill(en.error_truncated, 2));
    expect((await restore('cut.sql', `${SCHEMA}INSERT INTO oc_item VALUES (1, 'cut`)).error).toBe(fill(en.error_truncated, 2));
  });
});

describe('two server processes on one database', () => {
  it('starting another process (which cleans up leftovers) never drops the tables of a restore that runs elsewhere', async () => {
    const rowsText = Array.from({ length: 300 }, (_, k) => `INSERT INTO oc_item VALUES ${Array.from({ length: 200 }, (_, i) => `(${k * 200 + i}, 'other ${i}')`).join(',')};`).join('\n');
    writeFileSync(path.join(paged.backupDir, 'elsewhere.sql'), `${SCHEMA}${rowsText}\n`);
    const first = (await pagedAdmin.agent.post(`/admin/index.php?route=tool/backup.restore&user_token=${pagedAdmin.token}&filename=elsewhere.sql`).type('form').send('')).body;
    expect(first.next, JSON.stringify(first)).toBeTruthy();
    expect(await shadowTables()).toEqual(['_bkr_n_oc_item']);
    // Its own storage folder: it knows nothing of the running restore but what the database tells.
    const other = await startTestApp(database.name);
    try {
      expect(await shadowTables()).toEqual(['_bkr_n_oc_item']);
    } finally {
      await other.close();
    }
    let reply: Record<string, unknown> = first;
    while (reply.next && !reply.error && !reply.success) {
      const target = new URL(String(reply.next), 'http://x');
      reply = (await pagedAdmin.agent.post(target.pathname + target.search).type('form').send('')).body;
    }
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await rows('SELECT COUNT(*) AS n FROM oc_item')).toEqual([{ n: '60000' }]);
  });
});

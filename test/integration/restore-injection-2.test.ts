// Second adversarial review of the restore path. "Found in review" holds what this review found still wrong (each test
// failed on the code it was written against, and its comment names the function at fault; all fixed since).
// "Protections that hold" pins, against a real MariaDB, defences this review tried to break and could not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createTestDatabase, createUsers, connect, checksums, type TestDatabase, queryRows } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, type TestApp, type SignedIn, restoreFile } from '../helpers/app.ts';
import { languageStrings, fill } from '../helpers/browser.ts';
import { DumpReader } from '../../system/library/backup/reader.ts';

let database: TestDatabase;
let other: TestDatabase;
let test: TestApp;
let admin: SignedIn;
const en = languageStrings('en-gb', 'tool/backup');

const SCHEMA = 'CREATE TABLE IF NOT EXISTS `oc_item` (`id` int NOT NULL PRIMARY KEY, `name` varchar(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n';
const BLOB_SCHEMA = 'CREATE TABLE `oc_blob` (`id` int NOT NULL PRIMARY KEY, `a` longblob, `b` longblob, `c` longblob) ENGINE=InnoDB;\n';

beforeAll(async () => {
  database = await createTestDatabase('injection2');
  other = await createTestDatabase('injection2_other');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_item (id int NOT NULL PRIMARY KEY, name varchar(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');
  await c.query("INSERT INTO oc_item VALUES (1, 'live')");
  await c.query('CREATE TABLE oc_keep (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB');
  await c.query('INSERT INTO oc_keep VALUES (7)');
  await c.query(`CREATE SEQUENCE \`${other.name}\`.seq`);
  await c.end();
  test = await startTestApp(database.name);
  admin = await signIn(test.app, 'tester');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
  await other?.drop();
});

const restore = (name: string, content: string | Buffer) => restoreFile(test, admin, name, content);

const rows = (sql: string, params: unknown[] = []) => queryRows(database.name, sql, params);

async function shadowTables(): Promise<string[]> {
  const result = await rows("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_bkr\\_n\\_%'");
  return result.map((row) => String(row.name));
}

/** Puts oc_item back to its one live row (a restore that succeeded replaced it). */
async function resetItem(): Promise<void> {
  const c = await connect(database.name);
  try {
    await c.query('DROP TABLE IF EXISTS oc_item');
    await c.query('CREATE TABLE oc_item (id int NOT NULL PRIMARY KEY, name varchar(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4');
    await c.query("INSERT INTO oc_item VALUES (1, 'live')");
  } finally {
    await c.end();
  }
}

async function nextSequenceValue(): Promise<number> {
  const c = await connect(other.name);
  try {
    const [result] = await c.query('SELECT NEXTVAL(seq) AS n');
    return Number((result as Array<{ n: string }>)[0].n);
  } finally {
    await c.end();
  }
}

describe('found in review', () => {
  // reader.ts next(): an empty statement (`;` with nothing before it) or a comment between statements never returns to
  // the caller, so restore-job.ts loadUntil() and inspect.ts countTables() check their deadline only when a real
  // statement comes; each empty statement also calls boundaryAt() → lineOf(), which searches the rest of the buffer for
  // a newline (memchr over up to a buffer's length per `;`): ~5 µs per `;`, 8 MiB of `;` took 41 s in one request,
  // 64 MiB 327 s. A 1 MiB .sql.gz holds a 1 GiB line of `;` (and inspect reads .gz without any decompressed limit).
  const semicolons = (mib: number): Buffer => Buffer.concat([Buffer.from(SCHEMA), Buffer.alloc(mib * 1024 * 1024, 0x3b), Buffer.from("\nINSERT INTO oc_item VALUES (2, 'after');\n")]);

  it('inspect answers within its time budget on a long run of empty statements (it says the list is partial)', async () => {
    writeFileSync(path.join(test.backupDir, 'semicolons-inspect.sql.gz'), gzipSync(semicolons(6)));
    const started = Date.now();
    const reply = await admin.agent.get(`/admin/index.php?route=tool/backup.inspect&user_token=${admin.token}&filename=semicolons-inspect.sql.gz`);
    const took = Date.now() - started;
    // The test app's budget is 300 ms; inspect gets three (900 ms). Slack for a loaded machine.
    expect(took, `inspect answered ${JSON.stringify(reply.body)} after ${took} ms`).toBeLessThan(3000);
  }, 120_000);

  it('one restore request stops near its budget inside a long run of empty statements', async () => {
    const name = 'semicolons-restore.sql';
    writeFileSync(path.join(test.backupDir, name), semicolons(2));
    const started = Date.now();
    const reply = await admin.agent.post(`/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${name}`).type('form').send('');
    const took = Date.now() - started;
    // Finish (or abandon) the job so the next tests find no restore running.
    if (reply.body.next) await runJob(admin.agent, reply.body.next as string, {});
    await resetItem();
    expect(took, `the first request answered ${JSON.stringify(reply.body)} after ${took} ms`).toBeLessThan(4000);
  }, 300_000);

  // restore-session.ts SessionModel.apply(): every user variable a file sets is kept (state.user), cloned after each
  // SET (restore-job.ts loadStatement: structuredClone of the whole state) and written into the state row with every
  // batch (loadState/literalJson). Nothing bounds the total: each SET is below max_allowed_packet, their sum is not, so
  // memory grows with the file (a 1 GiB upload, or a small .gz, of `SET @vN = '<1 MiB>';` lines) and the state row
  // outgrows max_allowed_packet. The mariadb client restores this file; the module fails on it.
  it('user variables a file sets (each under max_allowed_packet, together over it) neither grow the job without bound nor break the restore', async () => {
    const value = 'v'.repeat(1024 * 1024);
    let file = SCHEMA;
    for (let k = 0; k < 20; k++) file += `SET @big${k} = '${value}';\n`;
    file += "INSERT INTO oc_item VALUES (2, 'after-variables');\n";
    const reply = await restore('user-variables.sql', file);
    const restored = await rows('SELECT id, name FROM oc_item ORDER BY id');
    await resetItem();
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(restored).toEqual([{ id: 2, name: 'after-variables' }]);
    expect(await shadowTables()).toEqual([]);
  }, 120_000);

  // statement.ts definitions()/clause(): BARE_DENY_FUNCTIONS stops CURRENT_USER/CURRENT_ROLE only, and
  // BODY_DENY_FUNCTIONS does not list USER(), SESSION_USER() or SYSTEM_USER(). MariaDB accepts them in a column DEFAULT,
  // so every row the file inserts without that column, and every row the shop inserts after the swap, stores the
  // restore's database account: the leak the first review closed for rows (VALUES (CURRENT_USER)), through the schema.
  it.each([
    ['CREATE TABLE ... DEFAULT (USER())', "CREATE TABLE oc_item (id int NOT NULL PRIMARY KEY, name varchar(64) NOT NULL DEFAULT (USER()));\nINSERT INTO oc_item (id) VALUES (3);\n"],
    ['CREATE TABLE ... DEFAULT (SESSION_USER())', "CREATE TABLE oc_item (id int NOT NULL PRIMARY KEY, name varchar(64) NOT NULL DEFAULT (SESSION_USER()));\nINSERT INTO oc_item (id) VALUES (3);\n"],
    ['ALTER TABLE ... DEFAULT (SYSTEM_USER())', `${SCHEMA}ALTER TABLE oc_item MODIFY name varchar(64) NOT NULL DEFAULT (SYSTEM_USER());\nINSERT INTO oc_item (id) VALUES (3);\n`],
  ])('%s does not write the database account into the shop\'s data', async (_label, file) => {
    const reply = await restore('default-user.sql', file);
    const leaked = await rows("SELECT COUNT(*) AS n FROM oc_item WHERE name LIKE '%@%'");
    await resetItem();
    expect(Number(leaked[0].n), `the restore answered ${JSON.stringify(reply)}`).toBe(0);
    expect(await shadowTables()).toEqual([]);
  });

  // statement.ts clause() (ALTER TABLE): definitions() refuses NEXT VALUE FOR (CREATE TABLE) and values() refuses it in
  // rows, but clause() has no such check. A DEFAULT (NEXT VALUE FOR <other database>.seq) is accepted by MariaDB, so
  // each row the file inserts advances a sequence of another database, and the live table keeps the default after the
  // swap (each order the shop takes advances it again). Sequence names are never checked against the shop's database.
  it('ALTER TABLE ... DEFAULT (NEXT VALUE FOR <other database>.seq) does not advance another database\'s sequence', async () => {
    const before = await nextSequenceValue();
    const file = `${SCHEMA}ALTER TABLE oc_item ADD COLUMN n bigint DEFAULT (NEXT VALUE FOR \`${other.name}\`.seq);\nINSERT INTO oc_item (id, name) VALUES (2, 'a'), (3, 'b'), (4, 'c');\n`;
    const reply = await restore('alter-sequence.sql', file);
    const after = await nextSequenceValue();
    await resetItem();
    // Only this test's own NEXTVAL call may have moved it.
    expect(after, `the restore answered ${JSON.stringify(reply)}`).toBe(before + 1);
    expect(await shadowTables()).toEqual([]);
  });

  // sql-tokenizer.ts blockComment(): the version of /*! is read as 1 to 6 digits and compared with the server's, but
  // MariaDB's lexer needs 5 or 6 digits (`/*!3` is not a version: the 3 is SQL) and skips /*!50700 .. /*!99999 (MySQL
  // 5.7+ versions) unless written /*M!. The restore then loads other values than `mariadb db < file` (the header says
  // executable comments are read "as the server does"). No injection (the statement has comments, so it is re-emitted),
  // but the restored data differ from the reference client's.
  it.each([
    ['/*!80000 ...*/ (a MySQL 8 version: MariaDB skips it)', "INSERT INTO oc_item VALUES (2, 'a' /*!80000 'b' */);\n", { id: 2, name: 'a' }],
    ['/*!3*/ (fewer than 5 digits: not a version, MariaDB reads 3 and then 1, a syntax error)', "INSERT INTO oc_item VALUES (/*!3*/1, 'c');\n", null],
  ])('%s is read as MariaDB reads it', async (_label, insert, expected) => {
    const reply = await restore('exec-version.sql', SCHEMA + insert);
    const restored = await rows('SELECT id, name FROM oc_item');
    await resetItem();
    if (expected === null) {
      // As `mariadb db < file` answers: "... syntax ... near '1, 'c')'"; nothing changes.
      expect(String(reply.error)).toContain('syntax');
      expect(restored).toEqual([{ id: 1, name: 'live' }]);
      return;
    }
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(restored).toEqual([expected]);
  });

  // sql-tokenizer.ts TokenList: 10 bytes per token (type, start, end, spaced) kept for the whole statement, doubled on
  // growth, while the size limit counts the statement's bytes. A statement of one-byte tokens (`,,,,` or `1,1,1`)
  // under a 16 MiB max_allowed_packet holds ~250 MB; a server with max_allowed_packet = 1 GiB lets one file take
  // ~16 GB (restore and inspect alike). Memory is not "the largest statement plus one read chunk" (reader.ts).
  it('the tokens of one statement take memory in proportion to max_allowed_packet, not ten times it', async () => {
    const limit = 4 * 1024 * 1024;
    const body = Buffer.alloc(limit - 64, 0x2c);
    const reader = new DumpReader([Buffer.from('INSERT INTO oc_item VALUES (1'), body, Buffer.from(');\n')], {}, { maxStatementBytes: limit });
    let error: unknown = null;
    try {
      await reader.next();
    } catch (e) {
      error = e;
    }
    const tokens = (reader as unknown as { tokens: { type: Uint8Array; start: Int32Array; end: Int32Array; spaced: Uint8Array } }).tokens;
    const held = tokens.type.byteLength + tokens.start.byteLength + tokens.end.byteLength + tokens.spaced.byteLength;
    expect(held, `held ${held} bytes of tokens for a ${limit}-byte limit (error: ${String(error)})`).toBeLessThanOrEqual(4 * limit);
  });
});

describe('protections that hold', () => {
  // The canonical byte-for-byte copy (statement-emit.ts emitRows) under every client character set a file may choose:
  // a differential fuzz of strings built from \ ' '' \' " ` NUL % _ and bytes 0x80-0xFF (lead bytes of euckr, ujis,
  // gb2312, utf8) found no row the server read differently from the tokenizer in utf8mb4, latin1, binary, swe7, euckr,
  // ujis, gb2312, eucjpms, utf8mb3, ascii, cp1250, koi8r, dec8, hp8, geostd8, tis620 (the server's string lexer
  // checks a multi-byte character before the backslash, and no allowed set has \ or ' as a trail byte).
  it.each([
    ['euckr', Buffer.from([0x81])],
    ['ujis', Buffer.from([0x8f])],
    ['gb2312', Buffer.from([0xa1])],
    ['eucjpms', Buffer.from([0x8e])],
    ['swe7', Buffer.from('}{', 'latin1')],
    ['latin1', Buffer.from([0xa0])],
  ])('SET NAMES %s: a string with a lead byte before \\\' stays one string on the server', async (charset, lead) => {
    // After the lead byte, \' either belongs to the string (tokenizer) or ends it (a server that took \ as a trail byte,
    // and would then insert row 2 and read the rest as a comment).
    const tail = '), (2, 0x41, 0x42, 0x43) -- ';
    const row = Buffer.concat([Buffer.from("INSERT INTO oc_blob VALUES (1, '"), lead, Buffer.from(`\\'${tail}', 'x', 'y');\n`)]);
    const reply = await restore('charset-copy.sql', Buffer.concat([Buffer.from(`SET NAMES ${charset};\n${BLOB_SCHEMA}`), row]));
    const restored = await rows('SELECT id, HEX(a) AS a, b, c FROM oc_blob ORDER BY id');
    await rows('DROP TABLE IF EXISTS oc_blob');
    expect(reply.success, String(reply.error)).toBeTruthy();
    const expected = Buffer.concat([lead, Buffer.from(`'${tail}`)]).toString('hex').toUpperCase();
    expect(restored.map((r) => [r.id, r.a, String(r.b), String(r.c)])).toEqual([[1, expected, 'x', 'y']]);
    expect(await rows('SELECT id FROM oc_keep')).toEqual([{ id: 7 }]);
  });

  it('an introducer\'s string (_gbk, _sjis, _big5) is split with the connection\'s character set, as the tokenizer splits it', async () => {
    // 0xbf 0x5c is one gbk character; the server still reads \' as an escape because it lexes in utf8mb4.
    const row = Buffer.concat([Buffer.from("INSERT INTO oc_blob VALUES (1, _gbk'"), Buffer.from([0xbf, 0x5c, 0x27]), Buffer.from("), (2, 0x78) -- ', _sjis'"), Buffer.from([0x83, 0x5c, 0x27]), Buffer.from("), (3, 0x79) -- ', _big5'z');\n")]);
    const reply = await restore('introducer.sql', Buffer.concat([Buffer.from(BLOB_SCHEMA), row]));
    expect(reply.success, String(reply.error)).toBeTruthy();
    const restored = await rows('SELECT id FROM oc_blob ORDER BY id');
    await rows('DROP TABLE IF EXISTS oc_blob');
    expect(restored).toEqual([{ id: 1 }]);
    expect(await rows('SELECT id FROM oc_keep')).toEqual([{ id: 7 }]);
  });

  it('NO_BACKSLASH_ESCAPES set through a user variable (SET @m := ...; SET sql_mode = @m) changes how the file is read, and nothing runs', async () => {
    const file = `SET @m := 'NO_AUTO_VALUE_ON_ZERO,NO_BACKSLASH_ESCAPES';\nSET @@SESSION.sql_mode = IFNULL(@nothing, @m);\n${SCHEMA}INSERT INTO oc_item VALUES (2, 'x\\'), (3, 'DROP TABLE oc_keep');\n`;
    const reply = await restore('mode-variable.sql', file);
    const restored = await rows('SELECT id, name FROM oc_item ORDER BY id');
    await resetItem();
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(restored).toEqual([{ id: 2, name: 'x\\' }, { id: 3, name: 'DROP TABLE oc_keep' }]);
    expect(await rows('SELECT id FROM oc_keep')).toEqual([{ id: 7 }]);
  });

  it.each([
    ['SET NAMES through a user variable', "SET @c = 'sjis';\nSET NAMES @c;\n", 'error_refused_unsafe_charset', 'sjis'],
    ['SET character_set_client = IFNULL(NULL, ...)', "SET character_set_client = IFNULL(@none, 'big5');\n", 'error_refused_unsafe_charset', 'big5'],
    ['SET NAMES ... COLLATE a cp932 collation', 'SET NAMES utf8mb4 COLLATE cp932_bin;\n', 'error_refused_unsafe_charset', 'cp932_bin'],
    ['SET @@session.character_set_client = a gbk value from a variable', "SET @x = 'GBK';\nSET @@session.character_set_client = @x;\n", 'error_refused_unsafe_charset', 'GBK'],
    ['SET sql_mode with ORACLE among other modes', "SET sql_mode = 'STRICT_TRANS_TABLES, oracle';\n", 'error_refused_unsafe_sql_mode', 'ORACLE'],
    ['SET sql_mode = MSSQL from a variable', "SET @m = 'MSSQL';\nSET SESSION sql_mode = @m;\n", 'error_refused_unsafe_sql_mode', 'MSSQL'],
    ['SET STATEMENT ... FOR', "SET STATEMENT max_statement_time = 1 FOR INSERT INTO oc_item VALUES (9, 'x');\n", 'error_refused_statement_not_allowed', 'SET STATEMENT'],
    ['SET PASSWORD', "SET PASSWORD = PASSWORD('x');\n", 'error_refused_statement_not_allowed', 'SET PASSWORD'],
    ['SET ROLE', 'SET ROLE NONE;\n', 'error_refused_statement_not_allowed', 'SET ROLE'],
    ['SET DEFAULT ROLE', 'SET DEFAULT ROLE NONE;\n', 'error_refused_statement_not_allowed', 'SET DEFAULT'],
    ['SET with a subquery', 'SET @p = (SELECT password FROM oc_user LIMIT 1);\n', 'error_refused_syntax', '('],
    ['SET with a function call', "SET @p = LOAD_FILE('/etc/hostname');\n", 'error_refused_function_not_allowed', 'LOAD_FILE'],
    ['INSERT ... VALUES (NEXT VALUE FOR seq)', `INSERT INTO oc_item VALUES (NEXT VALUE FOR seq, 'x');\n`, 'error_refused_function_not_allowed', 'NEXT VALUE'],
    ['CREATE TABLE ... DEFAULT NEXT VALUE FOR', 'CREATE TABLE oc_seq (id bigint DEFAULT NEXT VALUE FOR seq);\n', 'error_refused_function_not_allowed', 'NEXT VALUE'],
  ])('%s is refused before anything is written', async (_label, file, key, detail) => {
    const before = await checksums(database.name, ['oc_item', 'oc_keep', 'oc_user']);
    const reply = await restore('refused-2.sql', file);
    expect(reply.error).toBe(fill(en[key], file.split('\n').length - 1, detail));
    expect(await checksums(database.name, ['oc_item', 'oc_keep', 'oc_user'])).toEqual(before);
    expect(await shadowTables()).toEqual([]);
  });

  it('a number glued to a word (1.5x, 1e1x: one word for the tokenizer, a number and a name for the server) runs nothing', async () => {
    // The split differs (MariaDB reads `1.5x` as 1.5 AS x), but in VALUES a name after a number is a syntax error, and
    // the tokenizer still sees every function call (a word before `(`) and every SELECT.
    for (const value of ['1.5SELECT', '1e1CURRENT_USER', '1e1NEXT VALUE FOR seq']) {
      const reply = await restore('glued.sql', `${SCHEMA}INSERT INTO oc_item VALUES (2, ${value});\n`);
      expect(reply.success, `${value}: ${JSON.stringify(reply)}`).toBeFalsy();
      expect(await rows('SELECT id, name FROM oc_item')).toEqual([{ id: 1, name: 'live' }]);
    }
    expect(await shadowTables()).toEqual([]);
  });

  it.each([
    ['oc_USER (case)', 'INSERT INTO `oc_USER` (user_id, user_group_id, username, password, firstname, lastname, email, status, date_added) VALUES (500, 901, \'evil\', \'x\', \'a\', \'b\', \'c\', 1, NOW());\n'],
    ['OC_USER (prefix case)', 'TRUNCATE TABLE `OC_USER`;\n'],
    ['`oc_user ` (trailing space)', 'DROP TABLE `oc_user `;\nCREATE TABLE `oc_user ` (id int);\n'],
    ['db.`oc_user` (own database)', (db: string) => `DELETE FROM \`${db}\`.oc_user;\nTRUNCATE \`${db}\`.\`oc_user\`;\n`],
    ['`oc_user` after DROP of a list', 'DROP TABLE IF EXISTS `oc_keep`, `oc_user`;\n'],
  ])('%s never changes oc_user', async (_label, content) => {
    const before = await checksums(database.name, ['oc_user']);
    const keep = await checksums(database.name, ['oc_keep']);
    const file = typeof content === 'function' ? content(database.name) : content;
    const reply = await restore('protected.sql', file);
    expect(await checksums(database.name, ['oc_user'])).toEqual(before);
    expect(Number((await rows('SELECT COUNT(*) AS n FROM oc_user'))[0].n)).toBeGreaterThan(0);
    if (reply.success && !(await rows("SHOW TABLES LIKE 'oc_keep'")).length) {
      // The list case drops oc_keep (allowed): put it back for the other tests.
      await rows('CREATE TABLE oc_keep (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB');
      await rows('INSERT INTO oc_keep VALUES (7)');
    } else expect(await checksums(database.name, ['oc_keep'])).toEqual(keep);
    expect(await shadowTables()).toEqual([]);
  });

  it('inspect lists neither protected tables nor tables without the prefix, and runs nothing from the file', async () => {
    writeFileSync(
      path.join(test.backupDir, 'inspect-hostile.sql'),
      "INSERT INTO `oc_USER` VALUES (1);\nINSERT INTO OC_ITEM VALUES (1);\nSET NAMES sjis;\nINSERT INTO oc_item VALUES (2, 'x');\n/*!80000 DELETE FROM oc_keep */;\nINSERT INTO oc_item VALUES ((SELECT 1), 'y');\n",
    );
    const reply = await admin.agent.get(`/admin/index.php?route=tool/backup.inspect&user_token=${admin.token}&filename=inspect-hostile.sql`);
    expect(reply.body.tables.map((t: { name: string }) => t.name)).toEqual(['oc_item']);
    expect(await rows('SELECT id FROM oc_keep')).toEqual([{ id: 7 }]);
  });
});

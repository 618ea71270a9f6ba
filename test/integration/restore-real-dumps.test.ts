// Real dumps that are more than tables and rows: named foreign keys, triggers, views and routines, tables of other
// applications in the same database, OpenCart's own install SQL with `-----` rulers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createTestDatabase, createUsers, connect, checksums, DB_HOST, DB_USER, type TestDatabase, queryRows } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, type TestApp, type SignedIn, restoreFile } from '../helpers/app.ts';
import { languageStrings, fill } from '../helpers/browser.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
const en = languageStrings('en-gb', 'tool/backup');
const TABLES = ['oc_parent', 'oc_child'];

beforeAll(async () => {
  database = await createTestDatabase('realdumps');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_parent (id int NOT NULL PRIMARY KEY, name varchar(32) NOT NULL) ENGINE=InnoDB');
  await c.query(`CREATE TABLE oc_child (id int NOT NULL PRIMARY KEY, parent_id int NOT NULL, note varchar(32) NOT NULL DEFAULT '',
    CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES oc_parent (id) ON DELETE CASCADE) ENGINE=InnoDB`);
  // A table outside the restore that points at a restored one.
  await c.query('CREATE TABLE oc_audit (id int NOT NULL PRIMARY KEY, parent_id int, CONSTRAINT fk_audit_parent FOREIGN KEY (parent_id) REFERENCES oc_parent (id)) ENGINE=InnoDB');
  await c.query("INSERT INTO oc_parent VALUES (1, 'one'), (2, 'two')");
  await c.query("INSERT INTO oc_child VALUES (10, 1, ''), (11, 2, ''), (12, 2, '')");
  await c.query('INSERT INTO oc_audit VALUES (1, 1)');
  await c.query("CREATE TRIGGER oc_child_note BEFORE INSERT ON oc_child FOR EACH ROW SET NEW.note = CONCAT(NEW.note, '')");
  await c.query('CREATE VIEW oc_child_view AS SELECT id, parent_id FROM oc_child');
  await c.query('CREATE PROCEDURE oc_count_children() SELECT COUNT(*) FROM oc_child');
  await c.end();
  test = await startTestApp(database.name);
  admin = await signIn(test.app, 'tester');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

const restore = (name: string, content: string | Buffer) => restoreFile(test, admin, name, content);

const rows = (sql: string, params: unknown[] = []) => queryRows(database.name, sql, params);

/** Every foreign key of the database: table, name, referenced table. */
async function foreignKeys(): Promise<string[]> {
  const result = await rows(
    'SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, REFERENCED_TABLE_NAME AS r, DELETE_RULE AS d FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY t, n',
  );
  return result.filter((row) => !String(row.t).startsWith('_bkr_')).map((row) => `${row.t}.${row.n} -> ${row.r} ${row.d}`);
}

async function triggers(): Promise<string[]> {
  const result = await rows('SELECT TRIGGER_NAME AS n, EVENT_OBJECT_TABLE AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY n');
  return result.map((row) => `${row.n} ON ${row.t}`);
}

const KEYS = ['oc_audit.fk_audit_parent -> oc_parent NO ACTION', 'oc_child.fk_child_parent -> oc_parent CASCADE'];

function dump(...options: string[]): Buffer {
  return execFileSync('mariadb-dump', ['-h', DB_HOST, '-u', DB_USER, ...options, database.name, ...TABLES], { maxBuffer: 64 * 1024 * 1024 });
}

async function damage(): Promise<void> {
  const c = await connect(database.name);
  await c.query('SET foreign_key_checks = 0');
  await c.query("UPDATE oc_parent SET name = 'damaged'");
  await c.query('DELETE FROM oc_child WHERE id = 12');
  await c.end();
}

describe('foreign keys and triggers', () => {
  it('a full mariadb-dump with named foreign keys restores twice (no errno 121), keeping key names and targets', async () => {
    const original = await checksums(database.name, TABLES);
    const file = dump('--triggers');
    for (const attempt of [1, 2]) {
      await damage();
      const reply = await restore('full.sql', file);
      expect(reply.success, `attempt ${attempt}: ${String(reply.error)}`).toBeTruthy();
      expect(await checksums(database.name, TABLES)).toEqual(original);
      expect(await foreignKeys()).toEqual(KEYS);
      expect(await triggers()).toEqual(['oc_child_note ON oc_child']);
    }
    expect(String((await restore('full.sql', file)).success)).toContain(fill(en.text_skipped_objects, `${en.text_object_trigger} oc_child_note`));
  });

  it('a data-only dump keeps the live tables\' foreign keys and triggers', async () => {
    const original = await checksums(database.name, TABLES);
    const file = dump('--no-create-info', '--skip-triggers');
    await damage();
    const reply = await restore('data-only.sql', file);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect(await foreignKeys()).toEqual(KEYS);
    expect(await triggers()).toEqual(['oc_child_note ON oc_child']);
  });

  it('our own backup keeps them too, and undo puts the old tables back with their keys and triggers', async () => {
    const original = await checksums(database.name, TABLES);
    const backup = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': TABLES });
    expect(backup.success, String(backup.error)).toBeTruthy();
    const name = readdirSync(test.backupDir).find((file) => file.startsWith('backup') || /^\d/.test(file)) ?? readdirSync(test.backupDir).filter((file) => file.endsWith('.sql')).sort().at(-1);
    await damage();
    const damaged = await checksums(database.name, TABLES);
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(String(name))}`, {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect(await foreignKeys()).toEqual(KEYS);
    expect(await triggers()).toEqual(['oc_child_note ON oc_child']);
    const undo = await admin.agent.post(`/admin/index.php?route=tool/backup.undo&user_token=${admin.token}`).type('form').send('');
    expect(undo.body.success, JSON.stringify(undo.body)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(damaged);
    expect(await foreignKeys()).toEqual(KEYS);
    expect(await triggers()).toEqual(['oc_child_note ON oc_child']);
  });
});

describe('what a dump holds besides the shop\'s tables', () => {
  it('views, triggers and routines are skipped with a note; the tables restore', async () => {
    const original = await checksums(database.name, TABLES);
    const file = execFileSync('mariadb-dump', ['-h', DB_HOST, '-u', DB_USER, '--routines', '--triggers', database.name, ...TABLES, 'oc_child_view'], { maxBuffer: 1 << 26 });
    await damage();
    const reply = await restore('objects.sql', file);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(String(reply.success)).toContain(en.text_object_view);
    expect(String(reply.success)).toContain(en.text_object_routine);
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect(await rows("SELECT TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'oc_child_view'")).toEqual([{ type: 'VIEW' }]);
  });

  it('tables without the shop\'s prefix are skipped and named, the others restore', async () => {
    const reply = await restore(
      'mixed.sql',
      'CREATE TABLE `wp_posts` (`id` int NOT NULL PRIMARY KEY);\nINSERT INTO `wp_posts` VALUES (1);\nCREATE TABLE `oc_extra` (`id` int NOT NULL PRIMARY KEY);\nINSERT INTO `oc_extra` VALUES (5);\n',
    );
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(String(reply.success)).toContain(fill(en.text_skipped_other_tables, 'oc_', 'wp_posts'));
    expect(await rows('SELECT id FROM oc_extra')).toEqual([{ id: 5 }]);
    expect(await rows("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wp_posts'")).toEqual([{ n: '0' }]);
    const only = await restore('other-only.sql', 'CREATE TABLE `wp_posts` (`id` int NOT NULL PRIMARY KEY);\n');
    expect(only.error).toBe(en.error_nothing_to_restore);
  });

  it('OpenCart\'s install SQL with `-----` ruler lines restores', async () => {
    const sql = [
      '-----------------------------------------------------------',
      '',
      '--',
      '-- Table structure for table `oc_ruler`',
      '--',
      '',
      'DROP TABLE IF EXISTS `oc_ruler`;',
      'CREATE TABLE `oc_ruler` (`id` int(11) NOT NULL, `name` varchar(32) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
      '-----------------------------------------------------------',
      "INSERT INTO `oc_ruler` (`id`, `name`) VALUES (1, '--not a comment');",
      '',
    ].join('\n');
    const reply = await restore('install.sql', sql);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await rows('SELECT id, name FROM oc_ruler')).toEqual([{ id: 1, name: '--not a comment' }]);
  });

  it('a partitioned table restores with its partitions, from our own backup and from mariadb-dump', async () => {
    const c = await connect(database.name);
    await c.query(`CREATE TABLE oc_visit (visit_id int NOT NULL, year smallint NOT NULL, page varchar(64) NOT NULL, PRIMARY KEY (visit_id, year))
      ENGINE=InnoDB PARTITION BY RANGE (year) (PARTITION p2024 VALUES LESS THAN (2025), PARTITION p2025 VALUES LESS THAN (2026), PARTITION pmax VALUES LESS THAN MAXVALUE)`);
    await c.query("INSERT INTO oc_visit SELECT seq, 2023 + seq % 4, CONCAT('page ', seq) FROM seq_1_to_500");
    await c.end();
    // Each partition's name and the rows it holds (the rows went where the partitioning says).
    const partitions = async (): Promise<string[]> => {
      const names = await rows("SELECT PARTITION_NAME AS p FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'oc_visit' ORDER BY PARTITION_ORDINAL_POSITION");
      const counts: string[] = [];
      for (const { p } of names) counts.push(`${String(p)}: ${String((await rows(`SELECT COUNT(*) AS n FROM oc_visit PARTITION (\`${String(p)}\`)`))[0].n)}`);
      return counts;
    };
    const original = await checksums(database.name, ['oc_visit']);
    const layout = await partitions();
    expect(layout).toEqual(['p2024: 250', 'p2025: 125', 'pmax: 125']);
    const before = new Set(readdirSync(test.backupDir));
    const backup = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': ['oc_visit'] });
    expect(backup.success, String(backup.error)).toBeTruthy();
    const ours = readdirSync(test.backupDir).find((file) => !before.has(file)) as string;
    expect(ours).toMatch(/\.sql$/);
    const files: Array<[string, string | Buffer]> = [
      ['mariadb-dump', execFileSync('mariadb-dump', ['-h', DB_HOST, '-u', DB_USER, database.name, 'oc_visit'])],
      ['ours', ours],
    ];
    for (const [label, file] of files) {
      await rows("DELETE FROM oc_visit WHERE year = 2024");
      const reply = typeof file === 'string'
        ? await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(file)}`, {})
        : await restore('partitioned.sql', file);
      expect(reply.success, `${label}: ${String(reply.error)}`).toBeTruthy();
      expect(await checksums(database.name, ['oc_visit'])).toEqual(original);
      expect(await partitions()).toEqual(layout);
    }
  });

  it('a server error names the shop\'s table, never an internal one', async () => {
    const reply = await restore('missing.sql', 'INSERT INTO `oc_missing` VALUES (1);\n');
    expect(String(reply.error)).toContain('oc_missing');
    expect(String(reply.error)).not.toContain('_bkr_');
    const duplicate = await restore('duplicate.sql', 'CREATE TABLE `oc_dup` (`id` int NOT NULL, CONSTRAINT `fk_child_parent` FOREIGN KEY (`id`) REFERENCES `oc_parent` (`id`), CONSTRAINT `fk_child_parent` FOREIGN KEY (`id`) REFERENCES `oc_parent` (`id`));\n');
    expect(String(duplicate.error)).toContain(en.error_statement.split('%s')[0]);
    expect(String(duplicate.error)).not.toContain('_bkr_');
  });
});

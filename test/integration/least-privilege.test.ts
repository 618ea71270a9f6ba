// The module works as a MariaDB account with exactly the README's GRANT (read from README.md, so the two cannot drift):
// sign-in, backup, restore of its own backup and of a mariadb-dump file, undo; foreign keys and triggers survive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, checksums, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, PROJECT_DIR, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, type TestApp, type SignedIn } from '../helpers/app.ts';

const TABLES = ['oc_parent', 'oc_child'];
const KEYS = ['oc_audit.fk_audit_parent -> oc_parent', 'oc_child.fk_child_parent -> oc_parent'];
const TRIGGERS = ['oc_child_note ON oc_child'];

/** The GRANT line of README's "Database account" section, split into what the test keeps and what it replaces. */
function readmeGrant(): { privileges: string; statement: string } {
  const readme = readFileSync(path.join(PROJECT_DIR, 'README.md'), 'utf8');
  const section = readme.split(/^### Database account$/m)[1]?.split(/^#/m)[0] ?? '';
  const statement = /^GRANT .*$/m.exec(section)?.[0] ?? '';
  const match = /^GRANT ([A-Z ,]+) ON shop_db\.\* TO 'backup'@'localhost' IDENTIFIED BY '[^']*';$/.exec(statement);
  if (!match) throw new Error(`README.md's "Database account" section has no GRANT of the expected form: ${statement || '(none)'}`);
  return { privileges: match[1], statement };
}

const grant = readmeGrant();
const account = `bkr_test_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
let host = '';
let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;

async function asRoot<T>(work: (c: Awaited<ReturnType<typeof connect>>) => Promise<T>, db?: string): Promise<T> {
  const c = await connect(db);
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return asRoot(async (c) => (await c.query(sql))[0] as Array<Record<string, unknown>>, database.name);
}

async function foreignKeys(): Promise<string[]> {
  const result = await rows(
    'SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY t, n',
  );
  return result.map((row) => `${row.t}.${row.n} -> ${row.r}`);
}

async function triggers(): Promise<string[]> {
  const result = await rows('SELECT TRIGGER_NAME AS n, EVENT_OBJECT_TABLE AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY n');
  return result.map((row) => `${row.n} ON ${row.t}`);
}

async function change(): Promise<void> {
  await asRoot(async (c) => {
    await c.query("UPDATE oc_parent SET name = 'changed' WHERE id = 1");
    await c.query('DELETE FROM oc_child WHERE id = 12');
    await c.query("INSERT INTO oc_child (id, parent_id, note) VALUES (13, 1, 'added')");
  }, database.name);
}

beforeAll(async () => {
  database = await createTestDatabase('privilege');
  await createUsers(database.name);
  await asRoot(async (c) => {
    await c.query('CREATE TABLE oc_parent (id int NOT NULL PRIMARY KEY, name varchar(32) NOT NULL) ENGINE=InnoDB');
    await c.query(`CREATE TABLE oc_child (id int NOT NULL PRIMARY KEY, parent_id int NOT NULL, note varchar(32) NOT NULL DEFAULT '',
      CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES oc_parent (id) ON DELETE CASCADE) ENGINE=InnoDB`);
    await c.query('CREATE TABLE oc_audit (id int NOT NULL PRIMARY KEY, parent_id int, CONSTRAINT fk_audit_parent FOREIGN KEY (parent_id) REFERENCES oc_parent (id)) ENGINE=InnoDB');
    await c.query("INSERT INTO oc_parent VALUES (1, 'one'), (2, 'two')");
    await c.query("INSERT INTO oc_child VALUES (10, 1, 'A'), (11, 2, 'B'), (12, 2, 'C')");
    await c.query('INSERT INTO oc_audit VALUES (1, 1)');
    // Defined by root: putting it back must not need the right to name another definer.
    await c.query('CREATE TRIGGER oc_child_note BEFORE INSERT ON oc_child FOR EACH ROW SET NEW.note = UPPER(NEW.note)');
  }, database.name);
  await asRoot(async (c) => {
    // The host part the server gives this client, so the account matches the app's connections from here.
    const [who] = await c.query('SELECT SUBSTRING_INDEX(USER(), "@", -1) AS host');
    host = String((who as Array<{ host: string }>)[0].host);
    await c.query(`GRANT ${grant.privileges} ON \`${database.name}\`.* TO ?@? IDENTIFIED BY ?`, [account, host, password]);
  });
  // OpenCart's own admin keeps sessions in the database (the db engine), so the account must serve that too.
  test = await startTestApp(database.name, { db: { username: account, password }, sessionEngine: 'db' });
});

afterAll(async () => {
  await test?.close();
  await asRoot((c) => c.query('DROP USER IF EXISTS ?@?', [account, host || 'localhost']));
  await database?.drop();
});

describe(`the README's GRANT (${grant.privileges})`, () => {
  it('is all the account has: no global privilege, nothing on another database', async () => {
    const granted = (await asRoot((c) => c.query(`SHOW GRANTS FOR ?@?`, [account, host])))[0] as Array<Record<string, string>>;
    const lines = granted.map((row) => Object.values(row)[0]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^GRANT USAGE ON \*\.\* TO /);
    expect(lines[1]).toMatch(new RegExp(`^GRANT ${grant.privileges} ON \`${database.name}\`\\.\\* TO `));
    expect(test.admin.config.db.username).toBe(account);
  });

  it('signs in (a failed attempt is recorded first) and backs up', async () => {
    const wrong = await signIn(test.app, 'tester', 'wrong').catch((error: Error) => error);
    expect(wrong).toBeInstanceOf(Error);
    expect(await rows("SELECT username FROM `_bkr_l_oc_user`")).toEqual([{ username: 'tester' }]);
    admin = await signIn(test.app, 'tester');
    expect(Number((await rows('SELECT COUNT(*) AS n FROM oc_session'))[0].n)).toBeGreaterThan(0);
    const backup = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': TABLES });
    expect(backup.success, String(backup.error)).toBeTruthy();
  });

  it('restores its own backup over changed data, keeping keys and triggers, and undoes it', async () => {
    const original = await checksums(database.name, TABLES);
    const name = readdirSync(test.backupDir).filter((file) => file.endsWith('.sql')).sort().at(-1);
    expect(name).toBeDefined();
    await change();
    const changed = await checksums(database.name, TABLES);
    expect(changed).not.toEqual(original);
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(String(name))}`, {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect(await foreignKeys()).toEqual(KEYS);
    expect(await triggers()).toEqual(TRIGGERS);
    const undo = await admin.agent.post(`/admin/index.php?route=tool/backup.undo&user_token=${admin.token}`).type('form').send('');
    expect(undo.body.success, JSON.stringify(undo.body)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(changed);
    expect(await foreignKeys()).toEqual(KEYS);
    expect(await triggers()).toEqual(TRIGGERS);
  });

  it('restores a mariadb-dump file (DROP and CREATE TABLE with named keys); the trigger still fires', async () => {
    const file = execFileSync('mariadb-dump', ['-h', DB_HOST, '-P', String(DB_PORT), '-u', DB_USER, ...(DB_PASSWORD ? [`-p${DB_PASSWORD}`] : []), database.name, ...TABLES], {
      maxBuffer: 1 << 26,
    });
    const original = await checksums(database.name, TABLES);
    await asRoot((c) => c.query("UPDATE oc_parent SET name = 'again' WHERE id = 2"), database.name);
    writeFileSync(path.join(test.backupDir, 'dump.sql'), file);
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=dump.sql`, {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect(await foreignKeys()).toEqual(KEYS);
    expect(await triggers()).toEqual(TRIGGERS);
    await asRoot((c) => c.query("INSERT INTO oc_child (id, parent_id, note) VALUES (20, 1, 'lower')"), database.name);
    expect(await rows('SELECT note FROM oc_child WHERE id = 20')).toEqual([{ note: 'LOWER' }]);
  });

  it('without one of them, a restore says which privilege is missing and where the README lists them; nothing changes', async () => {
    const name = readdirSync(test.backupDir).filter((file) => file.endsWith('.sql') && file !== 'dump.sql').sort().at(-1);
    await asRoot((c) => c.query("UPDATE oc_parent SET name = 'before' WHERE id = 1"), database.name);
    const before = await checksums(database.name, TABLES);
    await asRoot((c) => c.query(`REVOKE CREATE ON \`${database.name}\`.* FROM ?@?`, [account, host]));
    try {
      const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(String(name))}`, {});
      expect(reply.error).toMatch(/^The database account is not allowed to do this \(CREATE\)\. Grant it the privileges listed under "Database account"/);
      expect(String(reply.error)).not.toContain('_bkr_');
      expect(await checksums(database.name, TABLES)).toEqual(before);
      expect((await rows("SHOW TABLES LIKE '\\_bkr\\_n\\_%'")).length).toBe(0);
    } finally {
      await asRoot((c) => c.query(`GRANT CREATE ON \`${database.name}\`.* TO ?@?`, [account, host]));
    }
  });
});

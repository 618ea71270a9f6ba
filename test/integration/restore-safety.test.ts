// Restore is atomic, resumable after a restart, and refuses stale or foreign jobs: the live tables change only at the swap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, checksums, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, agentWithCookie, type TestApp, type SignedIn } from '../helpers/app.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let backupName: string;
let original: Record<string, string>;
const TABLES = ['oc_order', 'oc_note'];

async function tableNames(): Promise<string[]> {
  const c = await connect(database.name);
  const [rows] = await c.query('SHOW TABLES');
  await c.end();
  return (rows as Array<Record<string, string>>).map((row) => Object.values(row)[0]).sort();
}

async function damage(): Promise<void> {
  const c = await connect(database.name);
  await c.query('DELETE FROM oc_order WHERE order_id % 3 = 0');
  await c.query("UPDATE oc_note SET body = 'changed'");
  await c.end();
}

beforeAll(async () => {
  database = await createTestDatabase('restore');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_order (order_id int NOT NULL PRIMARY KEY, total decimal(15,4) NOT NULL, comment text NOT NULL)');
  await c.query('INSERT INTO oc_order SELECT seq, seq * 1.25, CONCAT(\'order \', seq, REPEAT(\'x\', seq % 200)) FROM seq_1_to_150000');
  await c.query('CREATE TABLE oc_note (note_id int NOT NULL PRIMARY KEY, body varchar(255) NOT NULL)');
  await c.query("INSERT INTO oc_note VALUES (1, 'C:\\\\new\\\\table'), (2, 'first\\nsecond')");
  await c.end();
  original = await checksums(database.name, TABLES);
  // A small budget: the restore takes many requests, so there is a middle to interrupt.
  test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } });
  admin = await signIn(test.app, 'tester');
  const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': TABLES });
  expect(reply.success).toBeTruthy();
  backupName = readdirSync(test.backupDir).find((name) => name.endsWith('.sql')) as string;
});

afterAll(async () => {
  await test?.close(false);
  await database?.drop();
});

async function post(agent: SignedIn['agent'], url: string, form: Record<string, string | string[]> = {}) {
  const target = new URL(url, 'http://x');
  return (await agent.post(target.pathname + target.search).type('form').send(encodeForm(form))).body as Record<string, unknown>;
}

describe('restore', () => {
  it('leaves the live tables untouched until its last request swaps them in', async () => {
    await damage();
    const damaged = await checksums(database.name, TABLES);
    let url: string | undefined = `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(backupName)}`;
    let requests = 0;
    while (url) {
      const reply = await post(admin.agent, url);
      requests++;
      if (reply.success) break;
      expect(reply.error).toBeUndefined();
      // Mid-restore, the shop still sees exactly the damaged data.
      expect(await checksums(database.name, TABLES)).toEqual(damaged);
      url = reply.next as string;
    }
    expect(requests).toBeGreaterThan(3);
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect((await tableNames()).filter((name) => name.startsWith('_bkr_n_'))).toEqual([]);
  });

  it('undo puts the replaced tables back in one step, and restore again gives the backup', async () => {
    const undone = await post(admin.agent, `/admin/index.php?route=tool/backup.undo&user_token=${admin.token}`);
    expect(undone.success).toMatch(/undone/);
    const afterUndo = await checksums(database.name, TABLES);
    expect(afterUndo).not.toEqual(original);
    const again = await post(admin.agent, `/admin/index.php?route=tool/backup.undo&user_token=${admin.token}`);
    expect(again.error).toMatch(/no restore to undo/);
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(backupName)}`, {});
    expect(reply.success).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });

  it('keeps only the last restore\'s replaced tables: the ones before are dropped in the background', async () => {
    for (let i = 0; i < 2; i++) {
      const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(backupName)}`, {});
      expect(reply.success).toBeTruthy();
    }
    await expect.poll(async () => (await tableNames()).filter((name) => /^_bkr_[op]_/.test(name)).length, { timeout: 10_000 }).toBe(TABLES.length);
  });

  it('a statement the database rejects stops the restore with its line and message; nothing changes', async () => {
    await damage();
    const damaged = await checksums(database.name, TABLES);
    writeFileSync(
      path.join(test.backupDir, 'bad.sql'),
      'TRUNCATE TABLE `oc_note`;\nINSERT INTO `oc_note` (`note_id`, `body`) VALUES (5, \'ok\');\nINSERT INTO `oc_note` (`note_id`, `nope`) VALUES (6, \'bad\');\n',
    );
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=bad.sql`, {});
    expect(reply.error).toMatch(/line 3.*Unknown column 'nope'/);
    expect(await checksums(database.name, TABLES)).toEqual(damaged);
    expect((await tableNames()).filter((name) => name.startsWith('_bkr_n_'))).toEqual([]);
  });

  it('forbidden SQL is refused before the first write, naming the line', async () => {
    writeFileSync(path.join(test.backupDir, 'evil.sql'), "TRUNCATE TABLE `oc_note`;\nINSERT INTO `oc_note` VALUES (9, 'x');\n/*!50000 DROP DATABASE mysql */;\n");
    const before = await checksums(database.name, TABLES);
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=evil.sql`, {});
    expect(reply.error).toMatch(/line 3/);
    expect(await checksums(database.name, TABLES)).toEqual(before);
  });

  it('a file that ends inside a statement is refused as truncated', async () => {
    writeFileSync(path.join(test.backupDir, 'cut.sql'), "TRUNCATE TABLE `oc_note`;\nINSERT INTO `oc_note` VALUES (9, 'x");
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=cut.sql`, {});
    expect(reply.error).toMatch(/line 2/);
  });

  it('our own backup without its completion footer is refused', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(path.join(test.backupDir, backupName), 'utf8');
    writeFileSync(path.join(test.backupDir, 'no-footer.sql'), text.slice(0, text.indexOf('-- Backup completed')));
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=no-footer.sql`, {});
    expect(reply.error).toMatch(/incomplete/);
  });

  it('a partial restore writes only the chosen tables', async () => {
    await damage();
    const damaged = await checksums(database.name, TABLES);
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(backupName)}`, { 'restore[]': ['oc_note'] });
    expect(reply.success).toBeTruthy();
    const now = await checksums(database.name, TABLES);
    expect(now.oc_note).toBe(original.oc_note);
    expect(now.oc_order).toBe(damaged.oc_order);
  });

  it('continues after a server restart from the committed position, running no statement twice', async () => {
    await damage();
    let reply = await post(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(backupName)}`);
    // Into the load phase, part way.
    for (let i = 0; i < 30 && !String(reply.text ?? '').startsWith('Restoring'); i++) reply = await post(admin.agent, reply.next as string);
    reply = await post(admin.agent, reply.next as string);
    expect(reply.next).toBeTruthy();
    const next = reply.next as string;

    // The process stops (its jobs are suspended, not aborted) and a new one starts on the same storage and database.
    const storage = test.storage;
    await test.close(true);
    test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } }, storage);
    const agent = agentWithCookie(test.app, admin.cookie);
    const resumed = await runJob(agent, next, {});
    expect(resumed.success, String(resumed.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });
});

// tool/backup.discard drops an interrupted restore at once, in this process or left by a previous one: the live tables stay
// exactly as they were, no shadow table or state is left, and the next job starts at once.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, checksums, tableNames, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, type TestApp, type SignedIn } from '../helpers/app.ts';
import { languageStrings, fill } from '../helpers/browser.ts';
import { RESTORE_STATE_FILE } from '../../system/library/backup/housekeeping.ts';
import { ABANDONED_AFTER_MS } from '../../admin/controller/tool/backup.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let backupName: string;
let original: Record<string, string>;
const TABLES = ['oc_order', 'oc_note'];
const en = languageStrings('en-gb', 'tool/backup');
const de = languageStrings('de-de', 'tool/backup');

async function damage(): Promise<void> {
  const c = await connect(database.name);
  await c.query('DELETE FROM oc_order WHERE order_id % 3 = 0');
  await c.query("UPDATE oc_note SET body = CONCAT('changed ', NOW(6))");
  await c.end();
}

async function shadowTables(): Promise<string[]> {
  return (await tableNames(database.name)).filter((name) => name.startsWith('_bkr_n_') || name === '_bkr_state');
}

async function post(agent: SignedIn['agent'], url: string, form: Record<string, string | string[]> = {}) {
  const target = new URL(url, 'http://x');
  return (await agent.post(target.pathname + target.search).type('form').send(encodeForm(form))).body as Record<string, unknown>;
}

function link(who: SignedIn, route: string, extra = ''): string {
  return `/admin/index.php?route=${route}&user_token=${who.token}${extra}`;
}

/** Starts a restore of the backup and stops part way through its load phase; returns the `next` it was left at. */
async function interruptRestore(who: SignedIn): Promise<string> {
  let reply = await post(who.agent, link(who, 'tool/backup.restore', `&filename=${encodeURIComponent(backupName)}`));
  for (let i = 0; i < 30 && !String(reply.text ?? '').startsWith('Restoring'); i++) reply = await post(who.agent, reply.next as string);
  reply = await post(who.agent, reply.next as string);
  expect(reply.error).toBeUndefined();
  expect(reply.next).toBeTruthy();
  // Part way: the shadow tables hold some of the file, so there is something to discard.
  expect((await shadowTables()).filter((name) => name.startsWith('_bkr_n_')).length).toBeGreaterThan(0);
  expect(existsSync(path.join(test.backupDir, RESTORE_STATE_FILE))).toBe(true);
  return reply.next as string;
}

/** What discarding must leave: the live tables as they were, nothing of the restore, and a free way for the next job. */
async function expectNothingLeft(live: Record<string, string>): Promise<void> {
  expect(await checksums(database.name, TABLES)).toEqual(live);
  expect(await shadowTables()).toEqual([]);
  expect(existsSync(path.join(test.backupDir, RESTORE_STATE_FILE))).toBe(false);
}

beforeAll(async () => {
  database = await createTestDatabase('discard');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_order (order_id int NOT NULL PRIMARY KEY, total decimal(15,4) NOT NULL, comment text NOT NULL)');
  await c.query("INSERT INTO oc_order SELECT seq, seq * 1.25, CONCAT('order ', seq, REPEAT('x', seq % 200)) FROM seq_1_to_100000");
  await c.query('CREATE TABLE oc_note (note_id int NOT NULL PRIMARY KEY, body varchar(255) NOT NULL)');
  await c.query("INSERT INTO oc_note VALUES (1, 'C:\\\\new\\\\table'), (2, 'first\\nsecond')");
  await c.end();
  original = await checksums(database.name, TABLES);
  // A small budget: the restore takes many requests, so there is a middle to interrupt.
  test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } });
  admin = await signIn(test.app, 'tester');
  const reply = await runJob(admin.agent, link(admin, 'tool/backup.backup'), { 'backup[]': TABLES });
  expect(reply.success).toBeTruthy();
  backupName = readdirSync(test.backupDir).find((name) => name.endsWith('.sql')) as string;
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await test?.close(false);
  await database?.drop();
});

describe('discarding an interrupted restore', () => {
  it('in this process: the job is aborted, the live tables are unchanged, and a backup and a restore can start at once', async () => {
    await damage();
    const damaged = await checksums(database.name, TABLES);
    const next = await interruptRestore(admin);

    const reply = await post(admin.agent, link(admin, 'tool/backup.discard'));
    expect(reply).toEqual({ success: fill(en.text_discard_success, backupName) });
    await expectNothingLeft(damaged);
    // The discarded job is gone: its `next` no longer continues it.
    expect((await post(admin.agent, next)).error).toBe(en.error_job_expired);
    // Neither the lock nor the job registry is left held.
    expect((await runJob(admin.agent, link(admin, 'tool/backup.backup'), { 'backup[]': ['oc_note'] })).success).toBeTruthy();
    const restored = await runJob(admin.agent, link(admin, 'tool/backup.restore', `&filename=${encodeURIComponent(backupName)}`), {});
    expect(restored.success, String(restored.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });

  it('after a server restart, from a new session of another sign-in: the page offers Discard (not Continue), and discarding frees the way', async () => {
    await damage();
    const damaged = await checksums(database.name, TABLES);
    await interruptRestore(admin);

    // The process stops (its jobs are suspended, not aborted) and a new one starts on the same storage and database.
    const storage = test.storage;
    await test.close(true);
    test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } }, storage);
    // The session that started the restore is gone: the admin signs in afresh.
    admin = await signIn(test.app, 'tester');
    const page = await admin.agent.get(link(admin, 'tool/backup'));
    expect(page.text).toContain('id="button-discard"');
    expect(page.text).not.toContain('id="button-resume"');
    expect(page.text).toMatch(/id="restore-interrupted" class="alert alert-warning mt-3 mb-0"/);
    // The shadows survived the restart (the restore could still be resumed): discarding is what removes them.
    expect((await shadowTables()).length).toBeGreaterThan(0);

    const reply = await post(admin.agent, link(admin, 'tool/backup.discard'));
    expect(reply).toEqual({ success: fill(en.text_discard_success, backupName) });
    await expectNothingLeft(damaged);
    const after = await admin.agent.get(link(admin, 'tool/backup'));
    expect(after.text).not.toContain('id="button-discard"');
    expect(after.text).toMatch(/id="restore-interrupted" class="[^"]*d-none/);

    const restored = await runJob(admin.agent, link(admin, 'tool/backup.restore', `&filename=${encodeURIComponent(backupName)}`), {});
    expect(restored.success, String(restored.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });

  it('with nothing to discard, answers a translated error and changes nothing', async () => {
    const before = await checksums(database.name, TABLES);
    const reply = await post(admin.agent, link(admin, 'tool/backup.discard'));
    expect(reply).toEqual({ error: en.error_discard });
    const german = await post(admin.agent, link(admin, 'tool/backup.discard', '&language=de-de'));
    expect(german).toEqual({ error: de.error_discard });
    expect(de.error_discard).not.toBe(en.error_discard);
    await admin.agent.get(link(admin, 'tool/backup', '&language=en-gb'));
    expect(await checksums(database.name, TABLES)).toEqual(before);
  });

  it('is refused with a wrong user_token, without a session, and without modify permission; the restore stays resumable', async () => {
    const next = await interruptRestore(admin);
    const shadows = await shadowTables();
    const viewer = await signIn(test.app, 'viewer');

    const wrongToken = await admin.agent.post(`/admin/index.php?route=tool/backup.discard&user_token=wrong${admin.token.slice(5)}`);
    expect(wrongToken.status).toBe(401);
    const stranger = await (await import('supertest')).default(test.app).post(`/admin/index.php?route=tool/backup.discard&user_token=${admin.token}`);
    expect(stranger.status).toBe(401);
    const forbidden = await viewer.agent.post(link(viewer, 'tool/backup.discard'));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe(en.error_permission);
    const byGet = await admin.agent.get(link(admin, 'tool/backup.discard'));
    expect(byGet.status).toBe(405);

    expect(await shadowTables()).toEqual(shadows);
    expect(existsSync(path.join(test.backupDir, RESTORE_STATE_FILE))).toBe(true);
    // Still the owner's running restore: it goes on to the end.
    const finished = await runJob(admin.agent, next, {});
    expect(finished.success, String(finished.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
    expect(await shadowTables()).toEqual([]);
  });

  it("another admin's session may not discard a restore whose page is still working, but may once it has been silent a while", async () => {
    await damage();
    const damaged = await checksums(database.name, TABLES);
    const next = await interruptRestore(admin);
    const colleague = await signIn(test.app, 'tester');

    const refused = await post(colleague.agent, link(colleague, 'tool/backup.discard'));
    expect(refused.error).toMatch(textPatternOf(en.error_busy_restore));
    expect((await shadowTables()).length).toBeGreaterThan(0);
    // The page of a restore that is still moving does not call it interrupted.
    expect((await colleague.agent.get(link(colleague, 'tool/backup'))).text).not.toContain('id="button-discard"');

    // Later: the owner's page has sent nothing for longer than ABANDONED_AFTER_MS.
    const now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now + ABANDONED_AFTER_MS + 1000);
    const page = await colleague.agent.get(link(colleague, 'tool/backup'));
    expect(page.text).toContain('id="button-discard"');
    expect(page.text).not.toContain('id="button-resume"');
    const reply = await post(colleague.agent, link(colleague, 'tool/backup.discard'));
    vi.restoreAllMocks();
    expect(reply).toEqual({ success: fill(en.text_discard_success, backupName) });
    await expectNothingLeft(damaged);
    expect((await post(admin.agent, next)).error).toBe(en.error_job_expired);
  });
});

/** A whole-text pattern for a message whose `%s` the test cannot know. */
function textPatternOf(text: string): RegExp {
  return new RegExp('^' + text.split('%s').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+') + '$');
}

// Faults: the server killed with SIGKILL mid-job, the database connection killed mid-page, two jobs at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, checksums, runMariadbClient, type TestDatabase } from '../helpers/database.ts';
import { AdminClient, startServerProcess, killServer, type ServerProcess } from '../helpers/http-client.ts';

let database: TestDatabase;
let storage: string;
let server: ServerProcess | null = null;
let client: AdminClient;
let original: Record<string, string>;
const TABLES = ['oc_order', 'oc_log'];
const PORT = 21000 + (process.pid % 20000);
const extra: TestDatabase[] = [];

async function start(): Promise<void> {
  server = await startServerProcess(
    { DB_DATABASE: database.name, DB_HOSTNAME: '127.0.0.1', DB_USERNAME: 'root', DB_PASSWORD: '', DIR_STORAGE: storage, BACKUP_REQUEST_BUDGET_MS: '40' },
    PORT,
  );
  client = client ? client.rebase(server.base) : new AdminClient(server.base);
}

async function damage(): Promise<void> {
  const c = await connect(database.name);
  await c.query('DELETE FROM oc_order WHERE order_id % 4 = 0');
  await c.end();
}

async function killLockHolder(): Promise<void> {
  const c = await connect();
  const [rows] = await c.query('SELECT IS_USED_LOCK(?) AS id', [`opencart_backup_restore.${database.name}`]);
  const id = (rows as Array<{ id: number | null }>)[0].id;
  expect(id).not.toBeNull();
  await c.query(`KILL CONNECTION ${Number(id)}`);
  await c.end();
}

function backupFiles(): string[] {
  return readdirSync(path.join(storage, 'backup')).filter((name) => !name.startsWith('.'));
}

beforeAll(async () => {
  database = await createTestDatabase('faults');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_order (order_id int NOT NULL PRIMARY KEY, total decimal(15,4) NOT NULL, note varchar(200) NOT NULL)');
  await c.query("INSERT INTO oc_order SELECT seq, seq / 7, REPEAT(CHAR(65 + seq % 26), seq % 150) FROM seq_1_to_150000");
  // No key: read in one pass, so a lost connection makes it start over in the file.
  await c.query('CREATE TABLE oc_log (line varchar(100) NOT NULL)');
  await c.query("INSERT INTO oc_log SELECT CONCAT('line ', seq % 500) FROM seq_1_to_30000");
  await c.end();
  original = await checksums(database.name, TABLES);
  storage = mkdtempSync(path.join(os.tmpdir(), 'backup-faults-'));
  await start();
  await client.login('tester');
});

afterAll(async () => {
  if (server) await killServer(server, 'SIGTERM');
  rmSync(storage, { recursive: true, force: true });
  await database?.drop();
  for (const db of extra) await db.drop();
});

function backupForm(): URLSearchParams {
  const form = new URLSearchParams();
  for (const table of TABLES) form.append('backup[]', table);
  return form;
}

describe('when the server process is killed', () => {
  it('mid-backup: no incomplete file is listed, the next request fails clearly, the .part is gone', async () => {
    let reply = await client.post(`index.php?route=tool/backup.backup&user_token=${client.token}`, backupForm());
    reply = await client.post(reply.next as string, backupForm());
    expect(reply.next).toBeTruthy();
    await killServer(server as ServerProcess);
    await start();
    const history = await (await client.request(`index.php?route=tool/backup.history&user_token=${client.token}`)).text();
    expect(history).not.toMatch(/\d{4}-\d\d-\d\d \d\d\.\d\d\.\d\d/);
    const after = await client.post(reply.next as string, backupForm());
    expect(after.error).toMatch(/no longer running.*start it again/);
    expect(backupFiles()).toEqual([]);
  });

  it('mid-restore: the live tables are as before; the next request resumes and finishes exactly', async () => {
    const { reply: done } = await client.job(`index.php?route=tool/backup.backup&user_token=${client.token}`, backupForm());
    expect(done.success).toBeTruthy();
    const name = backupFiles().find((file) => file.endsWith('.sql')) as string;
    await damage();
    const damaged = await checksums(database.name, TABLES);

    let reply = await client.post(`index.php?route=tool/backup.restore&user_token=${client.token}&filename=${encodeURIComponent(name)}`);
    for (let i = 0; i < 40 && !String(reply.text ?? '').startsWith('Restoring'); i++) reply = await client.post(reply.next as string);
    for (let i = 0; i < 3 && reply.next; i++) reply = await client.post(reply.next as string);
    expect(reply.next).toBeTruthy();
    await killServer(server as ServerProcess);
    expect(await checksums(database.name, TABLES)).toEqual(damaged);
    await start();
    expect(await checksums(database.name, TABLES)).toEqual(damaged);

    // The page says the restore was interrupted and changed nothing, and offers to continue it.
    const page = await (await client.request(`index.php?route=tool/backup&user_token=${client.token}`)).text();
    const notice = /<div id="restore-interrupted"[^>]*>\s*<span>([^<]*)<\/span>/.exec(page)?.[1] ?? '';
    expect(notice, page.slice(page.indexOf('restore-interrupted') - 50, page.indexOf('restore-interrupted') + 400)).toMatch(/The restore of .* was interrupted/);
    const resume = (/data-resume="([^"]+)"/.exec(page) as RegExpExecArray)[1].replace(/&amp;/g, '&');
    expect(new URL(resume, 'http://localhost').searchParams.get('step')).toBe(new URL(reply.next as string, 'http://localhost').searchParams.get('step'));
    const { reply: resumed } = await client.job(resume);
    expect(resumed.success, String(resumed.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });
});

describe('when the database connection is killed', () => {
  it('during a backup: the job goes on with a new snapshot, marks the file not consistent, and loses nothing', async () => {
    for (const file of backupFiles()) rmSync(path.join(storage, 'backup', file));
    let reply = await client.post(`index.php?route=tool/backup.backup&user_token=${client.token}`, backupForm());
    reply = await client.post(reply.next as string, backupForm());
    expect(reply.next).toBeTruthy();
    await killLockHolder();
    const { reply: done } = await client.job(reply.next as string, backupForm());
    expect(done.success, String(done.error)).toBeTruthy();
    const name = backupFiles().find((file) => file.endsWith('.sql')) as string;
    const text = readFileSync(path.join(storage, 'backup', name), 'utf8');
    expect(text).toContain('-- Consistent snapshot: NO');
    const target = await createTestDatabase('faults_client');
    extra.push(target);
    const result = await runMariadbClient(target.name, path.join(storage, 'backup', name));
    expect(result.stderr).toBe('');
    expect(await checksums(target.name, TABLES)).toEqual(original);
  });

  it('during a restore: the job reconnects, continues from the committed batch, and restores exactly', async () => {
    const name = backupFiles().find((file) => file.endsWith('.sql')) as string;
    await damage();
    let reply = await client.post(`index.php?route=tool/backup.restore&user_token=${client.token}&filename=${encodeURIComponent(name)}`);
    for (let i = 0; i < 40 && !String(reply.text ?? '').startsWith('Restoring'); i++) reply = await client.post(reply.next as string);
    reply = await client.post(reply.next as string);
    expect(reply.next).toBeTruthy();
    await killLockHolder();
    const { reply: done } = await client.job(reply.next as string);
    expect(done.success, String(done.error)).toBeTruthy();
    expect(await checksums(database.name, TABLES)).toEqual(original);
  });
});

describe('one job at a time', () => {
  it('a second backup while one runs is refused, saying what runs and since when', async () => {
    const first = await client.post(`index.php?route=tool/backup.backup&user_token=${client.token}`, backupForm());
    expect(first.next).toBeTruthy();
    const second = await client.post(`index.php?route=tool/backup.backup&user_token=${client.token}`, backupForm());
    expect(second.error).toMatch(/A backup has been running since \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d\. Wait/);
    const restore = await client.post(`index.php?route=tool/backup.restore&user_token=${client.token}&filename=x.sql`);
    expect(restore.error).toBeTruthy();
    const { reply } = await client.job(first.next as string, backupForm());
    expect(reply.success).toBeTruthy();
  });
});

describe('abandoned jobs', () => {
  it('a backup and a restore left without their next request release the database and leave no file or shadow table', async () => {
    const { startTestApp, signIn, encodeForm } = await import('../helpers/app.ts');
    const app = await startTestApp(database.name, { backup: { requestBudgetMs: 20, jobTimeoutMs: 1500 } });
    try {
      const session = await signIn(app.app, 'tester');
      const started = await session.agent.post(`/admin/index.php?route=tool/backup.backup&user_token=${session.token}`).type('form').send(encodeForm({ 'backup[]': TABLES }));
      expect(started.body.next, JSON.stringify(started.body)).toBeTruthy();
      expect(readdirSync(app.backupDir).some((name) => name.endsWith('.part')), readdirSync(app.backupDir).join(', ')).toBe(true);
      await expect.poll(() => readdirSync(app.backupDir).filter((name) => name.endsWith('.part')).length, { timeout: 10_000, interval: 250 }).toBe(0);
      await expect.poll(async () => {
        const c = await connect();
        const [rows] = await c.query('SELECT IS_FREE_LOCK(?) AS free', [`opencart_backup_restore.${database.name}`]);
        await c.end();
        return Number((rows as Array<{ free: number }>)[0].free);
      }, { timeout: 10_000, interval: 250 }).toBe(1);

      const name = backupFiles().find((file) => file.endsWith('.sql')) as string;
      (await import('node:fs')).copyFileSync(path.join(storage, 'backup', name), path.join(app.backupDir, 'abandon.sql'));
      let reply = (await session.agent.post(`/admin/index.php?route=tool/backup.restore&user_token=${session.token}&filename=abandon.sql`)).body;
      for (let i = 0; i < 40 && !String(reply.text ?? '').startsWith('Restoring'); i++) reply = (await session.agent.post(new URL(reply.next, 'http://localhost').pathname + new URL(reply.next, 'http://localhost').search)).body;
      reply = (await session.agent.post(new URL(reply.next, 'http://localhost').pathname + new URL(reply.next, 'http://localhost').search)).body;
      expect(reply.next, JSON.stringify(reply)).toBeTruthy();
      const shadows = async () => {
        const c = await connect(database.name);
        const [rows] = await c.query("SHOW TABLES LIKE '\\_bkr\\_n\\_%'");
        await c.end();
        return (rows as unknown[]).length;
      };
      expect(await shadows()).toBeGreaterThan(0);
      await expect.poll(shadows, { timeout: 15_000, interval: 250 }).toBe(0);
      expect(readdirSync(app.backupDir).filter((file) => file.startsWith('.restore-job'))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

// Hostile input: traversal in every spelling, forged and stale `next` URLs, broken uploads, a full or read-only disk.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, createUsers, connect, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, type TestApp, type SignedIn } from '../helpers/app.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let other: SignedIn;

beforeAll(async () => {
  database = await createTestDatabase('hostile');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_product (product_id int NOT NULL PRIMARY KEY, model varchar(255) NOT NULL)');
  await c.query("INSERT INTO oc_product SELECT seq, REPEAT('m', 200) FROM seq_1_to_40000");
  await c.end();
  test = await startTestApp(database.name, { backup: { requestBudgetMs: 20 } });
  admin = await signIn(test.app, 'tester');
  other = await signIn(test.app, 'tester');
  // A file outside storage/backup that no request may reach.
  writeFileSync(path.join(test.storage, 'outside.sql'), 'TRUNCATE TABLE `oc_product`;\n');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

const url = (route: string, query = '') => `/admin/index.php?route=${route}&user_token=${admin.token}${query}`;

describe('file name parameters', () => {
  const names = [
    '../outside.sql',
    '..%2Foutside.sql',
    '%2e%2e%2foutside.sql',
    '%252e%252e%252foutside.sql',
    '..\\outside.sql',
    '..%5Coutside.sql',
    encodeURIComponent(path.join('..', 'outside.sql')),
    encodeURIComponent('/etc/passwd'),
    'outside.sql%00.sql',
    'a'.repeat(300) + '.sql',
    '',
    '.restore-undo.json',
    '.upload-x.sql.part',
    'x.sql.part',
  ];

  it.each(names)('%s never reads, writes or deletes anything outside storage/backup', async (name) => {
    for (const [method, route] of [['get', 'tool/backup.download'], ['get', 'tool/backup.inspect'], ['post', 'tool/backup.delete'], ['post', 'tool/backup.restore']] as const) {
      const response = await admin.agent[method](url(route, `&filename=${name}`));
      if (route === 'tool/backup.download') expect(response.status, name).toBe(400);
      else expect(response.body.error, `${route} ${name}`).toMatch(/3 to 128 characters|could not be found/);
    }
    expect(existsSync(path.join(test.storage, 'outside.sql'))).toBe(true);
  });
});

describe('links planted in storage/backup', () => {
  // A symbolic link reaches anywhere; a hard link is the outside file itself under a backup's name.
  it.each(['symbolic', 'hard'] as const)('a %s link is never listed, downloaded, inspected, restored or deleted', async (kind) => {
    const outside = path.join(test.storage, `secret-${kind}.sql`);
    writeFileSync(outside, "INSERT INTO `oc_product` (`product_id`, `model`) VALUES (999999, 'planted');\n");
    const name = `planted-${kind}.sql`;
    const planted = path.join(test.backupDir, name);
    if (kind === 'symbolic') symlinkSync(outside, planted);
    else linkSync(outside, planted);
    onTestFinished(() => rmSync(planted, { force: true }));

    const page = await admin.agent.get(url('tool/backup.history'));
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(name);
    const download = await admin.agent.get(url('tool/backup.download', `&filename=${name}`));
    expect(download.status).toBe(400);
    expect(download.text).not.toContain('planted');
    expect((await admin.agent.get(url('tool/backup.inspect', `&filename=${name}`))).body.error).toMatch(/could not be found/);
    expect((await admin.agent.post(url('tool/backup.restore', `&filename=${name}`))).body.error).toMatch(/could not be found/);
    expect((await admin.agent.post(url('tool/backup.delete', `&filename=${name}`))).body.error).toMatch(/could not be found/);

    expect(lstatSync(planted).isFile() || lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(readFileSync(outside, 'utf8')).toContain('planted');
    const c = await connect(database.name);
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM oc_product WHERE product_id = 999999');
    await c.end();
    expect(Number((rows as Array<{ n: string }>)[0].n)).toBe(0);
  });
});

describe('forged and stale next URLs', () => {
  it('a job of another session, a skipped step, an unknown job: clear errors, nothing written', async () => {
    const first = await admin.agent.post(url('tool/backup.backup')).type('form').send(encodeForm({ 'backup[]': 'oc_product' }));
    expect(first.body.next).toBeTruthy();
    const next = new URL(first.body.next, 'http://localhost');
    const foreign = await other.agent.post(next.pathname + next.search.replace(admin.token, other.token)).type('form').send('');
    expect(foreign.body.error).toMatch(/another session/);
    const skipped = await admin.agent.post(next.pathname + next.search.replace(/step=\d+/, 'step=7')).type('form').send('');
    expect(skipped.body.error).toMatch(/does not continue the running job/);
    const unknown = await admin.agent.post(url('tool/backup.backup', '&job=ffffffffffffffffffffffff&step=1&filename=forged.sql')).type('form').send('');
    expect(unknown.body.error).toMatch(/no longer running/);
    // None of them wrote anything or disturbed the real job, which still finishes.
    expect(readdirSync(test.backupDir).filter((n) => n.endsWith('.sql'))).toEqual([]);
    const done = await runJob(admin.agent, first.body.next, {});
    expect(done.success).toBeTruthy();
    for (const name of readdirSync(test.backupDir)) (await import('node:fs')).rmSync(path.join(test.backupDir, name));
  });

  it('a replayed request (the reply was lost) gets the same answer instead of skipping a page', async () => {
    const first = await admin.agent.post(url('tool/backup.backup')).type('form').send(encodeForm({ 'backup[]': 'oc_product' }));
    const next = new URL(first.body.next, 'http://localhost');
    const second = await admin.agent.post(next.pathname + next.search).type('form').send('');
    const replay = await admin.agent.post(next.pathname + next.search).type('form').send('');
    expect(replay.body).toEqual(second.body);
    const done = second.body.success ? second.body : await runJob(admin.agent, second.body.next, {});
    expect(done.success).toBeTruthy();
    const file = readdirSync(test.backupDir).find((n) => n.endsWith('.sql')) as string;
    const text = (await import('node:fs')).readFileSync(path.join(test.backupDir, file), 'utf8');
    expect(text).toContain('-- Rows `oc_product`: 40000');
  });
});

describe('uploads', () => {
  it('several files in one request are refused and nothing is kept', async () => {
    const response = await admin.agent.post(url('tool/backup.upload')).attach('upload', Buffer.from('TRUNCATE TABLE `oc_product`;\n'), 'one.sql').attach('upload', Buffer.from('x'), 'two.sql');
    expect(response.body.error).toMatch(/exactly one file/);
    expect(existsSync(path.join(test.backupDir, 'one.sql'))).toBe(false);
    expect(existsSync(path.join(test.backupDir, 'two.sql'))).toBe(false);
  });

  it('a multipart body cut off in the middle is refused and leaves no temporary file', async () => {
    const boundary = 'XyZ';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="cut.sql"\r\nContent-Type: application/sql\r\n\r\nTRUNCATE TABLE \`oc_product\`;\nINSERT INTO`;
    const response = await request(test.app).post(url('tool/backup.upload')).set('Cookie', admin.cookie).set('Content-Type', `multipart/form-data; boundary=${boundary}`).send(body);
    expect(response.body.error).toBeTruthy();
    expect(readdirSync(test.backupDir).filter((n) => n.startsWith('.upload') || n === 'cut.sql')).toEqual([]);
  });

  it('a request that is not multipart is refused', async () => {
    const response = await admin.agent.post(url('tool/backup.upload')).type('form').send('upload=x');
    expect(response.body.error).toMatch(/did not arrive/);
  });
});

describe('storage', () => {
  it('the backup folder is 0700 and backup files are 0600', async () => {
    const reply = await runJob(admin.agent, url('tool/backup.backup'), { 'backup[]': 'oc_product' });
    expect(reply.success).toBeTruthy();
    expect(statSync(test.backupDir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(test.backupDir).filter((n) => n.endsWith('.sql'))) expect(statSync(path.join(test.backupDir, name)).mode & 0o777).toBe(0o600);
  });

  // A real full disk: a 1 MB tmpfs mounted over a backup folder (needs root, as CI and this machine run).
  const canMount = process.getuid?.() === 0;
  it.skipIf(!canMount)('a full disk stops the backup with a clear error, removes the partial file, and harms nothing else', async () => {
    const small = await startTestApp(database.name);
    mkdirSync(small.backupDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', small.backupDir]);
    try {
      writeFileSync(path.join(small.backupDir, 'keep.sql'), 'TRUNCATE TABLE `oc_product`;\n');
      const session = await signIn(small.app, 'tester');
      const reply = await runJob(session.agent, `/admin/index.php?route=tool/backup.backup&user_token=${session.token}`, { 'backup[]': 'oc_product' });
      expect(reply.error).toMatch(/cannot be written: ENOSPC/);
      expect(readdirSync(small.backupDir)).toEqual(['keep.sql']);
      execFileSync('mount', ['-o', 'remount,ro', small.backupDir]);
      const readOnly = await runJob(session.agent, `/admin/index.php?route=tool/backup.backup&user_token=${session.token}`, { 'backup[]': 'oc_product' });
      expect(readOnly.error).toMatch(/cannot be written: EROFS/);
    } finally {
      execFileSync('umount', [small.backupDir]);
      await small.close();
    }
  });
});

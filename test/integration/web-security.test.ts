// The web layer attacked through HTTP: sign-in, sessions, tokens, methods, file names, uploads, downloads and jobs.
// Tests marked "(was a hole)" failed on the code before an adversarial review's fixes.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import request from 'supertest';
import { createTestDatabase, createUsers, connect, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, binaryParser, type TestApp, type SignedIn } from '../helpers/app.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let second: SignedIn;
let viewer: SignedIn;

beforeAll(async () => {
  database = await createTestDatabase('webreview');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query('CREATE TABLE oc_product (product_id int NOT NULL PRIMARY KEY, model varchar(255) NOT NULL)');
  await c.query("INSERT INTO oc_product SELECT seq, REPEAT('m', 200) FROM seq_1_to_40000");
  await c.query(
    "CREATE TABLE oc_setting (setting_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, store_id int NOT NULL DEFAULT 0, code varchar(128) NOT NULL, `key` varchar(128) NOT NULL, value text NOT NULL, serialized tinyint(1) NOT NULL DEFAULT 0)",
  );
  await c.query("INSERT INTO oc_setting (store_id, code, `key`, value) VALUES (0, 'config', 'config_login_attempts', '5')");
  // Users for the sign-in tests, each with its own throttle count; `slowhash` has a real-world bcrypt cost (10).
  for (const [name, hash] of [
    ['racer', bcrypt.hashSync('racer', 4)],
    ['spacer', bcrypt.hashSync('spacer', 4)],
    ['slowhash', bcrypt.hashSync('slowhash', 10)],
  ]) {
    await c.query(
      "INSERT INTO oc_user (user_group_id, username, password, firstname, lastname, email, status, date_added) VALUES (901, ?, ?, 'R', 'R', 'r@example.com', 1, NOW())",
      [name, hash.replace(/^\$2[ab]\$/, '$2y$')],
    );
  }
  await c.end();
  test = await startTestApp(database.name, { backup: { requestBudgetMs: 20 } });
  admin = await signIn(test.app, 'tester');
  second = await signIn(test.app, 'tester');
  viewer = await signIn(test.app, 'viewer');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

const url = (who: SignedIn, route: string, query = '') => `/admin/index.php?route=${route}&user_token=${who.token}${query}`;
const pathOf = (absolute: string) => {
  const u = new URL(absolute, 'http://localhost');
  return u.pathname + u.search;
};

/** GET the login form in a fresh session; its agent and the form's action. */
async function loginForm(): Promise<{ agent: ReturnType<typeof request.agent>; action: string }> {
  const agent = request.agent(test.app);
  const page = await agent.get('/admin/index.php?route=common/login');
  const action = /action="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error('login form has no action');
  return { agent, action: pathOf(action) };
}

async function setLoginLimit(limit: number): Promise<void> {
  const c = await connect(database.name);
  await c.query("UPDATE oc_setting SET value = ? WHERE store_id = 0 AND code = 'config' AND `key` = 'config_login_attempts'", [String(limit)]);
  await c.end();
}

function cleanBackupDir(): void {
  for (const name of readdirSync(test.backupDir)) rmSync(path.join(test.backupDir, name), { force: true, recursive: true });
}

describe('sign-in', () => {
  it('(was a hole) parallel wrong passwords are not all checked: no more than config_login_attempts guesses get through the throttle', async () => {
    await setLoginLimit(5);
    const { agent, action } = await loginForm();
    // The login_token stays valid after a failure (as in OpenCart), so one form serves every guess.
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => agent.post(action).type('form').send({ username: 'racer', password: `guess-${i}` })));
    const checked = replies.filter((r) => /incorrect/.test(String(r.body.error))).length;
    const throttled = replies.filter((r) => /login attempts/.test(String(r.body.error))).length;
    expect(checked + throttled).toBe(30);
    // The count is read before the (slow) password check and written after it: every request in flight passes.
    expect(checked).toBeLessThanOrEqual(5);
  });

  it('the throttle is not bypassed by case or trailing spaces in the username', async () => {
    await setLoginLimit(3);
    for (let i = 0; i < 3; i++) {
      const { agent, action } = await loginForm();
      expect((await agent.post(action).type('form').send({ username: 'spacer', password: 'wrong' })).body.error).toMatch(/incorrect/);
    }
    for (const username of ['SPACER', 'spacer ', 'Spacer  ']) {
      const { agent, action } = await loginForm();
      const reply = await agent.post(action).type('form').send({ username, password: 'spacer' });
      expect(reply.body.redirect, username).toBeUndefined();
      expect(reply.body.error, username).toMatch(/login attempts/);
    }
    await setLoginLimit(5);
  });

  it('(was a hole) an unknown username answers as slowly as a known one with a wrong password (no username enumeration by timing)', async () => {
    await setLoginLimit(1000);
    const time = async (username: string) => {
      const { agent, action } = await loginForm();
      const started = process.hrtime.bigint();
      const reply = await agent.post(action).type('form').send({ username, password: 'wrong-password' });
      expect(reply.body.error).toMatch(/incorrect/);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time('slowhash'));
      unknown.push(await time(`nobody-${i}`));
    }
    // A bcrypt check (cost 10) runs only for existing, active users.
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
    await setLoginLimit(5);
  });

  it('the JSON redirect ignores a crafted redirect parameter and the Referer', async () => {
    const { agent, action } = await loginForm();
    const reply = await agent
      .post(action + '&redirect=https%3A%2F%2Fevil.example%2F')
      .set('Referer', 'https://evil.example/')
      .type('form')
      .send({ username: 'tester', password: 'tester', redirect: 'https://evil.example/' });
    expect(reply.body.redirect).toBeTruthy();
    const target = new URL(reply.body.redirect, 'http://localhost');
    expect(target.host).not.toBe('evil.example');
    expect(target.searchParams.get('route')).toBe('tool/backup');
  });

  it('the login_token is spent by a successful sign-in: the old form cannot sign in again', async () => {
    const { agent, action } = await loginForm();
    const first = await agent.post(action).type('form').send({ username: 'tester', password: 'tester' });
    expect(first.body.redirect).toBeTruthy();
    const again = await agent.post(action).type('form').send({ username: 'tester', password: 'tester' });
    expect(again.body.redirect).toBeUndefined();
    expect(again.body.error).toMatch(/expired/);
  });

  it('a session id planted before sign-in is replaced: the planted cookie does not open the page', async () => {
    const planted = 'PlantedByAnAttacker0123456789';
    const agent = request.agent(test.app);
    const page = await agent.get('/admin/index.php?route=common/login').set('Cookie', `OCSESSID=${planted}`);
    const action = pathOf(/action="([^"]+)"/.exec(page.text)![1].replace(/&amp;/g, '&'));
    const reply = await agent.post(action).set('Cookie', `OCSESSID=${planted}`).type('form').send({ username: 'tester', password: 'tester' });
    const token = new URL(reply.body.redirect, 'http://localhost').searchParams.get('user_token');
    const newCookie = String(reply.headers['set-cookie']);
    expect(newCookie).toMatch(/OCSESSID=/);
    expect(newCookie).not.toContain(planted);
    const withPlanted = await request(test.app).get(`/admin/index.php?route=tool/backup&user_token=${token}`).set('Cookie', `OCSESSID=${planted}`);
    expect(withPlanted.status).toBe(302);
    expect(existsSync(path.join(test.storage, 'session', `sess_${planted}`))).toBe(false);
  });
});

describe('tokens, methods and permissions', () => {
  it('user_token only counts in the query string: in the body, a cookie or a header it opens nothing', async () => {
    const backup = await admin.agent.post('/admin/index.php?route=tool/backup.delete&filename=x.sql').type('form').send(`user_token=${admin.token}`);
    expect(backup.status).toBe(401);
    const header = await admin.agent.get('/admin/index.php?route=tool/backup').set('user_token', admin.token).set('X-User-Token', admin.token);
    expect(header.status).toBe(302);
  });

  it("another session's user_token does not open this session, and an old token stops working after logout", async () => {
    const crossed = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${second.token}`);
    expect(crossed.status).toBe(302);
    const session = await signIn(test.app, 'tester');
    await session.agent.get(url(session, 'common/logout'));
    const after = await session.agent.post(url(session, 'tool/backup.delete', '&filename=x.sql'));
    expect(after.status).toBe(401);
  });

  it('method override headers and parameters do not turn a GET into a state change', async () => {
    writeFileSync(path.join(test.backupDir, 'keep-me.sql'), 'TRUNCATE TABLE `oc_product`;\n');
    onTestFinished(() => rmSync(path.join(test.backupDir, 'keep-me.sql'), { force: true }));
    const get = await admin.agent.get(url(admin, 'tool/backup.delete', '&filename=keep-me.sql&_method=POST')).set('X-HTTP-Method-Override', 'POST');
    expect(get.status).toBe(405);
    for (const method of ['put', 'patch', 'delete'] as const) {
      const other = await admin.agent[method](url(admin, 'tool/backup.delete', '&filename=keep-me.sql'));
      expect(other.status, method).toBe(405);
    }
    expect(existsSync(path.join(test.backupDir, 'keep-me.sql'))).toBe(true);
  });

  it('a user with only access cannot discard, undo, inspect or download, whatever the method', async () => {
    for (const route of ['tool/backup.discard', 'tool/backup.undo']) {
      expect((await viewer.agent.post(url(viewer, route))).status).toBe(403);
    }
    for (const route of ['tool/backup.inspect', 'tool/backup.download']) {
      expect((await viewer.agent.head(url(viewer, route, '&filename=x.sql'))).status).toBe(403);
    }
  });

  it('(was a hole) route names of Object.prototype are unknown routes (404), not half-found ones', async () => {
    for (const route of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const response = await admin.agent.get(url(admin, route));
      expect(response.status, route).toBe(404);
    }
  });

  it('the language parameter cannot reach files outside language/', async () => {
    for (const language of ['../../package', '..%2F..%2Fpackage', 'en-gb/../../admin', '__proto__', 'constructor']) {
      const response = await admin.agent.get(url(admin, 'tool/backup', `&language=${language}`));
      expect(response.status, language).toBe(200);
      expect(response.text).toContain('<html dir="ltr" lang="en"');
    }
  });
});

describe('hostile request bodies', () => {
  it('(was a hole) a form body the parser refuses (unknown charset, too large, bad encoding) gets a JSON error, no stack trace or path', async () => {
    const cases: Array<[string, string, string | Buffer]> = [
      ['charset', 'application/x-www-form-urlencoded; charset=utf-7', 'filename=x.sql'],
      ['size', 'application/x-www-form-urlencoded', 'backup[]=' + 'a'.repeat(2 * 1024 * 1024)],
      ['encoding', 'application/x-www-form-urlencoded', Buffer.from('not gzip at all')],
    ];
    for (const [label, type, body] of cases) {
      // Bodies are parsed before the session is looked at: a visitor who never signed in sees the same.
      let call = (label === 'charset' ? request(test.app) : admin.agent).post(url(admin, 'tool/backup.backup')).set('Content-Type', type);
      if (label === 'encoding') call = call.set('Content-Encoding', 'gzip');
      const response = await call.send(body);
      expect.soft(response.text, label).not.toMatch(/node_modules|at [A-Za-z.]+ \(|Error:/);
      expect.soft(response.headers['content-type'], label).toMatch(/json/);
      expect.soft(response.body.error, label).toBeTruthy();
    }
  });
});

describe('file names', () => {
  it('(was a hole) a name of at most 128 characters but more than 255 bytes gets the translated file name error, not a server error', async () => {
    const name = '語'.repeat(100) + '.sql';
    const download = await admin.agent.get(url(admin, 'tool/backup.download', `&filename=${encodeURIComponent(name)}`));
    expect(download.status).toBe(400);
    expect(download.text).toMatch(/3 to 128 characters|could not be found/);
    const deletion = await admin.agent.post(url(admin, 'tool/backup.delete', `&filename=${encodeURIComponent(name)}`));
    expect(deletion.body.error).toMatch(/3 to 128 characters|could not be found/);
    const upload = await admin.agent.post(url(admin, 'tool/backup.upload')).attach('upload', Buffer.from('TRUNCATE TABLE `oc_product`;\n'), name);
    expect(upload.body.error).toMatch(/3 to 128 characters/);
  });

  it('(was a hole) upload refuses names with bidi overrides or invisible characters that make one file look like another', async () => {
    // Shown as "backup-2024.sql" by the history, while it is another file.
    for (const name of ['backup-\u202Elqs.4202\u202C.sql', 'backup\u200B-2024.sql', 'caf\u0065\u0301.sql']) {
      const reply = await admin.agent.post(url(admin, 'tool/backup.upload')).attach('upload', Buffer.from('TRUNCATE TABLE `oc_product`;\n'), name);
      onTestFinished(() => rmSync(path.join(test.backupDir, name), { force: true }));
      // A name may be refused, or stored in one canonical spelling (NFC) without format characters.
      if (reply.body.success) expect(readdirSync(test.backupDir).filter((n) => /[\u0080-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069]/.test(n) || n !== n.normalize('NFC'))).toEqual([]);
      else expect(reply.body.error).toBeTruthy();
    }
  });

  it('(was a hole) a UTF-8 file name sent by a browser (raw bytes in filename="...") is stored as sent, not as mojibake', async () => {
    // Browsers send the name's UTF-8 bytes as they are; busboy reads parameters as latin1 unless told otherwise.
    const body = Buffer.from('--B\r\nContent-Disposition: form-data; name="upload"; filename="Müller-Sicherung.sql"\r\nContent-Type: application/sql\r\n\r\nTRUNCATE TABLE `oc_product`;\n\r\n--B--\r\n', 'utf8');
    const reply = await admin.agent.post(url(admin, 'tool/backup.upload')).set('Content-Type', 'multipart/form-data; boundary=B').send(body);
    onTestFinished(cleanBackupDir);
    expect(reply.body.success).toBe('Success: The file Müller-Sicherung.sql has been uploaded.');
    expect(readdirSync(test.backupDir)).toContain('Müller-Sicherung.sql');
  });

  it('a file name with quotes and markup is escaped in every attribute of the history and the download header', async () => {
    const name = `q" autofocus onfocus="alert(1)' <svg onload=alert(2)>.sql`;
    writeFileSync(path.join(test.backupDir, name), 'TRUNCATE TABLE `oc_product`;\n');
    onTestFinished(() => rmSync(path.join(test.backupDir, name), { force: true }));
    const history = await admin.agent.get(url(admin, 'tool/backup.history'));
    expect(history.text).not.toContain('" autofocus');
    expect(history.text).not.toContain('<svg');
    const download = await admin.agent.get(url(admin, 'tool/backup.download', `&filename=${encodeURIComponent(name)}`)).buffer(true).parse(binaryParser as never);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.headers['cache-control']).toBe('no-store');
    const disposition = String(download.headers['content-disposition']);
    expect(disposition).toMatch(/^attachment;/);
    // One quoted ASCII fallback and an RFC 5987 value: the quote cannot end the header value early.
    expect(disposition).not.toMatch(/filename="q" /);
  });

  it('CR/LF in a file name cannot split the download headers', async () => {
    const response = await admin.agent.get(url(admin, 'tool/backup.download', '&filename=a%0d%0aSet-Cookie:%20x=1%0d%0a.sql'));
    expect(response.status).toBe(400);
    expect(String(response.headers['set-cookie'] ?? '')).not.toContain('x=1');
  });

  it('the names of the restore state and undo files and of .part files cannot be downloaded, deleted or restored', async () => {
    writeFileSync(path.join(test.backupDir, '.restore-job.json'), '{}');
    writeFileSync(path.join(test.backupDir, 'running.sql.part'), 'x');
    onTestFinished(cleanBackupDir);
    for (const name of ['.restore-job.json', '.restore-job.json.sql', 'running.sql.part', 'running.sql.part%00.sql']) {
      expect((await admin.agent.get(url(admin, 'tool/backup.download', `&filename=${name}`))).status, name).toBe(400);
      expect((await admin.agent.post(url(admin, 'tool/backup.delete', `&filename=${name}`))).body.error, name).toBeTruthy();
    }
    expect(existsSync(path.join(test.backupDir, '.restore-job.json'))).toBe(true);
    expect(existsSync(path.join(test.backupDir, 'running.sql.part'))).toBe(true);
  });
});

describe('jobs', () => {
  it("(was a hole) a forged backup `next` (unknown job id) cannot delete another session's running backup file", async () => {
    cleanBackupDir();
    const first = await admin.agent.post(url(admin, 'tool/backup.backup')).type('form').send(encodeForm({ 'backup[]': 'oc_product' }));
    expect(first.body.next).toBeTruthy();
    const filename = new URL(first.body.next, 'http://localhost').searchParams.get('filename') as string;
    expect(existsSync(path.join(test.backupDir, filename + '.part'))).toBe(true);
    // Another admin (or a stale tab) sends a next URL with a made-up job id and the running backup's file name.
    const forged = await second.agent.post(url(second, 'tool/backup.backup', `&job=ffffffffffffffffffffffff&step=1&filename=${encodeURIComponent(filename)}`)).type('form').send('');
    const partKept = existsSync(path.join(test.backupDir, filename + '.part'));
    const done = await runJob(admin.agent, first.body.next, {});
    cleanBackupDir();
    expect(forged.body.error).toMatch(/no longer running/);
    expect.soft(partKept).toBe(true);
    // With its file gone, the owner's backup fails at its last step.
    expect(done.error).toBeUndefined();
    expect(done.success).toBeTruthy();
  });

  it('(was a hole) an upload under the name a running backup will take is refused, or survives the backup', async () => {
    cleanBackupDir();
    const first = await admin.agent.post(url(admin, 'tool/backup.backup')).type('form').send(encodeForm({ 'backup[]': 'oc_product' }));
    expect(first.body.next).toBeTruthy();
    const filename = new URL(first.body.next, 'http://localhost').searchParams.get('filename') as string;
    const uploaded = 'TRUNCATE TABLE `oc_product`;\n-- the upload\n';
    const upload = await second.agent.post(url(second, 'tool/backup.upload')).attach('upload', Buffer.from(uploaded), filename);
    const done = await runJob(admin.agent, first.body.next, {});
    expect(done.success).toBeTruthy();
    if (upload.body.success) {
      const contents = readdirSync(test.backupDir).filter((n) => n.endsWith('.sql')).map((n) => readFileSync(path.join(test.backupDir, n), 'utf8'));
      // Both the uploaded file and the backup are still there.
      expect(contents).toContain(uploaded);
      expect(contents.some((text) => text.includes('-- Rows `oc_product`: 40000'))).toBe(true);
    } else {
      expect(upload.body.error).toMatch(/already exists/);
    }
    cleanBackupDir();
  });

  it('two sessions starting a backup and a restore at the same moment: one runs, the other is told the tool is busy', async () => {
    cleanBackupDir();
    writeFileSync(path.join(test.backupDir, 'race.sql'), "TRUNCATE TABLE `oc_product`;\nINSERT INTO `oc_product` (`product_id`, `model`) VALUES (1, 'x');\n");
    const [backup, restore] = await Promise.all([
      admin.agent.post(url(admin, 'tool/backup.backup')).type('form').send(encodeForm({ 'backup[]': 'oc_product' })),
      second.agent.post(url(second, 'tool/backup.restore', '&filename=race.sql')).type('form').send(''),
    ]);
    const busy = [backup.body, restore.body].filter((b) => /has been running since|Another backup or restore/.test(String(b.error)));
    const running = [backup.body, restore.body].filter((b) => b.next || b.success);
    expect(busy.length + running.length).toBe(2);
    expect(running.length).toBe(1);
    if (backup.body.next) await runJob(admin.agent, backup.body.next, {});
    if (restore.body.next) await runJob(second.agent, restore.body.next, {});
    const c = await connect(database.name);
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM oc_product');
    await c.end();
    // Put the table back if the restore won.
    if (Number((rows as Array<{ n: string }>)[0].n) !== 40000) {
      const d = await connect(database.name);
      await d.query('TRUNCATE TABLE oc_product');
      await d.query("INSERT INTO oc_product SELECT seq, REPEAT('m', 200) FROM seq_1_to_40000");
      await d.end();
    }
    cleanBackupDir();
  });

  it('deleting the file a restore is reading does not break the restore or change what it restores', async () => {
    cleanBackupDir();
    const made = await runJob(admin.agent, url(admin, 'tool/backup.backup'), { 'backup[]': 'oc_product' });
    expect(made.success).toBeTruthy();
    const name = readdirSync(test.backupDir).find((n) => n.endsWith('.sql')) as string;
    const first = await admin.agent.post(url(admin, 'tool/backup.restore', `&filename=${encodeURIComponent(name)}`)).type('form').send('');
    expect(first.body.next).toBeTruthy();
    const deleted = await second.agent.post(url(second, 'tool/backup.delete', `&filename=${encodeURIComponent(name)}`));
    const done = await runJob(admin.agent, first.body.next, {});
    expect(deleted.body.success ?? deleted.body.error).toBeTruthy();
    expect(done.success).toBeTruthy();
    const c = await connect(database.name);
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM oc_product');
    await c.end();
    expect(Number((rows as Array<{ n: string }>)[0].n)).toBe(40000);
    cleanBackupDir();
  });

  it("a backup's next URL replayed by another user, or with the token swapped in, is refused", async () => {
    const first = await admin.agent.post(url(admin, 'tool/backup.backup')).type('form').send(encodeForm({ 'backup[]': 'oc_product' }));
    const next = pathOf(first.body.next);
    // Another session's cookie with this session's token: no token match.
    expect((await second.agent.post(next).type('form').send('')).status).toBe(401);
    // Its own token: the job is someone else's.
    expect((await second.agent.post(next.replace(admin.token, second.token)).type('form').send('')).body.error).toMatch(/another session/);
    expect((await runJob(admin.agent, first.body.next, {})).success).toBeTruthy();
    cleanBackupDir();
  });
});

describe('pages and headers', () => {
  it('table names from the database are escaped on the page', async () => {
    const c = await connect(database.name);
    await c.query('CREATE TABLE `oc_x"><img src=x onerror=alert(1)>` (id int PRIMARY KEY)');
    await c.end();
    onTestFinished(async () => {
      const d = await connect(database.name);
      await d.query('DROP TABLE `oc_x"><img src=x onerror=alert(1)>`');
      await d.end();
    });
    const page = await admin.agent.get(url(admin, 'tool/backup'));
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('oc_x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('HTML pages carry nosniff, frame, cache and referrer headers and a CSP without inline scripts', async () => {
    const page = await admin.agent.get(url(admin, 'tool/backup'));
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // The user_token in every URL stays on this site.
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);
    const json = await admin.agent.post(url(admin, 'tool/backup.delete', '&filename=none.sql'));
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.headers['x-content-type-options']).toBe('nosniff');
  });

  it('(was a hole) a forged Host header does not end up in redirects or in the page\'s <base href>', async () => {
    const redirect = await request(test.app).get('/admin/index.php?route=tool/backup').set('Host', 'evil.example');
    expect(redirect.status).toBe(302);
    expect(String(redirect.headers.location)).not.toContain('evil.example');
    const login = await request(test.app).get('/admin/index.php?route=common/login').set('Host', 'evil.example');
    expect(login.text).not.toMatch(/<base href="http:\/\/evil\.example/);
  });
});

describe('the db session engine', () => {
  it('(was a hole) a session cookie OpenCart accepts (up to 52 characters) but oc_session cannot hold gets a page, not a server error', async () => {
    const dbApp = await startTestApp(database.name, { sessionEngine: 'db' });
    try {
      const c = await connect(database.name);
      await c.query('DELETE FROM oc_session');
      await c.end();
      const response = await request(dbApp.app).get('/admin/index.php?route=common/login').set('Cookie', `OCSESSID=${'a'.repeat(40)}`);
      expect(response.status).toBe(200);
    } finally {
      await dbApp.close();
    }
  });

  it("SQL in a session id is never run: a crafted cookie is a new session and the table is intact", async () => {
    const dbApp = await startTestApp(database.name, { sessionEngine: 'db' });
    try {
      for (const cookie of ["x' OR '1'='1", 'aaaaaaaaaaaaaaaaaaaaaaaaa--', 'aaaaaaaaaaaaaaaaaaaaaa,,,,']) {
        const response = await request(dbApp.app).get('/admin/index.php?route=tool/backup&user_token=x').set('Cookie', `OCSESSID=${encodeURIComponent(cookie)}`);
        expect(response.status, cookie).toBe(302);
      }
      const c = await connect(database.name);
      const [rows] = await c.query("SHOW TABLES LIKE 'oc_session'");
      await c.end();
      expect((rows as unknown[]).length).toBe(1);
    } finally {
      await dbApp.close();
    }
  });
});

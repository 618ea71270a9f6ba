// Every route refuses strangers, wrong tokens and missing permissions; file names and table names from requests are checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, createUsers, connect, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, binaryParser, type TestApp, type SignedIn } from '../helpers/app.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let viewer: SignedIn;

const ROUTES: Array<{ route: string; method: 'get' | 'post'; kind: 'html' | 'json' | 'file' }> = [
  { route: 'tool/backup', method: 'get', kind: 'html' },
  { route: 'tool/backup.history', method: 'get', kind: 'html' },
  { route: 'tool/backup.backup', method: 'post', kind: 'json' },
  { route: 'tool/backup.restore', method: 'post', kind: 'json' },
  { route: 'tool/backup.inspect', method: 'get', kind: 'json' },
  { route: 'tool/backup.upload', method: 'post', kind: 'json' },
  { route: 'tool/backup.download', method: 'get', kind: 'file' },
  { route: 'tool/backup.delete', method: 'post', kind: 'json' },
  { route: 'tool/backup.undo', method: 'post', kind: 'json' },
  { route: 'tool/backup.discard', method: 'post', kind: 'json' },
];

beforeAll(async () => {
  database = await createTestDatabase('routes');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query("CREATE TABLE oc_product (product_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, model varchar(64) NOT NULL, price decimal(15,4) NOT NULL DEFAULT 0)");
  await c.query("INSERT INTO oc_product (model, price) VALUES ('A', 1.5), ('B', 2), ('C\\\\new', 3)");
  await c.query('CREATE TABLE other_table (id int PRIMARY KEY)');
  await c.end();
  test = await startTestApp(database.name);
  admin = await signIn(test.app, 'tester');
  viewer = await signIn(test.app, 'viewer');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

function call(agent: ReturnType<typeof request.agent> | ReturnType<typeof request>, method: 'get' | 'post', route: string, query = '') {
  const url = `/admin/index.php?route=${route}${query}`;
  return method === 'get' ? (agent as ReturnType<typeof request>).get(url) : (agent as ReturnType<typeof request>).post(url);
}

describe('signing in', () => {
  it('the login page carries a one-time login_token and sets an HttpOnly OCSESSID cookie', async () => {
    const response = await request(test.app).get('/admin/index.php?route=common/login');
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/route=common\/login\.login&amp;login_token=[A-Za-z0-9]{32}/);
    expect(String(response.headers['set-cookie'])).toMatch(/OCSESSID=[A-Za-z0-9]{26}; Path=\/; HttpOnly; SameSite=Strict/);
  });

  it('a wrong password, an unknown user and a disabled user are refused with a JSON error', async () => {
    for (const [username, password] of [['tester', 'wrong'], ['nobody', 'nobody'], ['disabled', 'disabled']]) {
      await expect(signIn(test.app, username, password)).rejects.toThrow(/login failed/);
    }
  });

  it('a login without the form\'s login_token is refused', async () => {
    const response = await request(test.app).post('/admin/index.php?route=common/login.login&login_token=forged').type('form').send({ username: 'tester', password: 'tester' });
    expect(response.body.error).toBeTruthy();
    expect(response.body.redirect).toBeUndefined();
  });

  it('the redirect carries a user_token that opens the page', async () => {
    const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="button-backup"');
    expect(page.text).toContain('Test Admin');
  });

  it('logout ends the session: the old token no longer works', async () => {
    const session = await signIn(test.app, 'tester');
    const out = await session.agent.get(`/admin/index.php?route=common/logout&user_token=${session.token}`);
    expect(out.status).toBe(302);
    const after = await session.agent.get(`/admin/index.php?route=tool/backup&user_token=${session.token}`);
    expect(after.status).toBe(302);
    expect(after.headers.location).toContain('route=common/login');
  });
});

describe('every route', () => {
  it.each(ROUTES)('$route refuses a visitor who is not signed in', async ({ route, method, kind }) => {
    const response = await call(request(test.app), method, route, '&filename=x.sql');
    if (kind === 'html') {
      expect(response.status).toBe(302);
      expect(response.headers.location).toContain('route=common/login');
    } else {
      expect(response.status).toBe(401);
      expect(response.body.error).toMatch(/log in again/);
    }
  });

  it.each(ROUTES)('$route refuses a wrong user_token', async ({ route, method, kind }) => {
    const response = await call(admin.agent, method, route, '&user_token=wrong' + admin.token.slice(5) + '&filename=x.sql');
    if (kind === 'html') expect(response.status).toBe(302);
    else expect(response.status).toBe(401);
  });

  it.each(ROUTES.filter((r) => r.route !== 'tool/backup' && r.route !== 'tool/backup.history'))(
    '$route refuses a user whose group may access but not modify',
    async ({ route, method }) => {
      const response = await call(viewer.agent, method, route, `&user_token=${viewer.token}&filename=x.sql`);
      expect(response.status).toBe(403);
      expect(response.body.error).toMatch(/permission/);
    },
  );

  it('a user with access may open the page and the history', async () => {
    for (const route of ['tool/backup', 'tool/backup.history']) {
      const response = await call(viewer.agent, 'get', route, `&user_token=${viewer.token}`);
      expect(response.status).toBe(200);
    }
  });

  it('a user without access to tool/backup gets a permission page', async () => {
    const other = await signIn(test.app, 'other');
    const response = await call(other.agent, 'get', 'tool/backup', `&user_token=${other.token}`);
    expect(response.status).toBe(403);
    expect(response.text).toMatch(/do not have permission/);
  });

  it('state-changing routes refuse GET', async () => {
    for (const route of ['tool/backup.backup', 'tool/backup.restore', 'tool/backup.delete', 'tool/backup.upload', 'tool/backup.undo', 'tool/backup.discard']) {
      const response = await call(admin.agent, 'get', route, `&user_token=${admin.token}&filename=x.sql`);
      expect(response.status).toBe(405);
      expect(response.body.error).toMatch(/POST/);
    }
  });

  it('an unknown route is a 404 page', async () => {
    const response = await call(admin.agent, 'get', 'tool/nothing', `&user_token=${admin.token}`);
    expect(response.status).toBe(404);
  });

  it('storage is never served', async () => {
    writeFileSync(path.join(test.backupDir, 'secret.sql'), 'SELECT 1;');
    for (const url of ['/admin/storage/backup/secret.sql', '/storage/backup/secret.sql', '/admin/view/../storage/backup/secret.sql', '/admin/view/javascript/../../../storage/backup/secret.sql']) {
      const response = await request(test.app).get(url);
      expect(response.status).toBe(404);
    }
  });
});

describe('file names', () => {
  const bad = ['../x.sql', '/etc/passwd', '', 'ab', 'a'.repeat(126) + '.sql', 'x.SQL', 'x.txt', '.hidden.sql', 'x.sql.part', 'x.php', 'a\u0000.sql'];

  it.each(bad)('download refuses %j', async (name) => {
    writeFileSync(path.join(test.backupDir, 'x.sql'), 'TRUNCATE TABLE `oc_product`;\n');
    const response = await admin.agent.get(`/admin/index.php?route=tool/backup.download&user_token=${admin.token}&filename=${encodeURIComponent(name)}`).buffer(true).parse(binaryParser as never);
    // '../x.sql' is reduced to its base name, as OpenCart does; it may only ever reach storage/backup/x.sql.
    if (name === '../x.sql') {
      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('TRUNCATE TABLE `oc_product`;\n');
    } else {
      expect(response.status).toBe(400);
      expect(response.body.toString()).toMatch(/3 to 128 characters|could not be found/);
    }
  });

  it.each(bad.filter((name) => name !== '../x.sql'))('delete and restore refuse %j', async (name) => {
    for (const route of ['tool/backup.delete', 'tool/backup.restore']) {
      const response = await admin.agent.post(`/admin/index.php?route=${route}&user_token=${admin.token}&filename=${encodeURIComponent(name)}`);
      expect(response.body.error).toMatch(/3 to 128 characters/);
    }
  });

  it('a name of 128 characters is accepted, 129 is not', async () => {
    const ok = 'b'.repeat(124) + '.sql';
    writeFileSync(path.join(test.backupDir, ok), 'TRUNCATE TABLE `oc_product`;\n');
    const good = await admin.agent.get(`/admin/index.php?route=tool/backup.download&user_token=${admin.token}&filename=${ok}`);
    expect(good.status).toBe(200);
    const tooLong = await admin.agent.get(`/admin/index.php?route=tool/backup.download&user_token=${admin.token}&filename=b${ok}`);
    expect(tooLong.status).toBe(400);
  });

  it('history escapes file names (no stored XSS)', async () => {
    writeFileSync(path.join(test.backupDir, '<img src=x onerror=alert(1)>.sql'), 'TRUNCATE TABLE `oc_product`;\n');
    const response = await admin.agent.get(`/admin/index.php?route=tool/backup.history&user_token=${admin.token}`);
    expect(response.text).not.toContain('<img src=x');
    expect(response.text).toContain('&lt;img src=x onerror=alert(1)&gt;.sql');
  });
});

describe('tables', () => {
  it('the page lists prefixed tables but not oc_user, oc_user_group or other prefixes', async () => {
    const response = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
    expect(response.text).toContain('value="oc_product"');
    expect(response.text).not.toContain('value="oc_user"');
    expect(response.text).not.toContain('value="oc_user_group"');
    expect(response.text).not.toContain('value="other_table"');
  });

  it('the page offers every table ticked, with "select all" ticked and Back up enabled, as OpenCart 4.0.2.3 does', async () => {
    const response = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
    const boxes = response.text.match(/<input type="checkbox" name="backup\[\]"[^>]*>/g) ?? [];
    expect(boxes.length).toBeGreaterThan(0);
    expect(boxes.filter((box) => !/\schecked(?=[\s/>])/.test(box))).toEqual([]);
    expect(response.text).toMatch(/<input type="checkbox" id="input-backup-all"[^>]*\schecked[\s/>]/);
    expect(response.text).not.toMatch(/<button[^>]*id="button-backup"[^>]*\sdisabled/);
  });

  it.each(['oc_user', 'oc_user_group', 'other_table', 'oc_missing', 'oc_product`; DROP TABLE oc_product; --', "oc_product' OR 1=1"])(
    'a hand-made backup of %j is refused and writes no file',
    async (table) => {
      const before = readdirSync(test.backupDir).length;
      const response = await admin.agent
        .post(`/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`)
        .type('form')
        .send(`backup[]=oc_product&backup[]=${encodeURIComponent(table)}`);
      expect(response.body.error).toMatch(/cannot be used here/);
      expect(readdirSync(test.backupDir).length).toBe(before);
    },
  );

  it('a backup with no table chosen is refused', async () => {
    const response = await admin.agent.post(`/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`).type('form').send('');
    expect(response.body.error).toMatch(/at least one table/);
  });

  it('a table repeated in backup[] is backed up once', async () => {
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': ['oc_product', 'oc_product'] });
    expect(reply.success).toBeTruthy();
    const file = readdirSync(test.backupDir).find((name) => /^\d{4}-\d\d-\d\d \d\d\.\d\d\.\d\d.*\.sql$/.test(name)) as string;
    const text = (await import('node:fs')).readFileSync(path.join(test.backupDir, file), 'utf8');
    expect(text.match(/TRUNCATE TABLE `oc_product`;/g)).toHaveLength(1);
  });

  it('a restore that writes oc_user skips those statements and says how many', async () => {
    writeFileSync(
      path.join(test.backupDir, 'users.sql'),
      "TRUNCATE TABLE `oc_user`;\nINSERT INTO `oc_user` (`user_id`, `user_group_id`, `username`, `password`, `firstname`, `lastname`, `email`, `status`, `date_added`) VALUES (1, 1, 'evil', 'x', 'a', 'b', 'c', 1, NOW());\nTRUNCATE TABLE `oc_product`;\nINSERT INTO `oc_product` (`product_id`, `model`, `price`) VALUES (1, 'A', 1.5000);\n",
    );
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=users.sql`, {});
    expect(reply.success).toMatch(/protected tables \(users, their permissions and sign-ins\): 2\./);
    const c = await connect(database.name);
    const [users] = await c.query("SELECT COUNT(*) AS n FROM oc_user WHERE username = 'evil'");
    expect(Number((users as Array<{ n: string }>)[0].n)).toBe(0);
    const [products] = await c.query('SELECT COUNT(*) AS n FROM oc_product');
    expect(Number((products as Array<{ n: string }>)[0].n)).toBe(1);
    await c.end();
  });

  it('a restore skips the sign-in tables (admin and API sessions, customer login attempts) and writes none of them', async () => {
    writeFileSync(
      path.join(test.backupDir, 'sessions.sql'),
      [
        'CREATE TABLE `oc_session` (`session_id` varchar(32) NOT NULL PRIMARY KEY, `data` text NOT NULL, `expire` datetime NOT NULL);',
        "INSERT INTO `oc_session` VALUES ('planted', '{\"user_id\":1,\"user_token\":\"x\"}', '2099-01-01 00:00:00');",
        "INSERT INTO `oc_api_session` (`api_session_id`, `api_id`, `session_id`, `ip`) VALUES (1, 1, 'planted', '127.0.0.1');",
        'TRUNCATE TABLE `oc_customer_login`;',
        "INSERT INTO `oc_product` (`product_id`, `model`, `price`) VALUES (2, 'B', 2.5000);",
        '',
      ].join('\n'),
    );
    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=sessions.sql`, {});
    expect(reply.success).toMatch(/protected tables \(users, their permissions and sign-ins\): 4\./);
    const c = await connect(database.name);
    const [tables] = await c.query("SHOW TABLES LIKE 'oc\\_%session%'");
    expect((tables as Array<Record<string, string>>).map((row) => Object.values(row)[0])).toEqual(['oc_session']);
    const [planted] = await c.query("SELECT COUNT(*) AS n FROM oc_session WHERE session_id = 'planted'");
    expect(Number((planted as Array<{ n: string }>)[0].n)).toBe(0);
    await c.end();
  });
});

describe('history, upload, download, delete', () => {
  it('upload stores a .sql file, lists it, and never replaces an existing backup', async () => {
    const content = 'TRUNCATE TABLE `oc_product`;\nINSERT INTO `oc_product` (`product_id`, `model`, `price`) VALUES (7, \'Z\', 9.0000);\n';
    const first = await admin.agent.post(`/admin/index.php?route=tool/backup.upload&user_token=${admin.token}`).attach('upload', Buffer.from(content), 'uploaded.sql');
    expect(first.body.success).toMatch(/uploaded\.sql/);
    const second = await admin.agent.post(`/admin/index.php?route=tool/backup.upload&user_token=${admin.token}`).attach('upload', Buffer.from('TRUNCATE TABLE `oc_product`;\n'), 'uploaded.sql');
    expect(second.body.error).toMatch(/already exists/);
    const download = await admin.agent.get(`/admin/index.php?route=tool/backup.download&user_token=${admin.token}&filename=uploaded.sql`).buffer(true).parse(binaryParser as never);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="?uploaded\.sql"?$/);
    expect(download.body.toString()).toBe(content);
    const history = await admin.agent.get(`/admin/index.php?route=tool/backup.history&user_token=${admin.token}`);
    expect(history.text).toContain('uploaded.sql');
    expect(readdirSync(test.backupDir).filter((name) => name.startsWith('.upload'))).toEqual([]);
  });

  it('upload refuses a .txt, binary garbage, a wrong field name and an empty request, keeping nothing', async () => {
    const url = `/admin/index.php?route=tool/backup.upload&user_token=${admin.token}`;
    const txt = await admin.agent.post(url).attach('upload', Buffer.from('x'), 'notes.txt');
    expect(txt.body.error).toMatch(/3 to 128 characters/);
    const garbage = await admin.agent.post(url).attach('upload', Buffer.from([0, 1, 2, 3, 0, 255]), 'garbage.sql');
    expect(garbage.body.error).toMatch(/not an SQL dump/);
    const field = await admin.agent.post(url).attach('file', Buffer.from('TRUNCATE TABLE `oc_product`;\n'), 'field.sql');
    expect(field.body.error).toBeTruthy();
    const empty = await admin.agent.post(url).type('form').send('');
    expect(empty.body.error).toBeTruthy();
    expect(existsSync(path.join(test.backupDir, 'garbage.sql'))).toBe(false);
    expect(existsSync(path.join(test.backupDir, 'field.sql'))).toBe(false);
    expect(readdirSync(test.backupDir).filter((name) => name.startsWith('.upload'))).toEqual([]);
  });

  it('upload over the configured limit is refused while streaming', async () => {
    const small = await startTestApp(database.name, { backup: { uploadMaxBytes: 1000 } });
    try {
      const session = await signIn(small.app, 'tester');
      const response = await session.agent.post(`/admin/index.php?route=tool/backup.upload&user_token=${session.token}`).attach('upload', Buffer.alloc(5000, 0x41), 'big.sql');
      expect(response.body.error).toMatch(/larger than the limit of 1,000 B/);
      const oneOver = await session.agent.post(`/admin/index.php?route=tool/backup.upload&user_token=${session.token}`).attach('upload', Buffer.alloc(1001, 0x41), 'over.sql');
      expect(oneOver.body.error).toMatch(/larger than the limit/);
      expect(readdirSync(small.backupDir)).toEqual([]);
      const exact = await session.agent.post(`/admin/index.php?route=tool/backup.upload&user_token=${session.token}`).attach('upload', Buffer.alloc(1000, 0x41), 'exact.sql');
      expect(exact.body.success).toMatch(/exact\.sql/);
    } finally {
      await small.close();
    }
  });

  it('delete removes the file and the history no longer lists it', async () => {
    writeFileSync(path.join(test.backupDir, 'to-delete.sql'), 'TRUNCATE TABLE `oc_product`;\n');
    const response = await admin.agent.post(`/admin/index.php?route=tool/backup.delete&user_token=${admin.token}&filename=to-delete.sql`);
    expect(response.body.success).toMatch(/to-delete\.sql/);
    expect(existsSync(path.join(test.backupDir, 'to-delete.sql'))).toBe(false);
    const again = await admin.agent.post(`/admin/index.php?route=tool/backup.delete&user_token=${admin.token}&filename=to-delete.sql`);
    expect(again.body.error).toMatch(/could not be found/);
  });

  it('history does not list .part files or dotfiles', async () => {
    writeFileSync(path.join(test.backupDir, 'half.sql.part'), 'x');
    writeFileSync(path.join(test.backupDir, '.restore-undo.json'), '{}');
    const response = await admin.agent.get(`/admin/index.php?route=tool/backup.history&user_token=${admin.token}`);
    expect(response.text).not.toContain('half.sql');
    expect(response.text).not.toContain('restore-undo');
  });
});

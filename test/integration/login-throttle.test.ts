// Failed sign-ins per username: after `config_login_attempts` of them within an hour even the right password is refused
// with OpenCart's message; older ones do not count; a successful sign-in clears them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, createUsers, connect, PROJECT_DIR, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, type TestApp } from '../helpers/app.ts';
import { DEFAULT_LOGIN_ATTEMPTS, loginAttemptTable } from '../../admin/model/user/user.ts';

const ATTEMPTS = loginAttemptTable('oc_');
const english = JSON.parse(readFileSync(path.join(PROJECT_DIR, 'language/en-gb/common/login.json'), 'utf8')) as Record<string, string>;
const german = JSON.parse(readFileSync(path.join(PROJECT_DIR, 'language/de-de/common/login.json'), 'utf8')) as Record<string, string>;

let database: TestDatabase;
let test: TestApp;

beforeAll(async () => {
  database = await createTestDatabase('throttle');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query(
    "CREATE TABLE oc_setting (setting_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, store_id int NOT NULL DEFAULT 0, code varchar(128) NOT NULL, `key` varchar(128) NOT NULL, value text NOT NULL, serialized tinyint(1) NOT NULL DEFAULT 0)",
  );
  // Another store's and another code's value must not be read.
  await c.query("INSERT INTO oc_setting (store_id, code, `key`, value) VALUES (0, 'config', 'config_login_attempts', '3'), (1, 'config', 'config_login_attempts', '1'), (0, 'other', 'config_login_attempts', '1')");
  await c.end();
  test = await startTestApp(database.name);
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

/** One POST of the login form, as the page sends it; the reply's JSON. */
async function tryLogin(username: string, password: string, language = ''): Promise<Record<string, string>> {
  const agent = request.agent(test.app);
  const page = await agent.get(`/admin/index.php?route=common/login${language ? `&language=${language}` : ''}`);
  const action = /action="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error('login form has no action');
  const url = new URL(action, 'http://localhost');
  const reply = await agent.post(url.pathname + url.search).type('form').send({ username, password });
  return reply.body as Record<string, string>;
}

async function attemptRows(username: string): Promise<number> {
  const c = await connect(database.name);
  try {
    const [rows] = await c.query(`SELECT COUNT(*) AS n FROM \`${ATTEMPTS}\` WHERE username = ?`, [username]);
    return Number((rows as Array<{ n: number }>)[0].n);
  } finally {
    await c.end();
  }
}

async function setLimit(value: string | null): Promise<void> {
  const c = await connect(database.name);
  await c.query("DELETE FROM oc_setting WHERE store_id = 0 AND code = 'config' AND `key` = 'config_login_attempts'");
  if (value !== null) await c.query("INSERT INTO oc_setting (store_id, code, `key`, value) VALUES (0, 'config', 'config_login_attempts', ?)", [value]);
  await c.end();
}

describe('login throttling', () => {
  it('after config_login_attempts wrong passwords the right one is refused with OpenCart\'s message, in the user\'s language', async () => {
    await setLimit('3');
    for (let i = 0; i < 3; i++) expect((await tryLogin('tester', 'wrong')).error).toBe(english.error_login);
    // Usernames compare as OpenCart's oc_user does, without case: "TESTER" is the same account.
    expect((await tryLogin('TESTER', 'tester')).error).toBe(english.error_attempts);
    expect((await tryLogin('tester', 'tester', 'de-de')).error).toBe(german.error_attempts);
    expect(german.error_attempts).not.toBe(english.error_attempts);
    // Other users are not locked by this one's failures.
    await expect(signIn(test.app, 'viewer')).resolves.toHaveProperty('token');
  });

  it('attempts older than an hour do not count', async () => {
    const c = await connect(database.name);
    await c.query(`UPDATE \`${ATTEMPTS}\` SET date_added = NOW() - INTERVAL 61 MINUTE WHERE username = 'tester' ORDER BY login_attempt_id LIMIT 1`);
    await c.end();
    const signedIn = await signIn(test.app, 'tester');
    expect(signedIn.token).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('a successful sign-in clears the user\'s attempts, so the count starts again', async () => {
    await setLimit('3');
    for (let i = 0; i < 2; i++) await tryLogin('tester', 'wrong');
    expect(await attemptRows('tester')).toBe(2);
    await signIn(test.app, 'tester');
    expect(await attemptRows('tester')).toBe(0);
    for (let i = 0; i < 2; i++) await tryLogin('tester', 'wrong');
    // Two failures since the success are below the limit of three.
    await expect(signIn(test.app, 'tester')).resolves.toHaveProperty('token');
  });

  it(`without config_login_attempts the limit is OpenCart's default of ${DEFAULT_LOGIN_ATTEMPTS}`, async () => {
    await setLimit(null);
    for (let i = 0; i < DEFAULT_LOGIN_ATTEMPTS - 1; i++) await tryLogin('viewer', 'wrong');
    await expect(signIn(test.app, 'viewer')).resolves.toHaveProperty('token');
    for (let i = 0; i < DEFAULT_LOGIN_ATTEMPTS; i++) await tryLogin('viewer', 'wrong');
    expect((await tryLogin('viewer', 'viewer')).error).toBe(english.error_attempts);
  });

  it('the attempts table is the module\'s own: never offered for backup', async () => {
    const c = await connect(database.name);
    await c.query('CREATE TABLE oc_product (product_id int NOT NULL PRIMARY KEY)');
    await c.end();
    const admin = await signIn(test.app, 'tester');
    const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
    expect(page.text).toContain('oc_product');
    expect(page.text).not.toContain(ATTEMPTS);
  });
});

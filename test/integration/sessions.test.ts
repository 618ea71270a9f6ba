// Sessions in OpenCart's own formats: an admin signed in by OpenCart (file or db engine) opens this module with the same cookie and user_token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, createUsers, connect, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, type TestApp } from '../helpers/app.ts';

let database: TestDatabase;
let fileApp: TestApp;
let dbApp: TestApp;
const SESSION_ID = 'a1b2c3d4e5f6a7b8c9d0e1f2a3';
const TOKEN = 'Tok3nMadeByOpenCartPhpSession012';

beforeAll(async () => {
  database = await createTestDatabase('sessions');
  await createUsers(database.name);
  fileApp = await startTestApp(database.name);
  dbApp = await startTestApp(database.name, { sessionEngine: 'db' });
});

afterAll(async () => {
  await fileApp?.close();
  await dbApp?.close();
  await database?.drop();
});

async function testerId(): Promise<number> {
  const c = await connect(database.name);
  const [rows] = await c.query("SELECT user_id FROM oc_user WHERE username = 'tester'");
  await c.end();
  return (rows as Array<{ user_id: number }>)[0].user_id;
}

describe('the file engine', () => {
  it('writes sess_<id> as JSON holding user_id and user_token after login', async () => {
    const admin = await signIn(fileApp.app, 'tester');
    const id = admin.cookie.split('=')[1];
    const data = JSON.parse(readFileSync(path.join(fileApp.storage, 'session', `sess_${id}`), 'utf8'));
    expect(data.user_token).toBe(admin.token);
    expect(data.user_id).toBe(await testerId());
  });

  it("opens the page for a session OpenCart wrote, keeping OpenCart's other keys", async () => {
    mkdirSync(path.join(fileApp.storage, 'session'), { recursive: true });
    const file = path.join(fileApp.storage, 'session', `sess_${SESSION_ID}`);
    writeFileSync(file, JSON.stringify({ user_id: await testerId(), user_token: TOKEN, language: 'en-gb', install: 'kept' }));
    const page = await request(fileApp.app).get(`/admin/index.php?route=tool/backup&user_token=${TOKEN}`).set('Cookie', `OCSESSID=${SESSION_ID}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="button-backup"');
    await request(fileApp.app).get(`/admin/index.php?route=tool/backup&user_token=${TOKEN}&language=de-de`).set('Cookie', `OCSESSID=${SESSION_ID}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ install: 'kept', user_token: TOKEN, language: 'de-de' });
  });

  it('refuses a session id OpenCart would not accept', async () => {
    const page = await request(fileApp.app).get(`/admin/index.php?route=tool/backup&user_token=${TOKEN}`).set('Cookie', 'OCSESSID=../../etc/passwd');
    expect(page.status).toBe(302);
  });
});

describe('the db engine', () => {
  it('keeps the session in oc_session as JSON with an expiry', async () => {
    const admin = await signIn(dbApp.app, 'tester');
    const id = admin.cookie.split('=')[1];
    const c = await connect(database.name);
    const [rows] = await c.query('SELECT data, expire > NOW() AS live FROM oc_session WHERE session_id = ?', [id]);
    await c.end();
    const row = (rows as Array<{ data: string; live: number | string }>)[0];
    expect(JSON.parse(row.data).user_token).toBe(admin.token);
    expect(Number(row.live)).toBe(1);
    const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
    expect(page.status).toBe(200);
  });

  it('opens the page for a session row OpenCart wrote, and not for an expired one', async () => {
    const c = await connect(database.name);
    await c.query('INSERT INTO oc_session (session_id, data, expire) VALUES (?, ?, NOW() + INTERVAL 1 HOUR)', [SESSION_ID, JSON.stringify({ user_id: await testerId(), user_token: TOKEN })]);
    const page = await request(dbApp.app).get(`/admin/index.php?route=tool/backup&user_token=${TOKEN}`).set('Cookie', `OCSESSID=${SESSION_ID}`);
    expect(page.status).toBe(200);
    await c.query('UPDATE oc_session SET expire = NOW() - INTERVAL 1 MINUTE WHERE session_id = ?', [SESSION_ID]);
    await c.end();
    const expired = await request(dbApp.app).get(`/admin/index.php?route=tool/backup&user_token=${TOKEN}`).set('Cookie', `OCSESSID=${SESSION_ID}`);
    expect(expired.status).toBe(302);
  });
});

describe('when the session store fails', () => {
  it('answers a generic message without details (no SQL, no stack)', async () => {
    const c = await connect(database.name);
    await c.query('DROP TABLE oc_session');
    await c.end();
    const response = await request(dbApp.app).get('/admin/index.php?route=tool/backup').set('Cookie', `OCSESSID=${SESSION_ID}`);
    expect(response.status).toBe(500);
    expect(response.text).toMatch(/Something went wrong on the server/);
    expect(response.text).not.toMatch(/oc_session|at |Error/);
  });
});

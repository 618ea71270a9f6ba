// The module pointed at an OpenCart install by OPENCART_CONFIG alone: OpenCart's db sessions left as OpenCart wrote them,
// the page inside the shop's own chrome (here a stand-in for OpenCart's PHP), its assets under /extension/backup/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createAdminApp, type AdminApp } from '../../admin/app.ts';
import { loadConfig } from '../../system/library/config.ts';
import { DbSessionStore, mergeSessionChanges } from '../../system/library/session.ts';
import { connect, createTestDatabase, createUsers, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, type TestDatabase } from '../helpers/database.ts';
import { languageStrings } from '../helpers/browser.ts';
import { shopPage } from '../helpers/opencart-page.ts';

const SESSION_ID = 'f00dfeedf00dfeedf00dfeedf0';
const TOKEN = 'OpenCartPhpMadeThisUserToken0001';

let database: TestDatabase;
let storage: string;
let admin: AdminApp;
let app: express.Express;
let php: Server;
let phpUrl = '';
/** What the stand-in for OpenCart's PHP answers, and what it was asked. */
let phpReply: { status: number; body: string } = { status: 200, body: shopPage() };
const phpRequests: Array<{ url: string; cookie: string }> = [];
const logged: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('ochost');
  await createUsers(database.name);
  storage = mkdtempSync(path.join(os.tmpdir(), 'ochost-storage-'));
  mkdirSync(path.join(storage, 'backup'), { mode: 0o700 });
  php = createServer((req, res) => {
    phpRequests.push({ url: req.url ?? '', cookie: req.headers.cookie ?? '' });
    res.writeHead(phpReply.status, { 'content-type': 'text/html; charset=utf-8' }).end(phpReply.body);
  });
  await new Promise<void>((resolve) => php.listen(0, '127.0.0.1', resolve));
  phpUrl = `http://127.0.0.1:${(php.address() as AddressInfo).port}/admin/`;
  // An admin/config.php as OpenCart's installer writes it; nothing else configures the module.
  const configFile = path.join(storage, 'config.php');
  writeFileSync(
    configFile,
    `<?php\ndefine('APPLICATION', 'Admin');\ndefine('HTTP_SERVER', '${phpUrl}');\ndefine('DIR_OPENCART', '/var/www/shop/');\n` +
      `define('DIR_STORAGE', '${storage}/');\ndefine('DB_DRIVER', 'mysqli');\ndefine('DB_HOSTNAME', '${DB_HOST}');\ndefine('DB_USERNAME', '${DB_USER}');\n` +
      `define('DB_PASSWORD', '${DB_PASSWORD}');\ndefine('DB_DATABASE', '${database.name}');\ndefine('DB_PREFIX', 'oc_');\ndefine('DB_PORT', '${DB_PORT}');\n`,
  );
  admin = await createAdminApp({ config: loadConfig({ env: { OPENCART_CONFIG: configFile } }), log: (message) => logged.push(message) });
  app = express();
  admin.mount(app);
});

afterAll(async () => {
  await admin?.close();
  await new Promise<void>((resolve) => (php ? php.close(() => resolve()) : resolve()));
  await database?.drop();
  if (storage) rmSync(storage, { recursive: true, force: true });
});

async function sessionRow(id = SESSION_ID): Promise<{ data: string; expire: string } | undefined> {
  const c = await connect(database.name);
  try {
    const [rows] = await c.query('SELECT data, expire FROM oc_session WHERE session_id = ?', [id]);
    return (rows as Array<{ data: string; expire: string }>)[0];
  } finally {
    await c.end();
  }
}

/** A session row as OpenCart's PHP writes it: user_id as a string, slashes escaped, an expiry in UTC, keys of its own. */
async function phpSignsIn(days = 30): Promise<void> {
  const c = await connect(database.name);
  try {
    const [users] = await c.query("SELECT user_id FROM oc_user WHERE username = 'tester'");
    const userId = String((users as Array<{ user_id: number }>)[0].user_id);
    const data = JSON.stringify({ user_id: userId, user_token: TOKEN, install: 'x', redirect: 'https://shop.test/admin/' }).replace(/\//g, '\\/');
    await c.query('REPLACE INTO oc_session (session_id, data, expire) VALUES (?, ?, UTC_TIMESTAMP() + INTERVAL ? DAY)', [SESSION_ID, data, days]);
  } finally {
    await c.end();
  }
}

const page = (query = '', cookie = `OCSESSID=${SESSION_ID}`) =>
  request(app).get(`/admin/index.php?route=tool/backup&user_token=${TOKEN}${query}`).set('Cookie', cookie);

describe('with only OPENCART_CONFIG', () => {
  it("uses OpenCart's admin session engine (db) and cookie, the shop's chrome, and /extension/backup/ for its assets", () => {
    expect(admin.config).toMatchObject({ sessionEngine: 'db', sessionName: 'OCSESSID', chrome: 'opencart', assetPath: '/extension/backup/', httpServer: phpUrl });
    expect(admin.config.db.database).toBe(database.name);
  });

  it("opens the page for a session OpenCart's PHP wrote, inside the shop's header, menu and footer", async () => {
    await phpSignsIn();
    phpRequests.length = 0;
    const response = await page();
    expect(response.status).toBe(200);
    expect(response.text).toContain('<li id="menu-dashboard">');
    expect(response.text).toContain('<footer id="footer">OpenCart');
    expect(response.text).toContain('id="backup-app"');
    expect(response.text).toContain(`<title>${languageStrings('en-gb', 'tool/backup').heading_title.replace(/&/g, '&amp;')}</title>`);
    // The module's script after OpenCart's Bootstrap bundle, from the asset path; no Bootstrap or Font Awesome of its own.
    expect(response.text.indexOf('<script src="/extension/backup/view/javascript/tool/backup.js">')).toBeGreaterThan(response.text.indexOf('bootstrap.bundle.min.js'));
    expect(response.text).not.toContain('view/vendor/');
    expect(response.text).not.toMatch(/(src|href)="view\/(javascript\/tool|stylesheet\/opencart)/);
    // OpenCart's inline scripts (its language switch) must run: no script-src restriction on the shop's page.
    expect(response.headers['content-security-policy']).toBe("frame-ancestors 'self'");
    expect(phpRequests).toEqual([{ url: `/admin/index.php?route=error/not_found&user_token=${TOKEN}`, cookie: `OCSESSID=${SESSION_ID}` }]);
    expect(logged).toEqual([]);
  });

  it("serves its assets under /extension/backup/, and OpenCart's admin view/ stays OpenCart's", async () => {
    const script = await request(app).get('/extension/backup/view/javascript/tool/backup.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    const css = await request(app).get('/extension/backup/view/stylesheet/opencart.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
    expect((await request(app).get('/extension/backup/index.php?route=tool/backup')).status).toBe(404);
    expect((await request(app).get('/extension/backup/storage/backup/')).status).toBe(404);
  });

  it("never touches OpenCart's session: no cookie, no write, whatever the language", async () => {
    await phpSignsIn();
    const before = await sessionRow();
    const german = await page('&language=de-de');
    expect(german.status).toBe(200);
    expect(german.text).toContain(languageStrings('de-de', 'tool/backup').button_backup);
    expect(german.headers['set-cookie']).toBeUndefined();
    const history = await request(app).get(`/admin/index.php?route=tool/backup.history&user_token=${TOKEN}`).set('Cookie', `OCSESSID=${SESSION_ID}`);
    expect(history.status).toBe(200);
    expect(history.headers['set-cookie']).toBeUndefined();
    expect(await sessionRow()).toEqual(before);
  });

  it("follows OpenCart's language cookie (set by the shop's own language switch) and passes it on for the chrome", async () => {
    await phpSignsIn();
    phpRequests.length = 0;
    const response = await page('', `OCSESSID=${SESSION_ID}; language=fr-fr`);
    expect(response.text).toContain(languageStrings('fr-fr', 'tool/backup').button_backup);
    expect(phpRequests.map((r) => r.cookie)).toEqual([`OCSESSID=${SESSION_ID}; language=fr-fr`]);
    // The shop's page is in English (lang="en"): the module's French content says so.
    expect(response.text).toMatch(/<main lang="fr" dir="ltr" id="content">/);
  });

  it("sends a visitor without a session to OpenCart's login page, setting no cookie", async () => {
    const response = await request(app).get('/admin/index.php?route=tool/backup');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`${phpUrl}index.php?route=common/login`);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it("draws its own chrome, with its own assets under /extension/backup/, when OpenCart's page cannot be had (and logs it)", async () => {
    await phpSignsIn();
    phpReply = { status: 500, body: 'PHP Fatal error' };
    try {
      // Another language: not in the cache of the earlier requests.
      const response = await page('', `OCSESSID=${SESSION_ID}; language=it-it`);
      expect(response.status).toBe(200);
      expect(response.text).toContain('id="backup-app"');
      expect(response.text).toContain('<link href="/extension/backup/view/vendor/bootstrap/css/bootstrap.min.css"');
      expect(response.text).toContain('<script src="/extension/backup/view/javascript/tool/backup.js">');
      expect(response.text).not.toContain('menu-dashboard');
      expect(logged).toEqual(["OpenCart's admin chrome could not be fetched; the module's own is shown"]);
      expect((await request(app).get('/extension/backup/view/vendor/bootstrap/css/bootstrap.min.css')).status).toBe(200);
    } finally {
      phpReply = { status: 200, body: shopPage() };
      logged.length = 0;
    }
  });
});

describe("OpenCart's db session engine", () => {
  it("never shortens a session's expiry (OpenCart's config_session_expire may be longer than the module's)", async () => {
    await phpSignsIn(30);
    const before = await sessionRow();
    const store = new DbSessionStore(admin.pool, 'oc_', 3600);
    await store.write(SESSION_ID, { user_id: 1, user_token: TOKEN, added: true });
    const after = await sessionRow();
    expect(after?.expire).toEqual(before?.expire);
    expect(JSON.parse(after!.data)).toEqual({ user_id: 1, user_token: TOKEN, added: true });
    // A session about to end is extended.
    const c = await connect(database.name);
    await c.query('UPDATE oc_session SET expire = UTC_TIMESTAMP() + INTERVAL 1 MINUTE WHERE session_id = ?', [SESSION_ID]);
    await c.end();
    await store.write(SESSION_ID, { user_id: 1 });
    const extended = await sessionRow();
    expect(new Date(extended!.expire).getTime()).toBeGreaterThan(new Date(after!.expire).getTime() - 30 * 86400_000 + 3000 * 1000);
  });

  it('reads expiry in UTC, as OpenCart writes it with gmdate()', async () => {
    await phpSignsIn();
    const c = await connect(database.name);
    // Five minutes left in UTC: alive, whatever the database's own time zone says.
    await c.query('UPDATE oc_session SET expire = UTC_TIMESTAMP() + INTERVAL 5 MINUTE WHERE session_id = ?', [SESSION_ID]);
    expect((await page()).status).toBe(200);
    await c.query('UPDATE oc_session SET expire = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE session_id = ?', [SESSION_ID]);
    await c.end();
    expect((await page()).status).toBe(302);
  });
});

describe('mergeSessionChanges', () => {
  it('applies only the keys a request set, changed or removed to what the store holds now', () => {
    const before = { user_id: '1', user_token: 'T', language: 'en-gb', gone: 1 };
    const after = { user_id: '1', user_token: 'T', language: 'de-de', added: [1] };
    // Meanwhile OpenCart's PHP added a key and changed one this request did not touch.
    const current = { user_id: '1', user_token: 'T', language: 'en-gb', gone: 1, php: 'new', install: 'changed' };
    expect(mergeSessionChanges(current, before, after)).toEqual({ user_id: '1', user_token: 'T', language: 'de-de', added: [1], php: 'new', install: 'changed' });
    expect(mergeSessionChanges({}, {}, { a: 1 })).toEqual({ a: 1 });
  });
});

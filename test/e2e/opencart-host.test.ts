// Inside a real OpenCart 4.0.2.3 (PHP) behind nginx, configured with system/config/nginx-opencart.conf: the admin signs
// in on OpenCart's own login page, opens Backup & Restore from OpenCart's own menu, sees it inside the shop's header,
// menu and footer with the shop's CSS, backs up and restores, and is still signed in to OpenCart afterwards.
// The module is createAdminApp() with only OPENCART_CONFIG. The tests run in order on one page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { createAdminApp, type AdminApp } from '../../admin/app.ts';
import { loadConfig } from '../../system/library/config.ts';
import { connect } from '../helpers/database.ts';
import { freePort, requireHostScript, requireNginx, startNginx, startOpenCartHost, type Nginx, type OpenCartHost } from '../helpers/opencart-host.ts';
import { historyRow, languageStrings, launchChromium, screenshot, textPattern, watchPage, type PageWatch } from '../helpers/browser.ts';

let browser: Browser | undefined;
let host: OpenCartHost | undefined;
let admin: AdminApp | undefined;
let moduleServer: Server | undefined;
let nginx: Nginx | undefined;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;
let shop = '';
const moduleLog: string[] = [];
/** Requests that would leave the machine (OpenCart's stylesheet imports Google Fonts): answered empty, never sent. */
const external: string[] = [];
/** Replies of the module (tool/backup routes, /extension/backup/) that set a cookie. */
const moduleCookies: string[] = [];
const pendingChecks: Array<Promise<void>> = [];
let signedIn: { cookie: string; data: Record<string, unknown>; expire: number };
let backupName = '';
const en = languageStrings('en-gb', 'tool/backup');

beforeAll(async () => {
  // Fail early, naming what is missing, before anything is started.
  requireHostScript();
  requireNginx();
  browser = await launchChromium();
  const publicPort = await freePort();
  host = await startOpenCartHost('ochost', publicPort);
  admin = await createAdminApp({ config: loadConfig({ env: { OPENCART_CONFIG: host.configFile } }), log: (message, details) => moduleLog.push(`${message} ${JSON.stringify(details)}`) });
  const app = express();
  admin.mount(app);
  moduleServer = await new Promise<Server>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
  nginx = await startNginx({ port: publicPort, modulePort: (moduleServer.address() as AddressInfo).port, phpPort: host.phpPort });
  shop = `http://127.0.0.1:${publicPort}`;

  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      external.push(route.request().url());
      return route.fulfill({ status: 200, contentType: route.request().resourceType() === 'stylesheet' ? 'text/css' : 'text/plain', body: '' });
    },
  );
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch = watchPage(page);
  page.on('response', (response: Response) => {
    const url = new URL(response.url());
    const toModule = url.pathname.startsWith('/extension/backup/') || /^tool\/backup([.|]|$)/.test(url.searchParams.get('route') ?? '');
    if (toModule) pendingChecks.push(response.headerValue('set-cookie').then((value) => void (value && moduleCookies.push(`${response.url()}: ${value}`))));
  });
}, 600_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await nginx?.stop().catch(() => undefined);
  await new Promise<void>((resolve) => (moduleServer ? (moduleServer.closeAllConnections(), moduleServer.close(() => resolve())) : resolve()));
  await admin?.close().catch(() => undefined);
  await host?.down();
}, 120_000);

/** Problems on the page since the last call, but for /favicon.ico: OpenCart's admin declares no icon and the shop has none. */
function problems(): string[] {
  return watch.take().filter((problem) => !problem.includes('/favicon.ico'));
}

async function sessionRow(id: string): Promise<{ data: Record<string, unknown>; expire: number }> {
  const c = await connect(host!.database);
  try {
    const [rows] = await c.query('SELECT data, UNIX_TIMESTAMP(expire) AS expire FROM oc_session WHERE session_id = ?', [id]);
    const row = (rows as Array<{ data: string; expire: string }>)[0];
    return { data: row ? JSON.parse(row.data) : {}, expire: row ? Number(row.expire) : 0 };
  } finally {
    await c.end();
  }
}

async function sessionCookies(): Promise<Array<{ value: string; path: string }>> {
  return (await context.cookies(`${shop}/admin/index.php`)).filter((cookie) => cookie.name === 'OCSESSID').map(({ value, path }) => ({ value, path }));
}

async function query<T>(sql: string): Promise<T[]> {
  const c = await connect(host!.database);
  try {
    return (await c.query(sql))[0] as T[];
  } finally {
    await c.end();
  }
}

/** Runs a job from the page and waits for its end; the bar's text says how it went. */
async function finishedJob(action: () => Promise<unknown>): Promise<{ ok: boolean; text: string }> {
  await page.$eval('#progress-text', (element) => element.setAttribute('class', 'mt-2'));
  await action();
  const done = await page.waitForSelector('#progress-text.text-success, #progress-text.text-danger', { timeout: 180_000 });
  await page.waitForSelector('#history:not([aria-busy])', { state: 'attached' });
  return { ok: ((await done.getAttribute('class')) ?? '').includes('text-success'), text: (await done.innerText()).trim() };
}

describe('Backup & Restore inside a real OpenCart 4.0.2.3 behind nginx', () => {
  it("the admin signs in on OpenCart's own PHP login page and lands on its dashboard", async () => {
    await page.goto(`${shop}/admin/`);
    expect(await page.locator('#form-login').count()).toBe(1);
    await page.fill('#input-username', 'admin');
    await page.fill('#input-password', 'admin');
    await Promise.all([page.waitForURL(/route=common\/dashboard&user_token=\w+/), page.click('#form-login button[type=submit]')]);
    await page.waitForSelector('#column-left #menu');
    const cookies = await sessionCookies();
    expect(cookies).toHaveLength(1);
    // OpenCart's own cookie: the admin folder's path.
    expect(cookies[0].path).toBe('/admin/');
    signedIn = { cookie: cookies[0].value, ...(await sessionRow(cookies[0].value)) };
    expect(signedIn.data.user_token).toBe(new URL(page.url()).searchParams.get('user_token'));
    expect(Number(signedIn.data.user_id)).toBe(1);
    // OpenCart's own pages are not under test here (its login page asks for a favicon it does not have).
    watch.take();
  });

  it("OpenCart's own menu (System → Maintenance → Backup / Restore) opens the module inside the shop's header, menu and footer", async () => {
    // OpenCart 4.0.2's dashboard opens with a security notice (rename the admin folder) over the page.
    if (await page.locator('#modal-security.show').count()) {
      await page.click('#modal-security .btn-close');
      await page.waitForSelector('#modal-security', { state: 'hidden' });
    }
    watch.take();
    await page.click('#menu-system > a');
    await page.click('#menu-system a.parent:text-is("Maintenance")');
    const link = page.locator('#menu-system a[href*="route=tool/backup&"]');
    expect(await link.innerText()).toBe('Backup / Restore');
    const [navigation] = await Promise.all([
      page.waitForResponse((response) => response.request().isNavigationRequest() && /route=tool\/backup&/.test(response.url())),
      link.click(),
    ]);
    await page.waitForSelector('#backup-app');
    expect(page.url()).toMatch(new RegExp(`^${shop}/admin/index\\.php\\?route=tool/backup&user_token=\\w+$`));
    // Served by the module (OpenCart's PHP sends no Content-Security-Policy), with OpenCart's chrome around it.
    expect(await navigation.headerValue('content-security-policy')).toBe("frame-ancestors 'self'");
    expect(await page.title()).toBe(en.heading_title);
    expect(await page.innerText('#content h1')).toBe(en.heading_title);
    expect(await page.innerText('#footer')).toContain('Version 4.0.2.3');
    expect(await page.locator('#header #nav-logout a[href*="route=common/logout"]').count()).toBe(1);
    expect(await page.locator('#column-left #menu #menu-dashboard').count()).toBe(1);
    expect(await page.$eval('#header .navbar-brand img', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    // One #alert (the module's), and OpenCart's language switch would come back to this page.
    expect(await page.locator('#alert').count()).toBe(1);
    expect(await page.getAttribute('#input-redirect', 'value')).toMatch(/route=tool\/backup&user_token=/);

    // Styled by the shop's own CSS: OpenCart's stylesheet.css draws the dark menu, offsets the content and the footer.
    const sheets = await page.evaluate(() => Array.from(document.styleSheets).map((sheet) => sheet.href ?? ''));
    expect(sheets).toContain(`${shop}/admin/view/stylesheet/stylesheet.css`);
    expect(sheets).toContain(`${shop}/admin/view/stylesheet/bootstrap.css`);
    expect(sheets).toContain(`${shop}/extension/backup/view/stylesheet/opencart.css`);
    expect(sheets.filter((href) => href.includes('/extension/backup/view/vendor/'))).toEqual([]);
    const style = await page.evaluate(() => ({
      menu: getComputedStyle(document.getElementById('column-left')!).backgroundColor,
      content: getComputedStyle(document.getElementById('content')!).marginLeft,
      footer: getComputedStyle(document.getElementById('footer')!).marginLeft,
      footerHeight: getComputedStyle(document.getElementById('footer')!).height,
      button: getComputedStyle(document.getElementById('button-upload')!).backgroundColor,
    }));
    expect(style).toEqual({ menu: 'rgb(36, 45, 55)', content: '235px', footer: '235px', footerHeight: '100px', button: 'rgb(30, 145, 207)' });
    // The module's script came from /extension/backup/ and runs with OpenCart's Bootstrap: the tabs switch.
    await page.click('[data-bs-target="#tab-backup"]');
    await page.waitForSelector('#tab-backup.active', { state: 'visible' });
    expect(await page.evaluate(() => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/extension/backup/view/javascript/tool/backup.js')))).toBe(true);
    expect(external.every((url) => url.startsWith('http://fonts.googleapis.com/') || url.startsWith('https://fonts.googleapis.com/'))).toBe(true);
    expect(moduleLog).toEqual([]);
    expect(problems()).toEqual([]);
    await screenshot(page, 'opencart-01-backup-page');
  });

  it('backs up every table the page offers (not the users, nor the sessions)', async () => {
    const offered = await page.$$eval("input[name='backup[]']", (boxes) => boxes.map((box) => (box as HTMLInputElement).value));
    expect(offered.length).toBeGreaterThan(100);
    expect(offered).toContain('oc_order_status');
    expect(offered).not.toContain('oc_user');
    expect(offered).not.toContain('oc_session');
    await page.check('#input-backup-all');
    const result = await finishedJob(() => page.click('#button-backup'));
    expect(result.ok, result.text).toBe(true);
    const match = textPattern(en.text_backup_success).exec(result.text);
    expect(match, result.text).not.toBeNull();
    backupName = match![1];
    // In OpenCart's own storage folder, where OpenCart's backup tool keeps its files too.
    expect(existsSync(path.join(host!.storage, 'backup', backupName))).toBe(true);
    expect(problems()).toEqual([]);
  });

  it('restores the backup: a changed row comes back', async () => {
    const [before] = await query<{ name: string }>('SELECT name FROM oc_order_status WHERE order_status_id = 1 AND language_id = 1');
    await query("UPDATE oc_order_status SET name = 'Changed after the backup' WHERE order_status_id = 1");
    await page.click('[data-bs-target="#tab-history"]');
    await historyRow(page, backupName).locator('button.restore').click();
    await page.waitForSelector('#modal-restore.show');
    await expect.poll(() => page.locator('#button-restore-confirm').isVisible()).toBe(true);
    await page.waitForFunction(() => !(document.getElementById('button-restore-confirm') as HTMLButtonElement).disabled);
    const result = await finishedJob(() => page.click('#button-restore-confirm'));
    expect(result.ok, result.text).toBe(true);
    expect(result.text.startsWith(en.text_success)).toBe(true);
    expect(await query('SELECT name FROM oc_order_status WHERE order_status_id = 1 AND language_id = 1')).toEqual([before]);
    expect(problems()).toEqual([]);
    await screenshot(page, 'opencart-02-restored');
  });

  it("the admin is still signed in to OpenCart: its dashboard opens, with the same session, every key kept, expiry not shortened", async () => {
    await Promise.all(pendingChecks);
    expect(moduleCookies).toEqual([]);
    expect(await sessionCookies()).toEqual([{ value: signedIn.cookie, path: '/admin/' }]);
    const during = await sessionRow(signedIn.cookie);
    for (const [key, value] of Object.entries(signedIn.data)) expect(during.data[key], key).toEqual(value);
    expect(during.expire).toBeGreaterThanOrEqual(signedIn.expire);

    // The shop's own logo link leads to OpenCart's PHP dashboard.
    await Promise.all([page.waitForURL(/route=common\/dashboard&user_token=\w+/), page.click('#header .navbar-brand')]);
    await page.waitForSelector('#column-left #menu');
    expect(await page.locator('#form-login').count()).toBe(0);
    expect(await page.innerText('#header #nav-profile')).toContain('John Doe');
    const after = await sessionRow(signedIn.cookie);
    expect(after.data.user_token).toBe(signedIn.data.user_token);
    expect(after.expire).toBeGreaterThanOrEqual(signedIn.expire);
    expect(await sessionCookies()).toEqual([{ value: signedIn.cookie, path: '/admin/' }]);
    await screenshot(page, 'opencart-03-dashboard-after');
  });
});

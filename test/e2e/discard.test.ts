// Discarding an interrupted restore in headless Chromium: a restore left part way by a session that is gone and a server
// that restarted shows on the page with a Discard button; Cancel sends nothing, Discard drops it and the notice goes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { checksums, connect, createTestDatabase, tableNames, type TestDatabase } from '../helpers/database.ts';
import { encodeForm, runJob, signIn, startTestApp, type SignedIn, type TestApp } from '../helpers/app.ts';
import { createDemoShop } from '../../system/demo/generator.ts';
import { fill, languageStrings, launchChromium, listen, logIn, nextAlert, screenshot, textPattern, watchPage, type PageWatch, type RunningServer } from '../helpers/browser.ts';
import { RESTORE_STATE_FILE } from '../../system/library/backup/housekeeping.ts';

const TABLES = ['oc_bulk', 'oc_order_status'];
let browser: Browser | undefined;
let database: TestDatabase | undefined;
let shop: TestApp | undefined;
let server: RunningServer | undefined;
let page: Page;
let watch: PageWatch;
let backupName = '';
let before: Record<string, string>;
let en: Record<string, string>;
const discardRequests: string[] = [];

async function shadowTables(): Promise<string[]> {
  return (await tableNames(database!.name)).filter((name) => name.startsWith('_bkr_n_') || name === '_bkr_state');
}

async function post(who: SignedIn, url: string): Promise<Record<string, unknown>> {
  const target = new URL(url, 'http://x');
  return (await who.agent.post(target.pathname + target.search).type('form').send(encodeForm({}))).body as Record<string, unknown>;
}

beforeAll(async () => {
  browser = await launchChromium();
  en = languageStrings('en-gb', 'tool/backup');
  database = await createTestDatabase('e2e_discard');
  const connection = await connect(database.name);
  try {
    await createDemoShop(connection, { prefix: 'oc_', scale: 1 });
    // Enough rows that a restore with a small budget takes many requests, so there is a middle to leave it in.
    await connection.query('CREATE TABLE oc_bulk (bulk_id int NOT NULL PRIMARY KEY, note text NOT NULL)');
    await connection.query("INSERT INTO oc_bulk SELECT seq, CONCAT('row ', seq, REPEAT('y', seq % 150)) FROM seq_1_to_100000");
  } finally {
    await connection.end();
  }
  // The first server: a session backs up, starts a restore and leaves it part way.
  const first = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } });
  const storage = first.storage;
  try {
    const gone = await signIn(first.app, 'admin', 'admin');
    const link = (route: string, extra = '') => `/admin/index.php?route=${route}&user_token=${gone.token}${extra}`;
    expect((await runJob(gone.agent, link('tool/backup.backup'), { 'backup[]': TABLES })).success).toBeTruthy();
    backupName = readdirSync(first.backupDir).find((name) => name.endsWith('.sql')) as string;
    let reply = await post(gone, link('tool/backup.restore', `&filename=${encodeURIComponent(backupName)}`));
    for (let i = 0; i < 30 && !String(reply.text ?? '').startsWith('Restoring'); i++) reply = await post(gone, reply.next as string);
    reply = await post(gone, reply.next as string);
    expect(reply.next, JSON.stringify(reply)).toBeTruthy();
  } finally {
    await first.close(true);
  }
  // The server restarts; the admin signs in again in a browser (a new session).
  shop = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } }, storage);
  server = await listen(shop.app);
  before = await checksums(database.name, TABLES);
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  watch = watchPage(page);
  page.on('request', (request) => {
    if (request.url().includes('route=tool/backup.discard')) discardRequests.push(request.url());
  });
  await logIn(page, server.adminUrl);
});

afterEach(() => {
  if (watch) expect(watch.take()).toEqual([]);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  // Started on the first server's storage, which it would otherwise keep: this is the end of both.
  await shop?.close(false).catch(() => undefined);
  await database?.drop();
});

describe('an interrupted restore in the browser', () => {
  it('is shown with a Discard button; Cancel in its confirmation sends nothing and changes nothing', async () => {
    await page.waitForSelector('#restore-interrupted', { state: 'visible' });
    expect(textPattern(en.text_restore_interrupted).exec(await page.innerText('#restore-interrupted span'))?.[1]).toBe(backupName);
    // Another session started it: this one may discard it, not continue it.
    expect(await page.locator('#button-resume').count()).toBe(0);
    expect((await page.innerText('#button-discard')).trim()).toBe(en.button_discard);
    const shadows = await shadowTables();
    expect(shadows.length).toBeGreaterThan(0);

    await page.click('#button-discard');
    await page.waitForSelector('#modal-discard.show');
    await expect.poll(() => page.locator('#modal-discard').isVisible()).toBe(true);
    expect(await page.innerText('#discard-confirm')).toBe(fill(en.text_confirm_discard, backupName));
    await screenshot(page, 'discard-01-confirm');
    await page.click('#modal-discard .modal-footer [data-bs-dismiss="modal"]');
    await page.waitForSelector('#modal-discard', { state: 'hidden' });
    // Give a request that should not exist the time to show up.
    await page.waitForTimeout(300);
    expect(discardRequests).toEqual([]);
    expect(await page.isVisible('#restore-interrupted')).toBe(true);
    expect(await shadowTables()).toEqual(shadows);
    expect(existsSync(path.join(shop!.backupDir, RESTORE_STATE_FILE))).toBe(true);
  });

  it('Discard after the confirmation drops it: a success message, the notice goes, the live tables are as they were', async () => {
    await page.click('#button-discard');
    await page.waitForSelector('#modal-discard.show');
    await expect.poll(() => page.locator('#button-discard-confirm').isVisible()).toBe(true);
    const alert = await nextAlert(page, () => page.click('#button-discard-confirm'));
    expect(alert).toEqual({ kind: 'success', text: fill(en.text_discard_success, backupName) });
    expect(discardRequests).toHaveLength(1);
    await page.waitForSelector('#restore-interrupted', { state: 'hidden' });
    expect(await shadowTables()).toEqual([]);
    expect(existsSync(path.join(shop!.backupDir, RESTORE_STATE_FILE))).toBe(false);
    expect(await checksums(database!.name, TABLES)).toEqual(before);
    await screenshot(page, 'discard-02-done');

    // Reloaded, the page has nothing interrupted left to offer.
    await page.reload();
    await page.waitForSelector('#backup-app');
    expect(await page.isVisible('#restore-interrupted')).toBe(false);
    expect(await page.locator('#button-discard').count()).toBe(0);
  });
});

// Backup & Restore in headless Chromium (en-gb): log in, back up with the keyboard, download, upload, restore and undo,
// delete, a refused upload and a failing restore, with no console errors or failed requests on the way.
// The tests run in order on one page, each one continuing from the state the previous one left.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { connect, createDemoTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  fill,
  historyNames,
  historyRow,
  languageStrings,
  launchChromium,
  listen,
  logIn,
  nextAlert,
  progressValues,
  recordProgress,
  screenshot,
  textPattern,
  watchPage,
  type PageWatch,
  type RunningServer,
} from '../helpers/browser.ts';

const BACKUP_NAME = /^\d{4}-\d{2}-\d{2} \d{2}\.\d{2}\.\d{2}(?: \(\d+\))?\.sql$/;
const UPLOAD_NAME = 'e2e-statuses.sql';
const DANGER_RED = 'rgb(220, 53, 69)'; // Bootstrap's --bs-danger / .text-danger

let browser: Browser | undefined;
let database: TestDatabase | undefined;
let shop: TestApp | undefined;
let server: RunningServer | undefined;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;
let backupName = '';
let tableCount = 0;
/** en-gb texts of tool/backup (read when the app starts: they are what the page shows). */
let en: Record<string, string>;

beforeAll(async () => {
  browser = await launchChromium();
  database = await createDemoTestDatabase('e2e');
  shop = await startTestApp(database.name);
  en = languageStrings('en-gb', 'tool/backup');
  server = await listen(shop.app);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'en-GB' });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  watch = watchPage(page);
});

afterEach(() => {
  // Every flow must leave the console clean: no errors, no uncaught exceptions, no failed or refused requests.
  if (watch) expect(watch.take()).toEqual([]);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await shop?.close().catch(() => undefined);
  await database?.drop();
});

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const connection = await connect(database!.name);
  try {
    const [rows] = await connection.query(sql, values);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

async function count(sql: string): Promise<number> {
  const rows = await query<{ n: string | number }>(sql);
  return Number(rows[0].n);
}

async function focusedId(): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    return element?.id || element?.getAttribute('data-bs-target') || element?.tagName || '';
  });
}

/** A dump in OpenCart 4.0.2's own format (TRUNCATE + one INSERT per table), written from the live tables. */
async function handMadeDump(tables: string[]): Promise<Buffer> {
  const connection = await connect(database!.name);
  const lines = ['-- Hand-made dump for the browser test', ''];
  try {
    for (const table of tables) {
      const [rows, fields] = await connection.query(`SELECT * FROM \`${table}\``);
      const columns = (fields as Array<{ name: string }>).map((field) => field.name);
      const values = (rows as Array<Record<string, unknown>>).map((row) => `(${columns.map((column) => connection.escape(row[column])).join(',')})`);
      lines.push(`TRUNCATE TABLE \`${table}\`;`, `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(',')}) VALUES ${values.join(',')};`, '');
    }
  } finally {
    await connection.end();
  }
  return Buffer.from(lines.join('\n'));
}

describe('Backup & Restore in the browser (en-gb)', () => {
  it('logs in through the login form and lands on the Backup & Restore page', async () => {
    await page.goto(`${server!.adminUrl}index.php?route=common/login`);
    expect(await page.getAttribute('html', 'dir')).toBe('ltr');
    await screenshot(page, 'en-01-login');
    await logIn(page, server!.adminUrl);
    expect(page.url()).toMatch(/route=tool\/backup&user_token=[A-Za-z0-9]{32}/);
    expect(await page.textContent('h1')).toBe(en.heading_title);
    expect(await page.title()).toBe(en.heading_title);
    expect(await page.getAttribute('html', 'lang')).toBe(en.code);
    expect(await page.innerText('#history')).toContain(en.text_no_results);
    tableCount = await page.locator("input[name='backup[]']").count();
    expect(tableCount).toBeGreaterThan(50);
    // Protected tables are never offered.
    expect(await page.locator("input[name='backup[]'][value='oc_user']").count()).toBe(0);
    await screenshot(page, 'en-02-page');
  });

  it('keyboard: Tab reaches the tabs and the checkboxes, Space ticks them; every table is ticked at first, Backup is disabled when none is', async () => {
    const backupButton = page.locator('#button-backup');
    const selectAll = page.locator('#input-backup-all');
    const boxes = page.locator("input[name='backup[]']");
    await page.locator('body').focus();
    // Tab from the top of the page into the tab list (the active tab is the tab stop, as in WAI-ARIA's tabs pattern).
    for (let i = 0; i < 20 && (await focusedId()) !== '#tab-history'; i++) await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('#tab-history');
    // Bootstrap's tabs: the arrow keys move between tabs (the inactive one is not a Tab stop); Enter selects the focused one.
    await page.keyboard.press('ArrowRight');
    expect(await focusedId()).toBe('#tab-backup');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#tab-backup', { state: 'visible' });
    expect(await page.getAttribute('[data-bs-target="#tab-backup"]', 'aria-selected')).toBe('true');

    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('input-backup-all');
    // As on OpenCart 4.0.2.3's page, every table is ticked when the page loads.
    expect(await selectAll.isChecked()).toBe(true);
    expect(await selectAll.evaluate((box) => (box as HTMLInputElement).indeterminate)).toBe(false);
    expect(await boxes.evaluateAll((all) => all.every((box) => (box as HTMLInputElement).checked))).toBe(true);
    expect(await backupButton.isEnabled()).toBe(true);
    await screenshot(page, 'en-03-backup-tab-all-ticked');

    await page.keyboard.press('Space');
    expect(await selectAll.isChecked()).toBe(false);
    expect(await boxes.evaluateAll((all) => all.some((box) => (box as HTMLInputElement).checked))).toBe(false);
    expect(await backupButton.isDisabled()).toBe(true);
    await page.keyboard.press('Space');
    expect(await boxes.evaluateAll((all) => all.every((box) => (box as HTMLInputElement).checked))).toBe(true);
    expect(await backupButton.isEnabled()).toBe(true);
    await page.keyboard.press('Space');
    expect(await boxes.evaluateAll((all) => all.some((box) => (box as HTMLInputElement).checked))).toBe(false);
    expect(await backupButton.isDisabled()).toBe(true);

    // One table by keyboard: the button wakes up and "select all" shows the mixed state.
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('input-table-1');
    await page.keyboard.press('Space');
    expect(await boxes.first().isChecked()).toBe(true);
    expect(await backupButton.isEnabled()).toBe(true);
    expect(await selectAll.evaluate((box) => (box as HTMLInputElement).indeterminate)).toBe(true);
    await screenshot(page, 'en-04-one-table-ticked');
    await page.keyboard.press('Space');
    expect(await backupButton.isDisabled()).toBe(true);

    // Back to "select all" and tick everything for the next test.
    await page.keyboard.press('Shift+Tab');
    expect(await focusedId()).toBe('input-backup-all');
    await page.keyboard.press('Space');
    expect(await boxes.evaluateAll((all) => all.filter((box) => (box as HTMLInputElement).checked).length)).toBe(tableCount);
  });

  it('backs up all tables (Enter on Backup): the bar runs to 100%, a success message, the new row in the history', async () => {
    // The Backup button is reachable with Tab past every table checkbox, and Enter starts the backup.
    for (let i = 0; i < tableCount + 5 && (await focusedId()) !== 'button-backup'; i++) await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('button-backup');
    await recordProgress(page);
    const alert = await nextAlert(page, () => page.keyboard.press('Enter'));
    expect(alert.kind).toBe('success');
    const match = textPattern(en.text_backup_success).exec(alert.text);
    expect(match, alert.text).not.toBeNull();
    backupName = match![1];
    expect(backupName).toMatch(BACKUP_NAME);
    expect(Number(match![2].replace(/,/g, ''))).toBeGreaterThan(5000);

    expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('100');
    expect(await page.getAttribute('#progress-bar', 'style')).toContain('width: 100%');
    expect(await page.getAttribute('#progress-bar', 'class')).toContain('bg-success');
    expect(await page.innerText('#progress-text')).toBe(alert.text);
    const values = await progressValues(page);
    expect(values[0]).toBe(0);
    expect(values.at(-1)).toBe(100);
    expect(values).toEqual([...values].sort((a, b) => a - b));

    await page.click('[data-bs-target="#tab-history"]');
    expect(await historyNames(page)).toEqual([backupName]);
    expect(existsSync(path.join(shop!.backupDir, backupName))).toBe(true);
    expect(existsSync(path.join(shop!.backupDir, `${backupName}.part`))).toBe(false);
    expect(await page.locator('#button-backup').isEnabled()).toBe(true);
    await screenshot(page, 'en-05-backup-done');
  });

  it('downloads the backup from the history: the same bytes as the file in storage', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), historyRow(page, backupName).locator('a.download').click()]);
    expect(download.suggestedFilename()).toBe(backupName);
    const downloaded = await readFile(await download.path());
    const stored = readFileSync(path.join(shop!.backupDir, backupName));
    expect(downloaded.length).toBe(stored.length);
    expect(downloaded.equals(stored)).toBe(true);
    expect(downloaded.toString('utf8').trimEnd().endsWith('-- End of backup')).toBe(true);
    // Still on the page: the download did not navigate away.
    expect(page.url()).toMatch(/route=tool\/backup&/);
  });

  it('uploads a .sql file through the Upload button: success and the new row', async () => {
    const dump = await handMadeDump(['oc_order_status', 'oc_stock_status']);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#button-upload')]);
    expect(chooser.isMultiple()).toBe(false);
    const alert = await nextAlert(page, () => chooser.setFiles({ name: UPLOAD_NAME, mimeType: 'application/sql', buffer: dump }));
    expect(alert).toEqual({ kind: 'success', text: fill(en.text_upload_success, UPLOAD_NAME) });
    expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('100');
    expect(await historyNames(page)).toContain(UPLOAD_NAME);
    expect(readFileSync(path.join(shop!.backupDir, UPLOAD_NAME)).equals(dump)).toBe(true);
    await screenshot(page, 'en-06-uploaded');
  });

  describe('with an upload limit of 1,000 bytes (a second app on the same database)', () => {
    let small: TestApp;
    let smallServer: RunningServer;
    let smallContext: BrowserContext;
    let other: Page;
    let otherWatch: PageWatch;
    const uploads: string[] = [];

    beforeAll(async () => {
      small = await startTestApp(database!.name, { backup: { uploadMaxBytes: 1000 } });
      smallServer = await listen(small.app);
      // A context of its own: cookies do not tell ports apart, and this app keeps its sessions in another folder.
      smallContext = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
      other = await smallContext.newPage();
      other.setDefaultTimeout(15_000);
      otherWatch = watchPage(other);
      other.on('request', (request) => {
        if (request.url().includes('route=tool/backup.upload')) uploads.push(request.url());
      });
      await logIn(other, smallServer.adminUrl);
    });

    afterEach(() => {
      if (otherWatch) expect(otherWatch.take()).toEqual([]);
    });

    afterAll(async () => {
      await smallContext?.close().catch(() => undefined);
      await smallServer?.close().catch(() => undefined);
      await small?.close().catch(() => undefined);
    });

    it('refuses in the browser, before sending, a file larger than the maximum, naming the limit', async () => {
      expect(await other.getAttribute('#backup-app', 'data-upload-max')).toBe('1000');
      expect(await other.innerText('label[for="input-upload"]')).toBe(fill(en.help_upload, '1,000 B'));

      const tooLarge = Buffer.from(`-- ${'x'.repeat(1001 - 4)}\n`);
      expect(tooLarge.length).toBe(1001);
      const refused = await nextAlert(other, () => other.setInputFiles('#input-upload', { name: 'too-large.sql', mimeType: 'application/sql', buffer: tooLarge }));
      expect(refused).toEqual({ kind: 'error', text: fill(en.error_upload_size, '1,000 B') });
      expect(uploads).toEqual([]);
      expect(await historyNames(other)).not.toContain('too-large.sql');
      expect(existsSync(path.join(small.backupDir, 'too-large.sql'))).toBe(false);
      await screenshot(other, 'en-07-upload-too-large');

      // Under the limit it goes.
      const under = Buffer.from(`-- ${'x'.repeat(999 - 4)}\n`);
      const accepted = await nextAlert(other, () => other.setInputFiles('#input-upload', { name: 'under-limit.sql', mimeType: 'application/sql', buffer: under }));
      expect(accepted).toEqual({ kind: 'success', text: fill(en.text_upload_success, 'under-limit.sql') });
      expect(uploads).toHaveLength(1);
    });

    // The page lets a file of exactly the limit through ("larger than the limit" is refused), but the server refuses it:
    // busboy reports `limit` as soon as a file reaches `fileSize` bytes, and tool/backup.upload passes fileSize = uploadMaxBytes.
    it('accepts a file of exactly the maximum', async () => {
      const atLimit = Buffer.from(`-- ${'x'.repeat(1000 - 4)}\n`);
      expect(atLimit.length).toBe(1000);
      const accepted = await nextAlert(other, () => other.setInputFiles('#input-upload', { name: 'at-limit.sql', mimeType: 'application/sql', buffer: atLimit }));
      expect(accepted).toEqual({ kind: 'success', text: fill(en.text_upload_success, 'at-limit.sql') });
    });
  });

  it('restores after a confirmation that names the file and lists its tables, then undoes the restore', async () => {
    const before = await query<{ name: string }>('SELECT name FROM oc_order_status WHERE order_status_id = 1 AND language_id = 1');
    await query("UPDATE oc_order_status SET name = 'Changed after the dump' WHERE order_status_id = 1");
    await query('DELETE FROM oc_stock_status WHERE stock_status_id = 5');

    await historyRow(page, UPLOAD_NAME).locator('button.restore').click();
    await page.waitForSelector('#modal-restore.show');
    await expect.poll(() => page.locator('#modal-restore').isVisible()).toBe(true);
    expect(await page.innerText('#restore-confirm')).toBe(fill(en.text_confirm_restore, UPLOAD_NAME));
    const listed = await page.$$eval("#restore-tables input[name='restore[]']", (boxes) =>
      boxes.map((box) => ({ name: (box as HTMLInputElement).value, checked: (box as HTMLInputElement).checked })),
    );
    expect(listed).toEqual([
      { name: 'oc_order_status', checked: true },
      { name: 'oc_stock_status', checked: true },
    ]);
    expect(await page.isEnabled('#button-restore-confirm')).toBe(true);
    await screenshot(page, 'en-08-restore-confirm');

    await recordProgress(page);
    const restored = await nextAlert(page, () => page.click('#button-restore-confirm'));
    expect(restored.kind).toBe('success');
    expect(restored.text.startsWith(`${en.text_success} `)).toBe(true);
    const undoUntil = textPattern(en.text_undo_until).exec(restored.text.slice(en.text_success.length + 1));
    expect(undoUntil?.[1], restored.text).toBe('2');
    await page.waitForSelector('#modal-restore', { state: 'hidden' });
    expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('100');
    expect(await page.getAttribute('#progress-bar', 'class')).toContain('bg-success');
    expect((await progressValues(page)).at(-1)).toBe(100);
    expect(await query('SELECT name FROM oc_order_status WHERE order_status_id = 1 AND language_id = 1')).toEqual(before);
    expect(await count('SELECT COUNT(*) AS n FROM oc_stock_status WHERE stock_status_id = 5')).toBe(2);

    await page.waitForSelector('#undo', { state: 'visible' });
    const undoOffer = textPattern(en.text_undo_available).exec(await page.innerText('#undo-text'));
    expect(undoOffer?.[1]).toBe(UPLOAD_NAME);
    await screenshot(page, 'en-09-restored-undo-offered');

    // Undo asks first, naming the tables whose later changes it would throw away; Cancel sends nothing.
    const undoRequests: string[] = [];
    const onRequest = (request: { url(): string }) => {
      if (request.url().includes('route=tool/backup.undo')) undoRequests.push(request.url());
    };
    page.on('request', onRequest);
    const confirmText = fill(en.text_confirm_undo, UPLOAD_NAME, '2', 'oc_order_status, oc_stock_status');
    expect(await page.getAttribute('#button-undo', 'data-confirm')).toBe(confirmText);
    await page.click('#button-undo');
    await page.waitForSelector('#modal-undo.show');
    await expect.poll(() => page.locator('#modal-undo').isVisible()).toBe(true);
    expect(await page.innerText('#undo-confirm')).toBe(confirmText);
    await screenshot(page, 'en-09b-undo-confirm');
    await page.click('#modal-undo .modal-footer [data-bs-dismiss="modal"]');
    await page.waitForSelector('#modal-undo', { state: 'hidden' });
    // Give a request that should not exist the time to show up.
    await page.waitForTimeout(300);
    expect(undoRequests).toEqual([]);
    expect(await query('SELECT name FROM oc_order_status WHERE order_status_id = 1 AND language_id = 1')).toEqual(before);
    expect(await count('SELECT COUNT(*) AS n FROM oc_stock_status WHERE stock_status_id = 5')).toBe(2);
    expect(await page.isVisible('#undo')).toBe(true);

    // A reloaded page offers the same undo with the same confirmation (from the page data this time).
    await page.reload();
    await page.waitForSelector('#undo', { state: 'visible' });
    expect(await page.getAttribute('#button-undo', 'data-confirm')).toBe(confirmText);

    await page.click('#button-undo');
    await page.waitForSelector('#modal-undo.show');
    await expect.poll(() => page.locator('#button-undo-confirm').isVisible()).toBe(true);
    const undone = await nextAlert(page, () => page.click('#button-undo-confirm'));
    page.off('request', onRequest);
    expect(undoRequests).toHaveLength(1);
    expect(undone).toEqual({ kind: 'success', text: en.text_undo_success });
    await page.waitForSelector('#undo', { state: 'hidden' });
    expect(await page.innerText('#progress-text')).toBe(en.text_undo_success);
    expect(await query('SELECT DISTINCT name FROM oc_order_status WHERE order_status_id = 1')).toEqual([{ name: 'Changed after the dump' }]);
    expect(await count('SELECT COUNT(*) AS n FROM oc_stock_status WHERE stock_status_id = 5')).toBe(0);
    await screenshot(page, 'en-10-undone');
  });

  it('deletes a backup after a confirmation: the row disappears', async () => {
    await historyRow(page, UPLOAD_NAME).locator('button.delete').click();
    await page.waitForSelector('#modal-delete.show');
    await expect.poll(() => page.locator('#modal-delete').isVisible()).toBe(true);
    expect(await page.innerText('#delete-confirm')).toBe(fill(en.text_confirm_delete, UPLOAD_NAME));
    await screenshot(page, 'en-11-delete-confirm');
    const alert = await nextAlert(page, () => page.click('#button-delete-confirm'));
    expect(alert).toEqual({ kind: 'success', text: fill(en.text_delete_success, UPLOAD_NAME) });
    await page.waitForSelector('#modal-delete', { state: 'hidden' });
    expect(await historyRow(page, UPLOAD_NAME).count()).toBe(0);
    expect(await historyNames(page)).toContain(backupName);
    expect(existsSync(path.join(shop!.backupDir, UPLOAD_NAME))).toBe(false);
    await screenshot(page, 'en-12-deleted');
  });

  it('a failing restore shows its error in words and in red', async () => {
    const orderStatuses = await count('SELECT COUNT(*) AS n FROM oc_order_status');
    // The pointer rests on a row's Download button (its tooltip shows) while the upload replaces the history.
    await historyRow(page, backupName).locator('a.download').hover();
    await page.waitForSelector('.tooltip.show');
    const uploaded = await nextAlert(page, () =>
      page.setInputFiles('#input-upload', { name: 'drop-database.sql', mimeType: 'application/sql', buffer: Buffer.from('DROP DATABASE x;\n') }),
    );
    expect(uploaded.kind).toBe('success');
    // No tooltip is left behind by a button that is gone.
    const orphans = await page.$$eval('.tooltip', (tips) => tips.filter((tip) => !document.querySelector(`[aria-describedby="${tip.id}"]`)).length);
    expect(orphans).toBe(0);
    await historyRow(page, 'drop-database.sql').locator('button.restore').click();
    await page.waitForSelector('#modal-restore.show');
    await expect.poll(() => page.locator('#modal-restore').isVisible()).toBe(true);
    expect(await page.innerText('#restore-confirm')).toBe(fill(en.text_confirm_restore, 'drop-database.sql'));
    // No table of the shop in it: nothing to tick, but the restore can still be asked for (and the server says why not).
    expect(await page.locator("#restore-tables input[name='restore[]']").count()).toBe(0);
    expect(await page.isEnabled('#button-restore-confirm')).toBe(true);
    await screenshot(page, 'en-13-restore-confirm-no-tables');

    const failed = await nextAlert(page, () => page.click('#button-restore-confirm'));
    await page.waitForSelector('#modal-restore', { state: 'hidden' });
    expect(failed.kind).toBe('error');
    const forbidden = textPattern(en.error_forbidden).exec(failed.text);
    expect(forbidden, failed.text).not.toBeNull();
    expect(forbidden![1]).toBe('1');
    expect(forbidden![2]).toMatch(/^DROP DATABASE/);
    expect(await page.innerText('#progress-text')).toBe(failed.text);
    expect(await page.getAttribute('#progress-bar', 'class')).toContain('bg-danger');
    expect(await page.getAttribute('#progress-text', 'class')).toContain('text-danger');
    expect(await page.$eval('#progress-text', (element) => getComputedStyle(element).color)).toBe(DANGER_RED);
    expect(await page.$eval('#progress-bar', (element) => getComputedStyle(element).backgroundColor)).toBe(DANGER_RED);
    expect(await page.locator('#alert .alert').first().getAttribute('role')).toBe('alert');
    // The alerts that float over the page do not pile up over the history's buttons.
    expect(await page.locator('#alert .alert').count()).toBeLessThanOrEqual(3);
    expect(await page.getAttribute('#undo', 'class')).toContain('d-none');
    expect(await count('SELECT COUNT(*) AS n FROM oc_order_status')).toBe(orderStatuses);
    await screenshot(page, 'en-14-restore-failed');
  });
});

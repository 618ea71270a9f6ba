// Backup & Restore in headless Chromium in Arabic (`&language=ar`): the page is right to left and shows no English text of
// the module at any step of the core flow (log in, back up, download, restore with undo, delete).
// The tests run in order on one page, each one continuing from the state the previous one left.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createDemoTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  escapeRegExp,
  fill,
  historyNames,
  historyRow,
  languageStrings,
  launchChromium,
  listen,
  nextAlert,
  screenshot,
  textPattern,
  watchPage,
  type PageWatch,
  type RunningServer,
} from '../helpers/browser.ts';

let browser: Browser | undefined;
let database: TestDatabase | undefined;
let shop: TestApp | undefined;
let server: RunningServer | undefined;
let page: Page;
let watch: PageWatch;
let ar: Record<string, string>;
let english: string[];
let backupName = '';

/**
 * Every piece of English text the module could show: the en-gb strings of tool/backup and of the admin chrome, split at
 * their `%s` (the values are names: files, tables, the user, dates). A piece the Arabic text keeps as well ("OpenCart",
 * "tool/backup") is not English to look for.
 */
function englishPieces(): string[] {
  const pieces = new Set<string>();
  for (const file of ['tool/backup', 'common/header', 'common/column_left', 'common/footer']) {
    const english = languageStrings('en-gb', file);
    const arabic = languageStrings('ar', file);
    for (const [key, text] of Object.entries(english)) {
      if (!/^(heading|text|entry|column|button|help|error|size)_/.test(key) || typeof text !== 'string') continue;
      for (const raw of text.split(/%[sd%]?/)) {
        const piece = raw.trim();
        if ((piece.match(/\p{L}/gu) ?? []).length < 2) continue;
        if ((arabic[key] ?? '').includes(piece)) continue;
        pieces.add(piece);
      }
    }
  }
  return [...pieces];
}

/** The English pieces found on the page: its text (hidden dialogs included), title, and the texts in attributes. */
async function englishOnPage(): Promise<string[]> {
  const texts = await page.evaluate(() => {
    const found = [document.title, document.body.innerText, document.body.textContent ?? ''];
    for (const element of Array.from(document.querySelectorAll('*'))) {
      for (const attribute of Array.from(element.attributes)) {
        const value = attribute.value;
        if (/index\.php\?|^https?:|^view\/|^#/.test(value)) continue; // links
        found.push(value);
      }
    }
    return found.join('\n');
  });
  return englishIn(texts);
}

/** The English pieces in a text, as whole words ("Backup" is not found in "tab-backup" or "backup[]"). */
function englishIn(text: string): string[] {
  return english.filter((piece) => new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(piece)}(?![\\p{L}\\p{N}_])`, 'u').test(text));
}

/** Left-to-right file names in right-to-left text are isolated, or they show as "sql.10.00.00 2024-01-31". */
async function isolatedNames(selector: string): Promise<string[]> {
  return page.$$eval(`${selector} bdi`, (elements) => elements.map((element) => element.textContent ?? ''));
}

beforeAll(async () => {
  browser = await launchChromium();
  database = await createDemoTestDatabase('e2e_ar');
  shop = await startTestApp(database.name);
  ar = languageStrings('ar', 'tool/backup');
  english = englishPieces();
  server = await listen(shop.app);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'ar' });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  watch = watchPage(page);
});

afterEach(() => {
  if (watch) expect(watch.take()).toEqual([]);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await shop?.close().catch(() => undefined);
  await database?.drop();
});

describe('Backup & Restore in the browser in Arabic (right to left)', () => {
  it('logs in through the Arabic login form and lands on the page, right to left and without English', async () => {
    expect(english.length).toBeGreaterThan(50);
    // The check finds English when there is some.
    const en = languageStrings('en-gb', 'tool/backup');
    expect(englishIn(`${en.text_history}\n${fill(en.text_confirm_delete, 'x.sql')}`)).toEqual(expect.arrayContaining([en.text_history]));
    expect(englishIn(`${en.text_history}\n${fill(en.text_confirm_delete, 'x.sql')}`).length).toBeGreaterThanOrEqual(2);
    await page.goto(`${server!.adminUrl}index.php?route=common/login&language=ar`);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.getAttribute('html', 'lang')).toBe('ar');
    expect((await page.innerText('#button-login')).trim()).toBe(languageStrings('ar', 'common/login').button_login);
    await screenshot(page, 'ar-01-login');

    await page.fill('#input-username', 'admin');
    await page.fill('#input-password', 'admin');
    await Promise.all([page.waitForURL(/route=tool\/backup&user_token=/), page.click('#button-login')]);
    await page.waitForSelector('#backup-app');
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.getAttribute('html', 'lang')).toBe('ar');
    expect(await page.textContent('h1')).toBe(ar.heading_title);
    expect(await page.innerText('#history')).toContain(ar.text_no_results);
    // Bootstrap's right-to-left build, and the menu on the right of the content.
    expect(await page.locator('link[href$="bootstrap.rtl.min.css"]').count()).toBe(1);
    expect(await page.$eval('body', (body) => getComputedStyle(body).direction)).toBe('rtl');
    const menu = await page.locator('#column-left').boundingBox();
    const content = await page.locator('#content').boundingBox();
    expect(menu!.x).toBeGreaterThan(content!.x);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-02-page');
  });

  it('backs up all tables: the bar reaches 100%, an Arabic success message, the new row', async () => {
    await page.click('[data-bs-target="#tab-backup"]');
    await page.waitForSelector('#tab-backup', { state: 'visible' });
    // Every table is ticked when the page loads, as on OpenCart 4.0.2.3's page.
    expect(await page.isChecked('#input-backup-all')).toBe(true);
    expect(await page.$$eval("input[name='backup[]']", (all) => all.every((box) => (box as HTMLInputElement).checked))).toBe(true);
    expect(await page.isEnabled('#button-backup')).toBe(true);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-03-backup-tab');

    const alert = await nextAlert(page, () => page.click('#button-backup'));
    expect(alert.kind).toBe('success');
    const match = textPattern(ar.text_backup_success).exec(alert.text);
    expect(match, alert.text).not.toBeNull();
    backupName = match![1];
    expect(backupName).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}\.\d{2}\.\d{2}(?: \(\d+\))?\.sql$/);
    expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('100');
    expect(await page.getAttribute('#progress-bar', 'class')).toContain('bg-success');
    expect(await page.innerText('#progress-text')).toBe(alert.text);
    expect(await isolatedNames('#progress-text')).toEqual([backupName]);
    expect(await isolatedNames('#alert .alert:first-child')).toEqual([backupName]);

    await page.click('[data-bs-target="#tab-history"]');
    expect(await historyNames(page)).toEqual([backupName]);
    expect(await isolatedNames('#history')).toEqual([backupName]);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-04-backup-done');
  });

  it('downloads the backup: the same bytes as the stored file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), historyRow(page, backupName).locator('a.download').click()]);
    expect(download.suggestedFilename()).toBe(backupName);
    const downloaded = await readFile(await download.path());
    expect(downloaded.equals(readFileSync(path.join(shop!.backupDir, backupName)))).toBe(true);
  });

  it('restores the backup after the confirmation, then undoes it, all in Arabic', async () => {
    await historyRow(page, backupName).locator('button.restore').click();
    await page.waitForSelector('#modal-restore.show');
    await expect.poll(() => page.locator('#modal-restore').isVisible()).toBe(true);
    expect(await page.innerText('#restore-confirm')).toBe(fill(ar.text_confirm_restore, backupName));
    expect(await isolatedNames('#restore-confirm')).toEqual([backupName]);
    const listed = await page.$$eval("#restore-tables input[name='restore[]']", (boxes) =>
      boxes.map((box) => ({ name: (box as HTMLInputElement).value, checked: (box as HTMLInputElement).checked })),
    );
    const inFile = [...readFileSync(path.join(shop!.backupDir, backupName), 'utf8').matchAll(/^-- Rows `([^`]+)`: \d+$/gm)].map((m) => m[1]);
    expect(listed.map((table) => table.name)).toEqual(inFile);
    expect(listed.every((table) => table.checked)).toBe(true);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-05-restore-confirm');

    const restored = await nextAlert(page, () => page.click('#button-restore-confirm'));
    await page.waitForSelector('#modal-restore', { state: 'hidden' });
    expect(restored.kind).toBe('success');
    expect(restored.text.startsWith(ar.text_success)).toBe(true);
    expect(await page.getAttribute('#progress-bar', 'class')).toContain('bg-success');
    await page.waitForSelector('#undo', { state: 'visible' });
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-06-restored');

    await page.click('#button-undo');
    await page.waitForSelector('#modal-undo.show');
    await expect.poll(() => page.locator('#button-undo-confirm').isVisible()).toBe(true);
    expect(textPattern(ar.text_confirm_undo).test(await page.innerText('#undo-confirm'))).toBe(true);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-06b-undo-confirm');
    const undone = await nextAlert(page, () => page.click('#button-undo-confirm'));
    expect(undone).toEqual({ kind: 'success', text: ar.text_undo_success });
    await page.waitForSelector('#undo', { state: 'hidden' });
    expect(await englishOnPage()).toEqual([]);
  });

  it('deletes the backup after the confirmation: the row disappears', async () => {
    await historyRow(page, backupName).locator('button.delete').click();
    await page.waitForSelector('#modal-delete.show');
    await expect.poll(() => page.locator('#modal-delete').isVisible()).toBe(true);
    expect(await page.innerText('#delete-confirm')).toBe(fill(ar.text_confirm_delete, backupName));
    expect(await isolatedNames('#delete-confirm')).toEqual([backupName]);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-07-delete-confirm');
    const deleted = await nextAlert(page, () => page.click('#button-delete-confirm'));
    await page.waitForSelector('#modal-delete', { state: 'hidden' });
    expect(deleted).toEqual({ kind: 'success', text: fill(ar.text_delete_success, backupName) });
    expect(await historyNames(page)).toEqual([]);
    expect(await page.innerText('#history')).toContain(ar.text_no_results);
    expect(await englishOnPage()).toEqual([]);
    await screenshot(page, 'ar-08-deleted');
  });
});

// A shop owner's walk through Backup & Restore in headless Chromium: uploads of good and bad files, restores whole
// and in part with undo, interrupted restores, the keyboard, a phone, Arabic, and a session that ends in another tab.
// Each test opens its own browser context (its own session) on one demo shop. The comments starting "Before:" say what
// a review found there before it was fixed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DB_HOST, DB_PASSWORD, DB_PORT, DB_USER, checksums, createDemoTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  historyNames,
  historyRow,
  languageStrings,
  launchChromium,
  listen,
  logIn,
  nextAlert,
  screenshot,
  watchPage,
  type PageWatch,
  type RunningServer,
} from '../helpers/browser.ts';

let browser: Browser | undefined;
let database: TestDatabase | undefined;
let shop: TestApp | undefined;
let server: RunningServer | undefined;
let backupName = '';
let en: Record<string, string>;
let ar: Record<string, string>;
const contexts: BrowserContext[] = [];

interface Opened {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
}

/** A new browser context (a new session), signed in on the Backup & Restore page. */
async function openSignedIn(options: { language?: string; width?: number; height?: number } = {}): Promise<Opened> {
  const context = await browser!.newContext({
    viewport: { width: options.width ?? 1366, height: options.height ?? 768 },
    acceptDownloads: true,
    locale: options.language ?? 'en-GB',
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const watch = watchPage(page);
  await logIn(page, server!.adminUrl, { language: options.language });
  return { context, page, watch };
}

async function uploadFile(page: Page, name: string, buffer: Buffer) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#button-upload')]);
  return nextAlert(page, () => chooser.setFiles({ name, mimeType: 'application/octet-stream', buffer }));
}

/** Opens a row's restore dialog and waits until it is shown (its fade has ended and it holds the focus). */
async function openRestoreDialog(page: Page, filename: string, how: 'click' | 'keyboard' = 'click'): Promise<void> {
  const button = historyRow(page, filename).locator('button.restore');
  if (how === 'keyboard') {
    await button.focus();
    await page.keyboard.press('Enter');
  } else {
    await button.click();
  }
  await page.locator('#modal-restore.show').waitFor();
  await page.waitForFunction(() => document.activeElement?.closest('#modal-restore') !== null);
}

/**
 * Starts a restore of the backup with every step held back 300 ms (so that there is a middle), and returns once the
 * first step has answered with a `next`: the restore is then running, driven by this page.
 */
async function startSlowRestore(page: Page): Promise<void> {
  await page.route(/route=tool\/backup\.restore/, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.continue().catch(() => undefined);
  });
  await openRestoreDialog(page, backupName);
  const firstStep = page.waitForResponse(async (response) => {
    if (!response.url().includes('route=tool/backup.restore')) return false;
    const body = (await response.json().catch(() => ({}))) as { next?: string };
    return Boolean(body.next);
  });
  await page.click('#button-restore-confirm');
  await firstStep;
}

/** Drops the interrupted restore of this context's session (its owner may discard it at once), so the next test can start. */
async function discardAsOwner(context: BrowserContext, pageUrl: string): Promise<void> {
  const page = await context.newPage();
  try {
    await page.goto(pageUrl);
    const url = await page.getAttribute('#backup-app', 'data-discard');
    for (let i = 0; i < 20; i++) {
      const reply = (await page.evaluate(async (target) => (await fetch(target!, { method: 'POST', headers: { Accept: 'application/json' } })).json(), url)) as {
        success?: string;
        error?: string;
      };
      if (reply.success || reply.error === en.error_discard) return;
      await page.waitForTimeout(500);
    }
    throw new Error('the interrupted restore could not be discarded');
  } finally {
    await page.close();
  }
}

function mariadbDump(tables: string[] = []): Buffer {
  return execFileSync('mariadb-dump', ['-h', DB_HOST, '-P', String(DB_PORT), '-u', DB_USER, ...(DB_PASSWORD ? [`-p${DB_PASSWORD}`] : []), database!.name, ...tables], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

beforeAll(async () => {
  browser = await launchChromium();
  database = await createDemoTestDatabase('e2e_walk');
  shop = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } });
  server = await listen(shop.app);
  en = languageStrings('en-gb', 'tool/backup');
  ar = languageStrings('ar', 'tool/backup');
  // The owner's first step: a backup of every table (ticked when the page opens).
  const { page, context } = await openSignedIn();
  await page.click('[data-bs-target="#tab-backup"]');
  const alert = await nextAlert(page, () => page.click('#button-backup'), 60_000);
  expect(alert.kind, alert.text).toBe('success');
  backupName = (await historyNames(page))[0];
  await context.close();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await shop?.close().catch(() => undefined);
  await database?.drop();
});

describe('a shop owner walks through Backup & Restore', () => {
  it('uploads a .sql.gz and a file made by mariadb-dump of the shop; both are listed with readable sizes', async () => {
    const { page, watch } = await openSignedIn();
    const gz = await uploadFile(page, 'two-tables.sql.gz', gzipSync(mariadbDump(['oc_currency', 'oc_order_status'])));
    expect(gz.kind, gz.text).toBe('success');
    const dump = await uploadFile(page, 'shop-mariadb-dump.sql', mariadbDump());
    expect(dump.kind, dump.text).toBe('success');
    expect(await historyNames(page)).toEqual(expect.arrayContaining(['two-tables.sql.gz', 'shop-mariadb-dump.sql', backupName]));
    expect(await historyRow(page, 'shop-mariadb-dump.sql').locator('td').nth(1).innerText()).toMatch(/^\d+(\.\d+)? MB$/);
    expect(await historyRow(page, 'two-tables.sql.gz').locator('td').nth(1).innerText()).toMatch(/^\d+(\.\d+)? KB$/);
    await screenshot(page, 'review-01-uploads');
    expect(watch.take()).toEqual([]);
  });

  it('restores the whole mariadb-dump file: the bar reaches 100% and the message says the user tables were skipped', async () => {
    const { page, watch } = await openSignedIn();
    await openRestoreDialog(page, 'shop-mariadb-dump.sql');
    expect(await page.locator("#restore-tables input[name='restore[]']").count()).toBeGreaterThan(0);
    const alert = await nextAlert(page, () => page.click('#button-restore-confirm'), 60_000);
    expect(alert.kind, alert.text).toBe('success');
    expect(alert.text).toContain(en.text_success);
    expect(alert.text).toContain(en.text_skipped_protected.split('%s')[0].trim());
    expect(await page.getAttribute('#progress', 'aria-valuenow')).toBe('100');
    expect(await page.locator('#undo').isVisible()).toBe(true);
    await screenshot(page, 'review-02-mariadb-dump-restored');
    expect(watch.take()).toEqual([]);
  });

  it('restores two tables of a whole-shop backup and undoes the restore', async () => {
    const { page, watch } = await openSignedIn();
    const before = await checksums(database!.name, ['oc_currency', 'oc_order_status', 'oc_product']);
    await openRestoreDialog(page, backupName);
    const boxes = page.locator("#restore-tables input[name='restore[]']");
    for (const value of await boxes.evaluateAll((all) => all.map((box) => (box as HTMLInputElement).value))) {
      if (value !== 'oc_currency' && value !== 'oc_order_status') await page.locator(`#restore-tables input[value='${value}']`).uncheck();
    }
    const alert = await nextAlert(page, () => page.click('#button-restore-confirm'), 60_000);
    expect(alert.kind, alert.text).toBe('success');
    expect(alert.text).toContain(en.text_success);
    await page.click('#button-undo');
    await page.locator('#modal-undo.show').waitFor();
    expect(await page.innerText('#undo-confirm')).toContain('oc_currency, oc_order_status');
    const undone = await nextAlert(page, () => page.click('#button-undo-confirm'));
    expect(undone).toEqual({ kind: 'success', text: en.text_undo_success });
    expect(await checksums(database!.name, ['oc_currency', 'oc_order_status', 'oc_product'])).toEqual(before);
    expect(watch.take()).toEqual([]);
  });

  it('an empty .sql upload is refused with a message that says the file is empty (not "not an SQL dump")', async () => {
    const { page } = await openSignedIn();
    const alert = await uploadFile(page, 'nothing.sql', Buffer.alloc(0));
    await screenshot(page, 'review-03-empty-upload');
    expect(alert.kind).toBe('error');
    // Before: "The file nothing.sql is not an SQL dump. Upload a .sql file, ..." for a file that is a .sql file.
    expect(alert.text).toMatch(/empty|0 B/i);
  });

  it('a truncated .sql.gz is refused when it is uploaded, not listed as a backup that only fails at restore', async () => {
    const { page } = await openSignedIn();
    const whole = gzipSync(mariadbDump(['oc_currency', 'oc_order_status']));
    const alert = await uploadFile(page, 'cut-short.sql.gz', whole.subarray(0, Math.floor(whole.length / 3)));
    await screenshot(page, 'review-04-truncated-gzip-upload');
    // Before: "Success: The file cut-short.sql.gz has been uploaded."; its Restore then says "damaged ... Upload it again",
    // and uploading it again is refused because the name exists.
    expect(alert.kind, alert.text).toBe('error');
    expect(await historyNames(page)).not.toContain('cut-short.sql.gz');
  });

  it('the restore dialog of a whole-shop backup has a "select all" box, so restoring two of 53 tables is not 51 clicks', async () => {
    const { page } = await openSignedIn();
    await openRestoreDialog(page, backupName);
    expect(await page.locator("#restore-tables input[name='restore[]']").count()).toBeGreaterThan(40);
    await screenshot(page, 'review-05-restore-dialog-no-select-all');
    expect(await page.locator("#modal-restore input[type='checkbox']:not([name='restore[]'])").count()).toBeGreaterThan(0);
  });

  it('keyboard: Escape in the restore dialog gives the focus back to the Restore button that opened it', async () => {
    const { page } = await openSignedIn();
    await openRestoreDialog(page, backupName, 'keyboard');
    await page.keyboard.press('Escape');
    await page.locator('#modal-restore').waitFor({ state: 'hidden' });
    await page.waitForTimeout(300);
    // Before: the focus is on <body>: a keyboard user starts again from the top of the page.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName)).toBe(
      `${en.button_restore}: ${backupName}`,
    );
  });

  it('keyboard: after a delete confirmed with Enter, the focus is on something visible, not on the closed dialog or <body>', async () => {
    const { page } = await openSignedIn();
    expect((await uploadFile(page, 'to-delete.sql', mariadbDump(['oc_currency']))).kind).toBe('success');
    await historyRow(page, 'to-delete.sql').locator('button.delete').focus();
    await page.keyboard.press('Enter');
    await page.locator('#modal-delete.show').waitFor();
    // As a keyboard user does: Tab from the dialog (which takes the focus once it is shown) to its Delete button.
    await page.waitForFunction(() => document.activeElement?.id === 'modal-delete');
    for (let i = 0; i < 5 && (await page.evaluate(() => document.activeElement?.id)) !== 'button-delete-confirm'; i++) await page.keyboard.press('Tab');
    const alert = await nextAlert(page, () => page.keyboard.press('Enter'));
    expect(alert.kind, alert.text).toBe('success');
    await page.locator('#modal-delete').waitFor({ state: 'hidden' });
    await page.waitForTimeout(300);
    // Before: the focus stays on the closed (display: none) dialog, then falls to <body>.
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      return { tag: element?.tagName, id: element?.id, visible: element ? element.checkVisibility() : false };
    });
    expect(focused.tag).not.toBe('BODY');
    expect(focused, JSON.stringify(focused)).toMatchObject({ visible: true });
  });

  it('phone (390 px): each history row shows its Restore, Download and Delete buttons without scrolling the table sideways', async () => {
    const { page } = await openSignedIn({ width: 390, height: 844 });
    await screenshot(page, 'review-06-phone-history');
    const clipped = await page.$$eval('#history tbody tr', (rows) => {
      const box = document.querySelector('#history .table-responsive')!.getBoundingClientRect();
      return rows
        .filter((row) => row.querySelector('button.restore'))
        .flatMap((row) => Array.from(row.querySelectorAll('button.restore, a.download, button.delete')))
        .filter((button) => button.getBoundingClientRect().right > Math.min(box.right, window.innerWidth) + 0.5)
        .map((button) => button.getAttribute('aria-label'));
    });
    // Before: every Download and Delete button (and most of Restore) lies outside the table's scroll box.
    expect(clipped).toEqual([]);
  });

  it('the page asks before it is left while a restore is running (closing the tab silently interrupts it)', async () => {
    const { context, page } = await openSignedIn();
    await startSlowRestore(page);
    const url = page.url();
    const dialogType = page
      .waitForEvent('dialog', { timeout: 3000 })
      .then(async (dialog) => {
        await dialog.accept();
        return dialog.type();
      })
      .catch(() => 'none');
    await page.close({ runBeforeUnload: true });
    const shown = await dialogType;
    await discardAsOwner(context, url);
    expect(shown).toBe('beforeunload');
  });

  it('reopening the page right after closing it mid-restore offers "Continue the restore" at once, not 15 s later', async () => {
    const { context, page } = await openSignedIn();
    await startSlowRestore(page);
    const url = page.url();
    await page.close();
    const again = await context.newPage();
    try {
      await again.goto(url);
      await again.waitForSelector('#backup-app');
      await screenshot(again, 'review-07-reopened-mid-restore');
      // Before: no notice, no progress and no Continue until 15 s have passed; the page looks idle.
      expect(await again.locator('#button-resume').isVisible()).toBe(true);
    } finally {
      await again.close();
      await discardAsOwner(context, url);
    }
  });

  it('Arabic: Back up during an interrupted restore says to continue or discard it, with no "Wait until it finishes … UTC"', async () => {
    const { context, page } = await openSignedIn({ language: 'ar' });
    await startSlowRestore(page);
    const url = page.url();
    await page.close();
    const again = await context.newPage();
    try {
      await again.goto(url);
      await again.click('[data-bs-target="#tab-backup"]');
      const alert = await nextAlert(again, () => again.click('#button-backup'));
      await screenshot(again, 'review-08-ar-backup-during-interrupted-restore');
      expect(alert.kind).toBe('error');
      // Before: "A restore has been running since 2026-01-31 10:00:00 UTC. Wait until it finishes" (in Arabic), although
      // nothing runs and waiting never ends it; the page shows dates as d/m/Y and never says UTC elsewhere.
      expect(alert.text).not.toContain('UTC');
      expect(alert.text).not.toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
      expect([ar.button_continue, ar.button_discard].some((button) => alert.text.includes(button))).toBe(true);
    } finally {
      await again.close();
      await discardAsOwner(context, url);
    }
  });

  it('after the session ends in another tab, a job does not paste the login page into the history tab', async () => {
    const { context, page } = await openSignedIn();
    const other = await context.newPage();
    await other.goto(page.url());
    await Promise.all([other.waitForURL(/route=common\/login/), other.click('#header-logout a')]);
    await page.click('[data-bs-target="#tab-backup"]');
    const alert = await nextAlert(page, () => page.click('#button-backup'));
    expect(alert.kind).toBe('error');
    await page.click('[data-bs-target="#tab-history"]');
    await screenshot(page, 'review-09-login-page-inside-history');
    // Before: tool/backup.history answers with a redirect to the login page, which the page puts inside #history: a second
    // header, language menu, login form and footer in the middle of the page.
    expect(await page.locator('#history #input-username, #history header, #history footer').count()).toBe(0);
  });
});

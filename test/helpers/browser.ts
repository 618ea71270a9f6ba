// Headless Chromium for the end-to-end tests: Debian's /usr/bin/chromium (never a downloaded browser), a server on an
// ephemeral port, a watcher that records console errors and failed requests, screenshots and the login form.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import type express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_DIR } from './database.ts';
import { formatPlaceholders } from '../../system/library/language.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(PROJECT_DIR, 'test-output', 'screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Starts Debian's Chromium; without it the test fails and says how to install it. */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `The browser tests need Chromium at ${executablePath}, which is missing. Install it with \`apt-get install chromium\` ` +
        '(as root; .ci/run does it). The tests never download a browser.',
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:41234/admin/` */
  adminUrl: string;
  close(): Promise<void>;
}

/** Listens on an ephemeral port of 127.0.0.1. */
export async function listen(app: express.Express): Promise<RunningServer> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    adminUrl: `http://127.0.0.1:${port}/admin/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PageWatch {
  /** Console errors, uncaught exceptions, failed requests and HTTP errors seen since the last take(). */
  take(): string[];
}

/** Records everything that would mean the page is broken: console errors, page errors, failed requests, 4xx/5xx replies. */
export function watchPage(page: Page): PageWatch {
  let problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    // A link answered with Content-Disposition: attachment becomes a download; Chromium reports its navigation as aborted.
    if (failure === 'net::ERR_ABORTED' && request.isNavigationRequest() && /route=tool\/backup\.download/.test(request.url())) return;
    problems.push(`request failed: ${request.method()} ${request.url()}: ${failure}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return {
    take() {
      const taken = problems;
      problems = [];
      return taken;
    },
  };
}

/** A full-page screenshot in test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Opens the login form (in `language` when given), signs in, and waits for the Backup & Restore page. */
export async function logIn(page: Page, adminUrl: string, options: { username?: string; password?: string; language?: string } = {}): Promise<void> {
  const language = options.language ? `&language=${encodeURIComponent(options.language)}` : '';
  await page.goto(`${adminUrl}index.php?route=common/login${language}`);
  await page.fill('#input-username', options.username ?? 'admin');
  await page.fill('#input-password', options.password ?? 'admin');
  await Promise.all([page.waitForURL(/route=tool\/backup&user_token=[A-Za-z0-9]+/), page.click('#button-login')]);
  await page.waitForSelector('#backup-app');
}

export interface ShownAlert {
  kind: 'success' | 'error';
  text: string;
}

/**
 * Runs `action` and waits for the page's next alert (success or error), then for the history list to finish refreshing
 * (the page marks #history aria-busy while it reloads it).
 */
export async function nextAlert(page: Page, action: () => Promise<unknown>, timeout = 30_000): Promise<ShownAlert> {
  // The page keeps only its newest alerts: mark the ones shown so far and wait for one without the mark.
  await page.$$eval('#alert .alert', (alerts) => alerts.forEach((alert) => alert.setAttribute('data-test-seen', '')));
  await action();
  const newest = page.locator('#alert .alert:not([data-test-seen])').first();
  await newest.waitFor({ state: 'attached', timeout });
  await page.waitForSelector('#history:not([aria-busy])', { state: 'attached', timeout });
  const kind = ((await newest.getAttribute('class')) ?? '').includes('alert-success') ? 'success' : 'error';
  return { kind, text: (await newest.innerText()).trim() };
}

/** File names in the history table, newest first. */
export async function historyNames(page: Page): Promise<string[]> {
  return page.$$eval('#history tbody tr', (rows) =>
    rows.filter((row) => row.querySelector('button.restore')).map((row) => (row.querySelector('td')?.textContent ?? '').trim()),
  );
}

/** The history row of one file. */
export function historyRow(page: Page, filename: string) {
  return page.locator('#history tbody tr').filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^\\s*${escapeRegExp(filename)}\\s*$`) }) });
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starts recording every aria-valuenow the progress bar takes; read them with progressValues(). */
export async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const progress = document.getElementById('progress')!;
    const values: number[] = [];
    (window as unknown as { __progressValues: number[] }).__progressValues = values;
    new MutationObserver(() => values.push(Number(progress.getAttribute('aria-valuenow')))).observe(progress, {
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
}

export async function progressValues(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __progressValues?: number[] }).__progressValues ?? []);
}

/** The strings of language/<code>/<file>.json over default.json, as the server reads them (read fresh: texts change). */
export function languageStrings(code: string, file: string): Record<string, string> {
  const read = (name: string) => JSON.parse(readFileSync(path.join(PROJECT_DIR, 'language', code, `${name}.json`), 'utf8')) as Record<string, string>;
  return { ...read('default'), ...read(file) };
}

/** A text with its `%s` filled, as the server's translator does. */
export function fill(text: string, ...args: Array<string | number>): string {
  return formatPlaceholders(text, args);
}

/** A whole-text pattern for a string whose `%s` values the test cannot know (dates, counts): each becomes `(.+?)`. */
export function textPattern(text: string): RegExp {
  const parts = text.split(/%[sd]/).map((part) => escapeRegExp(part.replace(/%%/g, '%')));
  return new RegExp(`^${parts.join('(.+?)')}$`);
}

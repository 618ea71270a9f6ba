// The module's own admin chrome in headless Chromium: the menu beside the content on desktop widths (on the right in
// Arabic), stacked above it on a phone, and never a page that scrolls sideways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDemoTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, listen, logIn, screenshot, watchPage, type PageWatch, type RunningServer } from '../helpers/browser.ts';

let browser: Browser | undefined;
let database: TestDatabase | undefined;
let shop: TestApp | undefined;
let server: RunningServer | undefined;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

beforeAll(async () => {
  browser = await launchChromium();
  database = await createDemoTestDatabase('layout');
  shop = await startTestApp(database.name);
  server = await listen(shop.app);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await shop?.close().catch(() => undefined);
  await database?.drop();
});

/** A signed-in Backup & Restore page at the given viewport, in `language` when given. */
async function openPage(width: number, height: number, language?: string): Promise<{ page: Page; watch: PageWatch; close: () => Promise<void> }> {
  const context = await browser!.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const watch = watchPage(page);
  await logIn(page, server!.adminUrl, { language });
  return { page, watch, close: () => context.close() };
}

async function box(page: Page, selector: string): Promise<Box> {
  const found = await page.locator(selector).boundingBox();
  expect(found, `${selector} has no box`).not.toBeNull();
  return found!;
}

/** How far the page scrolls sideways (0 when it fits the viewport). */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('the admin chrome', () => {
  for (const [width, height] of [
    [1366, 768],
    [1920, 1080],
  ] as const) {
    it(`at ${width}×${height} puts the content to the right of the menu, starting at the menu's top`, async () => {
      const { page, watch, close } = await openPage(width, height);
      try {
        const menu = await box(page, '#column-left');
        const content = await box(page, '#content');
        await screenshot(page, `layout-en-${width}`);
        expect(content.x).toBeGreaterThanOrEqual(menu.x + menu.width - 1);
        expect(Math.abs(content.y - menu.y)).toBeLessThanOrEqual(1);
        // Side by side they fill the width between them; the content is not squeezed into a sliver.
        expect(content.x + content.width).toBeGreaterThan(width - 20);
        expect(content.width).toBeGreaterThan(width / 2);
        // The page's heading is in the first screen, not pushed below the menu.
        expect((await box(page, '#content h1')).y).toBeLessThan(height / 2);
        expect(await horizontalOverflow(page)).toBe(0);
        expect(watch.take()).toEqual([]);
      } finally {
        await close();
      }
    });
  }

  it('at 1366×768 in Arabic puts the menu on the right and the content to its left', async () => {
    const { page, watch, close } = await openPage(1366, 768, 'ar');
    try {
      expect(await page.getAttribute('html', 'dir')).toBe('rtl');
      const menu = await box(page, '#column-left');
      const content = await box(page, '#content');
      await screenshot(page, 'layout-ar-1366');
      expect(menu.x + menu.width).toBeGreaterThan(1366 - 20);
      expect(content.x + content.width).toBeLessThanOrEqual(menu.x + 1);
      expect(Math.abs(content.y - menu.y)).toBeLessThanOrEqual(1);
      expect(content.width).toBeGreaterThan(1366 / 2);
      expect(await horizontalOverflow(page)).toBe(0);
      expect(watch.take()).toEqual([]);
    } finally {
      await close();
    }
  });

  it('at 390×844 (a phone) stacks the menu above the content at full width, with no sideways scrolling', async () => {
    const { page, watch, close } = await openPage(390, 844);
    try {
      const menu = await box(page, '#column-left');
      const content = await box(page, '#content');
      await screenshot(page, 'layout-en-390');
      expect(content.y).toBeGreaterThanOrEqual(menu.y + menu.height - 1);
      expect(content.width).toBeGreaterThan(390 - 20);
      // The menu takes a strip at the top, not the phone's first screen.
      expect(menu.height).toBeLessThan(844 / 3);
      expect(await horizontalOverflow(page)).toBe(0);
      // The backup tab with its long table names must not push the page sideways either.
      await page.click('[data-bs-target="#tab-backup"]');
      await page.waitForSelector('#tab-backup', { state: 'visible' });
      expect(await horizontalOverflow(page)).toBe(0);
      expect(watch.take()).toEqual([]);
    } finally {
      await close();
    }
  });
});

// The shop's chrome around the module's page: splicing into an OpenCart-shaped admin page, asset rebasing, the fetch and its cache.
import { describe, expect, it } from 'vitest';
import { shopPage } from '../helpers/opencart-page.ts';
import { OpenCartChrome, isSignedInPage, rebaseAssets, spliceIntoOpenCart, splitModuleView, type ModulePage } from '../../system/library/opencart-chrome.ts';

const MODULE_VIEW = `
<main id="content">
  <div id="backup-app"><div id="alert" class="toast-container" aria-live="polite"></div><a href="view/not-an-asset-link">x</a></div>
</main>
<script src="view/javascript/tool/backup.js"></script>
`;

function modulePage(overrides: Partial<ModulePage> = {}): ModulePage {
  const { content, scripts } = splitModuleView(MODULE_VIEW, '/extension/backup/');
  return {
    title: 'Backup & Restore',
    content,
    scripts,
    head: '<link href="/extension/backup/view/stylesheet/opencart.css" rel="stylesheet"/>',
    returnUrl: 'http://shop.test/admin/index.php?route=tool/backup&user_token=T',
    lang: 'en-gb',
    dir: 'ltr',
    ...overrides,
  };
}

describe('spliceIntoOpenCart', () => {
  it("puts the module's content where OpenCart's content was, between the menu and the footer", () => {
    const page = spliceIntoOpenCart(shopPage(), modulePage()) as string;
    expect(page).not.toContain('Not here');
    const menu = page.indexOf('id="column-left"');
    const content = page.indexOf('<main id="content">');
    const footer = page.indexOf('<footer id="footer">');
    expect(menu).toBeGreaterThan(0);
    expect(content).toBeGreaterThan(menu);
    expect(footer).toBeGreaterThan(content);
    // Nothing between </main> and the footer: OpenCart's CSS places the footer with `#content + #footer`.
    expect(page.slice(page.indexOf('</main>') + 7, footer).trim()).toBe('');
  });

  it("gives the page the module's title, stylesheet, and scripts after OpenCart's own (its Bootstrap bundle comes last)", () => {
    const page = spliceIntoOpenCart(shopPage({ title: 'Page Not Found!' }), modulePage()) as string;
    expect(page).toContain('<title>Backup &amp; Restore</title>');
    expect(page).not.toContain('Page Not Found!');
    expect(page.indexOf('opencart.css')).toBeLessThan(page.indexOf('</head>'));
    const bundle = page.indexOf('bootstrap.bundle.min.js');
    const script = page.indexOf('<script src="/extension/backup/view/javascript/tool/backup.js">');
    expect(script).toBeGreaterThan(bundle);
    expect(script).toBeLessThan(page.indexOf('</body>'));
  });

  it("sends OpenCart's language switch back to the module's page, and keeps one #alert", () => {
    const page = spliceIntoOpenCart(shopPage(), modulePage({ returnUrl: 'http://shop.test/admin/index.php?route=tool/backup&user_token=T&x="<' })) as string;
    expect(page).toContain('value="http://shop.test/admin/index.php?route=tool/backup&amp;user_token=T&amp;x=&quot;&lt;" id="input-redirect"');
    expect(page.match(/id="alert"/g)).toHaveLength(1);
    expect(page).toContain('aria-live="polite"');
  });

  it("marks the content's language only when the shop's page is in another one", () => {
    expect(spliceIntoOpenCart(shopPage({ lang: 'en' }), modulePage())).toContain('<main id="content">');
    const mixed = spliceIntoOpenCart(shopPage({ lang: 'nl' }), modulePage({ lang: 'de-de' })) as string;
    expect(mixed).toContain('<main lang="de-de" dir="ltr" id="content">');
  });

  it('refuses a page without the signed-in shape (the login form) and a page that is not OpenCart', () => {
    const login = shopPage().replace(/<nav id="column-left">[\s\S]*?<\/nav>/, '');
    expect(isSignedInPage(login)).toBe(false);
    expect(spliceIntoOpenCart(login, modulePage())).toBeNull();
    expect(spliceIntoOpenCart('<html><body>hello</body></html>', modulePage())).toBeNull();
    expect(isSignedInPage(shopPage())).toBe(true);
  });

  it('takes `$` in texts literally (no replacement patterns)', () => {
    const page = spliceIntoOpenCart(shopPage(), modulePage({ title: "$& $' $1", returnUrl: 'http://x/$&' })) as string;
    expect(page).toContain("<title>$&amp; $&#39; $1</title>");
    expect(page).toContain('value="http://x/$&amp;"');
  });
});

describe('rebaseAssets and splitModuleView', () => {
  it("moves the module's view/ URLs to the asset path and nothing else", () => {
    const html = '<link href="view/stylesheet/a.css"/><script src="view/javascript/b.js"></script><a href="index.php?route=x">y</a><img src="http://x/view/c.png"/>';
    expect(rebaseAssets(html, '/extension/backup/')).toBe(
      '<link href="/extension/backup/view/stylesheet/a.css"/><script src="/extension/backup/view/javascript/b.js"></script><a href="index.php?route=x">y</a><img src="http://x/view/c.png"/>',
    );
    expect(rebaseAssets(html, '')).toBe(html);
  });

  it('splits a rendered view at its last </main>', () => {
    const { content, scripts } = splitModuleView(MODULE_VIEW, '/p/');
    expect(content.trim().startsWith('<main id="content">')).toBe(true);
    expect(content.trim().endsWith('</main>')).toBe(true);
    expect(scripts.trim()).toBe('<script src="/p/view/javascript/tool/backup.js"></script>');
  });
});

describe('OpenCartChrome', () => {
  function fakeFetch(reply: () => Response) {
    const calls: Array<{ url: string; cookie: string }> = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, cookie: String((init.headers as Record<string, string>).cookie) });
      return reply();
    }) as unknown as typeof globalThis.fetch;
    return { calls, fetch };
  }

  it("asks OpenCart for its not-found page with the user's session, token and language cookie only, and keeps it briefly", async () => {
    const { calls, fetch } = fakeFetch(() => new Response(shopPage(), { status: 200 }));
    const chrome = new OpenCartChrome({ url: 'http://shop.test/admin/', sessionName: 'OCSESSID', fetch, ttlMs: 60_000 });
    const request = { sessionId: 'abcdefabcdefabcdefabcdefab', userToken: 'T0k', languageCookie: 'de-de' };
    expect(await chrome.page(request)).toBe(shopPage());
    expect(await chrome.page(request)).toBe(shopPage());
    expect(calls).toEqual([{ url: 'http://shop.test/admin/index.php?route=error/not_found&user_token=T0k', cookie: 'OCSESSID=abcdefabcdefabcdefabcdefab; language=de-de' }]);
    // Another language or another session is another page.
    await chrome.page({ ...request, languageCookie: 'en-gb' });
    await chrome.page({ ...request, sessionId: 'bbbbbbbbbbbbbbbbbbbbbbbbbb' });
    expect(calls).toHaveLength(3);
  });

  it('gives null (and keeps nothing) for an error status, a login page, a refused connection, or a language cookie that is not a code', async () => {
    const statuses = fakeFetch(() => new Response('oops', { status: 500 }));
    expect(await new OpenCartChrome({ url: 'http://shop.test/admin/', sessionName: 'OCSESSID', fetch: statuses.fetch }).page({ sessionId: 's', userToken: 't' })).toBeNull();
    const login = fakeFetch(() => new Response(shopPage().replace('id="column-left"', 'id="nothing"'), { status: 200 }));
    const chrome = new OpenCartChrome({ url: 'http://shop.test/admin/', sessionName: 'OCSESSID', fetch: login.fetch });
    expect(await chrome.page({ sessionId: 's', userToken: 't', languageCookie: 'x; OCSESSID=evil' })).toBeNull();
    expect(await chrome.page({ sessionId: 's', userToken: 't' })).toBeNull();
    expect(login.calls).toHaveLength(2);
    expect(login.calls[0].cookie).toBe('OCSESSID=s');
    const refused = new OpenCartChrome({ url: 'http://127.0.0.1:1/admin/', sessionName: 'OCSESSID', timeoutMs: 2000 });
    expect(await refused.page({ sessionId: 's', userToken: 't' })).toBeNull();
  });
});

// The shop's own admin chrome around the module's page: OpenCart's PHP renders one of its admin pages for the same
// session, server to server, and the module's content takes the place of that page's <div id="content">.

/** The route whose page lends its chrome: OpenCart 4.0.2's lightest page with header, menu and footer (one language file, no model). */
export const CHROME_ROUTE = 'error/not_found';

export interface ChromeOptions {
  /** The OpenCart admin base URL, ending in a slash (e.g. `https://shop.example/admin/`). */
  url: string;
  /** OpenCart's session cookie name. */
  sessionName: string;
  /** How long one user's chrome is reused (their menu, name and links stay the same meanwhile). */
  ttlMs?: number;
  /** A slow or hung PHP side must not hold the page: after this the module draws its own chrome. */
  timeoutMs?: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries?: number;
  fetch?: typeof fetch;
}

export interface ChromeRequest {
  sessionId: string;
  userToken: string;
  /** OpenCart's `language` cookie as the browser sent it (OpenCart's admin picks its language from it). */
  languageCookie?: string;
}

export interface ModulePage {
  title: string;
  /** The module's `<main id="content">…</main>`. */
  content: string;
  /** What goes before `</head>` (the module's stylesheet). */
  head: string;
  /** What goes before `</body>`: after OpenCart's own scripts (its Bootstrap bundle comes last), so the module's can use them. */
  scripts: string;
  /** Where OpenCart's language switch sends the user back to (this page, not the borrowed one). */
  returnUrl: string;
  /** The module's language (`en-gb`), marked on the content when the shop's page is in another language. */
  lang: string;
  dir: string;
}

/** Fetches (and briefly keeps) OpenCart's admin page for one session; null when it cannot be had or is not a signed-in page. */
export class OpenCartChrome {
  private readonly cache = new Map<string, { html: string; until: number }>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly maxEntries: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ChromeOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxEntries = options.maxEntries ?? 200;
    this.fetch = options.fetch ?? fetch;
  }

  async page(request: ChromeRequest): Promise<string | null> {
    const key = `${request.sessionId}\n${request.userToken}\n${request.languageCookie ?? ''}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.html;
    this.cache.delete(key);
    const html = await this.load(request);
    if (html === null) return null;
    for (const [old, entry] of this.cache) if (entry.until <= now || this.cache.size >= this.maxEntries) this.cache.delete(old);
    this.cache.set(key, { html, until: now + this.ttlMs });
    return html;
  }

  private async load(request: ChromeRequest): Promise<string | null> {
    const url = `${this.options.url}index.php?route=${CHROME_ROUTE}&user_token=${encodeURIComponent(request.userToken)}`;
    // Only what OpenCart needs to draw this user's chrome: the session, and the language it would show.
    const cookies = [`${this.options.sessionName}=${request.sessionId}`];
    if (request.languageCookie && /^[A-Za-z0-9_-]+$/.test(request.languageCookie)) cookies.push(`language=${request.languageCookie}`);
    try {
      const response = await this.fetch(url, {
        headers: { cookie: cookies.join('; '), accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 200) return null;
      const html = await response.text();
      // A page without the menu is OpenCart's login form: PHP does not see this session as signed in.
      return isSignedInPage(html) ? html : null;
    } catch {
      return null;
    }
  }
}

/** An OpenCart 4 admin page drawn for a signed-in user: menu, content and footer, in that order. */
export function isSignedInPage(html: string): boolean {
  const menu = html.indexOf('id="column-left"');
  const content = html.indexOf('<div id="content"');
  const footer = html.indexOf('<footer id="footer"', content);
  return menu >= 0 && content > menu && footer > content && html.includes('</head>') && html.includes('</body>');
}

/**
 * The shop's page with the module's content in place of OpenCart's `<div id="content">…</div>` (everything up to
 * `<footer id="footer">`: OpenCart's views end the content right before the footer), and the module's title, head and
 * scripts. Null when the page does not have OpenCart's shape.
 */
export function spliceIntoOpenCart(shopPage: string, page: ModulePage): string | null {
  if (!isSignedInPage(shopPage)) return null;
  const contentStart = shopPage.indexOf('<div id="content"');
  const footerStart = shopPage.indexOf('<footer id="footer"', contentStart);
  let before = shopPage.slice(0, contentStart);
  let after = shopPage.slice(footerStart);

  before = before.replace(/<title>[\s\S]*?<\/title>/, () => `<title>${escapeHtml(page.title)}</title>`);
  const headEnd = before.lastIndexOf('</head>');
  if (headEnd >= 0 && page.head) before = before.slice(0, headEnd) + page.head + '\n' + before.slice(headEnd);
  // OpenCart's language switch returns to the URL of the page it was drawn for; that page is this one.
  before = before.replace(/<input\b[^>]*\bid="input-redirect"[^>]*>/, (input) => input.replace(/\bvalue="[^"]*"/, () => `value="${escapeHtml(page.returnUrl)}"`));
  // One #alert per page: the module's content brings its own (same classes, plus aria-live); OpenCart's empty one goes.
  if (/\bid="alert"/.test(page.content)) before = before.replace(/<div id="alert"[^>]*>\s*<\/div>\s*/, '');

  let content = page.content;
  const shopLang = /<html\b[^>]*\blang="([^"]*)"/.exec(before)?.[1] ?? '';
  if (primarySubtag(shopLang) !== primarySubtag(page.lang)) {
    content = content.replace(/^(\s*<main\b)/, (start) => `${start} lang="${escapeHtml(page.lang)}" dir="${escapeHtml(page.dir)}"`);
  }

  const bodyEnd = after.lastIndexOf('</body>');
  if (page.scripts.trim()) after = after.slice(0, bodyEnd) + page.scripts.trim() + '\n' + after.slice(bodyEnd);
  return before + content.trim() + '\n' + after;
}

/**
 * Splits a module view rendered without chrome into its content (`…</main>`) and what follows it (its scripts), with
 * the module's relative `view/…` URLs moved to `assetPath`: inside OpenCart, `<base href>` is OpenCart's admin, whose
 * `view/` holds OpenCart's own files.
 */
export function splitModuleView(rendered: string, assetPath: string): { content: string; scripts: string } {
  const rebased = rebaseAssets(rendered, assetPath);
  const end = rebased.lastIndexOf('</main>');
  if (end < 0) return { content: rebased, scripts: '' };
  return { content: rebased.slice(0, end + '</main>'.length), scripts: rebased.slice(end + '</main>'.length) };
}

/** `src="view/…"` and `href="view/…"` (the module's own assets) become `src="<assetPath>view/…"`. */
export function rebaseAssets(html: string, assetPath: string): string {
  if (!assetPath) return html;
  return html.replace(/\b(src|href)="view\//g, (_match, attribute: string) => `${attribute}="${assetPath}view/`);
}

function primarySubtag(lang: string): string {
  return lang.split('-')[0].toLowerCase();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

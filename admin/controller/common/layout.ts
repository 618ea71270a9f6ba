// The host chrome around a page: the module's own (common/header, common/column_left, common/footer, as OpenCart's
// controllers compose them), or, inside OpenCart, the shop's own header, menu and footer (system/library/opencart-chrome.ts).
import type { AdminContext } from '../../../system/engine/context.ts';
import type { TemplateRenderer } from '../../../system/library/template.ts';
import type { Languages } from '../../../system/library/language.ts';
import { formatPlaceholders } from '../../../system/library/language.ts';
import { TOOL_VERSION } from '../../../system/library/backup/backup-job.ts';
import { rebaseAssets, splitModuleView, spliceIntoOpenCart, type OpenCartChrome } from '../../../system/library/opencart-chrome.ts';
import { readCookie } from '../../../system/library/session.ts';

export interface LayoutOptions {
  /** Where the host serves the module's assets (HostConfig.assetPath); empty: `view/…` under the admin base. */
  assetPath: string;
  /** The shop's chrome, when the module runs inside OpenCart; null: always the module's own. */
  chrome: OpenCartChrome | null;
  /** Told when the shop's chrome could not be had and the module's own was drawn instead. */
  log?: (message: string, details: Record<string, unknown>) => void;
}

export class Layout {
  constructor(
    private readonly templates: TemplateRenderer,
    private readonly languages: Languages,
    private readonly options: LayoutOptions = { assetPath: '', chrome: null },
  ) {}

  render(view: string, data: Record<string, unknown>): string {
    return this.templates.render(view, data);
  }

  /** The header: document head, signed-in user, logout, language switch. */
  header(ctx: AdminContext, title: string): string {
    const strings = ctx.strings('common/header');
    const user = ctx.user;
    return this.templates.render('common/header', {
      ...strings,
      title,
      base: ctx.base,
      lang: strings.code,
      direction: strings.direction,
      logged: user ? formatPlaceholders(strings.text_logged, [`${user.firstname} ${user.lastname}`.trim() || user.username]) : '',
      logout: user ? ctx.link('common/logout') : '',
      home: user ? ctx.link('tool/backup') : '',
      languages: this.languages.codes.map((code) => ({
        code,
        name: this.languages.strings(code, 'default').language_name ?? code,
        href: ctx.link(ctx.route === 'common/login' ? 'common/login' : 'tool/backup', { language: code }),
        active: code === ctx.language,
      })),
    });
  }

  columnLeft(ctx: AdminContext): string {
    if (!ctx.user) return '';
    return this.templates.render('common/column_left', {
      ...ctx.strings('common/column_left'),
      backup: ctx.link('tool/backup'),
      active: ctx.route.startsWith('tool/backup'),
    });
  }

  footer(ctx: AdminContext): string {
    const strings = ctx.strings('common/footer');
    return this.templates.render('common/footer', { ...strings, text_version: formatPlaceholders(strings.text_version, [TOOL_VERSION]) });
  }

  /**
   * A whole admin page: the view with header, column_left and footer passed in as HTML, as OpenCart does; inside
   * OpenCart, for a signed-in user, the view alone inside the shop's own page, and the module's chrome when that fails.
   */
  async page(ctx: AdminContext, view: string, title: string, data: Record<string, unknown>): Promise<string> {
    const inside = await this.insideOpenCart(ctx, view, title, data);
    if (inside !== null) return inside;
    const page = this.templates.render(view, {
      ...data,
      header: this.header(ctx, title),
      column_left: this.columnLeft(ctx),
      footer: this.footer(ctx),
    });
    return rebaseAssets(page, this.options.assetPath);
  }

  private async insideOpenCart(ctx: AdminContext, view: string, title: string, data: Record<string, unknown>): Promise<string | null> {
    const chrome = this.options.chrome;
    const userToken = ctx.session.data.user_token;
    if (!chrome || !ctx.user || typeof userToken !== 'string') return null;
    const shopPage = await chrome.page({ sessionId: ctx.session.id, userToken, languageCookie: readCookie(ctx.request.headers.cookie, 'language') });
    const { content, scripts } = shopPage
      ? splitModuleView(this.templates.render(view, { ...data, header: '', column_left: '', footer: '' }), this.options.assetPath)
      : { content: '', scripts: '' };
    const header = ctx.strings('common/header');
    const page =
      shopPage &&
      spliceIntoOpenCart(shopPage, {
        title,
        content,
        scripts,
        head: `<link href="${this.options.assetPath}view/stylesheet/opencart.css" rel="stylesheet" type="text/css"/>`,
        returnUrl: ctx.link(ctx.route),
        lang: header.code,
        dir: header.direction,
      });
    if (!page) this.options.log?.("OpenCart's admin chrome could not be fetched; the module's own is shown", { route: ctx.route, user: ctx.user.username });
    return page || null;
  }
}

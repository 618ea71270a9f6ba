// The host chrome around a page (common/header, common/column_left, common/footer), as OpenCart's controllers compose it.
import type { AdminContext } from '../../../system/engine/context.ts';
import type { TemplateRenderer } from '../../../system/library/template.ts';
import type { Languages } from '../../../system/library/language.ts';
import { formatPlaceholders } from '../../../system/library/language.ts';
import { TOOL_VERSION } from '../../../system/library/backup/backup-job.ts';

export class Layout {
  constructor(
    private readonly templates: TemplateRenderer,
    private readonly languages: Languages,
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

  /** A whole admin page: the view with header, column_left and footer passed in as HTML, as OpenCart does. */
  async page(ctx: AdminContext, view: string, title: string, data: Record<string, unknown>): Promise<string> {
    return this.templates.render(view, {
      ...data,
      header: this.header(ctx, title),
      column_left: this.columnLeft(ctx),
      footer: this.footer(ctx),
    });
  }
}

// common/login and common/logout: OpenCart 4.0.2's login with a one-time login_token, answering JSON with a redirect.
import type { AdminContext } from '../../../system/engine/context.ts';
import { single } from '../../../system/engine/context.ts';
import { json, html, redirect, type Reply } from '../../../system/engine/reply.ts';
import { createToken } from '../../../system/library/session.ts';
import type { UserModel } from '../../model/user/user.ts';
import type { Layout } from './layout.ts';

export class LoginController {
  constructor(
    private readonly users: UserModel,
    private readonly layout: Layout,
  ) {}

  /** The login form; a signed-in user with a valid token goes straight to the tool. */
  async index(ctx: AdminContext): Promise<Reply> {
    const token = single(ctx.query.user_token);
    if (ctx.user && token && token === ctx.session.data.user_token) return redirect(ctx.link('tool/backup'));
    const loginToken = createToken(32);
    ctx.session.data.login_token = loginToken;
    ctx.session.changed = true;
    const strings = ctx.strings('common/login');
    const page = await this.layout.page(ctx, 'common/login', strings.heading_title, {
      ...strings,
      login: ctx.link('common/login.login', { login_token: loginToken }),
      error_expired: single(ctx.query.expired) ? strings.error_token : '',
    });
    return html(page);
  }

  async login(ctx: AdminContext): Promise<Reply> {
    const loginToken = single(ctx.query.login_token);
    if (!loginToken || loginToken !== ctx.session.data.login_token) return json({ error: ctx.t('error_login_token') });
    const username = single(ctx.body.username) ?? '';
    const password = single(ctx.body.password) ?? '';
    // OpenCart's catalog login throttle, for admins: refused before the password is even checked, so a guessed
    // password is worth nothing once the limit is reached. Each attempt counts from the moment it arrives.
    if (username) {
      const attempt = await this.users.beginLoginAttempt(username, ctx.request.socket.remoteAddress ?? '', await this.users.loginAttemptLimit());
      if (attempt === null) return json({ error: ctx.t('error_attempts') });
    }
    const user = await this.users.authenticate(username, password);
    if (!user) return json({ error: ctx.t('error_login') });
    await this.users.deleteLoginAttempts(username);
    const userToken = createToken(32);
    // A new session id at login: a session id planted before login is worth nothing after it.
    ctx.session.regenerate = true;
    ctx.session.changed = true;
    delete ctx.session.data.login_token;
    ctx.session.data.user_id = user.userId;
    ctx.session.data.user_token = userToken;
    return json({ redirect: ctx.link('tool/backup', { user_token: userToken }) });
  }

  async logout(ctx: AdminContext): Promise<Reply> {
    delete ctx.session.data.user_id;
    delete ctx.session.data.user_token;
    ctx.session.changed = true;
    ctx.session.destroy = true;
    return redirect(ctx.link('common/login'));
  }
}

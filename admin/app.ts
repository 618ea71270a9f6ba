// createAdminApp(config): the startup chain (session, language, user_token, permission), the route table and the reply adapter.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { HostConfig, HostConfigInput } from '../system/library/config.ts';
import { loadConfig } from '../system/library/config.ts';
import { createPool, quoteIdentifier, type Pool } from '../system/library/db.ts';
import { Languages, MissingTranslationError, FALLBACK_LANGUAGE } from '../system/library/language.ts';
import { TemplateRenderer } from '../system/library/template.ts';
import { FileSessionStore, DbSessionStore, isValidSessionId, createSessionId, readCookie, mergeSessionChanges, type SessionStore, type SessionData } from '../system/library/session.ts';
import { OpenCartChrome } from '../system/library/opencart-chrome.ts';
import type { AdminContext, SessionHandle, QueryValue } from '../system/engine/context.ts';
import { single } from '../system/engine/context.ts';
import { formatPhpDate } from '../system/library/format.ts';
import { UserError } from '../system/engine/errors.ts';
import type { Reply } from '../system/engine/reply.ts';
import { ROUTES, normaliseRoute, permissionKey, type Controllers, type RouteDefinition } from './routes.ts';
import { BackupController } from './controller/tool/backup.ts';
import { LoginController } from './controller/common/login.ts';
import { Layout } from './controller/common/layout.ts';
import { UserModel } from './model/user/user.ts';
import { JobRegistry } from '../system/library/backup/jobs.ts';
import { cleanStaleFiles } from '../system/library/backup/housekeeping.ts';

const ADMIN_DIR = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_DIR = path.dirname(ADMIN_DIR);
const require = createRequire(import.meta.url);

export interface AdminAppOptions {
  /** A finished config; when absent it is loaded from OPENCART_CONFIG and the environment, with `overrides` on top. */
  config?: HostConfig;
  overrides?: HostConfigInput;
  /** Where errors that are not the user's go; console.error by default. */
  log?: (message: string, details: Record<string, unknown>) => void;
}

export interface AdminApp {
  /** Mount it where the admin lives: `host.use('/admin', admin.router)` serves `/admin/index.php?route=...`. */
  router: Router;
  /** The module's own assets (`view/…`), for a host to serve at `config.assetPath` when that is set. */
  assets: Router;
  /** Mounts `router` at the path of `config.httpServer` (else `/admin`) and `assets` at `config.assetPath` (when set). */
  mount(host: express.Express): void;
  config: HostConfig;
  pool: Pool;
  close(): Promise<void>;
}

export async function createAdminApp(options: AdminAppOptions = {}): Promise<AdminApp> {
  const config = options.config ?? loadConfig({ overrides: options.overrides });
  const log = options.log ?? ((message, details) => console.error(message, details));
  const pool = createPool(config);
  const languages = new Languages(path.join(PROJECT_DIR, 'language'));
  const templates = new TemplateRenderer(path.join(ADMIN_DIR, 'view', 'template'));
  const chrome =
    config.chrome === 'opencart' ? new OpenCartChrome({ url: config.chromeUrl || config.httpServer, sessionName: config.sessionName }) : null;
  const layout = new Layout(templates, languages, { assetPath: config.assetPath, chrome, log });
  const users = new UserModel(pool, config.db.prefix);
  const sessions: SessionStore =
    config.sessionEngine === 'db'
      ? new DbSessionStore(pool, config.db.prefix, config.sessionExpire)
      : new FileSessionStore(path.join(config.dirStorage, 'session'), config.sessionExpire);
  const jobs = new JobRegistry(config.backup.jobTimeoutMs, () => cleanStaleFiles(config, pool, jobs));
  const controllers: Controllers = {
    backup: new BackupController({ config, pool, jobs, layout }),
    login: new LoginController(users, layout),
  };
  await cleanStaleFiles(config, pool, jobs).catch((error) => log('Cleaning stale backup files failed', { error: String(error) }));
  const defaultLanguage = await chooseDefaultLanguage(config, pool, languages);
  // The module's own pages load nothing but its own files. Inside OpenCart the page is the shop's, with OpenCart's
  // inline scripts and whatever its extensions add to the header, which OpenCart itself does not restrict.
  const htmlPolicy =
    config.chrome === 'opencart'
      ? "frame-ancestors 'self'"
      : "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'";

  const router = express.Router();
  // Only the module's own assets; storage/ is never served.
  const assets = express.Router();
  const noIndex = { index: false, dotfiles: 'deny' as const };
  assets.use('/view/javascript', express.static(path.join(ADMIN_DIR, 'view', 'javascript'), noIndex));
  assets.use('/view/stylesheet', express.static(path.join(ADMIN_DIR, 'view', 'stylesheet'), noIndex));
  assets.use('/view/vendor/bootstrap', express.static(path.join(path.dirname(require.resolve('bootstrap/package.json')), 'dist'), noIndex));
  assets.use('/view/vendor/fontawesome', express.static(path.dirname(require.resolve('@fortawesome/fontawesome-free/package.json')), noIndex));
  router.use(assets);
  // A body the parser refuses (too large, unknown charset, bad encoding) is answered by the route's own kind of reply
  // with a translated message, never by Express's default page (a stack trace with the install's paths).
  const parseForm = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 10000 });
  const unreadableBodies = new WeakMap<Request, number>();
  router.use('/index.php', (req, res, next) =>
    parseForm(req, res, (error?: unknown) => {
      if (error) {
        const status = Number((error as { status?: unknown }).status);
        unreadableBodies.set(req, status >= 400 && status < 500 ? status : 400);
        req.body = {};
      }
      next();
    }),
  );
  router.all('/index.php', async (req, res) => {
    try {
      await dispatch(req, res);
    } catch (error) {
      // Failures before a route runs (the session store or the database unreachable): logged, answered without details.
      log('Admin request failed before its route ran', { route: req.query.route, error: error instanceof Error ? error.stack : String(error) });
      if (!res.headersSent) res.status(500).type('text/plain').send(languages.translator(defaultLanguage, 'default')('error_exception'));
    }
  });
  router.get('/', (req, res) => res.redirect(`${req.baseUrl}/index.php?route=common/login`));

  async function dispatch(req: Request, res: Response): Promise<void> {
    const route = normaliseRoute(single(req.query.route as QueryValue) ?? 'common/login');
    const definition = Object.hasOwn(ROUTES, route) ? ROUTES[route] : undefined;
    const session = await openSession(req);
    const language = chooseLanguage(req, session);
    // Without HTTP_SERVER, links are relative to the module's path: the request's Host header is the sender's to choose
    // and never goes into a link, a redirect or <base href>.
    const base = config.httpServer || `${req.baseUrl}/`;
    const userId = Number(session.data.user_id);
    const user = Number.isInteger(userId) && userId > 0 ? await users.byId(userId) : null;
    const ctx: AdminContext = {
      route,
      method: req.method,
      query: req.query as Record<string, QueryValue>,
      body: (req.body ?? {}) as Record<string, QueryValue>,
      request: req,
      session,
      user,
      language,
      base,
      t: languages.translator(language, definition?.language ?? 'default'),
      strings: (file) => languages.strings(language, file),
      link: (target, args = {}) => {
        const params: Record<string, string> = { route: target };
        if (user && typeof session.data.user_token === 'string') params.user_token = session.data.user_token;
        for (const [key, value] of Object.entries(args)) params[key] = String(value);
        return `${base}index.php?${buildQuery(params)}`;
      },
    };
    let reply: Reply;
    try {
      const unreadable = unreadableBodies.get(req);
      if (unreadable !== undefined) reply = await requestError(ctx, definition, unreadable);
      else reply = definition ? await guardAndRun(definition, ctx) : await notFound(ctx);
    } catch (error) {
      reply = await failure(error, definition, ctx);
    }
    await saveSession(res, session, req.secure);
    await send(res, reply, htmlPolicy);
  }

  async function guardAndRun(definition: RouteDefinition, ctx: AdminContext): Promise<Reply> {
    if (definition.permission !== 'public') {
      const token = single(ctx.query.user_token);
      const signedIn = ctx.user !== null && typeof ctx.session.data.user_token === 'string' && token === ctx.session.data.user_token;
      if (!signedIn) {
        if (definition.reply === 'html') return { kind: 'redirect', location: ctx.link('common/login', token ? { expired: 1 } : {}) };
        return { kind: 'json', status: 401, body: { error: ctx.t('error_token') } };
      }
    }
    if (definition.permission === 'access' || definition.permission === 'modify') {
      const allowed = ctx.user?.permission[definition.permission].includes(permissionKey(ctx.route)) ?? false;
      if (!allowed) {
        if (definition.reply === 'html') return await errorPage(ctx, ctx.t('error_permission_page'), 403);
        return { kind: 'json', status: 403, body: { error: ctx.t('error_permission') } };
      }
    }
    // State changes only by POST: a link or an <img> in another site cannot run them (and GET stays safe to repeat).
    if (ctx.method !== definition.method && !(definition.method === 'GET' && ctx.method === 'HEAD')) {
      const message = ctx.t('error_method', definition.method);
      return definition.reply === 'html' ? await errorPage(ctx, message, 405) : { kind: 'json', status: 405, body: { error: message } };
    }
    return definition.run(controllers, ctx);
  }

  async function failure(error: unknown, definition: RouteDefinition | undefined, ctx: AdminContext): Promise<Reply> {
    let message: string;
    let status = 200;
    if (error instanceof UserError && !(error instanceof MissingTranslationError)) {
      const dateFormat = ctx.strings('default').datetime_format;
      message = ctx.t(error.key, ...error.args.map((arg) => (arg instanceof Date ? formatPhpDate(arg, dateFormat) : arg)));
      status = definition?.reply === 'json' ? 200 : 400;
    } else if (isPrivilegeError(error)) {
      // The shop owner can fix this one: the account needs a privilege the README lists.
      log('Database privilege missing', { route: ctx.route, error: error.sqlMessage });
      message = ctx.t('error_privilege', missingPrivilege(error.sqlMessage));
      status = definition?.reply === 'json' ? 200 : 500;
    } else {
      log('Unexpected error in admin route', { route: ctx.route, user: ctx.user?.username, job: single(ctx.query.job), error: error instanceof Error ? error.stack : String(error) });
      message = ctx.t('error_exception');
      status = 500;
    }
    if (definition?.reply === 'json') return { kind: 'json', status, body: { error: message } };
    return errorPage(ctx, message, status === 200 ? 400 : status);
  }

  async function errorPage(ctx: AdminContext, message: string, status: number): Promise<Reply> {
    const strings = ctx.strings('tool/backup');
    const body = await layout.page(ctx, 'common/error', strings.heading_title, {
      ...strings,
      error: message,
      back: ctx.user ? ctx.link('tool/backup') : ctx.link('common/login'),
    });
    return { kind: 'html', status, body };
  }

  async function requestError(ctx: AdminContext, definition: RouteDefinition | undefined, status: number): Promise<Reply> {
    const message = ctx.t('error_request');
    return definition?.reply === 'json' ? { kind: 'json', status, body: { error: message } } : errorPage(ctx, message, status);
  }

  function notFound(ctx: AdminContext): Promise<Reply> {
    return errorPage(ctx, ctx.t('error_not_found'), 404);
  }

  // What each open session held when it was read, to write back only what this request changed (see saveSession).
  const readAs = new WeakMap<SessionHandle, { cookie: boolean; data: string }>();

  async function openSession(req: Request): Promise<SessionHandle> {
    const cookie = readCookie(req.headers.cookie, config.sessionName);
    const usable = isValidSessionId(cookie) && cookie.length <= sessions.maxIdLength;
    const session: SessionHandle = usable
      ? { id: cookie, data: await sessions.read(cookie), changed: false, regenerate: false, destroy: false }
      : { id: createSessionId(), data: {}, changed: false, regenerate: false, destroy: false };
    readAs.set(session, { cookie: usable, data: JSON.stringify(session.data) });
    return session;
  }

  function chooseLanguage(req: Request, session: SessionHandle): string {
    const requested = single(req.query.language as QueryValue);
    if (config.chrome === 'opencart') {
      // Inside OpenCart the shop's header shows its own language switch, which sets OpenCart's `language` cookie; the
      // module follows it and never writes the language into OpenCart's session.
      const chosen = [requested, readCookie(req.headers.cookie, 'language')].find((code) => code && languages.has(code));
      return chosen ?? defaultLanguage;
    }
    if (requested && languages.has(requested)) {
      if (session.data.language !== requested) {
        session.data.language = requested;
        session.changed = true;
      }
      return requested;
    }
    const chosen = typeof session.data.language === 'string' ? session.data.language : defaultLanguage;
    return languages.has(chosen) ? chosen : defaultLanguage;
  }

  /**
   * Writes a changed session. The session may be OpenCart's own, written meanwhile by its PHP (every PHP request writes
   * it back): only the keys this request set or removed are applied to what the store holds now, so no other key is
   * lost, and the cookie is sent only for a new id (OpenCart set it, with its own path and lifetime; resending it
   * would add a second cookie of the same name).
   */
  async function saveSession(res: Response, session: SessionHandle, secure: boolean): Promise<void> {
    if (!session.changed) return;
    const before = readAs.get(session) ?? { cookie: false, data: '{}' };
    let newId = !before.cookie;
    if (session.regenerate || session.destroy) {
      await sessions.destroy(session.id);
      if (session.regenerate) {
        session.id = createSessionId();
        newId = true;
      }
      if (session.destroy) session.data = session.data.language ? { language: session.data.language } : {};
      await sessions.write(session.id, session.data);
    } else {
      await sessions.write(session.id, mergeSessionChanges(await sessions.read(session.id), JSON.parse(before.data) as SessionData, session.data));
    }
    if (newId) res.cookie(config.sessionName, session.id, { path: '/', httpOnly: true, sameSite: 'strict', secure });
  }

  return {
    router,
    assets,
    mount(host) {
      host.use(adminMountPath(config), router);
      if (config.assetPath) host.use(config.assetPath, assets);
    },
    config,
    pool,
    async close() {
      await jobs.close();
      await pool.end();
    },
  };
}

/** OpenCart's links keep `/` readable in `route=tool/backup`; everything else is percent-encoded. */
function buildQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value).replace(/%2F/g, '/')}`)
    .join('&');
}

/** ADMIN_LANGUAGE when the host sets it; else the shop's own admin language (OpenCart's `config_language_admin`); else en-gb. */
async function chooseDefaultLanguage(config: HostConfig, pool: Pool, languages: Languages): Promise<string> {
  if (config.language) return languages.has(config.language) ? config.language : FALLBACK_LANGUAGE;
  try {
    const [rows] = await pool.query(
      `SELECT value FROM ${quoteIdentifier(config.db.prefix + 'setting')} WHERE store_id = 0 AND \`key\` = 'config_language_admin'`,
    );
    const code = (rows as Array<{ value: string }>)[0]?.value;
    return code && languages.has(code) ? code : FALLBACK_LANGUAGE;
  } catch {
    // A database without OpenCart's setting table: the default language.
    return FALLBACK_LANGUAGE;
  }
}

/** The path the admin lives at: that of HTTP_SERVER (OpenCart's admin folder may be renamed), else `/admin`. */
export function adminMountPath(config: HostConfig): string {
  const pathname = config.httpServer ? new URL(config.httpServer).pathname.replace(/\/+$/, '') : '/admin';
  return pathname || '/';
}

async function send(res: Response, reply: Reply, htmlPolicy: string): Promise<void> {
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('X-Frame-Options', 'SAMEORIGIN');
  res.set('Cache-Control', 'no-store');
  // Every admin URL carries the user_token: it must not travel to another site in a Referer.
  res.set('Referrer-Policy', 'same-origin');
  switch (reply.kind) {
    case 'json':
      res.status(reply.status ?? 200).type('application/json').send(JSON.stringify(reply.body));
      return;
    case 'html':
      res.set('Content-Security-Policy', htmlPolicy);
      res.status(reply.status ?? 200).type('html').send(reply.body);
      return;
    case 'redirect':
      res.redirect(302, reply.location);
      return;
    case 'file':
      res.status(200);
      res.attachment(reply.filename);
      res.set('Content-Type', 'application/octet-stream');
      res.set('Content-Length', String(reply.size));
      await pipeline(reply.stream, res).catch(() => undefined);
      return;
  }
}

/** MariaDB's "command denied" errors: on a database, a table, a column, a global privilege, a routine. */
const PRIVILEGE_ERRNOS = new Set([1044, 1142, 1143, 1227, 1370]);

function isPrivilegeError(error: unknown): error is { errno: number; sqlMessage: string } {
  const { errno, sqlMessage } = (error ?? {}) as { errno?: unknown; sqlMessage?: unknown };
  return typeof errno === 'number' && PRIVILEGE_ERRNOS.has(errno) && typeof sqlMessage === 'string';
}

/** "CREATE" of "CREATE command denied to user … for table `db`.`_bkr_state`": the table may be one of the module's own. */
function missingPrivilege(sqlMessage: string): string {
  const command = / command denied /.exec(sqlMessage);
  return command ? sqlMessage.slice(0, command.index) : sqlMessage.replace(/`[^`]*_bkr_[^`]*`/g, '…');
}

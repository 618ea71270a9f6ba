// Every admin route this module answers: method, permission, reply kind, language file and handler. Routes not listed here are not served.
import type { AdminContext } from '../system/engine/context.ts';
import type { Reply } from '../system/engine/reply.ts';
import type { BackupController } from './controller/tool/backup.ts';
import type { LoginController } from './controller/common/login.ts';

/** `public`: anyone; `login`: any signed-in user with the right user_token; `access`/`modify`: OpenCart's user group permission. */
export type Permission = 'public' | 'login' | 'access' | 'modify';

export interface Controllers {
  backup: BackupController;
  login: LoginController;
}

export interface RouteDefinition {
  method: 'GET' | 'POST';
  permission: Permission;
  /** How failures are answered before the handler runs: a page, or a JSON `{error}`. */
  reply: 'html' | 'json' | 'file';
  /** Language file of the route, e.g. `tool/backup` for language/<code>/tool/backup.json. */
  language: string;
  run(controllers: Controllers, ctx: AdminContext): Promise<Reply>;
}

export const ROUTES: Readonly<Record<string, RouteDefinition>> = {
  'common/login': { method: 'GET', permission: 'public', reply: 'html', language: 'common/login', run: (c, ctx) => c.login.index(ctx) },
  'common/login.login': { method: 'POST', permission: 'public', reply: 'json', language: 'common/login', run: (c, ctx) => c.login.login(ctx) },
  'common/logout': { method: 'GET', permission: 'login', reply: 'html', language: 'common/login', run: (c, ctx) => c.login.logout(ctx) },
  'tool/backup': { method: 'GET', permission: 'access', reply: 'html', language: 'tool/backup', run: (c, ctx) => c.backup.index(ctx) },
  'tool/backup.history': { method: 'GET', permission: 'access', reply: 'html', language: 'tool/backup', run: (c, ctx) => c.backup.history(ctx) },
  'tool/backup.backup': { method: 'POST', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.backup(ctx) },
  'tool/backup.restore': { method: 'POST', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.restore(ctx) },
  'tool/backup.inspect': { method: 'GET', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.inspect(ctx) },
  'tool/backup.upload': { method: 'POST', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.upload(ctx) },
  'tool/backup.download': { method: 'GET', permission: 'modify', reply: 'file', language: 'tool/backup', run: (c, ctx) => c.backup.download(ctx) },
  'tool/backup.delete': { method: 'POST', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.delete(ctx) },
  'tool/backup.undo': { method: 'POST', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.undo(ctx) },
  // Any admin with modify permission may discard an interrupted restore, not only its owner (see BackupController.discard).
  'tool/backup.discard': { method: 'POST', permission: 'modify', reply: 'json', language: 'tool/backup', run: (c, ctx) => c.backup.discard(ctx) },
};

/** OpenCart 4.0.2 separates the method with `.`; 4.0.0/4.0.1 used `|`. Both reach the same route. */
export function normaliseRoute(route: string): string {
  return route.replace('|', '.');
}

/** The permission entry of a route: `tool/backup.delete` is checked against `tool/backup`. */
export function permissionKey(route: string): string {
  const dot = route.indexOf('.');
  return dot < 0 ? route : route.slice(0, dot);
}

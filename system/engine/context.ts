// What a controller sees of one request: typed input, the session, the signed-in user, translation and links.
import type { IncomingMessage } from 'node:http';
import type { Translate } from '../library/language.ts';
import type { SessionData } from '../library/session.ts';

export interface AdminUser {
  userId: number;
  username: string;
  firstname: string;
  lastname: string;
  permission: { access: string[]; modify: string[] };
}

export interface SessionHandle {
  id: string;
  data: SessionData;
  /** Set by whoever changes `data`, so unchanged sessions are not rewritten on every request. */
  changed: boolean;
  /** Give the session a new id (at login, against session fixation). */
  regenerate: boolean;
  destroy: boolean;
}

export type QueryValue = string | string[] | undefined;

export interface AdminContext {
  route: string;
  method: string;
  query: Record<string, QueryValue>;
  body: Record<string, QueryValue>;
  /** The raw request, for streaming a multipart upload. */
  request: IncomingMessage;
  session: SessionHandle;
  user: AdminUser | null;
  language: string;
  /** Strings of the route's language file, then `default`. */
  t: Translate;
  /** Strings of another language file, for templates. */
  strings(file: string): Record<string, string>;
  /** An admin URL with `user_token` added when signed in: `link('tool/backup.history')`. */
  link(route: string, args?: Record<string, string | number>): string;
  /** The admin base URL, ending in a slash. */
  base: string;
}

/** First value of a query or form field: `?a=1&a=2` gives '1'; arrays from `name[]` fields stay arrays elsewhere. */
export function single(value: QueryValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A `name[]` form field as a list (express keeps the brackets in the key). */
export function list(fields: Record<string, QueryValue>, name: string): string[] {
  const value = fields[name + '[]'] ?? fields[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

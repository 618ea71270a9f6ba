// Host configuration: defaults < OpenCart admin/config.php (OPENCART_CONFIG) < environment < object from a JavaScript host.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Everything the module reads from its host, frozen once at start. */
export interface HostConfig {
  readonly db: {
    readonly hostname: string;
    readonly port: number;
    readonly username: string;
    readonly password: string;
    readonly database: string;
    readonly prefix: string;
  };
  /** Absolute storage root ending in a slash; backups live in `dirStorage + 'backup/'`. */
  readonly dirStorage: string;
  /** Admin base URL ending in a slash, e.g. `https://shop.example/admin/`; empty: derived from each request. */
  readonly httpServer: string;
  readonly port: number;
  /** Admin language code (`en-gb`, `de-de`, ...); empty: the shop's own `config_language_admin` setting, else en-gb. */
  readonly language: string;
  /** OpenCart's session engines: `file` (DIR_STORAGE/session/sess_<id>) or `db` (`<prefix>session`). */
  readonly sessionEngine: 'file' | 'db';
  /** The session cookie's name (OpenCart's `session_name`). */
  readonly sessionName: string;
  /** Seconds a session lives (OpenCart's `session_expire`). */
  readonly sessionExpire: number;
  /**
   * Who draws the header, menu and footer around the page: `module` (its own, for `npm start`), or `opencart` (the
   * shop's own, fetched from OpenCart's PHP admin; see system/library/opencart-chrome.ts).
   */
  readonly chrome: 'module' | 'opencart';
  /** The OpenCart admin URL the `opencart` chrome is fetched from, server to server; empty: `httpServer`. */
  readonly chromeUrl: string;
  /**
   * URL path where the host serves `AdminApp.assets` (the module's JS, CSS, Bootstrap, Font Awesome), e.g.
   * `/extension/backup/`; empty: they are served by the admin router itself, under `<admin>/view/`.
   */
  readonly assetPath: string;
  readonly backup: BackupSettings;
}

export interface BackupSettings {
  /** How long one paged request works before it answers with `next`. */
  readonly requestBudgetMs: number;
  /** Largest upload accepted, in bytes; enforced while streaming. */
  readonly uploadMaxBytes: number;
  /** An idle job (its connection, its `.part` file) is released after this long. */
  readonly jobTimeoutMs: number;
  /** How long the tables replaced by a restore are kept for "Undo last restore". */
  readonly undoKeepMs: number;
  /** Write `CREATE TABLE IF NOT EXISTS` before each table's data. */
  readonly includeCreateTable: boolean;
}

/** What a JavaScript host may pass: any subset, nested like HostConfig. */
export type HostConfigInput = {
  [K in keyof HostConfig]?: HostConfig[K] extends object ? Partial<HostConfig[K]> : HostConfig[K];
};

const DEFAULTS: HostConfig = {
  db: { hostname: '127.0.0.1', port: 3306, username: 'root', password: '', database: 'opencart_demo', prefix: 'oc_' },
  dirStorage: path.resolve('storage') + '/',
  httpServer: '',
  port: 8080,
  language: '',
  sessionEngine: 'file',
  sessionName: 'OCSESSID',
  sessionExpire: 86400,
  chrome: 'module',
  chromeUrl: '',
  assetPath: '',
  backup: {
    requestBudgetMs: 1000,
    uploadMaxBytes: 1024 * 1024 * 1024,
    jobTimeoutMs: 10 * 60 * 1000,
    undoKeepMs: 7 * 24 * 3600 * 1000,
    includeCreateTable: true,
  },
};

/**
 * Inside a real OpenCart (OPENCART_CONFIG given): what OpenCart's own admin uses where config.php says nothing:
 * system/config/admin.php sets `session_engine` to `db`, system/config/default.php names the cookie `OCSESSID`.
 * The page wears the shop's own header, menu and footer, and the module's assets live beside OpenCart's extensions.
 */
const OPENCART_HOST_DEFAULTS: HostConfigInput = {
  sessionEngine: 'db',
  sessionName: 'OCSESSID',
  chrome: 'opencart',
  assetPath: '/extension/backup/',
};

/** Reads the `define('NAME', value);` lines of an OpenCart config.php; values may concatenate strings and earlier constants. */
export function parseOpenCartConfig(source: string): Record<string, string> {
  const defines: Record<string, string> = {};
  const definePattern = /define\(\s*(['"])([A-Z0-9_]+)\1\s*,\s*(.+?)\s*\)\s*;/g;
  for (const match of source.matchAll(definePattern)) {
    const value = evaluatePhpExpression(match[3], defines);
    if (value !== undefined) defines[match[2]] = value;
  }
  return defines;
}

// Only what OpenCart's installer writes: quoted strings, numbers, booleans and constants joined with `.`.
function evaluatePhpExpression(expression: string, defines: Record<string, string>): string | undefined {
  let result = '';
  const partPattern = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([A-Z_][A-Z0-9_]*)|(-?\d+(?:\.\d+)?)|(true|false))\s*(\.|$)/gy;
  let consumed = 0;
  for (const part of expression.matchAll(partPattern)) {
    if (part.index !== consumed) return undefined;
    consumed = part.index + part[0].length;
    if (part[1] !== undefined) result += part[1].replace(/\\(['\\])/g, '$1');
    else if (part[2] !== undefined) result += part[2].replace(/\\(["\\$])/g, '$1');
    else if (part[3] !== undefined) {
      if (!(part[3] in defines)) return undefined;
      result += defines[part[3]];
    } else if (part[4] !== undefined) result += part[4];
    else if (part[5] !== undefined) result += part[5] === 'true' ? '1' : '';
    if (part[6] === '') break;
  }
  return consumed === expression.length ? result : undefined;
}

type Source = Record<string, string | undefined>;

function fromNamedValues(values: Source): HostConfigInput {
  const input: { -readonly [K in keyof HostConfigInput]: HostConfigInput[K] } = {};
  const db: Record<string, unknown> = {};
  if (values.DB_HOSTNAME !== undefined) db.hostname = values.DB_HOSTNAME;
  if (values.DB_PORT !== undefined) db.port = parsePort(values.DB_PORT, 'DB_PORT');
  if (values.DB_USERNAME !== undefined) db.username = values.DB_USERNAME;
  if (values.DB_PASSWORD !== undefined) db.password = values.DB_PASSWORD;
  if (values.DB_DATABASE !== undefined) db.database = values.DB_DATABASE;
  if (values.DB_PREFIX !== undefined) db.prefix = values.DB_PREFIX;
  if (Object.keys(db).length) input.db = db as HostConfigInput['db'];
  if (values.DIR_STORAGE !== undefined) input.dirStorage = values.DIR_STORAGE;
  if (values.HTTP_SERVER !== undefined) input.httpServer = values.HTTP_SERVER;
  if (values.PORT !== undefined) input.port = parsePort(values.PORT, 'PORT');
  if (values.ADMIN_LANGUAGE !== undefined) input.language = values.ADMIN_LANGUAGE;
  if (values.SESSION_ENGINE !== undefined) input.sessionEngine = values.SESSION_ENGINE as HostConfig['sessionEngine'];
  if (values.SESSION_NAME !== undefined) input.sessionName = values.SESSION_NAME;
  if (values.BACKUP_CHROME !== undefined) input.chrome = values.BACKUP_CHROME as HostConfig['chrome'];
  if (values.BACKUP_CHROME_URL !== undefined) input.chromeUrl = values.BACKUP_CHROME_URL;
  if (values.BACKUP_ASSET_PATH !== undefined) input.assetPath = values.BACKUP_ASSET_PATH;
  const backup: Record<string, unknown> = {};
  if (values.BACKUP_REQUEST_BUDGET_MS !== undefined) backup.requestBudgetMs = Number(values.BACKUP_REQUEST_BUDGET_MS);
  if (values.BACKUP_UPLOAD_MAX_BYTES !== undefined) backup.uploadMaxBytes = Number(values.BACKUP_UPLOAD_MAX_BYTES);
  if (values.BACKUP_CREATE_TABLE !== undefined) backup.includeCreateTable = !['0', 'false', 'no'].includes(values.BACKUP_CREATE_TABLE.toLowerCase());
  if (values.BACKUP_JOB_TIMEOUT_MS !== undefined) backup.jobTimeoutMs = Number(values.BACKUP_JOB_TIMEOUT_MS);
  if (values.BACKUP_UNDO_KEEP_MS !== undefined) backup.undoKeepMs = Number(values.BACKUP_UNDO_KEEP_MS);
  if (Object.keys(backup).length) input.backup = backup as HostConfigInput['backup'];
  return input;
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got "${value}"`);
  return port;
}

function merge(base: HostConfig, input: HostConfigInput): HostConfig {
  return {
    ...base,
    ...stripUndefined(input),
    db: { ...base.db, ...stripUndefined(input.db ?? {}) },
    backup: { ...base.backup, ...stripUndefined(input.backup ?? {}) },
  } as HostConfig;
}

function withSlash(url: string): string {
  return url && !url.endsWith('/') ? url + '/' : url;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function normalise(config: HostConfig): HostConfig {
  for (const [name, value] of Object.entries(config.backup)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) throw new Error(`backup.${name} must be a positive number, got "${value}"`);
  }
  const dirStorage = path.resolve(config.dirStorage) + '/';
  const httpServer = withSlash(config.httpServer);
  const chromeUrl = withSlash(config.chromeUrl);
  const assetPath = withSlash(config.assetPath);
  if (assetPath && !/^\/[A-Za-z0-9._~\/-]*$/.test(assetPath)) throw new Error(`BACKUP_ASSET_PATH must be a URL path such as "/extension/backup/", got "${config.assetPath}"`);
  if (config.chrome !== 'module' && config.chrome !== 'opencart') throw new Error(`BACKUP_CHROME must be "module" or "opencart", got "${config.chrome}"`);
  if (config.chrome === 'opencart' && !(chromeUrl || httpServer)) throw new Error('BACKUP_CHROME=opencart needs HTTP_SERVER or BACKUP_CHROME_URL: the OpenCart admin to fetch the header, menu and footer from');
  // OpenCart's cookie names are plain tokens; anything else could not be read back from a Cookie header.
  if (!/^[A-Za-z0-9_-]+$/.test(config.sessionName)) throw new Error(`SESSION_NAME may hold only letters, digits, "_" and "-", got "${config.sessionName}"`);
  if (config.language !== '' && !/^[a-z]{2}(-[a-z]{2})?$/.test(config.language)) throw new Error(`ADMIN_LANGUAGE must look like "en-gb", got "${config.language}"`);
  if (config.sessionEngine !== 'file' && config.sessionEngine !== 'db') throw new Error(`SESSION_ENGINE must be "file" or "db", got "${config.sessionEngine}"`);
  if (!/^[A-Za-z0-9_]*$/.test(config.db.prefix)) throw new Error(`DB_PREFIX may hold only letters, digits and "_", got "${config.db.prefix}"`);
  return Object.freeze({ ...config, dirStorage, httpServer, chromeUrl, assetPath, db: Object.freeze({ ...config.db }), backup: Object.freeze({ ...config.backup }) });
}

export interface LoadConfigOptions {
  /** Environment to read; `process.env` when omitted. */
  env?: Source;
  /** Settings from a JavaScript host; they override everything else. */
  overrides?: HostConfigInput;
}

/**
 * Builds the one frozen HostConfig: defaults, then (with OPENCART_CONFIG) OpenCart's own admin defaults and the file's
 * defines, then environment variables, then `overrides`.
 */
export function loadConfig(options: LoadConfigOptions = {}): HostConfig {
  const env = options.env ?? process.env;
  let config = DEFAULTS;
  if (env.OPENCART_CONFIG) {
    let source: string;
    try {
      source = readFileSync(env.OPENCART_CONFIG, 'utf8');
    } catch (error) {
      throw new Error(`OPENCART_CONFIG names "${env.OPENCART_CONFIG}", which cannot be read: ${(error as Error).message}`);
    }
    config = merge(merge(config, OPENCART_HOST_DEFAULTS), fromNamedValues(parseOpenCartConfig(source)));
  }
  config = merge(config, fromNamedValues(env));
  if (options.overrides) config = merge(config, options.overrides);
  return normalise(config);
}

// Host configuration: OpenCart's config.php defines, environment variables and a host object, in that order of precedence.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseOpenCartConfig } from '../../system/library/config.ts';

const CONFIG_PHP = `<?php
// APPLICATION
define('APPLICATION', 'Admin');
// HTTP
define('HTTP_SERVER', 'https://shop.example/admin/');
define('HTTP_CATALOG', 'https://shop.example/');
// DIR
define('DIR_OPENCART', '/var/www/shop/');
define('DIR_SYSTEM', DIR_OPENCART . 'system/');
define('DIR_STORAGE', DIR_SYSTEM . 'storage/');
// DB
define('DB_DRIVER', 'mysqli');
define('DB_HOSTNAME', 'db.internal');
define('DB_USERNAME', 'shop');
define('DB_PASSWORD', 'it\\'s "secret"');
define('DB_DATABASE', 'shop_live');
define('DB_PORT', '3307');
define('DB_PREFIX', 'oc4_');
`;

describe('parseOpenCartConfig', () => {
  it("reads the define() lines OpenCart's installer writes, joining constants with '.'", () => {
    const defines = parseOpenCartConfig(CONFIG_PHP);
    expect(defines.DIR_STORAGE).toBe('/var/www/shop/system/storage/');
    expect(defines.DB_PASSWORD).toBe('it\'s "secret"');
    expect(defines.DB_PORT).toBe('3307');
    expect(defines.HTTP_SERVER).toBe('https://shop.example/admin/');
  });
});

describe('loadConfig', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'config-')), 'config.php');
  writeFileSync(file, CONFIG_PHP);

  it('defaults to the demo shop on the local MariaDB', () => {
    const config = loadConfig({ env: {} });
    expect(config.db).toMatchObject({ hostname: '127.0.0.1', port: 3306, username: 'root', password: '', database: 'opencart_demo', prefix: 'oc_' });
    expect(config.port).toBe(8080);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes OPENCART_CONFIG, then environment variables over it, then the host object over both', () => {
    const fromFile = loadConfig({ env: { OPENCART_CONFIG: file } });
    expect(fromFile.db).toMatchObject({ hostname: 'db.internal', port: 3307, username: 'shop', database: 'shop_live', prefix: 'oc4_' });
    expect(fromFile.dirStorage).toBe('/var/www/shop/system/storage/');
    const withEnv = loadConfig({ env: { OPENCART_CONFIG: file, DB_DATABASE: 'from_env', ADMIN_LANGUAGE: 'de-de' } });
    expect(withEnv.db.database).toBe('from_env');
    expect(withEnv.db.hostname).toBe('db.internal');
    expect(withEnv.language).toBe('de-de');
    const withHost = loadConfig({ env: { OPENCART_CONFIG: file, DB_DATABASE: 'from_env' }, overrides: { db: { database: 'from_host' }, backup: { requestBudgetMs: 250 } } });
    expect(withHost.db.database).toBe('from_host');
    expect(withHost.backup.requestBudgetMs).toBe(250);
    expect(withHost.backup.uploadMaxBytes).toBe(1024 * 1024 * 1024);
  });

  it("with OPENCART_CONFIG, defaults to OpenCart's admin: db sessions, the shop's chrome, assets under /extension/backup/; each can be set", () => {
    expect(loadConfig({ env: {} })).toMatchObject({ sessionEngine: 'file', sessionName: 'OCSESSID', chrome: 'module', assetPath: '', chromeUrl: '' });
    expect(loadConfig({ env: { OPENCART_CONFIG: file } })).toMatchObject({ sessionEngine: 'db', sessionName: 'OCSESSID', chrome: 'opencart', assetPath: '/extension/backup/' });
    const set = loadConfig({
      env: { OPENCART_CONFIG: file, SESSION_ENGINE: 'file', SESSION_NAME: 'SHOPSESS', BACKUP_CHROME: 'module', BACKUP_ASSET_PATH: '/static/backup', BACKUP_CHROME_URL: 'http://127.0.0.1:81/admin' },
    });
    expect(set).toMatchObject({ sessionEngine: 'file', sessionName: 'SHOPSESS', chrome: 'module', assetPath: '/static/backup/', chromeUrl: 'http://127.0.0.1:81/admin/' });
    expect(() => loadConfig({ env: { BACKUP_CHROME: 'opencart' } })).toThrow(/needs HTTP_SERVER or BACKUP_CHROME_URL/);
    expect(() => loadConfig({ env: { BACKUP_CHROME: 'php' } })).toThrow(/BACKUP_CHROME must be/);
    expect(() => loadConfig({ env: { BACKUP_ASSET_PATH: 'extension/backup' } })).toThrow(/BACKUP_ASSET_PATH must be a URL path/);
    expect(() => loadConfig({ env: { BACKUP_ASSET_PATH: '/x"><script>/' } })).toThrow(/BACKUP_ASSET_PATH must be a URL path/);
    expect(() => loadConfig({ env: { SESSION_NAME: 'A; b' } })).toThrow(/SESSION_NAME may hold only/);
  });

  it('says what is wrong with a bad value or an unreadable config file', () => {
    expect(() => loadConfig({ env: { DB_PORT: 'abc' } })).toThrow(/DB_PORT must be a port number/);
    expect(() => loadConfig({ env: { DB_PREFIX: 'oc`; --' } })).toThrow(/DB_PREFIX may hold only/);
    expect(() => loadConfig({ env: { ADMIN_LANGUAGE: '../x' } })).toThrow(/ADMIN_LANGUAGE must look like/);
    expect(() => loadConfig({ env: { OPENCART_CONFIG: '/nonexistent/config.php' } })).toThrow(/cannot be read/);
    expect(() => loadConfig({ env: { BACKUP_REQUEST_BUDGET_MS: 'soon' } })).toThrow(/requestBudgetMs must be a positive number/);
    expect(loadConfig({ env: { BACKUP_CREATE_TABLE: '0' } }).backup.includeCreateTable).toBe(false);
  });
});

// The admin language: from the shop's setting or ADMIN_LANGUAGE, switched per session; every page fully translated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, createUsers, connect, PROJECT_DIR, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, type TestApp } from '../helpers/app.ts';

let database: TestDatabase;
let test: TestApp;
const LANGUAGE_DIR = path.join(PROJECT_DIR, 'language');
const codes = readdirSync(LANGUAGE_DIR).filter((code) => code !== 'en-gb');

function strings(code: string, file: string): Record<string, string> {
  return JSON.parse(readFileSync(path.join(LANGUAGE_DIR, code, file + '.json'), 'utf8'));
}

beforeAll(async () => {
  database = await createTestDatabase('languages');
  await createUsers(database.name);
  const c = await connect(database.name);
  await c.query("CREATE TABLE oc_setting (setting_id int AUTO_INCREMENT PRIMARY KEY, store_id int NOT NULL, code varchar(128) NOT NULL, `key` varchar(128) NOT NULL, value text NOT NULL, serialized tinyint(1) NOT NULL)");
  await c.query("INSERT INTO oc_setting (store_id, code, `key`, value, serialized) VALUES (0, 'config', 'config_language_admin', 'de-de', 0)");
  await c.query('CREATE TABLE oc_product (product_id int PRIMARY KEY)');
  await c.end();
  test = await startTestApp(database.name);
  writeFileSync(path.join(test.backupDir, 'a-backup.sql'), 'TRUNCATE TABLE `oc_product`;\n');
});

afterAll(async () => {
  await test?.close();
  await database?.drop();
});

describe('the admin language', () => {
  it("follows the shop's config_language_admin setting when ADMIN_LANGUAGE is not set", async () => {
    const admin = await signIn(test.app, 'tester');
    const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
    expect(page.text).toContain(strings('de-de', 'tool/backup').heading_title.replace(/&/g, '&amp;'));
    expect(page.text).toContain('lang="de"');
  });

  it('ADMIN_LANGUAGE wins over the setting', async () => {
    const italian = await startTestApp(database.name, { language: 'it-it' });
    try {
      const admin = await signIn(italian.app, 'tester');
      const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
      expect(page.text).toContain(strings('it-it', 'tool/backup').button_upload);
    } finally {
      await italian.close();
    }
  });

  it('language= on any admin URL switches, and the session remembers it', async () => {
    const admin = await signIn(test.app, 'tester');
    await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}&language=fr-fr`);
    const page = await admin.agent.get(`/admin/index.php?route=tool/backup.history&user_token=${admin.token}`);
    expect(page.text).toContain(strings('fr-fr', 'tool/backup').column_filename);
    const reply = await admin.agent.post(`/admin/index.php?route=tool/backup.delete&user_token=${admin.token}&filename=missing.sql`);
    expect(reply.body.error).toBe(strings('fr-fr', 'tool/backup').error_file);
  });

  it.each(codes)('the page in %s holds no English string of the module', async (code) => {
    const admin = await signIn(test.app, 'tester');
    const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}&language=${code}`);
    expect(page.status).toBe(200);
    const english = ['tool/backup', 'common/header', 'common/column_left', 'common/footer', 'default'].flatMap((file) => Object.values(strings('en-gb', file)));
    const visible = page.text.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"');
    // Words shared by both languages (units, codes, brand names) are not English text.
    const leaks = english.filter((text) => text.length > 12 && !text.includes('%') && visible.includes(text));
    expect(leaks).toEqual([]);
    if (code === 'ar') expect(page.text).toContain('dir="rtl"');
  });
});

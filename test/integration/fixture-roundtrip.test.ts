// The real OpenCart 4.0.2.3 database: back up every listed table through the page's protocol, damage it, restore, compare checksums.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, loadDump, requireFixtureDump, checksums, connect, runMariadbClient, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, type TestApp, type SignedIn } from '../helpers/app.ts';
import { opencartLineRestore } from '../helpers/opencart-restore.ts';

let shop: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let tables: string[];
let original: Record<string, string>;
let backupFile: string;
const extra: TestDatabase[] = [];

beforeAll(async () => {
  const dump = requireFixtureDump();
  shop = await createTestDatabase('fixture');
  await loadDump(shop.name, dump);
  test = await startTestApp(shop.name);
  admin = await signIn(test.app, 'admin', 'admin');
  const page = await admin.agent.get(`/admin/index.php?route=tool/backup&user_token=${admin.token}`);
  tables = [...page.text.matchAll(/name="backup\[\]" value="([^"]+)"/g)].map((match) => match[1]);
  original = await checksums(shop.name, tables);
  const progress: number[] = [];
  const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.backup&user_token=${admin.token}`, { 'backup[]': tables }, (body) => {
    if (typeof body.progress === 'number') progress.push(body.progress);
  });
  expect(reply.success, String(reply.error)).toBeTruthy();
  expect(progress.every((value, i) => i === 0 || value >= progress[i - 1])).toBe(true);
  const name = readdirSync(test.backupDir).find((file) => file.endsWith('.sql')) as string;
  backupFile = path.join(test.backupDir, name);
});

afterAll(async () => {
  await test?.close();
  await shop?.drop();
  for (const database of extra) await database.drop();
});

describe('the OpenCart 4.0.2.3 demo database', () => {
  it('the page lists every table but the protected ones', () => {
    expect(tables.length).toBeGreaterThan(140);
    expect(tables).toContain('oc_product');
    expect(tables).not.toContain('oc_user');
    expect(tables).not.toContain('oc_user_group');
  });

  it('the backup file is complete, 0600, and never names oc_user', () => {
    const text = readFileSync(backupFile, 'utf8');
    expect(text.startsWith('-- OpenCart Backup & Restore ')).toBe(true);
    expect(text).toMatch(/-- Backup completed: .* UTC\n/);
    expect(text.trimEnd().endsWith('-- End of backup')).toBe(true);
    expect(text).not.toMatch(/`oc_user`/);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(test.backupDir).filter((file) => file.endsWith('.part'))).toEqual([]);
  });

  it('after rows are changed and deleted, a restore brings back every table exactly (CHECKSUM TABLE)', async () => {
    const c = await connect(shop.name);
    await c.query("UPDATE oc_product SET price = price + 1, model = CONCAT(model, ' changed')");
    await c.query('DELETE FROM oc_product_description WHERE product_id > 40');
    await c.query("DELETE FROM oc_setting WHERE `key` LIKE 'config_m%'");
    await c.query('TRUNCATE TABLE oc_zone');
    await c.end();
    expect(await checksums(shop.name, ['oc_product'])).not.toEqual({ oc_product: original.oc_product });

    const reply = await runJob(admin.agent, `/admin/index.php?route=tool/backup.restore&user_token=${admin.token}&filename=${encodeURIComponent(path.basename(backupFile))}`, {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await checksums(shop.name, tables)).toEqual(original);
  });

  it('the file restores with the mariadb client into an empty database', async () => {
    const empty = await createTestDatabase('fixture_client');
    extra.push(empty);
    const result = await runMariadbClient(empty.name, backupFile);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await checksums(empty.name, tables)).toEqual(original);
  });

  it("the file restores through OpenCart's line-based rules (TRUNCATE/INSERT lines only) into the shop's schema", async () => {
    const target = await createTestDatabase('fixture_opencart');
    extra.push(target);
    await loadDump(target.name, requireFixtureDump());
    const c = await connect(target.name);
    for (const table of tables) await c.query(`DELETE FROM \`${table}\``);
    // OpenCart's restore sends statements as they are; the shop's connection is utf8mb4.
    await c.query("SET NAMES utf8mb4, time_zone = '+00:00', SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO'");
    const executed = await opencartLineRestore(c, backupFile);
    await c.end();
    expect(executed).toBeGreaterThan(tables.length);
    expect(await checksums(target.name, tables)).toEqual(original);
  });
});

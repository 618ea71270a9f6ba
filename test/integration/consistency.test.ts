// Consistency: a backup taken through the page while a writer keeps moving money between accounts (and moving accounts to
// new keys) reads one moment of the database: the file restores to the same total and the same number of accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { createTestDatabase, createUsers, runMariadbClient, connect, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, type TestApp, type SignedIn } from '../helpers/app.ts';

const ACCOUNTS = 200_000;
/** A small budget, so the backup takes many requests while the writer commits between (and during) them. */
const BUDGET_MS = 20;

let shop: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let sql: mysql.Connection;
let total = 0;
const clientDatabases: TestDatabase[] = [];

beforeAll(async () => {
  shop = await createTestDatabase('consistency');
  await createUsers(shop.name);
  sql = await connect(shop.name);
  await sql.query('CREATE TABLE oc_account (id INT NOT NULL PRIMARY KEY, amount BIGINT NOT NULL, note VARCHAR(40) NOT NULL) ENGINE=InnoDB');
  await sql.query(`INSERT INTO oc_account SELECT seq, seq % 997 + 1, CONCAT('account ', seq) FROM seq_1_to_${ACCOUNTS}`);
  // sum over 1..N of (n mod 997) + 1
  for (let n = 1; n <= ACCOUNTS; n++) total += (n % 997) + 1;
  expect(await totals(shop.name)).toEqual({ total: String(total), n: ACCOUNTS });
  test = await startTestApp(shop.name, { backup: { requestBudgetMs: BUDGET_MS } });
  admin = await signIn(test.app, 'tester');
});

afterAll(async () => {
  await sql?.end().catch(() => undefined);
  await test?.close();
  for (const database of clientDatabases) await database.drop().catch(() => undefined);
  await shop?.drop();
});

function route(name: string, query: Record<string, string> = {}): string {
  return `/admin/index.php?${new URLSearchParams({ route: name, user_token: admin.token, ...query }).toString()}`;
}

interface Writer {
  /** transactions committed so far (read from the writer's control row, updated every 50 transactions) */
  counts(): Promise<{ transfers: number; moves: number }>;
  stop(): Promise<{ transfers: number; moves: number }>;
}

/**
 * A writer in its own process (the mariadb client running one anonymous compound statement on the server), so it commits
 * continuously, also while a page of the backup is being read and encoded. Until stopped it commits transactions that keep
 * SUM(amount) and COUNT(*) unchanged but that a backup reading without one snapshot would tear:
 * - transfers between two random accounts (START TRANSACTION; UPDATE a -x; UPDATE b +x; COMMIT): one of them may have been
 *   read already and the other not yet;
 * - moves of a random account to a new key beyond all others: without a snapshot it is read twice, or never.
 */
async function startWriter(database: string): Promise<Writer> {
  await sql.query('CREATE OR REPLACE TABLE writer_control (stop INT NOT NULL, transfers INT NOT NULL, moves INT NOT NULL) ENGINE=InnoDB');
  await sql.query('INSERT INTO writer_control VALUES (0, 0, 0)');
  const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'consistency-writer-')), 'writer.sql');
  writeFileSync(
    script,
    `DELIMITER //
BEGIN NOT ATOMIC
  DECLARE a, b, x, n, t, m, next_id INT DEFAULT 0;
  SELECT MAX(id) + 1 INTO next_id FROM oc_account;
  WHILE (SELECT stop FROM writer_control) = 0 DO
    IF RAND() < 0.1 THEN
      START TRANSACTION;
      SELECT id INTO a FROM oc_account WHERE id >= FLOOR(RAND() * next_id) ORDER BY id LIMIT 1;
      UPDATE oc_account SET id = next_id, note = CONCAT('moved from ', id) WHERE id = a;
      SET m = m + ROW_COUNT(), next_id = next_id + 1;
      COMMIT;
    ELSE
      SET a = 1 + FLOOR(RAND() * ${ACCOUNTS}), b = 1 + FLOOR(RAND() * ${ACCOUNTS}), x = 1 + FLOOR(RAND() * 500);
      START TRANSACTION;
      SELECT COUNT(*) INTO n FROM oc_account WHERE id IN (a, b) FOR UPDATE;
      IF n = 2 AND a <> b THEN
        UPDATE oc_account SET amount = amount - x WHERE id = a;
        UPDATE oc_account SET amount = amount + x WHERE id = b;
        SET t = t + 1;
      END IF;
      COMMIT;
    END IF;
    IF (t + m) % 50 = 0 THEN UPDATE writer_control SET transfers = t, moves = m; END IF;
  END WHILE;
  UPDATE writer_control SET transfers = t, moves = m;
END //
DELIMITER ;
`,
  );
  const done = runMariadbClient(database, script);
  const counts = async () => {
    const [rows] = await sql.query('SELECT transfers, moves FROM writer_control');
    const row = (rows as Array<{ transfers: number; moves: number }>)[0];
    return { transfers: Number(row.transfers), moves: Number(row.moves) };
  };
  return {
    counts,
    async stop() {
      await sql.query('UPDATE writer_control SET stop = 1');
      const result = await done;
      rmSync(path.dirname(script), { recursive: true, force: true });
      if (result.code !== 0) throw new Error(`the writer failed: ${result.stderr}`);
      return counts();
    },
  };
}

async function totals(database: string): Promise<{ total: string; n: number }> {
  const c = await connect(database);
  try {
    const [rows] = await c.query('SELECT SUM(amount) AS total, COUNT(*) AS n FROM oc_account');
    const row = (rows as Array<{ total: string; n: number }>)[0];
    return { total: String(row.total), n: Number(row.n) };
  } finally {
    await c.end();
  }
}

describe(`a backup of ${ACCOUNTS.toLocaleString('en')} accounts taken while transfers and key moves are committed`, () => {
  let file = '';
  let replies: Array<Record<string, unknown>> = [];
  let during = { transfers: 0, moves: 0 };

  beforeAll(async () => {
    const writer = await startWriter(shop.name);
    try {
      // Let the writer get going before the snapshot is taken.
      let before = await writer.counts();
      for (let i = 0; before.transfers < 100 && i < 400; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        before = await writer.counts();
      }
      const existing = new Set(readdirSync(test.backupDir));
      // Between two pages of the backup the writer always commits more (at least one report of 50 operations), so the
      // pages are read at different moments of the live table, however fast the backup is.
      let reply: Record<string, unknown> = {};
      let url: string | undefined = route('tool/backup.backup');
      while (url) {
        const target = new URL(url, 'http://x');
        reply = (await admin.agent.post(target.pathname + target.search).type('form').send(encodeForm({ 'backup[]': ['oc_account'] }))).body;
        replies.push(reply);
        if (reply.error || reply.success) break;
        const seen = await writer.counts();
        for (let i = 0; i < 400; i++) {
          const now = await writer.counts();
          if (now.transfers + now.moves >= seen.transfers + seen.moves + 50) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        url = reply.next as string | undefined;
      }
      const after = await writer.counts();
      if (!reply.success) throw new Error(`the backup answered ${JSON.stringify(reply)}`);
      during = { transfers: after.transfers - before.transfers, moves: after.moves - before.moves };
      file = path.join(test.backupDir, readdirSync(test.backupDir).find((name) => name.endsWith('.sql') && !existing.has(name)) as string);
    } finally {
      await writer.stop();
    }
  });

  it('ran over many requests while the writer committed at least a hundred transfers and some moves', async () => {
    expect(replies.length).toBeGreaterThan(2);
    expect(during.transfers).toBeGreaterThanOrEqual(100);
    expect(during.moves).toBeGreaterThan(2);
    // The writer kept the invariant on the live table.
    expect(await totals(shop.name)).toEqual({ total: String(total), n: ACCOUNTS });
  });

  it('says in its header that the snapshot was consistent', () => {
    const head = readFileSync(file).subarray(0, 4096).toString('utf8');
    expect(head).toContain('-- Consistent snapshot: yes');
    expect(head).not.toMatch(/Consistent snapshot: no/i);
  });

  it('restores with the mariadb client into an empty database to the same total and number of accounts', async () => {
    const target = await createTestDatabase('consistency_client');
    clientDatabases.push(target);
    const result = await runMariadbClient(target.name, file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await totals(target.name)).toEqual({ total: String(total), n: ACCOUNTS });
    await target.drop();
  });

  it('restores through the page to the same total and number of accounts', async () => {
    await sql.query('UPDATE oc_account SET amount = 0 WHERE id % 2 = 0');
    const reply = await runJob(admin.agent, route('tool/backup.restore', { filename: path.basename(file) }), {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await totals(shop.name)).toEqual({ total: String(total), n: ACCOUNTS });
  });

  it('(control) would not add up if read page by page without one snapshot while the same writer runs', async () => {
    const writer = await startWriter(shop.name);
    let sum = 0n;
    let count = 0;
    try {
      const reader = await connect(shop.name);
      let last = 0;
      for (;;) {
        const [rows] = await reader.query(`SELECT id, amount FROM oc_account WHERE id > ${last} ORDER BY id LIMIT 2000`);
        const page = rows as Array<{ id: number; amount: string }>;
        if (page.length === 0) break;
        for (const row of page) sum += BigInt(row.amount);
        count += page.length;
        last = page[page.length - 1].id;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await reader.end();
    } finally {
      await writer.stop();
    }
    expect({ total: String(sum), n: count }).not.toEqual({ total: String(total), n: ACCOUNTS });
    expect(await totals(shop.name)).toEqual({ total: String(total), n: ACCOUNTS });
  });
});

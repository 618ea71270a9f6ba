// The restore machinery under failure (swap, undo, resume, shadows): a step after the RENAME that fails or loses its
// connection puts everything back, undo waits for an interrupted restore, non-transactional tables are not loaded twice
// on a resumed batch; and what held up in review (foreign keys from outside the restore, awkward names, AUTO_INCREMENT).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { createTestDatabase, createUsers, connect, tableNames, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, signIn, runJob, encodeForm, agentWithCookie, type TestApp, type SignedIn } from '../helpers/app.ts';
import { UNDO_FILE } from '../../system/library/backup/housekeeping.ts';
import { undoRestore, type UndoRecord } from '../../system/library/backup/restore-job.ts';
import type { Sql } from '../../system/library/backup/table-swap.ts';

let database: TestDatabase;
let test: TestApp;
let admin: SignedIn;
let agent: SignedIn['agent'];

beforeAll(async () => {
  database = await createTestDatabase('rreview');
  await createUsers(database.name);
  test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } });
  admin = await signIn(test.app, 'tester');
  agent = admin.agent;
});

afterAll(async () => {
  await test?.close(false);
  await database?.drop();
});

async function sql(statements: string | string[]): Promise<Array<Record<string, unknown>>> {
  const c = await connect(database.name);
  try {
    let last: unknown = [];
    for (const statement of Array.isArray(statements) ? statements : [statements]) [last] = await c.query(statement);
    return last as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

function link(route: string, extra = ''): string {
  return `/admin/index.php?route=${route}&user_token=${admin.token}${extra}`;
}

async function post(url: string, form: Record<string, string | string[]> = {}): Promise<Record<string, unknown>> {
  const target = new URL(url, 'http://x');
  return (await agent.post(target.pathname + target.search).type('form').send(encodeForm(form))).body as Record<string, unknown>;
}

function restoreUrl(name: string): string {
  return link('tool/backup.restore', `&filename=${encodeURIComponent(name)}`);
}

async function restore(name: string, content: string | Buffer): Promise<Record<string, unknown>> {
  writeFileSync(path.join(test.backupDir, name), content);
  return runJob(agent, restoreUrl(name), {});
}

/** Each test starts without the previous test's undo record (its kept tables are not ours to reason about). */
function forgetUndo(): void {
  rmSync(path.join(test.backupDir, UNDO_FILE), { force: true });
}

async function triggerNames(table: string): Promise<string[]> {
  const rows = await sql(`SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = '${table}' ORDER BY n`);
  return rows.map((row) => String(row.n));
}

async function foreignKeysOf(table: string): Promise<string[]> {
  const rows = await sql(
    `SELECT CONSTRAINT_NAME AS n, REFERENCED_TABLE_NAME AS r, DELETE_RULE AS d FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = '${table}' ORDER BY n`,
  );
  return rows.map((row) => `${String(row.n)} -> ${String(row.r)} ${String(row.d)}`);
}

/** Sends a request without waiting for it. */
function send(url: string): Promise<Record<string, unknown>> {
  const target = new URL(url, 'http://x');
  const pending: request.Test = agent.post(target.pathname + target.search).type('form').send('');
  return new Promise((resolve, reject) => pending.end((error, reply) => (error ? reject(error) : resolve(reply.body as Record<string, unknown>))));
}

describe('a step after the swap\'s RENAME that fails', () => {
  it('a file that recreates a table without a column a live trigger uses: either restored with undo, or the live table, its rows and its trigger as before', async () => {
    forgetUndo();
    await sql([
      'CREATE TABLE oc_rv_product (id int NOT NULL PRIMARY KEY, price decimal(10,2) NOT NULL, price_tax decimal(10,2) NOT NULL DEFAULT 0) ENGINE=InnoDB',
      'INSERT INTO oc_rv_product VALUES (1, 10, 12), (2, 20, 24)',
      'CREATE TRIGGER oc_rv_product_tax BEFORE INSERT ON oc_rv_product FOR EACH ROW SET NEW.price_tax = NEW.price * 1.2',
    ]);
    const before = await sql('SELECT * FROM oc_rv_product ORDER BY id');
    // A full dump from before the shop added price_tax (and the trigger that fills it).
    const reply = await restore(
      'old-product.sql',
      'DROP TABLE IF EXISTS `oc_rv_product`;\nCREATE TABLE `oc_rv_product` (`id` int NOT NULL, `price` decimal(10,2) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;\nINSERT INTO `oc_rv_product` VALUES (1, 99.00);\n',
    );
    // The trigger cannot be put on the file's table: the swap is put back and says why.
    expect(String(reply.error)).toContain("triggers or foreign keys do not fit");
    expect(String(reply.error)).toContain('price_tax');
    if (reply.error) {
      // README: "if it fails ... the live tables are as before".
      expect(await sql('SELECT * FROM oc_rv_product ORDER BY id'), `after error ${String(reply.error)}`).toEqual(before);
      expect(await triggerNames('oc_rv_product')).toEqual(['oc_rv_product_tax']);
    } else {
      const undo = await post(link('tool/backup.undo'));
      expect(undo.success, JSON.stringify(undo)).toBeTruthy();
      expect(await sql('SELECT * FROM oc_rv_product ORDER BY id')).toEqual(before);
    }
  });

  it('a file that recreates a table referenced from outside the restore without a key on the referenced column: the outside table keeps its foreign key, or nothing changed', async () => {
    forgetUndo();
    await sql([
      'CREATE TABLE oc_rv_parent (id int NOT NULL PRIMARY KEY, name varchar(32) NOT NULL) ENGINE=InnoDB',
      'CREATE TABLE oc_rv_audit (id int NOT NULL PRIMARY KEY, parent_id int, CONSTRAINT fk_rv_audit_parent FOREIGN KEY (parent_id) REFERENCES oc_rv_parent (id) ON DELETE CASCADE) ENGINE=InnoDB',
      "INSERT INTO oc_rv_parent VALUES (1, 'one'), (2, 'two')",
      'INSERT INTO oc_rv_audit VALUES (1, 1), (2, 2)',
    ]);
    const before = await sql('SELECT * FROM oc_rv_parent ORDER BY id');
    const reply = await restore(
      'parent-nokey.sql',
      "DROP TABLE IF EXISTS `oc_rv_parent`;\nCREATE TABLE `oc_rv_parent` (`id` int NOT NULL, `name` varchar(32) NOT NULL) ENGINE=InnoDB;\nINSERT INTO `oc_rv_parent` VALUES (1, 'file');\n",
    );
    expect(String(reply.error)).toContain("triggers or foreign keys do not fit");
    if (reply.error) {
      expect(await sql('SELECT * FROM oc_rv_parent ORDER BY id'), `after error ${String(reply.error)}`).toEqual(before);
      expect(await foreignKeysOf('oc_rv_audit')).toEqual(['fk_rv_audit_parent -> oc_rv_parent CASCADE']);
    } else {
      expect(await foreignKeysOf('oc_rv_audit')).toEqual(['fk_rv_audit_parent -> oc_rv_parent CASCADE']);
    }
    // Whatever happened, the rows of the table outside the restore are all there.
    expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_audit')).toEqual([{ n: '2' }]);
  });
});

describe('the database connection lost during the swap', () => {
  it('after the RENAME, while triggers are put back: the retried request neither removes the live table nor drops its old rows', async () => {
    forgetUndo();
    await sql(['CREATE TABLE oc_rv_item (id int NOT NULL PRIMARY KEY, v int NOT NULL DEFAULT 0) ENGINE=InnoDB', 'INSERT INTO oc_rv_item SELECT seq, seq FROM seq_1_to_100']);
    // Many triggers, so putting them back after the RENAME takes long enough to lose the connection in the middle.
    const triggers: string[] = [];
    for (let i = 0; i < 250; i++) triggers.push(`CREATE TRIGGER oc_rv_item_t${i} BEFORE UPDATE ON oc_rv_item FOR EACH ROW SET NEW.v = NEW.v`);
    await sql(triggers);
    writeFileSync(path.join(test.backupDir, 'item.sql'), 'TRUNCATE TABLE `oc_rv_item`;\nINSERT INTO `oc_rv_item` VALUES (1, 1000), (2, 2000);\n');

    // A watcher kills the restore's connection once it is putting the triggers back (after the RENAME: before it, the
    // restore only reads them with SHOW CREATE TRIGGER), while the page drives the job as usual.
    let killed = false;
    let done = false;
    const watcher = await connect();
    const watching = (async () => {
      while (!done && !killed) {
        const [rows] = await watcher.query('SELECT ID AS id, INFO AS info FROM information_schema.PROCESSLIST WHERE ID = IS_USED_LOCK(?)', [`opencart_backup_restore.${database.name}`]);
        const id = (rows as Array<{ id: number }>)[0]?.id;
        const info = String((rows as Array<{ info: string | null }>)[0]?.info ?? '');
        if (/^(DROP TRIGGER|CREATE (DEFINER=\S+ )?TRIGGER)/.test(info)) {
          await watcher.query(`KILL CONNECTION ${id}`);
          killed = true;
        }
      }
    })();
    const reply = await runJob(agent, restoreUrl('item.sql'), {}).finally(() => (done = true));
    await watching;
    await watcher.end();
    expect(killed, 'the connection was killed after the RENAME').toBe(true);
    const live = await tableNames(database.name);
    // The shop's table must still exist, holding the file's rows (restored) or the old ones (not restored).
    expect(live, `reply ${JSON.stringify(reply)}`).toContain('oc_rv_item');
    const count = Number((await sql('SELECT COUNT(*) AS n FROM oc_rv_item'))[0].n);
    expect([2, 100]).toContain(count);
    // And if it claims success, Undo gives back the 100 old rows.
    if (reply.success) {
      const undo = await post(link('tool/backup.undo'));
      expect(undo.success, JSON.stringify(undo)).toBeTruthy();
      expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_item')).toEqual([{ n: '100' }]);
    }
  });
});

describe('undo beside an interrupted restore', () => {
  it('after a restart, Undo of the last restore and then Continue of the interrupted one: the shop keeps its table', async () => {
    forgetUndo();
    await sql(['CREATE TABLE oc_rv_note (id int NOT NULL PRIMARY KEY, body varchar(32) NOT NULL) ENGINE=InnoDB', "INSERT INTO oc_rv_note SELECT seq, 'original' FROM seq_1_to_50"]);
    // Restore 1 finishes: Undo is offered.
    const first = await restore('note-1.sql', "TRUNCATE TABLE `oc_rv_note`;\nINSERT INTO `oc_rv_note` VALUES (1, 'first');\n");
    expect(first.success, String(first.error)).toBeTruthy();
    // Restore 2: its table first, then a long tail of another application's rows (skipped, but read).
    const head = "TRUNCATE TABLE `oc_rv_note`;\nINSERT INTO `oc_rv_note` VALUES (1, 'second'), (2, 'second');\n";
    const tail: string[] = [];
    for (let i = 0; i < 150_000; i++) tail.push(`INSERT INTO \`wp_log\` VALUES (${i}, 'filler row ${i}');`);
    writeFileSync(path.join(test.backupDir, 'note-2.sql'), head + tail.join('\n') + '\n');
    let reply = await post(restoreUrl('note-2.sql'));
    for (let i = 0; i < 200 && reply.next && Number(new URL(String(reply.next), 'http://localhost').searchParams.get('position')) <= head.length; i++) reply = await post(String(reply.next));
    expect(reply.error).toBeUndefined();
    expect(reply.next, 'restore 2 is part way through the tail').toBeTruthy();
    const next = String(reply.next);

    // The server restarts; the page offers Undo (of restore 1) and Continue (of restore 2).
    const storage = test.storage;
    await test.close(true);
    test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } }, storage);
    agent = agentWithCookie(test.app, admin.cookie);
    const undo = await post(link('tool/backup.undo'));
    // Undo waits for the interrupted restore to be continued or discarded.
    expect(undo.error).toContain('interrupted restore is waiting');
    const resumed = await runJob(agent, next, {});
    expect(resumed.success, String(resumed.error)).toBeTruthy();
    const live = await tableNames(database.name);
    expect(live, `undo ${JSON.stringify(undo)}, continue ${JSON.stringify(resumed)}`).toContain('oc_rv_note');
  });
});

describe('a non-transactional table resumed after a lost connection', () => {
  it('a MyISAM table: the batch whose position was not committed is not inserted twice', async () => {
    forgetUndo();
    await sql('CREATE TABLE oc_rv_log (line varchar(100) NOT NULL) ENGINE=MyISAM');
    const lines: string[] = ['TRUNCATE TABLE `oc_rv_log`;'];
    const ROWS = 40_000;
    for (let i = 0; i < ROWS; i++) lines.push(`INSERT INTO \`oc_rv_log\` VALUES ('log line ${i} ${'x'.repeat(60)}');`);
    writeFileSync(path.join(test.backupDir, 'log.sql'), lines.join('\n') + '\n');
    // First request: the shadow exists and some batches are committed with their position.
    let reply = await post(restoreUrl('log.sql'));
    for (let i = 0; i < 20 && reply.next && !(await tableNames(database.name)).includes('_bkr_state'); i++) reply = await post(String(reply.next));
    expect(reply.next).toBeTruthy();
    // Hold the state table's rows: the next batch inserts its rows, then waits to record its position.
    const holder = await connect(database.name);
    await holder.query('START TRANSACTION');
    await holder.query('SELECT * FROM `_bkr_state` FOR UPDATE');
    const pending = send(String(reply.next));
    const watcher = await connect();
    let killed = false;
    try {
      for (let i = 0; i < 2000 && !killed; i++) {
        // The restore's connection waits to write its position, after the batch's rows went into the MyISAM shadow.
        const [rows] = await watcher.query(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO LIKE 'REPLACE INTO `\\_bkr\\_state`%'",
          [database.name],
        );
        const id = (rows as Array<{ id: number }>)[0]?.id;
        if (id !== undefined) {
          // The connection is lost mid-batch (a server restart, a network cut, wait_timeout...).
          await watcher.query(`KILL CONNECTION ${Number(id)}`);
          killed = true;
        } else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await holder.query('COMMIT');
      await holder.end();
      await watcher.end();
    }
    expect(killed).toBe(true);
    reply = await pending;
    if (reply.next) reply = await runJob(agent, String(reply.next), {});
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await sql('SELECT COUNT(*) AS n, COUNT(DISTINCT line) AS distinctLines FROM oc_rv_log')).toEqual([{ n: String(ROWS), distinctLines: String(ROWS) }]);
  });
});

describe('what held up', () => {
  it('tables referenced ON DELETE CASCADE from outside the restore lose no row through a restore that drops rows, nor through its undo', async () => {
    forgetUndo();
    await sql([
      'CREATE TABLE oc_rv_cat (id int NOT NULL PRIMARY KEY, name varchar(32) NOT NULL) ENGINE=InnoDB',
      'CREATE TABLE oc_rv_cat_link (id int NOT NULL PRIMARY KEY, cat_id int NOT NULL, CONSTRAINT fk_rv_link_cat FOREIGN KEY (cat_id) REFERENCES oc_rv_cat (id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB',
      "INSERT INTO oc_rv_cat SELECT seq, CONCAT('cat ', seq) FROM seq_1_to_10",
      'INSERT INTO oc_rv_cat_link SELECT seq, 1 + seq % 10 FROM seq_1_to_100',
    ]);
    for (const file of [
      "TRUNCATE TABLE `oc_rv_cat`;\nINSERT INTO `oc_rv_cat` VALUES (1, 'only one');\n",
      "DROP TABLE IF EXISTS `oc_rv_cat`;\nCREATE TABLE `oc_rv_cat` (`id` int NOT NULL, `name` varchar(32) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;\nINSERT INTO `oc_rv_cat` VALUES (1, 'only one');\n",
    ]) {
      const reply = await restore('cat.sql', file);
      expect(reply.success, String(reply.error)).toBeTruthy();
      expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_cat')).toEqual([{ n: '1' }]);
      expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_cat_link')).toEqual([{ n: '100' }]);
      expect(await foreignKeysOf('oc_rv_cat_link')).toEqual(['fk_rv_link_cat -> oc_rv_cat CASCADE']);
      const undo = await post(link('tool/backup.undo'));
      expect(undo.success, JSON.stringify(undo)).toBeTruthy();
      expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_cat')).toEqual([{ n: '10' }]);
      expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_cat_link')).toEqual([{ n: '100' }]);
      expect(await foreignKeysOf('oc_rv_cat_link')).toEqual(['fk_rv_link_cat -> oc_rv_cat CASCADE']);
    }
  });

  it('table names with a space, a backtick and 64 characters restore twice and undo (reserved names shortened by hash)', async () => {
    await restoresTwiceAndUndoes(['oc_rv a b', 'oc_rv`tick', 'oc_' + 'l'.repeat(61)]);
  });

  /** Full dump of each table, restored twice (the second over the first's kept tables), then undone once. */
  async function restoresTwiceAndUndoes(names: string[]): Promise<void> {
    forgetUndo();
    const q = (name: string): string => '`' + name.replace(/`/g, '``') + '`';
    await sql(names.flatMap((name) => [`CREATE TABLE ${q(name)} (id int NOT NULL PRIMARY KEY, v varchar(16) NOT NULL) ENGINE=InnoDB`, `INSERT INTO ${q(name)} VALUES (1, 'live')`]));
    const file = names.map((name) => `DROP TABLE IF EXISTS ${q(name)};\nCREATE TABLE ${q(name)} (id int NOT NULL, v varchar(16) NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;\nINSERT INTO ${q(name)} VALUES (1, 'file'), (2, 'file');\n`).join('');
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await restore('names.sql', file);
      expect(reply.success, String(reply.error)).toBeTruthy();
      for (const name of names) expect(await sql(`SELECT COUNT(*) AS n FROM ${q(name)} WHERE v = 'file'`)).toEqual([{ n: '2' }]);
    }
    const undo = await post(link('tool/backup.undo'));
    expect(undo.success, JSON.stringify(undo)).toBeTruthy();
    for (const name of names) expect(await sql(`SELECT COUNT(*) AS n FROM ${q(name)} WHERE v = 'file'`)).toEqual([{ n: '2' }]);
    expect((await tableNames(database.name)).filter((name) => name.startsWith('_bkr_n_'))).toEqual([]);
  }

  it('a full dump keeps its AUTO_INCREMENT; a file that drops and creates the same table twice ends with the last definition and rows', async () => {
    forgetUndo();
    await sql(['CREATE TABLE oc_rv_order (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, total int NOT NULL) ENGINE=InnoDB', 'INSERT INTO oc_rv_order (total) SELECT seq FROM seq_1_to_5']);
    const reply = await restore(
      'order.sql',
      [
        'DROP TABLE IF EXISTS `oc_rv_order`;',
        'CREATE TABLE `oc_rv_order` (`id` int NOT NULL AUTO_INCREMENT, `total` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;',
        'INSERT INTO `oc_rv_order` VALUES (1, 1);',
        'TRUNCATE TABLE `oc_rv_order`;',
        'INSERT INTO `oc_rv_order` VALUES (2, 2);',
        'DROP TABLE `oc_rv_order`;',
        'CREATE TABLE `oc_rv_order` (`id` int NOT NULL AUTO_INCREMENT, `total` int NOT NULL, `note` varchar(8) NOT NULL DEFAULT \'\', PRIMARY KEY (`id`)) ENGINE=InnoDB AUTO_INCREMENT=500;',
        "INSERT INTO `oc_rv_order` VALUES (7, 7, 'last');",
        '',
      ].join('\n'),
    );
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await sql('SELECT * FROM oc_rv_order')).toEqual([{ id: 7, total: 7, note: 'last' }]);
    await sql('INSERT INTO oc_rv_order (total) VALUES (8)');
    expect(await sql('SELECT MAX(id) AS id FROM oc_rv_order')).toEqual([{ id: 500 }]);
  });
});

describe('table names outside ASCII', () => {
  it('a table named with non-ASCII letters (oc_rv_ünïcødé) restores: its shadow name reaches the server as UTF-8', async () => {
    forgetUndo();
    const name = 'oc_rv_ünïcødé';
    await sql([`CREATE TABLE \`${name}\` (id int NOT NULL PRIMARY KEY, v varchar(16) NOT NULL) ENGINE=InnoDB`, `INSERT INTO \`${name}\` VALUES (1, 'live')`]);
    const reply = await restore('unicode.sql', `TRUNCATE TABLE \`${name}\`;\nINSERT INTO \`${name}\` VALUES (1, 'file'), (2, 'file');\n`);
    expect(reply.success, String(reply.error)).toBeTruthy();
    expect(await sql(`SELECT COUNT(*) AS n FROM \`${name}\` WHERE v = 'file'`)).toEqual([{ n: '2' }]);
  });
});

describe('an undo that stops half way', () => {
  it('the undo record keeps what to put back: the next Undo puts it back, then undoes the restore with its trigger and keys', async () => {
    forgetUndo();
    await sql([
      'CREATE TABLE oc_rv_undo (id int NOT NULL PRIMARY KEY, v int NOT NULL DEFAULT 0) ENGINE=InnoDB',
      'CREATE TABLE oc_rv_undo_ref (id int NOT NULL PRIMARY KEY, undo_id int, CONSTRAINT fk_rv_undo FOREIGN KEY (undo_id) REFERENCES oc_rv_undo (id)) ENGINE=InnoDB',
      'INSERT INTO oc_rv_undo SELECT seq, seq FROM seq_1_to_10',
      'INSERT INTO oc_rv_undo_ref VALUES (1, 1)',
      'CREATE TRIGGER oc_rv_undo_v BEFORE UPDATE ON oc_rv_undo FOR EACH ROW SET NEW.v = NEW.v',
    ]);
    const restored = await restore('undo-half.sql', 'TRUNCATE TABLE `oc_rv_undo`;\nINSERT INTO `oc_rv_undo` VALUES (1, 100), (2, 200);\n');
    expect(restored.success, String(restored.error)).toBeTruthy();
    const undoFile = path.join(test.backupDir, UNDO_FILE);
    const record = JSON.parse(readFileSync(undoFile, 'utf8')) as UndoRecord;

    // The undo's connection is lost right after its RENAME, as it starts putting the trigger back.
    const connection = await connect(database.name);
    const failing: Sql = {
      query: async (text, values) => {
        if (/^CREATE\b.*\bTRIGGER\b/s.test(text)) throw Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
        return (await connection.query(text, values as never)) as [unknown, unknown];
      },
    };
    await expect(undoRestore(failing, record, undoFile)).rejects.toThrow('Connection lost');
    await connection.end();
    expect((JSON.parse(readFileSync(undoFile, 'utf8')) as UndoRecord).undoing, 'the record says an undo is half done').toBeTruthy();

    const undo = await post(link('tool/backup.undo'));
    expect(undo.success, JSON.stringify(undo)).toBeTruthy();
    expect(await sql('SELECT COUNT(*) AS n, SUM(v) AS total FROM oc_rv_undo')).toEqual([{ n: '10', total: '55' }]);
    expect(await triggerNames('oc_rv_undo')).toEqual(['oc_rv_undo_v']);
    expect(await foreignKeysOf('oc_rv_undo_ref')).toEqual(['fk_rv_undo -> oc_rv_undo NO ACTION']);
    expect((await tableNames(database.name)).filter((name) => name.startsWith('_bkr_') && name !== '_bkr_state' && !name.startsWith('_bkr_l_'))).toEqual([]);
  });
});

describe('another server process on the same database', () => {
  it('with its own storage folder, its housekeeping leaves alone a restore whose server restarted a moment ago', async () => {
    forgetUndo();
    await sql(['CREATE TABLE oc_rv_shared (id int NOT NULL PRIMARY KEY, body varchar(64) NOT NULL) ENGINE=InnoDB', "INSERT INTO oc_rv_shared SELECT seq, 'old' FROM seq_1_to_10"]);
    const rows: string[] = [];
    for (let i = 1; i <= 60_000; i++) rows.push(`(${i}, 'restored row ${i}')`);
    const file = 'TRUNCATE TABLE `oc_rv_shared`;\n' + rows.map((row) => `INSERT INTO \`oc_rv_shared\` VALUES ${row};`).join('\n') + '\n';
    writeFileSync(path.join(test.backupDir, 'shared.sql'), file);
    const reply = await post(restoreUrl('shared.sql'));
    expect(reply.next, JSON.stringify(reply)).toBeTruthy();
    const shadows = async () => (await tableNames(database.name)).filter((name) => name.startsWith('_bkr_n_'));
    expect(await shadows()).toEqual(['_bkr_n_oc_rv_shared']);
    // The restore's server stops (the restore can be continued after its restart) ...
    const storage = test.storage;
    await test.close(true);
    // ... and a second process starts meanwhile (its housekeeping runs at once), with a storage folder that has no
    // state file of that restore: the restore's state row in the database says it is recent.
    const other = await startTestApp(database.name);
    await other.close();
    expect(await shadows()).toEqual(['_bkr_n_oc_rv_shared']);
    test = await startTestApp(database.name, { backup: { requestBudgetMs: 40 } }, storage);
    agent = agentWithCookie(test.app, admin.cookie);
    const done = await runJob(agent, String(reply.next), {});
    expect(done.success, String(done.error)).toBeTruthy();
    expect(await sql('SELECT COUNT(*) AS n FROM oc_rv_shared')).toEqual([{ n: '60000' }]);
  });
});

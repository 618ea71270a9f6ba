// `npm run bench [-- --scale N] [-- --quick]`: our backup and restore through the page's HTTP protocol against mariadb-dump and the mariadb client, in one run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, createReadStream, mkdtempSync, readdirSync, statSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { createHash } from 'node:crypto';
import { createDemoShop } from '../system/demo/generator.ts';
import { AdminClient } from '../test/helpers/http-client.ts';

const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
// Scale 2000 is about 1.1 GB of dump text; --quick is about 25 MB.
const scale = flag('--quick') ? 50 : option('--scale', 2000);
const port = option('--port', 8391);
const database = `bench_shop_${scale}`;
const host = '127.0.0.1';

async function connect(db?: string) {
  return mysql.createConnection({ host, user: 'root', password: '', database: db, multipleStatements: true });
}

async function ensureBenchDatabase(): Promise<void> {
  const c = await connect();
  const [rows] = await c.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  if ((rows as unknown[]).length && !flag('--rebuild')) {
    console.log(`Using the existing database ${database} (--rebuild to make it again).`);
    await c.end();
    return;
  }
  await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await c.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await c.query(`USE \`${database}\``);
  const started = Date.now();
  const summary = await createDemoShop(c, { prefix: 'oc_', scale });
  await c.query('SELECT 1');
  console.log(`Built ${database}: ${summary.tables} tables, ${summary.rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  await c.end();
}

function run(command: string, argv: string[], options: { stdin?: string; stdout?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: [options.stdin ? 'pipe' : 'ignore', options.stdout ? 'pipe' : 'ignore', 'inherit'] });
    if (options.stdin) createReadStream(options.stdin).pipe(child.stdin!);
    if (options.stdout) child.stdout!.pipe(createWriteStream(options.stdout));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`${command} exited with ${code}`))));
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

/** Peak resident memory of the server while `work` runs, sampled every 50 ms from /proc. */
async function withPeakRss<T>(pid: number, work: () => Promise<T>): Promise<{ peakMb: number; result: T }> {
  let peak = 0;
  const sample = () => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peak = Math.max(peak, Number(match[1]) / 1024);
    } catch {
      // The process may be between samples of exiting; the last reading stands.
    }
  };
  const timer = setInterval(sample, 50);
  sample();
  try {
    const result = await work();
    sample();
    return { peakMb: peak, result };
  } finally {
    clearInterval(timer);
  }
}

async function startServer(storage: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_DIR, 'system/server.ts')], {
    env: { ...process.env, DB_DATABASE: database, DIR_STORAGE: storage, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: PROJECT_DIR,
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('Backup & Restore admin') && resolve());
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return child;
}

async function pageTables(client: AdminClient): Promise<string[]> {
  const page = await (await client.request(`index.php?route=tool/backup&user_token=${client.token}`)).text();
  return [...page.matchAll(/name="backup\[\]" value="([^"]+)"/g)].map((m) => m[1]);
}

/** The rows of a backup file without its header and footer (which hold times): equal bodies mean equal data. */
function bodyDigest(file: string): string {
  const text = readFileSync(file);
  const start = text.indexOf('\n-- Table ');
  const end = text.lastIndexOf('\n-- Backup completed');
  return createHash('sha256').update(text.subarray(start, end)).digest('hex');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Issue 6's load: a backup runs while 20 clients make 200 requests (history, page, download) in all. Every answer must be
 * right, none may wait long, the backup must come out the same, and the server's memory must stay flat.
 */
async function loadPhase(client: AdminClient, form: URLSearchParams, server: ChildProcess, storage: string, reference: string): Promise<void> {
  const sample = path.join(storage, 'backup', 'load-sample.sql');
  writeFileSync(sample, readFileSync(reference).subarray(0, 5 * 1024 * 1024));
  const sampleBytes = statSync(sample).size;
  const before = new Set(readdirSync(path.join(storage, 'backup')));
  const latencies: number[] = [];
  let wrong = 0;
  const kinds = [
    async (c: AdminClient) => (await c.request(`index.php?route=tool/backup.history&user_token=${c.token}`)).text().then((t) => t.includes('load-sample.sql')),
    async (c: AdminClient) => (await c.request(`index.php?route=tool/backup&user_token=${c.token}`)).text().then((t) => t.includes('id="button-backup"')),
    async (c: AdminClient) => (await c.request(`index.php?route=tool/backup.download&user_token=${c.token}&filename=load-sample.sql`)).arrayBuffer().then((b) => b.byteLength === sampleBytes),
  ];
  const clients = await Promise.all(Array.from({ length: 20 }, async () => {
    const c = new AdminClient(client.base);
    await c.login('admin', 'admin');
    return c;
  }));
  const load = withPeakRss(server.pid!, async () => {
    const backup = timed(() => client.job(`index.php?route=tool/backup.backup&user_token=${client.token}`, form));
    await Promise.all(clients.map(async (c, index) => {
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        const ok = await kinds[(index + i) % kinds.length](c).catch(() => false);
        latencies.push(Date.now() - started);
        if (!ok) wrong++;
      }
    }));
    return backup;
  });
  const { peakMb, result: backupPromise } = await load;
  const backup = await backupPromise;
  const made = readdirSync(path.join(storage, 'backup')).find((name) => !before.has(name) && name.endsWith('.sql')) as string;
  const same = bodyDigest(path.join(storage, 'backup', made)) === bodyDigest(reference);
  console.log('LOAD: backup while 20 clients make 200 requests (history, page, 5 MB download)');
  console.log(`requests ${latencies.length}, wrong answers ${wrong}, latency p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${Math.max(...latencies)} ms`);
  console.log(`backup under load ${fmt(backup.seconds)} s in ${backup.result.requests} requests, ${backup.result.reply.success ? 'succeeded' : 'FAILED: ' + String(backup.result.reply.error)}; same rows as without load: ${same ? 'yes' : 'NO'}; peak RSS ${fmt(peakMb, 0)} MB\n`);
  rmSync(path.join(storage, 'backup', made));
  rmSync(sample);
}

function fmt(value: number, digits = 2): string {
  return value.toFixed(digits);
}

async function main(): Promise<void> {
  await ensureBenchDatabase();
  const storage = mkdtempSync(path.join(os.tmpdir(), 'bench-storage-'));
  const server = await startServer(storage);
  const client = new AdminClient(`http://${host}:${port}/admin/`);
  try {
    await client.login('admin', 'admin');
    const tables = await pageTables(client);
    const c = await connect(database);
    const [countRows] = await c.query(tables.map((t) => `SELECT COUNT(*) AS n FROM \`${t}\``).join(' UNION ALL '));
    const rows = (countRows as Array<{ n: number }>).reduce((sum, row) => sum + Number(row.n), 0);
    await c.end();
    console.log(`\n${tables.length} tables, ${rows.toLocaleString('en')} rows (scale ${scale}).\n`);

    // Backup: ours through HTTP, then mariadb-dump on the same tables.
    const form = new URLSearchParams();
    for (const table of tables) form.append('backup[]', table);
    const ours = await withPeakRss(server.pid!, () => timed(() => client.job(`index.php?route=tool/backup.backup&user_token=${client.token}`, form)));
    if (!ours.result.result.reply.success) throw new Error(`our backup failed: ${String(ours.result.result.reply.error)}`);
    const backupName = readdirSync(path.join(storage, 'backup')).find((name) => name.endsWith('.sql')) as string;
    const ourFile = path.join(storage, 'backup', backupName);
    const ourBytes = statSync(ourFile).size;
    const dumpFile = path.join(storage, 'backup', 'mariadb-dump.sql');
    const dump = await timed(() => run('mariadb-dump', ['-h', host, '-u', 'root', '--single-transaction', '--quick', database, ...tables], { stdout: dumpFile }));
    const dumpBytes = statSync(dumpFile).size;

    const mb = (bytes: number) => bytes / 1024 / 1024;
    console.log('BACKUP                     seconds   rows/s      MB/s   file MB  requests  peak RSS MB');
    console.log(`ours (HTTP, as the page)  ${fmt(ours.result.seconds).padStart(8)} ${fmt(rows / ours.result.seconds, 0).padStart(8)} ${fmt(mb(ourBytes) / ours.result.seconds).padStart(9)} ${fmt(mb(ourBytes), 1).padStart(9)} ${String(ours.result.result.requests).padStart(9)} ${fmt(ours.peakMb, 0).padStart(12)}`);
    console.log(`mariadb-dump              ${fmt(dump.seconds).padStart(8)} ${fmt(rows / dump.seconds, 0).padStart(8)} ${fmt(mb(dumpBytes) / dump.seconds).padStart(9)} ${fmt(mb(dumpBytes), 1).padStart(9)}`);
    console.log(`ratio ours / mariadb-dump: ${fmt(ours.result.seconds / dump.seconds)}\n`);

    await loadPhase(client, form, server, storage, ourFile);

    if (flag('--backup-only')) return;

    // Restore: the mariadb client into a fresh database, then ours through HTTP into the shop database, for both files.
    console.log('RESTORE                          seconds   rows/s  requests  peak RSS MB');
    for (const [label, file] of [['our backup file', ourFile], ['mariadb-dump file', dumpFile]] as const) {
      const fresh = `${database}_client`;
      const admin = await connect();
      await admin.query(`DROP DATABASE IF EXISTS \`${fresh}\`; CREATE DATABASE \`${fresh}\` CHARACTER SET utf8mb4`);
      const client2 = await timed(() => run('mariadb', ['-h', host, '-u', 'root', fresh], { stdin: file }));
      await admin.query(`DROP DATABASE IF EXISTS \`${fresh}\``);
      await admin.end();
      const restore = await withPeakRss(server.pid!, () =>
        timed(() => client.job(`index.php?route=tool/backup.restore&user_token=${client.token}&filename=${encodeURIComponent(path.basename(file))}`, new URLSearchParams())),
      );
      if (!restore.result.result.reply.success) throw new Error(`our restore of the ${label} failed: ${String(restore.result.result.reply.error)}`);
      console.log(`${label.padEnd(18)} mariadb  ${fmt(client2.seconds).padStart(8)} ${fmt(rows / client2.seconds, 0).padStart(8)}`);
      console.log(`${label.padEnd(18)} ours     ${fmt(restore.result.seconds).padStart(8)} ${fmt(rows / restore.result.seconds, 0).padStart(8)} ${String(restore.result.result.requests).padStart(9)} ${fmt(restore.peakMb, 0).padStart(12)}`);
      console.log(`ratio ours / mariadb client: ${fmt(restore.result.seconds / client2.seconds)}\n`);
    }
  } finally {
    server.kill('SIGTERM');
    rmSync(storage, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

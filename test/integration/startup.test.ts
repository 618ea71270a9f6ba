// `npm start` fails fast: a missing database, an unreachable MariaDB or a taken port is one line that says what to do,
// a non-zero exit within seconds and no stack trace; a correct configuration still starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, createUsers, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, PROJECT_DIR, type TestDatabase } from '../helpers/database.ts';

/** What `npm start` runs (package.json: `tsx system/server.ts`). */
const TSX = path.join(PROJECT_DIR, 'node_modules', '.bin', 'tsx');
const LIMIT_MS = 15_000;

let storage: string;
let database: TestDatabase;

beforeAll(async () => {
  storage = mkdtempSync(path.join(os.tmpdir(), 'backup-startup-'));
  database = await createTestDatabase('startup');
  await createUsers(database.name);
});

afterAll(async () => {
  await database?.drop();
  if (storage) rmSync(storage, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment without any setting of this module's, so only `env` configures the server. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DB_|OPENCART_CONFIG$|PORT$|HTTP_SERVER$|DIR_STORAGE$|BACKUP_|SESSION_|ADMIN_LANGUAGE$)/.test(key)) env[key] = value;
  }
  return { ...env, DIR_STORAGE: storage, DB_HOSTNAME: DB_HOST, DB_PORT: String(DB_PORT), DB_USERNAME: DB_USER, DB_PASSWORD };
}

/** Starts the server; resolves when it exits, or when `until` matches its output (then it is stopped). */
function start(env: Record<string, string | undefined>, until?: RegExp): Promise<Run> {
  const began = Date.now();
  const child = spawn(TSX, ['system/server.ts'], { cwd: PROJECT_DIR, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // A server that does not fail fast is stopped, and the test then fails on the exit code and the time.
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS + 5000);
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (until?.test(stdout)) child.kill('SIGTERM');
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - began });
    });
  });
}

/** A port nothing listens on: taken from the system, then let go. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function expectOneLineFailure(run: Run, message: string): void {
  expect(run.code).not.toBe(0);
  expect(run.code).not.toBeNull();
  expect(run.ms).toBeLessThan(LIMIT_MS);
  expect(run.stderr.trim()).toBe(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stdout).not.toContain('listening');
}

describe('npm start fails fast', () => {
  it('DB_DATABASE naming a database that does not exist', async () => {
    const run = await start({ DB_DATABASE: 'no_such_shop_db', PORT: String(await freePort()) });
    expectOneLineFailure(run, `Database "no_such_shop_db" does not exist on ${DB_HOST}:${DB_PORT}: create it or set DB_DATABASE`);
  });

  it('OPENCART_CONFIG naming a database that does not exist (no demo is made for it)', async () => {
    const file = path.join(storage, 'config.php');
    writeFileSync(
      file,
      `<?php\ndefine('DB_DRIVER', 'mysqli');\ndefine('DB_HOSTNAME', '${DB_HOST}');\ndefine('DB_USERNAME', '${DB_USER}');\ndefine('DB_PASSWORD', '${DB_PASSWORD}');\n` +
        `define('DB_DATABASE', 'no_such_opencart_db');\ndefine('DB_PORT', '${DB_PORT}');\ndefine('DB_PREFIX', 'oc_');\ndefine('HTTP_SERVER', 'http://shop.test/admin/');\n`,
    );
    // The file, not the environment, says where the database is (spawn leaves out variables set to undefined).
    const fromFile = { DB_HOSTNAME: undefined, DB_PORT: undefined, DB_USERNAME: undefined, DB_PASSWORD: undefined };
    const run = await start({ ...fromFile, OPENCART_CONFIG: file, PORT: String(await freePort()) });
    expectOneLineFailure(
      run,
      `Database "no_such_opencart_db" does not exist on ${DB_HOST}:${DB_PORT}: create it or correct DB_DATABASE in ${file} (or set it in the environment)`,
    );
  });

  it('MariaDB not reachable on the configured port, with or without the demo', async () => {
    const dbPort = await freePort();
    for (const env of [{ DB_DATABASE: database.name }, { DB_DATABASE: undefined }]) {
      const run = await start({ ...env, DB_PORT: String(dbPort), PORT: String(await freePort()) });
      expectOneLineFailure(run, `Cannot reach MariaDB on ${DB_HOST}:${dbPort} (connection refused): start it or set DB_HOSTNAME and DB_PORT`);
    }
  });

  it('the port taken by another server', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = await start({ DB_DATABASE: database.name, PORT: String(port) });
      expectOneLineFailure(run, `Port ${port} is in use: stop the other server or set PORT`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('a correct configuration still starts and listens', async () => {
    const port = await freePort();
    const run = await start({ DB_DATABASE: database.name, PORT: String(port) }, /listening on/);
    expect(run.stdout).toContain(`listening on 127.0.0.1:${port}`);
    expect(run.stderr).toBe('');
  });
});

// A real OpenCart 4.0.2.3 admin (PHP, from ../shared/opencart/host.sh) behind nginx configured with the project's own
// system/config/nginx-opencart.conf, for the end-to-end test of the module inside a shop. Nothing of ../shared is copied.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as connectTcp } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findShared, PROJECT_DIR, connect } from './database.ts';

const run = promisify(execFile);

/** OPENCART_HOST_SCRIPT if set; else `../shared/opencart/host.sh` beside the checkout (or the repository it was cloned from). */
export const HOST_SCRIPT = process.env.OPENCART_HOST_SCRIPT ? path.resolve(process.env.OPENCART_HOST_SCRIPT) : findShared(path.join('opencart', 'host.sh'));
export const NGINX_SNIPPET = path.join(PROJECT_DIR, 'system', 'config', 'nginx-opencart.conf');

/** The host script, or a failure that names where it was looked for. */
export function requireHostScript(): string {
  if (!existsSync(HOST_SCRIPT)) {
    throw new Error(
      `This test needs the OpenCart 4.0.2.3 host script at ${HOST_SCRIPT} (../shared/opencart beside the repository). ` +
        'It is not part of the repository; put the shared folder next to the checkout (or next to the repository it was cloned from), or set OPENCART_HOST_SCRIPT to its host.sh.',
    );
  }
  return HOST_SCRIPT;
}

/** nginx on PATH or in /usr/sbin, or a failure that says how to install it. */
export function requireNginx(): string {
  const found = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'nginx'))].find((file) => existsSync(file));
  if (!found) throw new Error('This test needs nginx (`apt-get install nginx`, as root; .ci/run does it). It runs its own nginx, never the system service.');
  return found;
}

/** A TCP port nothing listens on right now (the kernel's choice). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface OpenCartHost {
  dir: string;
  database: string;
  /** The admin/config.php that OPENCART_CONFIG names. */
  configFile: string;
  /** OpenCart's DIR_STORAGE (backups in backup/). */
  storage: string;
  phpPort: number;
  /** The port of the proxy in front (HTTP_SERVER of the install). */
  publicPort: number;
  /** Stops PHP, drops the database, removes the install. */
  down(): Promise<void>;
}

/** Installs OpenCart 4.0.2.3 on a throwaway database and starts PHP's server; HTTP_SERVER says http://127.0.0.1:<publicPort>/admin/. */
export async function startOpenCartHost(label: string, publicPort: number): Promise<OpenCartHost> {
  const script = requireHostScript();
  const dir = mkdtempSync(path.join(os.tmpdir(), `opencart-host-${label}-`));
  const database = `test_${label}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
  const phpPort = await freePort();
  const down = async () => {
    await run('bash', [script, 'down', dir]).catch(() => undefined);
    const c = await connect();
    await c.query(`DROP DATABASE IF EXISTS \`${database}\``).finally(() => c.end());
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('bash', [script, 'up', dir, String(phpPort), database], { env: { ...process.env, PUBLIC_PORT: String(publicPort) }, timeout: 600_000 });
  } catch (error) {
    await down();
    const failure = error as { stderr?: string; message: string };
    throw new Error(`${script} up failed: ${failure.stderr || failure.message}`);
  }
  return { dir, database, configFile: path.join(dir, 'www', 'admin', 'config.php'), storage: path.join(dir, 'storage'), phpPort, publicPort, down };
}

export interface Nginx {
  port: number;
  /** nginx's error log, for a failing test's message. */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * nginx as a child process of the test (never the system service), its pid, logs and temp files in a folder of its own:
 * the project's snippet with the module's port, and everything else to OpenCart's PHP, as a shop's server block would.
 */
export async function startNginx(options: { port: number; modulePort: number; phpPort: number }): Promise<Nginx> {
  const nginx = requireNginx();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opencart-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, sub));
  const snippet = readFileSync(NGINX_SNIPPET, 'utf8');
  if (!snippet.includes('127.0.0.1:8080')) throw new Error(`${NGINX_SNIPPET} no longer names the module at 127.0.0.1:8080`);
  writeFileSync(path.join(dir, 'backup.conf'), snippet.replaceAll('127.0.0.1:8080', `127.0.0.1:${options.modulePort}`));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    // As root, nginx's workers would become `nobody`, who cannot write the temp folders here.
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${options.port};
    include ${dir}/backup.conf;
    location / {
      proxy_pass http://127.0.0.1:${options.phpPort};
      proxy_set_header Host $http_host;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(nginx, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () => (existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : '') + stderr;
  try {
    await Promise.race([
      waitForPort(options.port, 15_000, 'nginx'),
      exited.then(() => Promise.reject(new Error(`nginx exited: ${errorLog()}`))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port: options.port,
    errorLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM: nginx's fast shutdown; the master waits for its worker.
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A cookie-keeping HTTP client for a server in another process (restart tests, benchmarks): logs in and chains `next` like the page.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_DIR } from './database.ts';

export class AdminClient {
  private cookie = '';
  token = '';

  constructor(readonly base: string) {}

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(new URL(url, this.base), { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: this.cookie } });
    const set = response.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    return response;
  }

  async login(username = 'admin', password = username): Promise<void> {
    const page = await (await this.request('index.php?route=common/login')).text();
    const action = (/action="([^"]+)"/.exec(page) as RegExpExecArray)[1].replace(/&amp;/g, '&');
    const reply = await (await this.request(action, { method: 'POST', body: new URLSearchParams({ username, password }) })).json();
    if (!reply.redirect) throw new Error(`login failed: ${JSON.stringify(reply)}`);
    this.token = new URL(reply.redirect, this.base).searchParams.get('user_token') as string;
  }

  /** Moves the session to a server on another base URL (the same storage, after a restart). */
  rebase(base: string): AdminClient {
    const client = new AdminClient(base);
    client.cookie = this.cookie;
    client.token = this.token;
    return client;
  }

  async post(url: string, form: URLSearchParams = new URLSearchParams()): Promise<Record<string, unknown>> {
    return (await this.request(url, { method: 'POST', body: form })).json();
  }

  /** Chains `next` exactly as the page's script does, re-posting the same form each time. */
  async job(first: string, form: URLSearchParams = new URLSearchParams()): Promise<{ requests: number; reply: Record<string, unknown> }> {
    let url: string | undefined = first;
    let requests = 0;
    while (url) {
      requests++;
      const reply = await this.post(url, form);
      if (reply.error || reply.success) return { requests, reply };
      url = reply.next as string;
    }
    throw new Error('job ended without success');
  }
}

export interface ServerProcess {
  child: ChildProcess;
  base: string;
}

/** `npm start`'s entry point in its own process, on a given database, storage folder and port. */
export async function startServerProcess(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_DIR, 'system/server.ts')], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: PROJECT_DIR,
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Backup & Restore admin')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    // TEST_LOG=1: the server's own log goes to the test's stderr.
    if (process.env.TEST_LOG) child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { child, base: `http://127.0.0.1:${port}/admin/` };
}

export async function killServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (server.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill(signal);
  });
}

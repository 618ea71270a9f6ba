// An admin app on a test database and a temporary storage folder, plus a signed-in supertest agent.
import { mkdtempSync, rmSync, mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createAdminApp, type AdminApp } from '../../admin/app.ts';
import { loadConfig, type HostConfigInput } from '../../system/library/config.ts';
import { DB_HOST, DB_PORT, DB_USER, DB_PASSWORD } from './database.ts';

export interface TestApp {
  app: express.Express;
  admin: AdminApp;
  storage: string;
  backupDir: string;
  /** Stops the app; the storage folder is removed unless kept (a restart test starts another app on it). */
  close(keepStorage?: boolean): Promise<void>;
}

/** `storage`: reuse a storage folder (to play a restart of the server); a new temporary one otherwise. */
export async function startTestApp(database: string, overrides: HostConfigInput = {}, storage?: string): Promise<TestApp> {
  const reused = storage !== undefined;
  storage ??= mkdtempSync(path.join(os.tmpdir(), 'backup-test-storage-'));
  mkdirSync(path.join(storage, 'backup'), { mode: 0o700, recursive: true });
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      db: { hostname: DB_HOST, port: DB_PORT, username: DB_USER, password: DB_PASSWORD, database, prefix: 'oc_', ...overrides.db },
      dirStorage: storage,
      backup: { requestBudgetMs: 300, ...overrides.backup },
    },
  });
  const admin = await createAdminApp({ config, log: process.env.TEST_LOG ? (m, d) => appendFileSync('/tmp/testlog', m + JSON.stringify(d) + '\n') : () => undefined });
  const app = express();
  app.use('/admin', admin.router);
  return {
    app,
    admin,
    storage,
    backupDir: path.join(storage, 'backup'),
    async close(keepStorage = reused) {
      await admin.close();
      if (!keepStorage) rmSync(storage as string, { recursive: true, force: true });
    },
  };
}

export interface SignedIn {
  agent: ReturnType<typeof request.agent>;
  token: string;
  /** `OCSESSID=...`, to carry the session to another app on the same storage (a restart). */
  cookie: string;
}

/** Logs in as OpenCart's page does: GET the form for its login_token, POST the credentials, keep OCSESSID. */
export async function signIn(app: express.Express, username: string, password = username): Promise<SignedIn> {
  const agent = request.agent(app);
  const page = await agent.get('/admin/index.php?route=common/login');
  const action = /action="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
  if (!action) throw new Error('login form has no action');
  const url = new URL(action, 'http://localhost');
  const reply = await agent.post(url.pathname + url.search).type('form').send({ username, password });
  if (!reply.body.redirect) throw new Error(`login failed: ${JSON.stringify(reply.body)}`);
  const token = new URL(reply.body.redirect, 'http://localhost').searchParams.get('user_token');
  if (!token) throw new Error('no user_token in redirect');
  const cookie = String(reply.headers['set-cookie'] ?? '').split(';')[0];
  return { agent, token, cookie };
}

/** Drives a paged job as the page's script does: POST the same form to each `next` until success or error. */
export async function runJob(
  agent: SignedIn['agent'],
  firstUrl: string,
  form: Record<string, string | string[]>,
  onReply: (reply: Record<string, unknown>) => void = () => undefined,
): Promise<Record<string, unknown>> {
  let url: string | undefined = firstUrl;
  for (let requests = 0; url && requests < 100000; requests++) {
    const target = url.startsWith('http') ? new URL(url, 'http://localhost') : new URL(url, 'http://x');
    const reply = await agent.post(target.pathname + target.search).type('form').send(encodeForm(form));
    const body = reply.body as Record<string, unknown>;
    onReply(body);
    if (body.error || body.success) return body;
    url = body.next as string | undefined;
  }
  throw new Error('job did not finish');
}

export function encodeForm(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  return params.toString();
}

/** An agent on `app` that carries an existing session cookie. */
export function agentWithCookie(app: express.Express, cookie: string): SignedIn['agent'] {
  return request.agent(app).set('Cookie', cookie);
}

/** supertest parser that keeps a download's bytes (application/octet-stream is not buffered as text). */
export function binaryParser(response: NodeJS.ReadableStream, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}

/** Puts `content` into the app's backup folder as `name` and restores it through the page's protocol; the last reply. */
export async function restoreFile(test: TestApp, who: SignedIn, name: string, content: string | Buffer): Promise<Record<string, unknown>> {
  writeFileSync(path.join(test.backupDir, name), content);
  return runJob(who.agent, `/admin/index.php?route=tool/backup.restore&user_token=${who.token}&filename=${encodeURIComponent(name)}`, {});
}

// `npm start`: the admin panel on a demo shop database (created on first start), at http://127.0.0.1:8080/admin/; with
// OPENCART_CONFIG, the module for a real OpenCart, behind the shop's web server.
import http from 'node:http';
import express from 'express';
import { loadConfig } from './library/config.ts';
import { createAdminApp } from '../admin/app.ts';
import { ensureDemoDatabase } from './demo/generator.ts';
import { checkDatabase, describeListenError, StartupError } from './library/startup-check.ts';

/** Takes the port, or fails with the operator's line; until `app` is set, requests get a 503. */
function listen(port: number, handler: () => express.Express | null): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const app = handler();
    if (app) return void app(req, res);
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('Starting\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      const line = describeListenError(error, port);
      reject(line ? new StartupError(line) : error);
    });
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const usingDemo = !process.env.OPENCART_CONFIG && !process.env.DB_DATABASE;
  // Before anything else: a wrong database setting or a taken port is one clear line now, not a server that answers
  // every request with an error, nor one found out only after the demo database was built. Only the demo may lack its
  // database, since it creates it.
  await checkDatabase(config, { openCartConfig: process.env.OPENCART_CONFIG, env: process.env }, !usingDemo);
  let app: express.Express | null = null;
  const server = await listen(config.port, () => app);
  if (usingDemo) {
    const created = await ensureDemoDatabase({
      host: config.db.hostname,
      port: config.db.port,
      user: config.db.username,
      password: config.db.password,
      database: config.db.database,
      prefix: config.db.prefix,
    });
    if (created) console.log(`Created the demo shop database "${config.db.database}".`);
  }
  const admin = await createAdminApp({ config });
  const ready = express();
  ready.disable('x-powered-by');
  // The admin at HTTP_SERVER's path (else /admin), the module's assets at BACKUP_ASSET_PATH when set (inside OpenCart:
  // /extension/backup/, see system/config/nginx-opencart.conf).
  admin.mount(ready);
  if (!config.httpServer) ready.get('/', (_req, res) => res.redirect('/admin/index.php?route=common/login'));
  app = ready;
  const base = config.httpServer || `http://127.0.0.1:${config.port}/admin/`;
  console.log(`Backup & Restore admin: ${base}index.php?route=${config.chrome === 'opencart' ? 'tool/backup' : 'common/login'} (listening on 127.0.0.1:${config.port})`);
  if (usingDemo) console.log('Demo login: admin / admin (the demo database is for trying the tool out; do not keep real data in it).');
  const stop = () => {
    server.close();
    void admin.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  // One line, never a stack: startup failures are the operator's to fix, and their message says how.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

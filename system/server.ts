// `npm start`: the admin panel on a demo shop database (created on first start), at http://127.0.0.1:8080/admin/; with
// OPENCART_CONFIG, the module for a real OpenCart, behind the shop's web server.
import express from 'express';
import { loadConfig } from './library/config.ts';
import { createAdminApp } from '../admin/app.ts';
import { ensureDemoDatabase } from './demo/generator.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const usingDemo = !process.env.OPENCART_CONFIG && !process.env.DB_DATABASE;
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
  const app = express();
  app.disable('x-powered-by');
  // The admin at HTTP_SERVER's path (else /admin), the module's assets at BACKUP_ASSET_PATH when set (inside OpenCart:
  // /extension/backup/, see system/config/nginx-opencart.conf).
  admin.mount(app);
  if (!config.httpServer) app.get('/', (_req, res) => res.redirect('/admin/index.php?route=common/login'));
  const server = app.listen(config.port, '127.0.0.1', () => {
    const base = config.httpServer || `http://127.0.0.1:${config.port}/admin/`;
    console.log(`Backup & Restore admin: ${base}index.php?route=${config.chrome === 'opencart' ? 'tool/backup' : 'common/login'} (listening on 127.0.0.1:${config.port})`);
    if (usingDemo) console.log('Demo login: admin / admin (the demo database is for trying the tool out; do not keep real data in it).');
  });
  const stop = () => {
    server.close();
    void admin.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

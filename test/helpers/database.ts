// Throwaway databases for tests: each test file makes its own, loads what it needs, and drops it at the end.
import { randomBytes } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import bcrypt from 'bcryptjs';
import { createDemoShop } from '../../system/demo/generator.ts';

export const DB_HOST = process.env.TEST_DB_HOSTNAME ?? '127.0.0.1';
export const DB_PORT = Number(process.env.TEST_DB_PORT ?? 3306);
export const DB_USER = process.env.TEST_DB_USERNAME ?? 'root';
export const DB_PASSWORD = process.env.TEST_DB_PASSWORD ?? '';

export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE_NAME = 'opencart-4.0.2.3-demo.sql';

/** The folder a clone was made from, when that is a local path: a clone in /tmp still finds ../shared beside it. */
function originCheckout(): string | null {
  try {
    const origin = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd: PROJECT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return path.isAbsolute(origin) ? origin : null;
  } catch {
    return null;
  }
}

/** `../shared/<relative>` beside the checkout, or beside the local repository it was cloned from; the first when neither exists. */
export function findShared(relative: string): string {
  const candidates = [PROJECT_DIR, originCheckout()].filter((dir): dir is string => dir !== null).map((dir) => path.resolve(dir, '..', 'shared', relative));
  return candidates.find((file) => existsSync(file)) ?? candidates[0];
}

/** OPENCART_FIXTURES if set; else `../shared/fixtures` beside the checkout, or beside the local repository it was cloned from. */
function findFixtureDump(): string {
  if (process.env.OPENCART_FIXTURES) return path.resolve(process.env.OPENCART_FIXTURES, FIXTURE_NAME);
  return findShared(path.join('fixtures', FIXTURE_NAME));
}

export const FIXTURE_DUMP = findFixtureDump();

/** The real OpenCart 4.0.2.3 dump that the round-trip tests need; fails loudly when the checkout lacks ../shared. */
export function requireFixtureDump(): string {
  if (!existsSync(FIXTURE_DUMP)) {
    throw new Error(
      `This test needs the OpenCart 4.0.2.3 demo dump at ${FIXTURE_DUMP} (../shared/fixtures beside the repository). ` +
        'It is not part of the repository; put the shared folder next to the checkout (or next to the repository it was cloned from), or set OPENCART_FIXTURES to its fixtures folder.',
    );
  }
  return FIXTURE_DUMP;
}

export async function connect(database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: DB_HOST,
    port: DB_PORT,
    user: DB_USER,
    password: DB_PASSWORD,
    database,
    charset: 'utf8mb4_general_ci',
    multipleStatements: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}

export interface TestDatabase {
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `test_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const connection = await connect();
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await connection.end();
  return {
    name,
    async drop() {
      const c = await connect();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** A throwaway database holding the demo shop (prefix oc_, scale 1): what the browser tests click through. */
export async function createDemoTestDatabase(label: string): Promise<TestDatabase> {
  const database = await createTestDatabase(label);
  const connection = await connect(database.name);
  try {
    await createDemoShop(connection, { prefix: 'oc_', scale: 1 });
  } finally {
    await connection.end();
  }
  return database;
}

/** Runs `mariadb <database> < file`, the reference client. */
export function runMariadbClient(database: string, file: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('mariadb', ['-h', DB_HOST, '-P', String(DB_PORT), '-u', DB_USER, ...(DB_PASSWORD ? [`-p${DB_PASSWORD}`] : []), database], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
    createReadStream(file).pipe(child.stdin);
  });
}

export async function loadDump(database: string, file: string): Promise<void> {
  const result = await runMariadbClient(database, file);
  if (result.code !== 0) throw new Error(`mariadb could not load ${file}: ${result.stderr}`);
}

/** The rows of one query on `database`, on a connection of its own. */
export async function queryRows(database: string, sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const c = await connect(database);
  try {
    const [result] = await c.query(sql, params);
    return result as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

/** CHECKSUM TABLE of each table, by name. */
export async function checksums(database: string, tables: string[]): Promise<Record<string, string>> {
  const connection = await connect(database);
  try {
    const result: Record<string, string> = {};
    for (const table of tables) {
      const [rows] = await connection.query(`CHECKSUM TABLE \`${table.replace(/`/g, '``')}\``);
      result[table] = String((rows as Array<{ Checksum: string | null }>)[0].Checksum);
    }
    return result;
  } finally {
    await connection.end();
  }
}

export async function tableNames(database: string): Promise<string[]> {
  const connection = await connect();
  try {
    const [rows] = await connection.query(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      [database],
    );
    return (rows as Array<{ name: string }>).map((row) => row.name);
  } finally {
    await connection.end();
  }
}

export function phpHash(password: string): string {
  return bcrypt.hashSync(password, 4).replace(/^\$2[ab]\$/, '$2y$');
}

/** OpenCart's user tables with an admin (access + modify tool/backup) and a viewer (access only), passwords = usernames. */
export async function createUsers(database: string, prefix = 'oc_'): Promise<void> {
  const connection = await connect(database);
  try {
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${prefix}user_group\` (user_group_id int(11) NOT NULL AUTO_INCREMENT, name varchar(64) NOT NULL, permission text NOT NULL, PRIMARY KEY (user_group_id)) DEFAULT CHARSET=utf8mb4`);
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${prefix}user\` (user_id int(11) NOT NULL AUTO_INCREMENT, user_group_id int(11) NOT NULL, username varchar(20) NOT NULL, password varchar(255) NOT NULL, firstname varchar(32) NOT NULL, lastname varchar(32) NOT NULL, email varchar(96) NOT NULL, image varchar(255) NOT NULL DEFAULT '', code varchar(40) NOT NULL DEFAULT '', ip varchar(40) NOT NULL DEFAULT '', status tinyint(1) NOT NULL, date_added datetime NOT NULL, PRIMARY KEY (user_id)) DEFAULT CHARSET=utf8mb4`);
    await connection.query(`CREATE TABLE IF NOT EXISTS \`${prefix}session\` (session_id varchar(32) NOT NULL, data text NOT NULL, expire datetime NOT NULL, PRIMARY KEY (session_id)) DEFAULT CHARSET=utf8mb4`);
    const full = JSON.stringify({ access: ['tool/backup', 'tool/log'], modify: ['tool/backup', 'tool/log'] });
    const viewOnly = JSON.stringify({ access: ['tool/backup'], modify: [] });
    const nothing = JSON.stringify({ access: ['tool/log'], modify: ['tool/log'] });
    await connection.query(`INSERT INTO \`${prefix}user_group\` (user_group_id, name, permission) VALUES (901, 'Test admins', ?), (902, 'Test viewers', ?), (903, 'Test others', ?)`, [full, viewOnly, nothing]);
    await connection.query(
      `INSERT INTO \`${prefix}user\` (user_group_id, username, password, firstname, lastname, email, status, date_added) VALUES
        (901, 'tester', ?, 'Test', 'Admin', 't@example.com', 1, NOW()),
        (902, 'viewer', ?, 'View', 'Only', 'v@example.com', 1, NOW()),
        (903, 'other', ?, 'No', 'Backup', 'o@example.com', 1, NOW()),
        (901, 'disabled', ?, 'Dis', 'Abled', 'd@example.com', 0, NOW())`,
      [phpHash('tester'), phpHash('viewer'), phpHash('other'), phpHash('disabled')],
    );
  } finally {
    await connection.end();
  }
}

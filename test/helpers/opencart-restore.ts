// OpenCart 4.0.2's line-based restore, re-implemented from SPEC §4 to prove our files stay restorable by it.
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import type mysql from 'mysql2/promise';

/**
 * Reads the file line by line; a statement starts on a line beginning with `TRUNCATE TABLE` or `INSERT INTO`
 * and ends on a line ending with `;\n`; every other line is skipped.
 */
export async function opencartLineRestore(connection: mysql.Connection, file: string): Promise<number> {
  const lines = readline.createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let statement = '';
  let executed = 0;
  for await (const line of lines) {
    if (!statement && !(line.startsWith('TRUNCATE TABLE') || line.startsWith('INSERT INTO'))) continue;
    statement += line + '\n';
    if (line.endsWith(';')) {
      await connection.query(statement.slice(0, -2));
      executed++;
      statement = '';
    }
  }
  return executed;
}

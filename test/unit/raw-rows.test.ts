// The packet-level row reader gives exactly the bytes mysql2's own parser gives, for every length encoding and NULL.
import { describe, expect, it } from 'vitest';
import mysql from 'mysql2';
import { streamRawRows, rawValue } from '../../system/library/backup/raw-rows.ts';
import { DB_HOST, DB_PORT, DB_USER, DB_PASSWORD } from '../helpers/database.ts';

const SQL = `SELECT NULL, '', 'a', REPEAT('x', 250), REPEAT('y', 251), REPEAT('z', 65535), REPEAT('w', 70000), 0x00FF1A5C27, 12345678901234567890, 1.5e300, TIMESTAMP'2024-02-29 12:34:56.123456'
             UNION ALL SELECT 'é😀', NULL, 'b', '', NULL, '', 'v', NULL, 0, -0.0, '2000-01-01'`;

describe('streamRawRows', () => {
  it('yields the same values as mysql2 with typeCast off, for short, 2-byte, 3-byte lengths and NULL', async () => {
    const connection = mysql.createConnection({ host: DB_HOST, port: DB_PORT, user: DB_USER, password: DB_PASSWORD, charset: 'utf8mb4_general_ci' });
    try {
      const expected = await new Promise<Array<Array<Buffer | null>>>((resolve, reject) =>
        connection.query({ sql: SQL, typeCast: false, rowsAsArray: true }, (error, rows) => (error ? reject(error) : resolve(rows as Array<Array<Buffer | null>>))),
      );
      const actual: Array<Array<Buffer | null>> = [];
      await streamRawRows(connection, SQL, 11, (row) => actual.push(Array.from({ length: 11 }, (_, i) => rawValue(row, i))));
      expect(actual).toEqual(expected);
      expect(actual[0][6]?.length).toBe(70000);
      expect(actual[1][1]).toBeNull();
    } finally {
      connection.end();
    }
  });

  it('rejects with the server error of a failing query', async () => {
    const connection = mysql.createConnection({ host: DB_HOST, port: DB_PORT, user: DB_USER, password: DB_PASSWORD });
    try {
      await expect(streamRawRows(connection, 'SELECT * FROM no_such_database.no_such_table', 1, () => undefined)).rejects.toThrow(/no_such/);
    } finally {
      connection.end();
    }
  });
});

// Streams a query's rows as byte ranges of mysql2's packets: no Buffer or array per value, which is most of the cost of a backup.
import type { Connection as CoreConnection } from 'mysql2';

/** One row of the text protocol: column i is `buffer[starts[i], ends[i])`, or NULL when starts[i] is -1. Valid only during the callback. */
export interface RawRow {
  buffer: Buffer;
  starts: Int32Array;
  ends: Int32Array;
}

interface Packet {
  buffer: Buffer;
  offset: number;
  end: number;
  isEOF(): boolean;
}

type State = (this: QueryInternals, packet: Packet, connection: unknown) => unknown;
interface QueryInternals {
  row: State;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

/**
 * Runs `sql` and calls `onRow` for each row with the byte ranges of its values.
 *
 * This replaces the row state of mysql2's Query command (mysql2 3.x: `Query#row`, reached through `this.row` after the
 * column definitions) with a parser of the text protocol's length-encoded strings; everything else (fields, EOF/OK,
 * errors, streaming back-pressure) stays mysql2's. test/unit/raw-rows.test.ts checks it against mysql2's own parsing.
 */
export function streamRawRows(connection: CoreConnection, sql: string, columnCount: number, onRow: (row: RawRow) => void): Promise<void> {
  const row: RawRow = { buffer: Buffer.alloc(0), starts: new Int32Array(columnCount), ends: new Int32Array(columnCount) };
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    const query = connection.query({ sql, rowsAsArray: true, typeCast: false }) as unknown as QueryInternals;
    const standardRow = Object.getPrototypeOf(query).row as State;
    const rawRow: State = function (this: QueryInternals, packet, conn) {
      if (packet.isEOF()) return standardRow.call(this, packet, conn);
      if (failure === null) {
        try {
          parseRow(packet, row, columnCount);
          onRow(row);
        } catch (error) {
          failure = error;
        }
      }
      return rawRow;
    };
    query.row = rawRow;
    query.on('error', (error) => {
      failure ??= error;
      reject(failure);
    });
    query.on('end', () => (failure ? reject(failure) : resolve()));
  });
}

// A text-protocol row is a sequence of length-encoded strings; 0xFB alone is NULL.
function parseRow(packet: Packet, row: RawRow, columnCount: number): void {
  const buffer = packet.buffer;
  let at = packet.offset;
  row.buffer = buffer;
  for (let i = 0; i < columnCount; i++) {
    const first = buffer[at++];
    let length: number;
    if (first < 0xfb) length = first;
    else if (first === 0xfb) {
      row.starts[i] = -1;
      row.ends[i] = -1;
      continue;
    } else if (first === 0xfc) {
      length = buffer[at] | (buffer[at + 1] << 8);
      at += 2;
    } else if (first === 0xfd) {
      length = buffer[at] | (buffer[at + 1] << 8) | (buffer[at + 2] << 16);
      at += 3;
    } else {
      length = buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 0x100000000;
      at += 8;
    }
    row.starts[i] = at;
    row.ends[i] = at + length;
    at += length;
  }
  if (at > packet.end) throw new Error('row packet shorter than its columns');
}

/** Copies column i of a row (null for NULL), for values that must outlive the callback. */
export function rawValue(row: RawRow, i: number): Buffer | null {
  return row.starts[i] < 0 ? null : Buffer.from(row.buffer.subarray(row.starts[i], row.ends[i]));
}

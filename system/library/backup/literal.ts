// Turns raw column bytes (mysql2 with typeCast off) into SQL literals, byte for byte, into a reusable buffer.

/** How a column's value is written. */
export type LiteralKind =
  /** digits as the server printed them: integers, DECIMAL, DOUBLE, FLOAT (selected as DOUBLE) */
  | 'number'
  /** binary strings, BIT and spatial values: `0x...` hex, so every byte value survives any client */
  | 'hex'
  /** character data (UTF-8 or latin1) and temporal values: quoted, with the mysql client's backslash escapes */
  | 'string'
  /**
   * text in another character set, e.g. `_cp1251`: its stored bytes as `_cp1251 0x...`, since some of its bytes (cp1251
   * 0x98, anything >= 0x80 in ascii, broken multibyte sequences) have no Unicode form to travel as
   */
  | `_${string}`;

const NUMBER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'double', 'float', 'real']);
const BINARY_TYPES = new Set([
  'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit',
  'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection',
]);

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
/** Character sets whose every stored byte sequence the connection's utf8mb4 carries both ways (MariaDB's latin1 maps all 256 bytes). */
const UNICODE_SAFE = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'latin1']);

/** Picks the literal kind from information_schema.COLUMNS (DATA_TYPE, CHARACTER_SET_NAME). */
export function literalKindOf(dataType: string, characterSet: string | null): LiteralKind {
  const type = dataType.toLowerCase();
  if (NUMBER_TYPES.has(type)) return 'number';
  if (BINARY_TYPES.has(type) || characterSet === 'binary') return 'hex';
  if (TEXT_TYPES.has(type) && characterSet && !UNICODE_SAFE.has(characterSet.toLowerCase())) return `_${characterSet.toLowerCase()}`;
  return 'string';
}

export function isIntroducedHex(kind: LiteralKind): kind is `_${string}` {
  return kind.charCodeAt(0) === 0x5f;
}

// The mysql client's escapes (mysql_real_escape_string): NUL, LF, CR, backslash, quotes and ^Z (0x1A, end of file on Windows).
// Escaping LF and CR also keeps every INSERT on one line, which OpenCart's line-based restore needs.
const ESCAPE = new Uint8Array(256);
ESCAPE[0x00] = 0x30; // \0
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[0x0d] = 0x72; // \r
ESCAPE[0x1a] = 0x5a; // \Z
ESCAPE[0x22] = 0x22; // \"
ESCAPE[0x27] = 0x27; // \'
ESCAPE[0x5c] = 0x5c; // \\

const HEX_DIGITS = Buffer.from('0123456789abcdef');
const NULL_BYTES = Buffer.from('NULL');

/** A growable byte buffer, reused across rows so encoding allocates nothing per value. */
export class SqlBuffer {
  bytes: Buffer;
  length = 0;

  constructor(initialSize = 2 * 1024 * 1024) {
    this.bytes = Buffer.allocUnsafe(initialSize);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  ascii(text: string): void {
    this.ensure(text.length);
    this.length += this.bytes.write(text, this.length, 'latin1');
  }

  utf8(text: string): void {
    const size = Buffer.byteLength(text);
    this.ensure(size);
    this.length += this.bytes.write(text, this.length, 'utf8');
  }

  raw(value: Buffer): void {
    this.copyRange(value, 0, value.length);
  }

  /** Appends one value as a literal of the given kind; null is SQL NULL. */
  literal(value: Buffer | null, kind: LiteralKind): void {
    if (value === null) return this.raw(NULL_BYTES);
    this.literalRange(value, 0, value.length, kind);
  }

  /** Appends `source[start, end)` as a literal; a start of -1 is SQL NULL. */
  literalRange(source: Buffer, start: number, end: number, kind: LiteralKind): void {
    if (start < 0) return this.raw(NULL_BYTES);
    if (kind === 'number') return this.copyRange(source, start, end);
    if (kind === 'hex') return this.hexRange(source, start, end);
    if (isIntroducedHex(kind) && start < end) {
      this.ascii(kind + ' ');
      return this.hexRange(source, start, end);
    }
    this.quotedRange(source, start, end);
  }

  private copyRange(source: Buffer, start: number, end: number): void {
    const size = end - start;
    this.ensure(size);
    // Most values are a few bytes (ids, prices): a loop beats Buffer#copy's call overhead there.
    if (size < 48) {
      const out = this.bytes;
      let at = this.length;
      for (let i = start; i < end; i++) out[at++] = source[i];
      this.length = at;
      return;
    }
    source.copy(this.bytes, this.length, start, end);
    this.length += size;
  }

  private hexRange(source: Buffer, start: number, end: number): void {
    // An empty binary string has no hex form (0x is a syntax error): write ''.
    if (start === end) {
      this.ascii("''");
      return;
    }
    this.ensure(2 + (end - start) * 2);
    const out = this.bytes;
    let at = this.length;
    out[at++] = 0x30;
    out[at++] = 0x78;
    if (end - start > 64) {
      at += out.write(source.toString('hex', start, end), at, 'latin1');
    } else {
      for (let i = start; i < end; i++) {
        const byte = source[i];
        out[at++] = HEX_DIGITS[byte >> 4];
        out[at++] = HEX_DIGITS[byte & 15];
      }
    }
    this.length = at;
  }

  // Runs without special bytes are copied whole; only the bytes that need it get a backslash.
  private quotedRange(source: Buffer, start: number, end: number): void {
    this.ensure(2 + (end - start) * 2);
    const out = this.bytes;
    let at = this.length;
    out[at++] = 0x27;
    let run = start;
    for (let i = start; i < end; i++) {
      const escape = ESCAPE[source[i]];
      if (escape !== 0) {
        at = copyRun(source, run, i, out, at);
        out[at++] = 0x5c;
        out[at++] = escape;
        run = i + 1;
      }
    }
    at = copyRun(source, run, end, out, at);
    out[at++] = 0x27;
    this.length = at;
  }

  /** Takes the bytes written so far (a copy) and empties the buffer. */
  take(): Buffer {
    const taken = Buffer.from(this.bytes.subarray(0, this.length));
    this.length = 0;
    return taken;
  }

  clear(): void {
    this.length = 0;
  }

  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}

function copyRun(source: Buffer, start: number, end: number, out: Buffer, at: number): number {
  if (end - start < 32) {
    for (let i = start; i < end; i++) out[at++] = source[i];
    return at;
  }
  return at + source.copy(out, at, start, end);
}

/** One literal as a JS string, for building a query (e.g. a key cursor). */
export function literalText(value: Buffer | null, kind: LiteralKind): string {
  const buffer = new SqlBuffer(value ? value.length * 2 + 8 : 8);
  buffer.literal(value, kind);
  return buffer.view().toString('utf8');
}

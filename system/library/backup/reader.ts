// Streaming statement reader: splits a MySQL/MariaDB dump into statements with the restore's one tokenizer
// (sql-tokenizer.ts), without holding the file in memory, and hands each statement over with its tokens.
//
// Choices (kept in one place so that the restore and its tests agree):
// - Pull-based: next() reads up to the next delimiter with the lexer mode in force *now*, so a SET sql_mode of the dump
//   (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) applies to the statements after it, as it does for the mariadb client.
// - Bytes are copied into one growing window; a statement is a view of it (valid until the next call), so memory is the
//   largest statement plus one read chunk. A statement (or a comment between statements) longer than
//   `maxStatementBytes` (the server's max_allowed_packet) is refused with StatementTooLargeError while it is read.
// - Comments and blanks before a statement are skipped; a statement starts at its first token, or at an executable
//   comment that opens it. Between statements a line starting with `--` is a comment (OpenCart's `-----` rulers).
// - `DELIMITER x` at the start of a statement (case-insensitive, followed by a space or tab) is a client command: the
//   rest of its line is consumed, the delimiter changes, `onDelimiter` is called and nothing is yielded. Each statement
//   carries the delimiter that ended it and the line at its end, so that
//   { delimiter: s.delimiter, line: s.endLine, offset: s.end } is the state to resume right after it.
// - Empty statements (only whitespace/comments before a delimiter) are not yielded, like the client does.
// - A UTF-8 byte-order mark at offset 0 is skipped (offsets still count it: the first statement then starts at 3).
// - Truncation: when the input ends inside a statement (text after the last delimiter, an open quote, an open
//   executable comment) or inside a comment, every complete statement is yielded first and then a TruncatedDumpError is
//   thrown (the client would run a last statement without a delimiter; for a backup that is a cut-off file).
//   A bad DELIMITER line throws InvalidDelimiterError. Errors of the input stream itself (zlib's "unexpected end of
//   file" for a cut-off .gz, code Z_BUF_ERROR) pass through unchanged.

import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  Tokenizer,
  TokenList,
  DEFAULT_LEXER_MODE,
  TOKEN_WORD,
  STEP_TOKEN,
  STEP_BLANK,
  STEP_DELIMITER,
  STEP_MORE,
  STEP_EOF,
  isBlank,
  type LexerMode,
} from './sql-tokenizer.ts';

/** One statement of a dump, as the client would send it to the server. */
export interface SqlStatement {
  /** the statement's bytes, from its first significant byte up to (not including) the delimiter */
  sql: Buffer;
  /** byte offset (in the decompressed stream) of the statement's first byte */
  offset: number;
  /** byte offset just after the delimiter: where the next statement's scan starts */
  end: number;
  /** 1-based line number of the statement's first byte */
  line: number;
  /** 1-based line number at `end` (where the next scan starts) */
  endLine: number;
  /** the delimiter that ended this statement (latin1 view of its bytes) */
  delimiter: string;
}

/** A statement with its tokens (offsets relative to `sql`). Both are views, valid until the reader's next call. */
export interface ScannedStatement extends SqlStatement {
  tokens: TokenList;
}

/** Where a scan stands: enough to resume a restore at a statement boundary. */
export interface ReaderState {
  /** the delimiter in force (latin1 view of its bytes; `;` by default) */
  delimiter: string;
  /** 1-based line number at `offset` */
  line: number;
  /** byte offset in the (decompressed) stream */
  offset: number;
}

/** A `DELIMITER` client command seen by the reader. */
export interface DelimiterChange {
  delimiter: string;
  previous: string;
  /** line and offset of the DELIMITER command */
  line: number;
  offset: number;
  /** offset just after the command's line */
  end: number;
}

export interface ReadOptions {
  /** called for each DELIMITER command, in input order: after the statements before it were yielded, before the ones after it */
  onDelimiter?: (change: DelimiterChange) => void;
  /** lexer settings at the start (the restore changes them as the dump's SETs go by) */
  mode?: LexerMode;
  /** longest statement accepted (the server's max_allowed_packet); unlimited when absent */
  maxStatementBytes?: number;
}

/** Base class of the errors the reader itself raises about the dump's content. */
export class DumpParseError extends Error {
  /** 1-based line and byte offset where the offending text starts */
  readonly line: number;
  readonly offset: number;
  constructor(message: string, line: number, offset: number) {
    super(message);
    this.name = 'DumpParseError';
    this.line = line;
    this.offset = offset;
  }
}

/** The dump ends inside a statement, a quoted string or a comment: the file is most likely cut off. */
export class TruncatedDumpError extends DumpParseError {
  /** what was open at the end of the input */
  readonly reason: 'statement' | 'quote' | 'comment';
  /** the last clean statement boundary before the truncated text */
  readonly state: ReaderState;
  constructor(reason: 'statement' | 'quote' | 'comment', line: number, offset: number, state: ReaderState) {
    const what = reason === 'quote' ? 'inside a quoted string' : reason === 'comment' ? 'inside a comment' : 'inside a statement (no delimiter after it)';
    super(`The dump ends ${what} that starts at line ${line} (byte ${offset}); the file looks truncated`, line, offset);
    this.name = 'TruncatedDumpError';
    this.reason = reason;
    this.state = state;
  }
}

/** A DELIMITER command without a usable delimiter (missing, or containing a backslash). */
export class InvalidDelimiterError extends DumpParseError {
  constructor(message: string, line: number, offset: number) {
    super(message, line, offset);
    this.name = 'InvalidDelimiterError';
  }
}

/** A statement longer than the server accepts in one packet: refused before it is buffered whole. */
export class StatementTooLargeError extends DumpParseError {
  readonly limit: number;
  constructor(line: number, offset: number, limit: number) {
    super(`The statement at line ${line} is longer than ${limit} bytes, the most the server accepts (max_allowed_packet)`, line, offset);
    this.name = 'StatementTooLargeError';
    this.limit = limit;
  }
}

/** What {@link DumpReader.nextWithin} answers when its deadline passed between statements. */
export const READER_PAUSED: unique symbol = Symbol('reader paused');
/** Empty statements and comments skipped between two looks at the clock. */
const SKIPS_PER_CLOCK_CHECK = 4096;

/** Longest DELIMITER command line accepted (the client's delimiter itself is at most 15 bytes). */
const MAX_DELIMITER_LINE = 4096;
/** Bytes past an item the tokenizer may need to decide it (a delimiter, a comment's version, a DELIMITER line). */
const LOOKAHEAD_SLACK = MAX_DELIMITER_LINE;
const DELIMITER_WORD = Buffer.from('DELIMITER');
const EMPTY = Buffer.alloc(0);

type Chunk = Buffer | Uint8Array | string;

function toBuffer(chunk: Chunk): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Pulls statements out of a byte source, one at a time. */
export class DumpReader {
  readonly tokenizer: Tokenizer;
  private readonly source: AsyncIterator<Chunk> | Iterator<Chunk>;
  private buf: Buffer = Buffer.allocUnsafe(1 << 16);
  private len = 0;
  /** buf[0..len): the tokenizer searches this view, so native searches stop at the end of the data */
  private view: Buffer = EMPTY;
  /** absolute offset of buf[0] */
  private base: number;
  private pos = 0;
  private eof = false;
  private bomPending: boolean;
  // Lines are counted lazily, up to the positions whose line is needed.
  private line: number;
  private lineAbs: number;
  private delimiterText: string;
  private readonly tokens = new TokenList();
  private readonly onDelimiter?: (change: DelimiterChange) => void;
  private readonly maxStatementBytes: number;
  /** the last statement boundary (for TruncatedDumpError and for callers that stop) */
  private boundary: ReaderState;

  constructor(input: AsyncIterable<Chunk> | Iterable<Chunk> | Readable, start: Partial<ReaderState> = {}, options: ReadOptions = {}) {
    const iterable = input as AsyncIterable<Chunk> & Iterable<Chunk>;
    this.source = typeof iterable[Symbol.asyncIterator] === 'function' ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    this.tokenizer = new Tokenizer({ ...(options.mode ?? DEFAULT_LEXER_MODE) });
    this.base = start.offset ?? 0;
    this.line = start.line ?? 1;
    this.lineAbs = this.base;
    this.bomPending = this.base === 0;
    this.delimiterText = start.delimiter ?? ';';
    this.tokenizer.delimiter = Buffer.from(this.delimiterText, 'latin1');
    this.onDelimiter = options.onDelimiter;
    this.maxStatementBytes = options.maxStatementBytes ?? Infinity;
    // A token takes 10 bytes of arrays: at most one per 4 bytes of the limit keeps them within 2.5 times the limit. Real
    // dumps stay far below (mariadb-dump and this module write INSERTs of about 1 MB, a few bytes per token).
    this.tokens.limit = Math.floor(this.maxStatementBytes / 4);
    this.boundary = { delimiter: this.delimiterText, line: this.line, offset: this.base };
  }

  /** The lexer settings for the statements still to come. */
  get mode(): LexerMode {
    return this.tokenizer.mode;
  }

  /** Where the scan stands after the last statement or DELIMITER command handed out. */
  get state(): ReaderState {
    return { ...this.boundary };
  }

  /** Stops reading (closes a stream source). */
  async close(): Promise<void> {
    const source = this.source as AsyncIterator<Chunk>;
    if (typeof source.return === 'function') await source.return();
  }

  /** The next statement, or null at the end of the input. */
  async next(): Promise<ScannedStatement | null> {
    return (await this.scan(Infinity)) as ScannedStatement | null;
  }

  /**
   * The next statement, null at the end of the input, or READER_PAUSED when `deadline` (ms since epoch) passed while only
   * empty statements and comments went by (a file of millions of `;` would otherwise hold a request for minutes); `state`
   * is then a boundary to continue from.
   */
  async nextWithin(deadline: number): Promise<ScannedStatement | null | typeof READER_PAUSED> {
    return this.scan(deadline);
  }

  private async scan(deadline: number): Promise<ScannedStatement | null | typeof READER_PAUSED> {
    const tk = this.tokenizer;
    let skipped = 0;
    const tokens = this.tokens;
    tokens.reset();
    let inStatement = false;
    let statementStart = 0;
    let spaced = 0;
    for (;;) {
      if (this.bomPending) {
        if (this.len - this.pos < 3 && !this.eof) {
          await this.fill(this.pos);
          continue;
        }
        this.bomPending = false;
        const b = this.buf;
        if (this.len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pos = 3;
      }
      const b = this.view;
      const p = this.pos;
      const n = this.len;
      if (!inStatement && p < n) {
        const c = b[p];
        if (c === 0x2d) {
          if (n - p < 2 && !this.eof) {
            await this.more(p);
            continue;
          }
          if (b[p + 1] === 0x2d) {
            const step = tk.rulerComment(b, p, n, this.eof);
            if (step === STEP_MORE) {
              await this.more(p);
              continue;
            }
            this.pos = tk.end;
            if (++skipped % SKIPS_PER_CLOCK_CHECK === 0 && Date.now() >= deadline) {
              this.boundaryAt(this.pos);
              return READER_PAUSED;
            }
            continue;
          }
        } else if ((c === 0x44 || c === 0x64) && !tk.inExec) {
          const handled = this.delimiterCommand(p);
          if (handled === 'more') {
            await this.more(p);
            continue;
          }
          if (handled === 'done') continue;
        }
      }
      const wasExec = tk.inExec;
      const step = tk.step(b, p, n, this.eof);
      switch (step) {
        case STEP_MORE:
          statementStart -= await this.more(inStatement ? statementStart : p);
          continue;
        case STEP_EOF:
          if (inStatement) throw this.truncated('statement', statementStart);
          this.boundaryAt(p);
          return null;
        case STEP_BLANK:
          if (!inStatement && !wasExec && tk.inExec) {
            // An executable comment opens the statement.
            inStatement = true;
            statementStart = p;
          } else if (inStatement && tk.wasComment) tokens.comments++;
          spaced = 1;
          this.pos = tk.end;
          if (!inStatement && ++skipped % SKIPS_PER_CLOCK_CHECK === 0 && Date.now() >= deadline) {
            this.boundaryAt(this.pos);
            return READER_PAUSED;
          }
          continue;
        case STEP_DELIMITER:
          this.pos = tk.end;
          if (!inStatement) {
            this.boundaryAt(this.pos);
            if (++skipped % SKIPS_PER_CLOCK_CHECK === 0 && Date.now() >= deadline) return READER_PAUSED;
            continue;
          }
          return this.statement(statementStart, p, tk.end);
        case STEP_TOKEN:
          if (!inStatement) {
            inStatement = true;
            statementStart = p;
          }
          tokens.push(tk.kind, tk.start - statementStart, tk.end - statementStart, spaced);
          spaced = 0;
          this.pos = tk.end;
          if (this.pos - statementStart > this.maxStatementBytes || tokens.count > tokens.limit) {
            throw new StatementTooLargeError(this.lineOf(statementStart), this.base + statementStart, this.maxStatementBytes);
          }
          continue;
        default:
          // STEP_ERROR: an unterminated quote or comment at the end of the input.
          throw this.truncated(tk.openItem, inStatement ? statementStart : p);
      }
    }
  }

  private statement(from: number, delimiterAt: number, end: number): ScannedStatement {
    const line = this.lineOf(from);
    const offset = this.base + from;
    this.boundaryAt(end);
    return {
      sql: this.view.subarray(from, delimiterAt),
      offset,
      end: this.base + end,
      line,
      endLine: this.boundary.line,
      delimiter: this.delimiterText,
      tokens: this.tokens,
    };
  }

  private boundaryAt(p: number): void {
    this.boundary = { delimiter: this.delimiterText, line: this.lineOf(p), offset: this.base + p };
  }

  private truncated(reason: 'statement' | 'quote' | 'comment', from: number): TruncatedDumpError {
    return new TruncatedDumpError(reason, this.lineOf(from), this.base + from, this.state);
  }

  /** 1-based line of buffer index p (p never goes backwards between calls). */
  private lineOf(p: number): number {
    const target = this.base + p;
    if (target < this.lineAbs) return this.line; // already counted past it (same line: no newline in between was needed)
    let i = this.lineAbs - this.base;
    // Searched up to p only: on a long line, a search to the next newline would cost the rest of the buffer each time.
    const b = this.buf.subarray(0, p);
    for (;;) {
      const nl = b.indexOf(10, i);
      if (nl === -1) break;
      this.line++;
      i = nl + 1;
    }
    this.lineAbs = target;
    return this.line;
  }

  /**
   * More input for the item being read, keeping bytes from `keep` on (the statement's start, or the item's). The tokenizer
   * asks again only while the item still runs to the end of the buffer (give or take a few bytes of lookahead), so a
   * statement, string or comment that already holds more than max_allowed_packet bytes is refused here, before it is
   * buffered whole: memory stays at that limit plus one read chunk whatever the file holds.
   */
  private async more(keep: number): Promise<number> {
    if (this.len - keep > this.maxStatementBytes + LOOKAHEAD_SLACK) {
      throw new StatementTooLargeError(this.lineOf(keep), this.base + keep, this.maxStatementBytes);
    }
    return this.fill(keep);
  }

  /** Reads more input, keeping bytes from `keep` on; sets eof at the end of the source. Returns how far indexes moved. */
  private async fill(keep: number): Promise<number> {
    if (this.eof) return 0;
    let chunk: Buffer = EMPTY;
    while (chunk.length === 0) {
      const item = await this.source.next();
      if (item.done) {
        this.eof = true;
        return 0;
      }
      chunk = toBuffer(item.value);
    }
    if (this.len + chunk.length <= this.buf.length) {
      // Room after the data: append, nothing moves.
      chunk.copy(this.buf, this.len);
      this.len += chunk.length;
      this.view = this.buf.subarray(0, this.len);
      return 0;
    }
    this.lineOf(keep);
    const kept = this.len - keep;
    let target = this.buf;
    if (kept + chunk.length > target.length) target = Buffer.allocUnsafe(Math.max(target.length * 2, kept + chunk.length));
    if (kept > 0) this.buf.copy(target, 0, keep, this.len);
    chunk.copy(target, kept);
    this.buf = target;
    this.base += keep;
    this.pos -= keep;
    this.len = kept + chunk.length;
    this.view = target.subarray(0, this.len);
    return keep;
  }

  /**
   * A DELIMITER command at p: 'done' when it was one (consumed), 'no' when the word is not there, 'more' when the
   * buffer ends too early to tell. Throws InvalidDelimiterError for an unusable argument.
   */
  private delimiterCommand(p: number): 'done' | 'no' | 'more' {
    const b = this.buf;
    const n = this.len;
    if (n - p < 10 && !this.eof) return 'more';
    for (let i = 0; i < 9; i++) if (p + i >= n || (b[p + i] & 0xdf) !== DELIMITER_WORD[i]) return 'no';
    const after = b[p + 9];
    if (p + 9 < n && after !== 32 && after !== 9) {
      if (after === 10 || after === 13) throw new InvalidDelimiterError(`DELIMITER must be followed by a delimiter character or string (line ${this.lineOf(p)})`, this.lineOf(p), this.base + p);
      return 'no';
    }
    if (p + 9 >= n) throw new InvalidDelimiterError(`DELIMITER must be followed by a delimiter character or string (line ${this.lineOf(p)})`, this.lineOf(p), this.base + p);
    let eol = b.indexOf(10, p + 9);
    if (eol >= n) eol = -1;
    if (eol === -1 || eol - p > MAX_DELIMITER_LINE) {
      if (eol === -1 && !this.eof && n - p <= MAX_DELIMITER_LINE) return 'more';
      if (eol === -1 && n - p <= MAX_DELIMITER_LINE) eol = n;
      else throw new InvalidDelimiterError(`DELIMITER line is longer than ${MAX_DELIMITER_LINE} bytes (line ${this.lineOf(p)})`, this.lineOf(p), this.base + p);
    }
    const line = this.lineOf(p);
    const offset = this.base + p;
    let i = p + 9;
    while (i < eol && (b[i] === 32 || b[i] === 9)) i++;
    let from = i;
    let to: number;
    const q = b[i];
    if (i < eol && (q === 0x27 || q === 0x22 || q === 0x60)) {
      // A quoted argument, as the client's get_arg() accepts.
      from = i + 1;
      to = b.indexOf(q, from);
      if (to === -1 || to > eol) to = eol;
    } else {
      to = i;
      while (to < eol && !isBlank(b[to])) to++;
    }
    if (to <= from) throw new InvalidDelimiterError(`DELIMITER must be followed by a delimiter character or string (line ${line})`, line, offset);
    const delimiter = Buffer.from(b.subarray(from, to));
    if (delimiter.includes(0x5c)) throw new InvalidDelimiterError(`DELIMITER cannot contain a backslash character (line ${line})`, line, offset);
    const previous = this.delimiterText;
    this.delimiterText = delimiter.toString('latin1');
    this.tokenizer.delimiter = delimiter;
    this.pos = eol < n ? eol + 1 : n;
    this.boundaryAt(this.pos);
    this.onDelimiter?.({ delimiter: this.delimiterText, previous, line, offset, end: this.base + this.pos });
    return 'done';
  }
}

/**
 * Yields the statements of a dump one by one (each `sql` a copy the caller may keep).
 *
 * @param input the dump's bytes (e.g. from {@link openDumpStream}); when `start.offset` is given, the input must
 *   already begin at that offset
 * @returns (as the generator's return value) the state at the end of the input
 */
export async function* readStatements(
  input: AsyncIterable<Chunk> | Iterable<Chunk> | Readable,
  start: Partial<ReaderState> = {},
  options: ReadOptions = {},
): AsyncGenerator<SqlStatement, ReaderState> {
  const reader = new DumpReader(input, start, options);
  try {
    for (;;) {
      const statement = await reader.next();
      if (!statement) return reader.state;
      const { tokens: _tokens, ...rest } = statement;
      yield { ...rest, sql: Buffer.from(statement.sql) };
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/** True when the first token of a statement is this word (case-insensitive). */
export function startsWithWord(statement: ScannedStatement, word: string): boolean {
  const t = statement.tokens;
  return t.count > 0 && t.type[0] === TOKEN_WORD && statement.sql.toString('latin1', t.start[0], t.end[0]).toUpperCase() === word;
}

/** Drops the first `count` bytes of a stream. */
class SkipBytes extends Transform {
  private remaining: number;
  constructor(count: number) {
    super();
    this.remaining = count;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.remaining >= chunk.length) {
      this.remaining -= chunk.length;
      callback();
      return;
    }
    const rest = this.remaining > 0 ? chunk.subarray(this.remaining) : chunk;
    this.remaining = 0;
    callback(null, rest);
  }
}

/** Fails the stream once more than `limit` decompressed bytes came out: a gzip bomb, or a file that is not what it says. */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      callback(Object.assign(new Error(`the file decompresses to more than the ${this.limit} bytes it declares`), { code: 'DECOMPRESSED_TOO_LARGE' }));
      return;
    }
    callback(null, chunk);
  }
}

/** Chunk size for reading dumps. */
const READ_CHUNK = 1 << 20;

export function isGzipMagic(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Opens a dump for {@link DumpReader} from an open file handle (the handle stays open: a restore reads the very file it
 * started with, whatever happens to its name), decompressing gzip (magic bytes 1f 8b).
 *
 * @param startOffset offset to start at; for gzip an offset into the decompressed stream (decompressed from the start)
 * @param maxDecompressed for gzip: the stream fails past this many decompressed bytes
 */
export async function openDumpHandle(handle: FileHandle, startOffset = 0, maxDecompressed = Infinity): Promise<Readable> {
  const head = Buffer.alloc(2);
  const { bytesRead } = await handle.read(head, 0, 2, 0);
  const noop = (): void => {};
  if (isGzipMagic(head.subarray(0, bytesRead))) {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    const streams: NodeJS.ReadWriteStream[] = [gunzip];
    if (maxDecompressed !== Infinity) streams.push(new ByteLimit(maxDecompressed));
    if (startOffset > 0) streams.push(new SkipBytes(startOffset));
    return (pipeline as (...args: unknown[]) => Readable)(Readable.from(readChunks(handle, 0)), ...streams, noop);
  }
  return Readable.from(readChunks(handle, startOffset));
}

/** Positional reads from a handle: stopping the stream never closes the handle (the job reads it again next request). */
async function* readChunks(handle: FileHandle, start: number): AsyncGenerator<Buffer> {
  let position = start;
  for (;;) {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Opens a dump file by name for {@link readStatements} (tests and tools; the restore reads from one open handle). */
export async function openDumpStream(path: string, startOffset = 0): Promise<Readable> {
  const fh = await fsp.open(path, 'r');
  let magic: Buffer;
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    magic = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (isGzipMagic(magic)) {
    const noop = (): void => {};
    const source = createReadStream(path, { highWaterMark: READ_CHUNK });
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    if (startOffset > 0) return pipeline(source, gunzip, new SkipBytes(startOffset), noop);
    return pipeline(source, gunzip, noop);
  }
  return createReadStream(path, { start: startOffset, highWaterMark: READ_CHUNK });
}

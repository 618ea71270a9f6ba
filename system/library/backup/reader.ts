// Streaming SQL statement reader: splits a MySQL/MariaDB dump into statements the way the mysql/mariadb client does, without holding the file in memory.
//
// Choices (kept in one place so that the restore and its tests agree):
// - The scanner is a byte state machine over Buffers. Quoted strings are skipped with Buffer#indexOf (native memchr) and
//   the positions of the next quote/backslash are cached per chunk, so long strings full of escapes stay linear.
// - A statement's `sql` is a slice of the input chunk when the statement lies inside one chunk; only statements that span
//   chunks are copied (one Buffer.concat at the end). Memory is therefore the largest statement (twice, during that
//   concat) plus one chunk.
// - Quoting: '...' and "..." honour backslash escapes and doubled quotes; `...` honours doubled backticks only: the
//   client and the server do not treat a backslash as an escape inside backticks (`a\` is a valid identifier).
//   NO_BACKSLASH_ESCAPES and ANSI_QUOTES are not supported (no dump tool writes data that needs them).
// - Comments (`-- `, `#`, `/* */`) before a statement are skipped; inside a statement they stay in its text (the server
//   ignores them). Executable comments (`/*!NNNNN ...*/`, `/*M!NNNNNN ...*/`, `/*!...*/`) are statement text; the
//   delimiter is not recognised inside them, but quotes are (so `'*/'` inside one does not close it).
// - `/*!NNNNN\x ...*/` or `/*M!NNNNNN\x ...*/` at the start of a statement (a backslash right after the version) is a
//   client command, e.g. mariadb-dump 10.11's first line `/*M!999999\- enable the sandbox mode */`: it is skipped.
// - `DELIMITER x` at the start of a statement (case-insensitive, followed by a space or tab) is a client command: the
//   rest of its line is consumed, the delimiter changes, `onDelimiter` is called and nothing is yielded. Each yielded
//   statement carries the delimiter that ended it and the line at its end, so that
//   { delimiter: s.delimiter, line: s.endLine, offset: s.end } is the state to resume right after it.
// - Other client commands (`\g`, `\G`, `\d`, `source`...) are not interpreted: dump tools
//   do not write them, and a backslash outside quotes is just statement text here.
// - Empty statements (only whitespace/comments before a delimiter) are not yielded, like the client does.
// - A UTF-8 byte-order mark at offset 0 is skipped (offsets still count it: the first statement then starts at 3).
// - Truncation: when the input ends inside a statement (text after the last delimiter, an open quote, an open
//   executable comment) or inside an ordinary /* comment, every complete statement is yielded first and then a
//   TruncatedDumpError is thrown. This differs from the client, which would run a final statement without a delimiter:
//   for a backup that is the sign of a cut-off file. A bad DELIMITER line (no argument, or a backslash in it) throws
//   InvalidDelimiterError (so does a DELIMITER line over 4 KiB), after the statements before it were yielded. Both extend
//   DumpParseError; errors of the input stream itself (e.g. zlib's "unexpected end of file" for a cut-off .gz, code
//   Z_BUF_ERROR) are passed through unchanged.

import { createReadStream, promises as fsp } from 'node:fs';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One statement of a dump, as the client would send it to the server. */
export interface SqlStatement {
  /** the statement's bytes, from its first significant byte up to (not including) the delimiter; leading comments/whitespace are not included */
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

/** Options of {@link readStatements} besides the start state. */
export interface ReadOptions {
  /** called for each DELIMITER command, in input order: after the statements before it were yielded, before the ones after it */
  onDelimiter?: (change: DelimiterChange) => void;
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
  /** the last clean statement boundary before the truncated text (a restore could resume from here) */
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

// Scanner states.
const NORMAL = 0;
const SQ = 1; // '...'
const DQ = 2; // "..."
const BT = 3; // `...`
const BLOCK = 4; // /* ... */ (ordinary comment)
const LINE = 5; // -- or # comment, up to \n
const EXEC = 6; // inside /*! ... */, outside quotes

const EMPTY = Buffer.alloc(0);
const STAR_SLASH = Buffer.from('*/');
const DELIMITER_WORD = Buffer.from('DELIMITER');
/** Longest DELIMITER command line accepted (the client's delimiter itself is at most 15 bytes). */
const MAX_DELIMITER_LINE = 4096;

/** Bytes that need a look inside a statement (besides the delimiter's first byte). */
const BASE_INTEREST = new Uint8Array(256);
for (const ch of ['\'', '"', '`', '/', '-', '#']) BASE_INTEREST[ch.charCodeAt(0)] = 1;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;
}

/** What {@link StatementScanner} produces: a statement, or a DELIMITER command. */
export type ScanItem = SqlStatement | { change: DelimiterChange };

/** The push-driven state machine behind {@link readStatements}; exported for synchronous callers and tests. */
export class StatementScanner {
  private buf: Buffer = EMPTY;
  /** absolute offset of buf[0] */
  private base: number;
  /** scan position in buf; bytes from here on are not scanned yet (kept when more data is needed to decide) */
  private pos = 0;
  private st = NORMAL;
  private inExec = false;
  private inStmt = false;
  private stmtOffset = 0;
  private stmtLine = 0;
  /** bytes of the current statement that lie in earlier buffers */
  private parts: Buffer[] = [];
  /** where the current statement's bytes start in buf */
  private partFrom = 0;
  private delim: Buffer = Buffer.from(';');
  private delimStr = ';';
  private d0 = 0x3b;
  private dlen = 1;
  private interest: Uint8Array = BASE_INTEREST;
  // Line counting is lazy: newlines are counted only up to positions whose line is needed.
  private line: number;
  private lineAbs: number;
  private nlNext = -1;
  // Next ' " \ positions in buf (valid while >= the scan position).
  private sqNext = -1;
  private dqNext = -1;
  private bsNext = -1;
  private bomPending: boolean;
  private commentOffset = 0;
  private commentLine = 0;
  private boundary: ReaderState;
  /** set when the dump has an error that stops the scan (statements before it are still delivered) */
  error: DumpParseError | null = null;

  constructor(start: Partial<ReaderState> = {}) {
    this.base = start.offset ?? 0;
    this.line = start.line ?? 1;
    this.lineAbs = this.base;
    this.bomPending = this.base === 0;
    this.setDelimiter(Buffer.from(start.delimiter ?? ';', 'latin1'));
    this.boundary = { delimiter: this.delimStr, line: this.line, offset: this.base };
  }

  /** Scans the next chunk; complete statements (and DELIMITER commands, in input order) are appended to `out`. */
  push(chunk: Buffer, out: ScanItem[]): void {
    if (this.error) return;
    const old = this.buf;
    const p = this.pos;
    this.countTo(p);
    if (this.inStmt && p > this.partFrom) this.parts.push(old.subarray(this.partFrom, p));
    // Bytes from `pos` on were left unscanned because a token could not be decided at the chunk's end: keep them.
    this.buf = p < old.length ? Buffer.concat([old.subarray(p), chunk]) : chunk;
    this.base += p;
    this.pos = 0;
    this.partFrom = 0;
    this.nlNext = this.sqNext = this.dqNext = this.bsNext = -1;
    this.scan(false, out);
  }

  /** Ends the input: appends the last statements to `out` and returns the final state, or the truncation error to throw. */
  finish(out: ScanItem[]): { state: ReaderState; error?: DumpParseError } {
    if (!this.error) this.scan(true, out);
    const n = this.buf.length;
    this.countTo(n);
    const state: ReaderState = { delimiter: this.delimStr, line: this.line, offset: this.base + n };
    if (this.error) return { state, error: this.error };
    if (this.inStmt) {
      const reason = this.st === SQ || this.st === DQ || this.st === BT ? 'quote' : this.st === EXEC || this.st === BLOCK || this.inExec ? 'comment' : 'statement';
      return { state, error: new TruncatedDumpError(reason, this.stmtLine, this.stmtOffset, this.boundary) };
    }
    if (this.st === BLOCK) return { state, error: new TruncatedDumpError('comment', this.commentLine, this.commentOffset, this.boundary) };
    return { state };
  }

  private setDelimiter(d: Buffer): void {
    this.delim = d;
    this.delimStr = d.toString('latin1');
    this.d0 = d[0];
    this.dlen = d.length;
    const t = new Uint8Array(BASE_INTEREST);
    t[this.d0] = 1;
    this.interest = t;
  }

  /** Counts newlines from the last counted position up to buf index `idx`. */
  private countTo(idx: number): void {
    const b = this.buf;
    const from = this.lineAbs - this.base;
    if (idx <= from) return;
    let nl = this.nlNext;
    if (nl < from) {
      nl = b.indexOf(10, from);
      if (nl === -1) nl = b.length;
    }
    while (nl < idx) {
      this.line++;
      nl = b.indexOf(10, nl + 1);
      if (nl === -1) nl = b.length;
    }
    this.nlNext = nl;
    this.lineAbs = this.base + idx;
  }

  /** 1 if the delimiter starts at p, 0 if not, -1 if more input is needed to tell. */
  private matchDelim(b: Buffer, p: number, n: number, eof: boolean): number {
    const d = this.delim;
    const len = this.dlen;
    if (len === 1) return 1;
    for (let i = 1; i < len; i++) {
      if (p + i >= n) return eof ? 0 : -1;
      if (b[p + i] !== d[i]) return 0;
    }
    return 1;
  }

  private startStmt(p: number): void {
    this.inStmt = true;
    this.partFrom = p;
    this.stmtOffset = this.base + p;
    this.countTo(p);
    this.stmtLine = this.line;
  }

  private endStmt(dp: number, out: ScanItem[]): void {
    const b = this.buf;
    let sql: Buffer;
    if (this.parts.length === 0) sql = b.subarray(this.partFrom, dp);
    else {
      this.parts.push(b.subarray(this.partFrom, dp));
      sql = Buffer.concat(this.parts);
      this.parts = [];
    }
    const endIdx = dp + this.dlen;
    this.countTo(endIdx);
    const end = this.base + endIdx;
    out.push({ sql, offset: this.stmtOffset, end, line: this.stmtLine, endLine: this.line, delimiter: this.delimStr });
    this.inStmt = false;
    this.boundary = { delimiter: this.delimStr, line: this.line, offset: end };
  }

  /**
   * Handles a DELIMITER command at p (the caller checked the word and the blank after it).
   * Returns the index after the command's line, -1 when the line's end is not in the buffer yet, -2 on error (this.error).
   */
  private delimiterCommand(b: Buffer, p: number, n: number, eof: boolean, out: ScanItem[]): number {
    let eol = b.indexOf(10, p + 9);
    if (eol === -1 || eol - p > MAX_DELIMITER_LINE) {
      if (eol === -1 && !eof && n - p <= MAX_DELIMITER_LINE) return -1;
      if (eol === -1 && n - p <= MAX_DELIMITER_LINE) eol = n;
      else {
        // The line is kept whole until its end is seen: an endless one would make every chunk a copy.
        this.countTo(p);
        this.error = new InvalidDelimiterError(`DELIMITER line is longer than ${MAX_DELIMITER_LINE} bytes (line ${this.line})`, this.line, this.base + p);
        return -2;
      }
    }
    this.countTo(p);
    const line = this.line;
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
      while (to < eol && !isSpace(b[to])) to++;
    }
    if (to <= from) {
      this.error = new InvalidDelimiterError(`DELIMITER must be followed by a delimiter character or string (line ${line})`, line, offset);
      return -2;
    }
    const d = Buffer.from(b.subarray(from, to));
    if (d.includes(0x5c)) {
      this.error = new InvalidDelimiterError(`DELIMITER cannot contain a backslash character (line ${line})`, line, offset);
      return -2;
    }
    const previous = this.delimStr;
    this.setDelimiter(d);
    const next = eol < n ? eol + 1 : n;
    this.countTo(next);
    this.boundary = { delimiter: this.delimStr, line: this.line, offset: this.base + next };
    out.push({ change: { delimiter: this.delimStr, previous, line, offset, end: this.base + next } });
    return next;
  }

  private scan(eof: boolean, out: ScanItem[]): void {
    const b = this.buf;
    const n = b.length;
    let p = this.pos;
    if (this.bomPending) {
      if (n - p < 3 && !eof) return;
      this.bomPending = false;
      if (n - p >= 3 && b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) p += 3;
    }
    main: while (p < n) {
      switch (this.st) {
        case NORMAL: {
          if (!this.inStmt) {
            const c = b[p];
            if (isSpace(c)) {
              p++;
              continue;
            }
            if (c === this.d0) {
              const m = this.matchDelim(b, p, n, eof);
              if (m < 0) break main;
              if (m > 0) {
                // An empty statement: nothing to send.
                p += this.dlen;
                this.countTo(p);
                this.boundary = { delimiter: this.delimStr, line: this.line, offset: this.base + p };
                continue;
              }
            }
            if (c === 0x23) {
              this.st = LINE;
              p++;
              continue;
            }
            if (c === 0x2d) {
              if (p + 2 >= n && !eof) break main;
              if (b[p + 1] === 0x2d && (p + 2 >= n || isSpace(b[p + 2]))) {
                this.st = LINE;
                p += 2;
                continue;
              }
            } else if (c === 0x2f) {
              if (p + 1 >= n && !eof) break main;
              if (b[p + 1] === 0x2a) {
                const open = this.execOpener(b, p, n, eof);
                if (open < 0) break main;
                if (open === 0) {
                  this.st = BLOCK;
                  this.countTo(p);
                  this.commentOffset = this.base + p;
                  this.commentLine = this.line;
                  p += 2;
                  continue;
                }
                // An executable comment starts a statement, unless it is a client command such as the sandbox line.
                let q = p + open;
                while (q < n && b[q] >= 0x30 && b[q] <= 0x39 && q - p < 24) q++;
                if (q >= n && !eof) break main;
                if (q < n && b[q] === 0x5c) {
                  this.st = BLOCK;
                  this.countTo(p);
                  this.commentOffset = this.base + p;
                  this.commentLine = this.line;
                  p = q;
                  continue;
                }
                this.startStmt(p);
                this.inExec = true;
                this.st = EXEC;
                p += open;
                continue;
              }
            } else if (c === 0x44 || c === 0x64) {
              if (n - p < 10 && !eof) break main;
              if (n - p >= 10 && (b[p + 9] === 32 || b[p + 9] === 9) && isDelimiterWord(b, p)) {
                const next = this.delimiterCommand(b, p, n, eof, out);
                if (next < 0) break main;
                p = next;
                continue main;
              }
              if (n - p >= 9 && isDelimiterWord(b, p) && (n - p === 9 || b[p + 9] === 10 || b[p + 9] === 13)) {
                this.countTo(p);
                this.error = new InvalidDelimiterError(`DELIMITER must be followed by a delimiter character or string (line ${this.line})`, this.line, this.base + p);
                break main;
              }
            }
            this.startStmt(p);
          }
          // Inside a statement: skip the bytes that cannot change the state.
          const t = this.interest;
          while (p < n && t[b[p]] === 0) p++;
          if (p >= n) break main;
          const c = b[p];
          if (c === this.d0) {
            const m = this.matchDelim(b, p, n, eof);
            if (m < 0) break main;
            if (m > 0) {
              this.endStmt(p, out);
              p += this.dlen;
              continue;
            }
          }
          switch (c) {
            case 0x27:
              this.st = SQ;
              p++;
              continue main;
            case 0x22:
              this.st = DQ;
              p++;
              continue main;
            case 0x60:
              this.st = BT;
              p++;
              continue main;
            case 0x23:
              this.st = LINE;
              p++;
              continue main;
            case 0x2d:
              if (p + 1 >= n) {
                if (!eof) break main;
                p++;
                continue main;
              }
              if (b[p + 1] !== 0x2d) {
                p++;
                continue main;
              }
              if (p + 2 >= n) {
                if (!eof) break main;
                this.st = LINE;
                p += 2;
                continue main;
              }
              if (isSpace(b[p + 2])) {
                // The blank may be the newline that ends the comment: let LINE find it.
                this.st = LINE;
              }
              p += 2;
              continue main;
            case 0x2f: {
              if (p + 1 >= n) {
                if (!eof) break main;
                p++;
                continue main;
              }
              if (b[p + 1] !== 0x2a) {
                p++;
                continue main;
              }
              const open = this.execOpener(b, p, n, eof);
              if (open < 0) break main;
              if (open === 0) {
                this.st = BLOCK;
                p += 2;
              } else {
                this.inExec = true;
                this.st = EXEC;
                p += open;
              }
              continue main;
            }
            default:
              // The delimiter's first byte without the rest of it.
              p++;
              continue main;
          }
        }
        case SQ:
        case DQ: {
          let qi: number;
          if (this.st === SQ) {
            qi = this.sqNext;
            if (qi < p) {
              qi = b.indexOf(0x27, p);
              if (qi === -1) qi = n;
              this.sqNext = qi;
            }
          } else {
            qi = this.dqNext;
            if (qi < p) {
              qi = b.indexOf(0x22, p);
              if (qi === -1) qi = n;
              this.dqNext = qi;
            }
          }
          let bi = this.bsNext;
          if (bi < p) {
            bi = b.indexOf(0x5c, p);
            if (bi === -1) bi = n;
            this.bsNext = bi;
          }
          if (bi < qi) {
            // A backslash escapes the next byte, whatever it is.
            if (bi + 1 >= n) {
              p = eof ? n : bi;
              break main;
            }
            p = bi + 2;
            continue;
          }
          if (qi >= n) {
            p = n;
            break main;
          }
          // A doubled quote closes and reopens the string: same result as treating it as one quote character.
          p = qi + 1;
          this.st = this.inExec ? EXEC : NORMAL;
          continue;
        }
        case BT: {
          const qi = b.indexOf(0x60, p);
          if (qi === -1) {
            p = n;
            break main;
          }
          p = qi + 1;
          this.st = this.inExec ? EXEC : NORMAL;
          continue;
        }
        case BLOCK: {
          const i = b.indexOf(STAR_SLASH, p);
          if (i === -1) {
            // Keep a trailing '*': it may be the first half of the closing '*/'.
            p = !eof && b[n - 1] === 0x2a && n - 1 >= p ? n - 1 : n;
            break main;
          }
          p = i + 2;
          this.st = NORMAL;
          continue;
        }
        case LINE: {
          const i = b.indexOf(10, p);
          if (i === -1) {
            p = n;
            break main;
          }
          p = i + 1;
          this.st = NORMAL;
          continue;
        }
        case EXEC: {
          while (p < n) {
            const c = b[p];
            if (c === 0x2a || c === 0x27 || c === 0x22 || c === 0x60) break;
            p++;
          }
          if (p >= n) break main;
          const c = b[p];
          if (c === 0x27) this.st = SQ;
          else if (c === 0x22) this.st = DQ;
          else if (c === 0x60) this.st = BT;
          else {
            if (p + 1 >= n) {
              if (!eof) break main;
              p++;
              continue;
            }
            if (b[p + 1] === 0x2f) {
              this.inExec = false;
              this.st = NORMAL;
              p += 2;
            } else p++;
            continue;
          }
          p++;
          continue;
        }
      }
    }
    this.pos = p;
  }

  /** At `/*` (p): 3 for `/*!`, 4 for `/*M!`, 0 for an ordinary comment, -1 if more input is needed. */
  private execOpener(b: Buffer, p: number, n: number, eof: boolean): number {
    if (p + 2 >= n) return eof ? 0 : -1;
    const c = b[p + 2];
    if (c === 0x21) return 3;
    if (c !== 0x4d) return 0;
    if (p + 3 >= n) return eof ? 0 : -1;
    return b[p + 3] === 0x21 ? 4 : 0;
  }
}

function isDelimiterWord(b: Buffer, p: number): boolean {
  for (let i = 0; i < 9; i++) {
    if ((b[p + i] & 0xdf) !== DELIMITER_WORD[i]) return false;
  }
  return true;
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Yields the statements of a dump one by one.
 *
 * @param input the dump's bytes (e.g. from {@link openDumpStream}); when `start.offset` is given, the input must
 *   already begin at that offset
 * @param start resume state: offsets and line numbers continue from it, with its delimiter
 * @param options `onDelimiter` reports DELIMITER commands
 * @returns (as the generator's return value) the state at the end of the input
 * @throws TruncatedDumpError after the last complete statement when the input ends inside a statement, quote or comment
 * @throws InvalidDelimiterError for a DELIMITER command without a usable argument
 */
export async function* readStatements(
  input: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string> | Readable,
  start: Partial<ReaderState> = {},
  options: ReadOptions = {},
): AsyncGenerator<SqlStatement, ReaderState> {
  const scanner = new StatementScanner(start);
  const out: ScanItem[] = [];
  const onDelimiter = options.onDelimiter;
  for await (const chunk of input as AsyncIterable<Buffer | Uint8Array | string>) {
    const buf = toBuffer(chunk);
    if (buf.length === 0) continue;
    scanner.push(buf, out);
    if (out.length > 0) {
      // Detach the batch first: the consumer may stop (return) in the middle of it.
      const batch = out.splice(0);
      for (const item of batch) {
        if ('change' in item) onDelimiter?.(item.change);
        else yield item;
      }
    }
    if (scanner.error) throw scanner.error;
  }
  const { state, error } = scanner.finish(out);
  for (const item of out) {
    if ('change' in item) onDelimiter?.(item.change);
    else yield item;
  }
  if (error) throw error;
  return state;
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

/** Chunk size for reading dumps: large chunks mean fewer statements that span chunks (and need a copy). */
const READ_CHUNK = 1 << 20;

/**
 * Opens a dump file for {@link readStatements}, decompressing it when it is gzip (magic bytes 1f 8b).
 *
 * @param startOffset offset to start at; for a gzip file it is an offset into the decompressed stream (the file is
 *   decompressed from the start and that many bytes are skipped)
 */
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
  if (magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
    const noop = (): void => {};
    // pipeline() destroys every stream with the first error, so the consumer of the last one sees it.
    const source = createReadStream(path, { highWaterMark: READ_CHUNK });
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    if (startOffset > 0) return pipeline(source, gunzip, new SkipBytes(startOffset), noop);
    return pipeline(source, gunzip, noop);
  }
  return createReadStream(path, { start: startOffset, highWaterMark: READ_CHUNK });
}

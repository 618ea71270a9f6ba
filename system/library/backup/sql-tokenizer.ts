// The one SQL tokenizer of the restore: the reader splits a dump into statements with it, the statement parser reads its
// tokens, and inspect lists tables with it. Nothing reaches the server in the file's own spelling unless this tokenizer
// has read it as a canonical token (see statement.ts), so its rules only need to be consistent, not to mirror every
// quirk of the server's lexer.
//
// Rules (those of the mariadb client and server under the usual settings):
// - Whitespace: space, \t, \n, \v, \f, \r. Words: [A-Za-z0-9_$] and bytes >= 0x80. A word starting with a digit is a
//   number when it reads as one (12, 1.5e-3, 0x1F, 0b101); `.5` is a number too.
// - '...' and "..." are strings with backslash escapes (unless NO_BACKSLASH_ESCAPES) and doubled quotes; under
//   ANSI_QUOTES "..." is an identifier. `...` is an identifier with doubled backticks and no escapes.
// - @name, @'name', @"name", @`name` are user variables; @@name, @@session.name, @@global.name system variables.
// - Comments: `# ...`, `-- ` (dashes followed by a blank or a control character, or the end), `/* ... */` (ends at the
//   first `*/`, quotes inside do not count). Between statements, a line starting with `--` is a comment whatever follows
//   (OpenCart's install SQL writes `-----` rulers; its own restore skips them).
// - Executable comments `/*!`, `/*!NNNNN`, `/*M!NNNNNN`: their text is read as SQL when the version (5 or 6 digits; fewer
//   digits are no version but SQL) is at most the server's and is not a MySQL 5.7+ one (50700-99999 without M), as
//   MariaDB's lexer does; else the whole comment is skipped. A backslash right after the version (`/*M!999999\- ...`) is
//   a client command: a comment. Inside executable text a nested `/* */` is a comment and `*/` closes the executable part.
// - The delimiter (`;` or what DELIMITER set) ends a statement outside strings, identifiers, comments and executable
//   text (a trigger body inside `/*!50003 ... */` keeps its semicolons, as the mariadb client splits).

export const TOKEN_WORD = 1;
export const TOKEN_NUMBER = 2;
export const TOKEN_IDENT = 3; // `quoted` (or "quoted" under ANSI_QUOTES)
export const TOKEN_STRING = 4;
export const TOKEN_PUNCT = 5;
export const TOKEN_USER_VAR = 6;
export const TOKEN_SYSTEM_VAR = 7;

export interface LexerMode {
  backslashEscapes: boolean;
  ansiQuotes: boolean;
  /** MariaDB's version as a number (10.11.19 → 101119): which executable comments are read. */
  serverVersion: number;
}

export const DEFAULT_LEXER_MODE: LexerMode = { backslashEscapes: true, ansiQuotes: false, serverVersion: 101100 };

/** Tokens of one statement: parallel typed arrays (type, start, end, whether a blank or comment preceded it). */
export class TokenList {
  count = 0;
  type = new Uint8Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  /** 1 when whitespace or a comment separated the token from the previous one (needed to re-emit adjacency) */
  spaced = new Uint8Array(1024);
  /** comments (of any kind, executable ones included) met inside the statement */
  comments = 0;
  /** the most tokens the reader accepts in one statement: the arrays never grow past it */
  limit = Infinity;

  reset(): void {
    this.count = 0;
    this.comments = 0;
  }

  push(type: number, start: number, end: number, spaced: number): void {
    if (this.count === this.type.length) this.grow();
    const i = this.count++;
    this.type[i] = type;
    this.start[i] = start;
    this.end[i] = end;
    this.spaced[i] = spaced;
  }

  /** Moves every offset by `delta` (the buffer under the tokens was compacted). */
  shift(delta: number): void {
    for (let i = 0; i < this.count; i++) {
      this.start[i] += delta;
      this.end[i] += delta;
    }
  }

  private grow(): void {
    const size = Math.max(this.type.length + 1, Math.min(this.type.length * 2, this.limit + 1));
    const type = new Uint8Array(size);
    type.set(this.type);
    const start = new Int32Array(size);
    start.set(this.start);
    const end = new Int32Array(size);
    end.set(this.end);
    const spaced = new Uint8Array(size);
    spaced.set(this.spaced);
    this.type = type;
    this.start = start;
    this.end = end;
    this.spaced = spaced;
  }
}

export const WORD_CHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c >= 0x80) WORD_CHAR[c] = 1;
}

export function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** What one step of the tokenizer found. */
export const STEP_TOKEN = 0; // a token: see kind/start/end
export const STEP_BLANK = 1; // whitespace or a comment was skipped
export const STEP_DELIMITER = 2; // the delimiter, outside executable text
export const STEP_MORE = 3; // the buffer ends before the item at `pos` can be decided: give more input (or end it)
export const STEP_EOF = 4; // nothing left
export const STEP_ERROR = 5; // an unterminated string/identifier/comment at the end of the input

/**
 * A resumable tokenizer over a buffer window. Each call of step() reads one item at `pos`; on STEP_MORE nothing was
 * consumed, so the caller appends input and calls again from the same position.
 */
export class Tokenizer {
  mode: LexerMode;
  private delimiterBytes: Buffer = Buffer.from(';');
  /** the delimiter starts with a word character ($$, GO...): words must be checked for it at every byte, as the client does */
  private delimiterInWords = false;
  /** inside the text of an executable comment */
  inExec = false;
  // Results of the last step.
  kind = 0;
  start = 0;
  end = 0;
  /** the last skipped item was a comment (not only whitespace) */
  wasComment = false;
  /** what was unterminated on STEP_ERROR */
  openItem: 'quote' | 'comment' = 'quote';

  constructor(mode: LexerMode = DEFAULT_LEXER_MODE) {
    this.mode = mode;
  }

  get delimiter(): Buffer {
    return this.delimiterBytes;
  }

  set delimiter(value: Buffer) {
    this.delimiterBytes = value;
    this.delimiterInWords = WORD_CHAR[value[0]] === 1 || value[0] === 0x2e;
  }

  /** True when the delimiter starts at q (false when the buffer ends too early to tell). */
  private delimiterAt(b: Buffer, q: number, n: number): boolean {
    const d = this.delimiterBytes;
    if (b[q] !== d[0] || this.inExec) return false;
    if (n - q < d.length) return false;
    return b.compare(d, 0, d.length, q, q + d.length) === 0;
  }

  /** Reads one item at p in b[0..n); eof says no more input follows n. Sets this.end to where the next step starts. */
  step(b: Buffer, p: number, n: number, eof: boolean): number {
    if (p >= n) return eof ? (this.inExec ? this.fail('comment') : STEP_EOF) : STEP_MORE;
    const c = b[p];
    this.start = p;
    this.wasComment = false;
    const d = this.delimiterBytes;
    if (c === d[0] && !this.inExec) {
      if (n - p < d.length && !eof) return STEP_MORE;
      if (b.compare(d, 0, d.length, p, Math.min(n, p + d.length)) === 0) {
        this.end = p + d.length;
        return STEP_DELIMITER;
      }
    }
    if (isBlank(c)) {
      let q = p + 1;
      while (q < n && isBlank(b[q])) q++;
      this.end = q;
      return STEP_BLANK;
    }
    if (WORD_CHAR[c]) {
      if (isDigit(c)) return this.number(b, p, n, eof);
      let q = p + 1;
      while (q < n && WORD_CHAR[b[q]] && !(this.delimiterInWords && this.delimiterAt(b, q, n))) q++;
      if ((q === n || (this.delimiterInWords && n - q < this.delimiterBytes.length)) && !eof) return STEP_MORE;
      // x'..', b'..', n'..' and introducers stay separate tokens: the parser puts them together.
      return this.token(TOKEN_WORD, q);
    }
    switch (c) {
      case 0x27: // '
        return this.quoted(b, p, n, eof, 0x27, TOKEN_STRING, this.mode.backslashEscapes);
      case 0x22: // "
        return this.quoted(b, p, n, eof, 0x22, this.mode.ansiQuotes ? TOKEN_IDENT : TOKEN_STRING, !this.mode.ansiQuotes && this.mode.backslashEscapes);
      case 0x60: // `
        return this.quoted(b, p, n, eof, 0x60, TOKEN_IDENT, false);
      case 0x23: // #
        return this.lineComment(b, p, n, eof);
      case 0x2d: // -
        if (p + 2 >= n && !eof) return STEP_MORE;
        if (b[p + 1] === 0x2d && (p + 2 >= n || b[p + 2] <= 32 || b[p + 2] === 127)) return this.lineComment(b, p, n, eof);
        return this.token(TOKEN_PUNCT, p + 1);
      case 0x2f: // /
        if (p + 1 >= n && !eof) return STEP_MORE;
        if (b[p + 1] === 0x2a) return this.blockComment(b, p, n, eof);
        return this.token(TOKEN_PUNCT, p + 1);
      case 0x2a: // *
        if (this.inExec) {
          if (p + 1 >= n && !eof) return STEP_MORE;
          if (b[p + 1] === 0x2f) {
            this.inExec = false;
            this.end = p + 2;
            this.wasComment = true;
            return STEP_BLANK;
          }
        }
        return this.token(TOKEN_PUNCT, p + 1);
      case 0x40: // @
        return this.variable(b, p, n, eof);
      case 0x2e: // .
        if (p + 1 >= n && !eof) return STEP_MORE;
        if (p + 1 < n && isDigit(b[p + 1])) return this.number(b, p, n, eof);
        return this.token(TOKEN_PUNCT, p + 1);
      default:
        return this.token(TOKEN_PUNCT, p + 1);
    }
  }

  /** A line that starts with `--` between statements is a comment whatever follows (OpenCart's `-----` rulers). */
  rulerComment(b: Buffer, p: number, n: number, eof: boolean): number {
    return this.lineComment(b, p, n, eof);
  }

  private token(kind: number, end: number): number {
    this.kind = kind;
    this.end = end;
    return STEP_TOKEN;
  }

  private fail(what: 'quote' | 'comment'): number {
    this.openItem = what;
    return STEP_ERROR;
  }

  private number(b: Buffer, p: number, n: number, eof: boolean): number {
    let q = p;
    if (b[q] === 0x30 && q + 1 < n && (b[q + 1] === 0x78 || b[q + 1] === 0x62)) {
      // 0x1F / 0b101 (a word such as 0xZZ falls through to the word rule below)
      const hex = b[q + 1] === 0x78;
      let r = q + 2;
      while (r < n && (hex ? isHexDigit(b[r]) : b[r] === 0x30 || b[r] === 0x31)) r++;
      if (r === n && !eof) return STEP_MORE;
      if (r > q + 2 && (r === n || !WORD_CHAR[b[r]])) return this.token(TOKEN_NUMBER, r);
    }
    while (q < n && isDigit(b[q])) q++;
    if (q < n && b[q] === 0x2e) {
      q++;
      while (q < n && isDigit(b[q])) q++;
    }
    if (q < n && (b[q] === 0x65 || b[q] === 0x45)) {
      let r = q + 1;
      if (r < n && (b[r] === 0x2b || b[r] === 0x2d)) r++;
      if (r < n && isDigit(b[r])) {
        while (r < n && isDigit(b[r])) r++;
        q = r;
      } else if (r >= n && !eof) return STEP_MORE;
    }
    if ((q === n || (this.delimiterInWords && n - q < this.delimiterBytes.length)) && !eof) return STEP_MORE;
    const inWord = (r: number): boolean => WORD_CHAR[b[r]] === 1 && !(this.delimiterInWords && this.delimiterAt(b, r, n));
    if (q < n && inWord(q) && b[p] !== 0x2e) {
      // 1st, 2abc: identifiers may start with digits.
      let r = q;
      while (r < n && inWord(r)) r++;
      if ((r === n || (this.delimiterInWords && n - r < this.delimiterBytes.length)) && !eof) return STEP_MORE;
      return this.token(TOKEN_WORD, r);
    }
    return this.token(TOKEN_NUMBER, q);
  }

  // Next positions of ' " ` and \ at or after the last search, per buffer (valid until invalidate()).
  private nextPos = new Int32Array(4).fill(-2);
  private nextFrom = new Int32Array(4);
  private cacheBuffer: Buffer | null = null;

  /** Forgets cached search results: call whenever the bytes under the buffer change. */
  invalidate(): void {
    this.nextPos.fill(-2);
    this.cacheBuffer = null;
  }

  /** First index >= i of byte c (slot 0..3) in b, or b.length; searches are cached because strings are scanned in order. */
  private find(b: Buffer, slot: number, c: number, i: number): number {
    if (this.cacheBuffer !== b) {
      this.nextPos.fill(-2);
      this.cacheBuffer = b;
    }
    const cached = this.nextPos[slot];
    if (cached >= i && this.nextFrom[slot] <= i) return cached;
    let found = b.indexOf(c, i);
    if (found === -1) found = b.length;
    this.nextPos[slot] = found;
    this.nextFrom[slot] = i;
    return found;
  }

  private quoted(b: Buffer, p: number, n: number, eof: boolean, quote: number, kind: number, escapes: boolean): number {
    const slot = quote === 0x27 ? 0 : quote === 0x22 ? 1 : 2;
    let i = p + 1;
    for (;;) {
      const qi = this.find(b, slot, quote, i);
      if (escapes) {
        const bi = this.find(b, 3, 0x5c, i);
        if (bi < qi) {
          i = bi + 2;
          if (i > n) return eof ? this.fail('quote') : STEP_MORE;
          continue;
        }
      }
      if (qi >= n) return eof ? this.fail('quote') : STEP_MORE;
      if (qi + 1 >= n && !eof) return STEP_MORE;
      if (qi + 1 < n && b[qi + 1] === quote) {
        i = qi + 2;
        continue;
      }
      return this.token(kind, qi + 1);
    }
  }

  private lineComment(b: Buffer, p: number, n: number, eof: boolean): number {
    const eol = b.indexOf(10, p);
    if (eol === -1 || eol >= n) {
      if (!eof) return STEP_MORE;
      this.end = n;
    } else this.end = eol + 1;
    this.wasComment = true;
    return STEP_BLANK;
  }

  private blockComment(b: Buffer, p: number, n: number, eof: boolean): number {
    // /*! and /*M! open executable text when their version applies.
    let q = -1;
    if (p + 3 >= n && !eof) return STEP_MORE;
    if (b[p + 2] === 0x21) q = p + 3;
    else if (b[p + 2] === 0x4d && b[p + 3] === 0x21) q = p + 4;
    if (q >= 0 && !this.inExec) {
      let v = q;
      while (v < n && v - q < 6 && isDigit(b[v])) v++;
      if (v >= n && !eof) return STEP_MORE;
      // MariaDB's lexer: a version has 5 or 6 digits (fewer are SQL, run as written); MySQL 5.7+ versions (50700-99999)
      // are skipped unless written /*M!.
      const digits = v - q;
      const version = digits >= 5 ? Number(b.toString('latin1', q, v)) : 0;
      const mysqlOnly = !(b[p + 2] === 0x4d) && version >= 50700 && version <= 99999;
      const start = digits >= 5 ? v : q;
      if (b[v] !== 0x5c && version <= this.mode.serverVersion && !mysqlOnly) {
        this.inExec = true;
        this.end = start;
        this.wasComment = true;
        return STEP_BLANK;
      }
    }
    const e = b.indexOf('*/', p + 2, 'latin1');
    if (e === -1 || e + 2 > n) return eof ? this.fail('comment') : STEP_MORE;
    this.end = e + 2;
    this.wasComment = true;
    return STEP_BLANK;
  }

  private variable(b: Buffer, p: number, n: number, eof: boolean): number {
    if (p + 1 >= n && !eof) return STEP_MORE;
    const system = p + 1 < n && b[p + 1] === 0x40;
    let q = p + (system ? 2 : 1);
    if (q >= n && !eof) return STEP_MORE;
    const c = b[q];
    if (!system && (c === 0x27 || c === 0x22 || c === 0x60)) {
      const step = this.quoted(b, q, n, eof, c, TOKEN_USER_VAR, c !== 0x60 && this.mode.backslashEscapes);
      if (step === STEP_TOKEN) this.start = p;
      return step;
    }
    if (system && c === 0x60) {
      const step = this.quoted(b, q, n, eof, c, TOKEN_SYSTEM_VAR, false);
      if (step === STEP_TOKEN) this.start = p;
      return step;
    }
    // @@session.name: the scope and the name are one token (dots allowed inside a system variable name).
    while (q < n && (WORD_CHAR[b[q]] || (system && b[q] === 0x2e))) q++;
    if (q === n && !eof) return STEP_MORE;
    return this.token(system ? TOKEN_SYSTEM_VAR : TOKEN_USER_VAR, q);
  }
}

/** The bytes a string token stands for (quotes removed, escapes and doubled quotes resolved), as the server reads them. */
export function stringValue(b: Buffer, start: number, end: number, backslashEscapes: boolean): Buffer {
  const quote = b[start];
  const inner = b.subarray(start + 1, end - 1);
  if (inner.indexOf(quote) === -1 && (!backslashEscapes || inner.indexOf(0x5c) === -1)) return inner;
  const out = Buffer.allocUnsafe(inner.length);
  let o = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === 0x5c && backslashEscapes && i + 1 < inner.length) {
      const e = inner[++i];
      switch (e) {
        case 0x30: out[o++] = 0; break; // \0
        case 0x62: out[o++] = 8; break; // \b
        case 0x6e: out[o++] = 10; break; // \n
        case 0x72: out[o++] = 13; break; // \r
        case 0x74: out[o++] = 9; break; // \t
        case 0x5a: out[o++] = 26; break; // \Z
        // \% and \_ keep their backslash (LIKE patterns), as the server does.
        case 0x25: case 0x5f: out[o++] = 0x5c; out[o++] = e; break;
        default: out[o++] = e;
      }
    } else if (c === quote) {
      out[o++] = c;
      i++; // doubled quote
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

/** The name an identifier token stands for: backticks (or ANSI double quotes) removed, doubled quotes resolved. */
export function identifierValue(b: Buffer, start: number, end: number): Buffer {
  const quote = b[start];
  if (quote !== 0x60 && quote !== 0x22) return b.subarray(start, end);
  const inner = b.subarray(start + 1, end - 1);
  if (inner.indexOf(quote) === -1) return inner;
  const parts: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    parts.push(inner[i]);
    if (inner[i] === quote) i++;
  }
  return Buffer.from(parts);
}

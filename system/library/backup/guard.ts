// Restore guard: decides, before anything runs, whether one statement of an uploaded dump may be executed, and redirects table names for shadow restores.
//
// Choices (documented here because the restore and its tests rely on them):
// - Allowlist, not denylist: a statement is allowed only if it parses as one of the forms below; anything else is
//   forbidden with a short machine reason ('statement_not_allowed' for unknown statements).
//     CREATE TABLE [IF NOT EXISTS] t (...) [options]      DROP TABLE [IF EXISTS] t[, ...] [RESTRICT|CASCADE]
//     TRUNCATE [TABLE] t                                   INSERT [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] [INTO] t [(cols)] VALUES ...
//     REPLACE [INTO] t [(cols)] VALUES ...                 ALTER TABLE t ADD PRIMARY KEY|KEY|INDEX|UNIQUE|FULLTEXT|SPATIAL|CONSTRAINT|FOREIGN KEY ...,
//     LOCK TABLE[S] t [[AS] a] READ|WRITE[, ...]               MODIFY ..., AUTO_INCREMENT[=]n, DISABLE KEYS, ENABLE KEYS
//     UNLOCK TABLE[S]    START TRANSACTION    BEGIN [WORK]    COMMIT [WORK]    SET <session assignments>    USE <options.database>
//   `USE` of options.database is allowed and reported as kind 'set' (no tables); USE of another database is
//   'other_database'. CREATE TEMPORARY / CREATE OR REPLACE / DROP TEMPORARY and INSERT ... SET are not allowed.
// - Comments are stripped the way the server does (`#`, `-- ` followed by a blank or control character, `/* */`).
//   Executable comments (`/*!`, `/*!NNNNN`, `/*M!NNNNNN`) are unwrapped. Whether the server runs one depends on its
//   version, so a statement with executable comments is classified once for every combination of them being run or
//   skipped (at most 4 per statement, else 'too_many_executable_comments'): every combination must be allowed, and
//   every non-empty one must have the same kind and tables ('ambiguous_comment' otherwise). For that to be sound,
//   an executable comment must end at the first `*/` under both readings: quotes, identifiers or line comments
//   containing `*/`, nested comments, and version numbers that MySQL and MariaDB read differently (other than 5
//   digits, or 6 after `/*M!`) are 'ambiguous_comment'. The one client command mariadb-dump writes, `/*M!999999\- ... */`, is a comment.
// - A `;` outside quotes and comments followed by more text is 'multiple_statements'; trailing `;`s are tolerated.
// - Tables: names are backticked (doubled backticks inside) or bare ASCII words; a bare word holding bytes >= 0x80 is
//   'non_ascii_word' (under latin1 the server reads 0xA0 as a blank, so the guard could not tell where words end).
//   A qualified name must use options.database exactly (case-sensitive) else 'other_database' (also for the target
//   of REFERENCES). A written table must start with options.prefix (case-sensitive) else 'outside_prefix'.
// - Protected tables: a statement that writes one (CREATE/DROP/TRUNCATE/INSERT/REPLACE/ALTER) gets 'skip' with
//   reason 'protected_table'; a DROP TABLE listing protected and other tables is skipped whole (safest). Protected
//   names compare case-insensitively (a server with lower_case_table_names=1 would write oc_user for OC_USER).
//   LOCK TABLES / UNLOCK TABLES are harmless and always 'allow' (kind 'lock_tables'/'unlock_tables', tables listed,
//   protected ones included): the restore does not execute them, it uses transactions.
// - Values (INSERT/REPLACE rows, ON DUPLICATE KEY UPDATE): literals, operators, column names and an allowlist of
//   functions; subqueries (SELECT/WITH/TABLE/VALUES ROW...) are 'subquery', other function calls (LOAD_FILE, SLEEP,
//   stored or loadable functions, NEXTVAL...) 'function_not_allowed', `:=` 'assignment_not_allowed'.
// - CREATE TABLE: no CREATE ... SELECT/LIKE/AS ('create_select'); engines limited to local ones (no CONNECT,
//   FEDERATED, SPIDER... : 'engine_not_allowed'); no DATA/INDEX DIRECTORY, CONNECTION, UNION ('table_option_not_allowed');
//   column definitions may use functions (defaults, CHECK (json_valid(..))) but not NEXTVAL/NEXT VALUE FOR, LOAD_FILE,
//   SLEEP, lock functions... ('function_not_allowed'). ALTER TABLE clauses must not contain RENAME, EXCHANGE, ENGINE,
//   PARTITION... ('alter_not_allowed'), so nothing can hide after an allowed ADD KEY.
// - SET: session scope only (GLOBAL, PERSIST, PERSIST_ONLY, @@global. ... are 'set_global'; SET PASSWORD is
//   'set_password'; SET ROLE/STATEMENT/TRANSACTION 'statement_not_allowed'). A value is one literal, @var, @@var,
//   IFNULL(a, b), COALESCE(a, ...) or IF(a IS [NOT] NULL, b, c) (as HeidiSQL writes). Because the guard reads bytes
//   the way the server does only under the usual settings, settings that change how the server splits a statement
//   are refused: character_set_client & co. (and SET NAMES/CHARACTER SET) may only get a plain charset name that is
//   not big5, cp932, gbk, gb18030 or sjis ('unsafe_charset': a backslash byte inside one of their characters would be
//   read as an escape by the guard but not by the server), and sql_mode may not get NO_BACKSLASH_ESCAPES, ANSI_QUOTES
//   or a mode that includes it ('unsafe_sql_mode'). Such variables may also be set from the @@ variables of the same
//   family or from the user variables dumps use to save them (@OLD_CHARACTER_SET_CLIENT, @saved_cs_client,
//   @OLD_SQL_MODE, @saved_sql_mode...), and those user variables may only get the same kinds of values.
// - Text is handled as bytes (table names decoded as UTF-8 for the result); no statement is ever executed here. The
//   verdicts assume the restore's connection starts with a safe character_set_client (utf8mb4) and an sql_mode
//   without NO_BACKSLASH_ESCAPES/ANSI_QUOTES, and sends each statement's bytes unchanged.

/** What a restore needs to know to judge statements. */
export interface GuardOptions {
  /** the shop's table prefix, e.g. 'oc_' ('' = any table) */
  prefix: string;
  /** the shop's database */
  database: string;
  /** full names with prefix, e.g. ['oc_user','oc_user_group',...] */
  protectedTables: string[];
}

/** The kinds of statements a restore may run. */
export type StatementKind = 'create_table' | 'drop_table' | 'truncate' | 'insert' | 'replace' | 'alter_table' | 'lock_tables' | 'unlock_tables' | 'transaction' | 'set' | 'empty';

/** The guard's decision about one statement. */
export type GuardVerdict =
  | { verdict: 'allow'; kind: StatementKind; tables: string[] }
  | { verdict: 'skip'; kind: StatementKind; tables: string[]; reason: 'protected_table' }
  | { verdict: 'forbid'; reason: string; head: string };

// Token types.
const T_EOF = 0;
const T_WORD = 1;
const T_BQ = 2;
const T_STR = 3;
const T_PUNCT = 4;
/** PUNCT code for ':=' */
const ASSIGN = 0x100;

const STAR_SLASH = Buffer.from('*/');
const MAX_EXEC_COMMENTS = 4;

const WORD_CHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c >= 0x80) WORD_CHAR[c] = 1;
}

/** Thrown inside the parser: the statement is forbidden. Not an Error: no stack trace is needed. */
class Forbidden {
  constructor(readonly reason: string) {}
}

/** Thrown to stop parsing once the written tables are known (renaming does not need the rest). */
const NAMES_DONE = { done: true };
const KIND_BY_FIRST_WORD: Record<string, StatementKind> = {
  CREATE: 'create_table',
  DROP: 'drop_table',
  TRUNCATE: 'truncate',
  INSERT: 'insert',
  REPLACE: 'replace',
  ALTER: 'alter_table',
  LOCK: 'lock_tables',
};

function forbid(reason: string): never {
  throw new Forbidden(reason);
}

/** Tokenizer over the statement's bytes, with the server's comment rules; `mask` selects executable comments to skip. */
class Lexer {
  type = T_EOF;
  start = 0;
  end = 0;
  /** PUNCT character code (or ASSIGN) */
  ch = 0;
  pos = 0;
  /** number of executable comments opened so far */
  execCount = 0;
  private inExec = false;
  private up: string | null = null;
  private sqNext = -1;
  private dqNext = -1;
  private bsNext = -1;

  constructor(
    readonly b: Buffer,
    private readonly mask: number,
  ) {}

  upper(): string {
    if (this.up === null) this.up = this.b.toString('latin1', this.start, this.end).toUpperCase();
    return this.up;
  }

  isWord(w: string): boolean {
    return this.type === T_WORD && this.end - this.start === w.length && this.upper() === w;
  }

  // Methods rather than `type ===` where TypeScript's narrowing would survive a next() call.
  isEof(): boolean {
    return this.type === T_EOF;
  }

  isStr(): boolean {
    return this.type === T_STR;
  }

  isPunct(c: number): boolean {
    return this.type === T_PUNCT && this.ch === c;
  }

  /** a WORD that starts with a digit: a number (or 0x..., 1e5) */
  isNumeric(): boolean {
    const c = this.b[this.start];
    return this.type === T_WORD && c >= 0x30 && c <= 0x39;
  }

  /** the identifier a WORD or BQ token names */
  ident(): string {
    if (this.type === T_BQ) return this.b.toString('utf8', this.start + 1, this.end - 1).replace(/``/g, '`');
    return this.b.toString('latin1', this.start, this.end);
  }

  /** raw bytes between the quotes of a STR token, as latin1 */
  strContent(): string {
    return this.b.toString('latin1', this.start + 1, this.end - 1);
  }

  next(): void {
    const b = this.b;
    const n = b.length;
    let p = this.pos;
    this.up = null;
    for (;;) {
      if (p >= n) {
        if (this.inExec) forbid('syntax_error');
        this.type = T_EOF;
        this.start = this.end = this.pos = n;
        return;
      }
      const c = b[p];
      if (c === 32 || (c >= 9 && c <= 13)) {
        p++;
        continue;
      }
      if (c === 0x23 || (c === 0x2d && p + 1 < n && b[p + 1] === 0x2d && (p + 2 >= n || b[p + 2] <= 32 || b[p + 2] === 127))) {
        // A line comment inside an executable comment could hide its `*/` from one reading and not the other.
        if (this.inExec) forbid('ambiguous_comment');
        const eol = b.indexOf(10, p);
        p = eol === -1 ? n : eol + 1;
        continue;
      }
      if (c === 0x2f && p + 1 < n && b[p + 1] === 0x2a) {
        if (this.inExec) forbid('ambiguous_comment');
        let q = -1;
        if (p + 2 < n && b[p + 2] === 0x21) q = p + 3;
        else if (p + 3 < n && b[p + 2] === 0x4d && b[p + 3] === 0x21) q = p + 4;
        if (q >= 0) {
          let d = q;
          while (d < n && b[d] >= 0x30 && b[d] <= 0x39) d++;
          const digits = d - q;
          if (q === p + 4 && digits === 6 && b.toString('latin1', q, d) === '999999' && b[d] === 0x5c) {
            // mariadb-dump's sandbox line: a client command, and a comment for every server.
            const e = b.indexOf(STAR_SLASH, d);
            if (e === -1) forbid('syntax_error');
            p = e + 2;
            continue;
          }
          // MariaDB reads a 6th version digit, MySQL only 5 (so `/*!400001` differs); other lengths are read differently
          // again. `/*M!` is MariaDB's own (MySQL skips it whole). A backslash would be a client command.
          const mariadbOnly = q === p + 4;
          if (!(digits === 0 || digits === 5 || (digits === 6 && mariadbOnly)) || b[d] === 0x5c) forbid('ambiguous_comment');
          const id = this.execCount++;
          if (id < 31 && this.mask & (1 << id)) {
            const e = b.indexOf(STAR_SLASH, d);
            if (e === -1) forbid('syntax_error');
            p = e + 2;
            continue;
          }
          this.inExec = true;
          p = d;
          continue;
        }
        const e = b.indexOf(STAR_SLASH, p + 2);
        if (e === -1) forbid('syntax_error');
        p = e + 2;
        continue;
      }
      if (c === 0x2a && this.inExec && p + 1 < n && b[p + 1] === 0x2f) {
        this.inExec = false;
        p += 2;
        continue;
      }
      this.start = p;
      if (WORD_CHAR[c]) {
        let high = c >= 0x80;
        p++;
        while (p < n) {
          const d = b[p];
          if (WORD_CHAR[d] === 0) break;
          if (d >= 0x80) high = true;
          p++;
        }
        if (high) forbid('non_ascii_word');
        this.type = T_WORD;
      } else if (c === 0x60) {
        let i = p + 1;
        for (;;) {
          const j = b.indexOf(0x60, i);
          if (j === -1) forbid('syntax_error');
          if (j + 1 < n && b[j + 1] === 0x60) {
            i = j + 2;
            continue;
          }
          p = j + 1;
          break;
        }
        this.type = T_BQ;
      } else if (c === 0x27 || c === 0x22) {
        p = this.skipString(p, c);
        this.type = T_STR;
      } else {
        if (c === 0x3a && p + 1 < n && b[p + 1] === 0x3d) {
          this.ch = ASSIGN;
          p += 2;
        } else {
          this.ch = c;
          p++;
        }
        this.type = T_PUNCT;
      }
      if (this.inExec && (this.type === T_BQ || this.type === T_STR) && b.subarray(this.start, p).includes(STAR_SLASH)) forbid('ambiguous_comment');
      this.end = p;
      this.pos = p;
      return;
    }
  }

  /** From the opening quote at p, returns the index after the closing one (backslash escapes, doubled quotes). */
  private skipString(p: number, q: number): number {
    const b = this.b;
    const n = b.length;
    let i = p + 1;
    for (;;) {
      let qi = q === 0x27 ? this.sqNext : this.dqNext;
      if (qi < i) {
        qi = b.indexOf(q, i);
        if (qi === -1) qi = n;
        if (q === 0x27) this.sqNext = qi;
        else this.dqNext = qi;
      }
      let bi = this.bsNext;
      if (bi < i) {
        bi = b.indexOf(0x5c, i);
        if (bi === -1) bi = n;
        this.bsNext = bi;
      }
      if (bi < qi) {
        i = bi + 2;
        if (i > n) forbid('syntax_error');
        continue;
      }
      if (qi >= n) forbid('syntax_error');
      if (qi + 1 < n && b[qi + 1] === q) {
        i = qi + 2;
        continue;
      }
      return qi + 1;
    }
  }
}

/** A table name in a statement, with the byte range of its table identifier. */
interface TableRef {
  db: string | null;
  table: string;
  start: number;
  end: number;
}

interface Parsed {
  kind: StatementKind;
  /** tables the statement writes (or locks) */
  writes: TableRef[];
  /** tables it only refers to (REFERENCES) */
  reads: TableRef[];
  useDb: string | null;
  execCount: number;
}

/** Functions (and operators written like functions) a row value may call. */
const VALUE_FUNCTIONS = new Set(
  (
    'AND OR NOT XOR IN IS LIKE BETWEEN CASE WHEN THEN ELSE DIV MOD INTERVAL BINARY COLLATE ROW VALUES DEFAULT ' +
    'IF IFNULL NULLIF COALESCE CONCAT CONCAT_WS REPLACE CHAR UNHEX HEX FROM_BASE64 TO_BASE64 CONVERT CAST ' +
    'CURRENT_TIMESTAMP NOW UTC_TIMESTAMP CURDATE CURRENT_DATE CURTIME CURRENT_TIME LOWER UPPER SUBSTRING TRIM ' +
    'GREATEST LEAST ABS ROUND FLOOR CEIL DATE TIME TIMESTAMP STR_TO_DATE DATE_ADD DATE_SUB FROM_UNIXTIME UNIX_TIMESTAMP ' +
    'UUID MD5 SHA1 SHA2 DECIMAL SIGNED UNSIGNED JSON_OBJECT JSON_ARRAY JSON_QUOTE ' +
    'POINT LINESTRING POLYGON MULTIPOINT MULTILINESTRING MULTIPOLYGON GEOMETRYCOLLECTION ' +
    'ST_GEOMFROMTEXT ST_GEOMFROMWKB GEOMFROMTEXT GEOMFROMWKB ST_POINTFROMTEXT POINTFROMTEXT ST_GEOMETRYFROMTEXT'
  ).split(' '),
);
/** Words that start or join a query: a subquery inside values. */
const SUBQUERY_WORDS = new Set(['SELECT', 'WITH', 'TABLE', 'UNION', 'EXCEPT', 'INTERSECT']);
/** Built-in functions that must not appear in column definitions (defaults, generated columns, checks). */
const BODY_DENY_FUNCTIONS = new Set(
  'NEXTVAL SETVAL LASTVAL LOAD_FILE SLEEP BENCHMARK GET_LOCK RELEASE_LOCK RELEASE_ALL_LOCKS IS_FREE_LOCK IS_USED_LOCK MASTER_POS_WAIT MASTER_GTID_WAIT SOURCE_POS_WAIT SYS_EXEC SYS_EVAL SYS_GET SYS_SET'.split(' '),
);
/** Words that must not appear in an ALTER TABLE clause (operations outside the allowlist hidden after an allowed one). */
const ALTER_DENY_WORDS = new Set('SELECT RENAME EXCHANGE TABLE TABLESPACE DISCARD IMPORT ENGINE CONNECTION DIRECTORY UNION PARTITION PARTITIONING REMOVE'.split(' '));
/** Storage engines that keep data in the server's own files. */
const LOCAL_ENGINES = new Set('INNODB XTRADB MYISAM ARIA MEMORY HEAP ARCHIVE CSV BLACKHOLE ROCKSDB'.split(' '));

const CHARSET_SYSVARS = new Set(
  'character_set_client character_set_connection character_set_results character_set_server character_set_database character_set_filesystem collation_connection collation_server collation_database'.split(' '),
);
const CHARSET_HOLDERS = new Set('old_character_set_client old_character_set_results old_collation_connection saved_cs_client saved_cs_results saved_col_connection'.split(' '));
const SQLMODE_HOLDERS = new Set(['old_sql_mode', 'saved_sql_mode']);
/** Multibyte charsets whose characters can contain the bytes of \ ' " ` */
const UNSAFE_CHARSET = /^(big5|cp932|gbk|gb18030|sjis)/;
/** sql_mode values that change how strings and quotes are read */
const UNSAFE_SQL_MODES = new Set(['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI', 'DB2', 'MAXDB', 'MSSQL', 'ORACLE', 'POSTGRESQL']);

type Family = 'charset' | 'sql_mode' | null;

interface Atom {
  type: 'str' | 'word' | 'num' | 'user' | 'sys';
  /** literal text, or the variable's lowercase name */
  text: string;
}

/** Recursive-descent checker for one reading (one `mask`) of a statement. */
class Parser {
  readonly L: Lexer;
  readonly writes: TableRef[] = [];
  readonly reads: TableRef[] = [];
  useDb: string | null = null;

  constructor(
    b: Buffer,
    mask: number,
    private readonly full: boolean,
  ) {
    this.L = new Lexer(b, mask);
  }

  private firstWord = '';

  parse(): Parsed {
    const L = this.L;
    let kind: StatementKind;
    try {
      L.next();
      kind = this.statement();
    } catch (e) {
      if (e !== NAMES_DONE) throw e;
      // Names-only parsing stops after the table names; the statement's first word still tells its kind.
      kind = KIND_BY_FIRST_WORD[this.firstWord] ?? 'empty';
    }
    return { kind, writes: this.writes, reads: this.reads, useDb: this.useDb, execCount: L.execCount };
  }

  private statement(): StatementKind {
    const L = this.L;
    if (L.type === T_EOF) return 'empty';
    if (L.type === T_WORD) this.firstWord = L.upper();
    if (L.isPunct(0x3b)) {
      this.end();
      return 'empty';
    }
    if (L.type !== T_WORD) forbid('statement_not_allowed');
    switch (L.upper()) {
      case 'CREATE':
        L.next();
        if (!L.isWord('TABLE')) forbid('statement_not_allowed');
        this.createTable();
        return 'create_table';
      case 'DROP':
        L.next();
        if (!L.isWord('TABLE') && !L.isWord('TABLES')) forbid('statement_not_allowed');
        this.dropTable();
        return 'drop_table';
      case 'TRUNCATE':
        L.next();
        if (L.isWord('TABLE')) L.next();
        this.writes.push(this.name());
        this.namesDone();
        this.end();
        return 'truncate';
      case 'INSERT':
        this.insert();
        return 'insert';
      case 'REPLACE':
        this.insert();
        return 'replace';
      case 'ALTER':
        this.alterTable();
        return 'alter_table';
      case 'LOCK':
        this.lockTables();
        return 'lock_tables';
      case 'UNLOCK':
        L.next();
        if (!L.isWord('TABLE') && !L.isWord('TABLES')) forbid('statement_not_allowed');
        L.next();
        this.end();
        return 'unlock_tables';
      case 'START':
        L.next();
        if (!L.isWord('TRANSACTION')) forbid('statement_not_allowed');
        L.next();
        while (L.isPunct(0x2c) || (L.type === T_WORD && ['READ', 'ONLY', 'WRITE', 'WITH', 'CONSISTENT', 'SNAPSHOT'].includes(L.upper()))) L.next();
        this.end();
        return 'transaction';
      case 'BEGIN':
      case 'COMMIT':
        // BEGIN NOT ATOMIC (a compound statement) and COMMIT RELEASE (disconnects) are not allowed.
        L.next();
        if (L.isWord('WORK')) L.next();
        this.end();
        return 'transaction';
      case 'SET':
        this.set();
        return 'set';
      case 'USE':
        L.next();
        if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
        this.useDb = L.ident();
        L.next();
        this.end();
        return 'set';
      default:
        return forbid('statement_not_allowed');
    }
  }

  /** Stops a names-only parse (renaming) once the written tables are known. */
  private namesDone(): void {
    if (!this.full) throw NAMES_DONE;
  }

  /** Expects the end of the statement: EOF, after optional trailing `;`s. */
  private end(): void {
    const L = this.L;
    if (L.isPunct(0x3b)) {
      this.semicolons();
      return;
    }
    if (L.type !== T_EOF) forbid('syntax_error');
  }

  /** At a `;`: only more `;`s may follow. */
  private semicolons(): void {
    const L = this.L;
    while (L.isPunct(0x3b)) L.next();
    if (L.type !== T_EOF) forbid('multiple_statements');
  }

  private expectWord(w: string): void {
    if (!this.L.isWord(w)) forbid('syntax_error');
    this.L.next();
  }

  /** A table name: `t`, t, db.t, `db`.`t`. */
  private name(): TableRef {
    const L = this.L;
    if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
    const first = L.ident();
    const start = L.start;
    const end = L.end;
    L.next();
    if (L.isPunct(0x2e)) {
      L.next();
      if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
      const ref = { db: first, table: L.ident(), start: L.start, end: L.end };
      L.next();
      return ref;
    }
    return { db: null, table: first, start, end };
  }

  private createTable(): void {
    const L = this.L;
    L.next();
    if (L.isWord('IF')) {
      L.next();
      this.expectWord('NOT');
      this.expectWord('EXISTS');
    }
    this.writes.push(this.name());
    this.namesDone();
    if (!L.isPunct(0x28)) forbid(L.type === T_WORD && ['SELECT', 'AS', 'LIKE', 'IGNORE', 'REPLACE', 'TABLE', 'VALUES', 'WITH'].includes(L.upper()) ? 'create_select' : 'syntax_error');
    L.next();
    if (L.isPunct(0x28) || (L.type === T_WORD && ['SELECT', 'WITH', 'LIKE', 'TABLE', 'VALUES'].includes(L.upper()))) forbid('create_select');
    this.body(true, false, null);
    this.tableOptions();
  }

  /**
   * Column definitions or an ALTER clause: anything but subqueries, dangerous functions and other statements' words.
   * untilParen: starts inside `(` and returns after the matching `)`; stopAtComma: returns at a top-level `,`.
   */
  private body(untilParen: boolean, stopAtComma: boolean, denyWords: Set<string> | null): void {
    const L = this.L;
    let depth = untilParen ? 1 : 0;
    let prevWord: string | null = null;
    for (;;) {
      const t = L.type;
      if (t === T_EOF) {
        if (untilParen) forbid('syntax_error');
        return;
      }
      if (t === T_PUNCT) {
        const ch = L.ch;
        if (ch === 0x3b) {
          this.semicolons();
          continue;
        }
        if (ch === ASSIGN) forbid('assignment_not_allowed');
        if (ch === 0x28) {
          if (prevWord !== null && BODY_DENY_FUNCTIONS.has(prevWord)) forbid('function_not_allowed');
          depth++;
        } else if (ch === 0x29) {
          depth--;
          if (depth < 0) forbid('syntax_error');
          if (untilParen && depth === 0) {
            L.next();
            return;
          }
        } else if (ch === 0x2c && stopAtComma && depth === 0) return;
        prevWord = null;
      } else if (t === T_WORD && !L.isNumeric()) {
        const u = L.upper();
        if (u === 'SELECT') forbid(denyWords ? 'alter_not_allowed' : 'create_select');
        if (denyWords?.has(u)) forbid('alter_not_allowed');
        if (u === 'VALUE' && (prevWord === 'NEXT' || prevWord === 'PREVIOUS')) forbid('function_not_allowed');
        if (u === 'REFERENCES') {
          L.next();
          this.reads.push(this.name());
          prevWord = null;
          continue;
        }
        prevWord = u;
      } else prevWord = null;
      L.next();
    }
  }

  /** Table options after CREATE TABLE's definitions. */
  private tableOptions(): void {
    const L = this.L;
    let expect: string[] | null = null;
    for (;;) {
      if (expect !== null) {
        if (!(L.type === T_WORD && expect.includes(L.upper()))) forbid('create_select');
        expect = null;
      }
      const t = L.type;
      if (t === T_EOF) return;
      if (t === T_PUNCT && L.ch === 0x3b) {
        this.semicolons();
        continue;
      }
      if (t === T_PUNCT && L.ch === ASSIGN) forbid('assignment_not_allowed');
      if (t === T_WORD && !L.isNumeric()) {
        const u = L.upper();
        switch (u) {
          case 'SELECT':
          case 'AS':
          case 'LIKE':
          case 'TABLE':
          case 'IGNORE':
          case 'REPLACE':
            forbid('create_select');
            break;
          case 'VALUES':
            // Only partition definitions: VALUES LESS THAN (...) / VALUES IN (...).
            expect = ['LESS', 'IN'];
            break;
          case 'WITH':
            expect = ['SYSTEM'];
            break;
          case 'UNION':
          case 'CONNECTION':
          case 'DIRECTORY':
          case 'ENGINE_ATTRIBUTE':
          case 'SECONDARY_ENGINE':
          case 'SECONDARY_ENGINE_ATTRIBUTE':
            forbid('table_option_not_allowed');
            break;
          case 'ENGINE':
          case 'TYPE': {
            L.next();
            if (L.isPunct(0x3d)) L.next();
            const engine = L.type === T_STR ? L.strContent() : L.type === T_WORD || L.type === T_BQ ? L.ident() : '';
            if (!LOCAL_ENGINES.has(engine.toUpperCase())) forbid('engine_not_allowed');
            break;
          }
        }
      }
      L.next();
    }
  }

  private dropTable(): void {
    const L = this.L;
    L.next();
    if (L.isWord('IF')) {
      L.next();
      this.expectWord('EXISTS');
    }
    for (;;) {
      this.writes.push(this.name());
      if (!L.isPunct(0x2c)) break;
      L.next();
    }
    this.namesDone();
    if (L.isWord('RESTRICT') || L.isWord('CASCADE')) L.next();
    this.end();
  }

  private insert(): void {
    const L = this.L;
    L.next();
    while (L.type === T_WORD && ['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE'].includes(L.upper())) L.next();
    if (L.isWord('INTO')) L.next();
    this.writes.push(this.name());
    this.namesDone();
    if (L.isWord('PARTITION')) {
      L.next();
      if (!L.isPunct(0x28)) forbid('syntax_error');
      L.next();
      while (!L.isPunct(0x29)) {
        if (L.type !== T_WORD && L.type !== T_BQ && !L.isPunct(0x2c)) forbid('syntax_error');
        L.next();
      }
      L.next();
    }
    if (L.isPunct(0x28)) {
      // Column list.
      L.next();
      if (!L.isPunct(0x29)) {
        for (;;) {
          if (L.type === T_WORD && ['SELECT', 'WITH', 'TABLE', 'VALUES'].includes(L.upper())) forbid('insert_select');
          if (L.isPunct(0x28)) forbid('insert_select');
          if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
          L.next();
          if (L.isPunct(0x2e)) {
            L.next();
            if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
            L.next();
          }
          if (L.isPunct(0x2c)) {
            L.next();
            continue;
          }
          if (L.isPunct(0x29)) break;
          forbid('syntax_error');
        }
      }
      L.next();
    }
    if (L.isWord('VALUES') || L.isWord('VALUE')) {
      L.next();
      this.values();
      return;
    }
    if (L.isPunct(0x28) || (L.type === T_WORD && ['SELECT', 'WITH', 'TABLE'].includes(L.upper()))) forbid('insert_select');
    if (L.isWord('SET')) forbid('statement_not_allowed');
    forbid('syntax_error');
  }

  /** Row values (and ON DUPLICATE KEY UPDATE) up to the end of the statement. This is the hot loop for big INSERTs. */
  private values(): void {
    const L = this.L;
    const b = L.b;
    // The previous token, when it could name a function: its upper-case word, or '' for a quoted/qualified name.
    let prev: string | null = null;
    let dot = false;
    for (;;) {
      const t = L.type;
      if (prev === 'VALUES' && !(t === T_PUNCT && L.ch === 0x28)) forbid('subquery');
      if (t === T_EOF) return;
      if (t === T_PUNCT) {
        const ch = L.ch;
        if (ch === 0x28) {
          if (prev !== null && !VALUE_FUNCTIONS.has(prev)) forbid('function_not_allowed');
        } else if (ch === 0x3b) {
          this.semicolons();
          continue;
        } else if (ch === ASSIGN) forbid('assignment_not_allowed');
        dot = ch === 0x2e;
        prev = null;
      } else if (t === T_WORD) {
        const c = b[L.start];
        if (c >= 0x30 && c <= 0x39) prev = null;
        else {
          const u = L.upper();
          if (SUBQUERY_WORDS.has(u)) forbid('subquery');
          if (u === 'VALUE' && (prev === 'NEXT' || prev === 'PREVIOUS')) forbid('function_not_allowed');
          prev = dot ? '' : u;
        }
        dot = false;
      } else {
        // A backticked name followed by `(` would call a stored function.
        prev = t === T_BQ ? '' : null;
        dot = false;
      }
      L.next();
    }
  }

  private alterTable(): void {
    const L = this.L;
    L.next();
    if (L.isWord('ONLINE')) L.next();
    if (L.isWord('IGNORE')) L.next();
    if (!L.isWord('TABLE')) forbid('statement_not_allowed');
    L.next();
    if (L.isWord('IF')) {
      L.next();
      this.expectWord('EXISTS');
    }
    this.writes.push(this.name());
    this.namesDone();
    if (L.type === T_EOF) forbid('alter_not_allowed');
    for (;;) {
      if (L.type !== T_WORD) forbid('alter_not_allowed');
      switch (L.upper()) {
        case 'ADD':
          L.next();
          if (!(L.type === T_WORD && ['PRIMARY', 'UNIQUE', 'KEY', 'INDEX', 'FULLTEXT', 'SPATIAL', 'CONSTRAINT', 'FOREIGN'].includes(L.upper()))) forbid('alter_not_allowed');
          this.body(false, true, ALTER_DENY_WORDS);
          break;
        case 'MODIFY':
          L.next();
          this.body(false, true, ALTER_DENY_WORDS);
          break;
        case 'AUTO_INCREMENT':
          L.next();
          if (L.isPunct(0x3d)) L.next();
          if (!L.isNumeric()) forbid('alter_not_allowed');
          L.next();
          break;
        case 'DISABLE':
        case 'ENABLE':
          L.next();
          if (!L.isWord('KEYS')) forbid('alter_not_allowed');
          L.next();
          break;
        default:
          forbid('alter_not_allowed');
      }
      if (L.isPunct(0x2c)) {
        L.next();
        continue;
      }
      if (L.isEof() || L.isPunct(0x3b)) {
        this.end();
        return;
      }
      forbid('alter_not_allowed');
    }
  }

  private lockTables(): void {
    const L = this.L;
    L.next();
    if (!L.isWord('TABLE') && !L.isWord('TABLES')) forbid('statement_not_allowed');
    L.next();
    for (;;) {
      this.writes.push(this.name());
      if (L.isWord('AS')) {
        L.next();
        if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
        L.next();
      } else if (L.type === T_BQ || (L.type === T_WORD && !['READ', 'WRITE', 'LOW_PRIORITY'].includes(L.upper()))) L.next();
      if (L.isWord('READ')) {
        L.next();
        if (L.isWord('LOCAL')) L.next();
      } else {
        if (L.isWord('LOW_PRIORITY')) L.next();
        this.expectWord('WRITE');
        if (L.isWord('CONCURRENT')) L.next();
      }
      if (!L.isPunct(0x2c)) break;
      L.next();
    }
    this.namesDone();
    this.end();
  }

  private set(): void {
    const L = this.L;
    L.next();
    if (L.type === T_WORD) {
      const u = L.upper();
      if (u === 'PASSWORD') forbid('set_password');
      if (u === 'ROLE' || u === 'DEFAULT' || u === 'STATEMENT' || u === 'TRANSACTION') forbid('statement_not_allowed');
    }
    for (;;) {
      this.assignment();
      if (L.isPunct(0x2c)) {
        L.next();
        continue;
      }
      this.end();
      return;
    }
  }

  private assignment(): void {
    const L = this.L;
    let family: Family = null;
    if (L.type === T_WORD) {
      const u = L.upper();
      if (u === 'GLOBAL' || u === 'PERSIST' || u === 'PERSIST_ONLY') forbid('set_global');
      if (u === 'NAMES' || u === 'CHARSET' || u === 'CHARACTER') {
        L.next();
        if (u === 'CHARACTER') this.expectWord('SET');
        this.checkAtom(this.charsetName(), 'charset');
        if (u === 'NAMES' && L.isWord('COLLATE')) {
          L.next();
          this.checkAtom(this.charsetName(), 'charset');
        }
        return;
      }
      if (u === 'SESSION' || u === 'LOCAL') L.next();
      family = this.sysvarName();
    } else if (L.type === T_BQ) {
      family = this.sysvarName();
    } else if (L.isPunct(0x40)) {
      L.next();
      if (L.isPunct(0x40)) {
        L.next();
        family = sysvarFamily(this.scopedSysvar(true));
      } else {
        const name = this.userVarName();
        family = CHARSET_HOLDERS.has(name) ? 'charset' : SQLMODE_HOLDERS.has(name) ? 'sql_mode' : null;
      }
    } else forbid('syntax_error');
    if (!L.isPunct(0x3d) && !L.isPunct(ASSIGN)) forbid('syntax_error');
    L.next();
    this.value(family);
  }

  /** A system variable's name (WORD or BQ); returns its family. */
  private sysvarName(): Family {
    const L = this.L;
    if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
    const name = L.ident().toLowerCase();
    if (L.type === T_WORD && ['global', 'persist', 'persist_only'].includes(name)) forbid('set_global');
    if (L.type === T_WORD && ['transaction', 'password', 'role', 'statement', 'names', 'charset', 'character'].includes(name)) forbid('statement_not_allowed');
    L.next();
    // Structured variables (keycache.x) are global.
    if (L.isPunct(0x2e)) forbid('set_global');
    return sysvarFamily(name);
  }

  /** After `@@`: [scope.]name; returns the lowercase name. Writing (`write`) a global scope is forbidden; reading it is fine. */
  private scopedSysvar(write: boolean): string {
    const L = this.L;
    if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
    const first = L.ident().toLowerCase();
    L.next();
    if (L.isPunct(0x2e)) {
      if (write && !['session', 'local'].includes(first)) forbid('set_global');
      L.next();
      if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
      const name = L.ident().toLowerCase();
      L.next();
      return name;
    }
    return first;
  }

  /** After `@`: the user variable's lowercase name (user variable names are case-insensitive). */
  private userVarName(): string {
    const L = this.L;
    if (L.type !== T_WORD && L.type !== T_BQ && L.type !== T_STR) forbid('syntax_error');
    let name = L.type === T_STR ? L.strContent() : L.ident();
    L.next();
    while (L.isPunct(0x2e)) {
      L.next();
      if (L.type !== T_WORD && L.type !== T_BQ) forbid('syntax_error');
      name += '.' + L.ident();
      L.next();
    }
    return name.toLowerCase();
  }

  /** The argument of SET NAMES / CHARACTER SET / COLLATE. */
  private charsetName(): Atom {
    const L = this.L;
    if (L.type === T_STR) {
      const a: Atom = { type: 'str', text: L.strContent() };
      L.next();
      return a;
    }
    if (L.type === T_WORD || L.type === T_BQ) {
      const a: Atom = { type: L.isNumeric() ? 'num' : 'word', text: L.ident() };
      L.next();
      return a;
    }
    return forbid('syntax_error');
  }

  /** One SET value: an atom, IFNULL(a, b), COALESCE(a, ...) or IF(x IS [NOT] NULL, a, b). */
  private value(family: Family): void {
    const L = this.L;
    if (L.type === T_WORD && ['IFNULL', 'COALESCE', 'IF'].includes(L.upper())) {
      const fn = L.upper();
      L.next();
      if (!L.isPunct(0x28)) forbid('set_value_not_allowed');
      L.next();
      if (fn === 'IF') {
        this.atom();
        this.expectWord('IS');
        if (L.isWord('NOT')) L.next();
        this.expectWord('NULL');
        if (!L.isPunct(0x2c)) forbid('set_value_not_allowed');
        L.next();
        this.checkAtom(this.atom(), family);
        if (!L.isPunct(0x2c)) forbid('set_value_not_allowed');
        L.next();
        this.checkAtom(this.atom(), family);
      } else {
        for (;;) {
          this.checkAtom(this.atom(), family);
          if (!L.isPunct(0x2c)) break;
          L.next();
        }
      }
      if (!L.isPunct(0x29)) forbid('set_value_not_allowed');
      L.next();
    } else this.checkAtom(this.atom(), family);
    if (!(L.type === T_EOF || L.isPunct(0x2c) || L.isPunct(0x3b))) forbid('set_value_not_allowed');
  }

  private atom(): Atom {
    const L = this.L;
    let a: Atom;
    if (L.isPunct(0x2d) || L.isPunct(0x2b)) {
      L.next();
      if (!L.isNumeric()) forbid('set_value_not_allowed');
      a = { type: 'num', text: L.ident() };
      L.next();
    } else if (L.type === T_STR) {
      a = { type: 'str', text: L.strContent() };
      L.next();
    } else if (L.type === T_WORD) {
      a = { type: L.isNumeric() ? 'num' : 'word', text: L.ident() };
      L.next();
      // _charset'...' introducers, X'..', B'..', N'..': not written by dump tools in SET.
      if (L.isStr()) forbid('set_value_not_allowed');
    } else if (L.isPunct(0x40)) {
      L.next();
      if (L.isPunct(0x40)) {
        L.next();
        a = { type: 'sys', text: this.scopedSysvar(false) };
      } else a = { type: 'user', text: this.userVarName() };
    } else return forbid('set_value_not_allowed');
    return a;
  }

  private checkAtom(a: Atom, family: Family): void {
    if (family === null) return;
    if (family === 'charset') {
      if ((a.type === 'str' || a.type === 'word') && /^[A-Za-z][A-Za-z0-9_]*$/.test(a.text) && !UNSAFE_CHARSET.test(a.text.toLowerCase())) return;
      if (a.type === 'user' && CHARSET_HOLDERS.has(a.text)) return;
      if (a.type === 'sys' && CHARSET_SYSVARS.has(a.text)) return;
      forbid('unsafe_charset');
    }
    if ((a.type === 'str' || a.type === 'word') && /^[A-Za-z0-9_, ]*$/.test(a.text)) {
      for (const mode of a.text.split(',')) {
        if (UNSAFE_SQL_MODES.has(mode.trim().toUpperCase())) forbid('unsafe_sql_mode');
      }
      return;
    }
    if (a.type === 'user' && SQLMODE_HOLDERS.has(a.text)) return;
    if (a.type === 'sys' && a.text === 'sql_mode') return;
    forbid('unsafe_sql_mode');
  }
}

function sysvarFamily(name: string): Family {
  if (CHARSET_SYSVARS.has(name)) return 'charset';
  if (name === 'sql_mode') return 'sql_mode';
  return null;
}

/** The first ~60 characters of a statement, single-spaced, for error messages. */
function headOf(b: Buffer): string {
  const s = b.toString('utf8', 0, Math.min(b.length, 400)).replace(/\s+/g, ' ').trim();
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/** Parses every reading of the statement (each executable comment run or skipped); throws Forbidden. */
function parseAll(b: Buffer, full: boolean): Parsed[] {
  const first = new Parser(b, 0, full).parse();
  const k = first.execCount;
  if (k > MAX_EXEC_COMMENTS) {
    if (full) forbid('too_many_executable_comments');
    return [first];
  }
  const all = [first];
  for (let mask = 1; mask < 1 << k; mask++) {
    if (full) all.push(new Parser(b, mask, true).parse());
    else {
      try {
        all.push(new Parser(b, mask, false).parse());
      } catch (e) {
        if (!(e instanceof Forbidden)) throw e;
      }
    }
  }
  return all;
}

/**
 * Classifies one statement of a dump against the restore's allowlist (see the notes at the top of this file).
 *
 * @param sql the statement as the reader yields it (without its delimiter); a string is taken as UTF-8
 * @returns 'allow' with the statement's kind and the tables it writes; 'skip' when it writes a protected table;
 *   'forbid' with a machine reason and the statement's head for the error message
 */
export function checkStatement(sql: Buffer | string, options: GuardOptions): GuardVerdict {
  const b = typeof sql === 'string' ? Buffer.from(sql, 'utf8') : sql;
  try {
    const all = parseAll(b, true);
    const first = all[0];
    const tables = first.writes.map((r) => r.table);
    const protectedSet = new Set(options.protectedTables.map((t) => t.toLowerCase()));
    let skip = false;
    for (const r of all) {
      if (r.kind !== 'empty' && (r.kind !== first.kind || r.writes.length !== first.writes.length || r.writes.some((w, i) => w.table !== tables[i]))) forbid('ambiguous_comment');
      for (const ref of r.writes) if (ref.db !== null && ref.db !== options.database) forbid('other_database');
      for (const ref of r.reads) if (ref.db !== null && ref.db !== options.database) forbid('other_database');
      if (r.useDb !== null && r.useDb !== options.database) forbid('other_database');
      for (const ref of r.writes) if (options.prefix !== '' && !ref.table.startsWith(options.prefix)) forbid('outside_prefix');
      if (r.kind !== 'lock_tables' && r.writes.some((ref) => protectedSet.has(ref.table.toLowerCase()))) skip = true;
    }
    const unique = [...new Set(tables)];
    if (skip) return { verdict: 'skip', kind: first.kind, tables: unique, reason: 'protected_table' };
    return { verdict: 'allow', kind: first.kind, tables: unique };
  } catch (e) {
    if (e instanceof Forbidden) return { verdict: 'forbid', reason: e.reason, head: headOf(b) };
    throw e;
  }
}

/**
 * The kind and tables of a statement that {@link checkStatement} has already allowed or skipped (the restore's second
 * pass over an unchanged file): only the statement's head is parsed, not its values, so it costs a fraction of a
 * full check. Never use it on a statement that was not checked: it does not look for anything forbidden.
 */
export function classifyCheckedStatement(sql: Buffer, options: GuardOptions): GuardVerdict {
  let first: Parsed;
  try {
    first = parseAll(sql, false)[0];
  } catch (e) {
    if (e instanceof Forbidden) return checkStatement(sql, options);
    throw e;
  }
  const tables = [...new Set(first.writes.map((r) => r.table))];
  const protectedSet = new Set(options.protectedTables.map((t) => t.toLowerCase()));
  if (first.kind !== 'lock_tables' && tables.some((table) => protectedSet.has(table.toLowerCase()))) {
    return { verdict: 'skip', kind: first.kind, tables, reason: 'protected_table' };
  }
  return { verdict: 'allow', kind: first.kind, tables };
}

/**
 * Rewrites the table names a statement writes (INSERT INTO / REPLACE INTO / CREATE TABLE / DROP TABLE list /
 * TRUNCATE / ALTER TABLE / LOCK TABLES list, also inside executable comments) using `map` (live name -> other
 * name), quoting the new names with backticks; a `db.` qualifier is kept. Nothing after the table-name position
 * (values, REFERENCES targets) is touched. Returns `sql` itself when nothing changes (including statements the guard
 * would forbid), else a new Buffer with all other bytes unchanged.
 */
export function renameStatementTables(sql: Buffer, map: ReadonlyMap<string, string>): Buffer {
  if (map.size === 0) return sql;
  let all: Parsed[];
  try {
    all = parseAll(sql, false);
  } catch (e) {
    if (e instanceof Forbidden) return sql;
    throw e;
  }
  const seen = new Set<number>();
  const hits: TableRef[] = [];
  for (const r of all) {
    for (const ref of r.writes) {
      if (!seen.has(ref.start) && map.has(ref.table)) {
        seen.add(ref.start);
        hits.push(ref);
      }
    }
  }
  if (hits.length === 0) return sql;
  hits.sort((x, y) => x.start - y.start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const ref of hits) {
    parts.push(sql.subarray(at, ref.start));
    parts.push(Buffer.from('`' + (map.get(ref.table) as string).replace(/`/g, '``') + '`', 'utf8'));
    at = ref.end;
  }
  parts.push(sql.subarray(at));
  return Buffer.concat(parts);
}

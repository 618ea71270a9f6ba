// Typed statements of a dump: each statement the reader yields is parsed from its tokens into one of a few typed forms,
// and the restore sends the server only SQL re-emitted from that form (statement-emit.ts). Nothing the file spells is
// executed as written: comments are gone, identifiers are re-quoted, strings re-encoded, and only row values that are
// canonical (no comments, the server's default lexing) are copied byte for byte.
//
// Accepted forms (anything else is refused with a reason):
//   SET <session assignments>                     → 'set' (evaluated by the restore's SessionModel, never sent as written)
//   CREATE TABLE [IF NOT EXISTS] t (...) [options] → 'create_table' (no CREATE ... SELECT/LIKE, local engines only,
//                                                    no rows after the columns, no DATA/INDEX DIRECTORY, CONNECTION,
//                                                    UNION; no dangerous functions; PARTITION BY allowed)
//   DROP TABLE [IF EXISTS] t[, ...]                → 'drop_table'
//   TRUNCATE [TABLE] t                             → 'truncate'
//   INSERT|REPLACE [IGNORE] [INTO] t [(cols)] VALUES (...), ... [ON DUPLICATE KEY UPDATE ...] → 'insert'
//   ALTER TABLE t ADD KEY|INDEX|UNIQUE|PRIMARY KEY|FULLTEXT|SPATIAL|CONSTRAINT|FOREIGN KEY ..., MODIFY ..., CHANGE ...,
//     AUTO_INCREMENT = n, DISABLE KEYS, ENABLE KEYS → 'alter_table'
//   LOCK/UNLOCK TABLES, START TRANSACTION, BEGIN, COMMIT, USE <this database> → 'ignored' (the restore runs its own
//     transactions)
//   CREATE/DROP/ALTER of VIEW, TRIGGER, PROCEDURE, FUNCTION, EVENT → 'skipped' (reported to the shop owner, never run)
// Names qualified with a database must name the shop's database.

import {
  TokenList,
  TOKEN_WORD,
  TOKEN_NUMBER,
  TOKEN_IDENT,
  TOKEN_STRING,
  TOKEN_PUNCT,
  TOKEN_USER_VAR,
  TOKEN_SYSTEM_VAR,
  stringValue,
  identifierValue,
} from './sql-tokenizer.ts';

/** Why a statement is refused; each has a translated message (error_refused_<reason>). */
export type RefusalReason =
  | 'statement_not_allowed'
  | 'syntax'
  | 'other_database'
  | 'set_global'
  | 'unsafe_charset'
  | 'unsafe_sql_mode'
  | 'function_not_allowed'
  | 'subquery'
  | 'variable_not_allowed'
  | 'create_select'
  | 'engine_not_allowed'
  | 'table_option_not_allowed'
  | 'alter_not_allowed';

export class StatementRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    /** what in the statement was refused (a word, a name), for the message */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'StatementRefused';
  }
}

/** A value a SET may assign, before evaluation. */
export type SetExpression =
  | { type: 'literal'; value: string | null }
  | { type: 'default' }
  | { type: 'user'; name: string }
  | { type: 'system'; name: string }
  | { type: 'ifnull'; args: SetExpression[] }
  | { type: 'if_null'; test: SetExpression; negate: boolean; then: SetExpression; otherwise: SetExpression };

export interface SetAssignment {
  /** `user` for @name, `session` for a system variable (lowercase, scope removed) */
  scope: 'user' | 'session';
  name: string;
  value: SetExpression;
}

/** A named FOREIGN KEY constraint in a CREATE TABLE / ALTER TABLE body (token index of its name). */
export interface NamedConstraint {
  name: string;
  token: number;
}

export type Statement =
  | { kind: 'set'; assignments: SetAssignment[] }
  | { kind: 'create_table'; table: string; ifNotExists: boolean; bodyFrom: number; bodyTo: number; foreignKeys: NamedConstraint[]; referenced: string[] }
  | { kind: 'drop_table'; tables: string[]; ifExists: boolean }
  | { kind: 'truncate'; table: string }
  | {
      kind: 'insert';
      verb: 'INSERT' | 'REPLACE';
      ignore: boolean;
      table: string;
      columns: string[] | null;
      /** token range of the rows: from the first `(` to just after the last `)` */
      rowsFrom: number;
      rowsTo: number;
      rows: number;
      /** token range after ON DUPLICATE KEY UPDATE (empty when absent) */
      updateFrom: number;
      updateTo: number;
    }
  | { kind: 'alter_table'; table: string; keysSwitch: boolean; clausesFrom: number; clausesTo: number; foreignKeys: NamedConstraint[] }
  | { kind: 'ignored'; what: 'lock' | 'transaction' | 'use' }
  | { kind: 'skipped'; what: 'view' | 'trigger' | 'routine' | 'event'; name: string };

/** Functions (and operators written like functions) a row value may call. */
const VALUE_FUNCTIONS = new Set(
  (
    'AND OR NOT XOR IN IS LIKE BETWEEN CASE WHEN THEN ELSE END DIV MOD INTERVAL BINARY COLLATE ROW VALUES VALUE DEFAULT NULL TRUE FALSE ' +
    'IF IFNULL NULLIF COALESCE CONCAT CONCAT_WS REPLACE CHAR UNHEX HEX FROM_BASE64 TO_BASE64 CONVERT CAST USING ' +
    'CURRENT_TIMESTAMP NOW UTC_TIMESTAMP CURDATE CURRENT_DATE CURTIME CURRENT_TIME LOWER UPPER SUBSTRING TRIM ' +
    'GREATEST LEAST ABS ROUND FLOOR CEIL DATE TIME TIMESTAMP DATETIME STR_TO_DATE DATE_ADD DATE_SUB FROM_UNIXTIME UNIX_TIMESTAMP ' +
    'UUID MD5 SHA1 SHA2 DECIMAL SIGNED UNSIGNED INTEGER JSON_OBJECT JSON_ARRAY JSON_QUOTE AS ' +
    'POINT LINESTRING POLYGON MULTIPOINT MULTILINESTRING MULTIPOLYGON GEOMETRYCOLLECTION ' +
    'ST_GEOMFROMTEXT ST_GEOMFROMWKB GEOMFROMTEXT GEOMFROMWKB ST_POINTFROMTEXT POINTFROMTEXT ST_GEOMETRYFROMTEXT ' +
    'YEAR MONTH DAY HOUR MINUTE SECOND MICROSECOND WEEK QUARTER'
  ).split(' '),
);
const SUBQUERY_WORDS = new Set(['SELECT', 'WITH', 'TABLE', 'UNION', 'EXCEPT', 'INTERSECT']);
/** Words that make a CREATE TABLE take its rows from elsewhere (CREATE ... SELECT, LIKE, a table value constructor). */
const CREATE_SELECT_WORDS = new Set(['SELECT', 'AS', 'LIKE', 'IGNORE', 'REPLACE', 'TABLE', 'VALUES', 'VALUE', 'WITH']);
/** Table options that put data outside the server's own files or in other tables. */
const TABLE_OPTION_DENY_WORDS = new Set(['UNION', 'CONNECTION', 'DIRECTORY', 'ENGINE_ATTRIBUTE', 'SECONDARY_ENGINE', 'SECONDARY_ENGINE_ATTRIBUTE']);
/** Functions that need no parentheses and say who runs the restore: never copied into the shop's data. */
const BARE_DENY_FUNCTIONS = new Set(['CURRENT_USER', 'CURRENT_ROLE']);
/** Built-in functions that must not appear in column definitions (defaults, generated columns, checks). */
const BODY_DENY_FUNCTIONS = new Set(
  ('NEXTVAL SETVAL LASTVAL LOAD_FILE SLEEP BENCHMARK GET_LOCK RELEASE_LOCK RELEASE_ALL_LOCKS IS_FREE_LOCK IS_USED_LOCK MASTER_POS_WAIT MASTER_GTID_WAIT SOURCE_POS_WAIT SYS_EXEC SYS_EVAL SYS_GET SYS_SET ' +
    // Who and where the restore runs: a default would write it into every row the shop inserts.
    'USER SESSION_USER SYSTEM_USER CURRENT_USER CURRENT_ROLE DATABASE SCHEMA VERSION CONNECTION_ID'
  ).split(' '),
);
/** Words that must not appear in an ALTER TABLE clause (operations outside the allowlist). */
const ALTER_DENY_WORDS = new Set('SELECT RENAME EXCHANGE TABLE TABLESPACE DISCARD IMPORT ENGINE CONNECTION DIRECTORY UNION PARTITION PARTITIONING REMOVE'.split(' '));
const ALTER_CLAUSE_WORDS = new Set(['ADD', 'MODIFY', 'CHANGE', 'AUTO_INCREMENT', 'DISABLE', 'ENABLE', 'ALTER']);
/** Storage engines that keep data in the server's own files. */
const LOCAL_ENGINES = new Set('INNODB XTRADB MYISAM ARIA MEMORY HEAP ARCHIVE CSV BLACKHOLE ROCKSDB'.split(' '));
const OBJECT_WORDS: Record<string, 'view' | 'trigger' | 'routine' | 'event'> = { VIEW: 'view', TRIGGER: 'trigger', PROCEDURE: 'routine', FUNCTION: 'routine', EVENT: 'event' };

/** Reads a statement's tokens. `database` is the shop's database (qualified names must use it). */
export class StatementParser {
  private i = 0;
  private n = 0;
  private sql: Buffer = Buffer.alloc(0);
  private t: TokenList = new TokenList();
  backslashEscapes = true;
  /** false when the rows of the last INSERT hold a bare word with bytes >= 0x80 (re-emitted quoted, never copied) */
  rowsPlainWords = true;

  constructor(private readonly database: string) {}

  parse(sql: Buffer, tokens: TokenList, backslashEscapes: boolean): Statement {
    this.sql = sql;
    this.t = tokens;
    this.i = 0;
    this.n = tokens.count;
    this.backslashEscapes = backslashEscapes;
    this.rowsPlainWords = true;
    this.refuseControlCharactersInNames();
    const first = this.upper(0);
    if (tokens.type[0] !== TOKEN_WORD) this.refuse('statement_not_allowed', this.head());
    switch (first) {
      case 'SET':
        return this.set();
      case 'CREATE':
        return this.create();
      case 'DROP':
        return this.drop();
      case 'TRUNCATE':
        this.i = 1;
        if (this.isWord('TABLE')) this.i++;
        return this.finish({ kind: 'truncate', table: this.tableName() });
      case 'INSERT':
      case 'REPLACE':
        return this.insert(first);
      case 'ALTER':
        return this.alter();
      case 'LOCK':
      case 'UNLOCK':
        // Only LOCK/UNLOCK TABLE(S): the restore takes no table locks of the dump's.
        if (!this.wordAt(1, 'TABLE') && !this.wordAt(1, 'TABLES')) this.refuse('statement_not_allowed', this.head());
        return { kind: 'ignored', what: 'lock' };
      case 'START':
        if (!this.wordAt(1, 'TRANSACTION')) this.refuse('statement_not_allowed', this.head());
        return { kind: 'ignored', what: 'transaction' };
      case 'BEGIN':
      case 'COMMIT':
        // BEGIN NOT ATOMIC (a compound statement) and COMMIT ... RELEASE are not transactions of a dump.
        if (this.n > 2 || (this.n === 2 && !this.wordAt(1, 'WORK'))) this.refuse('statement_not_allowed', this.head());
        return { kind: 'ignored', what: 'transaction' };
      case 'USE': {
        this.i = 1;
        const name = this.identifier();
        if (name !== this.database) this.refuse('other_database', name);
        return this.finish({ kind: 'ignored', what: 'use' });
      }
      default:
        return this.refuse('statement_not_allowed', this.head());
    }
  }

  /**
   * A quoted name may hold any byte for the server, but no shop's table or column name holds a line break or another
   * control character; refusing them keeps a name from ever carrying text that some reader could take for SQL.
   */
  private refuseControlCharactersInNames(): void {
    const { type, start, end } = this.t;
    for (let i = 0; i < this.n; i++) {
      if (type[i] !== TOKEN_IDENT) continue;
      for (let k = start[i]; k < end[i]; k++) {
        if (this.sql[k] < 0x20 || this.sql[k] === 0x7f) {
          this.i = i;
          const name = this.identifierAt(i);
          let shown = 0;
          while (name.charCodeAt(shown) >= 0x20 && name.charCodeAt(shown) !== 0x7f) shown++;
          this.refuse('syntax', name.slice(0, shown));
        }
      }
    }
  }

  // ---- token access ----

  private text(i: number): string {
    return this.sql.toString('latin1', this.t.start[i], this.t.end[i]);
  }

  upper(i: number): string {
    return i < this.n && this.t.type[i] === TOKEN_WORD ? this.text(i).toUpperCase() : '';
  }

  private wordAt(i: number, word: string): boolean {
    return i < this.n && this.t.type[i] === TOKEN_WORD && this.t.end[i] - this.t.start[i] === word.length && this.text(i).toUpperCase() === word;
  }

  private isWord(word: string): boolean {
    return this.wordAt(this.i, word);
  }

  private isPunct(ch: number, i = this.i): boolean {
    return i < this.n && this.t.type[i] === TOKEN_PUNCT && this.sql[this.t.start[i]] === ch;
  }

  private expectWord(word: string): void {
    if (!this.isWord(word)) this.refuse('syntax', this.near());
    this.i++;
  }

  private expectPunct(ch: number): void {
    if (!this.isPunct(ch)) this.refuse('syntax', this.near());
    this.i++;
  }

  /** The first words of the statement, for messages. */
  head(): string {
    const words: string[] = [];
    for (let i = 0; i < this.n && words.length < 3; i++) {
      const type = this.t.type[i];
      if (type !== TOKEN_WORD && type !== TOKEN_IDENT) break;
      words.push(type === TOKEN_WORD ? this.text(i).toUpperCase() : this.identifierAt(i));
    }
    // Not even a first word: the statement's first characters say what it is.
    if (words.length === 0) return this.sql.toString('utf8', 0, Math.min(this.sql.length, 40)).trim();
    return words.join(' ').slice(0, 80);
  }

  private near(): string {
    return this.i < this.n ? this.text(this.i).slice(0, 40) : this.head();
  }

  refuse(reason: RefusalReason, detail: string): never {
    throw new StatementRefused(reason, detail);
  }

  /** Only trailing `;`s may follow (they are the dump's, and harmless). */
  private finish<T extends Statement>(statement: T): T {
    while (this.isPunct(0x3b)) this.i++;
    if (this.i < this.n) this.refuse(this.t.type[this.i - 1] === TOKEN_PUNCT && this.sql[this.t.start[this.i - 1]] === 0x3b ? 'statement_not_allowed' : 'syntax', this.near());
    return statement;
  }

  identifierAt(i: number): string {
    const type = this.t.type[i];
    if (type === TOKEN_IDENT) return identifierValue(this.sql, this.t.start[i], this.t.end[i]).toString('utf8');
    return this.sql.toString('utf8', this.t.start[i], this.t.end[i]);
  }

  private identifier(): string {
    const type = this.t.type[this.i];
    if (this.i >= this.n || (type !== TOKEN_WORD && type !== TOKEN_IDENT)) this.refuse('syntax', this.near());
    return this.identifierAt(this.i++);
  }

  /** A table name `t`, t, db.t: the database must be the shop's. */
  private tableName(): string {
    const first = this.identifier();
    if (!this.isPunct(0x2e)) return first;
    this.i++;
    const table = this.identifier();
    if (first !== this.database) this.refuse('other_database', first);
    return table;
  }

  // ---- statements ----

  private create(): Statement {
    this.i = 1;
    if (this.isWord('OR')) {
      this.i++;
      this.expectWord('REPLACE');
    }
    // CREATE [ALGORITHM=..] [DEFINER=..] [SQL SECURITY ..] VIEW/TRIGGER/PROCEDURE/FUNCTION/EVENT: reported, not run.
    for (let j = this.i; j < Math.min(this.n, this.i + 12); j++) {
      const what = OBJECT_WORDS[this.upper(j)];
      if (what && !this.wordAt(this.i, 'TABLE') && !this.wordAt(this.i, 'TEMPORARY')) {
        let name = '';
        for (let k = j + 1; k < this.n; k++) {
          const type = this.t.type[k];
          if (type === TOKEN_WORD && ['IF', 'NOT', 'EXISTS'].includes(this.upper(k))) continue;
          if (type === TOKEN_WORD || type === TOKEN_IDENT) name = this.identifierAt(k);
          break;
        }
        return { kind: 'skipped', what, name };
      }
    }
    if (!this.isWord('TABLE')) this.refuse('statement_not_allowed', this.head());
    this.i++;
    let ifNotExists = false;
    if (this.isWord('IF')) {
      this.i++;
      this.expectWord('NOT');
      this.expectWord('EXISTS');
      ifNotExists = true;
    }
    const table = this.tableName();
    if (!this.isPunct(0x28)) this.refuse(CREATE_SELECT_WORDS.has(this.upper(this.i)) ? 'create_select' : 'syntax', this.near());
    const bodyFrom = this.i;
    if (this.isPunct(0x28, this.i + 1) || SUBQUERY_WORDS.has(this.upper(this.i + 1)) || this.wordAt(this.i + 1, 'LIKE') || this.wordAt(this.i + 1, 'VALUES')) {
      this.refuse('create_select', this.upper(this.i + 1) || '(');
    }
    const foreignKeys: NamedConstraint[] = [];
    const referenced: string[] = [];
    this.i++;
    this.definitions(1, null, foreignKeys, referenced);
    const bodyTo = this.tableOptions();
    return { kind: 'create_table', table, ifNotExists, bodyFrom, bodyTo, foreignKeys, referenced };
  }

  /**
   * Column definitions or ALTER clauses up to the matching `)` (depth 1) or the end (depth 0): no subqueries, variables,
   * dangerous functions or other statements' words; REFERENCES must name this database's tables.
   */
  private definitions(depth: number, denyWords: Set<string> | null, foreignKeys: NamedConstraint[], referenced: string[]): void {
    let previous = '';
    while (this.i < this.n) {
      const type = this.t.type[this.i];
      if (type === TOKEN_PUNCT) {
        const ch = this.sql[this.t.start[this.i]];
        if (ch === 0x3b) return;
        if (ch === 0x28) {
          if (BODY_DENY_FUNCTIONS.has(previous)) this.refuse('function_not_allowed', previous);
          depth++;
        } else if (ch === 0x29) {
          depth--;
          if (depth < 0) this.refuse('syntax', ')');
          if (depth === 0) {
            this.i++;
            return;
          }
        } else if (ch === 0x5c || ch === 0x3f) this.refuse('syntax', String.fromCharCode(ch));
        previous = '';
      } else if (type === TOKEN_USER_VAR || type === TOKEN_SYSTEM_VAR) {
        this.refuse('variable_not_allowed', this.text(this.i));
      } else if (type === TOKEN_WORD) {
        const word = this.upper(this.i);
        if (SUBQUERY_WORDS.has(word) && word !== 'TABLE') this.refuse(denyWords ? 'alter_not_allowed' : 'subquery', word);
        if (denyWords?.has(word)) this.refuse('alter_not_allowed', word);
        if (word === 'VALUE' && (previous === 'NEXT' || previous === 'PREVIOUS')) this.refuse('function_not_allowed', `${previous} VALUE`);
        if (BARE_DENY_FUNCTIONS.has(word)) this.refuse('function_not_allowed', word);
        if (word === 'CONSTRAINT') {
          const next = this.t.type[this.i + 1];
          if (this.i + 1 < this.n && (next === TOKEN_IDENT || (next === TOKEN_WORD && !['FOREIGN', 'CHECK', 'PRIMARY', 'UNIQUE'].includes(this.upper(this.i + 1))))) {
            if (this.wordAt(this.i + 2, 'FOREIGN')) foreignKeys.push({ name: this.identifierAt(this.i + 1), token: this.i + 1 });
            this.i += 2;
            previous = '';
            continue;
          }
        }
        if (word === 'REFERENCES') {
          this.i++;
          referenced.push(this.tableName());
          previous = '';
          continue;
        }
        previous = word;
      } else previous = '';
      this.i++;
    }
    if (depth > 0) this.refuse('syntax', '(');
  }

  /**
   * Table options, and a PARTITION BY clause (SHOW CREATE TABLE writes one for a partitioned table, so our own backups
   * hold it). Returns the index just after them (before trailing `;`s).
   *
   * After the column list MariaDB also takes the rows of a CREATE ... SELECT: SELECT, a table value constructor
   * (VALUES (...), a parenthesised query), TABLE t, WITH. So options are words, names, numbers, strings, `=` and `,`
   * only; parentheses and operators only inside PARTITION BY, where VALUES must be VALUES LESS THAN / VALUES IN.
   */
  private tableOptions(): number {
    let partitioning = false;
    let depth = 0;
    let previous = '';
    for (; this.i < this.n; this.i++) {
      const type = this.t.type[this.i];
      if (type === TOKEN_USER_VAR || type === TOKEN_SYSTEM_VAR) this.refuse('variable_not_allowed', this.text(this.i));
      if (type === TOKEN_PUNCT) {
        const ch = this.sql[this.t.start[this.i]];
        if (ch === 0x3b && depth === 0) break;
        if (ch === 0x3d || ch === 0x2c) {
          previous = '';
          continue;
        }
        if (!partitioning || ch === 0x3b || ch === 0x5c || ch === 0x3f) this.refuse(ch === 0x28 ? 'create_select' : 'syntax', this.near());
        if (ch === 0x28) {
          if (BODY_DENY_FUNCTIONS.has(previous)) this.refuse('function_not_allowed', previous);
          depth++;
        } else if (ch === 0x29 && --depth < 0) this.refuse('syntax', ')');
        previous = '';
        continue;
      }
      previous = '';
      if (type !== TOKEN_WORD) continue;
      const word = this.upper(this.i);
      if (word === 'PARTITION' && this.wordAt(this.i + 1, 'BY')) partitioning = true;
      else if (word === 'VALUES' && partitioning && (this.wordAt(this.i + 1, 'LESS') || this.wordAt(this.i + 1, 'IN'))) continue;
      else if (CREATE_SELECT_WORDS.has(word) || SUBQUERY_WORDS.has(word)) this.refuse('create_select', word);
      else if (TABLE_OPTION_DENY_WORDS.has(word)) this.refuse('table_option_not_allowed', word);
      else if (BARE_DENY_FUNCTIONS.has(word)) this.refuse('function_not_allowed', word);
      else if (word === 'ENGINE' || word === 'TYPE') {
        this.i++;
        if (this.isPunct(0x3d)) this.i++;
        const t = this.t.type[this.i];
        const engine = t === TOKEN_STRING ? this.stringAt(this.i).toString('latin1') : t === TOKEN_WORD || t === TOKEN_IDENT ? this.identifierAt(this.i) : '';
        if (!LOCAL_ENGINES.has(engine.toUpperCase())) this.refuse('engine_not_allowed', engine);
      }
      previous = word;
    }
    if (depth > 0) this.refuse('syntax', '(');
    const end = this.i;
    this.finish({ kind: 'ignored', what: 'use' });
    return end;
  }

  private drop(): Statement {
    this.i = 1;
    if (this.isWord('TEMPORARY')) this.refuse('statement_not_allowed', this.head());
    const what = OBJECT_WORDS[this.upper(1)];
    if (what) {
      this.i = 2;
      if (this.isWord('IF')) this.i += 2;
      return { kind: 'skipped', what, name: this.i < this.n ? this.identifierAt(this.i) : '' };
    }
    if (!this.isWord('TABLE') && !this.isWord('TABLES')) this.refuse('statement_not_allowed', this.head());
    this.i++;
    let ifExists = false;
    if (this.isWord('IF')) {
      this.i++;
      this.expectWord('EXISTS');
      ifExists = true;
    }
    const tables: string[] = [];
    for (;;) {
      tables.push(this.tableName());
      if (!this.isPunct(0x2c)) break;
      this.i++;
    }
    if (this.isWord('RESTRICT') || this.isWord('CASCADE')) this.i++;
    return this.finish({ kind: 'drop_table', tables, ifExists });
  }

  private insert(verb: 'INSERT' | 'REPLACE'): Statement {
    this.i = 1;
    let ignore = false;
    while (['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE'].includes(this.upper(this.i))) {
      if (this.isWord('IGNORE')) ignore = true;
      this.i++;
    }
    if (this.isWord('INTO')) this.i++;
    const table = this.tableName();
    if (this.isWord('PARTITION')) this.refuse('statement_not_allowed', 'PARTITION');
    let columns: string[] | null = null;
    if (this.isPunct(0x28)) {
      this.i++;
      columns = [];
      while (!this.isPunct(0x29)) {
        if (SUBQUERY_WORDS.has(this.upper(this.i)) || this.isPunct(0x28)) this.refuse('subquery', this.near());
        let name = this.identifier();
        if (this.isPunct(0x2e)) {
          // t.col or db.t.col: only the column matters.
          this.i++;
          name = this.identifier();
          if (this.isPunct(0x2e)) {
            this.i++;
            name = this.identifier();
          }
        }
        columns.push(name);
        if (this.isPunct(0x2c)) this.i++;
        else if (!this.isPunct(0x29)) this.refuse('syntax', this.near());
      }
      this.i++;
    }
    if (!this.isWord('VALUES') && !this.isWord('VALUE')) this.refuse(SUBQUERY_WORDS.has(this.upper(this.i)) || this.isPunct(0x28) ? 'subquery' : 'statement_not_allowed', this.near());
    this.i++;
    const rowsFrom = this.i;
    let rows = 0;
    for (;;) {
      if (!this.isPunct(0x28)) this.refuse('syntax', this.near());
      this.i++;
      this.values(1);
      rows++;
      if (!this.isPunct(0x2c)) break;
      this.i++;
    }
    const rowsTo = this.i;
    let updateFrom = this.i;
    let updateTo = this.i;
    if (this.isWord('ON')) {
      this.i++;
      this.expectWord('DUPLICATE');
      this.expectWord('KEY');
      this.expectWord('UPDATE');
      updateFrom = this.i;
      this.values(0);
      updateTo = this.i;
    }
    return this.finish({ kind: 'insert', verb, ignore, table, columns, rowsFrom, rowsTo, rows, updateFrom, updateTo });
  }

  /**
   * Row values (depth 1: up to the matching `)`; depth 0: to the end): literals, operators, column names and allowlisted
   * functions. Kept tight: it runs over every value of the file.
   */
  private values(depth: number): void {
    const t = this.t;
    const types = t.type;
    const sql = this.sql;
    let i = this.i;
    const n = this.n;
    for (; i < n; i++) {
      const type = types[i];
      if (type === TOKEN_STRING || type === TOKEN_NUMBER) continue;
      if (type === TOKEN_PUNCT) {
        const ch = sql[t.start[i]];
        if (ch === 0x2c) continue;
        if (ch === 0x28) {
          depth++;
          continue;
        }
        if (ch === 0x29) {
          if (--depth === 0) {
            this.i = i + 1;
            return;
          }
          if (depth < 0) break;
          continue;
        }
        if (ch === 0x3b) {
          if (depth === 0) break;
          this.i = i;
          this.refuse('syntax', ';');
        }
        if (ch === 0x5c || ch === 0x3f || ch === 0x40) {
          this.i = i;
          this.refuse('syntax', String.fromCharCode(ch));
        }
        if (ch === 0x3a && i + 1 < n && sql[t.start[i + 1]] === 0x3d && types[i + 1] === TOKEN_PUNCT) {
          this.i = i;
          this.refuse('variable_not_allowed', ':=');
        }
        continue;
      }
      if (type === TOKEN_WORD) {
        // NULL is by far the most common word in rows.
        const s = t.start[i];
        if (t.end[i] - s === 4 && (sql[s] | 0x20) === 0x6e && (sql[s + 1] | 0x20) === 0x75 && (sql[s + 2] | 0x20) === 0x6c && (sql[s + 3] | 0x20) === 0x6c) continue;
        const word = this.upper(i);
        for (let k = s; k < t.end[i]; k++) if (sql[k] >= 0x80) this.rowsPlainWords = false;
        if (SUBQUERY_WORDS.has(word)) {
          this.i = i;
          this.refuse('subquery', word);
        }
        const call = i + 1 < n && types[i + 1] === TOKEN_PUNCT && sql[t.start[i + 1]] === 0x28;
        // db.CONCAT( is a stored function of db that happens to share a built-in's name.
        const qualified = call && i > 0 && types[i - 1] === TOKEN_PUNCT && sql[t.start[i - 1]] === 0x2e;
        if ((call && (qualified || !VALUE_FUNCTIONS.has(word))) || BARE_DENY_FUNCTIONS.has(word)) {
          this.i = i;
          this.refuse('function_not_allowed', word);
        }
        if ((word === 'NEXT' || word === 'PREVIOUS') && this.wordAt(i + 1, 'VALUE')) {
          this.i = i;
          this.refuse('function_not_allowed', `${word} VALUE`);
        }
        continue;
      }
      if (type === TOKEN_IDENT) {
        // A quoted name followed by `(` is a stored function call.
        if (i + 1 < n && types[i + 1] === TOKEN_PUNCT && sql[t.start[i + 1]] === 0x28) {
          this.i = i;
          this.refuse('function_not_allowed', this.identifierAt(i));
        }
        continue;
      }
      this.i = i;
      this.refuse('variable_not_allowed', this.text(i));
    }
    this.i = i;
    if (depth > 0) this.refuse('syntax', '(');
  }

  private alter(): Statement {
    this.i = 1;
    for (const what of ['VIEW', 'EVENT', 'PROCEDURE', 'FUNCTION']) {
      if (this.wordAt(1, what) || (this.upper(1) !== 'TABLE' && this.wordAt(2, what))) return { kind: 'skipped', what: OBJECT_WORDS[what], name: '' };
    }
    if (this.isWord('ONLINE') || this.isWord('IGNORE')) this.i++;
    if (!this.isWord('TABLE')) this.refuse('statement_not_allowed', this.head());
    this.i++;
    const table = this.tableName();
    const clausesFrom = this.i;
    const keysSwitch = (this.isWord('DISABLE') || this.isWord('ENABLE')) && this.wordAt(this.i + 1, 'KEYS') && this.i + 2 >= this.n;
    const foreignKeys: NamedConstraint[] = [];
    // Every clause must start with an allowed word; the deny list keeps anything from hiding behind an allowed one.
    for (;;) {
      const word = this.upper(this.i);
      if (!ALTER_CLAUSE_WORDS.has(word)) this.refuse('alter_not_allowed', word || this.near());
      if (word === 'ALTER' && !this.wordAt(this.i + 1, 'COLUMN') && this.t.type[this.i + 1] !== TOKEN_IDENT && this.t.type[this.i + 1] !== TOKEN_WORD) this.refuse('alter_not_allowed', word);
      this.i++;
      this.clause(foreignKeys);
      if (!this.isPunct(0x2c)) break;
      this.i++;
    }
    const clausesTo = this.i;
    this.finish({ kind: 'ignored', what: 'use' });
    return { kind: 'alter_table', table, keysSwitch, clausesFrom, clausesTo, foreignKeys };
  }

  /** One ALTER clause, up to a top-level `,` or the end. */
  private clause(foreignKeys: NamedConstraint[]): void {
    let depth = 0;
    let previous = '';
    while (this.i < this.n) {
      const type = this.t.type[this.i];
      if (type === TOKEN_PUNCT) {
        const ch = this.sql[this.t.start[this.i]];
        if (ch === 0x2c && depth === 0) return;
        if (ch === 0x3b) return;
        if (ch === 0x28) {
          if (BODY_DENY_FUNCTIONS.has(previous)) this.refuse('function_not_allowed', previous);
          depth++;
        } else if (ch === 0x29) depth--;
        else if (ch === 0x5c || ch === 0x3f) this.refuse('syntax', String.fromCharCode(ch));
        previous = '';
      } else if (type === TOKEN_USER_VAR || type === TOKEN_SYSTEM_VAR) {
        this.refuse('variable_not_allowed', this.text(this.i));
      } else if (type === TOKEN_WORD) {
        const word = this.upper(this.i);
        if (ALTER_DENY_WORDS.has(word) || SUBQUERY_WORDS.has(word)) this.refuse('alter_not_allowed', word);
        if (word === 'VALUE' && (previous === 'NEXT' || previous === 'PREVIOUS')) this.refuse('function_not_allowed', `${previous} VALUE`);
        if (BARE_DENY_FUNCTIONS.has(word)) this.refuse('function_not_allowed', word);
        if (word === 'CONSTRAINT' && (this.t.type[this.i + 1] === TOKEN_IDENT || this.t.type[this.i + 1] === TOKEN_WORD) && this.wordAt(this.i + 2, 'FOREIGN')) {
          foreignKeys.push({ name: this.identifierAt(this.i + 1), token: this.i + 1 });
        }
        if (word === 'REFERENCES') {
          this.i++;
          this.tableName();
          previous = '';
          continue;
        }
        previous = word;
      } else previous = '';
      this.i++;
    }
  }

  // ---- SET ----

  private set(): Statement {
    this.i = 1;
    const assignments: SetAssignment[] = [];
    const word = this.upper(1);
    if (['PASSWORD', 'ROLE', 'STATEMENT', 'DEFAULT'].includes(word)) this.refuse('statement_not_allowed', `SET ${word}`);
    if (word === 'TRANSACTION') return { kind: 'ignored', what: 'transaction' };
    for (;;) {
      assignments.push(...this.assignment());
      if (!this.isPunct(0x2c)) break;
      this.i++;
    }
    return this.finish({ kind: 'set', assignments });
  }

  private assignment(): SetAssignment[] {
    let scope: 'session' | 'global' = 'session';
    const word = this.upper(this.i);
    if (['GLOBAL', 'PERSIST', 'PERSIST_ONLY'].includes(word)) scope = 'global';
    if (['GLOBAL', 'PERSIST', 'PERSIST_ONLY', 'SESSION', 'LOCAL'].includes(word)) this.i++;
    if (scope === 'global') this.refuse('set_global', word);
    if (this.isWord('NAMES')) {
      this.i++;
      const charset = this.setWord();
      const result: SetAssignment[] = [{ scope: 'session', name: 'names', value: charset }];
      if (this.isWord('COLLATE')) {
        this.i++;
        result.push({ scope: 'session', name: 'collation_connection', value: this.setWord() });
      }
      return result;
    }
    if ((this.isWord('CHARACTER') && this.wordAt(this.i + 1, 'SET')) || this.isWord('CHARSET')) {
      this.i += this.isWord('CHARSET') ? 1 : 2;
      return [{ scope: 'session', name: 'character_set', value: this.setWord() }];
    }
    const type = this.t.type[this.i];
    let target: SetAssignment['scope'];
    let name: string;
    if (type === TOKEN_USER_VAR) {
      target = 'user';
      name = this.variableName(this.i);
    } else if (type === TOKEN_SYSTEM_VAR) {
      name = this.variableName(this.i);
      const dot = name.indexOf('.');
      if (dot >= 0) {
        const prefix = name.slice(0, dot);
        if (prefix === 'global') this.refuse('set_global', this.text(this.i));
        if (prefix !== 'session' && prefix !== 'local') this.refuse('syntax', this.text(this.i));
        name = name.slice(dot + 1);
      }
      target = 'session';
    } else if (type === TOKEN_WORD || type === TOKEN_IDENT) {
      name = this.identifierAt(this.i).toLowerCase();
      target = 'session';
    } else return this.refuse('syntax', this.near());
    this.i++;
    if (this.isPunct(0x3a) && this.isPunct(0x3d, this.i + 1)) this.i++;
    this.expectPunct(0x3d);
    return [{ scope: target, name, value: this.setValue() }];
  }

  /** NAMES / CHARACTER SET / COLLATE argument: a name, a string or DEFAULT. */
  private setWord(): SetExpression {
    if (this.isWord('DEFAULT')) {
      this.i++;
      return { type: 'default' };
    }
    return this.setValue();
  }

  private variableName(i: number): string {
    const raw = this.text(i);
    const body = raw.startsWith('@@') ? raw.slice(2) : raw.slice(1);
    const q = body[0];
    if (q === "'" || q === '"' || q === '`') {
      const bytes = q === '`' ? identifierValue(Buffer.from(body, 'latin1'), 0, body.length) : stringValue(Buffer.from(body, 'latin1'), 0, body.length, this.backslashEscapes);
      return bytes.toString('utf8').toLowerCase();
    }
    return body.toLowerCase();
  }

  stringAt(i: number): Buffer {
    return stringValue(this.sql, this.t.start[i], this.t.end[i], this.backslashEscapes);
  }

  /** A SET value: literal, word, @var, @@var, IFNULL/COALESCE(a, ...), IF(x IS [NOT] NULL, a, b). */
  private setValue(): SetExpression {
    const type = this.t.type[this.i];
    if (type === TOKEN_STRING) return { type: 'literal', value: this.stringAt(this.i++).toString('latin1') };
    if (type === TOKEN_NUMBER) return { type: 'literal', value: this.text(this.i++) };
    if (type === TOKEN_PUNCT && (this.sql[this.t.start[this.i]] === 0x2d || this.sql[this.t.start[this.i]] === 0x2b) && this.t.type[this.i + 1] === TOKEN_NUMBER) {
      const value = this.text(this.i) + this.text(this.i + 1);
      this.i += 2;
      return { type: 'literal', value };
    }
    if (type === TOKEN_USER_VAR) return { type: 'user', name: this.variableName(this.i++) };
    if (type === TOKEN_SYSTEM_VAR) {
      const name = this.variableName(this.i++).replace(/^(session|local|global)\./, '');
      return { type: 'system', name };
    }
    if (type === TOKEN_IDENT) return { type: 'literal', value: this.identifierAt(this.i++) };
    if (type !== TOKEN_WORD) return this.refuse('syntax', this.near());
    const word = this.upper(this.i);
    if (this.isPunct(0x28, this.i + 1)) {
      if (word === 'IFNULL' || word === 'COALESCE') {
        this.i += 2;
        const args: SetExpression[] = [this.setValue()];
        while (this.isPunct(0x2c)) {
          this.i++;
          args.push(this.setValue());
        }
        this.expectPunct(0x29);
        return { type: 'ifnull', args };
      }
      if (word === 'IF') {
        this.i += 2;
        const test = this.setValue();
        this.expectWord('IS');
        const negate = this.isWord('NOT');
        if (negate) this.i++;
        this.expectWord('NULL');
        this.expectPunct(0x2c);
        const then = this.setValue();
        this.expectPunct(0x2c);
        const otherwise = this.setValue();
        this.expectPunct(0x29);
        return { type: 'if_null', test, negate, then, otherwise };
      }
      return this.refuse('function_not_allowed', word);
    }
    this.i++;
    if (word === 'NULL') return { type: 'literal', value: null };
    if (word === 'DEFAULT') return { type: 'default' };
    // ON, OFF, utf8mb4, NO_AUTO_VALUE_ON_ZERO...
    return { type: 'literal', value: this.text(this.i - 1) };
  }
}

// The typed statements of a dump and the SQL re-emitted from them: what is accepted, what is refused and why, and that the
// emitted SQL carries no comment and reads back as the same values.
import { describe, expect, it } from 'vitest';
import { DumpReader } from '../../system/library/backup/reader.ts';
import { StatementParser, StatementRefused, type Statement } from '../../system/library/backup/statement.ts';
import { emitInsert, emitCreateTable, emitAlterTable, emitTokens, type EmitContext } from '../../system/library/backup/statement-emit.ts';
import { SessionModel } from '../../system/library/backup/restore-session.ts';
import { TOKEN_STRING, stringValue, DEFAULT_LEXER_MODE, type LexerMode } from '../../system/library/backup/sql-tokenizer.ts';

interface Parsed {
  statement: Statement;
  context: EmitContext;
  parser: StatementParser;
}

/** Reads every statement of `text`, parsing each as the restore does (SETs applied to the lexer as they go). */
async function parseAll(text: string | Buffer): Promise<Array<Parsed | StatementRefused>> {
  const session = new SessionModel();
  const reader = new DumpReader([typeof text === 'string' ? Buffer.from(text) : text], {}, { mode: session.lexerMode(101100) });
  const out: Array<Parsed | StatementRefused> = [];
  for (;;) {
    const scanned = await reader.next();
    if (!scanned) return out;
    const parser = new StatementParser('shop');
    try {
      const statement = parser.parse(scanned.sql, scanned.tokens, reader.mode.backslashEscapes);
      if (statement.kind === 'set') {
        session.apply(statement.assignments);
        Object.assign(reader.mode, session.lexerMode(101100));
      }
      // Copies: the reader's buffers are reused by the next statement.
      const tokens = Object.assign(Object.create(Object.getPrototypeOf(scanned.tokens)), {
        ...scanned.tokens,
        type: scanned.tokens.type.slice(),
        start: scanned.tokens.start.slice(),
        end: scanned.tokens.end.slice(),
        spaced: scanned.tokens.spaced.slice(),
      });
      out.push({ statement, parser, context: { sql: Buffer.from(scanned.sql), tokens, mode: { ...reader.mode } } });
    } catch (error) {
      if (!(error instanceof StatementRefused)) throw error;
      out.push(error);
    }
  }
}

async function one(text: string | Buffer): Promise<Parsed> {
  const [result] = await parseAll(text);
  if (result instanceof StatementRefused) throw result;
  return result;
}

async function refusal(text: string): Promise<[string, string]> {
  const results = await parseAll(text);
  const refused = results.find((r): r is StatementRefused => r instanceof StatementRefused);
  if (!refused) throw new Error(`not refused: ${text}`);
  return [refused.reason, refused.detail];
}

function insertSql(parsed: Parsed, target = '_bkr_n_oc_t'): string {
  if (parsed.statement.kind !== 'insert') throw new Error(parsed.statement.kind);
  return emitInsert(parsed.context, parsed.statement, parsed.parser, target);
}

describe('accepted statements and what is emitted', () => {
  it('INSERT rows without comments are copied byte for byte behind the restore\'s own INSERT INTO', async () => {
    const rows = "(1,'a\\'b\\\\',NULL,-2.5e-3,0x1F,_binary 'x',X'00ff'),(2,'; -- /* */',DEFAULT,TRUE,'\\0\\Z')";
    const parsed = await one(`INSERT INTO \`oc_t\` (\`a\`, b) VALUES ${rows};`);
    expect(parsed.statement).toMatchObject({ kind: 'insert', table: 'oc_t', columns: ['a', 'b'], rows: 2, ignore: false });
    expect(insertSql(parsed)).toBe(`INSERT INTO \`_bkr_n_oc_t\` (\`a\`, \`b\`) VALUES ${rows}`);
  });

  it('a comment anywhere in the statement makes the rows re-emitted token by token, without the comment', async () => {
    const parsed = await one("INSERT IGNORE INTO oc_t VALUES (1, /* note */ 'x' -- tail\n, 'it''s'), (2, 'y' /*!999999 , 3 */);");
    expect(insertSql(parsed)).toBe("INSERT IGNORE INTO `_bkr_n_oc_t` VALUES (1, 'x' , 'it\\'s'), (2, 'y' )");
  });

  it('NO_BACKSLASH_ESCAPES and ANSI_QUOTES set by the file change how it is read, and the output uses the server\'s default', async () => {
    const [, parsed] = (await parseAll("SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES';\nINSERT INTO \"oc_t\" VALUES ('C:\\dir\\', 'a''b');")) as Parsed[];
    expect(parsed.statement).toMatchObject({ kind: 'insert', table: 'oc_t' });
    expect(insertSql(parsed)).toBe("INSERT INTO `_bkr_n_oc_t` VALUES ('C:\\\\dir\\\\', 'a\\'b')");
  });

  it('CREATE TABLE is re-emitted with the shadow name and temporary names for named foreign keys', async () => {
    const parsed = await one(
      'CREATE TABLE IF NOT EXISTS `oc_c` (\n  `id` int(11) NOT NULL /* c */,\n  `p` int DEFAULT 0 COMMENT \'it\'\'s\',\n  CONSTRAINT `fk_c` FOREIGN KEY (`p`) REFERENCES `shop`.`oc_p` (`id`) ON DELETE CASCADE\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;',
    );
    if (parsed.statement.kind !== 'create_table') throw new Error('kind');
    expect(parsed.statement).toMatchObject({ table: 'oc_c', ifNotExists: true, referenced: ['oc_p'], foreignKeys: [{ name: 'fk_c' }] });
    expect(emitCreateTable(parsed.context, parsed.statement, '_bkr_n_oc_c', new Map([['fk_c', '_bkr_f_1']]))).toBe(
      "CREATE TABLE `_bkr_n_oc_c` ( `id` int(11) NOT NULL , `p` int DEFAULT 0 COMMENT 'it\\'s', CONSTRAINT `_bkr_f_1` FOREIGN KEY (`p`) REFERENCES `shop`.`oc_p` (`id`) ON DELETE CASCADE ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    );
  });

  it('ALTER TABLE keeps only allowed clauses; DISABLE/ENABLE KEYS is recognised', async () => {
    const parsed = await one('ALTER TABLE `oc_t` ADD PRIMARY KEY (`id`), ADD KEY `k` (`a`), MODIFY `id` int NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=5;');
    if (parsed.statement.kind !== 'alter_table') throw new Error('kind');
    expect(emitAlterTable(parsed.context, parsed.statement, '_bkr_n_oc_t', new Map())).toBe(
      'ALTER TABLE `_bkr_n_oc_t` ADD PRIMARY KEY (`id`), ADD KEY `k` (`a`), MODIFY `id` int NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=5',
    );
    expect((await one('/*!40000 ALTER TABLE `oc_t` DISABLE KEYS */;')).statement).toMatchObject({ kind: 'alter_table', keysSwitch: true });
  });

  it('transactions, locks, USE of the shop\'s database are ignored; views, triggers and routines are skipped by name', async () => {
    const results = (await parseAll(
      'LOCK TABLES `oc_t` WRITE;\nUNLOCK TABLES;\nSTART TRANSACTION;\nCOMMIT;\nUSE `shop`;\n' +
        'DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `oc_t` FOR EACH ROW SET NEW.a = 1 */;;\nDELIMITER ;\n' +
        '/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `oc_v` AS select 1 AS `a` */;\n' +
        'CREATE PROCEDURE `oc_p`() SELECT 1;\nDROP FUNCTION IF EXISTS `oc_f`;\n',
    )) as Parsed[];
    expect(results.map((r) => r.statement)).toEqual([
      { kind: 'ignored', what: 'lock' },
      { kind: 'ignored', what: 'lock' },
      { kind: 'ignored', what: 'transaction' },
      { kind: 'ignored', what: 'transaction' },
      { kind: 'ignored', what: 'use' },
      { kind: 'skipped', what: 'trigger', name: 'trg' },
      { kind: 'skipped', what: 'view', name: 'oc_v' },
      { kind: 'skipped', what: 'routine', name: 'oc_p' },
      { kind: 'skipped', what: 'routine', name: 'oc_f' },
    ]);
  });
});

describe('refusals name their reason and what caused it', () => {
  it.each([
    ['SELECT * FROM oc_user;', 'statement_not_allowed', 'SELECT'],
    ['GRANT ALL ON *.* TO x;', 'statement_not_allowed', 'GRANT ALL ON'],
    ['INSERT INTO other.oc_t VALUES (1);', 'other_database', 'other'],
    ['USE mysql;', 'other_database', 'mysql'],
    ['SET GLOBAL general_log = 1;', 'set_global', 'GLOBAL'],
    ['SET @@global.max_connections = 1;', 'set_global', '@@global.max_connections'],
    ['SET PASSWORD = PASSWORD(\'x\');', 'statement_not_allowed', 'SET PASSWORD'],
    ['SET NAMES gbk;', 'unsafe_charset', 'gbk'],
    ['SET character_set_client = big5;', 'unsafe_charset', 'big5'],
    ["SET sql_mode = 'ORACLE';", 'unsafe_sql_mode', 'ORACLE'],
    ['INSERT INTO oc_t VALUES (LOAD_FILE(\'/etc/passwd\'));', 'function_not_allowed', 'LOAD_FILE'],
    ['INSERT INTO oc_t VALUES (/*!SLEEP(1)*/ 1);', 'function_not_allowed', 'SLEEP'],
    ['INSERT INTO oc_t VALUES (`my_func`(1));', 'function_not_allowed', 'my_func'],
    ['INSERT INTO oc_t VALUES ((SELECT password FROM oc_user LIMIT 1));', 'subquery', 'SELECT'],
    ['INSERT INTO oc_t SELECT * FROM oc_user;', 'subquery', 'SELECT'],
    ['INSERT INTO oc_t VALUES (@a := 1);', 'variable_not_allowed', '@a'],
    ['INSERT INTO oc_t VALUES (@@version);', 'variable_not_allowed', '@@version'],
    ['DELIMITER ;;\nINSERT INTO oc_t VALUES (1); DROP TABLE oc_user;;', 'statement_not_allowed', 'DROP'],
    ['CREATE TABLE oc_t SELECT * FROM oc_user;', 'create_select', 'SELECT'],
    ['CREATE TABLE oc_t LIKE oc_user;', 'create_select', 'LIKE'],
    ['CREATE TABLE oc_t (id int) ENGINE=CONNECT;', 'engine_not_allowed', 'CONNECT'],
    ['CREATE TABLE oc_t (id int) ENGINE=FEDERATED CONNECTION=\'mysql://x\';', 'engine_not_allowed', 'FEDERATED'],
    ["CREATE TABLE oc_t (id int) DATA DIRECTORY='/tmp';", 'table_option_not_allowed', 'DIRECTORY'],
    ['CREATE TABLE oc_t (id int DEFAULT (NEXTVAL(s)));', 'function_not_allowed', 'NEXTVAL'],
    ['CREATE TABLE oc_t (id int DEFAULT @x);', 'variable_not_allowed', '@x'],
    ['ALTER TABLE oc_t RENAME TO oc_user;', 'alter_not_allowed', 'RENAME'],
    ['ALTER TABLE oc_t ADD KEY (a), ENGINE=CONNECT;', 'alter_not_allowed', 'ENGINE'],
    ['CREATE TEMPORARY TABLE oc_t (id int);', 'statement_not_allowed', 'CREATE TEMPORARY TABLE'],
    ['HANDLER oc_t OPEN;', 'statement_not_allowed', 'HANDLER OC_T OPEN'],
    ['CREATE TABLE oc_t (id int) VALUES (LOAD_FILE(\'/etc/passwd\'));', 'create_select', 'VALUES'],
    ['CREATE TABLE oc_t (id int) (SELECT 1);', 'create_select', '('],
    ['CREATE TABLE oc_t (id int) ENGINE=InnoDB TABLE oc_user;', 'create_select', 'TABLE'],
    ['CREATE TABLE oc_t (id int) PARTITION BY HASH (id) PARTITIONS 2 VALUES (1);', 'create_select', 'VALUES'],
    ['CREATE TABLE oc_t (id int) PARTITION BY HASH (id) (PARTITION p0 DATA DIRECTORY = \'/tmp\');', 'table_option_not_allowed', 'DIRECTORY'],
    ['INSERT INTO oc_t VALUES (1, CURRENT_USER);', 'function_not_allowed', 'CURRENT_USER'],
    ['INSERT INTO oc_t VALUES (sys.CONCAT(1));', 'function_not_allowed', 'CONCAT'],
    ['CREATE TABLE oc_t (who varchar(80) DEFAULT CURRENT_USER);', 'function_not_allowed', 'CURRENT_USER'],
    ['INSERT INTO oc_t VALUES (`a\nb`);', 'syntax', 'a'],
  ])('%s → %s', async (sql, reason, detail) => {
    expect(await refusal(sql)).toEqual([reason, detail]);
  });
});

describe('the session model', () => {
  it('evaluates the SETs dumps write, including saved and restored values, and emits only what changed', async () => {
    const session = new SessionModel();
    for (const parsed of (await parseAll(
      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES latin1 */;\n/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+05:30' */;\n" +
        "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO,STRICT_TRANS_TABLES' */;\n/*!40014 SET FOREIGN_KEY_CHECKS=IF(@OLD_FOREIGN_KEY_CHECKS IS NULL, 1, @OLD_FOREIGN_KEY_CHECKS) */;\n" +
        'SET sql_log_bin = 0, default_storage_engine = MEMORY;\n',
    )) as Parsed[]) {
      if (parsed.statement.kind === 'set') session.apply(parsed.statement.assignments);
    }
    expect(session.state).toMatchObject({ characterSetClient: 'latin1', timeZone: '+05:30', sqlMode: 'NO_AUTO_VALUE_ON_ZERO,STRICT_TRANS_TABLES', ignored: ['default_storage_engine'] });
    expect(session.state.user).toMatchObject({ old_character_set_client: 'utf8mb4', old_time_zone: '+00:00', old_sql_mode: 'NO_AUTO_VALUE_ON_ZERO' });
    expect(session.statementsSince(null)).toEqual([
      "SET SESSION character_set_client = 'latin1', character_set_connection = 'latin1', time_zone = '+05:30', sql_mode = 'NO_AUTO_VALUE_ON_ZERO,STRICT_TRANS_TABLES'",
    ]);
    const before = structuredClone(session.state);
    session.apply([{ scope: 'session', name: 'time_zone', value: { type: 'user', name: 'old_time_zone' } }]);
    expect(session.statementsSince(before)).toEqual(["SET SESSION time_zone = '+00:00'"]);
  });

  it('never emits NO_BACKSLASH_ESCAPES or ANSI_QUOTES (the tokenizer applies them)', () => {
    const session = new SessionModel();
    session.apply([{ scope: 'session', name: 'sql_mode', value: { type: 'literal', value: 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES' } }]);
    expect(session.lexerMode(101100)).toEqual({ backslashEscapes: false, ansiQuotes: true, serverVersion: 101100 });
    expect(session.statementsSince(null).join()).toContain("sql_mode = 'STRICT_ALL_TABLES'");
  });
});

describe('emitted SQL', () => {
  /** A small random generator of values with every quoting and escape a dump may use, and comments between them. */
  function randomInsert(random: () => number): { sql: string; values: string[] } {
    const pieces = ["'", '\\', '"', '`', ';', '*/', '/*', '--', '#', '\n', '\r', '\0', 'é', '😀', ' ', 'x'];
    const values: string[] = [];
    const rows: string[] = [];
    for (let r = 0; r < 1 + Math.floor(random() * 4); r++) {
      const cells: string[] = [];
      for (let c = 0; c < 1 + Math.floor(random() * 4); c++) {
        let value = '';
        for (let k = 0; k < Math.floor(random() * 8); k++) value += pieces[Math.floor(random() * pieces.length)];
        values.push(value);
        const quote = random() < 0.5 ? "'" : '"';
        let literal = quote;
        for (const ch of value) {
          if (ch === quote) literal += random() < 0.5 ? ch + ch : '\\' + ch;
          else if (ch === '\\') literal += '\\\\';
          else if (ch === '\n' && random() < 0.5) literal += '\\n';
          else if (ch === '\0') literal += '\\0';
          else literal += ch;
        }
        literal += quote;
        const comment = random() < 0.2 ? (random() < 0.5 ? ' /* c;\'" */ ' : ' -- c\'"\n') : '';
        cells.push(comment + literal);
      }
      rows.push('(' + cells.join(',') + ')');
    }
    return { sql: `INSERT INTO oc_t VALUES ${rows.join(',')};\n`, values };
  }

  it('for random rows with comments and every escape: the output has no comment and reads back as the same values', async () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 400; i++) {
      const { sql, values } = randomInsert(random);
      const parsed = await one(sql);
      const emitted = insertSql(parsed);
      const reread = await one(Buffer.from(emitted + ';', 'latin1'));
      expect(reread.context.tokens.comments, emitted).toBe(0);
      const strings: string[] = [];
      const t = reread.context.tokens;
      for (let k = 0; k < t.count; k++) if (t.type[k] === TOKEN_STRING) strings.push(stringValue(reread.context.sql, t.start[k], t.end[k], true).toString('utf8'));
      expect(strings, sql).toEqual(values);
    }
  });

  it.each([
    ['a comment between two minus signs (`--` and a blank would be a comment)', 'INSERT INTO oc_t VALUES (1--/**/1);', '(1- - 1)'],
    ['two strings side by side (one string with a quote if written together)', "INSERT INTO oc_t VALUES ('a'\"b\" /**/);", "('a' 'b' )"],
    ['two names side by side', 'SET sql_mode = ANSI_QUOTES;\nINSERT INTO oc_t VALUES (`a`"b" /**/);', '(`a` `b` )'],
  ])('%s: kept apart, so the server reads the tokens the parser read', async (_label, sql, rows) => {
    const parsed = (await parseAll(sql)).at(-1) as Parsed;
    expect(insertSql(parsed)).toBe(`INSERT INTO \`_bkr_n_oc_t\` VALUES ${rows}`);
  });

  it('a partitioned table (as SHOW CREATE TABLE writes it) is accepted and re-emitted whole', async () => {
    const body = '(`id` int NOT NULL, `y` smallint NOT NULL, PRIMARY KEY (`id`,`y`)) ENGINE=InnoDB PARTITION BY RANGE (`y`) (PARTITION `p1` VALUES LESS THAN (2025) ENGINE = InnoDB, PARTITION `p2` VALUES LESS THAN MAXVALUE ENGINE = InnoDB)';
    const parsed = await one(`CREATE TABLE \`oc_v\` ${body};`);
    if (parsed.statement.kind !== 'create_table') throw new Error(parsed.statement.kind);
    expect(emitCreateTable(parsed.context, parsed.statement, '_bkr_n_oc_v', new Map())).toBe(`CREATE TABLE \`_bkr_n_oc_v\` ${body}`);
  });

  it('a bare word with high bytes is quoted, so no server can read part of it as a blank', async () => {
    const parsed = await one(Buffer.from('INSERT INTO oc_t VALUES (col\xa0umn);', 'latin1'));
    const context = parsed.context;
    const mode: LexerMode = DEFAULT_LEXER_MODE;
    expect(emitTokens({ ...context, mode }, 0, context.tokens.count)).toContain('`');
  });
});

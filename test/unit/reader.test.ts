// Unit tests of the streaming SQL statement reader (system/library/backup/reader.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DumpParseError,
  InvalidDelimiterError,
  openDumpStream,
  readStatements,
  TruncatedDumpError,
  type DelimiterChange,
  type ReaderState,
  type SqlStatement,
} from '../../system/library/backup/reader.ts';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures.

/** What mariadb-dump 10.11 writes (sandbox line first, executable comments, LOCK TABLES, one row per line). */
const MARIADB_DUMP = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19-10.11.6-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
-- Server version\t10.11.6-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table \`oc_product_description\`
--

DROP TABLE IF EXISTS \`oc_product_description\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE \`oc_product_description\` (
  \`product_id\` int(11) NOT NULL,
  \`language_id\` int(11) NOT NULL,
  \`name\` varchar(255) NOT NULL,
  \`description\` text NOT NULL,
  \`meta_title\` varchar(255) NOT NULL,
  PRIMARY KEY (\`product_id\`,\`language_id\`),
  KEY \`name\` (\`name\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table \`oc_product_description\`
--

LOCK TABLES \`oc_product_description\` WRITE;
/*!40000 ALTER TABLE \`oc_product_description\` DISABLE KEYS */;
INSERT INTO \`oc_product_description\` VALUES
(28,1,'HTC Touch HD','&lt;p&gt;HTC Touch - in High Definition; it\\'s \\"great\\"&lt;/p&gt;\\r\\n','HTC Touch HD'),
(29,1,'Palm Treo Pro','-- not a comment; # neither /* is this */ nor ;','Palm'),
(30,1,'Canon EOS 5D','a backslash \\\\ and a \`tick\` and ''doubled'' quotes','Canon'),
(31,1,'Ünïcödé ✓','€ 12,00; 😀','x');
/*!40000 ALTER TABLE \`oc_product_description\` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table \`oc_user\`
--

DROP TABLE IF EXISTS \`oc_user\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE \`oc_user\` (
  \`user_id\` int(11) NOT NULL AUTO_INCREMENT,
  \`username\` varchar(20) NOT NULL,
  PRIMARY KEY (\`user_id\`)
) ENGINE=InnoDB AUTO_INCREMENT=2 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES \`oc_user\` WRITE;
/*!40000 ALTER TABLE \`oc_user\` DISABLE KEYS */;
INSERT INTO \`oc_user\` VALUES
(1,'admin');
/*!40000 ALTER TABLE \`oc_user\` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*M!100616 SET NOTE_VERBOSITY=@OLD_NOTE_VERBOSITY */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2024-05-01 12:00:00
`;

/** What phpMyAdmin's export writes. */
const PHPMYADMIN_DUMP = `-- phpMyAdmin SQL Dump
-- version 5.2.1
-- https://www.phpmyadmin.net/
--
-- Host: 127.0.0.1
-- Generation Time: May 01, 2024 at 12:00 PM
-- Server version: 10.11.6-MariaDB
-- PHP Version: 8.2.12

SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";


/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;

--
-- Database: \`shop\`
--

-- --------------------------------------------------------

--
-- Table structure for table \`oc_setting\`
--

CREATE TABLE \`oc_setting\` (
  \`setting_id\` int(11) NOT NULL,
  \`store_id\` int(11) NOT NULL DEFAULT 0,
  \`code\` varchar(128) NOT NULL,
  \`key\` varchar(128) NOT NULL,
  \`value\` text NOT NULL,
  \`serialized\` tinyint(1) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

--
-- Dumping data for table \`oc_setting\`
--

INSERT INTO \`oc_setting\` (\`setting_id\`, \`store_id\`, \`code\`, \`key\`, \`value\`, \`serialized\`) VALUES
(1, 0, 'config', 'config_name', 'Your Store', 0),
(2, 0, 'config', 'config_meta_title', 'Your Store; "best" prices', 0),
(3, 0, 'config', 'config_address', 'Address 1\\r\\nCity', 0),
(4, 0, 'payment_free_checkout', 'payment_free_checkout_order_status_id', '1', 0);

--
-- Indexes for dumped tables
--

--
-- Indexes for table \`oc_setting\`
--
ALTER TABLE \`oc_setting\`
  ADD PRIMARY KEY (\`setting_id\`),
  ADD KEY \`store_id\` (\`store_id\`,\`code\`);

--
-- AUTO_INCREMENT for dumped tables
--

--
-- AUTO_INCREMENT for table \`oc_setting\`
--
ALTER TABLE \`oc_setting\`
  MODIFY \`setting_id\` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=5;
COMMIT;

/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
`;

/** What OpenCart 4's own backup (Tool > Backup) writes. */
const OPENCART_DUMP = `TRUNCATE TABLE \`oc_address\`;
INSERT INTO \`oc_address\` (\`address_id\`, \`customer_id\`, \`firstname\`, \`lastname\`, \`company\`, \`address_1\`, \`city\`, \`custom_field\`, \`default\`) VALUES ('1', '1', 'John', 'O\\'Reilly', '', 'Main St. 1; Apt 2', 'Berlin', '[]', '1');
INSERT INTO \`oc_address\` (\`address_id\`, \`customer_id\`, \`firstname\`, \`lastname\`, \`company\`, \`address_1\`, \`city\`, \`custom_field\`, \`default\`) VALUES ('2', '1', 'Jane', 'Doe', NULL, '-- Street', 'Hamburg', '{\\"1\\":\\"x\\"}', '0');

TRUNCATE TABLE \`oc_country\`;
INSERT INTO \`oc_country\` (\`country_id\`, \`name\`, \`iso_code_2\`, \`status\`) VALUES ('1', 'Afghanistan', 'AF', '1');
INSERT INTO \`oc_country\` (\`country_id\`, \`name\`, \`iso_code_2\`, \`status\`) VALUES ('2', 'Åland Islands', 'AX', '1');

`;

/** A mysqldump routine section: DELIMITER ;; around a procedure body. */
const ROUTINE_DUMP = `DROP PROCEDURE IF EXISTS \`p\`;
DELIMITER ;;
CREATE DEFINER=\`root\`@\`localhost\` PROCEDURE \`p\`()
BEGIN
  SELECT 1;
  INSERT INTO oc_x VALUES (';;');
END ;;
delimiter ;
SELECT 2;
`;

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

interface Result {
  statements: SqlStatement[];
  state?: ReaderState;
  error?: unknown;
  changes: DelimiterChange[];
}

function chunksOf(buf: Buffer, size: number | ((i: number) => number)): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const n = typeof size === 'number' ? size : size(out.length);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Runs the reader to the end, collecting statements and the final state or error. */
async function read(input: Buffer | string, opts: { chunk?: number | ((i: number) => number); start?: Partial<ReaderState> } = {}): Promise<Result> {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const changes: DelimiterChange[] = [];
  const statements: SqlStatement[] = [];
  const it = readStatements(chunksOf(buf, opts.chunk ?? (buf.length || 1)), opts.start, { onDelimiter: (c) => changes.push(c) });
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { statements, state: r.value, changes };
      statements.push(r.value);
    }
  } catch (error) {
    return { statements, error, changes };
  }
}

const texts = (r: Result): string[] => r.statements.map((s) => s.sql.toString('utf8'));

/** A comparable view of a statement. */
const view = (s: SqlStatement) => ({ sql: s.sql.toString('latin1'), offset: s.offset, end: s.end, line: s.line, endLine: s.endLine, delimiter: s.delimiter });

function errorView(e: unknown): unknown {
  if (e === undefined) return undefined;
  if (e instanceof TruncatedDumpError) return { name: e.name, line: e.line, offset: e.offset, reason: e.reason, state: e.state };
  if (e instanceof DumpParseError) return { name: e.name, line: e.line, offset: e.offset };
  return e;
}

/** 1-based line number of a byte offset. */
function lineAt(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = buf.indexOf(10); i !== -1 && i < offset; i = buf.indexOf(10, i + 1)) line++;
  return line;
}

/** Checks what every result must satisfy: statements are exactly the bytes at their offsets, in order. */
function checkConsistent(buf: Buffer, r: Result, startOffset = 0, startLine = 1): void {
  let prevEnd = startOffset;
  for (const s of r.statements) {
    const rel = s.offset - startOffset;
    expect(s.offset).toBeGreaterThanOrEqual(prevEnd);
    expect(s.sql.length).toBeGreaterThan(0);
    expect(buf.subarray(rel, rel + s.sql.length).equals(s.sql)).toBe(true);
    expect(buf.subarray(rel + s.sql.length, s.end - startOffset).toString('latin1')).toBe(s.delimiter);
    expect(s.line).toBe(startLine + lineAt(buf, rel) - 1);
    expect(s.endLine).toBe(startLine + lineAt(buf, s.end - startOffset) - 1);
    expect([32, 9, 10, 13, 11, 12]).not.toContain(s.sql[0]);
    prevEnd = s.end;
  }
  if (r.state) {
    expect(r.state.offset).toBe(startOffset + buf.length);
    expect(r.state.line).toBe(startLine + lineAt(buf, buf.length) - 1);
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('readStatements on real dump formats', () => {
  it('splits a mariadb-dump 10.11 file into the statements the client sends', async () => {
    const r = await read(MARIADB_DUMP);
    expect(r.error).toBeUndefined();
    const t = texts(r);
    expect(t[0]).toBe('/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */');
    expect(t).toContain("/*!40103 SET TIME_ZONE='+00:00' */");
    expect(t).toContain('DROP TABLE IF EXISTS `oc_product_description`');
    expect(t).toContain('LOCK TABLES `oc_product_description` WRITE');
    expect(t).toContain('/*!40000 ALTER TABLE `oc_product_description` DISABLE KEYS */');
    const insert = t.find((s) => s.startsWith('INSERT INTO `oc_product_description`'));
    expect(insert).toBeDefined();
    expect(insert!.split('\n')).toHaveLength(5);
    expect(insert).toContain("'-- not a comment; # neither /* is this */ nor ;'");
    expect(insert).toContain("(31,1,'Ünïcödé ✓','€ 12,00; 😀','x')");
    expect(t[t.length - 1]).toBe('/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */');
    expect(t).toHaveLength(40);
    expect(r.state).toEqual({ delimiter: ';', line: lineAt(Buffer.from(MARIADB_DUMP), Buffer.byteLength(MARIADB_DUMP)), offset: Buffer.byteLength(MARIADB_DUMP) });
    checkConsistent(Buffer.from(MARIADB_DUMP), r);
  });

  it('skips the sandbox-mode line of mariadb-dump and does not glue it onto the next statement', async () => {
    const r = await read('/*M!999999\\- enable the sandbox mode */\nSET NAMES utf8mb4;\n');
    expect(texts(r)).toEqual(['SET NAMES utf8mb4']);
    expect(r.statements[0].line).toBe(2);
    expect(r.statements[0].offset).toBe(40);
  });

  it('splits a phpMyAdmin export, including multi-line INSERTs and ALTER TABLE … ADD PRIMARY KEY', async () => {
    const r = await read(PHPMYADMIN_DUMP);
    expect(r.error).toBeUndefined();
    const t = texts(r);
    expect(t.slice(0, 3)).toEqual(['SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO"', 'START TRANSACTION', 'SET time_zone = "+00:00"']);
    expect(t).toContain('ALTER TABLE `oc_setting`\n  ADD PRIMARY KEY (`setting_id`),\n  ADD KEY `store_id` (`store_id`,`code`)');
    expect(t).toContain('ALTER TABLE `oc_setting`\n  MODIFY `setting_id` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=5');
    expect(t).toContain('COMMIT');
    const insert = r.statements.find((s) => s.sql.toString().startsWith('INSERT'))!;
    expect(insert.sql.toString()).toContain(`'Your Store; "best" prices'`);
    expect(insert.line).toBe(PHPMYADMIN_DUMP.split('\n').findIndex((l) => l.startsWith('INSERT')) + 1);
    expect(t).toHaveLength(15);
    checkConsistent(Buffer.from(PHPMYADMIN_DUMP), r);
  });

  it('splits an OpenCart 4 backup with one INSERT per line', async () => {
    const r = await read(OPENCART_DUMP);
    expect(r.error).toBeUndefined();
    expect(r.statements.map((s) => s.line)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(texts(r)[1]).toContain("'O\\'Reilly', '', 'Main St. 1; Apt 2'");
    expect(texts(r)[3]).toBe('TRUNCATE TABLE `oc_country`');
    checkConsistent(Buffer.from(OPENCART_DUMP), r);
  });
});

describe('quoting', () => {
  it('a semicolon inside a quoted string does not end the statement', async () => {
    const r = await read(`INSERT INTO t VALUES ('a;b', "c;d", 1);SELECT 2;`);
    expect(texts(r)).toEqual([`INSERT INTO t VALUES ('a;b', "c;d", 1)`, 'SELECT 2']);
  });

  it('a semicolon inside a backticked identifier does not end the statement', async () => {
    expect(texts(await read('CREATE TABLE `a;b` (`c;` int);'))).toEqual(['CREATE TABLE `a;b` (`c;` int)']);
  });

  it('backslash-escaped quotes and backslashes inside strings are data', async () => {
    const r = await read(`SELECT 'it\\'s; \\\\', "say \\"hi;\\"", 'end\\\\';SELECT 3;`);
    expect(texts(r)).toEqual([`SELECT 'it\\'s; \\\\', "say \\"hi;\\"", 'end\\\\'`, 'SELECT 3']);
  });

  it('doubled quotes inside strings and identifiers are data', async () => {
    const r = await read("SELECT 'a'';b', \"c\"\";d\", `e``;f`;SELECT 4;");
    expect(texts(r)).toEqual(["SELECT 'a'';b', \"c\"\";d\", `e``;f`", 'SELECT 4']);
  });

  it('a backslash is not an escape inside backticks (as for the client and the server)', async () => {
    expect(texts(await read('SELECT `a\\`;SELECT 5;'))).toEqual(['SELECT `a\\`', 'SELECT 5']);
  });

  it('comment markers inside quotes are data', async () => {
    const r = await read("INSERT INTO t VALUES ('-- x', '# y', '/* z', \"*/\", `#`);\nSELECT 6;");
    expect(texts(r)).toEqual(["INSERT INTO t VALUES ('-- x', '# y', '/* z', \"*/\", `#`)", 'SELECT 6']);
  });

  it('a quote inside a comment does not open a string', async () => {
    const r = await read("SELECT 1 /* don't */;\nSELECT 2 -- isn't\n;\nSELECT 3 # won't\n;");
    expect(texts(r)).toEqual(["SELECT 1 /* don't */", "SELECT 2 -- isn't\n", "SELECT 3 # won't\n"]);
  });
});

describe('comments', () => {
  it('comments between statements are skipped and the statement starts at its first significant byte', async () => {
    const r = await read('-- one\n# two\n/* three;\n */  \t\n  SELECT 1;\n--\n--\tx\nSELECT 2;');
    expect(texts(r)).toEqual(['SELECT 1', 'SELECT 2']);
    expect(r.statements[0].line).toBe(5);
    expect(r.statements[0].offset).toBe(Buffer.from('-- one\n# two\n/* three;\n */  \t\n  ').length);
    expect(r.statements[1].line).toBe(8);
  });

  it('a delimiter inside a comment within a statement does not end it, and the comment stays in the text', async () => {
    const r = await read('SELECT 1 -- a;b\n, 2 # c;d\n, 3 /* e;f */, 4;');
    expect(texts(r)).toEqual(['SELECT 1 -- a;b\n, 2 # c;d\n, 3 /* e;f */, 4']);
  });

  it('a double dash not followed by a blank is not a comment', async () => {
    const r = await read('SELECT 1--1;SELECT 2;');
    expect(texts(r)).toEqual(['SELECT 1--1', 'SELECT 2']);
  });

  it('a double dash at the very end of the input is a comment', async () => {
    const r = await read('SELECT 1;\n--');
    expect(texts(r)).toEqual(['SELECT 1']);
    expect(r.error).toBeUndefined();
  });

  it('a statement consisting only of comments is not yielded', async () => {
    const r = await read('/* x */;\n-- y\n;;SELECT 1;');
    expect(texts(r)).toEqual(['SELECT 1']);
  });
});

describe('executable comments', () => {
  it('executable comments are statement text, including MySQL 5-digit, MariaDB /*M! and versionless forms', async () => {
    const r = await read("/*!40101 SET NAMES utf8mb4 */;\n/*!50503 SET NAMES utf8mb4 */;\n/*M!100101 SET x=1 */;\n/*!SET y=2*/;\n/*!40103 SET TIME_ZONE='+00:00' */;");
    expect(texts(r)).toEqual(['/*!40101 SET NAMES utf8mb4 */', '/*!50503 SET NAMES utf8mb4 */', '/*M!100101 SET x=1 */', '/*!SET y=2*/', "/*!40103 SET TIME_ZONE='+00:00' */"]);
  });

  it('the delimiter inside an executable comment does not end the statement', async () => {
    const r = await read('/*!50003 CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1; SET @b = 2 */;\nSELECT 1;');
    expect(texts(r)).toEqual(['/*!50003 CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1; SET @b = 2 */', 'SELECT 1']);
  });

  it("a quoted '*/' inside an executable comment does not close it", async () => {
    const r = await read("/*!40101 SET @a = '*/;' */;SELECT 1;");
    expect(texts(r)).toEqual(["/*!40101 SET @a = '*/;' */", 'SELECT 1']);
  });

  it('a statement may consist of several executable comments', async () => {
    const r = await read('/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 AS `a` */;');
    expect(r.statements).toHaveLength(1);
    expect(r.statements[0].sql.toString()).toMatch(/^\/\*!50001 CREATE ALGORITHM=UNDEFINED \*\/\n\/\*!50013 .* \*\/\n\/\*!50001 VIEW .* \*\/$/);
  });

  it('an executable comment after statement text is part of that statement', async () => {
    expect(texts(await read('INSERT /*!IGNORE */ INTO t VALUES (1);'))).toEqual(['INSERT /*!IGNORE */ INTO t VALUES (1)']);
  });
});

describe('DELIMITER', () => {
  it('DELIMITER ;; lets a procedure body contain semicolons and is reported, not yielded', async () => {
    const r = await read(ROUTINE_DUMP);
    expect(r.error).toBeUndefined();
    expect(texts(r)).toEqual([
      'DROP PROCEDURE IF EXISTS `p`',
      "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nBEGIN\n  SELECT 1;\n  INSERT INTO oc_x VALUES (';;');\nEND ",
      'SELECT 2',
    ]);
    expect(r.statements.map((s) => s.delimiter)).toEqual([';', ';;', ';']);
    expect(r.changes.map((c) => [c.previous, c.delimiter, c.line])).toEqual([
      [';', ';;', 2],
      [';;', ';', 8],
    ]);
    expect(r.state?.delimiter).toBe(';');
    checkConsistent(Buffer.from(ROUTINE_DUMP), r);
  });

  it('DELIMITER is case-insensitive, works with CRLF and any delimiter string', async () => {
    const r = await read('Delimiter $$\r\nSELECT 1; SELECT 2$$\r\nDELIMITER //\r\nSELECT 3//\r\ndelimiter ;\r\nSELECT 4;');
    expect(texts(r)).toEqual(['SELECT 1; SELECT 2', 'SELECT 3', 'SELECT 4']);
    expect(r.statements.map((s) => s.delimiter)).toEqual(['$$', '//', ';']);
  });

  it('DELIMITER is only a command at the start of a statement', async () => {
    const r = await read("SELECT 'x'\nDELIMITER $$\n;SELECT 1;");
    expect(texts(r)).toEqual(["SELECT 'x'\nDELIMITER $$\n", 'SELECT 1']);
    expect(r.changes).toHaveLength(0);
  });

  it('a word that merely starts with DELIMITER is SQL', async () => {
    expect(texts(await read('DELIMITERS;'))).toEqual(['DELIMITERS']);
  });

  it('a DELIMITER command is reported after the statements before it and before the ones after it', async () => {
    const order: string[] = [];
    for await (const s of readStatements([Buffer.from('SELECT 1;\nDELIMITER ;;\nSELECT 2;;')], {}, { onDelimiter: (c) => order.push('delimiter ' + c.delimiter) })) order.push(s.sql.toString());
    expect(order).toEqual(['SELECT 1', 'delimiter ;;', 'SELECT 2']);
  });

  it('DELIMITER without an argument is an InvalidDelimiterError after the statements before it', async () => {
    const r = await read('SELECT 1;\nDELIMITER\nSELECT 2;');
    expect(texts(r)).toEqual(['SELECT 1']);
    expect(r.error).toBeInstanceOf(InvalidDelimiterError);
    expect((r.error as InvalidDelimiterError).line).toBe(2);
    const r2 = await read('DELIMITER   \nSELECT 2;');
    expect(r2.error).toBeInstanceOf(InvalidDelimiterError);
  });

  it('an endless DELIMITER line is rejected instead of being buffered', async () => {
    const r = await read('SELECT 1;\nDELIMITER ;; ' + 'x'.repeat(10000) + '\nSELECT 2;;', { chunk: 1000 });
    expect(texts(r)).toEqual(['SELECT 1']);
    expect(r.error).toBeInstanceOf(InvalidDelimiterError);
    const ok = await read('DELIMITER ;; -- a comment after the delimiter is ignored\nSELECT 2;;');
    expect(texts(ok)).toEqual(['SELECT 2']);
  });

  it('a delimiter with a backslash is rejected like the client does', async () => {
    expect((await read('DELIMITER \\g\nSELECT 1\\g')).error).toBeInstanceOf(InvalidDelimiterError);
  });
});

describe('bytes, lines and offsets', () => {
  it('reads CRLF files with the same statements and line numbers as LF files', async () => {
    const lf = await read(MARIADB_DUMP);
    const crlfText = MARIADB_DUMP.replace(/\n/g, '\r\n');
    const crlf = await read(crlfText);
    expect(crlf.error).toBeUndefined();
    expect(texts(crlf)).toEqual(texts(lf).map((s) => s.replace(/\n/g, '\r\n')));
    expect(crlf.statements.map((s) => s.line)).toEqual(lf.statements.map((s) => s.line));
    checkConsistent(Buffer.from(crlfText), crlf);
  });

  it('skips a UTF-8 byte-order mark at the start but counts it in offsets', async () => {
    const r = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SET NAMES utf8mb4;\nSELECT 1;')]));
    expect(texts(r)).toEqual(['SET NAMES utf8mb4', 'SELECT 1']);
    expect(r.statements[0].offset).toBe(3);
    expect(r.statements[0].line).toBe(1);
  });

  it('a byte-order mark that is not at the start is data', async () => {
    const r = await read(Buffer.concat([Buffer.from('SELECT 1;'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SELECT 2;')]));
    expect(r.statements[1].sql.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('yields statements whose bytes, offsets, ends and line numbers match the input exactly', async () => {
    for (const dump of [MARIADB_DUMP, PHPMYADMIN_DUMP, OPENCART_DUMP, ROUTINE_DUMP]) {
      const buf = Buffer.from(dump);
      checkConsistent(buf, await read(buf));
    }
  });

  it('several statements on one line get the same line number', async () => {
    const r = await read('SELECT 1; SELECT 2;\nSELECT 3;');
    expect(r.statements.map((s) => [s.line, s.offset, s.end])).toEqual([
      [1, 0, 9],
      [1, 10, 19],
      [2, 20, 29],
    ]);
  });

  it('returns the final state at the end of the input', async () => {
    const r = await read('SELECT 1;\n\n-- end\n');
    expect(r.state).toEqual({ delimiter: ';', line: 4, offset: 18 });
  });

  it('feeding the same dump in 1-byte, 7-byte and 64 KiB chunks gives identical statements', async () => {
    const dump = Buffer.from(MARIADB_DUMP + PHPMYADMIN_DUMP + ROUTINE_DUMP + OPENCART_DUMP.replace(/\n/g, '\r\n'));
    const whole = (await read(dump)).statements.map(view);
    expect(whole.length).toBeGreaterThan(60);
    for (const chunk of [1, 7, 64 * 1024]) {
      const r = await read(dump, { chunk });
      expect(r.error).toBeUndefined();
      expect(r.statements.map(view)).toEqual(whole);
    }
  });

  it('every split point of tricky tokens gives the same result', async () => {
    const dump = Buffer.from("DELIMITER $$\nSELECT '\\'$$'$$ -- c\n/*!40101 SET @a='*/' */$$\n/*M!999999\\- sandbox */\nDELIMITER ;\n# x\nSELECT `a``b`, \"c\"\"d\" /* e */;\r\n--\tz\n");
    const whole = await read(dump);
    expect(whole.error).toBeUndefined();
    for (let cut = 1; cut < dump.length; cut++) {
      const r = await read(dump, { chunk: (i) => (i === 0 ? cut : dump.length) });
      expect(r.statements.map(view)).toEqual(whole.statements.map(view));
      expect(r.changes).toEqual(whole.changes);
    }
  });

  it('a statement inside one chunk is a slice of that chunk, not a copy', async () => {
    const chunk = Buffer.from('SELECT 1;SELECT 2;');
    const out: SqlStatement[] = [];
    for await (const s of readStatements([chunk])) out.push(s);
    expect(out[0].sql.buffer).toBe(chunk.buffer);
  });

  it('reads a 20 MB single-line INSERT quickly and exactly', async () => {
    const row = "(123456,'some text with a \\' quote; and a semicolon',NULL,45.50),";
    const rows = Math.ceil((20 * 1024 * 1024) / row.length);
    const body = 'INSERT INTO `oc_big` VALUES ' + row.repeat(rows) + "(0,'',NULL,0)";
    const dump = Buffer.from(body + ';\nSELECT 1;\n');
    const t0 = performance.now();
    const r = await read(dump, { chunk: 64 * 1024 });
    const ms = performance.now() - t0;
    expect(r.error).toBeUndefined();
    expect(r.statements).toHaveLength(2);
    expect(r.statements[0].sql.length).toBe(Buffer.byteLength(body));
    expect(r.statements[0].sql.equals(dump.subarray(0, Buffer.byteLength(body)))).toBe(true);
    expect(r.statements[1]).toMatchObject({ line: 2 });
    console.log(`[reader] 20 MB single-line INSERT in 64 KiB chunks: ${ms.toFixed(0)} ms (${(dump.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s)`);
  });

  it('accepts strings and Uint8Arrays as chunks and a Node Readable as input', async () => {
    const out: string[] = [];
    for await (const s of readStatements(Readable.from([new Uint8Array(Buffer.from('SELECT 1;SEL')), 'ECT 2;']))) out.push(s.sql.toString());
    expect(out).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('stopping early (break) does not throw and ends the input', async () => {
    const input = Readable.from([Buffer.from('SELECT 1;SELECT 2;'), Buffer.from('SELECT 3;')]);
    const out: string[] = [];
    for await (const s of readStatements(input)) {
      out.push(s.sql.toString());
      break;
    }
    expect(out).toEqual(['SELECT 1']);
    expect(input.destroyed).toBe(true);
  });
});

describe('truncated dumps', () => {
  it('a dump that ends after a statement without its delimiter throws TruncatedDumpError after the complete statements', async () => {
    const r = await read('SELECT 1;\nINSERT INTO t VALUES (1),\n(2)');
    expect(texts(r)).toEqual(['SELECT 1']);
    expect(r.error).toBeInstanceOf(TruncatedDumpError);
    const e = r.error as TruncatedDumpError;
    expect(e).toBeInstanceOf(DumpParseError);
    expect([e.reason, e.line, e.offset]).toEqual(['statement', 2, 10]);
    expect(e.state).toEqual({ delimiter: ';', line: 1, offset: 9 });
    expect(e.message).toMatch(/line 2/);
  });

  it('a dump that ends inside a quoted string is truncated', async () => {
    for (const tail of ["INSERT INTO t VALUES ('abc", 'SELECT "x', 'SELECT `x', "SELECT 'a\\"]) {
      const e = (await read('SELECT 1;\n' + tail)).error as TruncatedDumpError;
      expect(e).toBeInstanceOf(TruncatedDumpError);
      expect(e.reason).toBe('quote');
    }
  });

  it('a dump that ends inside a comment is truncated', async () => {
    for (const tail of ['/* never closed', '/*!40101 SET x=1', 'SELECT 1 /* x']) {
      const e = (await read('SELECT 1;\n' + tail)).error as TruncatedDumpError;
      expect(e).toBeInstanceOf(TruncatedDumpError);
      expect(e.reason).toBe('comment');
      expect(e.line).toBe(2);
    }
  });

  it('trailing whitespace and complete comments after the last delimiter are not truncation', async () => {
    for (const tail of ['', '\n\n', '-- done', '# done\n', '/* done */\n', '\r\n;\r\n']) {
      const r = await read('SELECT 1;' + tail);
      expect(r.error).toBeUndefined();
      expect(texts(r)).toEqual(['SELECT 1']);
    }
  });

  it('a dump cut at every byte ends cleanly or throws TruncatedDumpError (InvalidDelimiterError when cut right after "DELIMITER")', async () => {
    const dump = Buffer.from(OPENCART_DUMP + ROUTINE_DUMP);
    const full = await read(dump);
    for (let cut = 0; cut <= dump.length; cut++) {
      const r = await read(dump.subarray(0, cut));
      if (r.error instanceof InvalidDelimiterError) expect(dump.subarray(0, cut).toString()).toMatch(/\ndelimiter[ \t]*$/i);
      else if (r.error !== undefined) expect(r.error).toBeInstanceOf(TruncatedDumpError);
      expect(r.statements.map(view)).toEqual(full.statements.slice(0, r.statements.length).map(view));
    }
  });
});

describe('resuming', () => {
  it('resuming from any statement boundary yields the same tail as reading from the start', async () => {
    const dump = Buffer.from(MARIADB_DUMP + ROUTINE_DUMP + PHPMYADMIN_DUMP);
    const full = await read(dump);
    expect(full.error).toBeUndefined();
    for (let i = 0; i < full.statements.length; i += 3) {
      const s = full.statements[i];
      const start = { delimiter: s.delimiter, line: s.endLine, offset: s.end };
      const r = await read(dump.subarray(s.end), { start, chunk: 4096 });
      expect(r.statements.map(view)).toEqual(full.statements.slice(i + 1).map(view));
      expect(r.state).toEqual(full.state);
    }
  });

  it('resuming inside a DELIMITER ;; section continues with that delimiter', async () => {
    const dump = Buffer.from(ROUTINE_DUMP);
    const full = await read(dump);
    const proc = full.statements[1];
    expect(proc.delimiter).toBe(';;');
    const r = await read(dump.subarray(proc.offset), { start: { delimiter: ';;', line: proc.line, offset: proc.offset } });
    expect(r.statements.map(view)).toEqual(full.statements.slice(1).map(view));
  });

  it('a byte-order mark is only skipped at offset 0, not when resuming', async () => {
    const r = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('X;')]), { start: { offset: 100, line: 7 } });
    expect(r.statements[0]).toMatchObject({ offset: 100, line: 7 });
  });
});

describe('openDumpStream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reader-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function fromFile(path: string, start?: ReaderState): Promise<Result> {
    const statements: SqlStatement[] = [];
    try {
      const it = readStatements(await openDumpStream(path, start?.offset ?? 0), start);
      for (;;) {
        const r = await it.next();
        if (r.done) return { statements, state: r.value, changes: [] };
        statements.push(r.value);
      }
    } catch (error) {
      return { statements, error, changes: [] };
    }
  }

  it('reads a plain dump file, and from a start offset', async () => {
    const path = join(dir, 'plain.sql');
    writeFileSync(path, MARIADB_DUMP);
    const full = await read(MARIADB_DUMP);
    const r = await fromFile(path);
    expect(r.statements.map(view)).toEqual(full.statements.map(view));
    const s = full.statements[10];
    const tail = await fromFile(path, { delimiter: s.delimiter, line: s.endLine, offset: s.end });
    expect(tail.statements.map(view)).toEqual(full.statements.slice(11).map(view));
  });

  it('decompresses a gzip dump (magic bytes 1f 8b), with offsets into the decompressed stream', async () => {
    const path = join(dir, 'dump.sql.gz');
    writeFileSync(path, gzipSync(Buffer.from(MARIADB_DUMP)));
    const full = await read(MARIADB_DUMP);
    const r = await fromFile(path);
    expect(r.error).toBeUndefined();
    expect(r.statements.map(view)).toEqual(full.statements.map(view));
    const s = full.statements[20];
    const tail = await fromFile(path, { delimiter: s.delimiter, line: s.endLine, offset: s.end });
    expect(tail.statements.map(view)).toEqual(full.statements.slice(21).map(view));
    expect(tail.state).toEqual(full.state);
  });

  it('reads a gzip file made of several members (concatenated .gz files)', async () => {
    const path = join(dir, 'multi.sql.gz');
    writeFileSync(path, Buffer.concat([gzipSync(Buffer.from(OPENCART_DUMP)), gzipSync(Buffer.from(ROUTINE_DUMP))]));
    const r = await fromFile(path);
    expect(r.statements.map(view)).toEqual((await read(OPENCART_DUMP + ROUTINE_DUMP)).statements.map(view));
  });

  it('a cut-off gzip file fails with the zlib error, after the statements that could be read', async () => {
    const path = join(dir, 'cut.sql.gz');
    const gz = gzipSync(Buffer.from(MARIADB_DUMP.repeat(20)));
    writeFileSync(path, gz.subarray(0, gz.length - 100));
    const r = await fromFile(path);
    expect(r.statements.length).toBeGreaterThan(0);
    expect(r.error).toBeInstanceOf(Error);
    expect((r.error as NodeJS.ErrnoException).code).toBe('Z_BUF_ERROR');
  });

  it('a missing file rejects with ENOENT', async () => {
    await expect(openDumpStream(join(dir, 'nope.sql'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Bounded fuzzing with a seeded PRNG.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'SELECT 1', 'INSERT INTO `t` VALUES ', "(1,'a;b','c\\'d')", '"x""y"', '`a``b`', "'\\\\'", ' -- c\n', '#h\n', '/* b */', '/*!40101 ', ' */',
  '/*M!100101 SET x=1 */', '/*M!999999\\- sandbox */\n', ';', ';;', '$$', '\n', '\r\n', ' ', '\t', 'DELIMITER ;;\n', 'DELIMITER $$\n', 'delimiter ;\n',
  'DELIMITER\n', "'", '"', '`', '\\', '/*', '*/', '--', '-', '/', '*', '!', 'é', '\u00a0', '\u0000', 'DELIMITE', 'R', 'BEGIN SELECT 1; END',
];
const SPECIAL = Buffer.from('\'"`\\;/*-#!\n\r $D');

function randomDump(rnd: () => number): Buffer {
  const parts: string[] = [];
  const n = 1 + Math.floor(rnd() * 60);
  if (rnd() < 0.1) parts.push('\ufeff');
  for (let i = 0; i < n; i++) parts.push(PIECES[Math.floor(rnd() * PIECES.length)]);
  return Buffer.from(parts.join(''));
}

/** A dump of well-formed statements (balanced quotes and comments), each ended by the delimiter in force. */
function balancedDump(rnd: () => number): Buffer {
  const atoms = ['SELECT 1', "'a;b'", "'it\\'s'", "'x''y'", '"q;\\"r"', '`c;``d`', '/* c; */', '-- c;\n', '#c;\n', '/*!40101 SET @a=\';\' */', '(1,NULL)', ' ', '\r\n', '\n', '--x', 'a-b', 'a/b', '2*3'];
  const delimiters = [';', ';;', '$$', '//'];
  let delimiter = ';';
  const parts: string[] = [];
  const n = 1 + Math.floor(rnd() * 30);
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.1) {
      delimiter = delimiters[Math.floor(rnd() * delimiters.length)];
      parts.push(`\nDELIMITER ${delimiter}\n`);
    }
    parts.push('INSERT INTO t VALUES ');
    const k = Math.floor(rnd() * 6);
    for (let j = 0; j < k; j++) parts.push(atoms[Math.floor(rnd() * atoms.length)]);
    parts.push(' ' + delimiter + (rnd() < 0.5 ? '\n' : ''));
  }
  balancedCount = n;
  return Buffer.from(parts.join(''));
}
let balancedCount = 0;

function mutate(buf: Buffer, rnd: () => number): Buffer {
  const bytes = [...buf];
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (bytes.length + 1));
    const op = rnd();
    if (op < 0.4) bytes.splice(at, 0, SPECIAL[Math.floor(rnd() * SPECIAL.length)]);
    else if (op < 0.7) bytes.splice(at, 1 + Math.floor(rnd() * 3));
    else if (op < 0.85) bytes[at] = Math.floor(rnd() * 256);
    else bytes.length = at;
  }
  return Buffer.from(bytes.filter((b) => b !== undefined));
}

describe('fuzzing', () => {
  it('random and mutated dumps: only DumpParseError errors, same result for any chunking, spans consistent with offsets', async () => {
    const rnd = mulberry32(20240501);
    const seeds = [MARIADB_DUMP, PHPMYADMIN_DUMP, OPENCART_DUMP, ROUTINE_DUMP].map((d) => Buffer.from(d));
    const deadline = performance.now() + 2000;
    let runs = 0;
    let errors = 0;
    while (performance.now() < deadline && runs < 20000) {
      runs++;
      const pick = rnd();
      const dump = pick < 0.35 ? randomDump(rnd) : pick < 0.7 ? balancedDump(rnd) : mutate(seeds[Math.floor(rnd() * seeds.length)], rnd);
      const whole = await read(dump);
      if (pick >= 0.35 && pick < 0.7) {
        expect(whole.error).toBeUndefined();
        expect(whole.statements).toHaveLength(balancedCount);
      }
      if (whole.error !== undefined) {
        errors++;
        if (!(whole.error instanceof DumpParseError)) throw whole.error;
      }
      checkConsistent(dump, whole);
      const sizes = [1 + Math.floor(rnd() * 5), 1 + Math.floor(rnd() * 300)];
      const chunked = await read(dump, { chunk: () => sizes[Math.floor(rnd() * 2)] });
      expect(chunked.statements.map(view)).toEqual(whole.statements.map(view));
      expect(errorView(chunked.error)).toEqual(errorView(whole.error));
      expect(chunked.changes).toEqual(whole.changes);
      if (whole.statements.length > 0 && whole.error === undefined) {
        const i = Math.floor(rnd() * whole.statements.length);
        const s = whole.statements[i];
        const start = { delimiter: s.delimiter, line: s.endLine, offset: s.end };
        const resumed = await read(dump.subarray(s.end), { start });
        expect(resumed.statements.map(view)).toEqual(whole.statements.slice(i + 1).map(view));
        expect(resumed.state).toEqual(whole.state);
      }
    }
    console.log(`[reader] fuzz: ${runs} dumps, ${errors} with a DumpParseError`);
    expect(runs).toBeGreaterThan(100);
  }, 30000);
});

describe('throughput', () => {
  it('logs the MB/s on a typical mariadb-dump file (no assertion on time)', async () => {
    const rnd = mulberry32(7);
    const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore'.split(' ');
    const text = (k: number): string => {
      let s = '';
      for (let i = 0; i < k; i++) s += words[Math.floor(rnd() * words.length)] + (rnd() < 0.05 ? '\\n' : rnd() < 0.03 ? "\\'" : ' ');
      return s;
    };
    const parts: string[] = [MARIADB_DUMP];
    let size = 0;
    let id = 1;
    while (size < 64e6) {
      const rows: string[] = [];
      for (let r = 0; r < 300; r++) {
        rows.push(
          rnd() < 0.5
            ? `(${id++},1,'${text(4)}','&lt;p&gt;${text(30)}&lt;/p&gt;','${text(6)}',NULL,12.5000,'2024-01-01 00:00:00')`
            : `(${id++},${Math.floor(rnd() * 1000)},0,'${text(1)}','',1,0.0000,'2024-01-01 00:00:00')`,
        );
      }
      const st = 'INSERT INTO `oc_product_description` VALUES ' + rows.join(',') + ';\n';
      parts.push(st);
      size += st.length;
    }
    const dump = Buffer.from(parts.join(''));
    const chunks = chunksOf(dump, 1 << 20);
    let best = Infinity;
    let count = 0;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      count = 0;
      for await (const s of readStatements(chunks)) count += s.sql.length > 0 ? 1 : 0;
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`[reader] ${(dump.length / 1e6).toFixed(0)} MB, ${count} statements, 1 MiB chunks: best ${best.toFixed(0)} ms = ${(dump.length / 1e6 / (best / 1000)).toFixed(0)} MB/s`);
    expect(count).toBeGreaterThan(100);
  }, 60000);
});

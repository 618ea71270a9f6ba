// Unit tests of the restore guard (system/library/backup/guard.ts).
import { describe, expect, it } from 'vitest';
import { checkStatement, renameStatementTables, type GuardOptions, type GuardVerdict } from '../../system/library/backup/guard.ts';
import { readStatements } from '../../system/library/backup/reader.ts';

const OPTIONS: GuardOptions = { prefix: 'oc_', database: 'shop', protectedTables: ['oc_user', 'oc_user_group', 'oc_api'] };

const check = (sql: string | Buffer, options: GuardOptions = OPTIONS): GuardVerdict => checkStatement(sql, options);
const reasonOf = (sql: string | Buffer, options: GuardOptions = OPTIONS): string => {
  const v = check(sql, options);
  return v.verdict === 'forbid' ? v.reason : `(${v.verdict})`;
};
const rename = (sql: string, map: Record<string, string>): string => renameStatementTables(Buffer.from(sql), new Map(Object.entries(map))).toString();

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: the three dump styles the restore must accept (same as in reader.test.ts, kept short).

const MARIADB_DUMP = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19-10.11.6-MariaDB, for debian-linux-gnu (x86_64)
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

DROP TABLE IF EXISTS \`oc_product_description\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE \`oc_product_description\` (
  \`product_id\` int(11) NOT NULL,
  \`language_id\` int(11) NOT NULL,
  \`name\` varchar(255) NOT NULL,
  \`description\` text NOT NULL,
  \`date_added\` datetime NOT NULL DEFAULT current_timestamp(),
  \`data\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(\`data\`)),
  PRIMARY KEY (\`product_id\`,\`language_id\`),
  KEY \`name\` (\`name\`),
  FULLTEXT KEY \`ft\` (\`description\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES \`oc_product_description\` WRITE;
/*!40000 ALTER TABLE \`oc_product_description\` DISABLE KEYS */;
INSERT INTO \`oc_product_description\` VALUES
(28,1,'HTC Touch HD; DROP DATABASE shop','&lt;p&gt;it\\'s \\"great\\"&lt;/p&gt;\\r\\n','2024-01-01 00:00:00',NULL),
(29,1,'Palm -- not a comment','/* nor this */ # nor this','2024-01-01 00:00:00','{"a":1}'),
(30,1,_binary 'x',0x414243,'2024-01-01 00:00:00',NULL);
/*!40000 ALTER TABLE \`oc_product_description\` ENABLE KEYS */;
UNLOCK TABLES;

DROP TABLE IF EXISTS \`oc_user\`;
CREATE TABLE \`oc_user\` (
  \`user_id\` int(11) NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (\`user_id\`)
) ENGINE=InnoDB AUTO_INCREMENT=2 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
LOCK TABLES \`oc_user\` WRITE;
/*!40000 ALTER TABLE \`oc_user\` DISABLE KEYS */;
INSERT INTO \`oc_user\` VALUES
(1);
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

const PHPMYADMIN_DUMP = `-- phpMyAdmin SQL Dump
SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";
START TRANSACTION;
SET time_zone = "+00:00";

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;

CREATE TABLE \`oc_setting\` (
  \`setting_id\` int(11) NOT NULL,
  \`store_id\` int(11) NOT NULL DEFAULT 0,
  \`code\` varchar(128) NOT NULL,
  \`key\` varchar(128) NOT NULL,
  \`value\` text NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO \`oc_setting\` (\`setting_id\`, \`store_id\`, \`code\`, \`key\`, \`value\`) VALUES
(1, 0, 'config', 'config_name', 'Your Store'),
(2, 0, 'config', 'config_meta_title', 'Your Store; "best" prices');

CREATE TABLE \`oc_user_group\` (
  \`user_group_id\` int(11) NOT NULL,
  \`name\` varchar(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO \`oc_user_group\` (\`user_group_id\`, \`name\`) VALUES
(1, 'Administrator');

ALTER TABLE \`oc_setting\`
  ADD PRIMARY KEY (\`setting_id\`),
  ADD KEY \`store_id\` (\`store_id\`,\`code\`);

ALTER TABLE \`oc_user_group\`
  ADD PRIMARY KEY (\`user_group_id\`);

ALTER TABLE \`oc_setting\`
  MODIFY \`setting_id\` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=5;
COMMIT;

/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
`;

const OPENCART_DUMP = `TRUNCATE TABLE \`oc_address\`;
INSERT INTO \`oc_address\` (\`address_id\`, \`customer_id\`, \`firstname\`, \`lastname\`, \`company\`, \`address_1\`, \`custom_field\`, \`default\`) VALUES ('1', '1', 'John', 'O\\'Reilly', '', 'Main St. 1; Apt 2', '[]', '1');
INSERT INTO \`oc_address\` (\`address_id\`, \`customer_id\`, \`firstname\`, \`lastname\`, \`company\`, \`address_1\`, \`custom_field\`, \`default\`) VALUES ('2', '1', 'Jane', 'Doe', NULL, '-- Street', '{\\"1\\":\\"x\\"}', '0');

TRUNCATE TABLE \`oc_user\`;
INSERT INTO \`oc_user\` (\`user_id\`, \`username\`) VALUES ('1', 'admin');
`;

const ROUTINE_DUMP = `DROP PROCEDURE IF EXISTS \`p\`;
DELIMITER ;;
CREATE DEFINER=\`root\`@\`localhost\` PROCEDURE \`p\`()
BEGIN
  SELECT 1;
  DROP DATABASE shop;
END ;;
DELIMITER ;
`;

async function statementsOf(dump: string): Promise<string[]> {
  const out: string[] = [];
  for await (const s of readStatements([Buffer.from(dump)])) out.push(s.sql.toString());
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

describe('real dumps', () => {
  it('allows every statement of a mariadb-dump 10.11 file and skips the ones that write protected tables', async () => {
    const statements = await statementsOf(MARIADB_DUMP);
    const skipped: string[] = [];
    for (const sql of statements) {
      const v = check(sql);
      expect(v.verdict, sql).not.toBe('forbid');
      if (v.verdict === 'skip') skipped.push(sql.split('\n')[0]);
    }
    expect(skipped).toEqual([
      'DROP TABLE IF EXISTS `oc_user`',
      'CREATE TABLE `oc_user` (',
      '/*!40000 ALTER TABLE `oc_user` DISABLE KEYS */',
      'INSERT INTO `oc_user` VALUES',
      '/*!40000 ALTER TABLE `oc_user` ENABLE KEYS */',
    ]);
    expect(check(statements.find((s) => s.startsWith('INSERT INTO `oc_product'))!)).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_product_description'] });
    expect(check('LOCK TABLES `oc_user` WRITE')).toEqual({ verdict: 'allow', kind: 'lock_tables', tables: ['oc_user'] });
  });

  it('allows every statement of a phpMyAdmin export and classifies each', async () => {
    const kinds = (await statementsOf(PHPMYADMIN_DUMP)).map((sql) => {
      const v = check(sql);
      return v.verdict === 'forbid' ? `forbid ${v.reason}: ${sql}` : `${v.verdict} ${v.kind} ${v.tables.join(',')}`.trim();
    });
    expect(kinds).toEqual([
      'allow set',
      'allow transaction',
      'allow set',
      'allow set',
      'allow set',
      'allow create_table oc_setting',
      'allow insert oc_setting',
      'skip create_table oc_user_group',
      'skip insert oc_user_group',
      'allow alter_table oc_setting',
      'skip alter_table oc_user_group',
      'allow alter_table oc_setting',
      'allow transaction',
      'allow set',
    ]);
  });

  it("allows every statement of OpenCart 4's own backup and skips oc_user", async () => {
    const verdicts = (await statementsOf(OPENCART_DUMP)).map((sql) => check(sql));
    expect(verdicts.map((v) => (v.verdict === 'forbid' ? v.reason : `${v.verdict} ${v.kind}`))).toEqual(['allow truncate', 'allow insert', 'allow insert', 'skip truncate', 'skip insert']);
  });

  it('the reader yields a DELIMITER ;; procedure body whole, and the guard forbids it', async () => {
    const statements = await statementsOf(ROUTINE_DUMP);
    expect(statements).toHaveLength(2);
    expect(statements.map((s) => reasonOf(s))).toEqual(['statement_not_allowed', 'statement_not_allowed']);
  });
});

describe('allowed statements', () => {
  it.each([
    ['CREATE TABLE `oc_a` (`id` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB', 'create_table', ['oc_a']],
    ['CREATE TABLE IF NOT EXISTS oc_a (id int)', 'create_table', ['oc_a']],
    ['create table if not exists `oc_a` (id int) engine=MyISAM default charset=utf8mb4', 'create_table', ['oc_a']],
    ['DROP TABLE `oc_a`', 'drop_table', ['oc_a']],
    ['DROP TABLE IF EXISTS `oc_a`, oc_b, `shop`.`oc_c`', 'drop_table', ['oc_a', 'oc_b', 'oc_c']],
    ['TRUNCATE `oc_a`', 'truncate', ['oc_a']],
    ['TRUNCATE TABLE oc_a', 'truncate', ['oc_a']],
    ["INSERT INTO `oc_a` VALUES (1,'x'),(2,'y')", 'insert', ['oc_a']],
    ["INSERT IGNORE INTO oc_a (`a`, b) VALUES (1, 'x')", 'insert', ['oc_a']],
    ["INSERT oc_a VALUE (1)", 'insert', ['oc_a']],
    ["INSERT INTO oc_a VALUES (1, 'x') ON DUPLICATE KEY UPDATE b = VALUES(b), c = c + 1", 'insert', ['oc_a']],
    ["REPLACE INTO `oc_a` (`a`) VALUES (NOW()), (CURRENT_TIMESTAMP), (-1.5e3), (X'41'), (_utf8mb4'x' COLLATE utf8mb4_bin)", 'replace', ['oc_a']],
    ['ALTER TABLE `oc_a` ADD PRIMARY KEY (`id`), ADD KEY `k` (`a`,`b`), ADD UNIQUE KEY `u` (`c`), ADD INDEX i (d), ADD FULLTEXT KEY f (e)', 'alter_table', ['oc_a']],
    ['ALTER TABLE `oc_a` MODIFY `id` int(11) NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=5', 'alter_table', ['oc_a']],
    ['ALTER TABLE oc_a AUTO_INCREMENT = 7', 'alter_table', ['oc_a']],
    ['ALTER TABLE `oc_a` DISABLE KEYS', 'alter_table', ['oc_a']],
    ['ALTER TABLE `oc_a` ADD CONSTRAINT `fk` FOREIGN KEY (`b`) REFERENCES `oc_b` (`id`) ON DELETE CASCADE', 'alter_table', ['oc_a']],
    ['LOCK TABLES `oc_a` WRITE, `oc_b` READ LOCAL, oc_c AS c LOW_PRIORITY WRITE', 'lock_tables', ['oc_a', 'oc_b', 'oc_c']],
    ['UNLOCK TABLES', 'unlock_tables', []],
    ['START TRANSACTION', 'transaction', []],
    ['BEGIN', 'transaction', []],
    ['COMMIT', 'transaction', []],
    ['SET NAMES utf8mb4', 'set', []],
    ["SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", 'set', []],
    ['SET @a = 1', 'set', []],
    ["SET @a := 'x', @`b c` = NULL", 'set', []],
    ['SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO"', 'set', []],
    ["SET time_zone = '+00:00'", 'set', []],
    ['SET character_set_client = utf8', 'set', []],
    ['SET @OLD_X=@@X, X=0', 'set', []],
    ['SET FOREIGN_KEY_CHECKS=0', 'set', []],
    ['SET SESSION sql_notes = 0, LOCAL unique_checks = 1', 'set', []],
    ['SET @@session.autocommit = 0, @@autocommit = 0', 'set', []],
    ['SET AUTOCOMMIT=0', 'set', []],
    ['SET @a = @@global.sql_mode', 'set', []],
    ["SET SQL_MODE=IFNULL(@OLD_SQL_MODE, '')", 'set', []],
    ['SET FOREIGN_KEY_CHECKS=IF(@OLD_FOREIGN_KEY_CHECKS IS NULL, 1, @OLD_FOREIGN_KEY_CHECKS)', 'set', []],
    ['USE `shop`', 'set', []],
    ['/*!40101 SET NAMES utf8mb4 */', 'set', []],
    ['/*!40000 ALTER TABLE `oc_a` DISABLE KEYS */', 'alter_table', ['oc_a']],
    ["/*!40103 SET TIME_ZONE='+00:00' */", 'set', []],
    ['/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */', 'set', []],
    ['/*!SET @a=1*/', 'set', []],
    ['INSERT /*!IGNORE*/ INTO oc_a VALUES (1)', 'insert', ['oc_a']],
  ])('allows %s', (sql, kind, tables) => {
    expect(check(sql)).toEqual({ verdict: 'allow', kind, tables });
  });

  it('an empty statement (only comments) is allowed as empty', () => {
    for (const sql of ['', '   ', '/* x */', '-- y\n# z\n', '/*!40101 */', ';', '/*M!999999\\- enable the sandbox mode */']) {
      expect(check(sql), sql).toEqual({ verdict: 'allow', kind: 'empty', tables: [] });
    }
  });

  it('keywords match case-insensitively and across any whitespace, including newlines and tabs', () => {
    expect(check('insert\n\tignore\r\n  into\toc_a\nvalues\n(1)')).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_a'] });
    expect(check('DrOp\tTaBlE\nIf\r\nExIsTs oc_a')).toEqual({ verdict: 'allow', kind: 'drop_table', tables: ['oc_a'] });
    expect(check('sTaRt\n\ntransaction')).toEqual({ verdict: 'allow', kind: 'transaction', tables: [] });
  });

  it('ordinary comments anywhere are stripped before classifying', () => {
    expect(check('/* a */ INSERT /* b */ INTO -- c\n `oc_a` # d\n VALUES /* e */ (1)')).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_a'] });
  });

  it('a delimiter or comment marker inside a string literal is data', () => {
    expect(check("INSERT INTO oc_a VALUES ('x; DROP DATABASE y', \"-- z\", '/*!50000 GRANT */', '#')").verdict).toBe('allow');
  });

  it('backticked names may contain doubled backticks and spaces', () => {
    expect(check('INSERT INTO `oc_a``b c` VALUES (1)')).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_a`b c'] });
  });

  it('a name qualified with the same database is allowed, and table names are reported without it', () => {
    expect(check('INSERT INTO `shop`.`oc_a` VALUES (1)')).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_a'] });
    expect(check('TRUNCATE shop . oc_a')).toEqual({ verdict: 'allow', kind: 'truncate', tables: ['oc_a'] });
  });

  it('with an empty prefix any table name is allowed', () => {
    expect(check('INSERT INTO anything VALUES (1)', { ...OPTIONS, prefix: '' })).toEqual({ verdict: 'allow', kind: 'insert', tables: ['anything'] });
  });

  it('accepts Buffers with bytes that are not valid UTF-8 inside strings', () => {
    const sql = Buffer.concat([Buffer.from("INSERT INTO oc_a VALUES ('"), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from("')")]);
    expect(check(sql)).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_a'] });
  });

  it('tolerates trailing semicolons', () => {
    expect(check('INSERT INTO oc_a VALUES (1);;').verdict).toBe('allow');
  });
});

describe('forbidden statements', () => {
  it.each([
    ["GRANT ALL ON *.* TO 'x'@'%'", 'statement_not_allowed'],
    ["CREATE USER 'x'@'%' IDENTIFIED BY 'y'", 'statement_not_allowed'],
    ['DROP DATABASE shop', 'statement_not_allowed'],
    ['CREATE DATABASE other', 'statement_not_allowed'],
    ['CREATE DATABASE IF NOT EXISTS `shop`', 'statement_not_allowed'],
    ['USE other_db', 'other_database'],
    ['USE Shop', 'other_database'],
    ['SELECT 1', 'statement_not_allowed'],
    ["SELECT * FROM oc_user INTO OUTFILE '/tmp/x'", 'statement_not_allowed'],
    ["LOAD DATA INFILE '/etc/passwd' INTO TABLE oc_a", 'statement_not_allowed'],
    ['CALL p()', 'statement_not_allowed'],
    ['CREATE PROCEDURE p() BEGIN END', 'statement_not_allowed'],
    ['CREATE FUNCTION f() RETURNS INT RETURN 1', 'statement_not_allowed'],
    ['CREATE TRIGGER t BEFORE INSERT ON oc_a FOR EACH ROW SET @a = 1', 'statement_not_allowed'],
    ['CREATE VIEW oc_v AS SELECT 1', 'statement_not_allowed'],
    ['CREATE DEFINER=`root`@`localhost` PROCEDURE p() SELECT 1', 'statement_not_allowed'],
    ['CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM oc_a', 'statement_not_allowed'],
    ['DELETE FROM oc_a', 'statement_not_allowed'],
    ['UPDATE oc_a SET b = 1', 'statement_not_allowed'],
    ['HANDLER oc_a OPEN', 'statement_not_allowed'],
    ['SET GLOBAL max_connections = 1', 'set_global'],
    ['SET @@global.max_connections = 1', 'set_global'],
    ['SET @@GLOBAL.sql_mode = ""', 'set_global'],
    ['SET PERSIST max_connections = 1', 'set_global'],
    ['SET PERSIST_ONLY max_connections = 1', 'set_global'],
    ['SET @@persist.max_connections = 1', 'set_global'],
    ['SET a = 1, GLOBAL b = 2', 'set_global'],
    ["SET PASSWORD = 'x'", 'set_password'],
    ["SET PASSWORD FOR 'root'@'localhost' = PASSWORD('x')", 'set_password'],
    ['SET ROLE ALL', 'statement_not_allowed'],
    ['SET STATEMENT max_statement_time=1 FOR DROP DATABASE shop', 'statement_not_allowed'],
    ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'statement_not_allowed'],
    ['FLUSH PRIVILEGES', 'statement_not_allowed'],
    ['SHUTDOWN', 'statement_not_allowed'],
    ['KILL 1', 'statement_not_allowed'],
    ["PREPARE s FROM 'DROP DATABASE shop'", 'statement_not_allowed'],
    ['EXECUTE s', 'statement_not_allowed'],
    ['RENAME TABLE oc_a TO oc_b', 'statement_not_allowed'],
    ['INSERT INTO oc_a SELECT * FROM mysql.user', 'insert_select'],
    ['INSERT INTO oc_a (a) SELECT 1', 'insert_select'],
    ['INSERT INTO oc_a (SELECT 1)', 'insert_select'],
    ['INSERT INTO oc_a TABLE oc_b', 'insert_select'],
    ['INSERT INTO oc_a SET a = 1', 'statement_not_allowed'],
    ['REPLACE INTO oc_a SELECT * FROM oc_b', 'insert_select'],
    ['INSERT INTO other.oc_a VALUES (1)', 'other_database'],
    ['INSERT INTO `other`.`oc_a` VALUES (1)', 'other_database'],
    ['INSERT INTO SHOP.oc_a VALUES (1)', 'other_database'],
    ['DROP TABLE oc_a, mysql.user', 'other_database'],
    ['LOCK TABLES mysql.user WRITE', 'other_database'],
    ['ALTER TABLE oc_a ADD CONSTRAINT fk FOREIGN KEY (b) REFERENCES other.t (id)', 'other_database'],
    ['CREATE TABLE oc_a (b int, FOREIGN KEY (b) REFERENCES `other`.`t` (`id`))', 'other_database'],
    ['INSERT INTO wp_posts VALUES (1)', 'outside_prefix'],
    ['INSERT INTO OC_a VALUES (1)', 'outside_prefix'],
    ['DROP TABLE oc_a, wp_b', 'outside_prefix'],
    ['TRUNCATE TABLE `x_oc_a`', 'outside_prefix'],
    ['/*!50000 DROP DATABASE x */', 'statement_not_allowed'],
    ["/*!GRANT ALL ON *.* TO 'x'@'%'*/", 'statement_not_allowed'],
    ['/*!40101 SET NAMES utf8mb4 */ /*!50000 DROP DATABASE x */', 'syntax_error'],
    ['CREATE TEMPORARY TABLE oc_t (a int)', 'statement_not_allowed'],
    ['CREATE OR REPLACE TABLE oc_t (a int)', 'statement_not_allowed'],
    ['DROP TEMPORARY TABLE oc_t', 'statement_not_allowed'],
    ['CREATE TABLE oc_a SELECT * FROM mysql.user', 'create_select'],
    ['CREATE TABLE oc_a AS SELECT 1', 'create_select'],
    ['CREATE TABLE oc_a LIKE other.t', 'create_select'],
    ['CREATE TABLE oc_a (LIKE oc_b)', 'create_select'],
    ['CREATE TABLE oc_a (SELECT 1)', 'create_select'],
    ['CREATE TABLE oc_a (a int) SELECT 1 AS a', 'create_select'],
    ['CREATE TABLE oc_a (a int) ENGINE=InnoDB AS SELECT 1', 'create_select'],
    ['CREATE TABLE oc_a (a int) IGNORE SELECT 1', 'create_select'],
    ['CREATE TABLE oc_a (a int DEFAULT (SELECT 1))', 'create_select'],
    ["CREATE TABLE oc_a (a int) ENGINE=CONNECT table_type=CSV file_name='/etc/passwd'", 'engine_not_allowed'],
    ["CREATE TABLE oc_a (a int) ENGINE=FEDERATED CONNECTION='mysql://u@h/db/t'", 'engine_not_allowed'],
    ["CREATE TABLE oc_a (a int) CONNECTION='mysql://u@h/db/t'", 'table_option_not_allowed'],
    ["CREATE TABLE oc_a (a int) DATA DIRECTORY='/tmp'", 'table_option_not_allowed'],
    ['CREATE TABLE oc_a (a int) ENGINE=MRG_MyISAM UNION=(other.t)', 'engine_not_allowed'],
    ['CREATE TABLE oc_a (a int DEFAULT NEXTVAL(other.s))', 'function_not_allowed'],
    ['CREATE TABLE oc_a (a int DEFAULT (NEXT VALUE FOR other.s))', 'function_not_allowed'],
    ['ALTER TABLE oc_a RENAME TO other.t', 'alter_not_allowed'],
    ['ALTER TABLE oc_a DROP COLUMN b', 'alter_not_allowed'],
    ['ALTER TABLE oc_a ADD COLUMN b int', 'alter_not_allowed'],
    ['ALTER TABLE oc_a ENGINE=CONNECT', 'alter_not_allowed'],
    ['ALTER TABLE oc_a ADD KEY k (b) RENAME TO other.t', 'alter_not_allowed'],
    ['ALTER TABLE oc_a EXCHANGE PARTITION p WITH TABLE other.t', 'alter_not_allowed'],
    ['ALTER TABLE oc_a', 'alter_not_allowed'],
    ['ALTER DATABASE shop CHARACTER SET latin1', 'statement_not_allowed'],
    ['BEGIN NOT ATOMIC DROP DATABASE shop; END', 'syntax_error'],
    ['COMMIT RELEASE', 'syntax_error'],
    ['TRUNCATE oc_a garbage', 'syntax_error'],
    ['DELIMITER ;;', 'statement_not_allowed'],
  ])('forbids %s (%s)', (sql, reason) => {
    expect(reasonOf(sql)).toBe(reason);
  });

  it('a second statement inside one statement text is forbidden', () => {
    expect(reasonOf("INSERT INTO oc_a VALUES ('a'); DROP DATABASE y")).toBe('multiple_statements');
    expect(reasonOf('SET NAMES utf8; DROP DATABASE y')).toBe('multiple_statements');
    expect(reasonOf('/*!40101 SET NAMES utf8; DROP DATABASE y */')).toBe('multiple_statements');
    expect(reasonOf('CREATE TABLE oc_a (a int); DROP DATABASE y')).toBe('multiple_statements');
    expect(reasonOf('ALTER TABLE oc_a ADD KEY (a); DROP DATABASE y')).toBe('multiple_statements');
    expect(reasonOf('CREATE TABLE oc_a (a int; DROP DATABASE y)')).toBe('multiple_statements');
  });

  it('reports the statement head, single-spaced and cut to about 60 characters', () => {
    const v = check('DROP\n\tDATABASE   `shop`  -- and a very long comment that goes on and on and on and on');
    expect(v).toEqual({ verdict: 'forbid', reason: 'statement_not_allowed', head: 'DROP DATABASE `shop` -- and a very long comment that goes on…' });
  });

  it('forbids subqueries and functions outside the allowlist inside row values', () => {
    expect(reasonOf('INSERT INTO oc_a VALUES ((SELECT password FROM mysql.user LIMIT 1))')).toBe('subquery');
    expect(reasonOf('INSERT INTO oc_a VALUES (1 IN (SELECT 1))')).toBe('subquery');
    expect(reasonOf('INSERT INTO oc_a VALUES ((WITH x AS (SELECT 1) SELECT * FROM x))')).toBe('subquery');
    expect(reasonOf('INSERT INTO oc_a VALUES ((VALUES ROW(1)))')).toBe('subquery');
    expect(reasonOf('INSERT INTO oc_a VALUES ((TABLE other.t))')).toBe('subquery');
    expect(reasonOf("INSERT INTO oc_a VALUES (LOAD_FILE('/etc/passwd'))")).toBe('function_not_allowed');
    expect(reasonOf('INSERT INTO oc_a VALUES (SLEEP(100))')).toBe('function_not_allowed');
    expect(reasonOf("INSERT INTO oc_a VALUES (sys_exec('rm -rf /'))")).toBe('function_not_allowed');
    expect(reasonOf('INSERT INTO oc_a VALUES (other.f(1))')).toBe('function_not_allowed');
    expect(reasonOf('INSERT INTO oc_a VALUES (`f`(1))')).toBe('function_not_allowed');
    expect(reasonOf('INSERT INTO oc_a VALUES (NEXTVAL(other.s))')).toBe('function_not_allowed');
    expect(reasonOf('INSERT INTO oc_a VALUES (NEXT VALUE FOR other.s)')).toBe('function_not_allowed');
    expect(reasonOf("INSERT INTO oc_a VALUES (@x := 'gbk')")).toBe('assignment_not_allowed');
    expect(reasonOf('INSERT INTO oc_a VALUES (1) ON DUPLICATE KEY UPDATE a = (SELECT 1)')).toBe('subquery');
  });

  it('forbids bare words with non-ASCII bytes, whose extent depends on the connection charset', () => {
    expect(reasonOf(Buffer.concat([Buffer.from('INSERT INTO oc_a VALUES (('), Buffer.from([0xa0]), Buffer.from('SELECT 1))')]))).toBe('non_ascii_word');
    expect(reasonOf('INSERT INTO oc_ä VALUES (1)')).toBe('non_ascii_word');
    expect(check('INSERT INTO `oc_ä` VALUES (1)')).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_ä'] });
  });

  it('forbids unterminated strings and comments', () => {
    for (const sql of ["INSERT INTO oc_a VALUES ('x", 'INSERT INTO oc_a VALUES (1) /* x', '/*!40101 SET NAMES utf8', 'INSERT INTO `oc_a VALUES (1)']) {
      expect(reasonOf(sql), sql).toBe('syntax_error');
    }
  });
});

describe('protected tables', () => {
  it.each([
    ['INSERT INTO oc_user VALUES (1)', 'insert', ['oc_user']],
    ['REPLACE INTO `oc_user_group` VALUES (1)', 'replace', ['oc_user_group']],
    ['TRUNCATE oc_user_group', 'truncate', ['oc_user_group']],
    ['DROP TABLE oc_user', 'drop_table', ['oc_user']],
    ['DROP TABLE IF EXISTS oc_a, `oc_user`, oc_b', 'drop_table', ['oc_a', 'oc_user', 'oc_b']],
    ['CREATE TABLE oc_user (a int)', 'create_table', ['oc_user']],
    ['ALTER TABLE oc_api ADD PRIMARY KEY (api_id)', 'alter_table', ['oc_api']],
    ['/*!40000 ALTER TABLE `oc_user` DISABLE KEYS */', 'alter_table', ['oc_user']],
    ['INSERT INTO shop.oc_user VALUES (1)', 'insert', ['oc_user']],
  ])('skips %s', (sql, kind, tables) => {
    expect(check(sql)).toEqual({ verdict: 'skip', kind, tables, reason: 'protected_table' });
  });

  it('protected names compare case-insensitively (lower_case_table_names servers), the prefix case-sensitively', () => {
    expect(check('INSERT INTO oc_USER VALUES (1)')).toMatchObject({ verdict: 'skip' });
    expect(check('INSERT INTO OC_USER VALUES (1)', { ...OPTIONS, prefix: '' })).toMatchObject({ verdict: 'skip' });
  });

  it('LOCK TABLES with a protected table is allowed (the restore does not execute it)', () => {
    expect(check('LOCK TABLES `oc_a` WRITE, `oc_user` WRITE')).toEqual({ verdict: 'allow', kind: 'lock_tables', tables: ['oc_a', 'oc_user'] });
  });

  it('a forbidden reason wins over protection', () => {
    expect(reasonOf('INSERT INTO oc_user SELECT * FROM oc_a')).toBe('insert_select');
  });
});

describe('executable comments', () => {
  it('a statement made of several executable comments is classified as a whole', () => {
    expect(reasonOf('/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `oc_v` AS select 1 AS `a` */')).toBe('statement_not_allowed');
    expect(check('/*!50001 CREATE TABLE `oc_v` (\n  `a` tinyint NOT NULL\n) ENGINE=MyISAM */')).toEqual({ verdict: 'allow', kind: 'create_table', tables: ['oc_v'] });
  });

  it('a forbidden statement hidden in an executable comment after an allowed one is found', () => {
    expect(reasonOf('INSERT INTO oc_a VALUES (1) /*!50000 , ((SELECT 1)) */')).toBe('subquery');
    expect(reasonOf('/*!40000 ALTER TABLE oc_a DISABLE KEYS */ /*!40000 , RENAME TO other.t */')).toBe('alter_not_allowed');
  });

  it('each combination of run and skipped executable comments must be allowed and agree', () => {
    // A server that skips /*!99999 ... */ would write oc_b; one that runs it would write oc_a.
    expect(reasonOf('INSERT INTO /*!99999 oc_a VALUES (1), (*/ oc_b VALUES (2)')).toBe('ambiguous_comment');
    expect(reasonOf('DROP TABLE /*!99999 oc_a, */ oc_b')).toBe('ambiguous_comment');
    // Skipping the comment leaves INSERT INTO oc_a with nothing after it.
    expect(reasonOf('INSERT INTO oc_a /*!40000 VALUES (1) */')).toBe('syntax_error');
  });

  it("an executable comment whose end differs between the comment and the code readings is ambiguous", () => {
    expect(reasonOf("INSERT INTO oc_a VALUES (1) /*!99999 '*/, ((SELECT 1)) -- ' */")).toBe('ambiguous_comment');
    expect(reasonOf('INSERT INTO oc_a VALUES (1) /*!99999 `*/` */')).toBe('ambiguous_comment');
    expect(reasonOf('INSERT INTO oc_a VALUES (1) /*!99999 # */ , ((SELECT 1))\n */')).toBe('ambiguous_comment');
    expect(reasonOf('INSERT INTO oc_a VALUES (1) /*!99999 /* x */ , (2) */')).toBe('ambiguous_comment');
    expect(reasonOf('/*!400001 SET NAMES utf8 */')).toBe('ambiguous_comment');
    expect(reasonOf('/*!123 SET NAMES utf8 */')).toBe('ambiguous_comment');
    expect(check('/*M!100616 SET NAMES utf8 */').verdict).toBe('allow');
    expect(check('/*!40101SET NAMES utf8 */').verdict).toBe('allow');
  });

  it('more than four executable comments in one statement are forbidden', () => {
    expect(reasonOf('INSERT INTO oc_a VALUES (1)' + ' /*!40000 , (2) */'.repeat(5))).toBe('too_many_executable_comments');
    expect(check('INSERT INTO oc_a VALUES (1)' + ' /*!40000 , (2) */'.repeat(4)).verdict).toBe('allow');
  });
});

describe('settings that would make the server read a statement differently', () => {
  it.each([
    ['SET NAMES gbk', 'unsafe_charset'],
    ["SET NAMES 'big5'", 'unsafe_charset'],
    ['SET CHARACTER SET sjis', 'unsafe_charset'],
    ['SET CHARSET cp932', 'unsafe_charset'],
    ['SET NAMES utf8mb4 COLLATE gb18030_chinese_ci', 'unsafe_charset'],
    ['SET character_set_client = gbk', 'unsafe_charset'],
    ['SET @@session.character_set_client = 28', 'unsafe_charset'],
    ['SET character_set_client = @OLD_UNIQUE_CHECKS', 'unsafe_charset'],
    ['SET character_set_client = @@unique_checks', 'unsafe_charset'],
    ["SET character_set_client = 'g\\bk'", 'unsafe_charset'],
    ["SET @saved_cs_client = 'gbk'", 'unsafe_charset'],
    ['SET @saved_cs_client = 28', 'unsafe_charset'],
    ["SET sql_mode = 'NO_BACKSLASH_ESCAPES'", 'unsafe_sql_mode'],
    ["SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ansi_quotes'", 'unsafe_sql_mode'],
    ['SET sql_mode = ANSI', 'unsafe_sql_mode'],
    ["SET sql_mode = 'ORACLE'", 'unsafe_sql_mode'],
    ['SET sql_mode = 2097152', 'unsafe_sql_mode'],
    ['SET sql_mode = @x', 'unsafe_sql_mode'],
    ["SET @OLD_SQL_MODE = 'NO_BACKSLASH_ESCAPES'", 'unsafe_sql_mode'],
    ["SET sql_mode = IFNULL(@OLD_SQL_MODE, 'NO_BACKSLASH_ESCAPES')", 'unsafe_sql_mode'],
    ["SET @a = CONCAT('gb', 'k')", 'set_value_not_allowed'],
    ["SET @a = 'gb' 'k'", 'set_value_not_allowed'],
    ["SET @a = X'67626b'", 'set_value_not_allowed'],
    ['SET @a = (SELECT 1)', 'set_value_not_allowed'],
    ['SET @a = 1 + 1', 'set_value_not_allowed'],
  ])('forbids %s (%s)', (sql, reason) => {
    expect(reasonOf(sql)).toBe(reason);
  });

  it('allows the charset and sql_mode assignments dump tools write', () => {
    for (const sql of [
      '/*!40101 SET @saved_cs_client     = @@character_set_client */',
      '/*!40101 SET character_set_client = @saved_cs_client */',
      '/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */',
      '/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */',
      '/*!50003 SET @saved_sql_mode = @@sql_mode */',
      "/*!50003 SET sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION' */",
      '/*!50003 SET sql_mode = @saved_sql_mode */',
      "/*!40101 SET SQL_MODE=IFNULL(@OLD_SQL_MODE, '') */",
      'SET NAMES latin1',
      'SET NAMES DEFAULT',
      'SET character_set_results = NULL',
    ]) {
      expect(check(sql).verdict, sql).toBe('allow');
    }
  });
});

describe('renameStatementTables', () => {
  const map = { oc_a: 'oc_a__restore', oc_b: 'oc_b__restore', oc_user: 'oc_user__restore' };

  it.each([
    ["INSERT INTO `oc_a` VALUES (1,'oc_a')", "INSERT INTO `oc_a__restore` VALUES (1,'oc_a')"],
    ['INSERT IGNORE INTO oc_a (`oc_a`) VALUES (1)', 'INSERT IGNORE INTO `oc_a__restore` (`oc_a`) VALUES (1)'],
    ['REPLACE INTO oc_a VALUES (1)', 'REPLACE INTO `oc_a__restore` VALUES (1)'],
    ['CREATE TABLE IF NOT EXISTS `oc_a` (\n  `b` int REFERENCES oc_b (id)\n)', 'CREATE TABLE IF NOT EXISTS `oc_a__restore` (\n  `b` int REFERENCES oc_b (id)\n)'],
    ['DROP TABLE IF EXISTS `oc_a`, oc_c, oc_b', 'DROP TABLE IF EXISTS `oc_a__restore`, oc_c, `oc_b__restore`'],
    ['TRUNCATE oc_a', 'TRUNCATE `oc_a__restore`'],
    ['TRUNCATE TABLE `oc_b`', 'TRUNCATE TABLE `oc_b__restore`'],
    ['ALTER TABLE `oc_a` ADD PRIMARY KEY (`oc_b`)', 'ALTER TABLE `oc_a__restore` ADD PRIMARY KEY (`oc_b`)'],
    ['LOCK TABLES `oc_a` WRITE, oc_b AS oc_a READ', 'LOCK TABLES `oc_a__restore` WRITE, `oc_b__restore` AS oc_a READ'],
    ['/*!40000 ALTER TABLE `oc_a` DISABLE KEYS */', '/*!40000 ALTER TABLE `oc_a__restore` DISABLE KEYS */'],
    ['INSERT INTO `shop`.`oc_a` VALUES (1)', 'INSERT INTO `shop`.`oc_a__restore` VALUES (1)'],
    ['INSERT /* oc_a */ INTO -- oc_a\n oc_a VALUES (1)', 'INSERT /* oc_a */ INTO -- oc_a\n `oc_a__restore` VALUES (1)'],
  ])('rewrites %s', (sql, expected) => {
    expect(rename(sql, map)).toBe(expected);
  });

  it('renames the table wherever some reading of executable comments puts it', () => {
    expect(rename('INSERT INTO /*!99999 oc_a VALUES (1), (*/ oc_b VALUES (2)', map)).toBe('INSERT INTO /*!99999 `oc_a__restore` VALUES (1), (*/ `oc_b__restore` VALUES (2)');
  });

  it('quotes new names with backticks, doubling backticks inside', () => {
    expect(rename('TRUNCATE oc_a', { oc_a: 'we`ird' })).toBe('TRUNCATE `we``ird`');
  });

  it('leaves every other byte unchanged, including invalid UTF-8 in the values', () => {
    const tail = Buffer.concat([Buffer.from(" VALUES ('"), Buffer.from([0xff, 0x00, 0xc3]), Buffer.from("', 'oc_a')")]);
    const out = renameStatementTables(Buffer.concat([Buffer.from('INSERT INTO oc_a'), tail]), new Map([['oc_a', 'x']]));
    expect(out.equals(Buffer.concat([Buffer.from('INSERT INTO `x`'), tail]))).toBe(true);
  });

  it('returns the same Buffer when nothing is renamed', () => {
    for (const sql of ['INSERT INTO oc_c VALUES (1)', 'SET NAMES utf8mb4', 'SELECT * FROM oc_a', "INSERT INTO oc_a VALUES ('x"]) {
      const buf = Buffer.from(sql);
      expect(renameStatementTables(buf, new Map([['oc_c2', 'y'], ['nope', 'z']]))).toBe(buf);
    }
    const buf = Buffer.from('INSERT INTO oc_a VALUES (1)');
    expect(renameStatementTables(buf, new Map())).toBe(buf);
  });

  it('does not need to scan the values of a huge INSERT', () => {
    const big = Buffer.from('INSERT INTO oc_a VALUES ' + "(1,'x'),".repeat(500000) + '(2,NULL)');
    const t0 = performance.now();
    const out = renameStatementTables(big, new Map([['oc_a', 'oc_a__restore']]));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(out.subarray(0, 40).toString()).toBe('INSERT INTO `oc_a__restore` VALUES (1,\'x');
  });
});

// ---------------------------------------------------------------------------------------------------------------

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

describe('robustness', () => {
  it('never throws on random and mutated statements (bounded fuzz)', async () => {
    const rnd = mulberry32(42);
    const seeds = [...(await statementsOf(MARIADB_DUMP)), ...(await statementsOf(PHPMYADMIN_DUMP)), ...(await statementsOf(OPENCART_DUMP))].map((s) => Buffer.from(s));
    const alphabet = Buffer.from("'\"`\\;/*!-#@.,()=:\n\t aAzZ09_M\u00a0");
    const deadline = performance.now() + 1000;
    let runs = 0;
    const verdicts: Record<string, number> = {};
    while (performance.now() < deadline && runs < 50000) {
      runs++;
      const base = seeds[Math.floor(rnd() * seeds.length)];
      const bytes = [...base];
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (bytes.length + 1));
        if (rnd() < 0.5) bytes.splice(at, 0, alphabet[Math.floor(rnd() * alphabet.length)]);
        else bytes.splice(at, 1);
      }
      const sql = Buffer.from(bytes);
      const v = checkStatement(sql, OPTIONS);
      verdicts[v.verdict] = (verdicts[v.verdict] ?? 0) + 1;
      if (v.verdict === 'forbid') expect(v.reason).toMatch(/^[a-z_]+$/);
      else expect(Array.isArray(v.tables)).toBe(true);
      const renamed = renameStatementTables(sql, new Map([['oc_product_description', 'x'], ['oc_setting', 'y'], ['oc_address', 'z']]));
      expect(Buffer.isBuffer(renamed)).toBe(true);
    }
    console.log(`[guard] fuzz: ${runs} statements`, verdicts);
  }, 20000);

  it('logs the MB/s of checking a 20 MB INSERT (no assertion on time)', () => {
    const row = "(123456,'some text with a \\' quote; and a semicolon',NULL,45.50,'2024-01-01 00:00:00'),\n";
    const sql = Buffer.from('INSERT INTO `oc_big` VALUES ' + row.repeat(Math.ceil((20 * 1024 * 1024) / row.length)) + '(0,NULL,NULL,0,NULL)');
    const t0 = performance.now();
    const v = checkStatement(sql, OPTIONS);
    const ms = performance.now() - t0;
    expect(v).toEqual({ verdict: 'allow', kind: 'insert', tables: ['oc_big'] });
    console.log(`[guard] 20 MB INSERT checked in ${ms.toFixed(0)} ms (${(sql.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s)`);
  });
});

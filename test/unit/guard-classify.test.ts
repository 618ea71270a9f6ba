// The restore's second pass classifies statements from their head only; it must agree with the full check on every allowed or skipped statement.
import { describe, expect, it } from 'vitest';
import { checkStatement, classifyCheckedStatement } from '../../system/library/backup/guard.ts';

const options = { prefix: 'oc_', database: 'shop', protectedTables: ['oc_user', 'oc_user_group'] };
const statements = [
  'TRUNCATE TABLE `oc_product`',
  'TRUNCATE oc_product',
  "INSERT INTO `oc_product` (`product_id`, `model`) VALUES (1, 'A'), (2, 'B;C')",
  "INSERT IGNORE INTO oc_product VALUES (1, 'x')",
  "REPLACE INTO `oc_product` VALUES (1, 'x')",
  'INSERT INTO `oc_user` VALUES (1)',
  'TRUNCATE TABLE `oc_user_group`',
  'DROP TABLE IF EXISTS `oc_product`',
  'DROP TABLE IF EXISTS `oc_product`, `oc_user`',
  'CREATE TABLE IF NOT EXISTS `oc_a` (`id` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB',
  'CREATE TABLE `oc_user` (`id` int)',
  'ALTER TABLE `oc_product` ADD PRIMARY KEY (`product_id`), ADD KEY `model` (`model`)',
  '/*!40000 ALTER TABLE `oc_product` DISABLE KEYS */',
  'LOCK TABLES `oc_product` WRITE, `oc_user` WRITE',
  'UNLOCK TABLES',
  'SET NAMES utf8mb4',
  '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */',
  "SET SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO'",
  'START TRANSACTION',
  'COMMIT',
  'INSERT INTO `shop`.`oc_product` VALUES (1)',
];

describe('classifyCheckedStatement', () => {
  it.each(statements)('agrees with checkStatement on %s', (sql) => {
    const full = checkStatement(Buffer.from(sql), options);
    expect(full.verdict).not.toBe('forbid');
    expect(classifyCheckedStatement(Buffer.from(sql), options)).toEqual(full);
  });
});

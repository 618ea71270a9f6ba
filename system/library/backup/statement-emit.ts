// Re-emits typed statements (statement.ts) as the SQL the restore sends: table names replaced by the restore's shadow
// names, identifiers re-quoted, strings re-encoded, comments dropped. Output is a latin1 string whose code units are the
// bytes to send (the restore connection passes them through unchanged).
import { TokenList, TOKEN_WORD, TOKEN_IDENT, TOKEN_STRING, TOKEN_PUNCT, stringValue, identifierValue, type LexerMode } from './sql-tokenizer.ts';
import type { Statement, StatementParser } from './statement.ts';

/** `name` as a backticked identifier (the name's UTF-8 bytes, as a latin1 string). */
export function quoteName(name: string): string {
  return '`' + Buffer.from(name.replace(/`/g, '``'), 'utf8').toString('latin1') + '`';
}

/** A string's bytes as a single-quoted literal the server reads back byte for byte (backslash escapes on). */
export function quoteBytes(bytes: Buffer): string {
  let out = "'";
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    let escape: string | null = null;
    if (c === 0x27) escape = "\\'";
    else if (c === 0x5c) escape = '\\\\';
    else if (c === 0) escape = '\\0';
    else if (c === 10) escape = '\\n';
    else if (c === 13) escape = '\\r';
    else if (c === 26) escape = '\\Z';
    if (escape) {
      out += bytes.toString('latin1', from, i) + escape;
      from = i + 1;
    }
  }
  return out + bytes.toString('latin1', from) + "'";
}

export interface EmitContext {
  sql: Buffer;
  tokens: TokenList;
  mode: LexerMode;
  /** token index → the text to write instead (table and constraint names) */
  replace?: Map<number, string>;
}

/** Tokens [from, to) as SQL: a blank where the file had a blank or a comment, each token in canonical spelling. */
export function emitTokens(context: EmitContext, from: number, to: number): string {
  const { sql, tokens, mode, replace } = context;
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    if (i > from && tokens.spaced[i]) parts.push(' ');
    const replacement = replace?.get(i);
    if (replacement !== undefined) {
      parts.push(replacement);
      continue;
    }
    const start = tokens.start[i];
    const end = tokens.end[i];
    switch (tokens.type[i]) {
      case TOKEN_STRING:
        parts.push(quoteBytes(stringValue(sql, start, end, mode.backslashEscapes)));
        break;
      case TOKEN_IDENT:
        parts.push('`' + identifierValue(sql, start, end).toString('latin1').replace(/`/g, '``') + '`');
        break;
      case TOKEN_WORD: {
        let plain = true;
        for (let k = start; k < end; k++) if (sql[k] >= 0x80) plain = false;
        // A bare word with bytes >= 0x80 can only be a name: quoted, so no server reads its bytes as blanks.
        parts.push(plain ? sql.toString('latin1', start, end) : '`' + sql.toString('latin1', start, end) + '`');
        break;
      }
      case TOKEN_PUNCT:
      default:
        parts.push(sql.toString('latin1', start, end));
    }
  }
  return parts.join('');
}

/**
 * The rows of an INSERT: copied byte for byte when the tokenizer read them exactly as the server will (no comments in
 * the statement, default quoting and escaping, no bare words with high bytes), else re-emitted token by token.
 */
export function emitRows(context: EmitContext, statement: Extract<Statement, { kind: 'insert' }>, parser: StatementParser): string {
  const { sql, tokens, mode } = context;
  const canonical = tokens.comments === 0 && mode.backslashEscapes && !mode.ansiQuotes && parser.rowsPlainWords;
  if (canonical) return sql.toString('latin1', tokens.start[statement.rowsFrom], tokens.end[statement.rowsTo - 1]);
  return emitTokens(context, statement.rowsFrom, statement.rowsTo);
}

/** INSERT/REPLACE into `target`, re-emitted. */
export function emitInsert(context: EmitContext, statement: Extract<Statement, { kind: 'insert' }>, parser: StatementParser, target: string): string {
  let text = statement.verb + (statement.ignore ? ' IGNORE' : '') + ' INTO ' + quoteName(target);
  if (statement.columns) text += ' (' + statement.columns.map(quoteName).join(', ') + ')';
  text += ' VALUES ' + emitRows(context, statement, parser);
  if (statement.updateTo > statement.updateFrom) text += ' ON DUPLICATE KEY UPDATE ' + emitTokens(context, statement.updateFrom, statement.updateTo);
  return text;
}

/** CREATE TABLE `target` with the body and options re-emitted; named foreign keys get the names in `constraintNames`. */
export function emitCreateTable(
  context: EmitContext,
  statement: Extract<Statement, { kind: 'create_table' }>,
  target: string,
  constraintNames: Map<string, string>,
  ifNotExists = false,
): string {
  const replace = new Map<number, string>();
  for (const key of statement.foreignKeys) replace.set(key.token, quoteName(constraintNames.get(key.name) ?? key.name));
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteName(target)} ` + emitTokens({ ...context, replace }, statement.bodyFrom, statement.bodyTo);
}

/** ALTER TABLE `target` with its clauses re-emitted; named foreign keys get the names in `constraintNames`. */
export function emitAlterTable(
  context: EmitContext,
  statement: Extract<Statement, { kind: 'alter_table' }>,
  target: string,
  constraintNames: Map<string, string>,
): string {
  const replace = new Map<number, string>();
  for (const key of statement.foreignKeys) replace.set(key.token, quoteName(constraintNames.get(key.name) ?? key.name));
  return `ALTER TABLE ${quoteName(target)} ` + emitTokens({ ...context, replace }, statement.clausesFrom, statement.clausesTo);
}

/** Whether a WORD token at i is exactly `word` (case-insensitive). */
export function tokenIsWord(sql: Buffer, tokens: TokenList, i: number, word: string): boolean {
  return i < tokens.count && tokens.type[i] === TOKEN_WORD && sql.toString('latin1', tokens.start[i], tokens.end[i]).toUpperCase() === word;
}

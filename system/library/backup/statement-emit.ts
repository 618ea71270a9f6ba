// Re-emits typed statements (statement.ts) as the SQL the restore sends: table names replaced by the restore's shadow
// names, identifiers re-quoted, strings re-encoded, comments dropped. Output is a latin1 string whose code units are the
// bytes to send (the restore connection passes them through unchanged).
import { TokenList, TOKEN_WORD, TOKEN_IDENT, TOKEN_STRING, TOKEN_PUNCT, WORD_CHAR, stringValue, identifierValue, type LexerMode } from './sql-tokenizer.ts';
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

/**
 * Whether two emitted pieces, written next to each other, would be read by the server as something else than the two
 * tokens they are: `--` (a comment once a blank follows), a slash and a star either way round (a comment's ends), two
 * quoted pieces that would merge into one (`'a'` `'b'` → `'a''b'`), two word pieces that would merge into one word.
 */
function joinsUnsafely(before: number, after: number): boolean {
  if (before === after) return before === 0x2d || before === 0x27 || before === 0x22 || before === 0x60 || WORD_CHAR[before] === 1;
  return (before === 0x2f && after === 0x2a) || (before === 0x2a && after === 0x2f) || (WORD_CHAR[before] === 1 && WORD_CHAR[after] === 1);
}

/**
 * Tokens [from, to) as SQL, each token in canonical spelling. A blank separates two tokens where the file had a blank or
 * a comment, and wherever writing them together would let the server read them differently from the parser (a comment
 * dropped between `-` and `-` must not leave `-- `, which the server would take for a comment).
 */
export function emitTokens(context: EmitContext, from: number, to: number): string {
  const { sql, tokens, mode, replace } = context;
  let out = '';
  for (let i = from; i < to; i++) {
    let piece = replace?.get(i);
    if (piece === undefined) {
      const start = tokens.start[i];
      const end = tokens.end[i];
      switch (tokens.type[i]) {
        case TOKEN_STRING:
          piece = quoteBytes(stringValue(sql, start, end, mode.backslashEscapes));
          break;
        case TOKEN_IDENT:
          piece = '`' + identifierValue(sql, start, end).toString('latin1').replace(/`/g, '``') + '`';
          break;
        case TOKEN_WORD: {
          let plain = true;
          for (let k = start; k < end; k++) if (sql[k] >= 0x80) plain = false;
          // A bare word with bytes >= 0x80 can only be a name: quoted, so no server reads its bytes as blanks.
          piece = plain ? sql.toString('latin1', start, end) : '`' + sql.toString('latin1', start, end) + '`';
          break;
        }
        case TOKEN_PUNCT:
        default:
          piece = sql.toString('latin1', start, end);
      }
    }
    if (i > from && (tokens.spaced[i] || joinsUnsafely(out.charCodeAt(out.length - 1), piece.charCodeAt(0)))) out += ' ';
    out += piece;
  }
  return out;
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

// The dump's session settings, evaluated by the restore instead of being sent as written. Only the settings that change
// how the rows are read are carried to the server (character set, time zone, sql_mode), always in the restore's own
// spelling; the others (foreign_key_checks, unique_checks, sql_notes, sql_log_bin...) are the restore's business and are
// remembered only so that the dump can read them back (`SET @OLD_X = @@X` ... `SET X = @OLD_X`).
import { StatementRefused, type SetAssignment, type SetExpression } from './statement.ts';
import type { LexerMode } from './sql-tokenizer.ts';

/** What a restore's connection is set to, as the dump's SETs left it. JSON-safe: it is committed with every batch. */
export interface SessionState {
  characterSetClient: string;
  characterSetConnection: string;
  collationConnection: string | null;
  timeZone: string;
  /** the dump's sql_mode, as it wrote it (upper case, comma-separated) */
  sqlMode: string;
  /** other session variables the dump set or may read back */
  other: Record<string, string | null>;
  /** user variables (@name, lower case) */
  user: Record<string, string | null>;
  /** session variables the dump set that the restore does not carry (reported once) */
  ignored: string[];
}

export const INITIAL_SESSION: SessionState = {
  characterSetClient: 'utf8mb4',
  characterSetConnection: 'utf8mb4',
  collationConnection: null,
  timeZone: '+00:00',
  // Our backups and mariadb-dump write 0 into AUTO_INCREMENT columns only when they mean 0.
  sqlMode: 'NO_AUTO_VALUE_ON_ZERO',
  other: { foreign_key_checks: '1', unique_checks: '1', sql_notes: '1', autocommit: '1' },
  user: {},
  ignored: [],
};

const MAX_USER_VARIABLE_LENGTH = 1024;
const MAX_USER_VARIABLES = 256;

/** Session variables the restore itself controls: accepted, remembered, never sent. */
const CONTROLLED = new Set(['foreign_key_checks', 'unique_checks', 'sql_notes', 'sql_log_bin', 'autocommit', 'sql_quote_show_create', 'sql_warnings', 'character_set_results', 'time_zone_name']);
/** Multibyte character sets whose characters can hold the bytes of \ ' " `: the tokenizer could not split their strings. */
const UNSAFE_CHARSET = /^(big5|cp932|gbk|gb18030|sjis)/i;
const NAME = /^[A-Za-z0-9_]{1,64}$/;
const TIME_ZONE = /^(SYSTEM|[+-]\d{1,2}:\d{2}|[A-Za-z][A-Za-z0-9_+\-/]{0,63})$/;
/** sql_mode combinations that change the SQL dialect itself. */
const DIALECT_MODES = new Set(['ANSI', 'DB2', 'MAXDB', 'MSSQL', 'ORACLE', 'POSTGRESQL']);
/** Modes that change how the file is read: applied by the tokenizer, never sent (the server reads the restore's own SQL). */
const LEXER_MODES = new Set(['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES']);

export class SessionModel {
  state: SessionState;

  constructor(state: SessionState = INITIAL_SESSION) {
    this.state = structuredClone(state);
  }

  /** How the tokenizer must read what follows. */
  lexerMode(serverVersion: number): LexerMode {
    const modes = this.modes();
    return { backslashEscapes: !modes.includes('NO_BACKSLASH_ESCAPES'), ansiQuotes: modes.includes('ANSI_QUOTES'), serverVersion };
  }

  /** Applies a SET's assignments in order (each sees the ones before it, as the server does). */
  apply(assignments: SetAssignment[]): void {
    for (const assignment of assignments) {
      if (assignment.scope === 'user') {
        const value = this.evaluate(assignment.value);
        // Dumps keep settings in user variables (@OLD_SQL_MODE...): short values, a few of them. Anything longer or more
        // is kept nowhere (it rides in the job's state row with every batch), and reads back as NULL, as an unset one.
        const known = assignment.name in this.state.user;
        if ((value?.length ?? 0) > MAX_USER_VARIABLE_LENGTH || (!known && Object.keys(this.state.user).length >= MAX_USER_VARIABLES)) {
          delete this.state.user[assignment.name];
          if (this.state.ignored.length < 100 && !this.state.ignored.includes(`@${assignment.name}`)) this.state.ignored.push(`@${assignment.name}`);
        } else this.state.user[assignment.name] = value;
        continue;
      }
      this.assign(assignment.name, assignment.value);
    }
  }

  /** SQL that brings a connection from `before` to this state (nothing when the carried settings did not change). */
  statementsSince(before: SessionState | null): string[] {
    const s = this.state;
    const parts: string[] = [];
    if (!before || before.characterSetClient !== s.characterSetClient) parts.push(`character_set_client = ${quote(s.characterSetClient)}`);
    if (!before || before.characterSetConnection !== s.characterSetConnection || before.collationConnection !== s.collationConnection) {
      parts.push(`character_set_connection = ${quote(s.characterSetConnection)}`);
      if (s.collationConnection) parts.push(`collation_connection = ${quote(s.collationConnection)}`);
    }
    if (!before || before.timeZone !== s.timeZone) parts.push(`time_zone = ${quote(s.timeZone)}`);
    if (!before || before.sqlMode !== s.sqlMode) parts.push(`sql_mode = ${quote(this.modes().filter((mode) => !LEXER_MODES.has(mode)).join(','))}`);
    return parts.length ? [`SET SESSION ${parts.join(', ')}`] : [];
  }

  private modes(): string[] {
    return this.state.sqlMode ? this.state.sqlMode.split(',').filter(Boolean) : [];
  }

  private assign(name: string, expression: SetExpression): void {
    const s = this.state;
    const value = expression.type === 'default' ? null : this.evaluate(expression);
    const isDefault = expression.type === 'default';
    switch (name) {
      case 'names':
      case 'character_set': {
        const charset = isDefault ? INITIAL_SESSION.characterSetClient : checkCharset(value, name);
        s.characterSetClient = charset;
        s.characterSetConnection = charset;
        s.collationConnection = null;
        return;
      }
      case 'character_set_client':
        if (value === null && !isDefault) return;
        s.characterSetClient = isDefault ? INITIAL_SESSION.characterSetClient : checkCharset(value, name);
        return;
      case 'character_set_connection':
        if (value === null && !isDefault) return;
        s.characterSetConnection = isDefault ? INITIAL_SESSION.characterSetConnection : checkCharset(value, name);
        s.collationConnection = null;
        return;
      case 'collation_connection':
        if (value === null && !isDefault) return;
        if (isDefault) s.collationConnection = null;
        else {
          const collation = checkCharset(value, name);
          s.collationConnection = collation;
          s.characterSetConnection = collation.split('_')[0];
        }
        return;
      case 'time_zone':
        if (value === null && !isDefault) return;
        if (!isDefault && !TIME_ZONE.test(value ?? '')) throw new StatementRefused('syntax', `time_zone ${value}`);
        s.timeZone = isDefault ? INITIAL_SESSION.timeZone : (value as string);
        return;
      case 'sql_mode': {
        if (value === null && !isDefault) return;
        const text = isDefault ? INITIAL_SESSION.sqlMode : (value as string);
        const modes = text.toUpperCase().split(',').map((mode) => mode.trim()).filter(Boolean);
        for (const mode of modes) {
          if (!NAME.test(mode)) throw new StatementRefused('unsafe_sql_mode', mode);
          if (DIALECT_MODES.has(mode)) throw new StatementRefused('unsafe_sql_mode', mode);
        }
        s.sqlMode = modes.join(',');
        return;
      }
      default:
        // Remembered so a later SET may read it back; bounded like user variables (see apply()).
        if ((value?.length ?? 0) <= MAX_USER_VARIABLE_LENGTH && (name in s.other || Object.keys(s.other).length < MAX_USER_VARIABLES)) s.other[name] = value;
        if (!CONTROLLED.has(name) && s.ignored.length < 100 && !s.ignored.includes(name)) s.ignored.push(name);
    }
  }

  private evaluate(expression: SetExpression): string | null {
    switch (expression.type) {
      case 'literal':
        return expression.value;
      case 'default':
        return null;
      case 'user':
        return this.state.user[expression.name] ?? null;
      case 'system':
        return this.read(expression.name);
      case 'ifnull': {
        for (const arg of expression.args) {
          const value = this.evaluate(arg);
          if (value !== null) return value;
        }
        return null;
      }
      case 'if_null': {
        const isNull = this.evaluate(expression.test) === null;
        return this.evaluate(isNull !== expression.negate ? expression.then : expression.otherwise);
      }
    }
  }

  private read(name: string): string | null {
    const s = this.state;
    switch (name) {
      case 'character_set_client':
        return s.characterSetClient;
      case 'character_set_connection':
        return s.characterSetConnection;
      case 'collation_connection':
        return s.collationConnection ?? `${s.characterSetConnection}_general_ci`;
      case 'time_zone':
        return s.timeZone;
      case 'sql_mode':
        return s.sqlMode;
      default:
        return s.other[name] ?? null;
    }
  }
}

function checkCharset(value: string | null, variable: string): string {
  if (value === null || !NAME.test(value)) throw new StatementRefused('unsafe_charset', `${variable} ${value ?? 'NULL'}`);
  if (UNSAFE_CHARSET.test(value)) throw new StatementRefused('unsafe_charset', value);
  return value.toLowerCase();
}

function quote(value: string): string {
  // Names and time zones were checked against plain patterns: nothing here needs escaping.
  return `'${value}'`;
}

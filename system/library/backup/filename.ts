// Backup file names: every `filename` parameter is reduced to a base name and validated before it touches the disk.
import path from 'node:path';
import { UserError } from '../../engine/errors.ts';

/** Suffixes a backup file may have; `.part` files and dotfiles are never backups. */
export const BACKUP_SUFFIXES = ['.sql', '.sql.gz'] as const;
export const PART_SUFFIX = '.part';

/** Longest file name the disk takes, in bytes (with `.part`, which the name must leave room for). */
const MAX_NAME_BYTES = 255;

/**
 * The base name of `input` if it is an acceptable backup name: 3 to 128 characters and at most 255 bytes with `.part`,
 * ending in `.sql` or `.sql.gz` (lower case, as OpenCart checks), not hidden, and without control, format (bidi
 * overrides, zero-width characters) or line/paragraph separator characters, which would let one name look like another
 * in the history. Otherwise UserError('error_filename').
 */
export function backupName(input: unknown): string {
  if (typeof input !== 'string') throw new UserError('error_filename');
  // Both separators: a name sent from Windows ("C:\dumps\a.sql") must not survive as a path on any platform.
  const base = path.posix.basename(input.replace(/\\/g, '/'));
  if (base.length < 3 || base.length > 128 || Buffer.byteLength(base + PART_SUFFIX) > MAX_NAME_BYTES) throw new UserError('error_filename');
  if (!BACKUP_SUFFIXES.some((suffix) => base.endsWith(suffix))) throw new UserError('error_filename');
  if (base.startsWith('.') || /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(base)) throw new UserError('error_filename');
  return base;
}

/** True for names the history lists (complete backups only). */
export function isListedBackup(name: string): boolean {
  try {
    return backupName(name) === name;
  } catch {
    return false;
  }
}

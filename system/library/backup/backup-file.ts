// The one way a backup file is looked at: a regular file with exactly one link, never through a symbolic link. A link
// planted in storage/backup (by FTP, a shell, another site on the host) could otherwise list, serve, restore or delete
// a file outside the folder: a symbolic link points anywhere, and a hard link is the same file under another name.
import { constants as fsConstants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../../engine/errors.ts';

export interface OpenBackup {
  handle: FileHandle;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

/** True for what the history may list and the routes may touch: lstat says a regular file with one link. */
export function isPlainFile(stat: Stats | null): stat is Stats {
  return stat !== null && stat.isFile() && stat.nlink === 1;
}

/** lstat of `file`, or null when it is not a plain file (missing, a link, a folder). */
export async function plainFileStat(file: string): Promise<Stats | null> {
  const stat = await fsp.lstat(file).catch(() => null);
  return isPlainFile(stat) ? stat : null;
}

/** Opens a backup for reading; error_file when it is missing or not a plain file. */
export async function openBackupForRead(file: string): Promise<OpenBackup> {
  const handle = await fsp.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP' || error.code === 'ENOENT') throw new UserError('error_file');
    throw error;
  });
  // fstat of the open handle: what is read is what was checked.
  const stat = await handle.stat();
  if (!isPlainFile(stat)) {
    await handle.close();
    throw new UserError('error_file');
  }
  return { handle, size: stat.size, mtimeMs: stat.mtimeMs, dev: stat.dev, ino: stat.ino };
}

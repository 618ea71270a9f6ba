// Small JSON state files beside the backups (undo record, a running restore's state), written atomically.
import { promises as fs } from 'node:fs';

/** The file's JSON, or null when it is missing or unreadable (a state file that cannot be read is no state). */
export async function readJsonFile<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  const temporary = file + '.tmp';
  await fs.writeFile(temporary, JSON.stringify(value, null, 2), { mode: 0o600 });
  await fs.rename(temporary, file);
}

// Receives one uploaded dump: streamed by busboy to a hidden temporary file, moved into place only when complete and valid.
import { promises as fs, createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { UserError } from '../../engine/errors.ts';
import { backupName, PART_SUFFIX } from './filename.ts';
import { createToken } from '../session.ts';

export interface UploadOptions {
  /** The multipart field that carries the file (OpenCart: `upload`). */
  field: string;
  /** Largest file accepted, in bytes; enforced while streaming. */
  maxBytes: number;
  /** The limit as the user reads it, for the error message. */
  maxBytesText: string;
}

/**
 * Stores the request's one file in `directory` under its validated base name and returns that name. Nothing is kept
 * when anything is wrong, and an existing file is never replaced (not even one that appeared during the upload).
 */
export async function receiveUpload(request: IncomingMessage, directory: string, options: UploadOptions): Promise<string> {
  const temporary = path.join(directory, `.upload-${createToken(16)}${PART_SUFFIX}`);
  try {
    const received = await streamToFile(request, temporary, options);
    // One spelling per name (macOS sends decomposed accents): two files never look alike in the history.
    const filename = backupName(received.filename.normalize('NFC'));
    if (!(await looksLikeDump(temporary, filename))) throw new UserError('error_upload_type', [filename]);
    // A running backup owns the name of its `.part` until it is done.
    if (await fs.lstat(path.join(directory, filename + PART_SUFFIX)).then(() => true, () => false)) throw new UserError('error_exists', [filename]);
    try {
      // link() fails if the name exists, atomically.
      await fs.link(temporary, path.join(directory, filename));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError('error_exists', [filename]);
      throw error;
    }
    return filename;
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

async function streamToFile(request: IncomingMessage, temporary: string, options: UploadOptions): Promise<{ filename: string }> {
  let parser: busboy.Busboy;
  try {
    // busboy reports the limit when a file reaches fileSize: one byte over the limit is the first refused byte.
    // Browsers send the file name's UTF-8 bytes as they are (busboy would read them as latin1).
    parser = busboy({ headers: request.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: options.maxBytes + 1, fields: 10, parts: 20 } });
  } catch {
    throw new UserError('error_upload');
  }
  let received: { filename: string; truncated: boolean } | null = null;
  let files = 0;
  await new Promise<void>((resolve, reject) => {
    const writes: Promise<void>[] = [];
    parser.on('file', (field, stream, info) => {
      files++;
      if (field !== options.field || files > 1) {
        stream.resume();
        return;
      }
      const entry = { filename: info.filename ?? '', truncated: false };
      received = entry;
      stream.on('limit', () => (entry.truncated = true));
      writes.push(pipeline(stream, createWriteStream(temporary, { mode: 0o600, flags: 'wx' })));
    });
    parser.on('filesLimit', () => (files = 2));
    parser.on('error', () => reject(new UserError('error_upload')));
    parser.on('close', () => Promise.all(writes).then(() => resolve(), reject));
    request.on('aborted', () => reject(new UserError('error_upload')));
    request.pipe(parser);
  });
  const upload = received as { filename: string; truncated: boolean } | null;
  if (files > 1) throw new UserError('error_upload_fields');
  if (!upload) throw new UserError('error_upload');
  if (upload.truncated) throw new UserError('error_upload_size', [options.maxBytesText]);
  return upload;
}

// A dump is text: gzip by its magic bytes, or SQL without NUL bytes (every dumper escapes NUL) in its first 64 KiB.
async function looksLikeDump(file: string, filename: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytesRead === 0) return false;
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
    if (filename.endsWith('.gz')) return gzip;
    return gzip || !bytes.includes(0);
  } finally {
    await handle.close();
  }
}

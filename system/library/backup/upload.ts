// Receives one uploaded dump: streamed by busboy to a hidden temporary file, moved into place only when complete and valid.
import { promises as fs, createReadStream, createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
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
    await checkDump(temporary, filename);
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

/**
 * Refuses what cannot be a dump, with the reason: an empty file; a `.gz` that is not gzip or does not decompress to its
 * end (a copy cut short would only fail at restore, under a name a new upload cannot take); SQL is text, so a NUL byte
 * in the first 64 KiB (every dumper escapes NUL) means an image, an archive or UTF-16.
 */
async function checkDump(file: string, filename: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length === 0) throw new UserError('error_upload_empty', [filename]);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (filename.endsWith('.gz') && !gzip) throw new UserError('error_upload_type', [filename]);
  if (gzip) head = await decompressedHead(file, head.length);
  if (head.includes(0)) throw new UserError('error_upload_type', [filename]);
}

/** Decompresses the whole file (so a damaged or cut-short one is refused now) and returns its first `size` bytes. */
async function decompressedHead(file: string, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let kept = 0;
  const keepHead = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (kept < size) {
        parts.push(chunk.subarray(0, size - kept));
        kept += Math.min(chunk.length, size - kept);
      }
      callback();
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), keepHead);
  } catch {
    throw new UserError('error_gzip');
  }
  return Buffer.concat(parts);
}

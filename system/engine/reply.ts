// What a controller returns; one adapter in admin/app.ts turns it into an HTTP response.
import type { Readable } from 'node:stream';

export type Reply =
  | { kind: 'json'; body: Record<string, unknown>; status?: number }
  | { kind: 'html'; body: string; status?: number }
  | { kind: 'file'; stream: Readable; filename: string; size: number }
  | { kind: 'redirect'; location: string };

export const json = (body: Record<string, unknown>, status?: number): Reply => ({ kind: 'json', body, status });
export const html = (body: string, status?: number): Reply => ({ kind: 'html', body, status });
export const redirect = (location: string): Reply => ({ kind: 'redirect', location });
export const file = (stream: Readable, filename: string, size: number): Reply => ({ kind: 'file', stream, filename, size });

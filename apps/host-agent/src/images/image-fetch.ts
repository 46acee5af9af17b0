import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '#libs/contracts';
import { refused } from './image-inspection.js';

export interface FetchLimits {
  /** The largest file fetched; a larger one is refused as too large, as soon as that is known. */
  maxBytes: number;
  /**
   * A source that brings fewer than `minBytesPerWindow` in one of these windows counts as unreachable
   * (curl's --speed-time and --speed-limit): one that sends nothing, and one that trickles a few bytes
   * a minute, which would hold the import (and the image IMPORTING) for ever.
   */
  windowMs: number;
  minBytesPerWindow: number;
}

export interface FetchedFile {
  /** Hex SHA-256 of what was written, computed as it streamed. */
  sha256: string;
  bytes: number;
}

const PATH_SEGMENT = /^[A-Za-z0-9._+-]+$/;
const isUrl = (source: string) => /^https?:\/\//i.test(source);

const MIB = 1024 * 1024;
const tooLarge = ({ maxBytes }: FetchLimits) => refused(`too large: the image is over ${maxBytes >= MIB ? `${Math.floor(maxBytes / MIB)} MB` : `${maxBytes} bytes`}`);

/**
 * The file a path source names under the image storage, symbolic links resolved: a path that is
 * not relative, climbs with `..`, or resolves outside the storage is refused, whatever links led there.
 */
export async function storageFile(source: string, imagesDir: string): Promise<string> {
  const segments = source.split('/');
  if (path.isAbsolute(source) || !segments.every((segment) => PATH_SEGMENT.test(segment) && segment !== '.' && segment !== '..')) {
    throw refused(`not accepted: ${source} is not a path under the image storage`);
  }
  const root = await realpath(imagesDir);
  const file = await realpath(path.join(root, ...segments)).catch(() => {
    throw refused(`unreachable: no file ${source} in the image storage`);
  });
  if (!file.startsWith(`${root}${path.sep}`)) throw refused(`not accepted: ${source} leads outside the image storage`);
  if (!(await stat(file)).isFile()) throw refused(`not an image: ${source} is not a file`);
  return file;
}

/** An http(s) response's body, refused early where the server says it is too large or not there. */
async function download(url: string, limits: FetchLimits, abort: AbortController): Promise<Readable> {
  let response: Response;
  try {
    response = await fetch(url, { signal: abort.signal, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw refused(`unreachable: ${url} (${cause})`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw refused(`unreachable: ${url} answered HTTP ${response.status}`);
  }
  if (Number(response.headers.get('content-length')) > limits.maxBytes) {
    await response.body.cancel();
    throw tooLarge(limits);
  }
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
}

/**
 * Streams `source` (an http(s) URL, or a path under `imagesDir`) into `target`, hashing it on the
 * way: nothing reads the file before its checksum is known, and no more than `maxBytes` is written.
 */
export async function fetchImage(source: string, imagesDir: string, target: string, limits: FetchLimits): Promise<FetchedFile> {
  const abort = new AbortController();
  let inWindow = 0;
  const slow = setInterval(() => {
    if (inWindow < limits.minBytesPerWindow) abort.abort(new Error(`${inWindow} bytes in ${limits.windowMs / 1000} s, fewer than the ${limits.minBytesPerWindow} an import needs`));
    inWindow = 0;
  }, limits.windowMs);
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inWindow += chunk.length;
      bytes += chunk.length;
      if (bytes > limits.maxBytes) return done(tooLarge(limits));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    let input: Readable;
    if (isUrl(source)) {
      input = await download(source, limits, abort);
    } else {
      const file = await storageFile(source, imagesDir);
      if ((await stat(file)).size > limits.maxBytes) throw tooLarge(limits);
      input = createReadStream(file);
    }
    await pipeline(input, measure, createWriteStream(target, { mode: 0o600 }), { signal: abort.signal });
  } catch (error) {
    if (error instanceof AppError) throw error;
    // A connection that broke or slowed to a trickle mid-way, or storage that would not take the file: the reason, not a crash.
    const reason = abort.signal.aborted ? (abort.signal.reason as Error).message : (error as Error).message;
    throw refused(isUrl(source) ? `unreachable: ${source} (${reason})` : `cannot copy ${source}: ${reason}`);
  } finally {
    clearInterval(slow);
  }
  return { sha256: hash.digest('hex'), bytes };
}

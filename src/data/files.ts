// Bounded file reading: decode only the bytes a caller needs, so asking for 100 samples
// of a 47 MB dataset costs milliseconds rather than a full read and inflate.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { TinytrainError } from '../errors';

// Size limits for data files, checked on the header before anything is allocated. Files
// are read only as far as needed, so a file may declare much more than is ever loaded.
/** Elements a data file may declare (2^32: 5.4 million 28x28 images). */
export const MAX_FILE_ELEMENTS = 2 ** 32;
/** Elements loaded from one file (2^28, 1 GiB once normalized to float32); and of one sample. */
export const MAX_READ_ELEMENTS = 2 ** 28;

const pow2 = (n: number): string => (Number.isInteger(Math.log2(n)) ? ` (2^${Math.log2(n)})` : '');
const count = (n: number): string => `${Number.isSafeInteger(n) ? n : n.toExponential(3)}${pow2(n)}`;

/** Refuse a declared shape [N, ...] over the file or sample limits. */
export function checkDataSize(path: string, shape: readonly number[], what: string): void {
  const total = shape.reduce((a, b) => a * b, 1);
  const sample = shape.slice(1).reduce((a, b) => a * b, 1);
  if (total > MAX_FILE_ELEMENTS) {
    throw new TinytrainError(`${path}: the ${what} declares ${shape.join('x')} = ${count(total)} elements; the limit for a data file is ${count(MAX_FILE_ELEMENTS)}`, 'DATA_TOO_LARGE');
  }
  if (sample > MAX_READ_ELEMENTS) {
    throw new TinytrainError(`${path}: the ${what} declares samples of ${shape.slice(1).join('x')} = ${count(sample)} elements; the limit for a sample is ${count(MAX_READ_ELEMENTS)}`, 'DATA_TOO_LARGE');
  }
}

/** Refuse loading `n` samples of `sample` elements when that is over the read limit. */
export function checkReadSize(path: string, n: number, sample: readonly number[]): void {
  const total = n * sample.reduce((a, b) => a * b, 1);
  if (total > MAX_READ_ELEMENTS) {
    const what = sample.length ? `${n} samples of ${sample.join('x')} = ${count(total)} elements` : `${count(n)} values`;
    throw new TinytrainError(`${path}: loading ${what} is over the limit of ${count(MAX_READ_ELEMENTS)}; load fewer samples`, 'DATA_TOO_LARGE');
  }
}

/** Up to `n` bytes from the start of a file (fewer if the file is shorter). */
export function readPrefix(path: string, n: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, Math.min(n, fileSize(path))));
  return buf.subarray(0, readRange(path, 0, buf));
}

/** Fill `into` from byte `offset` of a file; returns the bytes read (short only at EOF). */
export function readRange(path: string, offset: number, into: Uint8Array): number {
  const fd = fs.openSync(path, 'r');
  try {
    let off = 0;
    while (off < into.length) {
      const got = fs.readSync(fd, into, off, into.length - off, offset + off);
      if (got === 0) break;
      off += got;
    }
    return off;
  } catch (e) {
    // readSync errors carry no path; name the file here (e.g. EISDIR for a folder).
    throw new TinytrainError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'DATA_IO');
  } finally {
    fs.closeSync(fd);
  }
}

export function fileSize(path: string): number {
  return fs.statSync(path).size;
}

/**
 * A view of a possibly gzipped file. `head(n)` returns at least min(n, length) leading bytes
 * of the *decompressed* content; `length(expected)` returns the decompressed length, cheaply
 * when it equals what the caller expects, and stops counting just past `expected` (`exact`
 * is then false: the content is longer than that).
 */
export interface ByteSource {
  path: string;
  head(n: number): Buffer;
  length(expected: number): { bytes: number; exact: boolean };
}

/** Largest decompressed .gz content: checking its length means inflating all of it. */
export const MAX_GZIP_BYTES = 2 ** 30;

export function openSource(path: string): ByteSource {
  if (!path.endsWith('.gz')) {
    return { path, head: (n) => readPrefix(path, n), length: () => ({ bytes: fileSize(path), exact: true }) };
  }
  return gzipSource(path);
}

function gzipSource(path: string): ByteSource {
  const compressed = fileSize(path);
  let cache: Buffer = Buffer.alloc(0);
  let complete = false; // cache holds the whole decompressed stream

  // Inflate a growing compressed prefix. Z_SYNC_FLUSH makes zlib return what it has instead
  // of failing on the (deliberately) cut stream. Doubling bounds the total work to ~2x.
  // Output is capped: a few KB of a gzip bomb inflate to gigabytes. A prefix over the cap
  // is bisected down to one whose output fits (one compressed byte adds at most ~2 KB).
  const head = (n: number): Buffer => {
    if (cache.length >= n || complete) return cache;
    const cap = Math.max(2 * n, 1 << 20);
    let lo = 0, hi = Infinity;   // prefixes known to inflate to < n bytes / to more than cap
    let take = Math.min(compressed, Math.max(64 * 1024, n + 1024));
    for (;;) {
      const all = take >= compressed;
      const out = inflate(path, readPrefix(path, take), all, cap);
      if (out === undefined) hi = take;
      else {
        cache = out;
        complete = all;
        if (out.length >= n || all) return cache;
        lo = take;
      }
      take = hi === Infinity ? Math.min(compressed, take * 2) : lo + Math.floor((hi - lo) / 2);
      if (take <= lo) throw new TinytrainError(`${path}: cannot decompress ${n} bytes within ${cap} bytes of memory`, 'DATA_GZIP');
    }
  };

  // The gzip trailer's ISIZE (last 4 bytes, length mod 2^32) answers without inflating. A
  // truncated file has arbitrary bytes there, so only agreement is trusted; anything else
  // (truncated, padded, multi-member) is settled by inflating the stream, up to one byte
  // past `expected`.
  const length = (expected: number): { bytes: number; exact: boolean } => {
    if (compressed >= 18) {
      const fd = fs.openSync(path, 'r');
      const tail = Buffer.alloc(4);
      try { fs.readSync(fd, tail, 0, 4, compressed - 4); } finally { fs.closeSync(fd); }
      if (tail.readUInt32LE(0) === expected % 2 ** 32 && head(Math.min(expected, 1)).length > 0) return { bytes: expected, exact: true };
    }
    if (expected >= MAX_GZIP_BYTES) {
      throw new TinytrainError(`${path}: a gzip file may hold at most ${MAX_GZIP_BYTES} bytes (1 GiB) uncompressed, this one should hold ${expected}; decompress it (gunzip) and use the raw file`, 'DATA_TOO_LARGE');
    }
    const out = inflate(path, readPrefix(path, compressed), true, expected + 1);
    if (out === undefined) return { bytes: expected + 1, exact: false };
    cache = out;
    complete = true;
    return { bytes: out.length, exact: true };
  };

  return { path, head, length };
}

/** Inflate `data`, or undefined when the output would exceed `cap` bytes. */
function inflate(path: string, data: Buffer, whole: boolean, cap: number): Buffer | undefined {
  try {
    return zlib.gunzipSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, cap) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    const why = whole ? `: ${(e as Error).message}` : '';
    throw new TinytrainError(`${path}: not a valid gzip file${why}`, 'DATA_GZIP');
  }
}

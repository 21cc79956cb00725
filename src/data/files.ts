// Bounded file reading: decode only the bytes a caller needs, so asking for 100 samples
// of a 47 MB dataset costs milliseconds rather than a full read and inflate.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { TinytrainError } from '../errors';

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
 * when it equals what the caller expects.
 */
export interface ByteSource {
  path: string;
  head(n: number): Buffer;
  length(expected: number): number;
}

export function openSource(path: string): ByteSource {
  if (!path.endsWith('.gz')) {
    return { path, head: (n) => readPrefix(path, n), length: () => fileSize(path) };
  }
  return gzipSource(path);
}

function gzipSource(path: string): ByteSource {
  const compressed = fileSize(path);
  let cache: Buffer = Buffer.alloc(0);
  let complete = false; // cache holds the whole decompressed stream

  // Inflate a growing compressed prefix. Z_SYNC_FLUSH makes zlib return what it has instead
  // of failing on the (deliberately) cut stream. Doubling bounds the total work to ~2x.
  const head = (n: number): Buffer => {
    if (cache.length >= n || complete) return cache;
    let take = Math.min(compressed, Math.max(64 * 1024, n + 1024));
    for (;;) {
      const all = take >= compressed;
      cache = inflate(path, readPrefix(path, take), all);
      complete = all;
      if (cache.length >= n || all) return cache;
      take = Math.min(compressed, take * 2);
    }
  };

  // The gzip trailer's ISIZE (last 4 bytes, length mod 2^32) answers without inflating. A
  // truncated file has arbitrary bytes there, so only agreement is trusted; anything else
  // (truncated, padded, multi-member) is settled by inflating the whole stream.
  const length = (expected: number): number => {
    if (compressed >= 18) {
      const fd = fs.openSync(path, 'r');
      const tail = Buffer.alloc(4);
      try { fs.readSync(fd, tail, 0, 4, compressed - 4); } finally { fs.closeSync(fd); }
      if (tail.readUInt32LE(0) === expected % 2 ** 32 && head(Math.min(expected, 1)).length > 0) return expected;
    }
    return head(Number.MAX_SAFE_INTEGER).length;
  };

  return { path, head, length };
}

function inflate(path: string, data: Buffer, whole: boolean): Buffer {
  try {
    return zlib.gunzipSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (e) {
    const why = whole ? `: ${(e as Error).message}` : '';
    throw new TinytrainError(`${path}: not a valid gzip file${why}`, 'DATA_GZIP');
  }
}

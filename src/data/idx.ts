// MNIST IDX files: big-endian header (magic 0x000008nn, nn = number of dims, then one u32
// per dim) followed by uint8 payload. Images are [N,H,W] (or [N,C,H,W]), labels [N].
import { TinytrainError } from '../errors';
import { ByteSource, checkDataSize, checkReadSize } from './files';

export interface IdxData {
  /** Full dims from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The first `count` records' payload (count * prod(dims[1:]) bytes). */
  data: Uint8Array;
  count: number;
}

export const IDX_IMAGES = [0x803, 0x804];
export const IDX_LABELS = [0x801];

const hex = (v: number): string => '0x' + v.toString(16).padStart(8, '0');

/** Read the header and the first `limit` records of an IDX uint8 file. */
export function readIdx(src: ByteSource, allowedMagic: number[], limit: number): IdxData {
  const first = src.head(4);
  if (first.length < 4) throw truncated(src.path, 4, first.length, 'header');
  const magic = first.readUInt32BE(0);
  if (!allowedMagic.includes(magic)) {
    const want = allowedMagic.map(hex).join(' or ');
    throw new TinytrainError(`${src.path}: bad IDX magic ${hex(magic)}, expected ${want}`, 'DATA_MAGIC');
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  const head = src.head(headerBytes);
  if (head.length < headerBytes) throw truncated(src.path, headerBytes, head.length, 'header');
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(head.readUInt32BE(4 + 4 * i));
  // Sizes come from the header: check them before inflating or reading anything.
  checkDataSize(src.path, dims, 'IDX header');

  const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const total = headerBytes + dims[0] * recordBytes;
  const actual = src.length(total);
  if (actual.bytes < total) throw truncated(src.path, total, actual.bytes, `header says ${dims.join('x')}`);
  if (actual.bytes > total) {
    const extra = actual.exact ? `${actual.bytes - total} unexpected bytes` : 'unexpected bytes';
    const found = actual.exact ? `found ${actual.bytes}` : 'found more';
    throw new TinytrainError(`${src.path}: ${extra} after the ${dims.join('x')} payload (expected ${total} bytes, ${found})`, 'DATA_SIZE');
  }

  const count = Math.min(limit, dims[0]);
  checkReadSize(src.path, count, dims.slice(1));
  const need = headerBytes + count * recordBytes;
  const buf = src.head(need);
  if (buf.length < need) throw truncated(src.path, need, buf.length, 'data');
  return { dims, count, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, count * recordBytes) };
}

function truncated(path: string, expected: number, found: number, what: string): TinytrainError {
  return new TinytrainError(`${path}: truncated file (${what}): expected ${expected} bytes, found ${found}`, 'DATA_TRUNCATED');
}

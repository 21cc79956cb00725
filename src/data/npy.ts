// NumPy .npy files (format versions 1, 2 and 3): magic "\x93NUMPY", version, little-endian
// header length (u16 for v1, u32 for v2/v3), a Python dict literal header, then C-order data.
import { TinytrainError } from '../errors';
import { checkDataSize, checkReadSize, fileSize, readPrefix, readRange } from './files';

export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'i4' | 'u4' | 'i8' | 'u8' | 'f4' | 'f8';

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data. */
  offset: number;
}

const ITEM_BYTES: Record<NpyDtype, number> = { u1: 1, i1: 1, u2: 2, i2: 2, i4: 4, u4: 4, i8: 8, u8: 8, f4: 4, f8: 8 };

export function itemBytes(d: NpyDtype): number { return ITEM_BYTES[d]; }

/** Longest header accepted; numpy writes ~128 bytes and by default reads at most 10000. */
export const MAX_NPY_HEADER = 65536;

function malformed(path: string, why: string): TinytrainError {
  return new TinytrainError(`${path}: malformed .npy header: ${why}`, 'DATA_NPY');
}

/** Header text quoted in a message: control characters escaped, at most 40 characters. */
function quote(s: string): string {
  const esc = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return esc.length > 40 ? `${esc.slice(0, 40)}…` : esc;
}

export function parseNpyHeader(path: string, buf: Buffer): NpyHeader {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw malformed(path, 'missing \\x93NUMPY magic');
  }
  const major = buf.readUInt8(6);
  if (major < 1 || major > 3) throw malformed(path, `unsupported format version ${major}.${buf.readUInt8(7)}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw malformed(path, 'file ends inside the header');
  const hlen = lenBytes === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (hlen > MAX_NPY_HEADER) throw malformed(path, `header length ${hlen} is over the limit of ${MAX_NPY_HEADER}`);
  const start = 8 + lenBytes;
  if (buf.length < start + hlen) throw malformed(path, `header length ${hlen} runs past the end of the file`);
  const text = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen);
  return { ...parseDict(path, text), offset: start + hlen };
}

// The header is written by numpy as e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }".
// Parse the three keys with targeted patterns rather than evaluating Python.
function parseDict(path: string, text: string): { dtype: NpyDtype; shape: number[] } {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw malformed(path, 'not a dict literal');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(t);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t);
  const shape = /['"]shape['"]\s*:\s*\(([^()]*)\)/.exec(t);   // [^()]: linear on hostile text
  if (!descr) throw malformed(path, "no 'descr'");
  if (!fortran) throw malformed(path, "no 'fortran_order'");
  if (!shape) throw malformed(path, "no 'shape'");
  if (fortran[1] === 'True') {
    throw new TinytrainError(`${path}: fortran_order=True is not supported; save a C-order array (np.ascontiguousarray)`, 'DATA_NPY');
  }
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (!dims.every((d) => /^\d+L?$/.test(d))) throw malformed(path, `bad shape (${quote(shape[1])})`);
  // More than 15 digits cannot be exact as a double, and is far over any size limit anyway.
  const big = dims.find((d) => d.replace(/^0+/, '').length > 15);
  if (big) throw new TinytrainError(`${path}: .npy shape (${quote(shape[1])}) has dimension ${quote(big)}, over any size limit`, 'DATA_TOO_LARGE');
  return { dtype: parseDescr(path, descr[1]), shape: dims.map((d) => parseInt(d, 10)) };
}

function parseDescr(path: string, d: string): NpyDtype {
  const m = /^([<>|=]?)([uif])(\d+)$/.exec(d);
  const code = m ? `${m[2]}${m[3]}` : '';
  if (!m || !(code in ITEM_BYTES)) {
    throw new TinytrainError(`${path}: unsupported .npy dtype '${quote(d)}' (use uint8, float32/64 or an integer type)`, 'DATA_NPY');
  }
  // '|' (not applicable) and '=' (native: little-endian on every host node runs on) are fine.
  if (m[1] === '>' && ITEM_BYTES[code as NpyDtype] > 1) {
    throw new TinytrainError(`${path}: big-endian dtype '${d}' is not supported; save with .astype('<${code}')`, 'DATA_NPY');
  }
  return code as NpyDtype;
}

export interface NpyData {
  header: NpyHeader;
  /** The first `count` rows (along axis 0), widened to doubles only for 8-byte ints. */
  values: ArrayLike<number>;
  count: number;
}

/** Read the header and the first `limit` rows of a .npy file, never more. */
export function readNpy(path: string, limit: number): NpyData {
  const size = fileSize(path);
  // Headers are padded to 64 bytes and rarely exceed a few hundred; re-read if longer.
  let buf = readPrefix(path, 4096);
  if (buf.length >= 12 && buf.length < size) {
    const v1 = buf.readUInt8(6) === 1;
    const need = v1 ? 10 + buf.readUInt16LE(8) : 12 + buf.readUInt32LE(8);
    if (need > buf.length) buf = readPrefix(path, Math.min(need, 12 + MAX_NPY_HEADER));
  }
  const header = parseNpyHeader(path, buf);
  checkDataSize(path, header.shape, '.npy header');
  const rows = header.shape.length > 0 ? header.shape[0] : 1;
  const rowItems = header.shape.slice(1).reduce((a, b) => a * b, 1);
  const ib = ITEM_BYTES[header.dtype];
  const total = header.offset + rows * rowItems * ib;
  if (size < total) {
    throw new TinytrainError(`${path}: truncated file (shape ${header.shape.join('x')} ${header.dtype}): expected ${total} bytes, found ${size}`, 'DATA_TRUNCATED');
  }
  const count = Math.min(limit, rows);
  checkReadSize(path, count, header.shape.slice(1));
  const n = count * rowItems;
  // Our own ArrayBuffer (offset 0) so it can be viewed as any wider element type.
  const ab = new ArrayBuffer(n * ib);
  readRange(path, header.offset, new Uint8Array(ab));
  return { header, count, values: typed(header.dtype, ab, n) };
}

function typed(d: NpyDtype, ab: ArrayBuffer, n: number): ArrayLike<number> {
  switch (d) {
    case 'u1': return new Uint8Array(ab);
    case 'i1': return new Int8Array(ab);
    case 'u2': return new Uint16Array(ab);
    case 'i2': return new Int16Array(ab);
    case 'u4': return new Uint32Array(ab);
    case 'i4': return new Int32Array(ab);
    case 'f4': return new Float32Array(ab);
    case 'f8': return new Float64Array(ab);
    case 'i8':
    case 'u8': {
      const big = d === 'i8' ? new BigInt64Array(ab) : new BigUint64Array(ab);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(big[i]);
      return out;
    }
  }
}

/** A .npy file as numpy writes it (v1 header padded to a multiple of 64 bytes). */
export function encodeNpy(a: Float32Array | Uint8Array | Int32Array, shape: number[]): Buffer {
  const descr = a instanceof Float32Array ? '<f4' : a instanceof Int32Array ? '<i4' : '|u1';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = (64 - ((10 + dict.length + 1) % 64)) % 64;
  const header = `${dict}${' '.repeat(pad)}\n`;
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(a.buffer, a.byteOffset, a.byteLength)]);
}

// Constant tensors: decoding TensorProto (raw_data and the typed *_data fields) and the
// small amount of arithmetic that constant folding of shape subgraphs needs.
import { onnx } from 'onnx-proto';
import { TinytrainError } from '../errors';
import { ConstTensor } from './types';

export const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

const DT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DT).map(([k, v]) => [v, k]));

export function dtypeName(t: number): string { return DT_NAMES[t] ?? `type ${t}`; }

export function isIntType(t: number): boolean {
  return t !== DT.FLOAT && t !== DT.DOUBLE && t !== DT.FLOAT16;
}

/** protobufjs gives int64 fields as Long objects (or plain numbers when small). Values
 *  beyond ±2^53 come back rounded; size fields go through checkDims/toDim, which refuse them. */
export function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Exact decimal text of an int64 field (Long.toString is exact where toNumber rounds). */
export function int64Text(v: number | { toString(): string } | null | undefined): string {
  return v === null || v === undefined ? '0' : String(v);
}

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

// Size limits, checked before anything is allocated. A model for a microcontroller is
// orders of magnitude below them; beyond them a file is corrupt or hostile.
/** Elements of any one tensor (constant or activation): 2^28, i.e. 1 GiB as float32. */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;
/** Bytes of all initializers together, as stored (the CLI also refuses larger files). */
export const MAX_CONST_BYTES = 512 * 1024 * 1024;
/** Elements of one constant computed by folding: folding exists for shape arithmetic and
 *  small weight preprocessing, and its loops are per element. */
export const MAX_FOLD_ELEMENTS = 2 ** 24;
/** Rank of any tensor (numpy's own limit is 32). */
export const MAX_RANK = 32;

/** "[a,b,c]", the middle elided for long lists so that messages stay short. */
export function fmtDims(dims: readonly (number | string)[]): string {
  const shown = dims.length > 12 ? [...dims.slice(0, 6), `… (${dims.length} dims) …`, ...dims.slice(-2)] : dims;
  return `[${shown.join(',')}]`;
}

/** One int64 dimension as a number, or undefined when it is not a safe non-negative integer. */
export function toDim(v: number | { toNumber(): number } | null | undefined): number | undefined {
  const n = toNum(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Validated dims of a declared tensor and its element count: non-negative safe integers,
 *  rank <= MAX_RANK, at most MAX_TENSOR_ELEMENTS elements. Nothing is allocated. */
export function checkDims(raw: readonly (number | { toNumber(): number; toString(): string })[], what: string):
    { dims: number[]; count: number } {
  const text = (): string => fmtDims(raw.map((d) => int64Text(d)));
  if (raw.length > MAX_RANK) {
    throw new TinytrainError(`${what}: rank ${raw.length} is over the limit of ${MAX_RANK} (dims ${text()})`, 'E_TOO_LARGE');
  }
  const dims: number[] = [];
  for (const d of raw) {
    const v = toDim(d);
    if (v === undefined) throw new TinytrainError(`${what}: invalid dims ${text()} (each must be a non-negative integer)`, 'E_ONNX_CORRUPT');
    dims.push(v);
  }
  checkCount(dims, what);
  return { dims, count: numel(dims) };
}

/** Refuse `dims` with more than `limit` elements; a zero dim makes any size empty. */
export function checkCount(dims: readonly number[], what: string, limit = MAX_TENSOR_ELEMENTS, kind = 'tensor'): void {
  if (dims.includes(0)) return;
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > limit) {
      const total = dims.reduce((a, b) => a * b, 1);
      throw new TinytrainError(`${what}: dims ${fmtDims(dims)} declare ${fmtCount(total)} elements; the limit for a ${kind} is ${fmtCount(limit)}`, 'E_TOO_LARGE');
    }
  }
}

/** 1099511627776 (2^40): exact powers of two are named, which is what hostile sizes are. */
export function fmtCount(n: number): string {
  const e = Math.log2(n);
  const pow = Number.isInteger(e) && e >= 10 ? ` (2^${e})` : '';
  return `${Number.isSafeInteger(n) ? String(n) : n.toExponential(3)}${pow}`;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const RAW_SIZE: Record<number, number> = {
  [DT.FLOAT]: 4, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.UINT16]: 2, [DT.INT16]: 2, [DT.INT32]: 4,
  [DT.INT64]: 8, [DT.BOOL]: 1, [DT.FLOAT16]: 2, [DT.DOUBLE]: 8, [DT.UINT32]: 4, [DT.UINT64]: 8,
};

/** Bytes per element of each tensor type as stored in raw_data. */
export function elemBytes(dataType: number): number | undefined {
  return RAW_SIZE[dataType];
}

function readRaw(raw: Uint8Array, dataType: number, count: number, what: string): Float64Array {
  const size = RAW_SIZE[dataType];
  if (size === undefined) throw new TinytrainError(`${what}: unsupported tensor type ${dtypeName(dataType)}`, 'E_UNSUPPORTED_ATTR');
  if (raw.byteLength !== size * count) {
    throw new TinytrainError(`${what}: raw_data has ${raw.byteLength} bytes, expected ${size * count} (${count} × ${dtypeName(dataType)})`, 'E_ONNX_CORRUPT');
  }
  // raw_data is an unaligned slice of the model buffer: copy before viewing it.
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const dv = new DataView(copy.buffer);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * size;
    switch (dataType) {
      case DT.FLOAT: out[i] = dv.getFloat32(o, true); break;
      case DT.DOUBLE: out[i] = dv.getFloat64(o, true); break;
      case DT.FLOAT16: out[i] = halfToFloat(dv.getUint16(o, true)); break;
      case DT.INT8: out[i] = dv.getInt8(o); break;
      case DT.UINT8: case DT.BOOL: out[i] = dv.getUint8(o); break;
      case DT.INT16: out[i] = dv.getInt16(o, true); break;
      case DT.UINT16: out[i] = dv.getUint16(o, true); break;
      case DT.INT32: out[i] = dv.getInt32(o, true); break;
      case DT.UINT32: out[i] = dv.getUint32(o, true); break;
      case DT.INT64: out[i] = Number(dv.getBigInt64(o, true)); break;
      case DT.UINT64: out[i] = Number(dv.getBigUint64(o, true)); break;
    }
  }
  return out;
}

/** Decode a TensorProto into a ConstTensor. `what` prefixes error messages. */
export function tensorFromProto(t: onnx.ITensorProto, what: string): ConstTensor {
  const dataType = t.dataType ?? 0;
  // Dims first: a declared 2^40 elements is refused here, before any allocation.
  const { dims, count } = checkDims(t.dims ?? [], what);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new TinytrainError(`${what}: external tensor data is not supported (save the model with the weights inside the .onnx file)`, 'E_UNSUPPORTED_ATTR');
  }
  let values: Float64Array;
  if (t.rawData && t.rawData.byteLength > 0) {
    values = readRaw(t.rawData, dataType, count, what);
  } else {
    let src: ArrayLike<number | { toNumber(): number }>;
    switch (dataType) {
      case DT.FLOAT: src = t.floatData ?? []; break;
      case DT.DOUBLE: src = t.doubleData ?? []; break;
      case DT.INT64: src = t.int64Data ?? []; break;
      case DT.UINT32: case DT.UINT64: src = t.uint64Data ?? []; break;
      case DT.INT32: case DT.INT16: case DT.INT8: case DT.UINT16: case DT.UINT8: case DT.BOOL:
      case DT.FLOAT16: src = t.int32Data ?? []; break;
      default:
        throw new TinytrainError(`${what}: unsupported tensor type ${dtypeName(dataType)}`, 'E_UNSUPPORTED_ATTR');
    }
    if (src.length !== count) {
      throw new TinytrainError(`${what}: has ${src.length} values, dims ${fmtDims(dims)} need ${count}`, 'E_ONNX_CORRUPT');
    }
    values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const v = toNum(src[i]);
      values[i] = dataType === DT.FLOAT16 ? halfToFloat(v & 0xffff) : v;
    }
  }
  return { dims, values, dataType };
}

export function makeConst(dims: number[], values: ArrayLike<number>, dataType: number): ConstTensor {
  return { dims, values: Float64Array.from(values), dataType };
}

export function toF32(values: ArrayLike<number>): Float32Array {
  return Float32Array.from(values);  // rounds each double to the nearest float32
}

/** Integer list from a 0-D/1-D constant (shape vectors, axes, pads). */
export function intList(t: ConstTensor): number[] {
  return Array.from(t.values, (v) => Math.trunc(v));
}

/** Single value of a constant with exactly one element (any rank). */
export function scalarOf(t: ConstTensor, what: string): number {
  if (t.values.length !== 1) throw new TinytrainError(`${what} must be a scalar, got dims ${fmtDims(t.dims)}`, 'E_UNSUPPORTED_ATTR');
  return t.values[0];
}

export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new TinytrainError(`${what}: axis ${axis} out of range for rank ${rank}`, 'E_SHAPE');
  return a;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** Numpy-style broadcast of two shapes, or undefined when incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Elementwise binary op on constants with broadcasting. */
export function constBinary(a: ConstTensor, b: ConstTensor, f: (x: number, y: number) => number,
                            what: string): ConstTensor {
  const dims = broadcastShape(a.dims, b.dims);
  if (!dims) throw new TinytrainError(`${what}: cannot broadcast ${fmtDims(a.dims)} with ${fmtDims(b.dims)}`, 'E_SHAPE');
  checkCount(dims, what, MAX_FOLD_ELEMENTS, 'folded constant');
  const r = dims.length;
  const pa = [...new Array<number>(r - a.dims.length).fill(1), ...a.dims];
  const pb = [...new Array<number>(r - b.dims.length).fill(1), ...b.dims];
  const sa = strides(pa), sb = strides(pb), so = strides(dims);
  const n = numel(dims);
  const out = new Float64Array(n);
  const intOut = isIntType(a.dataType) && isIntType(b.dataType);
  for (let i = 0; i < n; i++) {
    let ia = 0, ib = 0, rem = i;
    for (let k = 0; k < r; k++) {
      const c = Math.floor(rem / so[k]);
      rem -= c * so[k];
      if (pa[k] !== 1) ia += c * sa[k];
      if (pb[k] !== 1) ib += c * sb[k];
    }
    const v = f(a.values[ia], b.values[ib]);
    out[i] = intOut ? Math.trunc(v) : v;
  }
  return { dims, values: out, dataType: intOut ? a.dataType : (isIntType(a.dataType) ? b.dataType : a.dataType) };
}

/** Gather along `axis` (ONNX Gather) on constants. */
export function constGather(data: ConstTensor, idx: ConstTensor, axis: number, what: string): ConstTensor {
  const ax = normAxis(axis, data.dims.length, what);
  const d = data.dims;
  const outer = numel(d.slice(0, ax)), inner = numel(d.slice(ax + 1)), n = d[ax];
  const outDims = [...d.slice(0, ax), ...idx.dims, ...d.slice(ax + 1)];
  if (outDims.length > MAX_RANK) throw new TinytrainError(`${what}: result rank ${outDims.length} is over the limit of ${MAX_RANK}`, 'E_TOO_LARGE');
  checkCount(outDims, what, MAX_FOLD_ELEMENTS, 'folded constant');
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.values) {
      const j = raw < 0 ? raw + n : raw;
      if (j < 0 || j >= n) throw new TinytrainError(`${what}: index ${raw} out of range`, 'E_SHAPE');
      for (let k = 0; k < inner; k++) out.push(data.values[(o * n + j) * inner + k]);
    }
  }
  return makeConst(outDims, out, data.dataType);
}

/** Concat of constants along `axis`. */
export function constConcat(parts: ConstTensor[], axis: number, what: string): ConstTensor {
  if (parts.length === 0) throw new TinytrainError(`${what}: has no inputs`, 'E_ONNX_CORRUPT');
  const rank = parts[0].dims.length;
  const ax = normAxis(axis, rank, what);
  for (const p of parts) {
    if (p.dims.length !== rank || p.dims.some((v, i) => i !== ax && v !== parts[0].dims[i])) {
      throw new TinytrainError(`${what}: inputs ${fmtDims(p.dims)} and ${fmtDims(parts[0].dims)} cannot be concatenated on axis ${axis}`, 'E_SHAPE');
    }
  }
  const total = parts.reduce((s, p) => s + p.values.length, 0);
  if (total > MAX_FOLD_ELEMENTS) {
    throw new TinytrainError(`${what}: the result has ${fmtCount(total)} elements; the limit for a folded constant is ${fmtCount(MAX_FOLD_ELEMENTS)}`, 'E_TOO_LARGE');
  }
  const outer = numel(parts[0].dims.slice(0, ax));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.dims[ax] * numel(p.dims.slice(ax + 1));
      for (let k = 0; k < chunk; k++) out.push(p.values[o * chunk + k]);
    }
  }
  const dims = [...parts[0].dims];
  dims[ax] = parts.reduce((s, p) => s + p.dims[ax], 0);
  return makeConst(dims, out, parts[0].dataType);
}

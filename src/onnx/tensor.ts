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

/** protobufjs gives int64 fields as Long objects (or plain numbers when small). */
export function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
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

function readRaw(raw: Uint8Array, dataType: number, count: number, what: string): Float64Array {
  const size = RAW_SIZE[dataType];
  if (size === undefined) throw new TinytrainError(`${what}: unsupported tensor type ${dtypeName(dataType)}`, 'E_UNSUPPORTED_ATTR');
  if (raw.byteLength !== size * count) {
    throw new TinytrainError(`${what}: raw_data has ${raw.byteLength} bytes, expected ${size * count}`, 'E_ONNX_CORRUPT');
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
  const dims = (t.dims ?? []).map(toNum);
  const dataType = t.dataType ?? 0;
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TinytrainError(`${what}: invalid dims [${dims.join(',')}]`, 'E_ONNX_CORRUPT');
  }
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new TinytrainError(`${what}: external tensor data is not supported (save the model with the weights inside the .onnx file)`, 'E_UNSUPPORTED_ATTR');
  }
  const count = numel(dims);
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
      throw new TinytrainError(`${what}: has ${src.length} values, dims [${dims.join(',')}] need ${count}`, 'E_ONNX_CORRUPT');
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
  if (t.values.length !== 1) throw new TinytrainError(`${what} must be a scalar, got dims [${t.dims.join(',')}]`, 'E_UNSUPPORTED_ATTR');
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
  if (!dims) throw new TinytrainError(`${what}: cannot broadcast [${a.dims}] with [${b.dims}]`, 'E_SHAPE');
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
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.values) {
      const j = raw < 0 ? raw + n : raw;
      if (j < 0 || j >= n) throw new TinytrainError(`${what}: index ${raw} out of range`, 'E_SHAPE');
      for (let k = 0; k < inner; k++) out.push(data.values[(o * n + j) * inner + k]);
    }
  }
  return makeConst([...d.slice(0, ax), ...idx.dims, ...d.slice(ax + 1)], out, data.dataType);
}

/** Concat of constants along `axis`. */
export function constConcat(parts: ConstTensor[], axis: number, what: string): ConstTensor {
  const rank = parts[0].dims.length;
  const ax = normAxis(axis, rank, what);
  for (const p of parts) {
    if (p.dims.length !== rank || p.dims.some((v, i) => i !== ax && v !== parts[0].dims[i])) {
      throw new TinytrainError(`${what}: inputs [${p.dims}] and [${parts[0].dims}] cannot be concatenated on axis ${axis}`, 'E_SHAPE');
    }
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

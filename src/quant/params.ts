// Per-tensor and per-channel parameter choices shared by the op rules.
import { Activation } from '../ir/graph';
import { QTensor } from '../ir/qgraph';
import { roundHalfAway } from './fixedpoint';

export interface Range { min: number; max: number }

/** Narrow a calibrated range by the fused activation, then include 0 so zero is exact. */
export function activationRange(r: Range, act: Activation): Range {
  let { min, max } = r;
  if (act.kind === 'relu') { min = Math.max(min, 0); max = Math.max(max, 0); }
  if (act.kind === 'clip') { min = Math.min(Math.max(min, act.min), act.max); max = Math.max(Math.min(max, act.max), act.min); }
  return { min: Math.min(min, 0), max: Math.max(max, 0) };
}

/** Asymmetric int8 parameters covering [min, max] (zero exactly representable). */
export function tensorParams(name: string, shape: number[], r: Range): QTensor {
  const min = Math.min(r.min, 0);
  let max = Math.max(r.max, 0);
  if (max - min < 1e-8) max = min + 1e-8; // a constant-zero tensor still needs a valid scale
  const scale = Math.fround((max - min) / 255);
  const zeroPoint = Math.min(127, Math.max(-128, roundHalfAway(-128 - min / scale)));
  return { name, shape, scale, zeroPoint, min: r.min, max: r.max };
}

/** The int8 clamp a fused activation becomes on an output with parameters t. */
export function activationClamp(act: Activation, t: QTensor): [number, number] {
  const q = (v: number): number => Math.min(127, Math.max(-128, t.zeroPoint + roundHalfAway(v / t.scale)));
  if (act.kind === 'relu') return [q(0), 127];
  if (act.kind === 'clip') return [Number.isFinite(act.min) ? q(act.min) : -128, Number.isFinite(act.max) ? q(act.max) : 127];
  return [-128, 127];
}

/** Symmetric per-output-channel int8 weights; `rows` output channels of `perRow` values. */
export function quantizeWeights(w: Float32Array, rows: number, headroom = 1): { q: Int8Array; scale: Float32Array } {
  const perRow = w.length / rows;
  const q = new Int8Array(w.length);
  const scale = new Float32Array(rows);
  for (let o = 0; o < rows; o++) {
    let amax = 0;
    for (let i = 0; i < perRow; i++) amax = Math.max(amax, Math.abs(w[o * perRow + i]));
    // An all-zero channel keeps a small scale so later training can still move it.
    // headroom > 1 leaves int8 levels for a freshly initialized layer to grow into.
    const s = Math.fround(amax > 0 ? (headroom * amax) / 127 : 1e-6);
    scale[o] = s;
    for (let i = 0; i < perRow; i++) {
      q[o * perRow + i] = Math.min(127, Math.max(-127, roundHalfAway(w[o * perRow + i] / s)));
    }
  }
  return { q, scale };
}

/** int32 bias at scale s_x·s_w[o], zero point 0. */
export function quantizeBias(b: Float32Array, inputScale: number, wScale: Float32Array): Int32Array {
  const out = new Int32Array(b.length);
  for (let o = 0; o < b.length; o++) {
    const v = roundHalfAway(b[o] / (inputScale * wScale[o]));
    out[o] = Math.min(2147483647, Math.max(-2147483648, v));
  }
  return out;
}

// Helpers shared by the op rules: typed inputs, spatial attributes, activation algebra.
import { Activation, Shape } from '../../ir/graph';
import { attrInts, attrString } from '../attrs';
import { ConstTensor, LowerContext, nodeError, OnnxNode } from '../types';

export interface ActInput { name: string; shape: Shape; }

/** Input `i` as an activation (a tensor computed from the image), optionally of a given rank. */
export function actIn(n: OnnxNode, ctx: LowerContext, i: number, rank?: number): ActInput {
  const name = n.inputs[i];
  if (!name) throw nodeError(n, `input ${i} is missing`, 'E_ONNX_CORRUPT');
  const shape = ctx.shape(name);
  if (!shape) {
    if (ctx.constant(name)) throw nodeError(n, `input '${name}' is a constant; this op is supported only on activations`, 'E_UNSUPPORTED_PATTERN');
    throw nodeError(n, `input '${name}' has no known shape`, 'E_SHAPE');
  }
  if (rank !== undefined && shape.length !== rank) {
    throw nodeError(n, `input '${name}' has shape [${shape.join(',')}], expected a ${rank}-D tensor`, 'E_SHAPE');
  }
  return { name, shape };
}

/** Input `i` as a constant (initializer, Constant node, or folded). */
export function constIn(n: OnnxNode, ctx: LowerContext, i: number, role: string): ConstTensor {
  const name = n.inputs[i];
  if (!name) throw nodeError(n, `${role} (input ${i}) is missing`, 'E_ONNX_CORRUPT');
  const c = ctx.constant(name);
  if (!c) throw nodeError(n, `${role} '${name}' must be a constant (initializer or Constant node); computed ${role}s are not supported`, 'E_UNSUPPORTED_PATTERN');
  return c;
}

export function allConst(n: OnnxNode, ctx: LowerContext): boolean {
  return n.inputs.every((s) => !s || ctx.constant(s) !== undefined);
}

export function base(n: OnnxNode, inputs: string[]): { name: string; from: string[]; inputs: string[]; output: string } {
  return { name: n.name, from: [n.opType], inputs, output: n.outputs[0] };
}

export type Pads4 = [number, number, number, number];

/** strides / pads (top,left,bottom,right) of a 2-D conv or pool, auto_pad resolved. */
export function spatialAttrs(n: OnnxNode, hw: [number, number], kernel: [number, number]):
    { strides: [number, number]; pads: Pads4 } {
  const dil = attrInts(n, 'dilations') ?? [1, 1];
  if (dil.some((d) => d !== 1)) throw nodeError(n, `dilations [${dil.join(',')}] are not supported (only 1)`);
  const s = attrInts(n, 'strides') ?? [1, 1];
  if (s.length !== 2 || s.some((v) => !(v >= 1))) throw nodeError(n, `strides [${s.join(',')}] are not supported (need two positive values)`);
  const strides: [number, number] = [s[0], s[1]];
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  let pads: Pads4;
  if (autoPad === 'NOTSET') {
    const p = attrInts(n, 'pads') ?? [0, 0, 0, 0];
    if (p.length !== 4 || p.some((v) => v < 0)) throw nodeError(n, `pads [${p.join(',')}] are not supported (need 4 non-negative values)`);
    // ONNX order is [x1_begin, x2_begin, x1_end, x2_end] = top, left, bottom, right.
    pads = [p[0], p[1], p[2], p[3]];
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [], end: number[] = [];
    for (let d = 0; d < 2; d++) {
      const out = Math.ceil(hw[d] / strides[d]);
      const total = Math.max(0, (out - 1) * strides[d] + kernel[d] - hw[d]);
      const b = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      begin.push(b); end.push(total - b);
    }
    pads = [begin[0], begin[1], end[0], end[1]];
  } else {
    throw nodeError(n, `auto_pad '${autoPad}' is not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER)`);
  }
  return { strides, pads };
}

/** ONNX conv/pool output size: floor((H + pt + pb − k) / s) + 1 per spatial axis. */
export function windowOut(h: number, w: number, kernel: [number, number], strides: [number, number],
                          pads: Pads4): [number, number] {
  return [Math.floor((h + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1,
          Math.floor((w + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1];
}

/** Normalize a clamp range into the IR's Activation. */
export function clampAct(lo: number, hi: number): Activation {
  if (lo === -Infinity && hi === Infinity) return { kind: 'none' };
  if (lo === 0 && hi === Infinity) return { kind: 'relu' };
  return { kind: 'clip', min: lo, max: hi };
}

export function actRange(a: Activation): [number, number] {
  switch (a.kind) {
    case 'none': return [-Infinity, Infinity];
    case 'relu': return [0, Infinity];
    case 'clip': return [a.min, a.max];
  }
}

/** outer(inner(x)): a clamp of a clamp is the clamp [outer(lo), outer(hi)]. */
export function composeAct(inner: Activation, outer: Activation): Activation {
  const [lo1, hi1] = actRange(inner);
  const [lo2, hi2] = actRange(outer);
  const c = (v: number): number => Math.min(Math.max(v, lo2), hi2);
  return clampAct(c(lo1), c(hi1));
}

export function fmtShape(s: readonly number[]): string { return `[${s.join(',')}]`; }

// Flatten, Reshape, Squeeze, Unsqueeze. On constants they fold; on activations they become
// the IR's 'reshape' (a free alias in CHW layout) when the result is [1,K] (or [1,K,1,1]).
import { ReshapeNode, Shape } from '../../ir/graph';
import { TinytrainError } from '../../errors';
import { attrInt, attrInts, optInput } from '../attrs';
import { intList, MAX_RANK, numel } from '../tensor';
import { Lowering, LowerContext, nodeError, OnnxNode, OpRule } from '../types';
import { base, constIn, fmtShape } from './common';

/** Shape of input 0, whether it is a constant or an activation. */
function inputDims(n: OnnxNode, ctx: LowerContext): number[] {
  const c = ctx.constant(n.inputs[0]);
  if (c) return c.dims;
  const s = ctx.shape(n.inputs[0]);
  if (!s) throw nodeError(n, `input '${n.inputs[0]}' has no known shape`, 'E_SHAPE');
  return s;
}

/** Emit the folded constant or the reshape node for target dims `dims`. */
function finish(n: OnnxNode, ctx: LowerContext, dims: number[]): Lowering {
  if (dims.length > MAX_RANK) throw nodeError(n, `the result has rank ${dims.length}, over the limit of ${MAX_RANK}`, 'E_TOO_LARGE');
  const c = ctx.constant(n.inputs[0]);
  if (c) return { kind: 'const', values: [{ dims, values: c.values, dataType: c.dataType }] };
  const inShape = ctx.shape(n.inputs[0]) as Shape;
  const same = dims.length === inShape.length && dims.every((d, i) => d === inShape[i]);
  const flat = dims.length === 2 && dims[0] === 1;
  const flat4 = dims.length === 4 && dims[0] === 1 && dims[2] === 1 && dims[3] === 1;
  if (!same && !flat && !flat4) {
    throw nodeError(n, `reshaping ${fmtShape(inShape)} to ${fmtShape(dims)} is not supported (only to 2-D [1,K])`);
  }
  const node: ReshapeNode = { op: 'reshape', ...base(n, [n.inputs[0]]) };
  return { kind: 'node', node, shape: dims };
}

export const flattenRule: OpRule = {
  lower(n, ctx) {
    const d = inputDims(n, ctx);
    let axis = attrInt(n, 'axis', 1);
    if (axis < 0) axis += d.length;
    if (axis < 0 || axis > d.length) throw nodeError(n, `axis ${attrInt(n, 'axis', 1)} out of range for ${fmtShape(d)}`, 'E_SHAPE');
    return finish(n, ctx, [numel(d.slice(0, axis)), numel(d.slice(axis))]);
  },
};

export const reshapeRule: OpRule = {
  lower(n, ctx) {
    const d = inputDims(n, ctx);
    const spec = intList(constIn(n, ctx, 1, 'shape'));
    const allowZero = attrInt(n, 'allowzero', 0) === 1;
    const dims = spec.map((v, i) => (v === 0 && !allowZero ? d[i] : v));
    if (dims.some((v) => v === undefined || v < -1) || dims.filter((v) => v === -1).length > 1) {
      throw nodeError(n, `invalid shape ${fmtShape(spec)} for input ${fmtShape(d)}`, 'E_SHAPE');
    }
    const known = numel(dims.filter((v) => v !== -1));
    const total = numel(d);
    const inf = dims.indexOf(-1);
    if (inf >= 0) {
      if (known === 0 || total % known !== 0) throw nodeError(n, `cannot reshape ${fmtShape(d)} to ${fmtShape(spec)}`, 'E_SHAPE');
      dims[inf] = total / known;
    }
    if (numel(dims) !== total) throw nodeError(n, `cannot reshape ${fmtShape(d)} (${total} values) to ${fmtShape(dims)}`, 'E_SHAPE');
    return finish(n, ctx, dims);
  },
};

/** axes from the attribute (opset < 13) or the optional second input (opset >= 13). */
function axesOf(n: OnnxNode, ctx: LowerContext): number[] | undefined {
  if (optInput(n, 1)) return intList(constIn(n, ctx, 1, 'axes'));
  return attrInts(n, 'axes');
}

export const squeezeRule: OpRule = {
  lower(n, ctx) {
    const d = inputDims(n, ctx);
    const raw = axesOf(n, ctx);
    const axes = raw ? raw.map((a) => (a < 0 ? a + d.length : a)) : d.flatMap((v, i) => (v === 1 ? [i] : []));
    for (const a of axes) {
      if (d[a] !== 1) throw nodeError(n, `cannot squeeze axis ${a} of ${fmtShape(d)}`, 'E_SHAPE');
    }
    return finish(n, ctx, d.filter((_, i) => !axes.includes(i)));
  },
};

export const unsqueezeRule: OpRule = {
  lower(n, ctx) {
    const d = inputDims(n, ctx);
    const raw = axesOf(n, ctx);
    if (!raw) throw nodeError(n, 'axes are missing', 'E_ONNX_CORRUPT');
    const r = d.length + raw.length;
    if (r > MAX_RANK) throw nodeError(n, `the result has rank ${r}, over the limit of ${MAX_RANK}`, 'E_TOO_LARGE');
    const axes = raw.map((a) => (a < 0 ? a + r : a));
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < r; i++) out.push(axes.includes(i) ? 1 : d[j++]);
    if (j !== d.length) throw nodeError(n, `invalid axes ${fmtShape(raw)} for ${fmtShape(d)}`, 'E_SHAPE');
    return finish(n, ctx, out);
  },
};

/** A reshape keeps the element count; the target comes from the recorded shape. */
export function reshapeShape(node: ReshapeNode, x: Shape, declared?: Shape): Shape {
  const target = declared ?? x;
  if (numel(target) !== numel(x)) {
    throw new TinytrainError(`node '${node.name}' (reshape): ${fmtShape(x)} and ${fmtShape(target)} differ in size`, 'E_SHAPE');
  }
  return [...target];
}

// Constant, Identity, Dropout, and the shape-subgraph ops PyTorch emits for
// x.view(x.size(0), -1) and friends (Shape, Gather, Concat, Cast, Slice): folded to
// constants here so the Reshape they feed sees a constant target shape.
import { attrInt, attrInts, attrTensor, optInput } from '../attrs';
import { constConcat, constGather, DT, intList, isIntType, makeConst, normAxis } from '../tensor';
import { IdentityWork, LowerContext, nodeError, OnnxNode, OpRule } from '../types';
import { actIn, allConst, base, constIn, fmtShape } from './common';

function onlyConst(n: OnnxNode, ctx: LowerContext): void {
  if (!allConst(n, ctx)) {
    throw nodeError(n, `${n.opType} is supported only in constant shape computations (its inputs here are computed from the image)`, 'E_UNSUPPORTED_PATTERN');
  }
}

export const constantRule: OpRule = {
  lower(n) {
    const t = attrTensor(n, 'value');
    if (t) return { kind: 'const', values: [t] };
    const a = n.attrs.get('value_float') ?? n.attrs.get('value_floats') ?? n.attrs.get('value_int') ?? n.attrs.get('value_ints');
    if (a?.kind === 'float') return { kind: 'const', values: [makeConst([], [a.v], DT.FLOAT)] };
    if (a?.kind === 'floats') return { kind: 'const', values: [makeConst([a.v.length], a.v, DT.FLOAT)] };
    if (a?.kind === 'int') return { kind: 'const', values: [makeConst([], [a.v], DT.INT64)] };
    if (a?.kind === 'ints') return { kind: 'const', values: [makeConst([a.v.length], a.v, DT.INT64)] };
    throw nodeError(n, `only tensor/float/int values are supported (has: ${[...n.attrs.keys()].join(', ') || 'none'})`);
  },
};

/** Identity and Dropout (inference): the output is the input. */
export const identityRule: OpRule = {
  lower(n, ctx) {
    const c = ctx.constant(n.inputs[0]);
    if (c) return { kind: 'const', values: [c] };
    if (n.opType === 'Dropout') {
      // Opset 12+: training_mode input; a constant false (or absent) is inference.
      const tm = optInput(n, 2) ? constIn(n, ctx, 2, 'training_mode') : undefined;
      if (tm && tm.values[0] !== 0) throw nodeError(n, 'training_mode=true is not supported (export in eval mode)');
    }
    const x = actIn(n, ctx, 0);
    const node: IdentityWork = { op: 'identity', ...base(n, [x.name]) };
    return { kind: 'node', node };
  },
};

export const shapeRule: OpRule = {
  lower(n, ctx) {
    const d = ctx.constant(n.inputs[0])?.dims ?? ctx.shape(n.inputs[0]);
    if (!d) throw nodeError(n, `input '${n.inputs[0]}' has no known shape`, 'E_SHAPE');
    // Opset 15 start/end slice the shape vector.
    const r = d.length;
    const clampIdx = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const s = clampIdx(attrInt(n, 'start', 0)), e = clampIdx(attrInt(n, 'end', r));
    const dims = d.slice(s, Math.max(s, e));
    return { kind: 'const', values: [makeConst([dims.length], dims, DT.INT64)] };
  },
};

export const gatherRule: OpRule = {
  lower(n, ctx) {
    onlyConst(n, ctx);
    const what = `node '${n.name}' (Gather)`;
    return { kind: 'const', values: [constGather(constIn(n, ctx, 0, 'data'), constIn(n, ctx, 1, 'indices'), attrInt(n, 'axis', 0), what)] };
  },
};

export const concatRule: OpRule = {
  lower(n, ctx) {
    onlyConst(n, ctx);
    const parts = n.inputs.map((_, i) => constIn(n, ctx, i, 'input'));
    return { kind: 'const', values: [constConcat(parts, attrInt(n, 'axis', 0), `node '${n.name}' (Concat)`)] };
  },
};

export const castRule: OpRule = {
  lower(n, ctx) {
    onlyConst(n, ctx);
    const x = constIn(n, ctx, 0, 'input');
    const to = attrInt(n, 'to', DT.FLOAT);
    const conv = (v: number): number =>
      to === DT.BOOL ? (v !== 0 ? 1 : 0) : isIntType(to) ? Math.trunc(v) : to === DT.FLOAT ? Math.fround(v) : v;
    return { kind: 'const', values: [makeConst(x.dims, Array.from(x.values, conv), to)] };
  },
};

/** Slice of a 1-D constant (shape vectors); starts/ends/axes/steps as inputs (opset 10+) or attributes. */
export const sliceRule: OpRule = {
  lower(n, ctx) {
    onlyConst(n, ctx);
    const x = constIn(n, ctx, 0, 'data');
    if (x.dims.length !== 1) throw nodeError(n, `only 1-D constant slices are supported, got ${fmtShape(x.dims)}`, 'E_UNSUPPORTED_PATTERN');
    const get = (i: number, key: string): number[] | undefined =>
      ctx.opset >= 10 ? (optInput(n, i) ? intList(constIn(n, ctx, i, key)) : undefined) : attrInts(n, key);
    const starts = get(1, 'starts'), ends = get(2, 'ends');
    if (!starts || !ends) throw nodeError(n, 'starts/ends are missing', 'E_ONNX_CORRUPT');
    const axes = get(3, 'axes') ?? [0];
    const steps = get(4, 'steps') ?? [1];
    if (axes.length !== 1 || normAxis(axes[0], 1, `node '${n.name}'`) !== 0) throw nodeError(n, 'invalid axes', 'E_SHAPE');
    const len = x.dims[0], step = steps[0];
    if (step === 0) throw nodeError(n, 'step 0', 'E_SHAPE');
    const norm = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
    const out: number[] = [];
    if (step > 0) {
      for (let i = norm(starts[0], 0, len); i < norm(ends[0], 0, len); i += step) out.push(x.values[i]);
    } else {
      for (let i = norm(starts[0], -1, len - 1); i > norm(ends[0], -1, len - 1); i += step) out.push(x.values[i]);
    }
    return { kind: 'const', values: [makeConst([out.length], out, x.dataType)] };
  },
};

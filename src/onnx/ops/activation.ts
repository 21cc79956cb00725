// Relu and Clip (ReLU6 and any clamp). Lowered to 'act' nodes; the fusion pass folds them
// into the producing conv/gemm/add when that producer has no other consumer.
import { ActNode } from '../../ir/graph';
import { attrFloat, optInput } from '../attrs';
import { scalarOf } from '../tensor';
import { IdentityWork, nodeError, OpRule } from '../types';
import { actIn, base, clampAct, constIn } from './common';

export const reluRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0);
    const node: ActNode = { op: 'act', ...base(n, [x.name]), act: { kind: 'relu' } };
    return { kind: 'node', node };
  },
};

/** float32 lowest/max: what Clip-6 defaults to and exporters write for "no bound". */
const FLT_MAX = 3.4028234663852886e38;

function bound(v: number, sign: 1 | -1): number {
  return Math.abs(v) >= FLT_MAX * 0.999999 && Math.sign(v) === sign ? sign * Infinity : v;
}

export const clipRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0);
    let lo: number, hi: number;
    if (ctx.opset < 11) {
      lo = attrFloat(n, 'min', -FLT_MAX);
      hi = attrFloat(n, 'max', FLT_MAX);
    } else {
      // Opset 11+: min/max are optional inputs ('' = omitted = unbounded).
      lo = optInput(n, 1) ? scalarOf(constIn(n, ctx, 1, 'min'), `node '${n.name}' min`) : -Infinity;
      hi = optInput(n, 2) ? scalarOf(constIn(n, ctx, 2, 'max'), `node '${n.name}' max`) : Infinity;
    }
    lo = bound(lo, -1);
    hi = bound(hi, 1);
    if (!(lo <= hi)) throw nodeError(n, `min ${lo} is greater than max ${hi}`);
    const act = clampAct(lo, hi);
    if (act.kind === 'none') {
      const node: IdentityWork = { op: 'identity', ...base(n, [x.name]) };
      return { kind: 'node', node };
    }
    const node: ActNode = { op: 'act', ...base(n, [x.name]), act };
    return { kind: 'node', node };
  },
};

// Pad with constant zeros over H/W. PyTorch writes it before AveragePool (count_include_pad
// default); other tools before Conv/MaxPool. The fold pass merges it into that consumer.
import { Shape } from '../../ir/graph';
import { attrFloat, attrInts, attrString, optInput } from '../attrs';
import { intList, normAxis, scalarOf } from '../tensor';
import { IdentityWork, nodeError, OpRule, PadWork } from '../types';
import { actIn, base, constIn, fmtShape } from './common';

export const padRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0, 4);
    const r = x.shape.length;
    let pads: number[];
    let value = 0;
    if (ctx.opset < 11) {
      pads = attrInts(n, 'pads') ?? [];
      value = attrFloat(n, 'value', 0);
    } else {
      pads = intList(constIn(n, ctx, 1, 'pads'));
      if (optInput(n, 2)) value = scalarOf(constIn(n, ctx, 2, 'constant_value'), `node '${n.name}' constant_value`);
      if (optInput(n, 3)) {
        // Opset 18 axes: pads only for the listed axes; expand to all axes. The axes are
        // range-checked first: an index like 2^31 would silently grow the array.
        const axes = intList(constIn(n, ctx, 3, 'axes')).map((a) => normAxis(a, r, `node '${n.name}' (Pad) axes`));
        if (pads.length !== 2 * axes.length) throw nodeError(n, `pads ${fmtShape(pads)} do not match axes ${fmtShape(axes)}`, 'E_SHAPE');
        const full = new Array<number>(2 * r).fill(0);
        axes.forEach((a, i) => { full[a] = pads[i]; full[a + r] = pads[i + axes.length]; });
        pads = full;
      }
    }
    if (pads.length !== 2 * r) throw nodeError(n, `pads ${fmtShape(pads)} do not match a ${r}-D input`, 'E_SHAPE');
    const zero = pads.every((p) => p === 0);
    if (zero) {
      const node: IdentityWork = { op: 'identity', ...base(n, [x.name]) };
      return { kind: 'node', node };
    }
    const mode = attrString(n, 'mode', 'constant');
    if (mode !== 'constant') throw nodeError(n, `mode '${mode}' is not supported (only constant zero padding)`);
    if (value !== 0) throw nodeError(n, `constant value ${value} is not supported (only zero padding)`);
    if (pads.some((p) => p < 0)) throw nodeError(n, `negative pads ${fmtShape(pads)} (cropping) are not supported`);
    if (pads[0] || pads[1] || pads[4] || pads[5]) throw nodeError(n, `padding the batch or channel axis ${fmtShape(pads)} is not supported`);
    // ONNX order: [n_b, c_b, h_b, w_b, n_e, c_e, h_e, w_e] -> top, left, bottom, right.
    const node: PadWork = { op: 'pad', ...base(n, [x.name]), pads: [pads[2], pads[3], pads[6], pads[7]] };
    return { kind: 'node', node };
  },
};

export function padShape(node: PadWork, x: Shape): Shape {
  const [t, l, b, rr] = node.pads;
  return [x[0], x[1], x[2] + t + b, x[3] + l + rr];
}

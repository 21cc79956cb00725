// The channel-streamed backward of a depthwise conv (or a global average pool) and the conv before it
// (train/stream.ts): one tt_stream_params_t that points at the parameter structs the
// unstreamed steps would use, and one call. With a second level (next), the conv before
// the producer gets its clamp and update structs too.
import { TrainStep } from '../../ir/train';
import { convKernels } from '../ops/conv';
import { convGradParams } from './backward';
import { TrainEmitContext } from './types';
import { biasUpdateParams, weightUpdateParams } from './update';

export function emitStreamBackward(s: Extract<TrainStep, { kind: 'stream_backward' }>, ctx: TrainEmitContext): string {
  const p = s.producer;
  const kernels = convKernels(p, ctx.tensor(p.inputs[0]).shape[1]);
  const src = s.source;
  const dw = src.op === 'conv' ? convGradParams(src, ctx) : null;
  const [, srcC, srcH, srcW] = ctx.tensor(src.inputs[0]).shape;
  const grad = s.gradIn || s.next ? convGradParams(p, ctx) : null;
  const w = s.weight ? weightUpdateParams(p, s.weight.layer, ctx) : null;
  const b = s.bias ? biasUpdateParams(p, ctx) : null;
  const c = s.clamp;
  const q = s.next;
  const qw = q?.weight ? weightUpdateParams(q.node, q.weight.layer, ctx) : null;
  const qb = q?.bias ? biasUpdateParams(q.node, ctx) : null;
  const qc = q?.clamp;
  const sp = ctx.params({
    name: `${ctx.base(src)}_sp`, ctype: 'tt_stream_params_t',
    fields: [
      ['dw', dw ? `&${dw}` : 'NULL'],
      ...(dw ? [] : [['gap_c', srcC], ['gap_hw', srcH * srcW]] as [string, number][]),
      ['mask', c && c.sourceKind === 'mask' ? `(const uint8_t *)${ctx.ptr(c.source)}` : 'NULL'],
      ['y', c && c.sourceKind === 'int8' ? ctx.ptr(c.source) : 'NULL'],
      ['lo', c ? c.lo : 0], ['hi', c ? c.hi : 0],
      ['p_grad', grad ? `&${grad}` : 'NULL'],
      ['p_grad_pointwise', kernels.backward === 'tt_pointwise_backward_input_f32' ? 1 : 0],
      ['p_grad_accumulate', s.gradIn?.accumulate ? 1 : 0],
      ['p_w', w ? `&${w.params}` : 'NULL'],
      ['p_w_pointwise', w && w.kernel === 'tt_pointwise_update_s8' ? 1 : 0],
      ['p_saved', s.weight && !q?.recompute ? ctx.ptr(s.weight.saved) : 'NULL'],
      ['p_b', b ? `&${b}` : 'NULL'],
      ...(q ? [
        ['q_plane', ctx.fptr(q.plane)],
        ['q_mask', qc && qc.sourceKind === 'mask' && !q.recompute ? `(const uint8_t *)${ctx.ptr(qc.source)}` : 'NULL'],
        ['q_y', qc && qc.sourceKind === 'int8' && !q.recompute ? ctx.ptr(qc.source) : 'NULL'],
        ['q_lo', qc ? qc.lo : 0], ['q_hi', qc ? qc.hi : 0],
        ['q_w', qw ? `&${qw.params}` : 'NULL'],
        ['q_w_pointwise', qw && qw.kernel === 'tt_pointwise_update_s8' ? 1 : 0],
        ['q_saved', q.weight ? ctx.ptr(q.weight.saved) : 'NULL'],
        ['q_b', qb ? `&${qb}` : 'NULL'],
        ...(q.recompute ? [
          ['q_fwd', `&${ctx.forwardParams(q.node)}`],
          ['q_x', ctx.ptr(q.node.inputs[0])],
          ['x_plane', ctx.ptr(q.recompute.plane)],
          ['q_clamp', qc ? 1 : 0],
        ] : []),
      ] as [string, string | number][] : []),
    ],
  });
  const dx = s.gradIn ? ctx.fptr(s.gradIn.buffer) : 'NULL';
  return `tt_stream_backward_f32(&${sp}, ${ctx.fptr(s.gradOut)}, ${dx}, ${ctx.fptr(s.plane)}, lr, &tt_rng);`;
}

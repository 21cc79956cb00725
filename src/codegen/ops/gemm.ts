// Gemm -> tt_fully_connected_s8.
import { QGemm } from '../../ir/qgraph';
import { OpEmitter } from './types';

export const emitGemm: OpEmitter<QGemm> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = ctx.tensor(n.output);
  const [N, K] = n.weightShape;
  const w = ctx.ident('w');
  const b = ctx.ident('b');
  const m = ctx.ident('mult');
  const s = ctx.ident('shift');
  const p = ctx.ident('p');
  return {
    kernel: 'tt_fully_connected_s8',
    macs: N * K,
    arrays: [
      { name: w, ctype: 'int8_t', role: 'weight', values: n.weight, comment: `weight [${N},${K}]` },
      { name: b, ctype: 'int32_t', role: 'bias', values: n.bias, comment: `bias [${N}] at s_x*s_w` },
      { name: m, ctype: 'int32_t', values: n.multiplier, comment: 'requant multiplier per output' },
      { name: s, ctype: 'int32_t', values: n.shift, comment: 'requant shift per output' },
    ],
    params: [{
      name: p, ctype: 'tt_fc_params_t', fields: [
        ['in_features', K], ['out_features', N], ['in_zp', x.zeroPoint], ['out_zp', y.zeroPoint],
        ['act_min', n.actMin], ['act_max', n.actMax], ['weight', w], ['bias', b], ['multiplier', m], ['shift', s],
      ],
    }],
    call: `tt_fully_connected_s8(&${p}, ${ctx.ptr(n.inputs[0])}, ${ctx.ptr(n.output)});`,
  };
};

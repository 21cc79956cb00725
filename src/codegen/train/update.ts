// Fused gradient + QAS update calls for weights and biases.
import { QConv, QGemm } from '../../ir/qgraph';
import { LayerUpdate } from '../../ir/scheme';
import { masterEntries } from '../../memory';
import { cFloat } from '../cformat';
import { convKernels } from '../ops/conv';
import { convGeometry, weightScaleArray } from './backward';
import { TrainEmitContext } from './types';

function selArray(n: QConv | QGemm, u: LayerUpdate, ctx: TrainEmitContext): string {
  return ctx.array({ name: `${ctx.base(n)}_sel`, ctype: 'uint16_t', values: u.channels, comment: `updated input channels (${u.channels.length}, ratio ${u.weightRatio})` });
}

export function emitWeightUpdate(n: QConv | QGemm, u: LayerUpdate, ctx: TrainEmitContext, saved: string, gy: string): string {
  const x = ctx.tensor(n.inputs[0]);
  const split = ctx.split(n);
  const w = split ? split.train : ctx.paramArray(n, 'weight');
  const master = ctx.roundingConst === 'TT_ROUND_MASTER' ? ctx.master(`${ctx.base(n)}_wmaster`, w, masterEntries(n, u.channels.length, 'master', x.shape[1])) : 'NULL';
  const common: [string, string | number][] = [
    ['weight', w], ['w_scale', weightScaleArray(n, ctx)], ['x_scale', cFloat(x.scale)], ['x_zp', x.zeroPoint],
    ['n_sel', u.channels.length], ['sel', selArray(n, u, ctx)], ['master', master], ['rounding', ctx.roundingConst],
    ['weight_is_slice', split ? 1 : 0],
  ];
  if (n.op === 'gemm') {
    const p = ctx.params({ name: `${ctx.base(n)}_up`, ctype: 'tt_fc_update_params_t', fields: [['in_features', n.weightShape[1]], ['out_features', n.weightShape[0]], ...common] });
    return `tt_fc_update_s8(&${p}, ${ctx.ptr(saved)}, ${ctx.fptr(gy)}, lr, &tt_rng);`;
  }
  const p = ctx.params({ name: `${ctx.base(n)}_up`, ctype: 'tt_conv_update_params_t', fields: [...convGeometry(n, ctx), ...common] });
  const kernel = convKernels(n, x.shape[1]).update;
  return `${kernel}(&${p}, ${ctx.ptr(saved)}, ${ctx.fptr(gy)}, lr, &tt_rng);`;
}

export function emitBiasUpdate(n: QConv | QGemm, ctx: TrainEmitContext, gy: string): string {
  const x = ctx.tensor(n.inputs[0]);
  const y = ctx.tensor(n.output);
  const b = ctx.paramArray(n, 'bias');
  const outC = n.weightShape[0];
  const plane = y.shape.length === 4 ? y.shape[2] * y.shape[3] : 1;
  const master = ctx.roundingConst === 'TT_ROUND_MASTER' ? ctx.master(`${ctx.base(n)}_bmaster`, b, outC) : 'NULL';
  const p = ctx.params({
    name: `${ctx.base(n)}_bp`, ctype: 'tt_bias_update_params_t',
    fields: [['out_c', outC], ['plane', plane], ['bias', b], ['w_scale', weightScaleArray(n, ctx)], ['x_scale', cFloat(x.scale)], ['master', master], ['rounding', ctx.roundingConst]],
  });
  return `tt_bias_update_s32(&${p}, ${ctx.fptr(gy)}, lr, &tt_rng);`;
}

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

/** The update's parameter struct and kernel (tt_fc_update_s8 or a conv update kernel). */
export function weightUpdateParams(n: QConv | QGemm, u: LayerUpdate, ctx: TrainEmitContext): { params: string; kernel: string } {
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
    return { params: p, kernel: 'tt_fc_update_s8' };
  }
  const p = ctx.params({ name: `${ctx.base(n)}_up`, ctype: 'tt_conv_update_params_t', fields: [...convGeometry(n, ctx), ...common] });
  return { params: p, kernel: convKernels(n, x.shape[1]).update };
}

export function emitWeightUpdate(n: QConv | QGemm, u: LayerUpdate, ctx: TrainEmitContext, saved: string, gy: string): string {
  const { params, kernel } = weightUpdateParams(n, u, ctx);
  return `${kernel}(&${params}, ${ctx.ptr(saved)}, ${ctx.fptr(gy)}, lr, &tt_rng);`;
}

export function biasUpdateParams(n: QConv | QGemm, ctx: TrainEmitContext): string {
  const x = ctx.tensor(n.inputs[0]);
  const y = ctx.tensor(n.output);
  const b = ctx.paramArray(n, 'bias');
  const outC = n.weightShape[0];
  const plane = y.shape.length === 4 ? y.shape[2] * y.shape[3] : 1;
  const master = ctx.roundingConst === 'TT_ROUND_MASTER' ? ctx.master(`${ctx.base(n)}_bmaster`, b, outC) : 'NULL';
  return ctx.params({
    name: `${ctx.base(n)}_bp`, ctype: 'tt_bias_update_params_t',
    fields: [['out_c', outC], ['plane', plane], ['bias', b], ['w_scale', weightScaleArray(n, ctx)], ['x_scale', cFloat(x.scale)], ['master', master], ['rounding', ctx.roundingConst]],
  });
}

export function emitBiasUpdate(n: QConv | QGemm, ctx: TrainEmitContext, gy: string): string {
  return `tt_bias_update_s32(&${biasUpdateParams(n, ctx)}, ${ctx.fptr(gy)}, lr, &tt_rng);`;
}

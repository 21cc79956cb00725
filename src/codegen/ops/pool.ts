// Pools -> tt_avgpool_s8 / tt_global_avgpool_s8 / tt_maxpool_s8.
import { QAvgPool, QMaxPool } from '../../ir/qgraph';
import { EmitContext, Emitted, OpEmitter } from './types';

function poolParams(n: QAvgPool | QMaxPool, ctx: EmitContext, p: string, mult: number, shift: number, cip: boolean) {
  const x = ctx.tensor(n.inputs[0]);
  const y = ctx.tensor(n.output);
  const [, c, inH, inW] = x.shape;
  const outH = y.shape.length === 4 ? y.shape[2] : 1;
  const outW = y.shape.length === 4 ? y.shape[3] : 1;
  return {
    name: p, ctype: 'tt_pool_params_t', fields: [
      ['c', c], ['in_h', inH], ['in_w', inW], ['out_h', outH], ['out_w', outW],
      ['kh', n.kernel[0]], ['kw', n.kernel[1]], ['stride_h', n.strides[0]], ['stride_w', n.strides[1]],
      ['pad_t', n.pads[0]], ['pad_l', n.pads[1]], ['count_include_pad', cip ? 1 : 0],
      ['in_zp', x.zeroPoint], ['out_zp', y.zeroPoint], ['multiplier', mult], ['shift', shift],
      ['act_min', -128], ['act_max', 127],
    ] as [string, number][],
  };
}

export const emitAvgPool: OpEmitter<QAvgPool> = (n, ctx): Emitted => {
  const p = ctx.ident('p');
  const kernel = n.op === 'gap' ? 'tt_global_avgpool_s8' : 'tt_avgpool_s8';
  return {
    kernel,
    macs: 0,
    arrays: [],
    params: [poolParams(n, ctx, p, n.multiplier, n.shift, n.countIncludePad)],
    call: `${kernel}(&${p}, ${ctx.ptr(n.inputs[0])}, ${ctx.ptr(n.output)});`,
  };
};

export const emitMaxPool: OpEmitter<QMaxPool> = (n, ctx) => {
  const p = ctx.ident('p');
  return {
    kernel: 'tt_maxpool_s8',
    macs: 0,
    arrays: [],
    params: [poolParams(n, ctx, p, 0, 0, false)],
    call: `tt_maxpool_s8(&${p}, ${ctx.ptr(n.inputs[0])}, ${ctx.ptr(n.output)});`,
  };
};

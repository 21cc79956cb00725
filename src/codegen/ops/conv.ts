// Conv -> tt_conv_s8 / tt_depthwise_conv_s8 / tt_pointwise_conv_s8, picked by shape.
import { convKind, QConv } from '../../ir/qgraph';
import { OpEmitter } from './types';

/** The forward kernel, and its input-gradient and update counterparts (tt_train.h). */
export function convKernels(n: QConv, inC: number): { forward: string; backward: string; update: string } {
  const f = convKernel(n, inC);
  const family = f === 'tt_depthwise_conv_s8' ? 'tt_depthwise' : f === 'tt_pointwise_conv_s8' ? 'tt_pointwise' : 'tt_conv';
  return { forward: f, backward: `${family}_backward_input_f32`, update: `${family}_update_s8` };
}

export function convKernel(n: QConv, inC: number): string {
  return { depthwise: 'tt_depthwise_conv_s8', pointwise: 'tt_pointwise_conv_s8', regular: 'tt_conv_s8' }[convKind(n, inC)];
}

export const emitConv: OpEmitter<QConv> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = ctx.tensor(n.output);
  const [, inC, inH, inW] = x.shape;
  const [, outC, outH, outW] = y.shape;
  const [o, ipg, kh, kw] = n.weightShape;
  const w = ctx.ident('w');
  const b = ctx.ident('b');
  const m = ctx.ident('mult');
  const s = ctx.ident('shift');
  const p = ctx.ident('p');
  const kernel = convKernel(n, inC);
  return {
    kernel,
    macs: outC * outH * outW * ipg * kh * kw,
    arrays: [
      { name: w, ctype: 'int8_t', role: 'weight', values: n.weight, comment: `weight [${o},${ipg},${kh},${kw}] OIHW` },
      { name: b, ctype: 'int32_t', role: 'bias', values: n.bias, comment: `bias [${o}] at s_x*s_w` },
      { name: m, ctype: 'int32_t', values: n.multiplier, comment: 'requant multiplier per output channel' },
      { name: s, ctype: 'int32_t', values: n.shift, comment: 'requant shift per output channel' },
    ],
    params: [{
      name: p, ctype: 'tt_conv_params_t', fields: [
        ['in_c', inC], ['in_h', inH], ['in_w', inW], ['out_c', outC], ['out_h', outH], ['out_w', outW],
        ['kh', kh], ['kw', kw], ['stride_h', n.strides[0]], ['stride_w', n.strides[1]], ['pad_t', n.pads[0]], ['pad_l', n.pads[1]],
        ['groups', n.group], ['in_zp', x.zeroPoint], ['out_zp', y.zeroPoint], ['act_min', n.actMin], ['act_max', n.actMax],
        ['weight', w], ['bias', b], ['multiplier', m], ['shift', s],
        ...(ctx.scratch ? [['im2col', `(int16_t *)${ctx.scratch}`] as [string, string]] : []),
      ],
    }],
    call: `${kernel}(&${p}, ${ctx.ptr(n.inputs[0])}, ${ctx.ptr(n.output)});`,
  };
};

// Input-gradient kernels, one per forward op, found by the op's name.
import { QAvgPool, QConv, QGemm, QMaxPool, QNode } from '../../ir/qgraph';
import { convKernels } from '../ops/conv';
import { TrainEmitContext } from './types';

export function weightScaleArray(n: QConv | QGemm, ctx: TrainEmitContext): string {
  return ctx.array({ name: `${ctx.base(n)}_wscale`, ctype: 'float', values: n.weightScale, comment: `weight scale per output channel [${n.weightScale.length}]` });
}

export function convGeometry(n: QConv, ctx: TrainEmitContext): [string, number][] {
  const [, inC, inH, inW] = ctx.tensor(n.inputs[0]).shape;
  const [, outC, outH, outW] = ctx.tensor(n.output).shape;
  const [, , kh, kw] = n.weightShape;
  return [['in_c', inC], ['in_h', inH], ['in_w', inW], ['out_c', outC], ['out_h', outH], ['out_w', outW],
    ['kh', kh], ['kw', kw], ['stride_h', n.strides[0]], ['stride_w', n.strides[1]], ['pad_t', n.pads[0]], ['pad_l', n.pads[1]], ['groups', n.group]];
}

function splitFields(n: QNode, ctx: TrainEmitContext): [string, string | number][] {
  const s = ctx.split(n);
  return s ? [['weight_train', s.train], ['in_slot', s.slot], ['n_train', s.n]] : [];
}

type BackwardEmitter = (n: QNode, ctx: TrainEmitContext, gradOut: string, gradIn: string, accumulate: boolean, saved?: string, inPlaceScratch?: string) => string;

export function convGradParams(n: QConv, ctx: TrainEmitContext): string {
  return ctx.params({
    name: `${ctx.base(n)}_gp`, ctype: 'tt_conv_grad_params_t',
    fields: [...convGeometry(n, ctx), ['weight', ctx.paramArray(n, 'weight')], ['w_scale', weightScaleArray(n, ctx)], ...splitFields(n, ctx)],
  });
}

const conv: BackwardEmitter = (node, ctx, gy, gx, acc, _saved, scratch) => {
  const n = node as QConv;
  const p = convGradParams(n, ctx);
  if (scratch) return `tt_depthwise_backward_input_inplace_f32(&${p}, ${ctx.fptr(gy)}, ${ctx.fptr(scratch)});`;
  const kernel = convKernels(n, ctx.tensor(n.inputs[0]).shape[1]).backward;
  return `${kernel}(&${p}, ${ctx.fptr(gy)}, ${ctx.fptr(gx)}, ${acc ? 1 : 0});`;
};

const gemm: BackwardEmitter = (node, ctx, gy, gx, acc) => {
  const n = node as QGemm;
  const p = ctx.params({
    name: `${ctx.base(n)}_gp`, ctype: 'tt_fc_grad_params_t',
    fields: [['in_features', n.weightShape[1]], ['out_features', n.weightShape[0]], ['weight', ctx.paramArray(n, 'weight')], ['w_scale', weightScaleArray(n, ctx)], ...splitFields(n, ctx)],
  });
  return `tt_fc_backward_input_f32(&${p}, ${ctx.fptr(gy)}, ${ctx.fptr(gx)}, ${acc ? 1 : 0});`;
};

const avgpool: BackwardEmitter = (node, ctx, gy, gx, acc) => {
  const n = node as QAvgPool;
  const k = n.op === 'gap' ? 'tt_global_avgpool_backward_f32' : 'tt_avgpool_backward_f32';
  return `${k}(&${ctx.base(n)}_p, ${ctx.fptr(gy)}, ${ctx.fptr(gx)}, ${acc ? 1 : 0});`;
};

const maxpool: BackwardEmitter = (node, ctx, gy, gx, acc, saved) => {
  const n = node as QMaxPool;
  if (!saved) throw new Error(`maxpool '${n.name}' backward needs its saved input`);
  return `tt_maxpool_backward_f32(&${ctx.base(n)}_p, ${ctx.ptr(saved)}, ${ctx.fptr(gy)}, ${ctx.fptr(gx)}, ${acc ? 1 : 0});`;
};

const table: Partial<Record<QNode['op'], BackwardEmitter>> = { conv, gemm, avgpool, gap: avgpool, maxpool };

export function backwardEmitter(op: QNode['op']): BackwardEmitter {
  const e = table[op];
  if (!e) throw new Error(`no input-gradient kernel for op '${op}'`);
  return e;
}

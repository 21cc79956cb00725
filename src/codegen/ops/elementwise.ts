// Add -> tt_add_s8; standalone activation -> tt_requant_s8; reshape moves no bytes.
import { QAct, QAdd, QReshape } from '../../ir/qgraph';
import { OpEmitter } from './types';

const elements = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export const emitAdd: OpEmitter<QAdd> = (n, ctx) => {
  const a = ctx.tensor(n.inputs[0]);
  const b = ctx.tensor(n.inputs[1]);
  const y = ctx.tensor(n.output);
  const p = ctx.ident('p');
  return {
    kernel: 'tt_add_s8',
    macs: 0,
    arrays: [],
    params: [{
      name: p, ctype: 'tt_add_params_t', fields: [
        ['size', elements(y.shape)], ['in1_zp', a.zeroPoint], ['in2_zp', b.zeroPoint], ['out_zp', y.zeroPoint],
        ['left_shift', n.leftShift], ['in1_multiplier', n.inputMultiplier[0]], ['in1_shift', n.inputShift[0]],
        ['in2_multiplier', n.inputMultiplier[1]], ['in2_shift', n.inputShift[1]],
        ['out_multiplier', n.outputMultiplier], ['out_shift', n.outputShift], ['act_min', n.actMin], ['act_max', n.actMax],
      ],
    }],
    call: `tt_add_s8(&${p}, ${ctx.ptr(n.inputs[0])}, ${ctx.ptr(n.inputs[1])}, ${ctx.ptr(n.output)});`,
  };
};

export const emitAct: OpEmitter<QAct> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = ctx.tensor(n.output);
  const p = ctx.ident('p');
  return {
    kernel: 'tt_requant_s8',
    macs: 0,
    arrays: [],
    params: [{
      name: p, ctype: 'tt_requant_params_t', fields: [
        ['size', elements(y.shape)], ['in_zp', x.zeroPoint], ['out_zp', y.zeroPoint],
        ['multiplier', n.multiplier], ['shift', n.shift], ['act_min', n.actMin], ['act_max', n.actMax],
      ],
    }],
    call: `tt_requant_s8(&${p}, ${ctx.ptr(n.inputs[0])}, ${ctx.ptr(n.output)});`,
  };
};

export const emitReshape: OpEmitter<QReshape> = () => ({ kernel: '', macs: 0, arrays: [], params: [], call: '' });

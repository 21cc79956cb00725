// model.h / model.c / weights.h / weights.c from the TrainGraph and the memory plan:
// tt_model_forward() (inference) and, when the scheme updates anything,
// tt_model_train_step() (forward with saves, loss, backward, fused updates).
import { QConv, QGemm, QNode } from '../ir/qgraph';
import { TrainGraph, TrainStep } from '../ir/train';
import { Plan, resolveAlias, stepLabel } from '../memory';
import { cArrayBody, cFloat, cInt } from './cformat';
import { commentText, createNamer, cStringLiteral } from './names';
import { CArray, CParams, emitterFor } from './ops';
import { backwardEmitter } from './train/backward';
import { emitBiasUpdate, emitWeightUpdate } from './train/update';
import { TrainEmitContext } from './train/types';
import { render } from './templates';

export interface ModelSources {
  files: { path: string; content: string }[];
  kernels: string[];
  layers: LayerReport[];
  /** Constant tables in flash. */
  constBytes: number;
  /** Updated weights and biases (SRAM, initial values also in flash). */
  trainableBytes: number;
  /** fp32 master copies (SRAM). */
  masterBytes: number;
  /** C symbols of SRAM objects by kind, for checking the plan against the ELF. */
  symbols: { arena: string; trainable: string[]; master: string[] };
  macs: number;
}

export interface LayerReport {
  name: string;
  op: string;
  kernel: string;
  input: string[];
  output: string;
  outputShape: number[];
  offset: number;
  macs: number;
  weightBytes: number;
}

const bytesPer: Record<CArray['ctype'], number> = { int8_t: 1, int32_t: 4, uint16_t: 2, float: 4 };
const ROUNDING: Record<TrainGraph['rounding'], string> = { nearest: 'TT_ROUND_NEAREST', stochastic: 'TT_ROUND_STOCHASTIC', master: 'TT_ROUND_MASTER' };

export interface ModelInfo { version: string; modelName: string; boardId: string; seed: number }

export function generateModel(tg: TrainGraph, plan: Plan, info: ModelInfo): ModelSources {
  const g = tg.qgraph;
  const offsets = new Map(plan.buffers.map((b) => [b.name, b.offset]));
  const offset = (t: string): number => {
    const o = offsets.get(resolveAlias(t, plan.aliases));
    if (o === undefined) throw new Error(`buffer '${t}' has no arena offset`);
    return o;
  };
  const label = (t: string): string => commentText(t, 48);
  const nodeNamer = createNamer();
  const bases = new Map<string, string>();
  const base = (n: QNode): string => {
    let b = bases.get(n.name);
    if (!b) { b = nodeNamer(n.name || n.output); bases.set(n.name, b); }
    return b;
  };
  const arrays: CArray[] = [];
  const arrayNames = new Set<string>();
  const params: CParams[] = [];
  const paramNames = new Set<string>();
  const masters: { name: string; from: string; length: number }[] = [];
  const paramArrays = new Map<string, string>(); // `${node}|${role}` -> array name
  const kernels = new Set<string>();
  const layers: LayerReport[] = [];
  let macs = 0;
  const tensor = (t: string) => {
    const q = g.tensors[t];
    if (!q) throw new Error(`no quantization parameters for tensor '${t}'`);
    return q;
  };
  const ptr = (t: string): string => `(tt_arena + ${offset(t)})`;
  const fptr = (t: string): string => `((float *)(tt_arena + ${offset(t)}))`;
  const addArray = (a: CArray): string => { if (!arrayNames.has(a.name)) { arrayNames.add(a.name); arrays.push(a); } return a.name; };
  const addParams = (p: CParams): string => { if (!paramNames.has(p.name)) { paramNames.add(p.name); params.push(p); } return p.name; };

  // Forward: one emitter per op; its arrays and parameter structs serve training too.
  const forwardCalls = new Map<string, string>();
  for (const n of g.nodes) {
    const b = base(n);
    const e = emitterFor(n.op)(n, { ident: (s: string) => `${b}_${s}`, ptr, offset, tensor, label });
    for (const a of e.arrays) {
      addArray(a);
      if (a.role) paramArrays.set(`${n.name}|${a.role}`, a.name);
    }
    e.params.forEach(addParams);
    macs += e.macs;
    if (e.kernel) kernels.add(e.kernel);
    if (e.call) forwardCalls.set(n.name, e.call);
    layers.push({
      name: n.name, op: n.op, kernel: e.kernel, input: n.inputs, output: n.output, outputShape: tensor(n.output).shape,
      offset: offset(n.output), macs: e.macs, weightBytes: e.arrays.reduce((s, a) => s + a.values.length * bytesPer[a.ctype], 0),
    });
  }
  // Updated parameters move to SRAM.
  for (const u of tg.updated) {
    for (const role of ['weight', 'bias'] as const) {
      if ((role === 'weight' && u.weightRatio === 0) || (role === 'bias' && !u.bias)) continue;
      const name = paramArrays.get(`${u.layer}|${role}`);
      const a = arrays.find((x) => x.name === name);
      if (a) a.mutable = true;
    }
  }

  const tctx: TrainEmitContext = {
    base,
    paramArray(n, role) {
      const name = paramArrays.get(`${n.name}|${role}`);
      if (!name) throw new Error(`node '${n.name}' has no ${role} array`);
      return name;
    },
    array: addArray,
    master(name, from, length) {
      if (!masters.some((m) => m.name === name)) masters.push({ name, from, length });
      return name;
    },
    params: addParams,
    ptr,
    fptr,
    tensor,
    roundingConst: ROUNDING[tg.rounding],
  };
  const nodeComment = (n: QNode): string => {
    const ins = n.inputs.map((t) => `${label(t)} @${offset(t)}`).join(', ');
    return `${commentText(n.name, 40)}: ${ins} -> ${label(n.output)} @${offset(n.output)}`;
  };
  const emitStep = (s: TrainStep): { comment: string; call: string } | null => {
    const at = (t: string): string => `${label(t)} @${offset(t)}`;
    switch (s.kind) {
      case 'forward': {
        const call = forwardCalls.get(s.node.name);
        return call ? { comment: nodeComment(s.node), call } : null;
      }
      case 'save': {
        const sel = addArray({ name: `${base(g.nodes.find((n) => n.name === s.layer) as QNode)}_sel`, ctype: 'uint16_t', values: s.channels, comment: `updated input channels of ${commentText(s.layer, 40)}` });
        kernels.add('tt_gather_channels_s8');
        return { comment: `save ${s.channels.length} channels of ${at(s.from)} -> ${at(s.to)}`, call: `tt_gather_channels_s8(${ptr(s.from)}, ${s.plane}u, ${sel}, ${s.channels.length}u, ${ptr(s.to)});` };
      }
      case 'mask':
        kernels.add('tt_mask_from_s8');
        return { comment: `mask of ${at(s.from)} -> ${at(s.to)}`, call: `tt_mask_from_s8(${ptr(s.from)}, ${s.elements}u, ${s.lo}, ${s.hi}, (uint8_t *)${ptr(s.to)});` };
      case 'loss':
        return {
          comment: `loss on ${at(s.logits)} -> d/dlogits ${at(s.grad)}`,
          call: `loss = tt_softmax_xent_s8(${ptr(s.logits)}, TT_NUM_CLASSES, TT_OUTPUT_SCALE, TT_OUTPUT_ZERO_POINT, label, ${fptr(s.grad)});\n  if (!(loss - loss == 0.0f)) return loss; /* NaN or Inf: skip the update */`,
        };
      case 'clamp_backward':
        return s.sourceKind === 'mask'
          ? { comment: `clamp backward ${at(s.grad)} by ${at(s.source)}`, call: `tt_mask_apply_f32(${fptr(s.grad)}, (const uint8_t *)${ptr(s.source)}, ${s.elements}u);` }
          : { comment: `clamp backward ${at(s.grad)} by ${at(s.source)}`, call: `tt_clamp_backward_f32(${fptr(s.grad)}, ${ptr(s.source)}, ${s.elements}u, ${s.lo}, ${s.hi});` };
      case 'backward_input':
        return { comment: `backward ${commentText(s.node.name, 40)}: ${at(s.gradOut)} -> ${at(s.gradIn)}${s.accumulate ? ' (+=)' : ''}`, call: backwardEmitter(s.node.op)(s.node, tctx, s.gradOut, s.gradIn, s.accumulate, s.saved) };
      case 'grad_copy':
        return { comment: `${s.accumulate ? 'add' : 'copy'} ${at(s.src)} -> ${at(s.dst)}`, call: `${s.accumulate ? 'tt_add_f32' : 'tt_copy_f32'}(${fptr(s.dst)}, ${fptr(s.src)}, ${s.elements}u);` };
      case 'update_weight':
        return { comment: `update weights of ${commentText(s.node.name, 40)} (${s.layer.channels.length} input channels) from ${at(s.saved)}, ${at(s.gradOut)}`, call: emitWeightUpdate(s.node as QConv | QGemm, s.layer, tctx, s.saved, s.gradOut) };
      case 'update_bias':
        return { comment: `update bias of ${commentText(s.node.name, 40)} from ${at(s.gradOut)}`, call: emitBiasUpdate(s.node as QConv | QGemm, tctx, s.gradOut) };
    }
  };

  const forward = tg.steps.filter((s) => s.kind === 'forward').map(emitStep).filter((x): x is { comment: string; call: string } => x !== null);
  const training = tg.updated.length > 0;
  const trainCalls = training ? tg.steps.map((s) => {
    const e = emitStep(s);
    return e ? { ...e, label: stepLabel(s) } : null;
  }).filter((x): x is { comment: string; call: string; label: string } => x !== null) : [];

  const inT = g.tensors[g.input];
  const outT = g.tensors[g.output];
  const elems = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const common = { version: info.version, modelComment: commentText(info.modelName, 60), boardId: commentText(info.boardId, 30) };
  const size = (a: CArray): number => a.values.length * bytesPer[a.ctype];
  const constBytes = arrays.filter((a) => !a.mutable).reduce((s, a) => s + size(a), 0);
  const trainableBytes = arrays.filter((a) => a.mutable).reduce((s, a) => s + size(a), 0);
  const masterBytes = masters.reduce((s, m) => s + 4 * m.length, 0);
  const arrayCtx = arrays.map((a) => ({
    name: a.name, ctype: a.ctype, length: a.values.length, comment: commentText(a.comment), qualifier: a.mutable ? '' : 'const ',
    placement: a.mutable ? 'SRAM: updated on the device' : 'flash',
    body: cArrayBody(a.values, a.ctype === 'int8_t' ? 16 : 8, a.ctype === 'float' ? cFloat : cInt),
  }));
  const files = [
    {
      path: 'model/model.h', content: render('model.h.hbs', {
        ...common, modelString: cStringLiteral(info.modelName), arenaBytes: plan.arenaBytes,
        inputBytes: elems(inT.shape), inputShape: inT.shape.join('x'), inputScale: cFloat(inT.scale), inputZeroPoint: inT.zeroPoint,
        numClasses: elems(outT.shape), outputScale: cFloat(outT.scale), outputZeroPoint: outT.zeroPoint,
        inputLabel: label(g.input), inputOffset: offset(g.input), outputLabel: label(g.output), outputOffset: offset(g.output),
        training: training ? 1 : 0, trainableBytes, masterBytes,
      }),
    },
    {
      path: 'model/model.c', content: render('model.c.hbs', {
        ...common, arenaBytes: plan.arenaBytes, lowerBoundBytes: plan.lowerBoundBytes, strategy: plan.strategy,
        params: params.map((p) => ({ ...p, fields: p.fields.map(([k, v]) => [k, typeof v === 'number' ? cInt(v) : v]) })),
        forward, training, trainCalls, masters, seed: (info.seed >>> 0) || 1,
      }),
    },
    { path: 'model/weights.h', content: render('weights.h.hbs', { ...common, arrays: arrayCtx }) },
    { path: 'model/weights.c', content: render('weights.c.hbs', { ...common, arrays: arrayCtx, totalBytes: constBytes, trainableBytes }) },
  ];
  const symbols = { arena: 'tt_arena', trainable: arrays.filter((a) => a.mutable).map((a) => a.name), master: masters.map((m) => m.name) };
  return { files, kernels: [...kernels].sort(), layers, constBytes, trainableBytes, masterBytes, symbols, macs };
}

// model.h / model.c / weights.h / weights.c from the TrainGraph and the memory plan:
// tt_model_forward() (inference) and, when the scheme updates anything,
// tt_model_train_step() (forward with saves, loss, backward, fused updates).
import { QConv, QGemm, QNode } from '../ir/qgraph';
import { TrainGraph, TrainStep } from '../ir/train';
import { Plan, resolveAlias, splitWeights } from '../memory';
import { cArrayBody, cFloat, cInt } from './cformat';
import { commentText, createNamer, cStringLiteral } from './names';
import { CArray, CParams, Emitted, emitterFor } from './ops';
import { backwardEmitter } from './train/backward';
import { emitStreamBackward } from './train/stream';
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

  // Forward: one emitter per op. Arrays are shared by every call of the op (tiles, training);
  // a parameter struct is emitted only with a call that uses it.
  const forwardEmits = new Map<string, Emitted>();
  const scratchOf = new Map(tg.steps.flatMap((s): [string, string][] => (s.kind === 'forward' && s.scratch ? [[s.node.name, s.scratch]] : [])));
  const opCtx = (n: QNode, over?: { tile: number; buffers: Record<string, string>; shapes: Record<string, number[]>; scratch?: string }) => {
    const b = base(n);
    const scratch = over ? over.scratch : scratchOf.get(n.name);
    return {
      ...(scratch ? { scratch: ptr(scratch) } : {}),
      ident: (sfx: string) => (over && sfx === 'p' ? `${b}_t${over.tile}_p` : `${b}_${sfx}`),
      ptr: (t: string) => ptr(over?.buffers[t] ?? t),
      offset: (t: string) => offset(over?.buffers[t] ?? t),
      tensor: (t: string) => (over?.shapes[t] ? { ...tensor(t), shape: over.shapes[t] } : tensor(t)),
      label: (t: string) => label(over?.buffers[t] ?? t),
    };
  };
  const tiled = new Set(tg.tiling ? tg.tiling.segment : []);
  for (const n of g.nodes) {
    // A tiled node's untiled call is never emitted; its intermediate tensors have no offset.
    const ctx0 = tiled.has(n.name) ? { ...opCtx(n), ptr: () => 'NULL', offset: () => -1 } : opCtx(n);
    const e = emitterFor(n.op)(n, ctx0);
    for (const a of e.arrays) {
      addArray(a);
      if (a.role) paramArrays.set(`${n.name}|${a.role}`, a.name);
    }
    macs += e.macs;
    if (e.kernel) kernels.add(e.kernel);
    forwardEmits.set(n.name, e);
    layers.push({
      name: n.name, op: n.op, kernel: e.kernel, input: n.inputs, output: n.output, outputShape: tensor(n.output).shape,
      offset: tg.tiling?.segment.includes(n.name) && n.output !== tg.tiling.output ? -1 : offset(n.output),
      macs: e.macs, weightBytes: e.arrays.reduce((sum, a) => sum + a.values.length * bytesPer[a.ctype], 0),
    });
  }
  // Updated parameters move to SRAM: whole arrays, or just the updated slice (split).
  const splits = new Map<string, { train: string; slot: string; n: number }>();
  for (const u of tg.updated) {
    const node = g.nodes.find((x) => x.name === u.layer) as QConv | QGemm;
    const inC = tensor(node.inputs[0]).shape[1];
    for (const role of ['weight', 'bias'] as const) {
      if ((role === 'weight' && u.weightRatio === 0) || (role === 'bias' && !u.bias)) continue;
      const name = paramArrays.get(`${u.layer}|${role}`);
      const a = arrays.find((x) => x.name === name);
      if (!a) continue;
      if (role === 'weight' && splitWeights(node, u.weightRatio, inC)) {
        const s = splitArrays(node, u.channels, inC);
        a.values = s.frozen;
        a.comment = `${a.comment}: input channels not updated (flash)`;
        const train = addArray({ name: `${base(node)}_wt`, ctype: 'int8_t', role: 'weight', values: s.train, comment: `updated slice: ${u.channels.length} input channels`, mutable: true });
        const slot = addArray({ name: `${base(node)}_slot`, ctype: 'uint16_t', values: s.slot, comment: 'where each input channel\'s weights are (bit 15: the SRAM slice)' });
        splits.set(node.name, { train, slot, n: u.channels.length });
        const e = forwardEmits.get(node.name) as Emitted;
        e.params[0].fields.push(['weight_train', train], ['in_slot', slot], ['n_train', u.channels.length]);
      } else {
        a.mutable = true;
      }
    }
  }

  const tctx: TrainEmitContext = {
    base,
    split: (n) => splits.get(n.name),
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
    forwardParams(n) {
      const e = forwardEmits.get(n.name);
      if (!e || !e.params.length) throw new Error(`node '${n.name}' has no forward parameters`);
      e.params.forEach(addParams);
      return e.params[0].name;
    },
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
        const e = forwardEmits.get(s.node.name) as Emitted;
        e.params.forEach(addParams);
        return e.call ? { comment: nodeComment(s.node), call: e.call } : null;
      }
      case 'tile_forward': {
        const e = emitterFor(s.node.op)(s.node, opCtx(s.node, s));
        e.params.forEach(addParams);
        const io = [...s.node.inputs, s.node.output].map((t) => at(s.buffers[t] ?? t));
        return { comment: `${commentText(s.node.name, 40)} tile ${s.tile}: ${io.slice(0, -1).join(', ')} -> ${io[io.length - 1]}`, call: e.call };
      }
      case 'tile_copy':
        kernels.add('tt_copy_region_s8');
        return { comment: `tile: rows ${s.y0}..${s.y0 + s.h - 1}, cols ${s.x0}..${s.x0 + s.w - 1} of ${at(s.from)} -> ${at(s.to)}`, call: `tt_copy_region_s8(${ptr(s.from)}, ${s.channels}u, ${s.srcH}u, ${s.srcW}u, ${s.y0}u, ${s.x0}u, ${s.h}u, ${s.w}u, ${ptr(s.to)});` };
      case 'tile_place':
        kernels.add('tt_place_region_s8');
        return { comment: `tile: ${at(s.from)} -> rows ${s.y0}..${s.y0 + s.h - 1}, cols ${s.x0}..${s.x0 + s.w - 1} of ${at(s.to)}`, call: `tt_place_region_s8(${ptr(s.from)}, ${s.channels}u, ${s.h}u, ${s.w}u, ${ptr(s.to)}, ${s.dstH}u, ${s.dstW}u, ${s.y0}u, ${s.x0}u);` };
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
        return { comment: `backward ${commentText(s.node.name, 40)}: ${at(s.gradOut)} -> ${s.inPlaceScratch ? 'in place' : at(s.gradIn)}${s.accumulate ? ' (+=)' : ''}`, call: backwardEmitter(s.node.op)(s.node, tctx, s.gradOut, s.gradIn, s.accumulate, s.saved, s.inPlaceScratch) };
      case 'grad_copy':
        return { comment: `${s.accumulate ? 'add' : 'copy'} ${at(s.src)} -> ${at(s.dst)}`, call: `${s.accumulate ? 'tt_add_f32' : 'tt_copy_f32'}(${fptr(s.dst)}, ${fptr(s.src)}, ${s.elements}u);` };
      case 'update_weight':
        return { comment: `update weights of ${commentText(s.node.name, 40)} (${s.layer.channels.length} input channels) from ${at(s.saved)}, ${at(s.gradOut)}`, call: emitWeightUpdate(s.node as QConv | QGemm, s.layer, tctx, s.saved, s.gradOut) };
      case 'update_bias':
        return { comment: `update bias of ${commentText(s.node.name, 40)} from ${at(s.gradOut)}`, call: emitBiasUpdate(s.node as QConv | QGemm, tctx, s.gradOut) };
      case 'stream_backward': {
        const what = [s.gradIn ? `input gradient -> ${at(s.gradIn.buffer)}${s.gradIn.accumulate ? ' (+=)' : ''}` : '', s.weight ? 'weights' : '', s.bias ? 'bias' : ''].filter(Boolean).join(', ');
        const next = s.next ? `; then ${commentText(s.next.node.name, 40)} one channel at a time (plane ${at(s.next.plane)}): ${[s.next.weight ? 'weights' : '', s.next.bias ? 'bias' : ''].filter(Boolean).join(', ')}` : '';
        return { comment: `backward ${commentText(s.source.name, 40)} and ${commentText(s.producer.name, 40)} one channel at a time (plane ${at(s.plane)}): ${at(s.gradOut)} -> ${what}${next}`, call: emitStreamBackward(s, tctx) };
      }
    }
  };

  const FORWARD_KINDS = new Set(['forward', 'tile_copy', 'tile_forward', 'tile_place']);
  // Profile builds (-DTT_PROFILE) count the instructions of every call: one entry per call,
  // "part|phase|kernel|layer", in the order of the calls (forward first, then the step).
  const profile: string[] = [];
  const withProfile = (part: 'inference' | 'train') => (s: TrainStep): { comment: string; call: string } | null => {
    const e = emitStep(s);
    if (!e) return null;
    const kernel = /([A-Za-z_][A-Za-z0-9_]*)\(/.exec(e.call.replace(/^loss = /, ''))?.[1] ?? '';
    profile.push(cStringLiteral(`${part}|${profilePhase(s)}|${kernel}|${profileLayer(s, g)}`, 120));
    const k = profile.length - 1;
    // After the call's first statement (the loss call is followed by its NaN check).
    return { comment: e.comment, call: e.call.replace(/;(\n|$)/, `; TT_PROFILE_MARK(${k});$1`) };
  };
  const isCall = (x: { comment: string; call: string } | null): x is { comment: string; call: string } => x !== null;
  const forward = tg.steps.filter((s) => FORWARD_KINDS.has(s.kind)).map(withProfile('inference')).filter(isCall);
  const training = tg.updated.length > 0;
  const trainCalls = training ? tg.steps.map(withProfile('train')).filter(isCall) : [];

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
        forward, training, trainCalls, masters, seed: (info.seed >>> 0) || 1, profile, profileCount: profile.length,
      }),
    },
    { path: 'model/weights.h', content: render('weights.h.hbs', { ...common, arrays: arrayCtx }) },
    { path: 'model/weights.c', content: render('weights.c.hbs', { ...common, arrays: arrayCtx, totalBytes: constBytes, trainableBytes }) },
  ];
  const symbols = { arena: 'tt_arena', trainable: arrays.filter((a) => a.mutable).map((a) => a.name), master: masters.map((m) => m.name) };
  return { files, kernels: [...kernels].sort(), layers, constBytes, trainableBytes, masterBytes, symbols, macs };
}

/** What a step is part of, for the per-layer profile (forward, loss, backward or update). */
function profilePhase(s: TrainStep): string {
  switch (s.kind) {
    case 'loss': return 'loss';
    case 'backward_input': case 'clamp_backward': case 'grad_copy': case 'stream_backward': return 'backward';
    case 'update_weight': case 'update_bias': return 'update';
    default: return 'forward';
  }
}

/** The ONNX node a step belongs to (the producer of the tensor it works on, for masks and gradients). */
function profileLayer(s: TrainStep, g: TrainGraph['qgraph']): string {
  const producer = (t: string): string => g.nodes.find((n) => n.output === t)?.name ?? t;
  switch (s.kind) {
    case 'forward': case 'tile_forward': case 'backward_input': case 'update_weight': case 'update_bias': return s.node.name;
    case 'stream_backward': return s.source.name;
    case 'save': return s.layer;
    case 'mask': return producer(s.from);
    case 'tile_copy': case 'tile_place': return `tile ${s.from} -> ${s.to}`;
    case 'loss': return 'loss';
    case 'clamp_backward': return producer(s.source);
    case 'grad_copy': return `gradient ${s.src}`;
    default: return '';
  }
}

/**
 * Splits a [rows][in] (pointwise, fc) or [C][kh][kw] (depthwise) weight array by input
 * channel: the selected channels (in `channels` order) go to the SRAM slice, the rest keep
 * their order in flash. slot[i] = 0x8000 | slice index, or the flash index.
 */
function splitArrays(n: QConv | QGemm, channels: number[], inC: number): { frozen: Int8Array; train: Int8Array; slot: Uint16Array } {
  const sel = new Map(channels.map((c, j) => [c, j]));
  const slot = new Uint16Array(inC);
  let f = 0;
  for (let i = 0; i < inC; i++) slot[i] = sel.has(i) ? 0x8000 | (sel.get(i) as number) : f++;
  const depthwise = n.op === 'conv' && n.group > 1;
  if (depthwise) {
    const k = n.weightShape[2] * n.weightShape[3];
    const frozen = new Int8Array((inC - channels.length) * k);
    const train = new Int8Array(channels.length * k);
    for (let c = 0; c < inC; c++) {
      const src = n.weight.subarray(c * k, (c + 1) * k);
      if (slot[c] & 0x8000) train.set(src, (slot[c] & 0x7fff) * k); else frozen.set(src, slot[c] * k);
    }
    return { frozen, train, slot };
  }
  const rows = n.weightShape[0];
  const frozen = new Int8Array(rows * (inC - channels.length));
  const train = new Int8Array(rows * channels.length);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inC; i++) {
      const v = n.weight[r * inC + i];
      if (slot[i] & 0x8000) train[r * channels.length + (slot[i] & 0x7fff)] = v; else frozen[r * (inC - channels.length) + slot[i]] = v;
    }
  }
  return { frozen, train, slot };
}

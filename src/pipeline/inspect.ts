// `inspect`: what a model is and what training it would cost on a board, without a dataset
// and without generating anything. Import, quantize with placeholder ranges, then plan the
// none / bias / full schemes with the same schedule choices and memory planner gen uses.
import * as fs from 'fs';
import * as path from 'path';
import { TinytrainError } from '../errors';
import { importOnnx } from '../onnx';
import { Activation, Graph, Node, OpKind } from '../ir/graph';
import { QGraph } from '../ir/qgraph';
import { quantize, CalibrationStats } from '../quant';
import { sramPlan } from '../memory';
import { Board, hasDsp, loadBoard } from '../boards';
import { resolveScheme, trainableLayers } from '../sparse';
import { LayerKind } from '../sparse/layers';
import { Rounding } from '../ir/train';
import { chooseSchedule } from './schedule';
import { trainStepInstructions } from '../analyze/costs';
import { DEFAULT_MODEL, DEFAULT_ROUNDING } from './gen';

export const INSPECT_SCHEMES = ['none', 'bias', 'full'] as const;
export type InspectScheme = typeof INSPECT_SCHEMES[number];

export interface InspectOp {
  index: number;
  name: string;
  /** Canonical op kind (conv, gemm, add, act, avgpool, maxpool, gap, reshape). */
  op: OpKind;
  /** The ONNX op types it was built from (BatchNormalization folded, Relu fused...). */
  from: string[];
  /** Kernel, stride, padding, groups and the fused activation, e.g. "3x3 s1 p1 g8 relu6". */
  attrs: string;
  inputShapes: number[][];
  outputShape: number[];
  /** Weights + biases (conv/gemm: one bias per output channel, zeros if the model had none). */
  params: number;
  weights: number;
  biases: number;
  /** Multiply-accumulates of the forward op (conv: out_elems·(in_c/groups)·kh·kw; gemm: N·K). */
  macs: number;
}

export interface InspectLayer {
  /** Index in the trainable-layer list (what schemes address). */
  index: number;
  /** Index of the op in `ops`. */
  op: number;
  name: string;
  kind: LayerKind;
  inChannels: number;
  outChannels: number;
  params: number;
}

export interface InspectMemory {
  scheme: InspectScheme;
  /** Planned arena (activations, saved tensors, gradients, scratch). */
  arenaBytes: number;
  /** The largest total live at one step: no arena can be smaller. */
  lowerBoundBytes: number;
  /** Updated weights and biases held in SRAM (plus fp32 master copies, none by default). */
  trainableBytes: number;
  /** Arena + trainable + runtime state + stack reserve: gen's planned SRAM. */
  sramBytes: number;
  fits: boolean;
  /** Estimated instructions per training step (an inference for `none`), as analyze estimates them. */
  instructions: number;
  /** The frozen first layers run tile by tile (tiling auto, as gen). */
  tiled: boolean;
}

export interface InspectReport {
  model: { path: string; name: string; opset: number; producer: string; notes: string[] };
  board: { id: string; name: string; sramBytes: number; flashBytes: number };
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
  ops: InspectOp[];
  totals: { ops: number; params: number; weights: number; biases: number; macs: number;
    /** int8 weights. */
    weightBytes: number;
    /** int32 biases. */
    biasBytes: number };
  trainable: InspectLayer[];
  /** Planned with gen's defaults: stochastic rounding, tiling auto, no budget but the board's SRAM. */
  memory: InspectMemory[];
  notes: string[];
}

const elems = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Reads, imports and plans a model; throws TinytrainError on anything a user can cause. */
export function inspectModel(modelPath: string | undefined, boardId: string): InspectReport {
  const board = loadBoard(boardId);
  const file = path.resolve(modelPath ?? DEFAULT_MODEL);
  const graph = importOnnx(readModelFile(file), { name: path.basename(file, '.onnx') });
  const qgraph = quantizePlaceholder(graph);

  const ops = graph.nodes.map((n, index) => describeOp(n, index, graph));
  const sum = (f: (o: InspectOp) => number): number => ops.reduce((a, o) => a + f(o), 0);
  const opIndex = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const trainable = trainableLayers(qgraph).map((l) => {
    const op = opIndex.get(l.name) ?? -1;
    return { index: l.index, op, name: l.name, kind: l.kind, inChannels: l.inChannels, outChannels: l.outChannels, params: ops[op]?.params ?? 0 };
  });
  const memory = INSPECT_SCHEMES.map((s) => schemeMemory(qgraph, s, board, DEFAULT_ROUNDING));

  return {
    model: { path: file, name: graph.name, opset: graph.opsetVersion, producer: graph.producer, notes: [...graph.notes] },
    board: { id: board.id, name: board.name, sramBytes: board.memory.sram.size, flashBytes: board.memory.flash.size },
    input: { name: graph.input.name, shape: [...graph.input.shape] },
    output: { name: graph.output, shape: [...graph.shapes[graph.output]] },
    ops,
    totals: {
      ops: ops.length, params: sum((o) => o.params), weights: sum((o) => o.weights), biases: sum((o) => o.biases), macs: sum((o) => o.macs),
      weightBytes: sum((o) => o.weights), biasBytes: 4 * sum((o) => o.biases),
    },
    trainable,
    memory,
    notes: ['quantized with placeholder activation ranges [-1, 1]: shapes and memory do not depend on them; gen calibrates the real ones'],
  };
}

/**
 * Quantization needs a range for every activation; sizes, the schedule and the memory plan
 * depend only on shapes (every activation is int8 whatever its scale), so a placeholder range
 * of [-1, 1] for every tensor stands in for calibration. Scales and zero points are therefore
 * meaningless here and the report shows none.
 */
function quantizePlaceholder(graph: Graph): QGraph {
  const stats: CalibrationStats = {};
  for (const t of Object.keys(graph.shapes)) stats[t] = { min: -1, max: 1 };
  return quantize(graph, stats);
}

function schemeMemory(q: QGraph, name: InspectScheme, board: Board, rounding: Rounding): InspectMemory {
  const scheme = resolveScheme(name, q);
  // The same call gen (generateFromQuantized) and analyze (schemeCost) make.
  const limit = board.memory.sram.size;
  const c = chooseSchedule(q, scheme, { rounding, tiling: 'auto', dsp: hasDsp(board) }, (tg) => limit - sramPlan(tg, 0, board.stack_bytes).total);
  const sram = sramPlan(c.train, c.plan.arenaBytes, board.stack_bytes);
  return {
    scheme: name,
    arenaBytes: c.plan.arenaBytes,
    lowerBoundBytes: c.plan.lowerBoundBytes,
    trainableBytes: sram.trainable_weights + sram.trainable_biases + sram.master_copies,
    sramBytes: sram.total,
    fits: sram.total <= board.memory.sram.size,
    instructions: trainStepInstructions(c.train),
    tiled: !!c.train.tiling,
  };
}

function describeOp(n: Node, index: number, g: Graph): InspectOp {
  const outputShape = [...g.shapes[n.output]];
  let weights = 0;
  let biases = 0;
  let macs = 0;
  if (n.op === 'conv') {
    const [, ipg, kh, kw] = n.weightShape;
    weights = n.weight.length;
    biases = n.bias.length;
    macs = elems(outputShape) * ipg * kh * kw;
  } else if (n.op === 'gemm') {
    weights = n.weight.length;
    biases = n.bias.length;
    macs = elems(n.weightShape);
  }
  return {
    index, name: n.name, op: n.op, from: [...n.from], attrs: attrsOf(n),
    inputShapes: n.inputs.map((t) => [...(g.shapes[t] ?? [])]),
    outputShape, params: weights + biases, weights, biases, macs,
  };
}

function actName(a: Activation): string {
  if (a.kind === 'none') return '';
  if (a.kind === 'relu') return 'relu';
  if (a.min === 0 && a.max === 6) return 'relu6';
  return `clip[${a.min},${a.max}]`;
}

function padText(p: [number, number, number, number]): string {
  return p.every((v) => v === p[0]) ? `p${p[0]}` : `p${p.join(',')}`;
}

function attrsOf(n: Node): string {
  const parts: string[] = [];
  switch (n.op) {
    case 'conv': {
      const [, , kh, kw] = n.weightShape;
      parts.push(`${kh}x${kw}`, `s${n.strides[0] === n.strides[1] ? n.strides[0] : n.strides.join(',')}`, padText(n.pads));
      if (n.group > 1) parts.push(`g${n.group}`);
      parts.push(actName(n.act));
      break;
    }
    case 'gemm': case 'add': case 'act':
      parts.push(actName(n.act));
      break;
    case 'avgpool': case 'maxpool':
      parts.push(`${n.kernel[0]}x${n.kernel[1]}`, `s${n.strides[0] === n.strides[1] ? n.strides[0] : n.strides.join(',')}`, padText(n.pads));
      break;
    case 'gap': case 'reshape':
      break;
  }
  return parts.filter((p) => p !== '').join(' ');
}

function readModelFile(p: string): Uint8Array {
  if (!fs.existsSync(p)) throw new TinytrainError(`model file ${p} does not exist`, 'E_MODEL_MISSING');
  const st = fs.statSync(p);
  if (!st.isFile()) throw new TinytrainError(`model path ${p} is not a file`, 'E_MODEL_MISSING');
  if (st.size > 512 * 1024 * 1024) throw new TinytrainError(`model file ${p} is ${st.size} bytes; tinytrain accepts models up to 512 MB`, 'E_MODEL_SIZE');
  return fs.readFileSync(p);
}

// ---- the human-readable form ----

const shapeText = (s: number[]): string => s.join('x');
const num = (n: number): string => n.toLocaleString('en-US');

function table(header: string[], rows: string[][], right: Set<number>): string[] {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (right.has(i) ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The report as aligned tables, one string ending in a newline. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  out.push(`model ${r.model.path}`);
  out.push(`  opset ${r.model.opset}${r.model.producer ? `, producer ${r.model.producer}` : ''}`);
  out.push(`  input  ${r.input.name} ${shapeText(r.input.shape)}`);
  out.push(`  output ${r.output.name} ${shapeText(r.output.shape)}`);
  for (const n of r.model.notes) out.push(`  note: ${n}`);
  out.push('');
  out.push('ops');
  out.push(...table(
    ['#', 'name', 'op', 'attrs', 'input -> output', 'params', 'MACs'],
    r.ops.map((o) => [String(o.index), o.name, o.op, o.attrs, `${o.inputShapes.map(shapeText).join(' + ')} -> ${shapeText(o.outputShape)}`, num(o.params), num(o.macs)]),
    new Set([0, 5, 6]),
  ).map((l) => `  ${l}`));
  const t = r.totals;
  out.push(`  total: ${t.ops} ops, ${num(t.params)} parameters (${num(t.weights)} weights, ${num(t.biases)} biases), ${num(t.macs)} MACs, ` +
    `${num(t.weightBytes)} B of int8 weights + ${num(t.biasBytes)} B of int32 biases`);
  out.push('');
  out.push('trainable layers');
  out.push(...table(
    ['#', 'op', 'name', 'kind', 'in', 'out', 'params'],
    r.trainable.map((l) => [String(l.index), String(l.op), l.name, l.kind, String(l.inChannels), String(l.outChannels), num(l.params)]),
    new Set([0, 1, 4, 5, 6]),
  ).map((l) => `  ${l}`));
  out.push('');
  out.push(`memory on ${r.board.id} (${num(r.board.sramBytes)} B SRAM; stochastic rounding, tiling auto), bytes`);
  out.push(...table(
    ['scheme', 'arena', 'lower bound', 'trainable', 'total SRAM', 'fits', 'instr/step'],
    r.memory.map((m) => [m.scheme, num(m.arenaBytes), num(m.lowerBoundBytes), num(m.trainableBytes), num(m.sramBytes), m.fits ? 'yes' : 'NO', num(m.instructions) + (m.tiled ? ' (tiled)' : '')]),
    new Set([1, 2, 3, 4, 6]),
  ).map((l) => `  ${l}`));
  for (const n of r.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}

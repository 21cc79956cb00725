// Canonicalization passes over the work graph, in order:
//   identities -> BN / bias folding -> activation fusion -> Pad folding -> reshape merging.
// Fusing B into its producer A keeps A's name and takes B's output tensor name, so every
// canonical tensor is an ONNX tensor with the same value (calibration reads it by name).
import { Node } from '../ir/graph';
import { TinytrainError } from '../errors';
import { actRange, composeAct, fmtShape } from './ops/common';
import { nodeError, WorkNode } from './types';

export interface WorkGraph {
  nodes: WorkNode[];
  input: string;
  output: string;
  notes: string[];
}

/** Producer and number of uses of every tensor (the graph output counts as a use). A pass
 *  that fuses along chains keeps one and updates it as it goes: rescanning the graph per
 *  node is quadratic, which a long chain in a hostile model turns into a hang. */
interface Index { producer: Map<string, WorkNode>; uses: Map<string, number>; }

function indexGraph(g: WorkGraph): Index {
  const producer = new Map<string, WorkNode>();
  const uses = new Map<string, number>([[g.output, 1]]);
  for (const n of g.nodes) {
    producer.set(n.output, n);
    for (const t of n.inputs) uses.set(t, (uses.get(t) ?? 0) + 1);
  }
  return { producer, uses };
}

function consumers(g: WorkGraph, t: string): WorkNode[] {
  return g.nodes.filter((n) => n.inputs.includes(t));
}

/** Producer of `t` if `t` feeds only one place and is not the graph output. */
function soleProducer(g: WorkGraph, t: string, ix: Index = indexGraph(g)): WorkNode | undefined {
  if (t === g.output || ix.uses.get(t) !== 1) return undefined;
  return ix.producer.get(t);
}

function remove(g: WorkGraph, n: WorkNode, ix?: Index): void {
  g.nodes.splice(g.nodes.indexOf(n), 1);
  ix?.producer.delete(n.output);
}

/** Merge `n` (whose only input is p's output) into its producer `p`. */
function absorb(g: WorkGraph, p: WorkNode, n: WorkNode, ix?: Index): void {
  ix?.producer.delete(p.output);
  ix?.uses.delete(p.output);     // its one use was n
  remove(g, n, ix);
  p.output = n.output;
  p.from.push(...n.from);
  ix?.producer.set(p.output, p);
}

const onnxOp = (n: WorkNode): { name: string; opType: string } => ({ name: n.name, opType: n.from.join('+') });

/** Identity/Dropout/zero Pad/unbounded Clip: consumers read the input tensor instead, except
 *  that the graph output keeps its ONNX name (the producer is renamed, or a reshape stays). */
export function resolveIdentities(g: WorkGraph): void {
  // One alias map applied in one sweep (renaming per identity is quadratic on long chains).
  // Nodes are in topological order, so an identity's input is already resolved when it is seen.
  const alias = new Map<string, string>();
  const real = (t: string): string => alias.get(t) ?? t;
  for (const n of g.nodes) {
    if (n.op === 'identity' && n.output !== g.output) alias.set(n.output, real(n.inputs[0]));
  }
  if (alias.size > 0) {
    g.nodes = g.nodes.filter((n) => !(n.op === 'identity' && alias.has(n.output)));
    for (const c of g.nodes) c.inputs = c.inputs.map(real);
  }
  // The node producing the graph output comes last in topological order.
  const n = g.nodes.find((x) => x.op === 'identity' && x.output === g.output);
  if (!n) return;
  const p = soleProducer(g, n.inputs[0]);
  if (p) absorb(g, p, n);
  else Object.assign(n, { op: 'reshape' });   // graph output aliasing a shared tensor
}

/** BatchNormalization and constant-bias Adds, in graph order (so MatMul -> Add -> BN and
 *  Conv -> BN -> Add both work): each folds into the Conv/Gemm directly before it. */
export function foldAffine(g: WorkGraph): void {
  let bns = 0;
  const ix = indexGraph(g);
  for (const n of g.nodes.slice()) {
    if (n.op !== 'bn' && n.op !== 'bias') continue;
    const p = soleProducer(g, n.inputs[0], ix);
    if (!p || (p.op !== 'conv' && p.op !== 'gemm') || p.act.kind !== 'none') {
      throw nodeError(onnxOp(n), n.op === 'bn'
        ? 'a BatchNormalization is supported only directly after a Conv/Gemm whose output it alone consumes (it is folded into that layer)'
        : 'adding a constant is supported only as the bias of the Conv/Gemm/MatMul directly before it', 'E_UNSUPPORTED_PATTERN');
    }
    if (n.op === 'bn') {
      const per = p.weight.length / p.bias.length;   // weights per output channel (OIHW / [N,K] rows)
      for (let o = 0; o < p.bias.length; o++) {
        for (let i = 0; i < per; i++) p.weight[o * per + i] *= n.scale[o];
        p.bias[o] = p.bias[o] * n.scale[o] + n.shift[o];
      }
      bns++;
    } else {
      for (let o = 0; o < p.bias.length; o++) p.bias[o] += n.bias[o];
    }
    absorb(g, p, n, ix);
  }
  if (bns) g.notes.push(`folded ${bns} BatchNormalization node${bns > 1 ? 's' : ''} into the preceding Conv/Gemm`);
}

export function fuseActivations(g: WorkGraph): void {
  const ix = indexGraph(g);
  for (const n of g.nodes.slice()) {
    if (n.op !== 'act') continue;
    const p = soleProducer(g, n.inputs[0], ix);
    if (p && (p.op === 'conv' || p.op === 'gemm' || p.op === 'add' || p.op === 'act')) {
      p.act = composeAct(p.act, n.act);
      absorb(g, p, n, ix);
    }
  }
}

/** True when tensor `t` is provably >= 0 (a ReLU-like clamp upstream, through pools/reshapes).
 *  A loop, not recursion: a chain of pools can be as long as the graph. */
function nonNegative(ix: Index, t: string): boolean {
  for (let p = ix.producer.get(t); p; p = ix.producer.get(p.inputs[0])) {
    switch (p.op) {
      case 'conv': case 'gemm': case 'add': case 'act': return actRange(p.act)[0] >= 0;
      case 'maxpool': case 'avgpool': case 'gap': case 'reshape': case 'identity': case 'pad': continue;
      default: return false;
    }
  }
  return false;
}

export function foldPads(g: WorkGraph): void {
  const ix = indexGraph(g);
  for (const n of g.nodes.slice()) {
    if (n.op !== 'pad') continue;
    const cs = consumers(g, n.output);
    const c = cs[0];
    const err = (why: string): TinytrainError => nodeError(onnxOp(n), why, 'E_UNSUPPORTED_PATTERN');
    if (n.output === g.output || cs.length !== 1 || ix.uses.get(n.output) !== 1 ||
        (c.op !== 'conv' && c.op !== 'avgpool' && c.op !== 'maxpool') || c.inputs[0] !== n.output) {
      throw err('zero padding is supported only when a single Conv, AveragePool or MaxPool consumes it (it is folded into that op)');
    }
    if (c.op === 'avgpool') {
      // The Pad's zeros count in the average: only expressible if the pool counts its own pads too.
      if (!c.countIncludePad && c.pads.some((p) => p !== 0)) {
        throw err(`cannot fold into AveragePool '${c.name}', which has its own pads ${fmtShape(c.pads)} with count_include_pad=0`);
      }
      c.countIncludePad = true;
    } else if (c.op === 'maxpool') {
      // MaxPool pads with -inf; zero padding only matches that when the input is never negative.
      if (!nonNegative(ix, n.inputs[0])) {
        throw err(`cannot fold zero padding into MaxPool '${c.name}': its input can be negative`);
      }
      g.notes.push(`Pad '${n.name}' folded into MaxPool '${c.name}' (its input is non-negative)`);
    }
    c.pads = [c.pads[0] + n.pads[0], c.pads[1] + n.pads[1], c.pads[2] + n.pads[2], c.pads[3] + n.pads[3]];
    c.inputs[0] = n.inputs[0];
    c.from.unshift(...n.from);
    remove(g, n, ix);
  }
}

export function mergeReshapes(g: WorkGraph): void {
  const ix = indexGraph(g);
  for (const n of g.nodes.slice()) {
    if (n.op !== 'reshape') continue;
    const p = soleProducer(g, n.inputs[0], ix);
    if (p && p.op === 'reshape') absorb(g, p, n, ix);
  }
}

/** Run all passes; afterwards only canonical IR nodes remain. */
export function canonicalize(g: WorkGraph): Node[] {
  resolveIdentities(g);
  foldAffine(g);
  fuseActivations(g);
  foldPads(g);
  mergeReshapes(g);
  return g.nodes.map((n) => {
    if (n.op === 'bn' || n.op === 'pad' || n.op === 'bias' || n.op === 'identity') {
      throw new TinytrainError(`node '${n.name}': transient '${n.op}' survived canonicalization`, 'E_INTERNAL');
    }
    return n;
  });
}

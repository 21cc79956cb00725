// train/ stage: QGraph + Scheme -> TrainGraph (pure). Reverse-mode autodiff from the
// per-op rules, pruned to what the scheme updates:
//  - only tensors that depend on an updated parameter get a gradient, so backward stops
//    at the earliest updated layer and frozen layers on the way get only an input gradient;
//  - a weight update saves just its selected input channels (none for a bias-only layer);
//  - a clamp's backward reads a 1-bit mask unless the int8 output is kept anyway;
//  - each update runs as soon as its output gradient exists: no weight gradient is stored.
import { convKind, im2colBytes, QGraph, QNode } from '../ir/qgraph';
import { LayerUpdate, Scheme } from '../ir/scheme';
import { Rounding, TrainBuffer, TrainGraph, TrainStep } from '../ir/train';
import { clampBounds } from './clamp';
import { escapeReservedNames } from './reserved';
import { gradRule, GradContext } from './rules';

export interface TrainOptions {
  rounding: Rounding;
  /** The target runs the optimized regular conv (DSP CPUs): reserve its im2col scratch. */
  im2col?: boolean;
}

const elems = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export function buildTrainGraph(graph: QGraph, scheme: Scheme, opts: TrainOptions): TrainGraph {
  const g = escapeReservedNames(graph);
  const updates = new Map<string, LayerUpdate>();
  for (const l of scheme.layers) if (l.bias || l.weightRatio > 0) updates.set(l.layer, l);
  const producer = new Map<string, QNode>(g.nodes.map((n) => [n.output, n]));

  // requires_grad, forward
  const rg = new Set<string>();
  for (const n of g.nodes) {
    if (updates.has(n.name) || n.inputs.some((t) => rg.has(t))) rg.add(n.output);
  }
  const onPath = (n: QNode): boolean => rg.has(n.output);

  // How many gradient contributions each tensor receives.
  const total = new Map<string, number>();
  for (const n of g.nodes) {
    if (!onPath(n)) continue;
    for (const t of n.inputs) if (rg.has(t)) total.set(t, (total.get(t) ?? 0) + 1);
  }

  const buffers = new Map<string, TrainBuffer>();
  const aliases: Record<string, string> = {};
  const notes: string[] = [];
  const addBuffer = (b: TrainBuffer): void => { if (!buffers.has(b.name)) buffers.set(b.name, b); };
  for (const t of Object.values(g.tensors)) {
    const kind = t.name === g.input ? 'input' : t.name === g.output ? 'output' : 'activation';
    addBuffer({ name: t.name, kind, dtype: 'int8', elements: elems(t.shape), bytes: elems(t.shape) });
  }
  for (const n of g.nodes) if (n.op === 'reshape') aliases[n.output] = n.inputs[0];

  const gradName = (t: string): string => `grad:${t}`;
  const ensureGrad = (t: string): string => {
    const name = gradName(t);
    if (aliases[name] === undefined) addBuffer({ name, kind: 'grad', dtype: 'float32', elements: elems(g.tensors[t].shape), bytes: 4 * elems(g.tensors[t].shape) });
    return name;
  };
  const received = new Map<string, number>();

  // Phase 1: which int8 tensors backward keeps, what is saved, what needs a mask.
  const kept = new Set<string>();
  const saves: { layer: LayerUpdate; from: string; to: string; plane: number }[] = [];
  const savedInput = new Map<string, string>();
  const probe: GradContext = makeContext(true);
  for (const n of g.nodes) {
    if (!onPath(n)) continue;
    gradRule(n.op).keeps(n, probe).forEach((t) => kept.add(t));
    const u = updates.get(n.name);
    if (u && u.weightRatio > 0) {
      const x = n.inputs[0];
      if (u.weightRatio === 1) {
        kept.add(x);
        savedInput.set(n.name, x);
      } else {
        const shape = g.tensors[x].shape;
        const plane = shape.length === 4 ? shape[2] * shape[3] : 1;
        const to = `save:${n.name}`;
        addBuffer({ name: to, kind: 'saved', dtype: 'int8', elements: u.channels.length * plane, bytes: u.channels.length * plane });
        saves.push({ layer: u, from: x, to, plane });
        savedInput.set(n.name, to);
      }
    }
  }
  const masks = new Map<string, { lo: number; hi: number }>();

  function makeContext(dryRun: boolean): GradContext {
    return {
      requiresGrad: (t) => rg.has(t),
      gradOf: (t) => gradName(t),
      target(t) {
        const k = received.get(t) ?? 0;
        if (!dryRun) received.set(t, k + 1);
        return { buffer: dryRun ? gradName(t) : ensureGrad(t), accumulate: k > 0 };
      },
      contribute(t, grad, inPlaceOk) {
        if (dryRun) return [];
        const k = received.get(t) ?? 0;
        if (k === 0 && (total.get(t) ?? 0) === 1 && inPlaceOk) {
          received.set(t, 1);
          aliases[gradName(t)] = grad;
          return [];
        }
        received.set(t, k + 1);
        const dst = ensureGrad(t);
        return [{ kind: 'grad_copy', src: grad, dst, accumulate: k > 0, elements: elems(g.tensors[t].shape) }];
      },
      shareInto(t, grad) {
        if (dryRun) return false;
        const k = received.get(t) ?? 0;
        if (k !== 0 || (total.get(t) ?? 0) !== 1) return false;
        // Same element count is required for sharing bytes.
        const gBase = grad.replace(/^grad:/, '');
        if (g.tensors[gBase] && elems(g.tensors[gBase].shape) !== elems(g.tensors[t].shape)) return false;
        received.set(t, 1);
        aliases[gradName(t)] = grad;
        return true;
      },
      scratch(name, elements) {
        addBuffer({ name, kind: 'scratch', dtype: 'float32', elements, bytes: 4 * elements });
        return name;
      },
      shapeOf: (t) => g.tensors[t].shape,
      clampBackward(n) {
        if (dryRun || !('act' in n)) return [];
        const b = clampBounds(n, g.tensors[n.output]);
        if (!b) return [];
        const e = elems(g.tensors[n.output].shape);
        if (kept.has(n.output)) {
          return [{ kind: 'clamp_backward', grad: gradName(n.output), source: n.output, sourceKind: 'int8', lo: b.lo, hi: b.hi, elements: e }];
        }
        const m = `mask:${n.output}`;
        masks.set(n.output, b);
        addBuffer({ name: m, kind: 'mask', dtype: 'bits', elements: e, bytes: Math.ceil(e / 8) });
        return [{ kind: 'clamp_backward', grad: gradName(n.output), source: m, sourceKind: 'mask', lo: b.lo, hi: b.hi, elements: e }];
      },
      update: (n) => updates.get(n.name),
      savedInput(n) {
        const s = savedInput.get(n.name);
        if (!s) throw new Error(`layer '${n.name}' has no saved input`);
        return s;
      },
    };
  }

  // Phase 2: loss and backward, in reverse order.
  const ctx = makeContext(false);
  const backward: TrainStep[] = [];
  if (updates.size > 0) {
    const lossGrad = ensureGrad(g.output);
    backward.push({ kind: 'loss', logits: g.output, grad: lossGrad });
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (!onPath(n)) continue;
      if (n.output !== g.output && (received.get(n.output) ?? 0) === 0) continue; // no gradient reaches it
      backward.push(...gradRule(n.op).backward(n, ctx));
    }
  }

  // Phase 3: forward with saves and masks right after their producers.
  const forward: TrainStep[] = [];
  const afterProducing = (t: string): void => {
    for (const s of saves.filter((x) => x.from === t || resolve(x.from) === t)) {
      forward.push({ kind: 'save', from: s.from, to: s.to, channels: s.layer.channels, plane: s.plane, layer: s.layer.layer });
    }
    const m = masks.get(t);
    if (m) forward.push({ kind: 'mask', from: t, to: `mask:${t}`, lo: m.lo, hi: m.hi, elements: elems(g.tensors[t].shape) });
  };
  const resolve = (t: string): string => { let x = t; while (aliases[x] !== undefined && !x.startsWith('grad:')) x = aliases[x]; return x; };
  afterProducing(g.input);
  for (const n of g.nodes) {
    if (opts.im2col && n.op === 'conv' && convKind(n, g.tensors[n.inputs[0]].shape[1]) === 'regular') {
      const scratch = `im2col:${n.name}`;
      addBuffer({ name: scratch, kind: 'scratch', dtype: 'int8', elements: im2colBytes(n), bytes: im2colBytes(n) });
      forward.push({ kind: 'forward', node: n, scratch });
    } else {
      forward.push({ kind: 'forward', node: n });
    }
    if (n.op !== 'reshape') afterProducing(n.output);
  }
  if (!producer.size) notes.push('the graph has no ops');

  const updated = scheme.layers.filter((l) => updates.has(l.layer));
  return {
    qgraph: g,
    scheme,
    steps: [...forward, ...backward],
    buffers: [...buffers.values()].filter((b) => aliases[b.name] === undefined),
    aliases,
    updated,
    rounding: opts.rounding,
    lossStep: forward.length,
    notes,
  };
}

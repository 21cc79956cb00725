// Channel-streamed backward through a depthwise conv. In an inverted residual block
// (expand conv -> depthwise -> project), updating the expand conv needs the depthwise's
// input gradient: C x H x W floats at the block's widest and, after a stride-2 depthwise,
// four times the output gradient. But channel c of that gradient depends only on channel c
// of the depthwise's output gradient, and the expand conv consumes it one output channel
// at a time (its input gradient accumulates over output channels; its weight and bias
// updates are per output channel). So the two run together, one channel plane at a time
// (tt_stream_backward_f32), and the big gradient is never whole.
// When P's input gradient in turn only feeds the conv Q before P (Q's clamp and updates,
// not Q's input gradient), it is streamed too: one channel plane j of it at a time, summed
// over D's planes recomputed for every j, consumed at once by Q's row j. D's backward is
// cheap next to P's; P's C_in x H x W input gradient is never whole either.
// A global average pool is a source like D: its input gradient's channel c is its output
// gradient's c-th value spread over the plane. Streaming it saves the pool's C x H x W
// input gradient but splits the producer's blocked backward into channel batches, so the
// schedule takes it only where it lowers the arena (pipeline/schedule.ts).
import { QConv, QGraph, QNode, splitWeights } from '../ir/qgraph';
import { TrainGraph, TrainStep } from '../ir/train';
import { stepAccess } from './steps';

const isDepthwise = (n: QConv, g: QGraph): boolean =>
  n.group > 1 && n.weightShape[0] === n.group && n.weightShape[1] === 1 && g.tensors[n.inputs[0]].shape[1] === n.group;

const touches = (s: TrainStep, t: string): boolean => {
  const a = stepAccess(s);
  return a.reads.includes(t) || a.writes.includes(t);
};

type Step<K extends TrainStep['kind']> = Extract<TrainStep, { kind: K }>;

/** The steps after `from` that use gradient gx, when they are only `node`'s clamp (first),
 * input gradient and updates, and moving them to `from` reorders nothing they depend on. */
function consumers(steps: TrainStep[], from: number, gx: string, node: QConv): {
  at: number[]; clamp?: Step<'clamp_backward'>; bwd?: Step<'backward_input'>; upW?: Step<'update_weight'>; upB?: Step<'update_bias'>;
} | null {
  const at: number[] = [];
  for (let j = from + 1; j < steps.length; j++) {
    const t = steps[j];
    if (!touches(t, gx)) continue;
    at.push(j);
    const ok = (t.kind === 'clamp_backward' && t.grad === gx)
      || ((t.kind === 'backward_input' || t.kind === 'update_weight' || t.kind === 'update_bias') && t.node === node && t.gradOut === gx);
    if (!ok) return null;
  }
  if (at.length === 0) return null;
  const user = <K extends TrainStep['kind']>(k: K): Step<K> | undefined => at.map((j) => steps[j]).find((t): t is Step<K> => t.kind === k);
  const clamp = user('clamp_backward');
  const bwd = user('backward_input');
  const upW = user('update_weight');
  const upB = user('update_bias');
  if (clamp && steps[at[0]] !== clamp) return null; // the clamp must come first
  // Steps between that the move would reorder must not touch what the moved steps use.
  const moved = [bwd?.gradIn, upW?.saved].filter((t): t is string => !!t);
  const last = at[at.length - 1];
  if (steps.slice(from + 1, last).some((t, k) => !at.includes(from + 1 + k) && moved.some((m) => touches(t, m)))) return null;
  return { at, clamp, bwd, upW, upB };
}

const clampOf = (c: Step<'clamp_backward'> | undefined) => (c ? { clamp: { source: c.source, sourceKind: c.sourceKind, lo: c.lo, hi: c.hi } } : {});

/** Weights split between flash and SRAM (a partial update): the second stream level reads
 * P's weights, and recomputes with Q's, as one array. */
const split = (n: QConv, u: Step<'update_weight'> | undefined, g: QGraph): boolean =>
  !!u && splitWeights(n, u.layer.weightRatio, g.tensors[n.inputs[0]].shape[1]);

/** The TrainGraph with every eligible depthwise (with opts.gap, also global average pool)
 * + producer backward pair streamed, and,
 * where P's input gradient only feeds the conv Q before P (its clamp and updates, no input
 * gradient of Q), P's input gradient streamed into Q as well. */
export function streamBackward(tg: TrainGraph, opts: { gap?: boolean; recompute?: boolean } = {}): TrainGraph {
  const g = tg.qgraph;
  const steps = [...tg.steps];
  const dropped = new Set<string>();
  const added: TrainGraph['buffers'] = [];
  const aliased = new Set([...Object.keys(tg.aliases), ...Object.values(tg.aliases)]);
  const planeBuffer = (n: QNode, t: string): string => {
    const [, , h, w] = g.tensors[t].shape;
    added.push({ name: `plane:${n.name}`, kind: 'scratch', dtype: 'float32', elements: h * w, bytes: 4 * h * w });
    return `plane:${n.name}`;
  };
  let count = 0;
  let pools = 0;
  let twoLevel = 0;
  let recomputed = 0;
  const unused = new Set<string>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.kind !== 'backward_input' || s.inPlaceScratch || s.accumulate) continue;
    const src = s.node;
    if (!(src.op === 'conv' && isDepthwise(src, g)) && !(opts.gap && src.op === 'gap')) continue;
    const gx = s.gradIn;
    const x = src.inputs[0];
    const producer = g.nodes.find((n) => n.output === x);
    if (!producer || producer.op !== 'conv' || producer.group !== 1 || aliased.has(gx)) continue;
    if (steps.slice(0, i).some((t) => touches(t, gx))) continue;
    const u = consumers(steps, i, gx, producer);
    if (!u) continue;
    const { clamp, bwd, upW, upB } = u;
    const base = {
      kind: 'stream_backward' as const, source: src, producer, gradOut: s.gradOut, plane: planeBuffer(src, x),
      ...clampOf(clamp),
      ...(upW ? { weight: { layer: upW.layer, saved: upW.saved } } : {}),
      ...(upB ? { bias: upB.layer } : {}),
    };
    const step: Step<'stream_backward'> = { ...base, ...(bwd ? { gradIn: { buffer: bwd.gradIn, accumulate: bwd.accumulate } } : {}) };
    steps[i] = step;
    for (const j of [...u.at].reverse()) steps.splice(j, 1);
    dropped.add(gx);
    if (src.op === 'conv') count++; else pools++;
    // Second level: P's input gradient gx2 consumed only by Q's clamp and updates.
    const gx2 = bwd?.gradIn;
    const q = g.nodes.find((n) => n.output === producer.inputs[0]);
    if (!bwd || !gx2 || bwd.accumulate || aliased.has(gx2) || split(producer, upW, g)) continue;
    if (!q || q.op !== 'conv' || q.group !== 1) continue;
    if (steps.some((t, k) => k !== i && k < i && touches(t, gx2))) continue;
    const v = consumers(steps, i, gx2, q);
    if (!v || v.bwd || !(v.upW || v.upB)) continue;
    const x2 = producer.inputs[0];
    for (const j of [...v.at].reverse()) steps.splice(j, 1);
    // P's input x2 recomputed channel by channel instead of kept: Q's weight update keeps
    // Q's input live anyway, and nothing else reads x2 after P's forward (its mask or
    // partial save only served these steps).
    const copies = steps.filter((t, k) => k !== i && (t.kind === 'mask' || t.kind === 'save') && t.from === x2);
    const recompute = opts.recompute === true && !!v.upW && v.upW.saved === q.inputs[0] && !split(q, v.upW, g) && !aliased.has(x2)
      && steps.every((t, k) => k === i || copies.includes(t) || !stepAccess(t).reads.includes(x2) || (t.kind === 'forward' && t.node === producer))
      && copies.every((c) => steps.every((t, k) => k === i || !stepAccess(t).reads.includes((c as Step<'mask'>).to)));
    const [, , xh, xw] = g.tensors[x2].shape;
    if (recompute) {
      added.push({ name: `recompute:${x2}`, kind: 'scratch', dtype: 'int8', elements: xh * xw, bytes: xh * xw });
      for (const c of copies) {
        steps.splice(steps.indexOf(c), 1);
        unused.add((c as Step<'mask'>).to);
      }
      i = steps.findIndex((t) => t === step);
      recomputed++;
    }
    steps[i] = {
      ...base,
      next: {
        node: q, plane: planeBuffer(producer, x2), ...clampOf(v.clamp),
        ...(v.upW ? { weight: { layer: v.upW.layer, saved: v.upW.saved } } : {}),
        ...(v.upB ? { bias: v.upB.layer } : {}),
        ...(recompute ? { recompute: { plane: `recompute:${x2}` } } : {}),
      },
    };
    dropped.add(gx2);
    twoLevel++;
  }
  if (!count && !pools) return tg;
  const names = [...dropped].map((d) => d.replace(/^grad:/, '')).join(', ');
  const through = [count ? `${count} depthwise conv${count > 1 ? 's' : ''}` : '', pools ? `${pools} global average pool${pools > 1 ? 's' : ''}` : ''].filter(Boolean).join(' and ');
  return {
    ...tg,
    steps,
    buffers: [...tg.buffers.filter((b) => !dropped.has(b.name) && !unused.has(b.name)), ...added],
    lossStep: steps.findIndex((t) => t.kind === 'loss'),
    notes: [...tg.notes, `backward streamed channel by channel through ${through}${twoLevel ? ` (${twoLevel} on into the conv before the next conv${recomputed ? `, ${recomputed} recomputing its input channel by channel` : ''})` : ''}: no full input gradient for ${names}`],
  };
}

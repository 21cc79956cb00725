// Channel-streamed backward through a depthwise conv. In an inverted residual block
// (expand conv -> depthwise -> project), updating the expand conv needs the depthwise's
// input gradient: C x H x W floats at the block's widest and, after a stride-2 depthwise,
// four times the output gradient. But channel c of that gradient depends only on channel c
// of the depthwise's output gradient, and the expand conv consumes it one output channel
// at a time (its input gradient accumulates over output channels; its weight and bias
// updates are per output channel). So the two run together, one channel plane at a time
// (tt_stream_backward_f32), and the big gradient is never whole.
import { QConv, QGraph } from '../ir/qgraph';
import { TrainGraph, TrainStep } from '../ir/train';
import { stepAccess } from './steps';

const isDepthwise = (n: QConv, g: QGraph): boolean =>
  n.group > 1 && n.weightShape[0] === n.group && n.weightShape[1] === 1 && g.tensors[n.inputs[0]].shape[1] === n.group;

const touches = (s: TrainStep, t: string): boolean => {
  const a = stepAccess(s);
  return a.reads.includes(t) || a.writes.includes(t);
};

/** The TrainGraph with every eligible depthwise + producer backward pair streamed. */
export function streamBackward(tg: TrainGraph): TrainGraph {
  const g = tg.qgraph;
  const steps = [...tg.steps];
  const dropped = new Set<string>();
  const added: TrainGraph['buffers'] = [];
  const aliased = new Set([...Object.keys(tg.aliases), ...Object.values(tg.aliases)]);
  let count = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.kind !== 'backward_input' || s.node.op !== 'conv' || s.inPlaceScratch || s.accumulate) continue;
    const dw = s.node;
    if (!isDepthwise(dw, g)) continue;
    const gx = s.gradIn;
    const x = dw.inputs[0];
    const producer = g.nodes.find((n) => n.output === x);
    if (!producer || producer.op !== 'conv' || producer.group !== 1 || aliased.has(gx)) continue;
    if (steps.slice(0, i).some((t) => touches(t, gx))) continue;
    // Every later step on gx must be the producer's clamp, input gradient or update.
    const users: number[] = [];
    let ok = true;
    for (let j = i + 1; j < steps.length && ok; j++) {
      const t = steps[j];
      if (!touches(t, gx)) continue;
      users.push(j);
      ok = (t.kind === 'clamp_backward' && t.grad === gx)
        || ((t.kind === 'backward_input' || t.kind === 'update_weight' || t.kind === 'update_bias') && t.node === producer && t.gradOut === gx);
    }
    if (!ok || users.length === 0) continue;
    const user = (k: TrainStep['kind']): TrainStep | undefined => users.map((j) => steps[j]).find((t) => t.kind === k);
    const clamp = user('clamp_backward') as Extract<TrainStep, { kind: 'clamp_backward' }> | undefined;
    const bwd = user('backward_input') as Extract<TrainStep, { kind: 'backward_input' }> | undefined;
    const upW = user('update_weight') as Extract<TrainStep, { kind: 'update_weight' }> | undefined;
    const upB = user('update_bias') as Extract<TrainStep, { kind: 'update_bias' }> | undefined;
    if (clamp && users.indexOf(steps.indexOf(clamp)) !== 0) continue; // the clamp must come first
    // Steps between that the move would reorder must not touch what the producer's steps use.
    const moved = new Set([bwd?.gradIn, upW?.saved].filter((t): t is string => !!t));
    const last = users[users.length - 1];
    if (steps.slice(i + 1, last).some((t, k) => !users.includes(i + 1 + k) && [...moved].some((m) => touches(t, m)))) continue;
    const [, , h, w] = g.tensors[x].shape;
    const plane = `plane:${dw.name}`;
    added.push({ name: plane, kind: 'scratch', dtype: 'float32', elements: h * w, bytes: 4 * h * w });
    steps[i] = {
      kind: 'stream_backward', dw, producer, gradOut: s.gradOut, plane,
      ...(clamp ? { clamp: { source: clamp.source, sourceKind: clamp.sourceKind, lo: clamp.lo, hi: clamp.hi } } : {}),
      ...(bwd ? { gradIn: { buffer: bwd.gradIn, accumulate: bwd.accumulate } } : {}),
      ...(upW ? { weight: { layer: upW.layer, saved: upW.saved } } : {}),
      ...(upB ? { bias: upB.layer } : {}),
    };
    for (const j of [...users].reverse()) steps.splice(j, 1);
    dropped.add(gx);
    count++;
  }
  if (!count) return tg;
  return {
    ...tg,
    steps,
    buffers: [...tg.buffers.filter((b) => !dropped.has(b.name)), ...added],
    notes: [...tg.notes, `backward streamed channel by channel through ${count} depthwise conv${count > 1 ? 's' : ''}: no full input gradient for ${[...dropped].map((d) => d.replace(/^grad:/, '')).join(', ')}`],
  };
}

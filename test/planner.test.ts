// memory/ planner: validity (no two buffers live at one step share a byte), the lower
// bound against its definition, optimality where it is known to be reachable (nested
// lifetimes, chains, zero-waste tilings), the ratio to the lower bound on real training
// graphs (the zoo's MCUNet-5fps, MobileNetV2-w0.35 and ProxylessNAS-w0.3 through the train
// stage, untiled and with every tiled prefix; TTE's own exported graph) and synthetic
// ones, determinism, speed, and never losing to the greedy orders of the first planner.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { QAdd, QConv, QGemm, QGraph, QNode, QTensor } from '../src/ir/qgraph';
import { planMemory, lowerBound, trainSchedule, Plan, PlanInput, PlanTensor, PlanStep } from '../src/memory';
import { lifetimes } from '../src/memory/lifetimes';
import { evaluateGraph, importOnnx } from '../src/onnx';
import { CalibrationStats, quantize } from '../src/quant';
import { resolveScheme } from '../src/sparse';
import { buildTrainGraph } from '../src/train';
import { tilingCandidates, tilePrefix } from '../src/train/tiling';
import { TrainGraph } from '../src/ir/train';

const ROOT = path.resolve(__dirname, '..', '..');
const SCHEMES = path.join(ROOT, 'test', 'fixtures', 'schemes');
const ZOO = path.join(ROOT, 'models', 'zoo');
const TTE_GRAPH = [
  path.join(ROOT, '..', 'shared', 'anchors', 'tte-mcunet-5fps-128-49kb-graph.json'),
  '/work/shared/anchors/tte-mcunet-5fps-128-49kb-graph.json',
].find((p) => fs.existsSync(p));

// ---------------------------------------------------------------- oracles

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** No two buffers live at a common step share a byte; offsets aligned; all inside the arena. */
export function assertValid(plan: Plan, input: PlanInput, label: string): void {
  const bufs = [...plan.buffers].sort((a, b) => a.first - b.first);
  let maxEnd = 0;
  for (const b of plan.buffers) {
    assert.ok(b.offset >= 0 && Number.isInteger(b.offset), `${label}: ${b.name} at offset ${b.offset}`);
    assert.equal(b.offset % input.alignment, 0, `${label}: ${b.name} offset ${b.offset} not aligned`);
    maxEnd = Math.max(maxEnd, b.offset + b.bytes);
  }
  assert.equal(plan.arenaBytes, maxEnd, `${label}: arena is the highest end`);
  // Sweep over starts: every pair live together is checked exactly once.
  const active: typeof bufs = [];
  for (const b of bufs) {
    for (let k = active.length - 1; k >= 0; k--) if (active[k].last < b.first) active.splice(k, 1);
    for (const a of active) {
      const bytesOverlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      assert.ok(!bytesOverlap, `${label}: ${a.name} [${a.offset}, +${a.bytes}) steps ${a.first}..${a.last} overlaps ${b.name} [${b.offset}, +${b.bytes}) steps ${b.first}..${b.last}`);
    }
    active.push(b);
  }
  assert.ok(plan.arenaBytes >= plan.lowerBoundBytes, `${label}: arena ${plan.arenaBytes} below the lower bound ${plan.lowerBoundBytes}`);
}

/** The lower bound from its definition: total bytes live at each step, every step. */
function lowerBoundByDefinition(input: PlanInput): number {
  const ivs = lifetimes(input);
  let best = 0;
  for (let s = -1; s <= input.steps.length; s++) {
    let total = 0;
    for (const iv of ivs) if (iv.first <= s && s <= iv.last) total += iv.bytes;
    best = Math.max(best, total);
  }
  return best;
}

/** The first planner, verbatim: best fit in 4 orders, O(n²) per order. The regression baseline. */
export function legacyGreedy(input: PlanInput): number {
  const ivs = lifetimes(input);
  const place = (order: typeof ivs): number => {
    const placed: { iv: (typeof ivs)[number]; offset: number }[] = [];
    let size = 0;
    for (const iv of order) {
      const busy = placed
        .filter((p) => p.iv.first <= iv.last && iv.first <= p.iv.last)
        .map((p) => [p.offset, p.offset + p.iv.bytes] as [number, number])
        .sort((a, b) => a[0] - b[0]);
      let bestOffset = -1;
      let bestGap = Infinity;
      let cursor = 0;
      for (const [lo, hi] of busy) {
        const gap = lo - cursor;
        if (gap >= iv.bytes && gap < bestGap) { bestGap = gap; bestOffset = cursor; }
        cursor = Math.max(cursor, Math.ceil(hi / input.alignment) * input.alignment);
      }
      if (bestOffset < 0) bestOffset = cursor;
      placed.push({ iv, offset: bestOffset });
      size = Math.max(size, bestOffset + iv.bytes);
    }
    return size;
  };
  const orders: ((a: (typeof ivs)[number], b: (typeof ivs)[number]) => number)[] = [
    (a, b) => b.bytes - a.bytes || a.first - b.first,
    (a, b) => b.bytes * (b.last - b.first + 1) - a.bytes * (a.last - a.first + 1) || b.bytes - a.bytes,
    (a, b) => (b.last - b.first) - (a.last - a.first) || b.bytes - a.bytes,
    (a, b) => a.first - b.first || b.bytes - a.bytes,
  ];
  return Math.min(...orders.map((cmp) => place([...ivs].sort(cmp))));
}

// ---------------------------------------------------------------- instance builders

/** PlanInput from explicit lifetimes: tensor i is written at first[i] and read at last[i]. */
export function fromLifetimes(specs: { bytes: number; first: number; last: number }[], alignment = 4, extra: Partial<PlanInput> = {}): PlanInput {
  const nSteps = specs.reduce((m, s) => Math.max(m, s.last + 1), 0);
  const steps: PlanStep[] = Array.from({ length: nSteps }, (_, i) => ({ label: `s${i}`, reads: [], writes: [] }));
  const tensors: PlanTensor[] = specs.map((s, i) => ({ name: `t${i}`, bytes: s.bytes, kind: 'activation' }));
  specs.forEach((s, i) => { steps[s.first].writes.push(`t${i}`); steps[s.last].reads.push(`t${i}`); });
  return { tensors, steps, aliases: {}, alignment, ...extra };
}

/**
 * Random tensors with realistic sizes: mostly tiny (masks, biases, scalars), some
 * mid-sized, a few huge (the first feature maps and their float gradients); lifetimes
 * mostly short with a tail of long ones (saved activations); some aliases (reshapes and
 * in-place ops) and tensors live at the start or the end.
 */
export function randomInstance(seed: number, n: number, nSteps = Math.max(8, Math.round(n * 0.6))): PlanInput {
  const r = prng(seed);
  const size = (): number => {
    const u = r();
    if (u < 0.6) return 1 + Math.floor(r() * 256);
    if (u < 0.93) return 512 + Math.floor(r() * 16384);
    return 32768 + Math.floor(r() * 200000);
  };
  const specs = Array.from({ length: n }, () => {
    const first = Math.floor(r() * nSteps);
    const u = r();
    const len = u < 0.7 ? Math.floor(r() * 3) : u < 0.95 ? Math.floor(r() * 20) : Math.floor(r() * nSteps);
    return { bytes: size(), first, last: Math.min(nSteps - 1, first + len) };
  });
  const input = fromLifetimes(specs, 4);
  // Aliases: an extra name for an existing tensor, used one step later.
  const nAlias = Math.floor(n / 10);
  for (let k = 0; k < nAlias; k++) {
    const base = Math.floor(r() * n);
    const name = `alias${k}`;
    input.tensors.push({ name, bytes: input.tensors[base].bytes, kind: 'activation' });
    input.aliases[name] = k > 0 && r() < 0.3 ? `alias${k - 1}` : `t${base}`;
    const step = Math.min(nSteps - 1, specs[base].last + Math.floor(r() * 3));
    input.steps[step].reads.push(name);
  }
  input.tensors[0].liveAtStart = true;
  input.tensors[n - 1].liveAtEnd = true;
  return input;
}

/**
 * Nested lifetimes (any two are disjoint or one contains the other), as in a stack of
 * calls: the lower bound is reachable (push on entry, pop on exit).
 */
export function stackInstance(seed: number, n: number): PlanInput {
  const r = prng(seed);
  const specs: { bytes: number; first: number; last: number }[] = [];
  const gen = (lo: number, hi: number, depth: number): void => {
    if (specs.length >= n) return;
    const copies = r() < 0.15 ? 2 : 1;
    for (let c = 0; c < copies && specs.length < n; c++) {
      const u = r();
      specs.push({ bytes: u < 0.5 ? 4 + Math.floor(r() * 200) : u < 0.95 ? 1000 + Math.floor(r() * 20000) : 50000 + Math.floor(r() * 100000), first: lo, last: hi });
    }
    if (hi - lo < 2 || depth > 12) return;
    let at = lo + (r() < 0.5 ? 1 : 0);
    while (at < hi && specs.length < n) {
      const len = Math.floor(r() * Math.min(hi - at, 1 + (hi - lo) / 2));
      gen(at, at + len, depth + 1);
      at += len + 1 + (r() < 0.3 ? 1 : 0);
    }
  };
  while (specs.length < n) {
    const base = specs.length ? specs.reduce((m, s) => Math.max(m, s.last), 0) + 1 : 0;
    gen(base, base + 4 * n, 0);
  }
  return fromLifetimes(specs);
}

/**
 * A zero-waste instance: a rectangle of `height` bytes by `steps` steps cut into `pieces`
 * rectangles by random guillotine cuts (in time or in bytes). Every step is exactly full,
 * so the lower bound is `height` and the cutting itself is a placement that reaches it.
 * The classic hard case for dynamic storage allocation.
 */
export function tilingInstance(seed: number, pieces: number, height = 4096, steps = 64): PlanInput {
  const r = prng(seed);
  const rects = [{ o: 0, h: height, f: 0, l: steps - 1 }];
  while (rects.length < pieces) {
    rects.sort((a, b) => b.h * (b.l - b.f + 1) - a.h * (a.l - a.f + 1));
    const x = rects.shift()!;
    const inTime = x.l > x.f;
    const inBytes = x.h >= 8;
    if (!inTime && !inBytes) { rects.push(x); break; }
    if (inTime && (!inBytes || r() < 0.5)) {
      const cut = x.f + Math.floor(r() * (x.l - x.f));
      rects.push({ ...x, l: cut }, { ...x, f: cut + 1 });
    } else {
      const cut = 4 * (1 + Math.floor(r() * (x.h / 4 - 1)));
      rects.push({ ...x, h: cut }, { ...x, o: x.o + cut, h: x.h - cut });
    }
  }
  return fromLifetimes(rects.map((x) => ({ bytes: x.h, first: x.f, last: x.l })));
}

// A MobileNetV2-style network as a QGraph (values are irrelevant to planning, shapes are not).

interface NetSpec {
  name: string;
  res: number;
  stem: number;
  /** [expand channels (0 = none), kernel, stride, out channels] */
  blocks: [number, number, number, number][];
  classes: number;
}

/** MCUNet-5fps at 128x128 (ANCHORS.md): stem, 14 inverted-residual blocks, GAP, classifier. */
export const MCUNET_5FPS: NetSpec = {
  name: 'mcunet-5fps', res: 128, stem: 16, classes: 10,
  blocks: [[0, 3, 1, 8], [32, 3, 2, 16], [48, 3, 1, 16], [48, 7, 2, 24], [120, 3, 1, 24], [120, 3, 2, 40], [160, 7, 1, 40],
    [160, 5, 1, 48], [144, 3, 1, 48], [192, 3, 1, 48], [240, 7, 2, 96], [384, 5, 1, 96], [384, 5, 1, 96], [576, 3, 1, 160]],
};

/** MobileNetV2-w0.35 at 128x128 (channels rounded to multiples of 8, as torchvision). */
export const MBV2_035: NetSpec = {
  name: 'mbv2-w0.35', res: 128, stem: 16, classes: 10,
  blocks: [[0, 3, 1, 8], [48, 3, 2, 8], [48, 3, 1, 8], [48, 3, 2, 16], [96, 3, 1, 16], [96, 3, 1, 16], [96, 3, 2, 24], [144, 3, 1, 24],
    [144, 3, 1, 24], [144, 3, 1, 24], [144, 3, 1, 32], [192, 3, 1, 32], [192, 3, 1, 32], [192, 3, 2, 56], [336, 3, 1, 56],
    [336, 3, 1, 56], [336, 3, 1, 112]],
};

/** A random MobileNet-like spec: `nBlocks` blocks, resolution halving a few times. */
export function randomNetSpec(seed: number, nBlocks: number, res = 64, maxChannels = 160): NetSpec {
  const r = prng(seed);
  let c = 8 * (1 + Math.floor(r() * 3));
  let hw = res / 2;
  const blocks: [number, number, number, number][] = [];
  for (let b = 0; b < nBlocks; b++) {
    const stride = hw > 2 && r() < Math.min(0.5, 4 / nBlocks) ? 2 : 1;
    if (stride === 2) hw /= 2;
    const out = r() < 0.25 ? Math.min(maxChannels, c + 8 * (1 + Math.floor(r() * 3))) : c;
    const e = b === 0 ? 0 : c * (2 + Math.floor(r() * 5));
    blocks.push([e, [3, 5, 7][Math.floor(r() * 3)], stride, out]);
    c = out;
  }
  return { name: `random-${seed}-${nBlocks}`, res, stem: 8 * (1 + Math.floor(r() * 2)), classes: 10, blocks };
}

export function netGraph(spec: NetSpec): QGraph {
  const tensors: Record<string, QTensor> = {};
  const nodes: QNode[] = [];
  const tensor = (name: string, shape: number[], relu6: boolean): string => {
    tensors[name] = { name, shape, scale: relu6 ? 6 / 255 : 0.05, zeroPoint: relu6 ? -128 : 0, min: relu6 ? 0 : -6, max: 6 };
    return name;
  };
  let lcg = 12345;
  const weights = (n: number): Int8Array => {
    const w = new Int8Array(n);
    for (let i = 0; i < n; i++) { lcg = (Math.imul(lcg, 1103515245) + 12345) >>> 0; w[i] = (lcg >>> 24) - 128; }
    return w;
  };
  const conv = (name: string, x: string, cout: number, k: number, stride: number, group: number, relu6: boolean): string => {
    const [, cin, h, w] = tensors[x].shape;
    const p = k >> 1;
    const ho = Math.floor((h + 2 * p - k) / stride) + 1;
    const wo = Math.floor((w + 2 * p - k) / stride) + 1;
    const y = tensor(`${name}_out`, [1, cout, ho, wo], relu6);
    const node: QConv = {
      op: 'conv', name, from: ['Conv'], inputs: [x], output: y,
      weight: weights(cout * (cin / group) * k * k), weightShape: [cout, cin / group, k, k],
      weightScale: new Float32Array(cout).fill(0.01), bias: new Int32Array(cout), multiplier: new Int32Array(cout).fill(1 << 30), shift: new Int32Array(cout),
      strides: [stride, stride], pads: [p, p, p, p], group, act: relu6 ? { kind: 'clip', min: 0, max: 6 } : { kind: 'none' },
      actMin: -128, actMax: 127,
    };
    nodes.push(node);
    return y;
  };
  let x = tensor('input', [1, 3, spec.res, spec.res], false);
  x = conv('v0', x, spec.stem, 3, 2, 1, true);
  spec.blocks.forEach(([e, k, s, out], b) => {
    const v = `v${b + 1}`;
    const cin = tensors[x].shape[1];
    let h = x;
    let i = 0;
    if (e > 0) h = conv(`${v}_conv_${i++}`, h, e, 1, 1, 1, true);
    const mid = tensors[h].shape[1];
    h = conv(`${v}_conv_${i++}`, h, mid, k, s, mid, true);
    h = conv(`${v}_conv_${i++}`, h, out, 1, 1, 1, false);
    if (s === 1 && cin === out) {
      const y = tensor(`${v}_add_out`, tensors[h].shape, false);
      const add: QAdd = {
        op: 'add', name: `${v}_add`, from: ['Add'], inputs: [x, h], output: y, leftShift: 20,
        inputMultiplier: [1 << 30, 1 << 30], inputShift: [0, 0], outputMultiplier: 1 << 30, outputShift: 0,
        act: { kind: 'none' }, actMin: -128, actMax: 127,
      };
      nodes.push(add);
      h = y;
    }
    x = h;
  });
  const [, c, hh, ww] = tensors[x].shape;
  const pooled = tensor('pooled', [1, c, 1, 1], false);
  nodes.push({ op: 'gap', name: 'mcumean', from: ['GlobalAveragePool'], inputs: [x], output: pooled, kernel: [hh, ww], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false, multiplier: 1 << 30, shift: 0 });
  const flat = tensor('flat', [1, c], false);
  nodes.push({ op: 'reshape', name: 'flatten', from: ['Flatten'], inputs: [pooled], output: flat });
  const logits = tensor('logits', [1, spec.classes], false);
  const fc: QGemm = {
    op: 'gemm', name: `v${spec.blocks.length + 1}`, from: ['Gemm'], inputs: [flat], output: logits,
    weight: weights(spec.classes * c), weightShape: [spec.classes, c], weightScale: new Float32Array(spec.classes).fill(0.02),
    bias: new Int32Array(spec.classes), multiplier: new Int32Array(spec.classes).fill(1 << 30), shift: new Int32Array(spec.classes),
    act: { kind: 'none' }, actMin: -128, actMax: 127,
  };
  nodes.push(fc);
  return { name: spec.name, input: 'input', output: logits, nodes, tensors, notes: [] };
}

/** The training-step schedule the pipeline plans, for a network and a scheme (preset, MIT file, or our JSON). */
export function trainInput(g: QGraph, scheme: string | object): PlanInput {
  const s = typeof scheme === 'string'
    ? resolveScheme(scheme, g)
    : resolveScheme('s.json', g, { readFile: () => JSON.stringify(scheme) });
  return trainSchedule(buildTrainGraph(g, s, { rounding: 'stochastic' }));
}

/** A random sparse scheme in our JSON format: biases of the last layers, a few partial weight updates. */
export function randomScheme(seed: number, nLayers: number): object {
  const r = prng(seed);
  const nBias = Math.floor(nLayers * (0.3 + 0.5 * r()));
  const layers: { layer: number; bias: boolean; weight_ratio: number }[] = [];
  for (let i = nLayers - nBias; i < nLayers; i++) {
    const w = r() < 0.2 || i === nLayers - 1 ? [0.125, 0.25, 0.5, 1][Math.floor(r() * 4)] : 0;
    layers.push({ layer: i, bias: true, weight_ratio: w });
  }
  return { layers };
}

/** TTE's exported MCUNet training graph (ANCHORS.md) as a schedule: one step per op, every activation a buffer. */
export function tteInput(file: string): PlanInput {
  const ops = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    name: string; type: string;
    inputs: { name: string; var_type: string }[];
    outputs: { name: string; shape: number[]; dtype: string }[];
  }[];
  const bytesOf: Record<string, number> = { int8: 1, bool: 1, int32: 4, float32: 4 };
  const tensors: PlanTensor[] = [];
  const aliases: Record<string, string> = {};
  const steps: PlanStep[] = ops.map((op) => {
    for (const o of op.outputs) {
      tensors.push({ name: o.name, bytes: o.shape.reduce((a, b) => a * b, 1) * (bytesOf[o.dtype] ?? 4), kind: 'activation' });
    }
    const reads = op.inputs.filter((i) => i.var_type === 'activation').map((i) => i.name);
    if (op.type === 'reshape' && reads.length === 1) aliases[op.outputs[0].name] = reads[0];
    return { label: op.name, reads, writes: op.outputs.map((o) => o.name) };
  });
  return { tensors, steps, aliases, alignment: 4 };
}

/** A zoo model, quantized with ranges from the float evaluator on one input (memory does not depend on values). */
export function zooGraph(model: string): QGraph {
  const g = importOnnx(fs.readFileSync(path.join(ZOO, `${model}.onnx`)), { name: model });
  const n = g.input.shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37));
  const stats: CalibrationStats = {};
  for (const [t, v] of Object.entries(evaluateGraph(g, x))) {
    let min = Infinity;
    let max = -Infinity;
    for (const e of v) { min = Math.min(min, e); max = Math.max(max, e); }
    stats[t] = { min, max };
  }
  return quantize(g, stats);
}

// ---------------------------------------------------------------- tests

const ratio = (p: Plan): number => (p.lowerBoundBytes ? p.arenaBytes / p.lowerBoundBytes : 1);
const fmt = (p: Plan, ms: number): string =>
  `${p.buffers.length} buffers, arena ${p.arenaBytes} / lower bound ${p.lowerBoundBytes} = ${ratio(p).toFixed(4)} (greedy ${((p.search?.greedyBytes ?? 0) / (p.lowerBoundBytes || 1)).toFixed(4)}), ${p.strategy}, ${ms.toFixed(0)} ms`;

function timed(input: PlanInput): { plan: Plan; ms: number } {
  const t0 = process.hrtime.bigint();
  const plan = planMemory(input);
  return { plan, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

describe('memory planner', () => {
  it('the lower bound (one sweep) equals its definition, with the live tensors at the peak step', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const input = randomInstance(seed, 20 + seed * 5);
      const ivs = lifetimes(input);
      const lb = lowerBound(ivs);
      assert.equal(lb.bytes, lowerBoundByDefinition(input), `seed ${seed}`);
      const live = ivs.filter((iv) => iv.first <= lb.step && lb.step <= iv.last);
      assert.deepEqual(lb.live, live.map((iv) => iv.name));
      assert.equal(live.reduce((s, iv) => s + iv.bytes, 0), lb.bytes);
    }
    assert.deepEqual(lowerBound([]), { bytes: 0, step: 0, live: [] });
  });

  it('edge cases: empty, one tensor, zero bytes, unused tensors, aliases, live at start and end', () => {
    const empty = planMemory({ tensors: [], steps: [], aliases: {}, alignment: 4 });
    assert.equal(empty.arenaBytes, 0);
    assert.equal(empty.lowerBoundBytes, 0);
    const one = planMemory(fromLifetimes([{ bytes: 5, first: 0, last: 0 }], 8));
    assert.deepEqual([one.arenaBytes, one.lowerBoundBytes, one.buffers[0].offset, one.buffers[0].bytes], [8, 8, 0, 8]);
    const input = fromLifetimes([{ bytes: 0, first: 0, last: 3 }, { bytes: 12, first: 0, last: 1 }, { bytes: 12, first: 1, last: 2 }, { bytes: 4, first: 2, last: 3 }]);
    input.tensors.push({ name: 'unused', bytes: 100, kind: 'scratch' });
    input.tensors.push({ name: 'view', bytes: 12, kind: 'activation' });
    input.aliases.view = 't1';
    input.steps[3].reads.push('view');     // t1 lives until step 3 through its alias
    const p = planMemory(input);
    assertValid(p, input, 'edge');
    assert.ok(!p.buffers.some((b) => b.name === 'unused' || b.name === 'view'));
    assert.deepEqual(p.buffers.find((b) => b.name === 't1')!.last, 3);
    assert.equal(p.arenaBytes, p.lowerBoundBytes);
    // liveAtEnd on an alias keeps its base to the end.
    const tail = fromLifetimes([{ bytes: 8, first: 0, last: 0 }, { bytes: 8, first: 1, last: 1 }]);
    tail.tensors.push({ name: 'out', bytes: 8, kind: 'output', liveAtEnd: true });
    tail.aliases.out = 't0';
    const q = planMemory(tail);
    assert.equal(q.buffers.find((b) => b.name === 't0')!.last, 2);
    assert.equal(q.arenaBytes, 16);
  });

  it('random interval sets (tiny and huge buffers, aliases): valid, at least the lower bound, never worse than the first planner', () => {
    const ratios: number[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const n = [10, 50, 200, 600][seed % 4];
      const input = randomInstance(seed * 101, n);
      const plan = planMemory(input);
      assertValid(plan, input, `random seed ${seed}`);
      assert.equal(plan.lowerBoundBytes, lowerBoundByDefinition(input));
      const legacy = legacyGreedy(input);
      assert.ok(plan.arenaBytes <= legacy, `seed ${seed}: ${plan.arenaBytes} > first planner ${legacy}`);
      ratios.push(ratio(plan));
    }
    console.log(`      random: worst ratio ${Math.max(...ratios).toFixed(4)}, mean ${(ratios.reduce((a, b) => a + b, 0) / ratios.length).toFixed(4)}`);
  });

  it('nested (stack) lifetimes: exactly the lower bound', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const input = stackInstance(seed, 20 + seed * 30);
      const plan = planMemory(input);
      assertValid(plan, input, `stack seed ${seed}`);
      assert.equal(plan.arenaBytes, plan.lowerBoundBytes, `stack seed ${seed}: ${plan.arenaBytes} vs ${plan.lowerBoundBytes}`);
    }
  });

  it('a chain of producer/consumer pairs (a path of conflicts): exactly the lower bound', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = prng(seed);
      const specs = Array.from({ length: 60 + seed * 10 }, (_, i) => ({ bytes: 4 * (1 + Math.floor(r() * (r() < 0.2 ? 20000 : 500))), first: i, last: i + 1 }));
      const input = fromLifetimes(specs);
      const plan = planMemory(input);
      assertValid(plan, input, `chain ${seed}`);
      assert.equal(plan.arenaBytes, plan.lowerBoundBytes, `chain ${seed}`);
    }
  });

  describe('real training graphs: arena within 2% of the lower bound', () => {
    const mcunet = netGraph(MCUNET_5FPS);
    const cases: [string, string | object][] = [
      ...['49kb', '74kb', '99kb', '124kb', '148kb'].map((k): [string, string] => [`MIT ${k}`, `${path.join(SCHEMES, 'mit-mcunet-5fps.json')}#${k}`]),
      ['full', 'full'], ['bias', 'bias'], ['last:6', 'last:6'], ['bias+last:4', 'bias+last:4'], ['last:1', 'last:1'],
      ...[1, 2, 3, 4, 5].map((s): [string, object] => [`random sparse ${s}`, randomScheme(s, 43)]),
    ];
    for (const [label, scheme] of cases) {
      it(`MCUNet-5fps 128x128, ${label}`, () => {
        const input = trainInput(mcunet, scheme);
        const { plan, ms } = timed(input);
        console.log(`      ${fmt(plan, ms)}`);
        assertValid(plan, input, label);
        assert.ok(plan.arenaBytes <= legacyGreedy(input));
        assert.ok(ratio(plan) <= 1.02, `${label}: ratio ${ratio(plan)}`);
        assert.ok(ms < 1000, `${label}: ${ms} ms`);
      });
    }

    // The zoo's ONNX models through the train stage, untiled and with every tiled prefix the
    // train stage offers (as the pipeline scores them): tiles keep the input and the stitched
    // output live across all tiles, which defeats the greedy orders by up to 18%.
    for (const model of ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3']) {
      it(`zoo ${model}: full, bias and MIT's schemes, untiled and tiled`, function () {
        if (!fs.existsSync(path.join(ZOO, `${model}.onnx`))) this.skip();
        const q = zooGraph(model);
        const mit = fs.readdirSync(path.join(ZOO, 'schemes')).filter((f) => f.startsWith(`${model}-`)).map((f) => path.join(ZOO, 'schemes', f));
        let worst = 1;
        let worstGreedy = 1;
        let slowest = 0;
        let count = 0;
        for (const scheme of ['full', 'bias', ...mit]) {
          const tg = buildTrainGraph(q, resolveScheme(scheme, q), { rounding: 'stochastic' });
          const variants: [string, TrainGraph][] = [['untiled', tg]];
          if (mit.includes(scheme)) {
            for (const cut of tilingCandidates(tg)) {
              for (const grid of [[2, 2], [4, 4], [8, 8]] as [number, number][]) {
                const tiled = tilePrefix(tg, cut, grid);
                if (tiled) variants.push([`${cut} ${grid.join('x')}`, tiled]);
              }
            }
          }
          for (const [label, t] of variants) {
            const input = trainSchedule(t);
            const { plan, ms } = timed(input);
            const what = `${model} ${path.basename(scheme)} ${label}`;
            assertValid(plan, input, what);
            assert.ok(ratio(plan) <= 1.02, `${what}: ${fmt(plan, ms)}`);
            worst = Math.max(worst, ratio(plan));
            worstGreedy = Math.max(worstGreedy, plan.search!.greedyBytes / plan.lowerBoundBytes);
            slowest = Math.max(slowest, ms);
            count++;
          }
        }
        console.log(`      ${count} schedules: worst ratio ${worst.toFixed(4)} (greedy alone ${worstGreedy.toFixed(4)}), slowest ${slowest.toFixed(0)} ms`);
        assert.ok(slowest < 1000);
      });
    }

    it('MobileNetV2-w0.35 128x128, full / bias / last:8 / random sparse', () => {
      const g = netGraph(MBV2_035);
      for (const scheme of ['full', 'bias', 'last:8', randomScheme(9, 52)]) {
        const input = trainInput(g, scheme);
        const { plan, ms } = timed(input);
        console.log(`      ${fmt(plan, ms)}`);
        assertValid(plan, input, 'mbv2');
        assert.ok(ratio(plan) <= 1.02, `mbv2 ${JSON.stringify(scheme)}: ratio ${ratio(plan)}`);
      }
    });

    it("TTE's own exported MCUNet-5fps training graph (49kb scheme, 423 ops)", function () {
      if (!TTE_GRAPH) this.skip();
      const input = tteInput(TTE_GRAPH!);
      const { plan, ms } = timed(input);
      console.log(`      ${fmt(plan, ms)}`);
      assertValid(plan, input, 'tte');
      assert.ok(plan.arenaBytes <= legacyGreedy(input));
      assert.ok(ratio(plan) <= 1.02, `tte: ratio ${ratio(plan)}`);
    });

    it('random MobileNet-like networks and schemes (100 to 1500 buffers)', () => {
      const worst: number[] = [];
      for (let seed = 1; seed <= 12; seed++) {
        const spec = randomNetSpec(seed, 6 + seed * 4, seed % 2 ? 64 : 32);
        const g = netGraph(spec);
        const nLayers = g.nodes.filter((x) => x.op === 'conv' || x.op === 'gemm').length;
        const scheme = seed % 3 === 0 ? 'full' : seed % 3 === 1 ? randomScheme(seed, nLayers) : `bias+last:${Math.min(nLayers, 3 + seed)}`;
        const input = trainInput(g, scheme);
        const { plan, ms } = timed(input);
        console.log(`      ${spec.name}: ${fmt(plan, ms)}`);
        assertValid(plan, input, spec.name);
        worst.push(ratio(plan));
        assert.ok(ratio(plan) <= 1.02, `${spec.name}: ratio ${ratio(plan)}`);
        assert.ok(ms < 1000, `${spec.name}: ${ms} ms`);
      }
    });
  });

  it('zero-waste tilings (every step exactly full) of up to 40 pieces: exactly the lower bound', () => {
    for (const pieces of [20, 30, 40]) {
      for (let seed = 1; seed <= 15; seed++) {
        const input = tilingInstance(seed * 3 + pieces, pieces);
        const plan = planMemory(input);
        assertValid(plan, input, `tiling ${pieces}/${seed}`);
        assert.equal(plan.lowerBoundBytes, 4096);
        assert.equal(plan.arenaBytes, 4096, `tiling ${pieces} pieces, seed ${seed}: ${plan.arenaBytes} (${plan.strategy})`);
      }
    }
    // Larger ones are the hard case of the problem: reported, not required.
    const ratios = [100, 200].map((pieces) => ratio(planMemory(tilingInstance(pieces, pieces))));
    console.log(`      100 and 200 pieces: ${ratios.map((r) => r.toFixed(4)).join(', ')}`);
  });

  it('the searches close gaps the greedy orders leave; effort 0 keeps the best greedy placement', () => {
    const input = tilingInstance(2, 40);
    const greedyOnly = planMemory(input, { effort: 0 });
    const full = planMemory(input);
    assertValid(greedyOnly, input, 'effort 0');
    assertValid(full, input, 'default effort');
    assert.equal(greedyOnly.arenaBytes, greedyOnly.search!.greedyBytes);
    assert.ok(greedyOnly.arenaBytes > greedyOnly.lowerBoundBytes * 1.2, 'this instance needs the search');
    assert.equal(greedyOnly.search!.searched, 0);
    assert.equal(full.arenaBytes, full.lowerBoundBytes);
    assert.equal(full.search!.greedyBytes, greedyOnly.arenaBytes);
    assert.equal(full.strategy, 'exact');
    assert.ok(full.search!.searched === 1 && full.search!.exactFound === 1);
    // Another seed gives another valid plan, no worse than the greedy one.
    const other = planMemory(input, { seed: 99 });
    assertValid(other, input, 'seed 99');
    assert.ok(other.arenaBytes <= greedyOnly.arenaBytes);
  });

  it('is deterministic: the same input gives the same plan', () => {
    const inputs = [
      randomInstance(7, 800), randomInstance(3000, 3000), trainInput(netGraph(MCUNET_5FPS), 'full'), stackInstance(3, 300),
      tilingInstance(100, 100), trainInput(netGraph(randomNetSpec(10, 46, 32)), 'bias+last:13'),
    ];
    for (const input of inputs) {
      const a = JSON.stringify(planMemory(input));
      const b = JSON.stringify(planMemory(JSON.parse(JSON.stringify(input)) as PlanInput));
      assert.equal(a, b);
    }
  });

  it('plans 3000 buffers well under a second', () => {
    const deep = netGraph(randomNetSpec(77, 430, 32, 48));
    const cases: [string, PlanInput][] = [
      ['random intervals', randomInstance(3000, 3000)],
      ['deep MobileNet-like network, full update', trainInput(deep, 'full')],
      ['deep MobileNet-like network, sparse update', trainInput(netGraph(randomNetSpec(77, 420, 32, 48)), randomScheme(77, 1261))],
      ['MobileNet-like network, full update', trainInput(netGraph(randomNetSpec(77, 300, 32, 64)), 'full')],
    ];
    for (const [label, input] of cases) {
      const { plan, ms } = timed(input);
      console.log(`      ${label}: ${fmt(plan, ms)}`);
      assert.ok(plan.buffers.length >= 2000, `${label}: only ${plan.buffers.length} buffers`);
      assertValid(plan, input, label);
      assert.ok(ms < 2000, `${label}: ${ms} ms`);
    }
  });
});

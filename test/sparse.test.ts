// sparse/ stage: presets, our JSON, MIT's format (checked against TTE's exported MCUNet
// graph), magnitude channel selection, and every error a user can cause.
import { strict as assert } from 'assert';
import * as path from 'path';
import { TinytrainError } from '../src/errors';
import { QConv, QGemm, QGraph, QNode } from '../src/ir/qgraph';
import { LayerUpdate, Ratio, Scheme } from '../src/ir/scheme';
import { channelCount, resolveScheme, schemeSummary, trainableLayers } from '../src/sparse';

const SCHEMES = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'schemes');
const fixture = (f: string): string => path.join(SCHEMES, f);

// ---------------------------------------------------------------- graph builders

type WeightFn = (o: number, c: number, k: number) => number;

/** Deterministic int8-ish values so every run selects the same channels. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomWeights(seed: number): () => number {
  const r = prng(seed);
  return () => Math.round(r() * 254) - 127;
}

function conv(name: string, cin: number, cout: number, k: number, group = 1,
  w: WeightFn = randomWeights(cin * 131 + cout), scale: (o: number) => number = (o) => 0.01 + 0.001 * (o % 7)): QConv {
  const cpg = cin / group;
  const weight = new Int8Array(cout * cpg * k * k);
  for (let o = 0; o < cout; o++) {
    for (let c = 0; c < cpg; c++) for (let j = 0; j < k * k; j++) weight[(o * cpg + c) * k * k + j] = w(o, c, j);
  }
  const p = k >> 1;
  return {
    op: 'conv', name, from: ['Conv'], inputs: [`${name}_in`], output: `${name}_out`,
    weight, weightShape: [cout, cpg, k, k], weightScale: Float32Array.from({ length: cout }, (_, o) => scale(o)),
    bias: new Int32Array(cout), multiplier: new Int32Array(cout).fill(1 << 30), shift: new Int32Array(cout),
    strides: [1, 1], pads: [p, p, p, p], group, act: { kind: 'none' }, actMin: -128, actMax: 127,
  };
}

function gemm(name: string, k: number, n: number, w: (o: number, i: number) => number = randomWeights(k * 7 + n),
  scale: (o: number) => number = () => 0.02): QGemm {
  const weight = new Int8Array(n * k);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) weight[o * k + i] = w(o, i);
  return {
    op: 'gemm', name, from: ['Gemm'], inputs: [`${name}_in`], output: `${name}_out`,
    weight, weightShape: [n, k], weightScale: Float32Array.from({ length: n }, (_, o) => scale(o)),
    bias: new Int32Array(n), multiplier: new Int32Array(n).fill(1 << 30), shift: new Int32Array(n),
    act: { kind: 'none' }, actMin: -128, actMax: 127,
  };
}

function graph(nodes: QNode[]): QGraph {
  return { name: 'test', input: 'x', output: nodes[nodes.length - 1].output, nodes, tensors: {}, notes: [] };
}

/** Non-trainable nodes in between, which must not count as layers. */
const gap = (name: string): QNode => ({
  op: 'gap', name, from: ['GlobalAveragePool'], inputs: ['a'], output: `${name}_out`,
  kernel: [4, 4], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false, multiplier: 1 << 30, shift: 0,
});
const reshape = (name: string): QNode => ({ op: 'reshape', name, from: ['Flatten'], inputs: ['a'], output: `${name}_out` });
const act = (name: string): QNode => ({
  op: 'act', name, from: ['Relu'], inputs: ['a'], output: `${name}_out`, act: { kind: 'relu' }, multiplier: 1 << 30, shift: 0, actMin: 0, actMax: 127,
});

/** 5 layers: conv, depthwise, pointwise, grouped conv (4 groups), gemm. Names as PyTorch exports them. */
function small(): QGraph {
  return graph([
    conv('/stem/Conv', 3, 8, 3),
    act('/stem/Relu'),
    conv('/dw/Conv', 8, 8, 3, 8),
    conv('/pw/Conv', 8, 16, 1),
    conv('/group/Conv', 16, 16, 3, 4),
    gap('/pool/GlobalAveragePool'),
    reshape('/Flatten'),
    gemm('/fc/Gemm', 16, 10),
  ]);
}
// Per layer: bias elements and weight elements per input channel.
const SMALL_BIAS = [8, 8, 16, 16, 10];
const SMALL_W_PER_IN = [8 * 9, 9, 16, 4 * 9, 10];
const SMALL_IN = [3, 8, 8, 16, 16];

/** MCUNet-5fps (ANCHORS.md): stem, 14 inverted-residual blocks, classifier; names as in TTE's graph. */
function mcunet(): QGraph {
  const blocks: [number, number, number, number][] = [   // [expand (0 = none), kernel, out, in]
    [0, 3, 8, 16], [32, 3, 16, 8], [48, 3, 16, 16], [48, 7, 24, 16], [120, 3, 24, 24], [120, 3, 40, 24],
    [160, 7, 40, 40], [160, 5, 48, 40], [144, 3, 48, 48], [192, 3, 48, 48], [240, 7, 96, 48],
    [384, 5, 96, 96], [384, 5, 96, 96], [576, 3, 160, 96],
  ];
  const nodes: QNode[] = [conv('v0', 3, 16, 3)];
  blocks.forEach(([e, k, out, cin], b) => {
    const v = `v${b + 1}`;
    let i = 0;
    let mid = cin;
    if (e > 0) { nodes.push(conv(`${v}_conv_${i++}`, cin, e, 1)); mid = e; }
    nodes.push(conv(`${v}_conv_${i++}`, mid, mid, k, mid));
    nodes.push(conv(`${v}_conv_${i++}`, mid, out, 1));
  });
  nodes.push(gap('mcumean'), gemm('v15', 160, 10));
  return graph(nodes);
}

// ---------------------------------------------------------------- oracles and helpers

/** Squared L2 norm of the real weights reading each input channel, straight from the definition. */
function realNorms(n: QConv | QGemm): number[] {
  if (n.op === 'gemm') {
    const [rows, k] = n.weightShape;
    return Array.from({ length: k }, (_, i) => {
      let s = 0;
      for (let o = 0; o < rows; o++) s += (n.weightScale[o] * n.weight[o * k + i]) ** 2;
      return s;
    });
  }
  const [o, cpg, kh, kw] = n.weightShape;
  const norms = new Array<number>(cpg * n.group).fill(0);
  for (let oc = 0; oc < o; oc++) {
    const g = Math.floor(oc / (o / n.group));
    for (let c = 0; c < cpg; c++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) norms[g * cpg + c] += (n.weightScale[oc] * n.weight[((oc * cpg + c) * kh + y) * kw + x]) ** 2;
      }
    }
  }
  return norms;
}

function assertMagnitudeChoice(n: QConv | QGemm, channels: number[]): void {
  const norms = realNorms(n);
  const chosen = new Set(channels);
  const minIn = Math.min(...channels.map((c) => norms[c]));
  norms.forEach((v, c) => {
    if (!chosen.has(c)) assert.ok(v <= minIn, `${n.name}: unselected channel ${c} (${v}) outweighs a selected one (${minIn})`);
  });
  assert.deepEqual(channels, [...channels].sort((a, b) => a - b));
}

function assertSchemeError(fn: () => unknown, ...mentions: (string | RegExp)[]): TinytrainError {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof TinytrainError, `expected a TinytrainError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_SCHEME');
  assert.ok(!caught.message.includes('\n'), `not one line: ${caught.message}`);
  for (const m of mentions) {
    if (typeof m === 'string') assert.ok(caught.message.includes(m), `'${caught.message}' should mention '${m}'`);
    else assert.match(caught.message, m);
  }
  return caught;
}

/** Resolve an in-memory JSON document as the file 's.json'. */
function fromJson(doc: unknown, g: QGraph = small()): Scheme {
  return resolveScheme('s.json', g, { readFile: (p) => { assert.equal(p, 's.json'); return JSON.stringify(doc); } });
}

const view = (l: LayerUpdate): [boolean, Ratio, number] => [l.bias, l.weightRatio, l.channels.length];
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

function params(s: Scheme, biasElems: number[], wPerIn: number[]): number {
  return s.layers.reduce((sum, l) => sum + (l.bias ? biasElems[l.index] : 0) + l.channels.length * wPerIn[l.index], 0);
}

// ---------------------------------------------------------------- tests

describe('sparse: trainable layers', () => {
  it('lists conv and gemm nodes in graph order with kinds and channel counts', () => {
    assert.deepEqual(trainableLayers(small()), [
      { name: '/stem/Conv', index: 0, kind: 'conv', inChannels: 3, outChannels: 8 },
      { name: '/dw/Conv', index: 1, kind: 'depthwise', inChannels: 8, outChannels: 8 },
      { name: '/pw/Conv', index: 2, kind: 'pointwise', inChannels: 8, outChannels: 16 },
      { name: '/group/Conv', index: 3, kind: 'conv', inChannels: 16, outChannels: 16 },
      { name: '/fc/Gemm', index: 4, kind: 'gemm', inChannels: 16, outChannels: 10 },
    ]);
  });

  it('classifies edge cases: depth multiplier, grouped 1x1, 1x1 depthwise, single channel', () => {
    const kinds = trainableLayers(graph([
      conv('mult', 4, 8, 3, 4), conv('g1x1', 8, 8, 1, 2), conv('dw1x1', 8, 8, 1, 8), conv('one', 1, 1, 3, 1), conv('pw1', 1, 1, 1),
    ])).map((l) => [l.name, l.kind, l.inChannels]);
    assert.deepEqual(kinds, [['mult', 'conv', 4], ['g1x1', 'conv', 8], ['dw1x1', 'depthwise', 8], ['one', 'conv', 1], ['pw1', 'pointwise', 1]]);
  });

  it('MCUNet-5fps has 42 convs and the classifier, as in TTE', () => {
    const l = trainableLayers(mcunet());
    assert.equal(l.length, 43);
    assert.deepEqual([l[24].name, l[24].kind, l[24].inChannels, l[24].outChannels], ['v9_conv_0', 'pointwise', 48, 144]);
    assert.deepEqual([l[25].kind, l[42].name, l[42].kind], ['depthwise', 'v15', 'gemm']);
  });
});

describe('sparse: channel counts and magnitude selection', () => {
  it('n_sel = max(1, round(r·C)), all at 1, none at 0', () => {
    assert.deepEqual(([0, 0.125, 0.25, 0.5, 1] as Ratio[]).map((r) => channelCount(r, 48)), [0, 6, 12, 24, 48]);
    assert.equal(channelCount(0.125, 3), 1);      // 0.375 rounds to 0, but at least one channel
    assert.equal(channelCount(0.125, 20), 3);     // 2.5 rounds up
    assert.equal(channelCount(0.25, 10), 3);
    assert.equal(channelCount(0.5, 1), 1);
    assert.equal(channelCount(0.5, 3), 2);
  });

  it('selects by real-valued magnitude (per-output scale counts), not by raw int8', () => {
    // Inputs 0..23 hold 10 under a scale of 1; inputs 24..47 hold 100 under a scale of 0.01.
    // Int8 magnitude would pick 24..47; the real weights (10 vs 1) pick 0..23.
    const w: WeightFn = (o, c) => (o === 0 && c < 24 ? 10 : o === 1 && c >= 24 ? 100 : 0);
    const g = graph([conv('pw', 48, 2, 1, 1, w, (o) => (o === 0 ? 1 : 0.01))]);
    const s = fromJson({ layers: [{ layer: 'pw', bias: false, weight_ratio: 0.125 }] }, g);
    assert.deepEqual(s.layers[0].channels, [0, 1, 2, 3, 4, 5]);
    const h = fromJson({ layers: [{ layer: 'pw', bias: false, weight_ratio: 0.5 }] }, g);
    assert.deepEqual(h.layers[0].channels, range(0, 24));
    assert.match(s.notes.join('\n'), /largest Σ\(s_w·q_w\)².*pw 6\/48 \(1\/8\)/);
  });

  it('breaks ties toward the lower index and returns channels ascending', () => {
    // Scores: channel 9 and 5 tie at the top, then 2, 7, 11 tie; everything else is 1.
    const top: Record<number, number> = { 9: 50, 5: 50, 2: 20, 7: 20, 11: 20 };
    const g = graph([conv('pw', 16, 4, 1, 1, (_o, c) => top[c] ?? 1, () => 0.5)]);
    const pick = (r: Ratio): number[] => fromJson({ layers: [{ layer: 0, bias: false, weight_ratio: r }] }, g).layers[0].channels;
    assert.deepEqual(pick(0.125), [5, 9]);        // 2 of 16
    assert.deepEqual(pick(0.25), [2, 5, 7, 9]);   // 4: the tie among 2, 7, 11 goes to 2 and 7
    assert.deepEqual(pick(0.5), [0, 1, 2, 3, 5, 7, 9, 11]);  // 8: 5,9 then 2,7,11 then 0,1,3 of the 1s
    const flat = graph([conv('flat', 48, 3, 1, 1, () => 7, () => 0.1)]);
    assert.deepEqual(fromJson({ layers: [{ layer: 0, bias: false, weight_ratio: 0.125 }] }, flat).layers[0].channels, range(0, 6));
  });

  it('depthwise selects channels, grouped convs score inputs by their own group, gemm by input features', () => {
    // depthwise: channel c's kernel holds c % 5, so scores rank 4, 3, then 2 and 7 (tied, both in).
    const dw = conv('dw', 8, 8, 3, 8, (o) => o % 5, () => 1);
    // grouped: 4 groups of 4 inputs; outputs of group 2 (outputs 8..11, inputs 8..11) have a large scale.
    const grp = conv('grp', 16, 16, 3, 4, () => 3, (o) => (o >= 8 && o < 12 ? 1 : 0.01));
    // gemm: input feature i holds (5i mod 16) - 8 in every row: |w| = 8 (i=0), 7 (3, 13), 6 (6, 10), ...
    const fc = gemm('fc', 16, 10, (_o, i) => ((i * 5) % 16) - 8, () => 0.1);
    const g = graph([dw, grp, gap('gap'), fc]);
    const s = fromJson({
      layers: [
        { layer: 'dw', bias: false, weight_ratio: 0.5 },
        { layer: 'grp', bias: false, weight_ratio: 0.25 },
        { layer: 'fc', bias: false, weight_ratio: 0.25 },
      ],
    }, g);
    assert.deepEqual(s.layers[0].channels, [2, 3, 4, 7]);
    assert.deepEqual(s.layers[1].channels, [8, 9, 10, 11]);
    assertMagnitudeChoice(dw, s.layers[0].channels);
    assertMagnitudeChoice(grp, s.layers[1].channels);
    assertMagnitudeChoice(fc, s.layers[2].channels);
    assert.deepEqual(s.layers[2].channels, [0, 3, 6, 13]);   // the 6-vs-10 tie goes to 6
  });

  it('ratio 1 updates every input channel, ratio 0 none', () => {
    const s = resolveScheme('full', small());
    s.layers.forEach((l, i) => assert.deepEqual(l.channels, range(0, SMALL_IN[i])));
    resolveScheme('bias', small()).layers.forEach((l) => assert.deepEqual(l.channels, []));
  });
});

describe('sparse: presets', () => {
  const g = small();
  it('none trains nothing, silently', () => {
    const s = resolveScheme('none', g);
    assert.equal(s.name, 'none');
    assert.equal(s.source, 'preset');
    assert.equal(s.layers.length, 5);
    assert.ok(s.layers.every((l) => !l.bias && l.weightRatio === 0 && l.channels.length === 0));
    assert.deepEqual(s.notes, []);
    assert.equal(schemeSummary(s), 'none: nothing trained');
  });

  it('full, bias', () => {
    const full = resolveScheme('full', g);
    assert.deepEqual(full.layers.map(view), SMALL_IN.map((c) => [true, 1, c]));
    assert.deepEqual(full.layers.map((l) => [l.layer, l.index, l.kind]),
      trainableLayers(g).map((l) => [l.name, l.index, l.kind]));
    const bias = resolveScheme('bias', g);
    assert.deepEqual(bias.layers.map(view), SMALL_IN.map(() => [true, 0, 0]));
    assert.equal(schemeSummary(full), 'full: 5 biases, weights of 5 layers (1,210 params)');
    assert.equal(params(full, SMALL_BIAS, SMALL_W_PER_IN), 58 + 216 + 72 + 128 + 576 + 160);
    assert.equal(schemeSummary(bias), 'bias: 5 biases (58 params)');
  });

  it('last:K and bias+last:K', () => {
    const last2 = resolveScheme('last:2', g);
    assert.deepEqual(last2.layers.map(view), [[false, 0, 0], [false, 0, 0], [false, 0, 0], [true, 1, 16], [true, 1, 16]]);
    assert.equal(schemeSummary(last2), 'last:2: 2 biases, weights of 2 layers (762 params)');   // 16+10 + 576+160
    const bl = resolveScheme('bias+last:2', g);
    assert.equal(bl.name, 'bias+last:2');
    assert.deepEqual(bl.layers.map(view), [[true, 0, 0], [true, 0, 0], [true, 0, 0], [true, 1, 16], [true, 1, 16]]);
    assert.equal(schemeSummary(bl), 'bias+last:2: 5 biases, weights of 2 layers (794 params)');
    assert.deepEqual(resolveScheme('last:5', g).layers.map(view), resolveScheme('full', g).layers.map(view));
    assert.equal(schemeSummary(resolveScheme('last:1', g)), 'last:1: 1 bias, weights of 1 layer (170 params)');
    assert.equal(resolveScheme('last:01', g).name, 'last:1');
  });

  it('schemeSummary takes the graph for schemes built elsewhere', () => {
    const s = resolveScheme('bias+last:2', g);
    const copy: Scheme = JSON.parse(JSON.stringify(s)) as Scheme;
    assert.equal(schemeSummary(copy), 'bias+last:2: 5 biases, weights of 2 layers');
    assert.equal(schemeSummary(copy, g), schemeSummary(s));
  });

  it('bad K names the layer count', () => {
    for (const spec of ['last:0', 'last:6', 'last:abc', 'last:', 'last', 'bias+last:-1', 'last:1.5', 'bias+last:99']) {
      assertSchemeError(() => resolveScheme(spec, g), spec, 'from 1 to 5', '5 trainable layers');
    }
    assertSchemeError(() => resolveScheme('last:1', graph([gap('p')])), '0 trainable layers');
  });

  it('full on a model without trainable layers warns', () => {
    const s = resolveScheme('full', graph([gap('p')]));
    assert.deepEqual(s.layers, []);
    assert.match(s.notes.join('\n'), /warning: .*selects nothing/);
  });
});

describe('sparse: tinytrain JSON', () => {
  const g = small();
  it('by node name and by index give the same scheme; channels picked by magnitude', () => {
    const byName = resolveScheme(fixture('ours-by-name.json'), g);
    const byIndex = resolveScheme(fixture('ours-by-index.json'), g);
    assert.equal(byName.name, 'pw-quarter+head');
    assert.equal(byName.source, 'json');
    assert.deepEqual(byName.layers, byIndex.layers);
    assert.deepEqual(byName.layers.map(view), [[false, 0, 0], [false, 0, 0], [true, 0.25, 2], [false, 0, 0], [true, 1, 16]]);
    assertMagnitudeChoice(g.nodes[3] as QConv, byName.layers[2].channels);
    assert.match(byName.notes.join('\n'), /\/pw\/Conv 2\/8 \(1\/4\)/);
    assert.equal(schemeSummary(byName), 'pw-quarter+head: 2 biases, weights of 2 layers, 1 partial (218 params)');   // 16+10 + 2·16 + 160
  });

  it('fixed channels are used as given and noted', () => {
    const s = resolveScheme(fixture('ours-channels.json'), g);
    assert.equal(s.name, 'ours-channels.json');
    assert.deepEqual(s.layers[2], { layer: '/pw/Conv', index: 2, kind: 'pointwise', bias: false, weightRatio: 0.25, channels: [1, 6] });
    assert.deepEqual(view(s.layers[1]), [true, 0, 0]);
    assert.match(s.notes.join('\n'), /fixed by the scheme file: \/pw\/Conv 2\/8/);
    assert.ok(!s.notes.some((n) => /largest/.test(n)));
  });

  it('channels at ratio 1 must list every channel; at 0, none', () => {
    const s = fromJson({ layers: [{ layer: 0, bias: true, weight_ratio: 1, channels: [0, 1, 2] }, { layer: 1, bias: true, weight_ratio: 0, channels: [] }] });
    assert.deepEqual(s.layers[0].channels, [0, 1, 2]);
    assert.deepEqual(s.layers[1].channels, []);
  });

  it('an empty scheme is allowed with a warning', () => {
    for (const doc of [{ layers: [] }, { layers: [{ layer: 0, bias: false, weight_ratio: 0 }] }]) {
      const s = fromJson(doc);
      assert.ok(s.layers.every((l) => !l.bias && l.weightRatio === 0));
      assert.match(s.notes.join('\n'), /warning: scheme 's\.json' selects nothing to train; use 'none'/);
    }
  });

  it('is pure given readFile', () => {
    const doc = { layers: [{ layer: '/group/Conv', bias: true, weight_ratio: 0.5 }] };
    assert.deepEqual(fromJson(doc), fromJson(doc));
    assert.deepEqual(fromJson(doc).layers[3].channels.length, 8);
  });

  it('rejects malformed files, naming the field and value', () => {
    const L = (e: Record<string, unknown>): unknown => ({ layers: [{ layer: 2, bias: true, weight_ratio: 0.5, ...e }] });
    const cases: [unknown, ...(string | RegExp)[]][] = [
      [{ layers: [], extra: 1 }, "unknown key 'extra'", 'layers, name, description'],
      [{ layers: {} }, 'layers must be an array', '{}'],
      [{ layers: [3] }, 'layers[0] must be an object', '3'],
      [{ layers: [], name: 5 }, 'name must be a non-empty string', '5'],
      [{ layers: [], description: [] }, 'description must be a string'],
      [L({ ratio: 1 }), "unknown key 'ratio' in layers[0]", 'weight_ratio'],
      [L({ layer: '/nope/Conv' }), "layers[0].layer '/nope/Conv' is not a trainable layer", '/stem/Conv, /dw/Conv'],
      [L({ layer: '/Flatten' }), "'/Flatten' is not a trainable layer"],
      [L({ layer: 5 }), 'layers[0].layer 5 is out of range', '5 trainable layers (0..4)'],
      [L({ layer: -1 }), 'layers[0].layer -1 is out of range'],
      [L({ layer: 1.5 }), 'layers[0].layer must be an integer, got 1.5'],
      [L({ layer: true }), 'layers[0].layer must be a node name or an index, got true'],
      [L({ layer: undefined }), 'layers[0].layer must be a node name or an index, got missing'],
      [L({ bias: 'yes' }), 'layers[0].bias must be true or false, got "yes"'],
      [L({ bias: undefined }), 'layers[0].bias must be true or false, got missing'],
      [L({ weight_ratio: 0.3 }), 'layers[0].weight_ratio 0.3 is not one of 0, 0.125, 0.25, 0.5, 1'],
      [L({ weight_ratio: '0.5' }), 'layers[0].weight_ratio "0.5" is not one of'],
      [L({ weight_ratio: undefined }), 'layers[0].weight_ratio missing is not one of'],
      [L({ channels: 3 }), 'layers[0].channels must be an array', '3'],
      [L({ channels: [0, 1, 2, 'x'] }), 'layers[0].channels[3] "x" is not an input channel', '(0..7)'],
      [L({ channels: [0, 1, 2, 8] }), 'layers[0].channels[3] 8 is not an input channel', '(0..7)'],
      [L({ channels: [0, 1, 2.5, 3] }), 'layers[0].channels[2] 2.5'],
      [L({ channels: [0, 2, 1, 3] }), 'layers[0].channels must be ascending without repeats', '[0,2,1,3]'],
      [L({ channels: [0, 1, 1, 3] }), 'ascending without repeats'],
      [L({ channels: [0, 1, 2] }), 'layers[0].channels has 3 channels but weight_ratio 1/2 of 8 input channels', 'updates 4'],
      [L({ weight_ratio: 0, channels: [1] }), 'has 1 channels but weight_ratio 0 of 8', 'updates 0'],
      [{ layers: [{ layer: 2, bias: true, weight_ratio: 0 }, { layer: '/pw/Conv', bias: false, weight_ratio: 1 }] },
        "layers[1] repeats layer '/pw/Conv' (index 2) already given in layers[0]"],
    ];
    for (const [doc, ...mentions] of cases) {
      assertSchemeError(() => fromJson(doc), "scheme file 's.json'", ...mentions);
    }
  });
});

describe('sparse: MIT format', () => {
  const g = mcunet();
  const layers = trainableLayers(g);
  const biasElems = layers.map((l) => l.outChannels);
  const wPerIn = g.nodes.flatMap((n) => (n.op === 'conv' ? [(n.weightShape[0] / n.group) * n.weightShape[2] * n.weightShape[3]] : n.op === 'gemm' ? [n.weightShape[0]] : []));

  it("TTE's MCUNet 49kb dict gives exactly the parameters in TTE's exported training graph", () => {
    const s = resolveScheme(fixture('mit-mcunet-5fps-49kb.json'), g);
    assert.equal(s.source, 'mit');
    assert.equal(s.name, 'mit-mcunet-5fps-49kb.json');
    // Biases of the last 20 convs (22..41) plus the classifier.
    assert.deepEqual(s.layers.filter((l) => l.bias).map((l) => l.index), range(22, 43));
    // Weights: v9/v10/v11 pw1 at 12, 24, 24 of 48 input channels; the classifier in full.
    const weighted = s.layers.filter((l) => l.weightRatio > 0);
    assert.deepEqual(weighted.map((l) => [l.layer, l.index, l.weightRatio, l.channels.length]),
      [['v9_conv_0', 24, 0.25, 12], ['v10_conv_0', 27, 0.5, 24], ['v11_conv_0', 30, 0.5, 24], ['v15', 42, 1, 160]]);
    for (const l of weighted) assertMagnitudeChoice(g.nodes.find((n) => n.name === l.layer) as QConv | QGemm, l.channels);
    // Listed at ratio 0 (23, 33, 39): bias only.
    for (const i of [23, 33, 39]) assert.deepEqual(view(s.layers[i]), [true, 0, 0]);
    // TTE's graph (ANCHORS.md) outputs 4,602 bias and 13,696 weight gradients for this scheme.
    const biasCount = s.layers.reduce((n, l) => n + (l.bias ? biasElems[l.index] : 0), 0);
    const weightCount = s.layers.reduce((n, l) => n + l.channels.length * wPerIn[l.index], 0);
    assert.equal(biasCount, 4602);
    assert.equal(weightCount, 13696);
    assert.equal(schemeSummary(s), 'mit-mcunet-5fps-49kb.json: 21 biases, weights of 4 layers, 3 partial (18,298 params)');
    assert.match(s.notes.join('\n'), /classifier 'v15' \(layer 42\) updated in full.*n_bias_update 20 counts the layers before it \(22\.\.41\)/);
    assert.match(s.notes.join('\n'), /first k/);
  });

  it('picks one scheme out of MIT\'s sparse_update_config dict with #key', () => {
    const all = fixture('mit-mcunet-5fps.json');
    const s49 = resolveScheme(`${all}#49kb`, g);
    assert.equal(s49.name, 'mit-mcunet-5fps.json#49kb');
    assert.deepEqual(s49.layers, resolveScheme(fixture('mit-mcunet-5fps-49kb.json'), g).layers);
    // ANCHORS.md "99kb": n_bias 22, idx [21,24,27,30,36,39], ratios [1,1,1,1,0.125,0.25].
    const s99 = resolveScheme(`${all}#99kb`, g);
    assert.deepEqual(s99.layers.filter((l) => l.bias).map((l) => l.index), range(20, 43));
    assert.deepEqual(s99.layers.filter((l) => l.weightRatio > 0).map((l) => [l.index, l.channels.length]),
      [[21, 40], [24, 48], [27, 48], [30, 48], [36, 12], [39, 24], [42, 160]]);
    for (const key of ['74kb', '124kb', '148kb']) assert.equal(resolveScheme(`${all}#${key}`, g).source, 'mit');
    assertSchemeError(() => resolveScheme(all, g), 'holds several schemes', "'sparse_update_config'", '49kb, 74kb', 'mit-mcunet-5fps.json#49kb');
    assertSchemeError(() => resolveScheme(`${all}#50kb`, g), "no key '50kb'", 'it has 49kb');
  });

  it('finds a single scheme nested under a key', () => {
    const s = resolveScheme(fixture('mit-minimal.json'), small());
    // 5 layers: classifier 4 full; n_bias_update 2 -> layers 2, 3; grouped conv 3 at 1/2 of 16.
    assert.deepEqual(s.layers.map(view), [[false, 0, 0], [false, 0, 0], [true, 0, 0], [true, 0.5, 8], [true, 1, 16]]);
    assertMagnitudeChoice(small().nodes[4] as QConv, s.layers[3].channels);
  });

  it("accepts MIT's other spellings: dash strings, a single ratio, null ratios, n_weight_update, 'all'", () => {
    const base = fromJson({ n_bias_update: 22, manual_weight_idx: [21, 24, 27, 30, 36, 39], weight_update_ratio: [1, 1, 1, 1, 0.125, 0.25] }, g);
    const dashed = fromJson({ n_bias_update: 22, manual_weight_idx: '21-24-27-30-36-39', weight_update_ratio: '1-1-1-1-0.125-0.25' }, g);
    assert.deepEqual(dashed.layers, base.layers);
    const single = fromJson({ n_bias_update: 4, manual_weight_idx: [39, 41], weight_update_ratio: 0.5 }, g);
    assert.deepEqual([39, 41, 42].map((i) => view(single.layers[i])), [[true, 0.5, 48], [true, 0.5, 288], [true, 1, 160]]);
    const nullRatio = fromJson({ n_bias_update: 2, manual_weight_idx: [40], weight_update_ratio: null }, g);
    assert.deepEqual(view(nullRatio.layers[40]), [true, 1, 576]);
    const nw = fromJson({ n_bias_update: 3, n_weight_update: 2, weight_update_ratio: [0.25, 1] }, g);
    assert.deepEqual([38, 39, 40, 41].map((i) => view(nw.layers[i])), [[false, 0, 0], [true, 0, 0], [true, 0.25, 144], [true, 1, 576]]);
    const all = fromJson({ n_bias_update: 'all', n_weight_update: 'all', weight_update_ratio: null }, g);
    assert.deepEqual(all.layers.map(view), resolveScheme('full', g).layers.map(view));
    const onlyHead = fromJson({ n_bias_update: 0, manual_weight_idx: [] }, g);
    assert.deepEqual(onlyHead.layers.filter((l) => l.bias || l.weightRatio > 0).map((l) => l.index), [42]);
    const head = fromJson({ n_bias_update: 1, manual_weight_idx: [41, 42], weight_update_ratio: [0.125, 0.5] }, g);
    assert.deepEqual([41, 42].map((i) => view(head.layers[i])), [[true, 0.125, 72], [true, 0.5, 80]]);
  });

  it('pw1_weight_only keeps expanding 1x1 convs; enable_backward_config 0 updates everything', () => {
    const s = fromJson({ n_bias_update: 6, manual_weight_idx: [36, 37, 38, 39], weight_update_ratio: [0.25, 0.5], pw1_weight_only: 1 }, g);
    assert.deepEqual(s.layers.filter((l) => l.weightRatio > 0).map((l) => [l.index, l.weightRatio]), [[36, 0.25], [39, 0.5], [42, 1]]);
    assert.match(s.notes.join('\n'), /pw1_weight_only: weight updates of layers 37, 38 dropped/);
    const off = fromJson({ enable_backward_config: 0, n_bias_update: 3, manual_weight_idx: [40], weight_update_ratio: [0.5] }, g);
    assert.deepEqual(off.layers.map(view), resolveScheme('full', g).layers.map(view));
    assert.match(off.notes.join('\n'), /enable_backward_config is 0/);
  });

  it('rejects malformed dicts, naming the field and value', () => {
    const ok = { n_bias_update: 20, manual_weight_idx: [23, 24, 27], weight_update_ratio: [0, 0.25, 0.5] };
    const cases: [unknown, ...(string | RegExp)[]][] = [
      [{ ...ok, n_bias: 3 }, "unknown key 'n_bias'", 'n_bias_update'],
      [{ manual_weight_idx: [40] }, 'n_bias_update is required', '0..42'],
      [{ ...ok, n_bias_update: -1 }, 'n_bias_update -1 is out of range', '42 layers before the classifier'],
      [{ ...ok, n_bias_update: 43 }, 'n_bias_update 43 is out of range'],
      [{ ...ok, n_bias_update: 2.5 }, 'n_bias_update must be an integer, got 2.5'],
      [{ ...ok, n_bias_update: 'most' }, 'n_bias_update must be an integer, got "most"'],
      [{ ...ok, manual_weight_idx: [23, 24, 43] }, 'manual_weight_idx 43 is out of range', '43 trainable layers (0..42)'],
      [{ ...ok, manual_weight_idx: [23, 24, -3] }, 'manual_weight_idx -3 is out of range'],
      [{ ...ok, manual_weight_idx: [24, 23, 27] }, 'manual_weight_idx must be ascending', '[24,23,27]'],
      [{ ...ok, manual_weight_idx: [23, 23, 27] }, 'manual_weight_idx must be ascending'],
      [{ ...ok, manual_weight_idx: '23-x-27' }, 'manual_weight_idx "23-x-27" is not a list of numbers'],
      [{ ...ok, manual_weight_idx: { a: 1 } }, 'manual_weight_idx must be a list of numbers'],
      [{ ...ok, manual_weight_idx: [23, '24', 27] }, 'manual_weight_idx[1] must be a number, got "24"'],
      [{ ...ok, manual_weight_idx: [23, 24.5, 27] }, 'manual_weight_idx must be an integer, got 24.5'],
      [{ ...ok, manual_weight_idx: [10, 24, 27] }, 'manual_weight_idx 10 is not among the last n_bias_update=20 layers', '(22..41)'],
      [{ ...ok, n_bias_update: 0, manual_weight_idx: [41], weight_update_ratio: [1] }, 'manual_weight_idx 41 is not among the last n_bias_update=0', '(none)'],
      [{ ...ok, weight_update_ratio: [0, 0.25] }, 'weight_update_ratio has 2 values but manual_weight_idx selects 3 layers'],
      [{ ...ok, weight_update_ratio: [0, 0.3, 0.5] }, 'weight_update_ratio 0.3 is not one of 0, 0.125, 0.25, 0.5, 1'],
      [{ ...ok, weight_update_ratio: [0, 2, 0.5] }, 'weight_update_ratio 2 is not one of'],
      [{ ...ok, weight_update_ratio: 0.75 }, 'weight_update_ratio 0.75 is not one of'],
      [{ ...ok, weight_update_ratio: true }, 'weight_update_ratio must be a list of numbers, got true'],
      [{ ...ok, weight_select_criteria: 'random' }, 'weight_select_criteria "random" is not supported', 'magnitude+'],
      [{ ...ok, enable_backward_config: 2 }, 'enable_backward_config must be 0 or 1, got 2'],
      [{ ...ok, pw1_weight_only: 'yes' }, 'pw1_weight_only must be 0 or 1, got "yes"'],
      [{ ...ok, n_weight_update: 50, manual_weight_idx: null }, 'n_weight_update 50 is out of range'],
      [{ ...ok, layers: [] }, 'mixes tinytrain keys', 'MIT keys'],
    ];
    for (const [doc, ...mentions] of cases) assertSchemeError(() => fromJson(doc, g), "scheme file 's.json'", ...mentions);
    assertSchemeError(() => fromJson(ok, graph([gap('p')])), 'no trainable (conv or gemm) layers');
  });
});

describe('sparse: spec and file errors', () => {
  const g = small();
  it('a missing file or a mistyped preset names it and lists the presets', () => {
    const missing = path.join(SCHEMES, 'does-not-exist.json');
    assertSchemeError(() => resolveScheme(missing, g), missing, 'neither a preset (none, full, bias, last:K, bias+last:K) nor an existing file');
    assertSchemeError(() => resolveScheme('ful', g), "scheme 'ful'", 'preset');
    assertSchemeError(() => resolveScheme(`${missing}#49kb`, g), missing);
    assertSchemeError(() => resolveScheme('  ', g), 'empty scheme');
  });

  it('unreadable files, bad JSON, and documents that are not schemes', () => {
    const read = (text: string) => (): string => text;
    assertSchemeError(() => resolveScheme('dir', g, { readFile: () => { throw Object.assign(new Error('EISDIR: illegal operation on a directory\nmore'), { code: 'EISDIR' }); } }),
      "cannot read scheme file 'dir'", 'EISDIR');
    assertSchemeError(() => resolveScheme('b.json', g, { readFile: read('{"layers": [') }), "scheme file 'b.json' is not valid JSON");
    assertSchemeError(() => resolveScheme('b.json', g, { readFile: read('[1, 2]') }), 'the top level must be an object, got an array');
    assertSchemeError(() => resolveScheme('b.json', g, { readFile: read('{"a": {"b": 1}}') }), "not a scheme in 'a'", "found 'b'");
    assertSchemeError(() => resolveScheme('b.json', g, { readFile: read('{}') }), 'not a scheme', 'found no keys');
    assertSchemeError(() => resolveScheme('b.json', g, { readFile: read('{"n_bias": 3}') }), "expected 'layers' (tinytrain)", "found 'n_bias'");
    assertSchemeError(() => resolveScheme('b.json', g, { readFile: read('{"a":{"b":{"c":{"d":{"e":{}}}}}}') }), 'within 4 levels');
    assertSchemeError(() => resolveScheme('b.json#x', g, { readFile: (p) => { if (p === 'b.json') return '{"layers": []}'; throw Object.assign(new Error('nope'), { code: 'ENOENT' }); } }),
      "no key 'x'");
  });
});

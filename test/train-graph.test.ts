// The compile-time training graph: pruning and saving rules of DESIGN.md, checked on the
// step lists the train stage produces for real fixture models.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { quantize, CalibrationStats } from '../src/quant';
import { evaluateGraph } from '../src/onnx';
import { resolveScheme } from '../src/sparse';
import { buildTrainGraph } from '../src/train';
import { planMemory, trainSchedule } from '../src/memory';
import { QGraph } from '../src/ir/qgraph';
import { TrainGraph, TrainStep } from '../src/ir/train';
import { compileC, makeTempDir, removeDir, runExe } from './helpers/cc';

const MODELS = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');

/** Quantize a fixture with ranges from the float evaluator on a few random inputs. */
function qgraphOf(file: string): QGraph {
  const g = importOnnx(fs.readFileSync(path.isAbsolute(file) ? file : path.join(MODELS, file)));
  const stats: CalibrationStats = {};
  const n = g.input.shape.reduce((a, b) => a * b, 1);
  for (let s = 0; s < 4; s++) {
    const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + s));
    const vals = evaluateGraph(g, x);
    for (const [t, v] of Object.entries(vals)) {
      const r = stats[t] ?? { min: Infinity, max: -Infinity };
      for (const e of v) { r.min = Math.min(r.min, e); r.max = Math.max(r.max, e); }
      stats[t] = r;
    }
  }
  return quantize(g, stats);
}

const kinds = (tg: TrainGraph, k: TrainStep['kind']): TrainStep[] => tg.steps.filter((s) => s.kind === k);
const build = (q: QGraph, scheme: string): TrainGraph => buildTrainGraph(q, resolveScheme(scheme, q), { rounding: 'stochastic' });

describe('training graph (compile-time autodiff, pruning, saves)', () => {
  // stem conv -> depthwise -> pointwise -> residual add + relu -> GAP -> flatten -> fc
  const q = qgraphOf('dw_separable_residual.onnx');
  const layer = (i: number): string => q.nodes.filter((n) => n.op === 'conv' || n.op === 'gemm')[i].name;

  it('scheme none: forward only, no loss, no gradients', () => {
    const tg = build(q, 'none');
    assert.ok(tg.steps.every((s) => s.kind === 'forward'));
    assert.equal(tg.buffers.filter((b) => b.kind === 'grad').length, 0);
  });

  it('last:1 updates only the classifier: backward stops there, its input is kept, nothing else saved', () => {
    const tg = build(q, 'last:1');
    assert.deepEqual(kinds(tg, 'backward_input'), [], 'no input gradient below the only updated layer');
    assert.deepEqual(kinds(tg, 'update_weight').map((s) => (s as { node: { name: string } }).node.name), [layer(3)]);
    assert.equal(kinds(tg, 'save').length, 0);
    assert.equal(kinds(tg, 'mask').length, 0);
  });

  it('bias-only layers save no input activation and frozen layers on the path get only an input gradient', () => {
    const tg = build(q, 'bias');
    assert.equal(kinds(tg, 'update_weight').length, 0);
    assert.equal(kinds(tg, 'update_bias').length, 4);
    assert.equal(kinds(tg, 'save').length, 0);
    // The first conv's input is the image: it needs no gradient.
    const bi = kinds(tg, 'backward_input') as { node: { name: string } }[];
    assert.ok(!bi.some((s) => s.node.name === layer(0)), 'no gradient into the image');
    // Activations read by the backward are only masks (1 bit per element) or the int8 outputs of clamps.
    assert.ok(tg.buffers.every((b) => b.kind !== 'saved'));
  });

  it('a partial-channel update saves exactly its selected input channels', () => {
    const spec = path.join(require('os').tmpdir(), `tt-scheme-${process.pid}.json`);
    fs.writeFileSync(spec, JSON.stringify({ layers: [{ layer: 2, bias: true, weight_ratio: 0.25 }] }));
    const tg = build(q, spec);
    fs.rmSync(spec);
    const saves = kinds(tg, 'save') as { to: string; channels: number[]; plane: number }[];
    assert.equal(saves.length, 1);
    const pw = q.nodes.find((n) => n.name === layer(2));
    const inC = q.tensors[pw!.inputs[0]].shape[1];
    assert.equal(saves[0].channels.length, Math.max(1, Math.round(inC / 4)));
    const buf = tg.buffers.find((b) => b.name === saves[0].to);
    assert.equal(buf?.bytes, saves[0].channels.length * saves[0].plane);
    // The full pointwise input is not kept past the forward pass for the update.
    const upd = kinds(tg, 'update_weight')[0] as { saved: string };
    assert.equal(upd.saved, saves[0].to);
  });

  it('updates come right after their gradient, input gradient first; no weight-gradient buffers', () => {
    const tg = build(q, 'full');
    for (let i = 0; i < tg.steps.length; i++) {
      const s = tg.steps[i];
      if (s.kind !== 'update_weight') continue;
      const bi = tg.steps.findIndex((t) => t.kind === 'backward_input' && t.node.name === s.node.name);
      if (bi >= 0) assert.ok(bi < i, 'input gradient uses the weights before they change');
    }
    const activationElems = new Set(Object.values(q.tensors).map((t) => t.shape.reduce((a, b) => a * b, 1)));
    for (const b of tg.buffers.filter((x) => x.kind === 'grad')) assert.ok(activationElems.has(b.elements), `${b.name} is not an activation gradient`);
    // The residual: the add's two inputs both receive the gradient, one by copy.
    assert.equal(kinds(tg, 'grad_copy').length, 1);
  });

  it('the plan never overlaps two buffers that are live at the same step', () => {
    for (const scheme of ['full', 'bias', 'last:2', 'bias+last:1']) {
      const tg = build(q, scheme);
      const plan = planMemory(trainSchedule(tg));
      for (const a of plan.buffers) for (const b of plan.buffers) {
        if (a === b) continue;
        const timeOverlap = a.first <= b.last && b.first <= a.last;
        const spaceOverlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
        assert.ok(!(timeOverlap && spaceOverlap), `${scheme}: ${a.name} and ${b.name} overlap`);
      }
      assert.ok(plan.arenaBytes >= plan.lowerBoundBytes);
    }
  });

  it('a frozen stride-1 depthwise backpropagates in place: its input gradient shares dy', () => {
    // dwsep: stem conv -> depthwise 3x3 stride 1 (its input has no other consumer) -> ...
    const q2 = qgraphOf(path.resolve(MODELS, '..', 'dwsep', 'model.onnx'));
    const convs = q2.nodes.filter((n) => n.op === 'conv' || n.op === 'gemm');
    const dw = convs[1].name;
    assert.equal((convs[1] as { group: number }).group > 1, true);
    const tg = build(q2, 'bias');
    const step = tg.steps.find((x) => x.kind === 'backward_input' && x.node.name === dw) as { gradIn: string; gradOut: string; inPlaceScratch?: string } | undefined;
    assert.ok(step && step.inPlaceScratch, 'expected the in-place depthwise backward');
    assert.equal(step.gradIn, step.gradOut);
    // Its bias update reads dy, so it comes before the in-place kernel overwrites it.
    const iBias = tg.steps.findIndex((x) => x.kind === 'update_bias' && x.node.name === dw);
    const iBack = tg.steps.findIndex((x) => x.kind === 'backward_input' && x.node.name === dw);
    assert.ok(iBias >= 0 && iBias < iBack);
    // When its weights are updated, the old dy is still needed: no in-place.
    const full = build(q2, 'full').steps.find((x) => x.kind === 'backward_input' && x.node.name === dw) as { inPlaceScratch?: string } | undefined;
    assert.ok(!full?.inPlaceScratch);
  });

  it('the in-place depthwise kernel is bit-identical to the out-of-place one', () => {
    const root = path.resolve(__dirname, '..', '..');
    const dir = makeTempDir('tt-inplace-');
    try {
      const exe = compileC([path.join(root, 'test', 'c', 'inplace_driver.c'), path.join(root, 'firmware', 'train', 'tt_depthwise_backward_input_f32.c')],
        path.join(dir, 'inplace'), { includeDirs: [path.join(root, 'firmware', 'include')] });
      const r = runExe(exe);
      assert.equal(r.stdout.trim(), 'IDENTICAL');
      assert.equal(r.status, 0);
    } finally {
      removeDir(dir);
    }
  });

  it('split weights (updated slice in SRAM, the rest in flash) give the same bytes in every kernel', () => {
    const root = path.resolve(__dirname, '..', '..');
    const fw = path.join(root, 'firmware');
    const dir = makeTempDir('tt-split-');
    try {
      const sources = [path.join(root, 'test', 'c', 'split_driver.c'), path.join(fw, 'src', 'tt_fixedpoint.c'),
        ...['kernels', 'train'].flatMap((d) => fs.readdirSync(path.join(fw, d)).filter((f) => f.endsWith('.c')).map((f) => path.join(fw, d, f)))];
      const exe = compileC(sources, path.join(dir, 'split'), { includeDirs: [path.join(fw, 'include')] });
      const r = runExe(exe);
      assert.equal(r.stdout.trim().split('\n').pop(), 'IDENTICAL', r.stdout);
      assert.equal(r.status, 0);
    } finally {
      removeDir(dir);
    }
  });
});

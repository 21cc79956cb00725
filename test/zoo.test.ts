// The measurement model zoo (models/zoo, scripts/make_zoo.py): MCUNet-5fps, MobileNetV2-w0.35
// and ProxylessNAS-w0.3 at TTE's setting (1x3x128x128, 10 classes). Each must import into
// tinytrain with exactly the architecture its JSON records, agree with onnxruntime (and with
// PyTorch's logits recorded at export), and resolve MIT's sparse-update schemes to the layers
// MIT's indices name, with TTE's parameter counts for MCUNet 49kb.
import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { ConvNode, GemmNode, Graph } from '../src/ir/graph';
import { QGraph } from '../src/ir/qgraph';
import { evaluateGraph, importOnnx } from '../src/onnx';
import { CalibrationStats, quantize } from '../src/quant';
import { resolveScheme } from '../src/sparse';

const ZOO = path.resolve(__dirname, '..', '..', 'models', 'zoo');
const MODELS = ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3'];

interface LayerRow {
  index: number;
  module: string;
  onnx_node: string;
  tte_name?: string;
  role: string;
  kind: 'conv' | 'depthwise' | 'pointwise' | 'linear';
  in_channels: number;
  out_channels: number;
  kernel: number | null;
  stride: number | null;
  padding: number | null;
  groups: number | null;
  activation: 'relu6' | 'none';
  input_shape: number[];
  weight_shape: number[];
  output_shape: number[];
  params: number;
  macs: number;
}

interface SchemeRow {
  file: string;
  bias_layers: { from: number; to: number };
  bias_layer_count: number;
  bias_elements: number;
  weight_layers: { index: number; module: string; kind: string; ratio: number; in_channels: number; channels: number; elements: number }[];
  weight_elements: number;
}

interface ZooDoc {
  name: string;
  file: string;
  sha256: string;
  bytes: number;
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
  classes: number;
  conv_count: number;
  classifier_index: number;
  parameters: number;
  macs: number;
  residual_adds: number;
  tinytrain_ops: Record<string, number>;
  layers: LayerRow[];
  schemes: Record<string, SchemeRow>;
  reference: { torch_logits: number[] };
}

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Deterministic uniform [-1, 1) values (mulberry32). */
function randomInput(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** max |got - want| relative to max |want|. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i] - want[i]));
    m = Math.max(m, Math.abs(want[i]));
  }
  return d / Math.max(m, 1e-12);
}

async function runOrt(bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, shape) });
  return Float32Array.from(res[session.outputNames[0]].data as Float32Array);
}

describe('model zoo (models/zoo): MCUNet-5fps, MobileNetV2-w0.35, ProxylessNAS-w0.3', function () {
  this.timeout(120000);

  for (const name of MODELS) {
    describe(name, () => {
      const doc = JSON.parse(fs.readFileSync(path.join(ZOO, `${name}.json`), 'utf8')) as ZooDoc;
      const bytes = new Uint8Array(fs.readFileSync(path.join(ZOO, doc.file)));
      let g: Graph;
      let layers: (ConvNode | GemmNode)[];
      const n = numel(doc.input.shape);
      const inputs = [1, 2].map((seed) => randomInput(n, seed * 7919 + name.length));
      let evals: Record<string, Float32Array>[] | undefined;
      /** The float evaluator on the two random inputs, computed once (every tensor, for calibration too). */
      const evaluations = (): Record<string, Float32Array>[] => (evals ??= inputs.map((x) => evaluateGraph(g, x)));

      before(() => {
        g = importOnnx(bytes, { name: doc.file });
        layers = g.nodes.filter((n): n is ConvNode | GemmNode => n.op === 'conv' || n.op === 'gemm');
      });

      it('the ONNX file is the one the JSON describes, under 5 MB', () => {
        assert.equal(bytes.length, doc.bytes);
        assert.ok(bytes.length < 5 * 1024 * 1024);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), doc.sha256);
      });

      it('imports with the recorded ops, layer shapes, activations, parameters and MACs', () => {
        assert.deepEqual(g.input.shape, doc.input.shape);
        assert.deepEqual(g.shapes[g.output], doc.output.shape);
        const ops: Record<string, number> = {};
        for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
        const want = Object.fromEntries(Object.entries(doc.tinytrain_ops).filter(([, v]) => v > 0));
        assert.deepEqual(ops, want);
        assert.equal(ops.add ?? 0, doc.residual_adds);

        assert.equal(layers.length, doc.conv_count);
        assert.equal(doc.layers.length, doc.conv_count);
        assert.equal(doc.classifier_index, doc.conv_count - 1);
        let params = 0;
        let macs = 0;
        layers.forEach((n, i) => {
          const r = doc.layers[i];
          const at = `${name} layer ${i} (${r.module})`;
          assert.equal(r.index, i);
          assert.equal(n.name, r.onnx_node, at);
          assert.deepEqual(n.weightShape, r.weight_shape, at);
          assert.deepEqual(g.shapes[n.inputs[0]], r.input_shape, at);
          assert.deepEqual(g.shapes[n.output], r.output_shape, at);
          if (r.activation === 'relu6') assert.deepEqual(n.act, { kind: 'clip', min: 0, max: 6 }, at);
          else assert.deepEqual(n.act, { kind: 'none' }, at);
          if (n.op === 'conv') {
            assert.notEqual(r.kind, 'linear', at);
            assert.deepEqual(n.strides, [r.stride, r.stride], at);
            assert.deepEqual(n.pads, [r.padding, r.padding, r.padding, r.padding], at);
            assert.equal(n.group, r.groups, at);
            if (r.kind === 'depthwise') assert.equal(n.group, r.in_channels, at);
            if (r.kind === 'pointwise') assert.deepEqual([n.group, n.weightShape[2], n.weightShape[3]], [1, 1, 1], at);
            const [, , oh, ow] = g.shapes[n.output];
            macs += n.weight.length * oh * ow;
          } else {
            assert.equal(r.kind, 'linear', at);
            macs += n.weight.length;
          }
          assert.equal(n.weight.length + n.bias.length, r.params, at);
          params += n.weight.length + n.bias.length;
        });
        assert.equal(layers[layers.length - 1].weightShape[0], doc.classes);
        assert.equal(params, doc.parameters);
        assert.equal(macs, doc.macs);
      });

      it("agrees with onnxruntime on random inputs and with PyTorch's recorded logits (1e-3 relative)", async () => {
        const shape = doc.input.shape;
        const errs: string[] = [];
        for (const [k, x] of inputs.entries()) {
          const ours = evaluations()[k][g.output];
          const theirs = await runOrt(bytes, x, shape);
          const e = relErr(ours, theirs);
          errs.push(e.toExponential(1));
          assert.ok(e < 1e-3, `${name} input ${k}: evaluator vs onnxruntime ${e}`);
          assert.ok(theirs.some((v) => Math.abs(v) > 1e-2), 'logits are not all ~0');
        }
        const ref = Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i));
        const logits = evaluateGraph(g, ref)[g.output];
        const e = relErr(logits, doc.reference.torch_logits);
        assert.ok(e < 1e-3, `${name}: evaluator vs PyTorch ${e}`);
        if (process.env.TT_VERBOSE) console.log(`      ${name}: vs onnxruntime ${errs.join(', ')}, vs PyTorch ${e.toExponential(1)}`);
      });

      it("resolves MIT's schemes to the recorded layers and parameter counts", () => {
        const stats: CalibrationStats = {};
        for (const vals of evaluations()) {
          for (const [t, v] of Object.entries(vals)) {
            const r = stats[t] ?? { min: Infinity, max: -Infinity };
            for (const e of v) { if (e < r.min) r.min = e; if (e > r.max) r.max = e; }
            stats[t] = r;
          }
        }
        const q: QGraph = quantize(g, stats);
        const qLayers = q.nodes.filter((nd) => nd.op === 'conv' || nd.op === 'gemm');
        assert.equal(qLayers.length, doc.conv_count);
        const biasOf = (i: number): number => doc.layers[i].out_channels;
        const perIn = (i: number): number => {
          const r = doc.layers[i];
          return r.kind === 'linear' ? r.out_channels : (r.weight_shape[0] / (r.groups ?? 1)) * (r.kernel ?? 1) ** 2;
        };
        for (const [sname, want] of Object.entries(doc.schemes)) {
          const at = `${name} ${sname}`;
          const s = resolveScheme(path.join(ZOO, want.file), q);
          assert.equal(s.source, 'mit', at);
          assert.equal(s.layers.length, doc.conv_count, at);
          s.layers.forEach((l, i) => assert.equal(l.layer, doc.layers[i].onnx_node, `${at}: layer ${i}`));
          const biased = s.layers.filter((l) => l.bias).map((l) => l.index);
          assert.deepEqual(biased, Array.from({ length: want.bias_layer_count }, (_, k) => want.bias_layers.from + k), at);
          assert.equal(biased[biased.length - 1], doc.classifier_index, at);
          const weighted = s.layers.filter((l) => l.weightRatio > 0);
          assert.deepEqual(
            weighted.map((l) => [l.index, l.channels.length]),
            want.weight_layers.filter((w) => w.channels > 0).map((w) => [w.index, w.channels]), at);
          // MIT's manual_weight_idx name pointwise convs inside the network (the classifier is last);
          // those with a nonzero ratio are the expanding 1x1 (pw1) of a block. Ratio 0 is bias only.
          for (const w of want.weight_layers.slice(0, -1)) {
            assert.equal(s.layers[w.index].kind, 'pointwise', `${at}: index ${w.index}`);
            if (w.ratio > 0) assert.equal(doc.layers[w.index].role, 'pw1', `${at}: index ${w.index}`);
            assert.ok(w.index < doc.classifier_index);
          }
          const biasCount = s.layers.reduce((acc, l) => acc + (l.bias ? biasOf(l.index) : 0), 0);
          const weightCount = s.layers.reduce((acc, l) => acc + l.channels.length * perIn(l.index), 0);
          assert.equal(biasCount, want.bias_elements, at);
          assert.equal(weightCount, want.weight_elements, at);
          if (name === 'mcunet-5fps' && sname === '49kb') {
            // TTE's exported graph outputs exactly these gradients for this scheme (ANCHORS.md).
            assert.equal(weightCount, 13696);
            assert.equal(biasCount, 4602);
          }
        }
      });
    });
  }

  it("MCUNet-5fps keeps TTE's layer names and MIT's 49kb indices land on v9/v10/v11 pw1", () => {
    const doc = JSON.parse(fs.readFileSync(path.join(ZOO, 'mcunet-5fps.json'), 'utf8')) as ZooDoc;
    assert.equal(doc.layers[0].tte_name, 'v0');
    assert.equal(doc.layers[42].tte_name, 'v15');
    assert.deepEqual([24, 27, 30].map((i) => doc.layers[i].tte_name), ['v9_conv_0', 'v10_conv_0', 'v11_conv_0']);
    assert.deepEqual([21, 24, 27, 30, 36, 39].map((i) => doc.layers[i].tte_name),
      ['v8_conv_0', 'v9_conv_0', 'v10_conv_0', 'v11_conv_0', 'v13_conv_0', 'v14_conv_0']);
  });
});

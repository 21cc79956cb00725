// `inspect`: the model's ops, parameters and MACs against counts made here straight from the
// ONNX protobuf, and its memory against what gen plans with real calibration data.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { importOnnx } from '../src/onnx';
import { gen } from '../src/pipeline/gen';
import { inspectModel, InspectReport, INSPECT_SCHEMES } from '../src/pipeline/inspect';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');
const MODELS = [path.join(ROOT, 'models', 'default.onnx'), path.join(ROOT, 'test', 'fixtures', 'models', 'dw_separable_residual.onnx')];
const BOARD = 'stm32f746';

const prod = (d: number[]): number => d.reduce((a, b) => a * b, 1);

interface Counted { params: number; weights: number; macs: number; layers: number; perNode: Map<string, { params: number; macs: number }> }

/** Parameters and MACs from the ModelProto's initializers; output sizes from the imported graph. */
function countFromProto(file: string): Counted {
  const bytes = fs.readFileSync(file);
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph as onnx.GraphProto;
  const dims = new Map<string, number[]>(g.initializer.map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));
  const graph = importOnnx(bytes, { name: path.basename(file) });
  const outElems = (onnxName: string): number => {
    const n = graph.nodes.find((x) => x.name === onnxName);
    assert.ok(n, `no canonical node named ${onnxName}`);
    return prod(graph.shapes[n.output]);
  };
  const c: Counted = { params: 0, weights: 0, macs: 0, layers: 0, perNode: new Map() };
  for (const n of g.node as onnx.NodeProto[]) {
    assert.notEqual(n.opType, 'MatMul', 'this counter covers Conv and Gemm models only');
    if (n.opType !== 'Conv' && n.opType !== 'Gemm') continue;
    const w = dims.get(n.input[0]) ?? dims.get(n.input[1]);
    assert.ok(w, `${n.name}: weight is not an initializer`);
    let out: number;
    let macs: number;
    if (n.opType === 'Conv') {
      // OIHW, I = in_c / groups
      const [o, ipg, kh, kw] = w;
      out = o;
      macs = outElems(n.name ?? '') * ipg * kh * kw;
    } else {
      const transB = Number(n.attribute.find((a) => a.name === 'transB')?.i ?? 0) === 1;
      const [N, K] = transB ? w : [w[1], w[0]];
      out = N;
      macs = N * K;
    }
    // A missing bias is a zero bias the device can train: one per output channel.
    const b = n.input[2] ? dims.get(n.input[2]) : undefined;
    const biases = b ? prod(b) : out;
    c.weights += prod(w);
    c.params += prod(w) + biases;
    c.macs += macs;
    c.layers += 1;
    c.perNode.set(n.name ?? '', { params: prod(w) + biases, macs });
  }
  return c;
}

function tt(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = cp.spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('inspect', function () {
  this.timeout(600_000);
  let tmp = '';
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-inspect-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const model of MODELS) {
    const name = path.basename(model);
    describe(name, () => {
      let r: InspectReport;
      before(() => { r = inspectModel(model, BOARD); });

      it('lists every op of the imported graph with its shapes', () => {
        const graph = importOnnx(fs.readFileSync(model), { name });
        assert.equal(r.ops.length, graph.nodes.length);
        assert.equal(r.totals.ops, graph.nodes.length);
        assert.deepEqual(r.ops.map((o) => o.name), graph.nodes.map((n) => n.name));
        assert.deepEqual(r.ops.map((o) => o.op), graph.nodes.map((n) => n.op));
        for (const [i, n] of graph.nodes.entries()) {
          assert.equal(r.ops[i].index, i);
          assert.deepEqual(r.ops[i].outputShape, graph.shapes[n.output]);
          assert.deepEqual(r.ops[i].inputShapes, n.inputs.map((t) => graph.shapes[t]));
        }
        assert.deepEqual(r.input.shape, graph.input.shape);
        assert.deepEqual(r.output.shape, graph.shapes[graph.output]);
      });

      it('counts parameters and MACs as the ONNX initializers give them', () => {
        const c = countFromProto(model);
        assert.equal(r.totals.params, c.params);
        assert.equal(r.totals.weights, c.weights);
        assert.equal(r.totals.weightBytes, c.weights, 'int8: one byte per weight');
        assert.equal(r.totals.macs, c.macs);
        for (const [node, want] of c.perNode) {
          const op = r.ops.find((o) => o.name === node);
          assert.ok(op, node);
          assert.deepEqual({ params: op.params, macs: op.macs }, want, node);
        }
        for (const o of r.ops) if (o.op !== 'conv' && o.op !== 'gemm') assert.deepEqual([o.params, o.macs], [0, 0], o.name);
        assert.equal(r.trainable.length, c.layers);
        assert.deepEqual(r.trainable.map((l) => l.index), r.trainable.map((_, i) => i));
        for (const l of r.trainable) assert.equal(r.ops[l.op].name, l.name);
      });

      it('plans none, bias and full exactly as gen does, whatever the calibration data', async () => {
        assert.deepEqual(r.memory.map((m) => m.scheme), [...INSPECT_SCHEMES]);
        const [, c, h, w] = r.input.shape;
        const data = path.join(tmp, `${name}-data`);
        writeNpyDataset(data, [c, h, w], 24, 8, r.output.shape[1], 3);
        // Two very different input ranges: the plan must not move.
        for (const scale of [1, 40]) {
          for (const m of r.memory) {
            const g = await gen({
              model, data, board: BOARD, scheme: m.scheme, out: path.join(tmp, 'never-written'), evalSamples: 8, calibSamples: 24, trainSamples: 24,
              scale, write: false, checkFit: false,
            });
            const mem = g.report.memory as { arena_bytes: number; lower_bound_bytes: number; trainable_sram_bytes: number; sram_total_bytes: number };
            const what = `${name} ${m.scheme} scale ${scale}`;
            assert.equal(m.sramBytes, mem.sram_total_bytes, `${what}: total SRAM`);
            assert.equal(m.arenaBytes, mem.arena_bytes, `${what}: arena`);
            assert.equal(m.lowerBoundBytes, mem.lower_bound_bytes, `${what}: lower bound`);
            assert.equal(m.trainableBytes, mem.trainable_sram_bytes, `${what}: trainable`);
            assert.equal(m.fits, mem.sram_total_bytes <= 327680);
            assert.equal((g.report.model as { macs: number }).macs, r.totals.macs, `${what}: MACs as codegen counts them`);
          }
        }
        assert.ok(!fs.existsSync(path.join(tmp, 'never-written')));
        const [none, bias, full] = r.memory;
        assert.equal(none.trainableBytes, 0);
        assert.equal(bias.trainableBytes, 4 * r.totals.biases);
        assert.ok(none.instructions > 0 && none.instructions < bias.instructions && bias.instructions < full.instructions);
      });
    });
  }

  describe('cli', () => {
    it('--json prints the report as one JSON object on the last stdout line', () => {
      const res = tt(['inspect', MODELS[1], '--json']);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trim().split('\n');
      const parsed = JSON.parse(lines[lines.length - 1]) as InspectReport;
      assert.deepEqual(parsed, JSON.parse(JSON.stringify(inspectModel(MODELS[1], BOARD))));
    });

    it('the table names every op and each scheme', () => {
      const res = tt(['inspect', MODELS[1], '--board', 'mps2-an386']);
      assert.equal(res.code, 0, res.stderr);
      for (const s of ['/dw/dw.0/Conv', 'depthwise', '1x3x16x16', 'mps2-an386', 'none', 'bias', 'full', 'lower bound']) assert.ok(res.stdout.includes(s), s);
      const q = tt(['inspect', MODELS[1], '--quiet']);
      assert.equal(q.code, 0);
      assert.equal(q.stdout.trim().split('\n').length, 1);
    });

    it('a corrupt, missing or unsupported model: exit 1 and one stderr line', () => {
      const bad = path.join(tmp, 'bad.onnx');
      const good = fs.readFileSync(MODELS[0]);
      fs.writeFileSync(bad, good.subarray(0, Math.floor(good.length / 3)));
      const cases: [string, RegExp][] = [
        [bad, /bad\.onnx is not a valid ONNX model/],
        [path.join(tmp, 'nope.onnx'), /nope\.onnx does not exist/],
        [path.join(ROOT, 'test', 'fixtures', 'models', 'unsupported_sigmoid.onnx'), /Sigmoid/],
      ];
      for (const [file, msg] of cases) {
        const res = tt(['inspect', file]);
        assert.equal(res.code, 1, res.stderr);
        const lines = res.stderr.trim().split('\n');
        assert.equal(lines.length, 1, res.stderr);
        assert.match(lines[0], /^tinytrain: error: /);
        assert.match(lines[0], msg);
        assert.equal(res.stdout, '');
      }
    });
  });
});

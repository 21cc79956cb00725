// Every fixture model through gen -> host build -> run, compared with onnxruntime on the
// float model (the independent oracle), and host vs QEMU parity on both boards.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { loadDataset } from '../src/data';
import { floatPredict } from '../src/quant/calibrate';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';
import { logitsOf, makeHost, runHost } from './helpers/project';

const ROOT = path.resolve(__dirname, '..', '..');
const MODELS = path.join(ROOT, 'test', 'fixtures', 'models');
const EVAL = 50;

interface OutQ { scale: number; zero_point: number }

async function genFixture(model: string, work: string, board = 'stm32f746'): Promise<{ out: string; data: string }> {
  const g = importOnnx(fs.readFileSync(model));
  const data = path.join(work, 'data');
  if (!fs.existsSync(data)) writeNpyDataset(data, g.input.shape.slice(1), 1000, EVAL, g.shapes[g.output][1]);
  const out = path.join(work, `out-${board}`);
  await gen({ model, data, board, scheme: 'none', out, evalSamples: EVAL, calibSamples: 1000, printLogits: true });
  return { out, data };
}

describe('end to end: fixture models against onnxruntime', function () {
  this.timeout(600_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-e2e-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const models = fs.readdirSync(MODELS).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '.onnx'));

  it('has fixture models to test', () => assert.ok(models.length >= 10, `only ${models.length} fixtures`));

  for (const m of models) {
    it(`${m}: int8 logits track the float model`, async () => {
      const model = path.join(MODELS, m);
      const work = path.join(tmp, m);
      const { out, data } = await genFixture(model, work);
      makeHost(out);
      const run = runHost(out);
      assert.equal(run.code, 0, run.stdout);
      const q = logitsOf(run.events);
      assert.equal(q.length, EVAL);

      const bytes = fs.readFileSync(model);
      const g = importOnnx(bytes);
      const shape = g.input.shape.slice(1);
      const per = shape.reduce((a, b) => a * b, 1);
      const ds = loadDataset(data, { inputShape: shape, maxTrain: 1, maxTest: EVAL });
      const xs = Array.from({ length: EVAL }, (_, i) => ds.test.x.subarray(i * per, (i + 1) * per));
      const ref = await floatPredict(bytes, g, xs);
      const outQ = (JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { model: { output: OutQ } }).model.output;

      let agree = 0;
      let worst = 0;
      const argmax = (v: ArrayLike<number>): number => { let b = 0; for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i; return b; };
      for (let i = 0; i < EVAL; i++) {
        const deq = q[i].map((v) => (v - outQ.zero_point) * outQ.scale);
        if (argmax(deq) === argmax(ref[i])) agree++;
        for (let k = 0; k < deq.length; k++) worst = Math.max(worst, Math.abs(deq[k] - ref[i][k]));
      }
      // int8 error through a few layers: a handful of output steps at most.
      assert.ok(worst <= 6 * outQ.scale, `max |int8 - float| = ${worst.toFixed(4)} = ${(worst / outQ.scale).toFixed(1)} output steps`);
      assert.ok(agree >= EVAL - 2, `top-1 agrees on only ${agree}/${EVAL}`);
    });
  }

  for (const m of ['dw_separable_residual.onnx', 'conv_bn_relu_pool_fc.onnx', 'avgpool_pad.onnx', 'grouped_conv.onnx']) {
    it(`${m}: host and QEMU give byte-identical logits on both boards`, async () => {
      const work = path.join(tmp, `parity-${m}`);
      const outs: string[] = [];
      for (const board of ['stm32f746', 'mps2-an386']) {
        const { out } = await genFixture(path.join(MODELS, m), work, board);
        buildProject(out, 'emu', { printLogits: true });
        outs.push(out);
      }
      makeHost(outs[0]);
      const host = runHost(outs[0]);
      assert.equal(host.code, 0);
      const hostLogits = JSON.stringify(logitsOf(host.events));
      for (const out of outs) {
        const lines: string[] = [];
        const r = await emulateProject(out, { onLine: (l) => lines.push(l) });
        assert.equal(r.exit_code, 0, lines.join('\n'));
        const qemuLogits = JSON.stringify(logitsOf(lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string })));
        assert.equal(qemuLogits, hostLogits, `${out}: QEMU logits differ from the host's`);
        assert.ok((r.instructions_per_inference ?? 0) > 1000, 'instruction count missing');
        assert.ok(r.sram && r.sram.stack > 0 && r.sram.total > r.sram.arena);
      }
    });
  }
});

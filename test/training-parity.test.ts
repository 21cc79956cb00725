// After 500 training steps on the same samples, the host build and the QEMU builds (both
// boards, with the optimized Cortex-M kernels and with the portable ones) hold
// byte-identical updated weights and print identical evaluations.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';
import { makeHost, runHost } from './helpers/project';

const MODELS = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');

describe('training parity: host vs QEMU, optimized vs portable kernels, after 500 steps', function () {
  this.timeout(900_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-parity-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases: { model: string; scheme: string; rounding: 'stochastic' | 'nearest' | 'master' }[] = [
    { model: 'dw_separable_residual.onnx', scheme: 'full', rounding: 'stochastic' },
    { model: 'interleaved_branches.onnx', scheme: 'full', rounding: 'stochastic' },
    { model: 'inverted_residual_s2.onnx', scheme: 'full', rounding: 'stochastic' },
    { model: 'conv_bn_relu_pool_fc.onnx', scheme: 'full', rounding: 'master' },
    { model: 'grouped_conv.onnx', scheme: 'bias+last:2', rounding: 'nearest' },
    { model: 'avgpool_pad.onnx', scheme: 'full', rounding: 'stochastic' },
    // Partial updates of a depthwise, a pointwise and the classifier: split weights.
    { model: 'dw_separable_residual.onnx', scheme: 'partial', rounding: 'master' },
  ];
  for (const c of cases) {
    it(`${c.model}, scheme ${c.scheme}, ${c.rounding} rounding`, async () => {
      const model = path.join(MODELS, c.model);
      const g = importOnnx(fs.readFileSync(model));
      const data = path.join(tmp, `${c.model}-data`);
      writeNpyDataset(data, g.input.shape.slice(1), 100, 40, g.shapes[g.output][1], 7);
      const results: { where: string; params: string; logits: string; evals: string }[] = [];
      let scheme = c.scheme;
      if (scheme === 'partial') {
        scheme = path.join(tmp, 'partial.json');
        fs.writeFileSync(scheme, JSON.stringify({ layers: [{ layer: 1, bias: true, weight_ratio: 0.5 }, { layer: 2, bias: true, weight_ratio: 0.25 }, { layer: 3, bias: true, weight_ratio: 0.5 }] }));
      }
      for (const board of ['stm32f746', 'mps2-an386']) {
        const out = path.join(tmp, `${c.model}-${board}`);
        await gen({ model, data, board, scheme, out, evalSamples: 40, calibSamples: 100, trainSamples: 100, steps: 500, evalEvery: 250, lr: 0.05, rounding: c.rounding });
        buildProject(out, 'emu');
        const r = await emulateProject(out, {});
        assert.equal(r.exit_code, 0);
        assert.equal(r.train_steps, 500);
        assert.ok((r.instructions_per_train_step ?? 0) > (r.instructions_per_inference ?? 0), 'a training step costs more than an inference');
        results.push({ where: board, params: r.params_crc32 ?? '', logits: r.logits_crc32 ?? '', evals: JSON.stringify(r.eval) });
        // The same project with the portable kernels on the same core (tt_simd.h, TT_PORTABLE).
        buildProject(out, 'emu', { extraCflags: ['-DTT_PORTABLE'] });
        const p = await emulateProject(out, {});
        assert.equal(p.exit_code, 0);
        results.push({ where: `${board} portable`, params: p.params_crc32 ?? '', logits: p.logits_crc32 ?? '', evals: JSON.stringify(p.eval) });
        assert.ok((r.instructions_per_inference ?? Infinity) < (p.instructions_per_inference ?? 0),
          `${board}: the optimized kernels take ${r.instructions_per_inference} instructions per inference, the portable ones ${p.instructions_per_inference}`);
        if (board === 'stm32f746') {
          makeHost(out);
          const h = runHost(out);
          assert.equal(h.code, 0);
          const done = h.events.find((e) => e.event === 'done') as unknown as { params_crc32: string; logits_crc32: string };
          const evals = h.events.filter((e) => e.event === 'eval').map((e) => ({
            step: e.step, samples: e.samples, correct: e.correct, accuracy: Number(e.samples) > 0 ? Number(e.correct) / Number(e.samples) : 0,
            loss: e.loss, ...(e.train_loss !== undefined ? { train_loss: e.train_loss } : {}),
          }));
          results.push({ where: 'host', params: done.params_crc32, logits: done.logits_crc32, evals: JSON.stringify(evals) });
        }
      }
      const [first, ...rest] = results;
      for (const r of rest) {
        assert.equal(r.params, first.params, `${r.where}: updated weights differ from ${first.where}`);
        assert.equal(r.logits, first.logits, `${r.where}: evaluation logits differ from ${first.where}`);
        assert.equal(r.evals, first.evals, `${r.where}: evaluations differ`);
      }
      // The weights did move.
      assert.notEqual(first.params, '00000000');
    });
  }
});

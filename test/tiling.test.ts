// Tiled execution of the frozen prefix changes where bytes live, never what is computed:
// tiled and untiled firmware give identical logits and identical updated weights, and the
// tiled arena is smaller. Covers convs, depthwise, pools, standalone activations and a
// residual add inside the tiled segment.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';

const MODELS = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');

describe('tiled execution of the frozen prefix', function () {
  this.timeout(600_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-tiling-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases = [
    { model: 'dw_separable_residual.onnx', scheme: 'last:1' },
    { model: 'conv_bn_relu_pool_fc.onnx', scheme: 'last:1' },
    { model: 'avgpool_pad.onnx', scheme: 'last:1' },
    { model: 'grouped_conv.onnx', scheme: 'last:1' },
  ];
  for (const c of cases) {
    it(`${c.model} (${c.scheme}): same logits and weights as untiled, smaller arena`, async () => {
      const model = path.join(MODELS, c.model);
      const g = importOnnx(fs.readFileSync(model));
      const data = path.join(tmp, `${c.model}-data`);
      writeNpyDataset(data, g.input.shape.slice(1), 60, 30, g.shapes[g.output][1], 3);
      const runs: { arena: number; logits: string; params: string; tiled: boolean }[] = [];
      for (const tiling of ['off', 'always'] as const) {
        const out = path.join(tmp, `${c.model}-${tiling}`);
        const r = await gen({ model, data, board: 'stm32f746', scheme: c.scheme, out, evalSamples: 30, calibSamples: 60, trainSamples: 60, steps: 60, lr: 0.05, tiling });
        buildProject(out, 'host');
        const e = await emulateProject(out, { host: true });
        assert.equal(e.exit_code, 0);
        const mem = r.report.memory as { arena_bytes: number };
        runs.push({ arena: mem.arena_bytes, logits: e.logits_crc32 ?? '', params: e.params_crc32 ?? '', tiled: (r.report.notes as string[]).some((n) => n.startsWith('tiled execution')) });
      }
      const [off, auto] = runs;
      assert.equal(off.tiled, false);
      assert.equal(auto.tiled, true, 'expected a tiled segment');
      assert.equal(auto.logits, off.logits, 'tiling changed the logits');
      assert.equal(auto.params, off.params, 'tiling changed the updated weights');
    });
  }

  it('auto tiles only when the untiled plan does not fit the budget', async () => {
    const model = path.join(MODELS, 'conv_bn_relu_pool_fc.onnx');
    const g = importOnnx(fs.readFileSync(model));
    const data = path.join(tmp, 'auto-data');
    writeNpyDataset(data, g.input.shape.slice(1), 20, 10, g.shapes[g.output][1], 4);
    const sizes: number[] = [];
    for (const budget of [undefined, '9000']) {
      const r = await gen({ model, data, board: 'stm32f746', scheme: 'last:1', out: path.join(tmp, `auto-${budget}`), evalSamples: 10, calibSamples: 20, trainSamples: 20, steps: 5, tiling: 'auto', budget, checkFit: false });
      sizes.push((r.report.memory as { arena_bytes: number }).arena_bytes);
      assert.equal(r.report.tiling !== null, budget !== undefined, 'tiled exactly when the untiled plan does not fit');
    }
    assert.ok(sizes[1] < sizes[0], `with a budget ${sizes[1]} B vs untiled ${sizes[0]} B`);
  });

  it('a tiled project builds and runs in QEMU with the same results as the host', async () => {
    const model = path.join(MODELS, 'conv_bn_relu_pool_fc.onnx');
    const g = importOnnx(fs.readFileSync(model));
    const data = path.join(tmp, 'qemu-data');
    writeNpyDataset(data, g.input.shape.slice(1), 40, 20, g.shapes[g.output][1], 5);
    const out = path.join(tmp, 'qemu');
    const r = await gen({ model, data, board: 'mps2-an386', scheme: 'last:1', out, evalSamples: 20, calibSamples: 40, trainSamples: 40, steps: 40, lr: 0.05, tiling: 'always' });
    assert.ok((r.report.notes as string[]).some((n) => n.startsWith('tiled execution')), 'expected this model to be tiled');
    buildProject(out, 'emu');
    const q = await emulateProject(out, {});
    buildProject(out, 'host');
    const h = await emulateProject(out, { host: true });
    assert.equal(q.exit_code, 0);
    assert.equal(q.logits_crc32, h.logits_crc32);
    assert.equal(q.params_crc32, h.params_crc32);
  });
});

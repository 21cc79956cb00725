// Channel-streamed backward through a depthwise conv (train/stream.ts): the depthwise's
// input gradient is never whole, and the results are those of the unstreamed steps, bit for
// bit, with nearest and master rounding (stochastic draws interleave per channel, so only
// host/QEMU parity is claimed for it: test/training-parity.test.ts). The unstreamed path is
// itself checked against PyTorch (test/train-kernels.test.ts).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';

const MODELS = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');

describe('channel-streamed depthwise backward', function () {
  this.timeout(600_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-stream-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const scheme = (name: string, layers: { layer: string; bias: boolean; weight_ratio: number }[]): string => {
    const f = path.join(tmp, `${name}.json`);
    fs.writeFileSync(f, JSON.stringify({ name, layers }));
    return f;
  };
  const model = path.join(MODELS, 'inverted_residual_s2.onnx');
  const g = importOnnx(fs.readFileSync(model));
  const expand = g.nodes.find((n) => n.op === 'conv' && /expand/.test(n.name))!.name;
  const fc = g.nodes[g.nodes.length - 1].name;

  const cases = [
    { name: 'expand-full', layers: [{ layer: expand, bias: true, weight_ratio: 1 }, { layer: fc, bias: true, weight_ratio: 1 }], rounding: 'nearest' as const },
    // A partial pointwise update keeps its weights split between flash and SRAM.
    { name: 'expand-half', layers: [{ layer: expand, bias: true, weight_ratio: 0.5 }], rounding: 'master' as const },
    { name: 'expand-bias', layers: [{ layer: expand, bias: true, weight_ratio: 0 }], rounding: 'nearest' as const },
    { name: 'full', layers: null, rounding: 'master' as const },
  ];
  for (const c of cases) {
    it(`${c.name} (${c.rounding}): same logits and weights as unstreamed, smaller arena`, async () => {
      const data = path.join(tmp, 'data');
      if (!fs.existsSync(data)) writeNpyDataset(data, [3, 16, 16], 60, 30, 5, 11);
      const spec = c.layers ? scheme(c.name, c.layers) : 'full';
      const runs: { arena: number; logits: string; params: string; streamed: boolean }[] = [];
      for (const stream of [false, true]) {
        const out = path.join(tmp, `${c.name}-${stream}`);
        const r = await gen({ model, data, board: 'stm32f746', scheme: spec, out, evalSamples: 30, calibSamples: 60, trainSamples: 60, steps: 60, lr: 0.05, rounding: c.rounding, stream });
        buildProject(out, 'host');
        const e = await emulateProject(out, { host: true });
        assert.equal(e.exit_code, 0);
        const steps = r.report.train_steps as string[];
        runs.push({ arena: (r.report.memory as { arena_bytes: number }).arena_bytes, logits: e.logits_crc32 ?? '', params: e.params_crc32 ?? '', streamed: steps.includes('stream_backward') });
      }
      const [off, on] = runs;
      assert.equal(off.streamed, false);
      assert.equal(on.streamed, true);
      assert.equal(on.logits, off.logits);
      assert.equal(on.params, off.params);
      // The depthwise input gradient is 24 x 16 x 16 floats; streaming keeps one 16 x 16 plane.
      assert.ok(on.arena < off.arena, `streamed arena ${on.arena} vs ${off.arena}`);
    });
  }
});

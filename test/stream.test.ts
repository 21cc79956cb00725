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
  const stem = g.nodes.find((n) => n.op === 'conv' && /stem/.test(n.name))!.name;
  const fc = g.nodes[g.nodes.length - 1].name;

  const cases = [
    { name: 'expand-full', layers: [{ layer: expand, bias: true, weight_ratio: 1 }, { layer: fc, bias: true, weight_ratio: 1 }], rounding: 'nearest' as const },
    // A partial pointwise update keeps its weights split between flash and SRAM.
    { name: 'expand-half', layers: [{ layer: expand, bias: true, weight_ratio: 0.5 }], rounding: 'master' as const },
    { name: 'expand-bias', layers: [{ layer: expand, bias: true, weight_ratio: 0 }], rounding: 'nearest' as const },
    // The stem's weights and bias need the expand conv's input gradient: two levels.
    { name: 'full', layers: null, rounding: 'master' as const, twoLevel: true },
    { name: 'stem-expand', layers: [{ layer: stem, bias: true, weight_ratio: 0.5 }, { layer: expand, bias: false, weight_ratio: 1 }], rounding: 'nearest' as const, twoLevel: true },
    { name: 'stem-bias', layers: [{ layer: stem, bias: true, weight_ratio: 0 }], rounding: 'nearest' as const, twoLevel: true },
    // A split (partial pointwise) producer keeps the one-level stream.
    { name: 'stem-expand-half', layers: [{ layer: stem, bias: true, weight_ratio: 1 }, { layer: expand, bias: true, weight_ratio: 0.5 }], rounding: 'master' as const, twoLevel: false },
  ];
  for (const c of cases) {
    it(`${c.name} (${c.rounding}): same logits and weights as unstreamed, smaller arena`, async () => {
      const data = path.join(tmp, 'data');
      if (!fs.existsSync(data)) writeNpyDataset(data, [3, 16, 16], 60, 30, 5, 11);
      const spec = c.layers ? scheme(c.name, c.layers) : 'full';
      const runs: { arena: number; logits: string; params: string; streamed: boolean; twoLevel: boolean }[] = [];
      for (const stream of [false, true]) {
        const out = path.join(tmp, `${c.name}-${stream}`);
        const r = await gen({ model, data, board: 'stm32f746', scheme: spec, out, evalSamples: 30, calibSamples: 60, trainSamples: 60, steps: 60, lr: 0.05, rounding: c.rounding, stream });
        buildProject(out, 'host');
        const e = await emulateProject(out, { host: true });
        assert.equal(e.exit_code, 0);
        const steps = r.report.train_steps as string[];
        const notes = r.report.notes as string[];
        runs.push({ arena: (r.report.memory as { arena_bytes: number }).arena_bytes, logits: e.logits_crc32 ?? '', params: e.params_crc32 ?? '', streamed: steps.includes('stream_backward'), twoLevel: notes.some((n) => /on into the conv before/.test(n)) });
      }
      const [off, on] = runs;
      assert.equal(off.streamed, false);
      assert.equal(on.streamed, true);
      assert.equal(on.twoLevel, 'twoLevel' in c ? c.twoLevel : false);
      assert.equal(on.logits, off.logits);
      assert.equal(on.params, off.params);
      // The depthwise input gradient is 24 x 16 x 16 floats; streaming keeps one 16 x 16 plane.
      assert.ok(on.arena < off.arena, `streamed arena ${on.arena} vs ${off.arena}`);
    });
  }

  // The bundled model's head: pointwise f12 -> ReLU -> global average pool. Streaming the
  // pool's 64 x 7 x 7 input gradient is taken only where it lowers the arena.
  it('bundled model, f6 weights (nearest): the pool streamed too, same results, smaller arena', async () => {
    const spec = scheme('bundled-f6', [{ layer: '/features/features.6/Conv', bias: true, weight_ratio: 1 }]);
    const runs: { arena: number; logits: string; params: string; notes: string[] }[] = [];
    for (const stream of [false, true]) {
      const out = path.join(tmp, `bundled-f6-${stream}`);
      const r = await gen({ board: 'stm32f746', scheme: spec, out, evalSamples: 50, calibSamples: 64, trainSamples: 80, steps: 80, invert: true, rounding: 'nearest', stream });
      buildProject(out, 'host');
      const e = await emulateProject(out, { host: true });
      assert.equal(e.exit_code, 0);
      runs.push({ arena: (r.report.memory as { arena_bytes: number }).arena_bytes, logits: e.logits_crc32 ?? '', params: e.params_crc32 ?? '', notes: r.report.notes as string[] });
    }
    const [off, on] = runs;
    assert.ok(on.notes.some((n) => /1 global average pool/.test(n)), on.notes.join('; '));
    assert.equal(on.logits, off.logits);
    assert.equal(on.params, off.params);
    assert.ok(off.arena - on.arena >= 12544 - 196, `arena ${on.arena} vs ${off.arena}`);
  });

  it('the pool is not streamed where it would not lower the arena', async () => {
    const out = path.join(tmp, 'bundled-fc');
    const r = await gen({ board: 'stm32f746', scheme: 'bias+last:2', out, evalSamples: 10, calibSamples: 64, trainSamples: 10, steps: 10, invert: true, write: false });
    assert.ok(!(r.report.notes as string[]).some((n) => /global average pool/.test(n)), (r.report.notes as string[]).join('; '));
  });

  // The bundled model: conv 3x3 (Q) -> conv 3x3 (P) -> depthwise (D). Two levels through a
  // regular 3x3 producer; P's 16 x 14 x 14 input gradient never exists.
  // Its input (f3's output) is recomputed channel by channel, not kept: f3's update keeps
  // f3's input live anyway. A partial f6 update selects input channels of the recomputed plane.
  for (const c of [
    { name: 'bundled', f6: 1, rounding: 'nearest' as const },
    { name: 'bundled-half', f6: 0.5, rounding: 'master' as const },
  ]) it(`bundled model, f3 + f6 ${c.f6 === 1 ? '' : `1/${1 / c.f6} `}weights (${c.rounding}): two levels through a 3x3 producer, its input recomputed, same results`, async () => {
    const layers = [['/features/features.3/Conv', 1], ['/features/features.6/Conv', c.f6], ['/fc/Gemm', 1]].map(([layer, weight_ratio]) => ({ layer: layer as string, bias: true, weight_ratio: weight_ratio as number }));
    const spec = scheme(c.name, layers);
    const runs: { arena: number; logits: string; params: string; notes: string[] }[] = [];
    for (const stream of [false, true]) {
      const out = path.join(tmp, `${c.name}-${stream}`);
      const r = await gen({ board: 'stm32f746', scheme: spec, out, evalSamples: 50, calibSamples: 64, trainSamples: 80, steps: 80, invert: true, rounding: c.rounding, stream });
      buildProject(out, 'host');
      const e = await emulateProject(out, { host: true });
      assert.equal(e.exit_code, 0);
      runs.push({ arena: (r.report.memory as { arena_bytes: number }).arena_bytes, logits: e.logits_crc32 ?? '', params: e.params_crc32 ?? '', notes: r.report.notes as string[] });
    }
    const [off, on] = runs;
    assert.ok(on.notes.some((n) => /on into the conv before the next conv, 1 recomputing its input/.test(n)), on.notes.join('; '));
    assert.equal(on.logits, off.logits);
    assert.equal(on.params, off.params);
    // Unstreamed, f6's 12,544-byte input gradient is whole and f3's 3,136-byte output kept.
    assert.ok(off.arena - on.arena >= 12544 + 3136 - 2 * 784 - 196, `arena ${on.arena} vs ${off.arena}`);
  });
});

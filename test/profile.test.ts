// The per-call instruction profile (-DTT_PROFILE) the speed bench reads, the kernel cost fit
// built from it, and the im2col scratch the planner reserves for the optimized regular conv.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fitKernel, KernelSample } from '../src/analyze/kernel-costs';
import { importOnnx } from '../src/onnx';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';

const MODELS = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');

interface Profile { call: number; what: string; instructions: number; runs: number }

describe('instruction profile and kernel costs', function () {
  this.timeout(600_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-profile-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the per-call profile adds up to the measured inference and training step, one entry per kernel call', async () => {
    const model = path.join(MODELS, 'dw_separable_residual.onnx');
    const g = importOnnx(fs.readFileSync(model));
    const data = path.join(tmp, 'data');
    writeNpyDataset(data, g.input.shape.slice(1), 20, 4, g.shapes[g.output][1], 3);
    const out = path.join(tmp, 'out');
    await gen({ model, data, board: 'stm32f746', scheme: 'full', out, evalSamples: 4, calibSamples: 20, trainSamples: 20, steps: 3 });
    buildProject(out, 'emu');
    const plain = await emulateProject(out, {});
    buildProject(out, 'emu', { extraCflags: ['-DTT_PROFILE'] });
    const lines: Profile[] = [];
    const prof = await emulateProject(out, { onLine: (l) => { if (l.includes('"event":"profile"')) lines.push(JSON.parse(l) as Profile); } });
    assert.equal(prof.params_crc32, plain.params_crc32, 'profiling changes no result');
    const sum = (part: string): number => lines.filter((p) => p.what.startsWith(`${part}|`)).reduce((a, p) => a + p.instructions, 0);
    const calls = (part: string): Profile[] => lines.filter((p) => p.what.startsWith(`${part}|`));
    // The counter reads between calls are charged to no call, and the marks change the
    // compiled code around them a little: the sums match the un-profiled totals within 2%.
    const inf = plain.instructions_per_inference ?? 0, step = plain.instructions_per_train_step ?? 0;
    assert.ok(Math.abs(sum('inference') - inf) <= 0.02 * inf, `inference: profile ${sum('inference')} vs ${inf}`);
    assert.ok(Math.abs(sum('train') - step) <= 0.02 * step, `step: profile ${sum('train')} vs ${step}`);
    assert.ok(calls('inference').every((p) => p.runs === 8), 'two evaluations of 4 samples');
    assert.ok(calls('train').every((p) => p.runs === 3), 'three steps');
    // Every call of model.c has one entry, with its phase, kernel and layer.
    const src = fs.readFileSync(path.join(out, 'model', 'model.c'), 'utf8');
    assert.equal(lines.length, (src.match(/TT_PROFILE_MARK\(\d+\);/g) ?? []).length);
    for (const phase of ['forward', 'loss', 'backward', 'update']) assert.ok(calls('train').some((p) => p.what.split('|')[1] === phase), phase);
    assert.ok(lines.every((p) => /^(inference|train)\|(forward|loss|backward|update)\|tt_[a-z0-9_]+\|./.test(p.what)), lines.map((p) => p.what).join('\n'));
  });

  it('fitKernel recovers per-MAC, per-element and fixed costs and reports its worst error', () => {
    const samples: KernelSample[] = [[1000, 100], [5000, 200], [20000, 1000], [800, 800], [64000, 4096]].map(([macs, elements]) => ({
      kernel: 'k', macs, elements, instructions: 0.9 * macs + 11 * elements + 300, portable: false,
    }));
    const f = fitKernel(samples);
    assert.ok(Math.abs(f.per_mac - 0.9) < 1e-6 && Math.abs(f.per_element - 11) < 1e-6 && Math.abs(f.fixed - 300) < 1e-3, JSON.stringify(f));
    assert.ok(f.max_relative_error < 1e-9);
    // Never a negative coefficient: a cost that only grows with elements.
    const g = fitKernel([[10, 5], [20, 10], [40, 20]].map(([macs, elements]) => ({ kernel: 'k', macs, elements, instructions: 3 * elements, portable: false })));
    assert.ok(g.per_mac >= 0 && g.per_element >= 0 && g.fixed >= 0, JSON.stringify(g));
  });

  it('regular convs get planned im2col scratch on DSP cores, sized for two int16 columns', async () => {
    const model = path.join(MODELS, 'conv_bn_relu_pool_fc.onnx');
    const g = importOnnx(fs.readFileSync(model));
    const data = path.join(tmp, 'data2');
    writeNpyDataset(data, g.input.shape.slice(1), 20, 4, g.shapes[g.output][1], 3);
    const out = path.join(tmp, 'im2col');
    const r = await gen({ model, data, board: 'stm32f746', scheme: 'none', out, evalSamples: 4, calibSamples: 20 });
    const src = fs.readFileSync(path.join(out, 'model', 'model.c'), 'utf8');
    const convs = (r.report.layers as { name: string; kernel: string }[]).filter((l) => l.kernel === 'tt_conv_s8');
    assert.ok(convs.length > 0);
    assert.equal((src.match(/\.im2col = \(int16_t \*\)\(tt_arena \+ \d+\)/g) ?? []).length, convs.length);
    const bufs = (r.report.memory as { buffers: { tensor: string; bytes: number }[] }).buffers.filter((b) => b.tensor.startsWith('im2col:'));
    assert.equal(bufs.length, convs.length);
    for (const b of bufs) assert.equal(b.bytes % 4, 0);
  });
});

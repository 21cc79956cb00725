// Schedule choices that lower the peak: the order of independent ops and in-place
// elementwise forward ops. They change where and when bytes live, not the int8 forward;
// the expected arenas are counted by hand from the fixture's shapes.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';

const MODELS = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'models');

interface Mem { arena_bytes: number; schedule: { naive_lower_bound_bytes: number; reordered: boolean; in_place_forward: number }; buffers: { tensor: string; offset: number }[] }

describe('schedule choices', function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-schedule-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function run(model: string, scheme: string, opts: { reorder?: boolean; inPlace?: boolean }, tag: string): Promise<{ mem: Mem; logits: string; params: string; steps: string[] }> {
    const file = path.join(MODELS, model);
    const g = importOnnx(fs.readFileSync(file));
    const data = path.join(tmp, `${model}-data`);
    if (!fs.existsSync(data)) writeNpyDataset(data, g.input.shape.slice(1), 40, 20, g.shapes[g.output][1], 7);
    const out = path.join(tmp, `${model}-${scheme}-${tag}`.replace(/[^\w.-]/g, '_'));
    const r = await gen({ model: file, data, board: 'stm32f746', scheme, out, evalSamples: 20, calibSamples: 40, trainSamples: 40, steps: 40, lr: 0.05, ...opts });
    buildProject(out, 'host');
    const e = await emulateProject(out, { host: true });
    assert.equal(e.exit_code, 0);
    return { mem: r.report.memory as Mem, logits: e.logits_crc32 ?? '', params: e.params_crc32 ?? '', steps: r.report.train_steps as string[] };
  }

  it('runs interleaved branches one at a time: (4+32+4) instead of (4+32+32) planes of 16x16 live', async () => {
    const naive = await run('interleaved_branches.onnx', 'none', { reorder: false }, 'naive');
    const ordered = await run('interleaved_branches.onnx', 'none', {}, 'ordered');
    // Plus, at the peak, the im2col columns of the 3x3 conv over 32 channels that runs there
    // (the optimized regular conv's scratch on a DSP core: 2 columns x 288 taps x 2 bytes).
    const im2col = 2 * 2 * 32 * 9;
    assert.equal(naive.mem.arena_bytes, (4 + 32 + 32) * 256 + im2col);
    assert.equal(ordered.mem.arena_bytes, (4 + 32 + 4) * 256 + im2col);
    assert.equal(ordered.mem.schedule.reordered, true);
    assert.equal(ordered.mem.schedule.naive_lower_bound_bytes, naive.mem.arena_bytes);
    assert.equal(ordered.logits, naive.logits, 'the op order changed the int8 forward');
    const fwd = (s: string[]): string[] => s.filter((x) => x.startsWith('forward'));
    assert.deepEqual([...fwd(ordered.steps)].sort(), [...fwd(naive.steps)].sort());
    assert.notDeepEqual(fwd(ordered.steps), fwd(naive.steps));
  });

  it('a reordered training schedule is smaller and updates the same weights identically where no gradient sum is reordered', async () => {
    // last:2 updates fc and the branch-b 1x1 conv: no gradient gets two contributions.
    const naive = await run('interleaved_branches.onnx', 'last:2', { reorder: false }, 'naive');
    const ordered = await run('interleaved_branches.onnx', 'last:2', {}, 'ordered');
    assert.ok(ordered.mem.arena_bytes < naive.mem.arena_bytes, `${ordered.mem.arena_bytes} vs ${naive.mem.arena_bytes}`);
    assert.equal(ordered.params, naive.params);
    assert.equal(ordered.logits, naive.logits);
    // Full: the stem's gradient sums a1's and b1's contributions in the other order, so the
    // float bits may differ; the plan must still shrink.
    const fullNaive = await run('interleaved_branches.onnx', 'full', { reorder: false }, 'naive');
    const fullOrdered = await run('interleaved_branches.onnx', 'full', {}, 'ordered');
    assert.ok(fullOrdered.mem.arena_bytes < fullNaive.mem.arena_bytes, `${fullOrdered.mem.arena_bytes} vs ${fullNaive.mem.arena_bytes}`);
  });

  it('an in-place residual add shares its dead input\'s bytes and computes the same', async () => {
    const off = await run('dw_separable_residual.onnx', 'full', { inPlace: false }, 'off');
    const on = await run('dw_separable_residual.onnx', 'full', {}, 'on');
    assert.equal(off.mem.schedule.in_place_forward, 0);
    assert.equal(on.mem.schedule.in_place_forward, 1);
    // The add's output is no longer a buffer of its own.
    const names = (m: Mem): string[] => m.buffers.map((b) => b.tensor);
    const addOut = names(off.mem).filter((n) => !names(on.mem).includes(n));
    assert.equal(addOut.length, 1);
    assert.match(addOut[0], /Add|Relu/);
    assert.equal(on.logits, off.logits);
    assert.equal(on.params, off.params);
  });
});

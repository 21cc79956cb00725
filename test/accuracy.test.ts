// Real data, real models: the int8 firmware in QEMU must classify Fashion-MNIST as well as
// the float model does under onnxruntime (within 1 point on the same 1000 test images).
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { loadDataset } from '../src/data';
import { floatPredict } from '../src/quant/calibrate';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');
const FMNIST = '/usr/share/datasets/fashion-mnist';
const N = 1000;

function tt(args: string[]): string {
  const r = cp.spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`tinytrain ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function floatAccuracy(model: string, norm: { mean?: number[]; std?: number[] }): Promise<number> {
  const bytes = fs.readFileSync(model);
  const g = importOnnx(bytes);
  const shape = g.input.shape.slice(1);
  const per = shape.reduce((a, b) => a * b, 1);
  const ds = loadDataset(FMNIST, { inputShape: shape, normalize: norm, maxTrain: 1, maxTest: N });
  const xs = Array.from({ length: N }, (_, i) => ds.test.x.subarray(i * per, (i + 1) * per));
  const logits = await floatPredict(bytes, g, xs);
  let correct = 0;
  logits.forEach((l, i) => { if (l.indexOf(Math.max(...l)) === ds.test.y[i]) correct++; });
  return correct / N;
}

interface Summary { exit_code: number; eval: { samples: number; accuracy: number }[]; instructions_per_inference: number; sram: { total: number; stack: number }; flash: number }

describe('accuracy on Fashion-MNIST in the emulator', function () {
  this.timeout(900_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-acc-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  before(function () { if (!fs.existsSync(FMNIST)) this.skip(); });

  it('the bundled default model, through the Quick start commands', async () => {
    const out = path.join(tmp, 'default');
    tt(['gen', '--board', 'stm32f746', '--out', out, '--quiet']);
    tt(['build', out, '--quiet']);
    const s = JSON.parse(tt(['emulate', out, '--json']).trim().split('\n').pop() as string) as Summary;
    assert.equal(s.exit_code, 0);
    assert.equal(s.eval[0].samples, N);
    const ref = await floatAccuracy(path.join(ROOT, 'models', 'default.onnx'), {});
    assert.ok(Math.abs(s.eval[0].accuracy - ref) <= 0.01, `int8 ${s.eval[0].accuracy} vs float ${ref}`);
    assert.ok(ref >= 0.85, `the bundled model should be a useful classifier (float ${ref})`);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { memory: Record<string, number> };
    for (const k of ['arena_bytes', 'lower_bound_bytes', 'sram_total_bytes', 'flash_bytes']) assert.ok(report.memory[k] > 0, k);
    assert.ok(s.sram.total <= 320 * 1024 && s.sram.stack > 0 && s.flash > 0);
  });

  it('an unseen depthwise-separable model with its own normalization', async () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'dwsep');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { normalization: { mean: number[]; std: number[] } };
    const out = path.join(tmp, 'dwsep');
    tt(['gen', '--model', path.join(dir, 'model.onnx'), '--data', FMNIST, '--mean', meta.normalization.mean.join(','), '--std', meta.normalization.std.join(','), '--eval-samples', String(N), '--out', out, '--quiet']);
    tt(['build', out, '--quiet']);
    const s = JSON.parse(tt(['emulate', out, '--json']).trim().split('\n').pop() as string) as Summary;
    assert.equal(s.exit_code, 0);
    const ref = await floatAccuracy(path.join(dir, 'model.onnx'), { mean: meta.normalization.mean, std: meta.normalization.std });
    assert.ok(Math.abs(s.eval[0].accuracy - ref) <= 0.01, `int8 ${s.eval[0].accuracy} vs float ${ref}`);
  });
});

// On-device learning on real data, in the emulator (issue 3's acceptance):
//  - a domain shift the bundled model never saw (inverted intensities): one pass over 1000
//    shifted training images raises accuracy on 1000 shifted test images by >= 15 points
//    and lands within 3 points of (or above) a float PyTorch fine-tune of the whole model;
//  - a new-classes task with --classes;
//  - a model never seen during development trains with bias+last:2 and a MIT-format scheme.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FMNIST, writeTaskDataset } from './helpers/tasks';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');

function tt(args: string[]): string {
  const r = cp.spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`tinytrain ${args.join(' ')} failed (${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  return r.stdout;
}

interface Summary {
  exit_code: number; train_steps: number; skipped_updates: number; instructions_per_train_step: number;
  eval: { step: number; samples: number; accuracy: number; loss: number }[]; sram: { total: number; trainable: number };
}

function genBuildEmulate(out: string, genArgs: string[]): Summary {
  tt(['gen', ...genArgs, '--out', out, '--quiet']);
  tt(['build', out, '--quiet']);
  const s = JSON.parse(tt(['emulate', out, '--json', '--quiet']).trim().split('\n').pop() as string) as Summary;
  assert.equal(s.exit_code, 0);
  return s;
}

function reference(name: string): { before: number; best: { lr: number; accuracy: number } } {
  const r = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', `${name}.json`), 'utf8')) as { before: { accuracy: number }; best: { lr: number; accuracy: number } };
  return { before: r.before.accuracy, best: r.best };
}

describe('on-device learning in the emulator (Fashion-MNIST)', function () {
  this.timeout(1_800_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-learn-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  before(function () { if (!fs.existsSync(FMNIST)) this.skip(); });

  it('domain shift (inverted images): +15 points, within 3 points of a float PyTorch full fine-tune', () => {
    const data = path.join(tmp, 'invert');
    writeTaskDataset('invert', data);
    const s = genBuildEmulate(path.join(tmp, 'inv-out'), ['--data', data, '--scheme', 'full', '--lr', '0.003', '--epochs', '1']);
    const [first, last] = [s.eval[0], s.eval[s.eval.length - 1]];
    assert.equal(s.train_steps, 1000);
    assert.equal(first.samples, 1000);
    assert.equal(s.skipped_updates, 0);
    const ref = reference('default-invert');
    assert.ok(Math.abs(first.accuracy - ref.before) <= 0.02, `int8 start ${first.accuracy} vs float start ${ref.before}`);
    assert.ok(last.accuracy - first.accuracy >= 0.15, `accuracy ${first.accuracy} -> ${last.accuracy}`);
    assert.ok(last.accuracy >= ref.best.accuracy - 0.03, `int8 on device ${last.accuracy} vs float fine-tune ${ref.best.accuracy} (lr ${ref.best.lr})`);
  });

  it('new classes (--classes 4): the new head learns, within 3 points of a float PyTorch fine-tune', () => {
    const data = path.join(tmp, 'superclass4');
    writeTaskDataset('superclass4', data);
    const s = genBuildEmulate(path.join(tmp, 'sc4-out'), ['--data', data, '--classes', '4', '--scheme', 'bias+last:2', '--lr', '0.003', '--epochs', '1']);
    const [first, last] = [s.eval[0], s.eval[s.eval.length - 1]];
    const ref = reference('default-superclass4');
    assert.ok(last.accuracy - first.accuracy >= 0.15, `accuracy ${first.accuracy} -> ${last.accuracy}`);
    assert.ok(last.accuracy >= ref.best.accuracy - 0.03, `int8 on device ${last.accuracy} vs float fine-tune ${ref.best.accuracy}`);
  });

  it('an unseen model trains with bias+last:2 and with a MIT-format scheme', () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'dwsep');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { normalization: { mean: number[]; std: number[] } };
    const data = path.join(tmp, 'superclass4-dw');
    writeTaskDataset('superclass4', data);
    const common = ['--model', path.join(dir, 'model.onnx'), '--data', data, '--classes', '4', '--mean', meta.normalization.mean.join(','), '--std', meta.normalization.std.join(','),
      '--lr', '0.003', '--train-samples', '500', '--epochs', '1', '--eval-samples', '300'];
    const mit = path.join(tmp, 'mit.json');
    // MIT's format: biases of the last 3 convs, the classifier (always), and a quarter of one pointwise conv's input channels.
    fs.writeFileSync(mit, JSON.stringify({ n_bias_update: 3, manual_weight_idx: [6], weight_update_ratio: [0.25] }));
    for (const scheme of ['bias+last:2', mit]) {
      const s = genBuildEmulate(path.join(tmp, `dw-${path.basename(scheme)}`), [...common, '--scheme', scheme]);
      const [first, last] = [s.eval[0], s.eval[s.eval.length - 1]];
      assert.equal(s.train_steps, 500);
      assert.ok(Number.isFinite(last.loss) && s.skipped_updates === 0);
      assert.ok(last.accuracy - first.accuracy >= 0.15, `${scheme}: accuracy ${first.accuracy} -> ${last.accuracy}`);
      assert.ok(s.sram.trainable > 0 && s.instructions_per_train_step > 0);
    }
  });
});

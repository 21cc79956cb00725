// A new user, a new model, new data (issue 5's acceptance): with a model and data never
// seen during development, `tinytrain analyze` and `tinytrain gen --scheme auto` work
// end to end through the CLI alone, with no hand edits.
//  - Model: test/fixtures/holdout/model.onnx, a small ResNet (residual blocks, MaxPool,
//    1x1-conv shortcut, GlobalAveragePool) trained by scripts/train_holdout_model.py with
//    its own normalization (--mean 0.5 --std 0.5); its node names are checked to differ from
//    the development models'.
//  - Data: Fashion-MNIST under a shift no model saw (every image flipped left-right and its
//    contrast reduced, x' = round(96 + x/2)), written as uint8 .npy in a fresh temp folder.
//  - Budget: 60% of the SRAM the `full` scheme plans, so analyze must choose a sparse scheme;
//    the chosen scheme, built for the host, learns on the device with no skipped updates.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDataset } from '../src/data';
import { encodeNpy } from '../src/data/npy';
import { importOnnx } from '../src/onnx';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');
const FMNIST = '/usr/share/datasets/fashion-mnist';
const HOLDOUT = path.join(ROOT, 'test', 'fixtures', 'holdout');
const MODEL = path.join(HOLDOUT, 'model.onnx');

function tt(args: string[]): string {
  const r = cp.spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`tinytrain ${args.join(' ')} failed (${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  return r.stdout;
}

function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').pop() as string) as T;
}

function timed<T>(f: () => T): [T, number] {
  const t0 = Date.now();
  const r = f();
  return [r, (Date.now() - t0) / 1000];
}

/** The user's data: flipped left-right, contrast reduced to 96..223, uint8 .npy. */
function writeShiftedData(dir: string, nTrain: number, nTest: number): void {
  const raw = loadDataset(FMNIST, { inputShape: [1, 28, 28], normalize: { scale: 1 }, maxTrain: nTrain, maxTest: nTest });
  fs.mkdirSync(dir, { recursive: true });
  const write = (split: 'train' | 'test', n: number): void => {
    const src = raw[split].x;
    const x = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) x[i * 784 + r * 28 + c] = Math.round(96 + src[i * 784 + r * 28 + (27 - c)] * 0.5);
      }
    }
    fs.writeFileSync(path.join(dir, `x_${split}.npy`), encodeNpy(x, [n, 1, 28, 28]));
    fs.writeFileSync(path.join(dir, `y_${split}.npy`), encodeNpy(Int32Array.from(raw[split].y.subarray(0, n)), [n]));
  };
  write('train', nTrain);
  write('test', nTest);
}

interface Summary {
  exit_code: number; train_steps: number; skipped_updates: number;
  eval: { step: number; samples: number; accuracy: number; loss: number }[];
}

describe('a new user: unseen model and data through analyze and gen --scheme auto', function () {
  this.timeout(1_800_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-newuser-'));
  const data = path.join(tmp, 'user-data');
  const norm = ['--mean', '0.5', '--std', '0.5'];
  const user = ['--model', MODEL, '--data', data, ...norm];
  let budget = 0;
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  before(function () {
    if (!fs.existsSync(FMNIST)) this.skip();
    writeShiftedData(data, 600, 300);
  });

  it('the model is unseen: its node names differ from the development models\'', () => {
    const names = (f: string): string[] => importOnnx(fs.readFileSync(f)).nodes.map((n) => n.name);
    const mine = names(MODEL);
    for (const other of [path.join(ROOT, 'models', 'default.onnx'), path.join(ROOT, 'test', 'fixtures', 'dwsep', 'model.onnx')]) {
      const theirs = new Set(names(other));
      const shared = mine.filter((n) => theirs.has(n));
      assert.deepEqual(shared, [], `${path.relative(ROOT, other)} shares node names ${shared.join(', ')}`);
    }
    const meta = JSON.parse(fs.readFileSync(path.join(HOLDOUT, 'meta.json'), 'utf8')) as { mean: number; std: number; float_accuracy_first1000: number };
    assert.equal(meta.mean, 0.5);
    assert.equal(meta.std, 0.5);
    console.log(`      holdout model: ${mine.length} nodes, float accuracy (first 1000 test images, unshifted) ${meta.float_accuracy_first1000}`);
  });

  it('analyze picks a scheme within 60% of the full scheme\'s SRAM, and that scheme learns on the device', () => {
    // What would training everything need?
    const full = path.join(tmp, 'full');
    const g = lastJson<{ memory: { sram_total_bytes: number } }>(tt(['gen', ...user, '--scheme', 'full', '--out', full, '--json']));
    const report = JSON.parse(fs.readFileSync(path.join(full, 'report.json'), 'utf8')) as { memory: { sram_total_bytes: number } };
    assert.equal(report.memory.sram_total_bytes, g.memory.sram_total_bytes);
    budget = Math.floor(0.6 * report.memory.sram_total_bytes);
    assert.ok(budget > 0);

    const scheme = path.join(tmp, 'an', 'scheme.json');
    const [out, analysisSecs] = timed(() => tt(['analyze', ...user, '--budget', String(budget), '--train-samples', '150', '--held-out', '150',
      '--seeds', '1', '--out', scheme, '--json']));
    const a = lastJson<{ chosen: { sramBytes: number } }>(out);
    assert.ok(a.chosen.sramBytes <= budget, `chosen scheme needs ${a.chosen.sramBytes} B > budget ${budget} B`);
    assert.ok(fs.existsSync(scheme), 'scheme file');
    assert.ok(fs.existsSync(path.join(tmp, 'an', 'scheme.analysis.html')), 'analysis page');

    const o2 = path.join(tmp, 'o2');
    const [s, deviceSecs] = timed(() => {
      tt(['gen', ...user, '--scheme', scheme, '--budget', String(budget), '--steps', '300', '--train-samples', '300', '--eval-samples', '300', '--out', o2, '--quiet']);
      tt(['build', o2, '--target', 'host', '--quiet']);
      return lastJson<Summary>(tt(['emulate', o2, '--host', '--json', '--quiet']));
    });
    const [first, last] = [s.eval[0], s.eval[s.eval.length - 1]];
    console.log(`      full scheme SRAM ${report.memory.sram_total_bytes} B, budget (60%) ${budget} B, chosen scheme SRAM ${a.chosen.sramBytes} B`);
    console.log(`      analysis wall time ${analysisSecs.toFixed(1)} s; gen+build+run ${deviceSecs.toFixed(1)} s`);
    console.log(`      on-device accuracy on ${first.samples} shifted test images: ${first.accuracy.toFixed(3)} -> ${last.accuracy.toFixed(3)} after ${s.train_steps} steps`);
    assert.equal(s.exit_code, 0);
    assert.equal(s.train_steps, 300);
    assert.equal(s.skipped_updates, 0);
    assert.ok(last.accuracy > first.accuracy, `the device did not learn: ${first.accuracy} -> ${last.accuracy}`);
  });

  it('gen --scheme auto runs the analysis itself and generates within the budget', function () {
    if (!budget) this.skip();
    const o3 = path.join(tmp, 'o3');
    const [out, secs] = timed(() => tt(['gen', ...user, '--scheme', 'auto', '--budget', String(budget), '--analysis-samples', '100', '--analysis-seeds', '1',
      '--steps', '50', '--train-samples', '300', '--eval-samples', '100', '--out', o3, '--json']));
    const g = lastJson<{ memory: { sram_total_bytes: number } }>(out);
    assert.ok(fs.existsSync(path.join(o3, 'analysis', 'scheme.json')), 'o3/analysis/scheme.json');
    assert.ok(g.memory.sram_total_bytes <= budget, `auto plan ${g.memory.sram_total_bytes} B > budget ${budget} B`);
    console.log(`      gen --scheme auto wall time ${secs.toFixed(1)} s, SRAM ${g.memory.sram_total_bytes} B`);
  });
});

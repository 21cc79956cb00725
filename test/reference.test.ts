// Float PyTorch fine-tune references (test/fixtures/reference/*.json, written by
// scripts/reference_finetune.py): check that each is complete and consistent with
// test/fixtures/tasks/tasks.json and the model file on disk, and that onnxruntime-node,
// fed the task's test set built here by tinytrain's own loader, reproduces the recorded
// "before" numbers. That ties the script's ONNX->PyTorch converter and its data pipeline
// (file order, inversion on raw bytes, normalization, label map) to the tinytrain side.
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset } from '../src/data';
import { exposeOutputs } from '../src/onnx/expose';

const FASHION = '/usr/share/datasets/fashion-mnist';
const ROOT = path.join(__dirname, '..', '..'); // dist/test -> repo
const REF_DIR = path.join(ROOT, 'test', 'fixtures', 'reference');
const TASKS = path.join(ROOT, 'test', 'fixtures', 'tasks', 'tasks.json');
const EXPECTED = ['default-invert', 'default-superclass4', 'dwsep-invert', 'dwsep-superclass4'];
const DEFAULT_LRS = [0.001, 0.003, 0.01, 0.03, 0.1];

interface TaskDef { train_count: number; test_count: number; invert: boolean; label_map: number[] | null; classes: number }
interface Eval { accuracy: number; correct: number; count: number; loss: number | null; distinct_predictions: number }
interface Reference {
  model: string;
  model_sha256: string;
  task: string;
  task_def: TaskDef & { description: string };
  normalization: { scale: number; mean: number[]; std: number[]; source: string };
  head: {
    replaced: boolean; classes: number; feature_tensor: string;
    initial_weight?: number[][]; initial_bias?: number[] | null;
  };
  training: { optimizer: string; momentum: number; weight_decay: number; batch_size: number; epochs: number; learning_rates: number[] };
  before: Eval & { predictions: number[]; logits_first: number[][] };
  runs: { lr: number; after: Eval; train_loss_mean: number | null; train_accuracy_online: number; diverged_at_sample: number | null }[];
  best: { lr: number; accuracy: number };
  command: string;
  environment: { torch: string };
}

type Ort = typeof import('onnxruntime-node');

const refFiles = fs.existsSync(REF_DIR) ? fs.readdirSync(REF_DIR).filter((f) => f.endsWith('.json')).sort() : [];
const readRef = (f: string): Reference => JSON.parse(fs.readFileSync(path.join(REF_DIR, f), 'utf8')) as Reference;
const tasks = (JSON.parse(fs.readFileSync(TASKS, 'utf8')) as { tasks: Record<string, TaskDef> }).tasks;

/** The task's test set exactly as the script builds it: first test_count images in file order,
 *  raw' = 255 - raw when inverted, real = (raw' * scale - mean) / std in double, stored as float32. */
function taskTestSet(ref: Reference): { x: Float32Array; y: Int32Array; n: number } {
  const t = ref.task_def;
  const raw = loadDataset(FASHION, { inputShape: [1, 28, 28], normalize: { scale: 1, mean: [0], std: [1] }, maxTrain: 0, maxTest: t.test_count });
  assert.strictEqual(raw.test.count, t.test_count);
  const { scale, mean, std } = ref.normalization;
  assert.strictEqual(mean.length, 1, 'single-channel models only');
  const x = new Float32Array(raw.test.x.length);
  for (let i = 0; i < x.length; i++) {
    const r = t.invert ? 255 - raw.test.x[i] : raw.test.x[i];
    x[i] = (r * scale - mean[0]) / std[0];
  }
  const y = Int32Array.from(raw.test.y, (v) => (t.label_map ? t.label_map[v] : v));
  return { x, y, n: t.test_count };
}

/** Run `outputName` of `modelBytes` on every sample (batched when the batch axis allows it). */
async function runOrt(ort: Ort, modelBytes: Uint8Array, outputName: string | null, x: Float32Array, n: number): Promise<{ data: Float32Array; width: number }> {
  const session = await ort.InferenceSession.create(modelBytes);
  const out = outputName ?? session.outputNames[0];
  const per = x.length / n;
  try {
    const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [n, 1, 28, 28]) }, [out]);
    const data = r[out].data as Float32Array;
    return { data, width: data.length / n };
  } catch {
    // Fixed batch of 1: one sample at a time.
    let data: Float32Array | null = null;
    let width = 0;
    for (let i = 0; i < n; i++) {
      const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.slice(i * per, (i + 1) * per), [1, 1, 28, 28]) }, [out]);
      const d = r[out].data as Float32Array;
      if (!data) { width = d.length; data = new Float32Array(n * width); }
      data.set(d, i * width);
    }
    return { data: data as Float32Array, width };
  }
}

function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

function crossEntropy(v: ArrayLike<number>, label: number): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s) - v[label];
}

/** Gap between the two largest values, relative to the logit scale (a near-tie if tiny). */
function margin(v: ArrayLike<number>): number {
  const s = Array.from(v).sort((a, b) => b - a);
  return (s[0] - s[1]) / (1 + Math.abs(s[0]));
}

describe('reference fine-tunes (scripts/reference_finetune.py)', function () {
  it('the four issue-3 references are committed', () => {
    for (const name of EXPECTED) assert.ok(refFiles.includes(`${name}.json`), `missing test/fixtures/reference/${name}.json`);
  });

  for (const file of refFiles) {
    describe(file, function () {
      const ref = readRef(file);

      it('is complete and consistent with tasks.json and the model on disk', () => {
        const task = tasks[ref.task];
        assert.ok(task, `task ${ref.task} not in tasks.json`);
        const { description: _d, ...recorded } = ref.task_def;
        const { description: _e, ...current } = task as TaskDef & { description?: string };
        assert.deepStrictEqual(recorded, current, 'task definition changed since the reference was made: rerun the script');
        const model = path.join(ROOT, ref.model);
        assert.ok(fs.existsSync(model), `${ref.model} missing`);
        const sha = crypto.createHash('sha256').update(fs.readFileSync(model)).digest('hex');
        assert.strictEqual(sha, ref.model_sha256, `${ref.model} changed since the reference was made: rerun\n  ${ref.command}`);
        if (ref.normalization.source.endsWith('.json')) {
          const meta = JSON.parse(fs.readFileSync(path.join(ROOT, ref.normalization.source), 'utf8')) as { normalization: { mean: number[]; std: number[] } };
          assert.deepStrictEqual([ref.normalization.mean, ref.normalization.std], [meta.normalization.mean, meta.normalization.std]);
        }
        assert.ok(ref.command.includes('reference_finetune.py') && ref.command.includes(`--task ${ref.task}`), ref.command);
        assert.ok(ref.environment.torch.length > 0);

        const tr = ref.training;
        assert.deepStrictEqual([tr.optimizer, tr.momentum, tr.weight_decay, tr.batch_size, tr.epochs], ['SGD', 0, 0, 1, 1]);
        assert.deepStrictEqual(tr.learning_rates, DEFAULT_LRS);
        assert.deepStrictEqual(ref.runs.map((r) => r.lr), tr.learning_rates);
        assert.strictEqual(ref.head.classes, task.classes);
        if (ref.head.replaced) {
          assert.strictEqual(ref.head.initial_weight?.length, task.classes);
          if (ref.head.initial_bias) assert.strictEqual(ref.head.initial_bias.length, task.classes);
        }
        for (const e of [ref.before, ...ref.runs.map((r) => r.after)]) {
          assert.strictEqual(e.count, task.test_count);
          assert.strictEqual(e.accuracy, e.correct / e.count);
        }
        assert.strictEqual(ref.before.predictions.length, task.test_count);
        const best = Math.max(...ref.runs.map((r) => r.after.accuracy));
        assert.strictEqual(ref.best.accuracy, best);
        // Fine-tuning must help at the best learning rate (that is what the device is compared with).
        assert.ok(best > ref.before.accuracy + 0.05, `best after ${best} vs before ${ref.before.accuracy}`);
      });

      it('onnxruntime-node reproduces the recorded "before" accuracy, loss and logits', async function () {
        if (!fs.existsSync(FASHION)) { console.log(`      (skipped: ${FASHION} not found)`); this.skip(); }
        const ort = require('onnxruntime-node') as Ort;
        const { x, y, n } = taskTestSet(ref);
        const bytes = fs.readFileSync(path.join(ROOT, ref.model));
        const classes = ref.head.classes;
        let logits: Float64Array;
        if (!ref.head.replaced) {
          const r = await runOrt(ort, bytes, null, x, n);
          assert.strictEqual(r.width, classes);
          logits = Float64Array.from(r.data);
        } else {
          // The fresh head is not in the file: take the classifier's input features from
          // onnxruntime and apply the recorded initial head.
          const r = await runOrt(ort, exposeOutputs(bytes, [ref.head.feature_tensor]), ref.head.feature_tensor, x, n);
          const W = ref.head.initial_weight as number[][];
          const b = ref.head.initial_bias ?? new Array<number>(classes).fill(0);
          assert.strictEqual(r.width, W[0].length, 'feature width vs head in_features');
          logits = new Float64Array(n * classes);
          for (let i = 0; i < n; i++) {
            for (let c = 0; c < classes; c++) {
              let s = b[c];
              for (let k = 0; k < r.width; k++) s += W[c][k] * r.data[i * r.width + k];
              logits[i * classes + c] = s;
            }
          }
        }

        let correct = 0;
        let loss = 0;
        const disagree: string[] = [];
        for (let i = 0; i < n; i++) {
          const v = logits.subarray(i * classes, (i + 1) * classes);
          const p = argmax(v);
          if (p === y[i]) correct++;
          loss += crossEntropy(v, y[i]);
          if (p !== ref.before.predictions[i]) {
            // Only a near-tie may flip between two float implementations.
            assert.ok(margin(v) < 1e-4, `sample ${i}: onnxruntime predicts ${p}, PyTorch ${ref.before.predictions[i]} (margin ${margin(v)})`);
            disagree.push(`${i}`);
          }
        }
        assert.ok(disagree.length <= 2, `predictions differ on samples ${disagree.join(', ')}`);
        assert.ok(Math.abs(correct - ref.before.correct) <= disagree.length, `onnxruntime ${correct} correct vs recorded ${ref.before.correct}`);
        if (disagree.length === 0) assert.strictEqual(correct / n, ref.before.accuracy);
        const meanLoss = loss / n;
        assert.ok(ref.before.loss !== null && Math.abs(meanLoss - ref.before.loss) <= 1e-5 * (1 + Math.abs(ref.before.loss)),
          `loss ${meanLoss} vs recorded ${ref.before.loss}`);
        ref.before.logits_first.forEach((row, i) => {
          row.forEach((v, c) => {
            const got = logits[i * classes + c];
            assert.ok(Math.abs(got - v) <= 1e-4 * (1 + Math.abs(v)), `sample ${i} logit ${c}: onnxruntime ${got} vs PyTorch ${v}`);
          });
        });
      });
    });
  }
});

// Contribution analysis (issue 5): the measurement machinery and the analyze command.
//  - Feeding a candidate the cached int8 tensor at a cut computes exactly what the whole
//    graph computes: same accuracy before and after training, for cuts at every depth.
//  - analyze writes a scheme that fits the budget, its report and plot; a second run is
//    served from the cache; gen --scheme auto generates with the winner; a budget nothing
//    fits is one clear error.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { measureSchemes, MeasureSetup } from '../src/analyze/measure';
import { cutPoints, prefixGraph, suffixGraph } from '../src/analyze/slice';
import { prepare } from '../src/pipeline/gen';
import { analyzeCommand } from '../src/pipeline/analyze';
import { gen } from '../src/pipeline/gen';
import { resolveScheme, schemeFromChoices } from '../src/sparse';
import { Ratio } from '../src/ir/scheme';
import { writeNpySplits } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const MODELS = path.join(ROOT, 'test', 'fixtures', 'models');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');

/** Learnable synthetic data: the label is the quadrant of the image with the largest mean. */
function writeQuadrantData(dir: string, shape: number[], nTrain: number, nTest: number, classes: number): void {
  let s = 7;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const [c, h, w] = shape;
  const make = (n: number): [Float32Array, Int32Array] => {
    const x = new Float32Array(n * c * h * w);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const label = Math.floor(rnd() * classes);
      y[i] = label;
      for (let ch = 0; ch < c; ch++) for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) {
        const q = (yy < h / 2 ? 0 : 2) + (xx < w / 2 ? 0 : 1);
        x[((i * c + ch) * h + yy) * w + xx] = rnd() * 2 - 1 + (q % classes === label ? 0.8 : 0);
      }
    }
    return [x, y];
  };
  writeNpySplits(dir, shape, make(nTrain), make(nTest));
}

describe('contribution analysis', function () {
  this.timeout(900_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-analyze-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const model = path.join(MODELS, 'conv_bn_relu_pool_fc.onnx');
  const data = path.join(tmp, 'data');
  before(() => writeQuadrantData(data, [1, 28, 28], 160, 40, 10));

  it('cuts only where a single tensor crosses, and prefix + suffix partition the graph', async () => {
    writeQuadrantData(path.join(tmp, 'data3'), [3, 16, 16], 16, 4, 5);
    const q = (await prepare({ model: path.join(MODELS, 'dw_separable_residual.onnx'), data: path.join(tmp, 'data3'), board: 'stm32f746', evalSamples: 4, calibSamples: 8 })).qgraph;
    const cuts = cutPoints(q);
    const names = q.nodes.map((n) => n.name);
    // The residual add reads the stem output: no cut between the stem and the add.
    const stem = names.findIndex((n) => /stem/.test(n));
    const addAt = q.nodes.findIndex((n) => n.op === 'add');
    assert.ok(cuts.every((c) => c.at <= stem + 1 || c.at > addAt), `cuts ${JSON.stringify(cuts)}`);
    assert.ok(cuts.some((c) => c.at === stem + 1), 'the stem output alone crosses after the stem');
    for (const cut of cuts) {
      const pre = prefixGraph(q, cut);
      const suf = suffixGraph(q, cut);
      assert.deepEqual([...pre.nodes, ...suf.nodes].map((n) => n.name), names);
      assert.equal(pre.output, cut.tensor);
      assert.equal(suf.input, cut.tensor);
    }
  });

  it('a candidate fed the cached tensor at its cut trains exactly as on the whole graph', async () => {
    const p = await prepare({ model, data, board: 'stm32f746', evalSamples: 8, calibSamples: 64, trainSamples: 80 });
    const q = p.qgraph;
    const all = p.samples('train', 80).map(p.quantize);
    const setup = (whole: boolean): MeasureSetup => ({
      qgraph: q, board: p.board,
      train: { x: all.slice(0, 40), y: p.data.train.y.slice(0, 40) }, held: { x: all.slice(40), y: p.data.train.y.slice(40, 80) },
      steps: 40, lr: 0.02, rounding: 'stochastic', seeds: [3], workDir: path.join(tmp, `work-${whole}`), cacheDir: path.join(tmp, `cache-${whole}`), jobs: 2,
      cacheKey: 'test', wholeGraph: whole, meta: { modelName: 'm', modelPath: model, dataDir: data, graphNotes: [], normalize: [], options: {} },
    });
    const layers = resolveScheme('full', q).layers;
    const schemes = layers.map((l) => ({ key: l.layer, scheme: schemeFromChoices(l.layer, q, new Map([[l.index, { bias: true, ratio: 1 as Ratio }]])) }));
    assert.ok(cutPoints(q).length >= 3, 'the fixture should have cuts at several depths');
    const cut = await measureSchemes(setup(false), schemes);
    const whole = await measureSchemes(setup(true), schemes);
    assert.ok(cut.stats.prefixRuns >= 2, `prefix runs ${cut.stats.prefixRuns}`);
    for (const s of schemes) {
      const a = cut.results.get(s.key)!;
      const b = whole.results.get(s.key)!;
      assert.equal(a.before, b.before, `${s.key}: before`);
      assert.equal(a.after, b.after, `${s.key}: after training`);
    }
    const befores = new Set([...cut.results.values()].map((m) => m.before));
    assert.equal(befores.size, 1, 'every candidate starts from the same held-out accuracy');
  });

  it('analyze writes a scheme within the budget, its report and plot, and a second run comes from the cache', async () => {
    const out = path.join(tmp, 'an', 'scheme.json');
    const opts = { model, data, board: 'stm32f746', budget: '24KB', out, trainSamples: 60, heldOut: 60, seeds: [1], calibSamples: 64, evalSamples: 0, jobs: 2 };
    const t0 = Date.now();
    const r1 = await analyzeCommand(opts);
    const first = Date.now() - t0;
    for (const f of r1.files) assert.ok(fs.existsSync(f), f);
    // The written report holds no wall times: the same inputs give the same files.
    const written = fs.readFileSync(r1.files[1], 'utf8');
    assert.ok(r1.report.chosen.sramBytes <= 24 * 1024);
    // (cache hits in a first run are configs the refinement meets again within the run)
    assert.ok(r1.report.timing!.runs > 10 && r1.report.timing!.cachedRuns < r1.report.timing!.runs / 4);
    assert.ok((r1.report.candidates ?? []).length >= 1);
    assert.equal(r1.report.chosen.measuredGain, Math.max(...(r1.report.candidates ?? []).map((c) => c.measuredGain)));
    // The scheme file is an ordinary scheme: gen plans it within the budget.
    const g = await gen({ model, data, board: 'stm32f746', scheme: out, out: path.join(tmp, 'an-gen'), evalSamples: 10, calibSamples: 64, trainSamples: 60, steps: 10, budget: '24KB', write: false });
    const sram = (g.report.memory as { sram_plan: { total: number } }).sram_plan.total;
    assert.equal(sram, r1.report.chosen.sramBytes, 'analysis and gen plan the same SRAM');
    const t1 = Date.now();
    const r2 = await analyzeCommand(opts);
    const second = Date.now() - t1;
    assert.equal(r2.report.timing!.runs, 0);
    assert.ok(r2.report.timing!.cachedRuns > 10);
    assert.deepEqual(r2.report.chosen.config, r1.report.chosen.config);
    for (const f of r2.files.slice(1)) assert.equal(fs.readFileSync(f, 'utf8'), f === r2.files[1] ? written : fs.readFileSync(f, 'utf8'));
    assert.ok(!fs.existsSync(path.join(tmp, 'an', '.tinytrain-cache', 'work')), 'worker projects are removed');
    assert.ok(second * 3 < first, `second run ${second} ms vs first ${first} ms`);
  });

  it('gen --scheme auto analyzes inside the output folder and generates the winner; an impossible budget is one clear error', () => {
    const out = path.join(tmp, 'auto');
    const run = (args: string[]): cp.SpawnSyncReturns<string> => cp.spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
    const r = run(['gen', '--model', model, '--data', data, '--scheme', 'auto', '--budget', '24KB', '--out', out, '--calib-samples', '64', '--eval-samples', '10', '--train-samples', '60', '--steps', '20', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(out, 'analysis', 'scheme.json')));
    assert.ok(fs.existsSync(path.join(out, 'analysis', 'scheme.analysis.html')));
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { scheme: { name: string }; memory: { sram_total_bytes: number } };
    assert.match(report.scheme.name, /^auto-/);
    assert.ok(report.memory.sram_total_bytes <= 24 * 1024);
    const bad = run(['analyze', '--model', model, '--data', data, '--budget', '2KB', '--out', path.join(tmp, 'bad', 'scheme.json'), '--train-samples', '20', '--held-out', '20', '--calib-samples', '32']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^tinytrain: error: .*2048 B.*over/m);
    assert.equal(bad.stderr.split('\n').filter((l) => l.startsWith('tinytrain: error')).length, 1, bad.stderr);
    assert.ok(!/\n\s+at /.test(bad.stderr), 'a stack trace got through');
    assert.ok(!fs.existsSync(path.join(tmp, 'bad', '.tinytrain-cache', 'work')), 'ran before checking the budget');
  });
});

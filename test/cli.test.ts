// The CLI as a user meets it: bad input gives one line on stderr, a non-zero exit, no
// stack trace, and nothing written.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');
const MODELS = path.join(ROOT, 'test', 'fixtures', 'models');

function tt(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = cp.spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { code: number; stderr: string }, ...mentions: (string | RegExp)[]): void {
  assert.notEqual(r.code, 0, 'expected a non-zero exit');
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('tinytrain:'));
  assert.equal(lines.length, 1, `expected one error line, got:\n${r.stderr}`);
  assert.ok(!/\n\s+at /.test(r.stderr), `stack trace leaked:\n${r.stderr}`);
  for (const m of mentions) assert.match(lines[0], typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
}

describe('cli: errors a user can cause', function () {
  this.timeout(300_000);
  let tmp = '';
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-cli-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const listing = (dir: string): string[] => fs.readdirSync(dir).sort();

  it('a corrupt model file', () => {
    const bad = path.join(tmp, 'bad.onnx');
    const good = fs.readFileSync(path.join(MODELS, 'conv_bn_relu_pool_fc.onnx'));
    fs.writeFileSync(bad, good.subarray(0, Math.floor(good.length / 3)));
    const r = tt(['gen', '--model', bad, '--out', 'o'], tmp);
    assertOneLineError(r, 'bad.onnx', /not a valid ONNX model/);
    assert.deepEqual(listing(tmp), ['bad.onnx']);
  });

  it('an unsupported operator names the node and its op type', () => {
    const r = tt(['gen', '--model', path.join(MODELS, 'unsupported_sigmoid.onnx'), '--out', 'o'], tmp);
    assertOneLineError(r, 'Sigmoid', /supported ops: .*Conv/);
    assert.deepEqual(listing(tmp), []);
  });

  it('data whose shape does not match the model input', () => {
    // grouped_conv takes 3-channel images; Fashion-MNIST is 1x28x28.
    const r = tt(['gen', '--model', path.join(MODELS, 'grouped_conv.onnx'), '--out', 'o'], tmp);
    assertOneLineError(r, /1x28x28/, /model input/);
    assert.deepEqual(listing(tmp), []);
  });

  it('an unknown board lists the known ones', () => {
    const r = tt(['gen', '--board', 'esp32', '--out', 'o'], tmp);
    assertOneLineError(r, 'esp32', 'stm32f746');
  });

  it('a missing model file and a missing project', () => {
    assertOneLineError(tt(['gen', '--model', 'nope.onnx', '--out', 'o'], tmp), 'nope.onnx');
    assertOneLineError(tt(['build', 'nowhere'], tmp), 'nowhere', /gen/);
    assertOneLineError(tt(['emulate', 'nowhere'], tmp), 'nowhere');
    assert.deepEqual(listing(tmp), []);
  });

  it('an unknown option is a usage error (exit 2)', () => {
    const r = tt(['gen', '--frobnicate'], tmp);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /frobnicate/);
  });

  it('a scheme that does not fit the model names the problem', () => {
    assertOneLineError(tt(['gen', '--scheme', 'last:99', '--out', 'o'], tmp), 'last:99', /trainable layers/);
    fs.writeFileSync(path.join(tmp, 's.json'), JSON.stringify({ n_bias_update: 3, manual_weight_idx: [40], weight_update_ratio: [1] }));
    assertOneLineError(tt(['gen', '--scheme', 's.json', '--out', 'o'], tmp), /40/);
    assert.deepEqual(listing(tmp), ['s.json']);
  });

  it('a plan over the budget gives the bytes over, the largest live tensors and the peak step', () => {
    const r = tt(['gen', '--scheme', 'full', '--budget', '32KB', '--out', 'o'], tmp);
    assertOneLineError(r, /B over the budget of 32768 B/, /peaks at step \d+ of \d+/, /grad:/);
    const live = /with (.*)$/.exec(r.stderr.trim())?.[1].split('), ') ?? [];
    // Up to five; the full plan of the bundled model has four tensors live at its peak.
    assert.ok(live.length >= 2 && live.length <= 5, r.stderr);
    assert.deepEqual(listing(tmp), []);
    assertOneLineError(tt(['gen', '--budget', 'lots', '--out', 'o'], tmp), 'lots', /size/);
  });

  it('--classes that the labels do not fit', () => {
    assertOneLineError(tt(['gen', '--classes', '4', '--scheme', 'last:1', '--out', 'o'], tmp), /label/);
  });
});

// data/ stage: IDX and NPY loading, normalization, input quantization, samples.bin layout;
// plus the bundled models checked against their recorded PyTorch accuracy by onnxruntime.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { TinytrainError } from '../src/errors';
import { loadDataset, packSamples, quantizeInput } from '../src/data';

const FASHION = '/usr/share/datasets/fashion-mnist';
const ROOT = path.join(__dirname, '..', '..'); // dist/test -> repo

let tmp: string;
let dirCount = 0;
function freshDir(): string {
  const d = path.join(tmp, `d${dirCount++}`);
  fs.mkdirSync(d);
  return d;
}

// ---- fixture writers (independent of the code under test) ----

function idxBytes(magic: number, dims: number[], payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(payload)]);
}

function writeIdx(file: string, magic: number, dims: number[], payload: Uint8Array): void {
  const b = idxBytes(magic, dims, payload);
  fs.writeFileSync(file, file.endsWith('.gz') ? zlib.gzipSync(b) : b);
}

/** An IDX dataset folder with n train / m test images of h x w, pixel = f(sample, i). */
function makeIdxDir(opts: { nTrain: number; nTest: number; h?: number; w?: number; gz: boolean; pixels?: (s: number, i: number) => number }): { dir: string; train: Uint8Array; test: Uint8Array; ytr: Uint8Array; yte: Uint8Array } {
  const { nTrain, nTest, gz } = opts;
  const h = opts.h ?? 4;
  const w = opts.w ?? 3;
  const px = opts.pixels ?? ((s: number, i: number) => (s * 7 + i * 13) & 255);
  const dir = freshDir();
  const ext = gz ? '.gz' : '';
  const images = (n: number, off: number): Uint8Array => Uint8Array.from({ length: n * h * w }, (_, k) => px(off + Math.floor(k / (h * w)), k % (h * w)));
  const train = images(nTrain, 0);
  const test = images(nTest, 1000);
  const ytr = Uint8Array.from({ length: nTrain }, (_, i) => i % 10);
  const yte = Uint8Array.from({ length: nTest }, (_, i) => (i * 3) % 10);
  writeIdx(path.join(dir, 'train-images-idx3-ubyte' + ext), 0x803, [nTrain, h, w], train);
  writeIdx(path.join(dir, 'train-labels-idx1-ubyte' + ext), 0x801, [nTrain], ytr);
  writeIdx(path.join(dir, 't10k-images-idx3-ubyte' + ext), 0x803, [nTest, h, w], test);
  writeIdx(path.join(dir, 't10k-labels-idx1-ubyte' + ext), 0x801, [nTest], yte);
  return { dir, train, test, ytr, yte };
}

/** A .npy file as numpy writes it: header dict padded with spaces to a multiple of 64, then '\n'. */
function npyBytes(descr: string, shape: number[], data: Uint8Array, opts: { version?: number; fortran?: boolean; dict?: string } = {}): Buffer {
  const version = opts.version ?? 1;
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = opts.dict ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeStr}, }`;
  const pre = version === 1 ? 10 : 12;
  while ((pre + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const head = Buffer.alloc(pre);
  head.writeUInt8(0x93, 0);
  head.write('NUMPY', 1, 'latin1');
  head.writeUInt8(version, 6);
  head.writeUInt8(0, 7);
  if (version === 1) head.writeUInt16LE(dict.length, 8); else head.writeUInt32LE(Buffer.byteLength(dict), 8);
  return Buffer.concat([head, Buffer.from(dict, version === 3 ? 'utf8' : 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

interface NpyArr { descr: string; shape: number[]; data: Uint8Array | Float32Array | Float64Array | Int32Array | BigInt64Array; version?: number }
const bytesOf = (a: NpyArr['data']): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function makeNpyDir(files: { x_train: NpyArr; y_train: NpyArr; x_test: NpyArr; y_test: NpyArr }): string {
  const dir = freshDir();
  for (const [name, a] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, `${name}.npy`), npyBytes(a.descr, a.shape, bytesOf(a.data), { version: a.version }));
  }
  return dir;
}

/** Assert fn throws a one-line TinytrainError with the given code whose message contains every part. */
function throwsTT(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): string {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  assert.ok(err instanceof TinytrainError, `expected a TinytrainError, got ${err instanceof Error ? err.stack : String(err)}`);
  const msg = (err as TinytrainError).message;
  assert.strictEqual((err as TinytrainError).code, code, msg);
  assert.ok(!msg.includes('\n'), `message must be one line: ${msg}`);
  for (const p of parts) assert.ok(typeof p === 'string' ? msg.includes(p) : p.test(msg), `message "${msg}" should contain ${p}`);
  return msg;
}

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tinytrain-data-')); });
after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

describe('data: IDX folders', () => {
  for (const gz of [false, true]) {
    it(`loads ${gz ? 'gzipped' : 'raw'} IDX with default normalization x/255`, () => {
      const f = makeIdxDir({ nTrain: 6, nTest: 4, gz });
      const ds = loadDataset(f.dir, { inputShape: [1, 4, 3] });
      assert.strictEqual(ds.train.count, 6);
      assert.strictEqual(ds.test.count, 4);
      assert.deepStrictEqual(ds.train.shape, [1, 4, 3]);
      assert.strictEqual(ds.train.x.length, 6 * 12);
      assert.deepStrictEqual(Array.from(ds.train.y), Array.from(f.ytr));
      assert.deepStrictEqual(Array.from(ds.test.y), Array.from(f.yte));
      assert.ok(ds.train.y instanceof Int32Array && ds.train.x instanceof Float32Array);
      f.train.forEach((v, i) => assert.strictEqual(ds.train.x[i], Math.fround(v / 255)));
      f.test.forEach((v, i) => assert.strictEqual(ds.test.x[i], Math.fround(v / 255)));
      assert.strictEqual(ds.source, `idx:${f.dir}`);
      assert.deepStrictEqual(ds.normalize, { scale: 1 / 255, mean: [0], std: [1] });
      assert.ok(ds.notes.some((n) => n.includes('6 of 6')), ds.notes.join('; '));
    });
  }

  it('decodes only maxTrain/maxTest samples, also from a gzip stream longer than the first inflate', () => {
    // Pseudo-random pixels barely compress, so 400 x 28x28 (300 KB) needs several inflate rounds.
    let seed = 12345;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24; };
    const pix = Uint8Array.from({ length: 500 * 784 }, rnd);
    const f = makeIdxDir({ nTrain: 400, nTest: 100, h: 28, w: 28, gz: true, pixels: (s, i) => pix[(s % 500) * 784 + i] });
    const few = loadDataset(f.dir, { inputShape: [1, 28, 28], maxTrain: 3, maxTest: 2 });
    assert.strictEqual(few.train.count, 3);
    assert.strictEqual(few.test.count, 2);
    assert.strictEqual(few.train.x.length, 3 * 784);
    assert.deepStrictEqual(Array.from(few.train.y), [0, 1, 2]);
    const all = loadDataset(f.dir, { inputShape: [1, 28, 28], maxTrain: 1000 });
    assert.strictEqual(all.train.count, 400);
    const last = 399 * 784 + 783;
    assert.strictEqual(all.train.x[last], Math.fround(f.train[last] / 255));
    const zero = loadDataset(f.dir, { inputShape: [1, 28, 28], maxTrain: 0, maxTest: 0 });
    assert.strictEqual(zero.train.count, 0);
    assert.strictEqual(zero.train.x.length, 0);
  });

  it('applies explicit scale, mean and std', () => {
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: false });
    const ds = loadDataset(f.dir, { inputShape: [1, 4, 3], normalize: { mean: [0.286], std: [0.353] } });
    f.train.forEach((v, i) => assert.strictEqual(ds.train.x[i], Math.fround((v / 255 - 0.286) / 0.353)));
    const s = loadDataset(f.dir, { inputShape: [1, 4, 3], normalize: { scale: 1, mean: [128] } });
    f.train.forEach((v, i) => assert.strictEqual(s.train.x[i], v - 128));
  });

  it('invert maps uint8 raw to 255 - raw before normalization, and refuses float data', () => {
    const f = makeIdxDir({ nTrain: 3, nTest: 2, gz: true });
    const ds = loadDataset(f.dir, { inputShape: [1, 4, 3], invert: true, normalize: { mean: [0.5], std: [0.25] } });
    f.train.forEach((v, i) => assert.strictEqual(ds.train.x[i], Math.fround(((255 - v) / 255 - 0.5) / 0.25)));
    f.test.forEach((v, i) => assert.strictEqual(ds.test.x[i], Math.fround(((255 - v) / 255 - 0.5) / 0.25)));
    assert.deepStrictEqual(Array.from(ds.train.y), Array.from(f.ytr));
    assert.ok(ds.notes.some((n) => n.includes('inverted')), ds.notes.join('; '));
    const dir = makeNpyDir({
      x_train: { descr: '<f4', shape: [1, 4, 3], data: new Float32Array(12) },
      y_train: { descr: '|u1', shape: [1], data: new Uint8Array(1) },
      x_test: { descr: '<f4', shape: [1, 4, 3], data: new Float32Array(12) },
      y_test: { descr: '|u1', shape: [1], data: new Uint8Array(1) },
    });
    throwsTT(() => loadDataset(dir, { inputShape: [1, 4, 3], invert: true }), 'DATA_ARG', 'invert', 'float');
  });

  it('accepts a [1,C,H,W] input shape (batch dimension dropped)', () => {
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: false });
    assert.deepStrictEqual(loadDataset(f.dir, { inputShape: [1, 1, 4, 3] }).train.shape, [1, 4, 3]);
  });
});

describe('data: NPY folders', () => {
  const u8 = (n: number, f: (i: number) => number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => f(i));

  it('loads uint8 [N,C,H,W] with per-channel mean/std and int64 labels (v1 header)', () => {
    const xtr = u8(2 * 3 * 2 * 2, (i) => i * 10);
    const dir = makeNpyDir({
      x_train: { descr: '|u1', shape: [2, 3, 2, 2], data: xtr },
      y_train: { descr: '<i8', shape: [2], data: BigInt64Array.from([7n, 1n]) },
      x_test: { descr: '|u1', shape: [1, 3, 2, 2], data: u8(12, (i) => 255 - i) },
      y_test: { descr: '<i8', shape: [1], data: BigInt64Array.from([4n]) },
    });
    const mean = [0.1, 0.2, 0.3];
    const std = [0.5, 0.25, 2];
    const ds = loadDataset(dir, { inputShape: [3, 2, 2], normalize: { mean, std }, numClasses: 10 });
    assert.strictEqual(ds.source, `npy:${dir}`);
    assert.deepStrictEqual(Array.from(ds.train.y), [7, 1]);
    assert.deepStrictEqual(Array.from(ds.test.y), [4]);
    xtr.forEach((v, i) => {
      const c = Math.floor(i / 4) % 3;
      assert.strictEqual(ds.train.x[i], Math.fround((v / 255 - mean[c]) / std[c]), `x[${i}]`);
    });
  });

  it('loads float32 [N,H,W] for C == 1 without rescaling, int32 and uint8 labels (v2/v3 headers)', () => {
    const xtr = Float32Array.from({ length: 2 * 4 }, (_, i) => i * 0.25 - 0.5);
    const dir = makeNpyDir({
      x_train: { descr: '<f4', shape: [2, 2, 2], data: xtr, version: 2 },
      y_train: { descr: '<i4', shape: [2], data: Int32Array.from([3, 9]), version: 3 },
      x_test: { descr: '<f4', shape: [1, 1, 2, 2], data: Float32Array.from([1, 2, 3, 4]) },
      y_test: { descr: '|u1', shape: [1, 1], data: Uint8Array.from([5]) },
    });
    const ds = loadDataset(dir, { inputShape: [1, 2, 2] });
    assert.deepStrictEqual(ds.normalize, { scale: 1, mean: [0], std: [1] });
    assert.deepStrictEqual(Array.from(ds.train.x), Array.from(xtr));
    assert.deepStrictEqual(Array.from(ds.test.x), [1, 2, 3, 4]);
    assert.deepStrictEqual(Array.from(ds.train.y), [3, 9]);
    assert.deepStrictEqual(Array.from(ds.test.y), [5]);
    const scaled = loadDataset(dir, { inputShape: [1, 2, 2], normalize: { scale: 2, mean: [1], std: [4] } });
    assert.strictEqual(scaled.test.x[3], (4 * 2 - 1) / 4);
  });

  it('loads float64 samples and honours maxTrain/maxTest', () => {
    const xtr = Float64Array.from({ length: 5 * 4 }, (_, i) => i / 3);
    const dir = makeNpyDir({
      x_train: { descr: '<f8', shape: [5, 1, 2, 2], data: xtr },
      y_train: { descr: '<i8', shape: [5], data: BigInt64Array.from([0n, 1n, 2n, 3n, 4n]) },
      x_test: { descr: '<f8', shape: [3, 1, 2, 2], data: new Float64Array(12) },
      y_test: { descr: '<i8', shape: [3], data: BigInt64Array.from([0n, 0n, 0n]) },
    });
    const ds = loadDataset(dir, { inputShape: [1, 2, 2], maxTrain: 2, maxTest: 1 });
    assert.strictEqual(ds.train.count, 2);
    assert.strictEqual(ds.test.count, 1);
    assert.deepStrictEqual(Array.from(ds.train.x), Array.from(xtr.slice(0, 8), (v) => Math.fround(v)));
    assert.deepStrictEqual(Array.from(ds.train.y), [0, 1]);
  });
});

describe('data: .npy files written by numpy itself (test/fixtures/data/npy-numpy)', () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'data', 'npy-numpy');
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));

  it('refuses to guess a scale when train is uint8 and test is float', () => {
    throwsTT(() => loadDataset(dir, { inputShape: [1, 4, 4] }), 'DATA_ARG', 'uint8', 'float', 'explicit scale');
  });

  it('reads v1/v2/v3 headers, uint8/float32 samples, int64/int32 labels', () => {
    const ds = loadDataset(dir, { inputShape: [1, 4, 4], normalize: { scale: 1, mean: [0.5], std: [0.25] }, numClasses: 10 });
    assert.deepStrictEqual(Array.from(ds.train.y), exp.y_train);
    assert.deepStrictEqual(Array.from(ds.test.y), exp.y_test);
    assert.deepStrictEqual(Array.from(ds.train.x), exp.x_train_raw.map((v: number) => Math.fround((v - 0.5) / 0.25)));
    assert.deepStrictEqual(Array.from(ds.test.x), exp.x_test_raw.map((v: number) => Math.fround((v - 0.5) / 0.25)));
  });
});

describe('data: errors are one-line TinytrainErrors naming the file', () => {
  const shape = [1, 4, 3];

  it('missing folder, empty folder, missing companion files', () => {
    throwsTT(() => loadDataset(path.join(tmp, 'nope'), { inputShape: shape }), 'DATA_MISSING', 'nope', 'does not exist');
    const empty = freshDir();
    throwsTT(() => loadDataset(empty, { inputShape: shape }), 'DATA_MISSING', empty, 'train-images-idx3-ubyte', 'x_train.npy');
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: true });
    fs.unlinkSync(path.join(f.dir, 't10k-labels-idx1-ubyte.gz'));
    throwsTT(() => loadDataset(f.dir, { inputShape: shape }), 'DATA_MISSING', 't10k-labels-idx1-ubyte[.gz]', f.dir);
    const file = path.join(f.dir, 'train-images-idx3-ubyte.gz');
    throwsTT(() => loadDataset(file, { inputShape: shape }), 'DATA_MISSING', 'not a folder');
    const npyDir = freshDir();
    fs.mkdirSync(path.join(npyDir, 'x_train.npy'));
    fs.writeFileSync(path.join(npyDir, 'y_train.npy'), '');
    throwsTT(() => loadDataset(npyDir, { inputShape: shape }), 'DATA_IO', 'x_train.npy', 'EISDIR');
  });

  it('bad IDX magic', () => {
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: false });
    writeIdx(path.join(f.dir, 'train-images-idx3-ubyte'), 0x801, [24], new Uint8Array(24));
    throwsTT(() => loadDataset(f.dir, { inputShape: shape }), 'DATA_MAGIC', 'train-images-idx3-ubyte', '0x00000801', '0x00000803');
    const g = makeIdxDir({ nTrain: 2, nTest: 1, gz: true });
    fs.writeFileSync(path.join(g.dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(idxBytes(0x0d03, [1, 1, 1], new Uint8Array(1))));
    throwsTT(() => loadDataset(g.dir, { inputShape: shape }), 'DATA_MAGIC', 't10k-labels-idx1-ubyte.gz', '0x00000d03');
  });

  it('truncated IDX files, raw and gzipped, report expected vs found bytes', () => {
    const f = makeIdxDir({ nTrain: 3, nTest: 1, gz: false });
    const p = path.join(f.dir, 'train-images-idx3-ubyte');
    fs.truncateSync(p, 16 + 2 * 12 + 5);
    throwsTT(() => loadDataset(f.dir, { inputShape: shape, maxTrain: 1 }), 'DATA_TRUNCATED', p, 'expected 52 bytes, found 45');
    fs.truncateSync(p, 10);
    throwsTT(() => loadDataset(f.dir, { inputShape: shape }), 'DATA_TRUNCATED', p, 'expected 16 bytes, found 10');

    const g = makeIdxDir({ nTrain: 3, nTest: 1, gz: true });
    const q = path.join(g.dir, 'train-labels-idx1-ubyte.gz');
    fs.writeFileSync(q, zlib.gzipSync(idxBytes(0x801, [3], Uint8Array.from([1, 2]))));
    throwsTT(() => loadDataset(g.dir, { inputShape: shape }), 'DATA_TRUNCATED', q, 'expected 11 bytes, found 10');
    // A gzip file cut short (as by an interrupted download): the trailer is gone too.
    const r = path.join(g.dir, 'train-images-idx3-ubyte.gz');
    let seed = 1;
    const noisy = Uint8Array.from({ length: 3 * 12 }, () => (seed = (seed * 75 + 74) % 65537) & 255);
    const whole = zlib.gzipSync(idxBytes(0x803, [3, 4, 3], noisy));
    fs.writeFileSync(q, zlib.gzipSync(idxBytes(0x801, [3], Uint8Array.from([1, 2, 3]))));
    fs.writeFileSync(r, whole.subarray(0, whole.length - 20));
    throwsTT(() => loadDataset(g.dir, { inputShape: shape }), 'DATA_TRUNCATED', r, 'expected 52 bytes, found');
  });

  it('garbage that is not gzip', () => {
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: true });
    const p = path.join(f.dir, 'train-images-idx3-ubyte.gz');
    fs.writeFileSync(p, Buffer.from('this is not gzip at all'));
    throwsTT(() => loadDataset(f.dir, { inputShape: shape }), 'DATA_GZIP', p);
  });

  it('trailing bytes after the IDX payload', () => {
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: false });
    const p = path.join(f.dir, 't10k-images-idx3-ubyte');
    fs.appendFileSync(p, Buffer.alloc(7));
    throwsTT(() => loadDataset(f.dir, { inputShape: shape }), 'DATA_SIZE', p, '7 unexpected bytes');
  });

  it('image/label count mismatch', () => {
    const f = makeIdxDir({ nTrain: 3, nTest: 1, gz: true });
    writeIdx(path.join(f.dir, 'train-labels-idx1-ubyte.gz'), 0x801, [2], Uint8Array.from([0, 1]));
    throwsTT(() => loadDataset(f.dir, { inputShape: shape }), 'DATA_COUNT', 'has 3 images', 'has 2 labels', 'train-labels-idx1-ubyte.gz');
    const dir = makeNpyDir({
      x_train: { descr: '|u1', shape: [2, 4, 3], data: new Uint8Array(24) },
      y_train: { descr: '<i8', shape: [3], data: new BigInt64Array(3) },
      x_test: { descr: '|u1', shape: [1, 4, 3], data: new Uint8Array(12) },
      y_test: { descr: '<i8', shape: [1], data: new BigInt64Array(1) },
    });
    throwsTT(() => loadDataset(dir, { inputShape: shape }), 'DATA_COUNT', 'x_train.npy has 2 samples', 'y_train.npy has 3 labels');
  });

  it('shape mismatch with the model input', () => {
    const f = makeIdxDir({ nTrain: 2, nTest: 1, h: 28, w: 28, gz: true });
    throwsTT(() => loadDataset(f.dir, { inputShape: [3, 32, 32] }), 'DATA_SHAPE', 'train-images-idx3-ubyte.gz: data samples are 1x28x28 but the model input is 3x32x32');
    const nhwc = makeNpyDir({
      x_train: { descr: '|u1', shape: [1, 4, 3, 2], data: new Uint8Array(24) },
      y_train: { descr: '|u1', shape: [1], data: new Uint8Array(1) },
      x_test: { descr: '|u1', shape: [1, 2, 4, 3], data: new Uint8Array(24) },
      y_test: { descr: '|u1', shape: [1], data: new Uint8Array(1) },
    });
    throwsTT(() => loadDataset(nhwc, { inputShape: [2, 4, 3] }), 'DATA_SHAPE', 'x_train.npy: data samples are 4x3x2 but the model input is 2x4x3', 'NHWC');
    throwsTT(() => loadDataset(nhwc, { inputShape: [1, 4, 3] }), 'DATA_SHAPE', 'data samples are 4x3x2 but the model input is 1x4x3', '[N,4,3]');
    throwsTT(() => loadDataset(nhwc, { inputShape: [4, 3] }), 'DATA_ARG', '[C, H, W]');
  });

  it('labels out of range of the class count, and negative labels', () => {
    const f = makeIdxDir({ nTrain: 12, nTest: 1, gz: false });
    throwsTT(() => loadDataset(f.dir, { inputShape: shape, numClasses: 8 }), 'DATA_LABEL', 'train-labels-idx1-ubyte', 'sample 8 has label 8', '[0, 7]');
    assert.strictEqual(loadDataset(f.dir, { inputShape: shape, numClasses: 10 }).train.count, 12);
    const dir = makeNpyDir({
      x_train: { descr: '<f4', shape: [2, 4, 3], data: new Float32Array(24) },
      y_train: { descr: '<i4', shape: [2], data: Int32Array.from([1, 2]) },
      x_test: { descr: '<f4', shape: [2, 4, 3], data: new Float32Array(24) },
      y_test: { descr: '<i4', shape: [2], data: Int32Array.from([0, -1]) },
    });
    throwsTT(() => loadDataset(dir, { inputShape: shape }), 'DATA_LABEL', 'y_test.npy', 'sample 1 has label -1');
  });

  it('malformed, Fortran-order, big-endian, unsupported and truncated .npy files', () => {
    const base = (): string => makeNpyDir({
      x_train: { descr: '|u1', shape: [2, 4, 3], data: new Uint8Array(24) },
      y_train: { descr: '|u1', shape: [2], data: new Uint8Array(2) },
      x_test: { descr: '|u1', shape: [1, 4, 3], data: new Uint8Array(12) },
      y_test: { descr: '|u1', shape: [1], data: new Uint8Array(1) },
    });
    const cases: [string, Buffer, string, string[]][] = [
      ['x_train.npy', Buffer.from('PK\x03\x04 not numpy'), 'DATA_NPY', ['malformed .npy header', 'magic']],
      ['x_train.npy', npyBytes('', [], new Uint8Array(24), { dict: "{'descr': '|u1', 'fortran_order': False, }" }), 'DATA_NPY', ["no 'shape'"]],
      ['x_train.npy', npyBytes('', [], new Uint8Array(24), { dict: "{'descr': '|u1', 'fortran_order': False, 'shape': (2, x, 3), }" }), 'DATA_NPY', ['bad shape']],
      ['x_train.npy', npyBytes('', [], new Uint8Array(24), { dict: "['descr', '|u1']" }), 'DATA_NPY', ['not a dict']],
      ['y_test.npy', npyBytes('|u1', [1], new Uint8Array(1), { version: 9 }), 'DATA_NPY', ['version 9']],
      ['x_train.npy', npyBytes('|u1', [2, 4, 3], new Uint8Array(24), { fortran: true }), 'DATA_NPY', ['fortran_order']],
      ['x_train.npy', npyBytes('>f4', [2, 4, 3], new Uint8Array(96)), 'DATA_NPY', ['big-endian']],
      ['x_train.npy', npyBytes('<c8', [2, 4, 3], new Uint8Array(192)), 'DATA_NPY', ["dtype '<c8'"]],
      ['x_train.npy', npyBytes('<i4', [2, 4, 3], new Uint8Array(96)), 'DATA_NPY', ['uint8, float32 or float64']],
      ['y_train.npy', npyBytes('<f4', [2], new Uint8Array(8)), 'DATA_NPY', ['integer type']],
      ['y_train.npy', npyBytes('|u1', [2, 2], new Uint8Array(4)), 'DATA_SHAPE', ['[N] or [N,1]']],
      ['x_train.npy', npyBytes('<f4', [2, 4, 3], new Uint8Array(90)), 'DATA_TRUNCATED', ['expected 224 bytes, found 218']],
    ];
    for (const [file, bytes, code, parts] of cases) {
      const dir = base();
      fs.writeFileSync(path.join(dir, file), bytes);
      throwsTT(() => loadDataset(dir, { inputShape: shape }), code, path.join(dir, file), ...parts);
    }
    const dir = base();
    fs.unlinkSync(path.join(dir, 'y_test.npy'));
    throwsTT(() => loadDataset(dir, { inputShape: shape }), 'DATA_MISSING', 'missing y_test.npy');
  });

  it('non-finite float samples and bad normalization/limit options', () => {
    const x = new Float32Array(24);
    x[13] = NaN;
    const dir = makeNpyDir({
      x_train: { descr: '<f4', shape: [2, 4, 3], data: x },
      y_train: { descr: '|u1', shape: [2], data: new Uint8Array(2) },
      x_test: { descr: '<f4', shape: [1, 4, 3], data: new Float32Array(12) },
      y_test: { descr: '|u1', shape: [1], data: new Uint8Array(1) },
    });
    throwsTT(() => loadDataset(dir, { inputShape: shape }), 'DATA_VALUE', 'x_train.npy', 'sample 1 contains NaN');
    const f = makeIdxDir({ nTrain: 2, nTest: 1, gz: false });
    throwsTT(() => loadDataset(f.dir, { inputShape: shape, normalize: { mean: [0, 0] } }), 'DATA_ARG', 'mean has 2 values', '1 channel');
    throwsTT(() => loadDataset(f.dir, { inputShape: shape, normalize: { std: [0] } }), 'DATA_ARG', 'std must be non-zero');
    throwsTT(() => loadDataset(f.dir, { inputShape: shape, maxTrain: -1 }), 'DATA_ARG', 'maxTrain');
  });
});

describe('data: quantizeInput', () => {
  it('rounds half away from zero, adds the zero point, saturates to int8', () => {
    const x = Float32Array.from([0, 1.25, -1.25, 0.75, -0.75, 0.2, -0.2, 100, -100, 63.5, -64.25]);
    assert.deepStrictEqual(Array.from(quantizeInput(x, 0.5, 0)), [0, 3, -3, 2, -2, 0, 0, 127, -128, 127, -128]);
    assert.deepStrictEqual(Array.from(quantizeInput(x, 0.5, -10)), [-10, -7, -13, -8, -12, -10, -10, 127, -128, 117, -128]);
    assert.deepStrictEqual(Array.from(quantizeInput(Float32Array.from([0.25, 31.875, 32, 63.875, -31.875]), 0.25, -128)), [-127, 0, 0, 127, -128]);
  });

  it('rejects bad parameters and NaN', () => {
    throwsTT(() => quantizeInput(new Float32Array(1), 0, 0), 'DATA_ARG', 'scale');
    throwsTT(() => quantizeInput(new Float32Array(1), 1, 128), 'DATA_ARG', 'zero point');
    throwsTT(() => quantizeInput(Float32Array.from([NaN]), 1, 0), 'DATA_ARG', 'NaN');
  });
});

describe('data: packSamples (samples.bin, docs/FIRMWARE-PROJECT.md)', () => {
  // Expected bytes written out by hand from the spec table, for input_bytes = 5.
  const expected = Buffer.from([
    0x54, 0x54, 0x53, 0x31,            // "TTS1"
    5, 0, 0, 0,                        // input_bytes
    2, 0, 0, 0,                        // train_count
    1, 0, 0, 0,                        // eval_count
    3, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0,                        // train 0: label 3, padded to 8
    0xfe, 0xff, 0xff, 0x7f, 0x80, 0xff, 0, 0x7f, 0x81, 0, 0, 0, // train 1: label 0x7ffffffe, -128 -1 0 127 -127
    9, 0, 0, 0, 10, 20, 30, 40, 50, 0, 0, 0,                    // eval 0: label 9
  ]);
  const s0 = Int8Array.from([1, 2, 3, 4, 5]);
  const s1 = Int8Array.from([-128, -1, 0, 127, -127]);
  const e0 = Int8Array.from([10, 20, 30, 40, 50]);

  it('writes the layout byte by byte (array and flat sample forms)', () => {
    const a = packSamples({ x: [s0, s1], y: [3, 0x7ffffffe] }, { x: [e0], y: Int32Array.from([9]) }, 5);
    assert.deepStrictEqual([...a], [...expected]);
    const flat = new Int8Array(10);
    flat.set(s0, 0);
    flat.set(s1, 5);
    const b = packSamples({ x: flat, y: Int32Array.from([3, 0x7ffffffe]) }, { x: e0, y: [9] }, 5);
    assert.deepStrictEqual([...b], [...expected]);
  });

  it('places record k at 16 + k * (4 + align4(input_bytes)); no padding when aligned', () => {
    for (const ib of [1, 4, 784, 3072]) {
      const n = 3;
      const xs = Array.from({ length: n }, (_, k) => Int8Array.from({ length: ib }, (_, i) => ((k * 31 + i) % 255) - 127));
      const buf = packSamples({ x: xs.slice(0, 2), y: [10, 11] }, { x: xs.slice(2), y: [12] }, ib);
      const rec = 4 + Math.ceil(ib / 4) * 4;
      assert.strictEqual(buf.length, 16 + n * rec);
      assert.strictEqual(buf.toString('latin1', 0, 4), 'TTS1');
      assert.deepStrictEqual([buf.readUInt32LE(4), buf.readUInt32LE(8), buf.readUInt32LE(12)], [ib, 2, 1]);
      for (let k = 0; k < n; k++) {
        const at = 16 + k * rec;
        assert.strictEqual(buf.readInt32LE(at), 10 + k);
        for (let i = 0; i < ib; i++) assert.strictEqual(buf.readInt8(at + 4 + i), xs[k][i]);
        for (let i = ib; i < rec - 4; i++) assert.strictEqual(buf[at + 4 + i], 0);
      }
    }
  });

  it('an empty set is a header only', () => {
    assert.deepStrictEqual([...packSamples({ x: [], y: [] }, { x: new Int8Array(0), y: [] }, 784)], [0x54, 0x54, 0x53, 0x31, 0x10, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('rejects inconsistent inputs', () => {
    throwsTT(() => packSamples({ x: [s0], y: [1, 2] }, { x: [], y: [] }, 5), 'DATA_ARG', '1 samples but 2 labels');
    throwsTT(() => packSamples({ x: [s0], y: [1] }, { x: [Int8Array.from([1])], y: [0] }, 5), 'DATA_ARG', 'eval sample 0 has 1 bytes');
    throwsTT(() => packSamples({ x: new Int8Array(9), y: [1, 2] }, { x: [], y: [] }, 5), 'DATA_ARG', 'expected 10');
    throwsTT(() => packSamples({ x: [s0], y: [1.5] }, { x: [], y: [] }, 5), 'DATA_ARG', 'not an int32');
    throwsTT(() => packSamples({ x: [], y: [] }, { x: [], y: [] }, 0), 'DATA_ARG', 'input_bytes');
  });
});

describe('data: real Fashion-MNIST (Debian dataset-fashion-mnist)', function () {
  before(function () {
    if (!fs.existsSync(FASHION)) {
      console.log(`      (skipped: ${FASHION} not found; apt-get install dataset-fashion-mnist)`);
      this.skip();
    }
  });

  it('loads 100 train and 100 test images quickly, matching an independent full decode', () => {
    const t0 = Date.now();
    const ds = loadDataset(FASHION, { inputShape: [1, 28, 28], maxTrain: 100, maxTest: 100, numClasses: 10 });
    const ms = Date.now() - t0;
    assert.ok(ms < 500, `took ${ms} ms`);
    assert.deepStrictEqual(Array.from(ds.train.y.slice(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert.deepStrictEqual(Array.from(ds.test.y.slice(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    assert.strictEqual(ds.train.count, 100);
    assert.strictEqual(ds.train.x.length, 100 * 784);
    const raw = zlib.gunzipSync(fs.readFileSync(path.join(FASHION, 't10k-images-idx3-ubyte.gz')));
    for (let i = 0; i < 100 * 784; i++) assert.strictEqual(ds.test.x[i], Math.fround(raw[16 + i] / 255));
    assert.ok(ds.notes[0].includes('100 of 60000'), ds.notes[0]);
  });
});

describe('bundled models: onnxruntime agrees with the recorded PyTorch accuracy', function () {
  type Ort = typeof import('onnxruntime-node');
  let ort: Ort;
  before(function () {
    if (!fs.existsSync(FASHION)) { console.log(`      (skipped: ${FASHION} not found)`); this.skip(); }
    ort = require('onnxruntime-node') as Ort;
  });

  async function accuracy(model: string, norm: { mean: number[]; std: number[] }, n: number): Promise<number> {
    const ds = loadDataset(FASHION, { inputShape: [1, 28, 28], maxTrain: 0, maxTest: n, normalize: norm });
    const session = await ort.InferenceSession.create(model);
    const input = new ort.Tensor('float32', ds.test.x, [n, 1, 28, 28]); // dynamic batch axis
    const out = await session.run({ [session.inputNames[0]]: input });
    const logits = out[session.outputNames[0]].data as Float32Array;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
      if (best === ds.test.y[i]) correct++;
    }
    return correct / n;
  }

  it('models/default.onnx (x/255)', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'default.json'), 'utf8'));
    assert.deepStrictEqual([meta.normalization.mean, meta.normalization.std], [[0], [1]]);
    const acc = await accuracy(path.join(ROOT, 'models', 'default.onnx'), meta.normalization, 1000);
    assert.ok(near(acc, meta.float_accuracy.test_first_1000), `onnxruntime ${acc} vs PyTorch ${meta.float_accuracy.test_first_1000}`);
    assert.ok(meta.float_accuracy.test_all_10000 >= 0.88, `recorded accuracy ${meta.float_accuracy.test_all_10000}`);
  });

  it('test/fixtures/dwsep/model.onnx (mean/std normalization)', async () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'dwsep');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    assert.deepStrictEqual([meta.normalization.mean, meta.normalization.std], [[0.286], [0.353]]);
    const acc = await accuracy(path.join(dir, 'model.onnx'), meta.normalization, 1000);
    assert.ok(near(acc, meta.float_accuracy.test_first_1000), `onnxruntime ${acc} vs PyTorch ${meta.float_accuracy.test_first_1000}`);
  });
});

// data/ stage: load a dataset folder (MNIST IDX or .npy) into normalized float samples in
// the model's CHW input layout, plus input quantization and the firmware's samples.bin.
//
// Normalization rule: real = (raw * scale - mean[c]) / std[c], with scale defaulting to
// 1/255 for uint8 data and 1 for float data, mean to [0] and std to [1].
import * as fs from 'fs';
import * as path from 'path';
import { TinytrainError } from '../errors';
import { openSource } from './files';
import { IDX_IMAGES, IDX_LABELS, readIdx } from './idx';
import { NpyDtype, readNpy } from './npy';
import { Normalize, describeNormalize, normalizeSamples, resolveNormalize } from './normalize';

export { Normalize } from './normalize';
export { quantizeInput, packSamples, sampleRecordBytes, SampleSet, SAMPLES_MAGIC, SAMPLES_HEADER_BYTES } from './samples';

export interface Split {
  x: Float32Array;       // count samples, each C*H*W floats in CHW order
  y: Int32Array;
  count: number;
  shape: number[];       // per-sample [C, H, W]
}

export interface Dataset {
  train: Split;
  test: Split;
  source: string;        // e.g. "idx:/usr/share/datasets/fashion-mnist"
  notes: string[];       // what was read and how, for report.json
  normalize: Normalize;  // the normalization actually applied (defaults filled in)
}

export interface LoadOptions {
  /** Model input [C, H, W] (a leading batch dimension of 1 is accepted and dropped). */
  inputShape: number[];
  normalize?: Partial<Normalize>;
  maxTrain?: number;
  maxTest?: number;
  /** When given, every label must be in [0, numClasses). */
  numClasses?: number;
  /** Use 255 − raw for uint8 data (a sensor of the opposite polarity: a domain shift to adapt to). */
  invert?: boolean;
}

/** What the format readers hand back before normalization. */
interface RawSplit {
  values: ArrayLike<number>;
  uint8: boolean;
  labels: ArrayLike<number>;
  count: number;
  total: number;         // samples in the file
  shape: number[];       // per-sample CHW
  files: [string, string];
}

const IDX_NAMES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;
const NPY_NAMES = { train: ['x_train.npy', 'y_train.npy'], test: ['x_test.npy', 'y_test.npy'] } as const;

export function loadDataset(dir: string, opts: LoadOptions): Dataset {
  try {
    return load(dir, opts);
  } catch (e) {
    // File-system failures (permissions, a folder where a file should be) become one-liners too.
    const fsErr = e as NodeJS.ErrnoException;
    if (!(e instanceof TinytrainError) && typeof fsErr.code === 'string' && fsErr.syscall) {
      throw new TinytrainError(`${fsErr.path ?? dir}: cannot ${fsErr.syscall} (${fsErr.code})`, 'DATA_IO');
    }
    throw e;
  }
}

function load(dir: string, opts: LoadOptions): Dataset {
  const shape = checkInputShape(opts.inputShape);
  if (!fs.existsSync(dir)) throw new TinytrainError(`data folder ${dir} does not exist`, 'DATA_MISSING');
  if (!fs.statSync(dir).isDirectory()) throw new TinytrainError(`data path ${dir} is not a folder (expected MNIST IDX files or x_train.npy/y_train.npy/x_test.npy/y_test.npy)`, 'DATA_MISSING');

  const format = detectFormat(dir);
  const limits = { train: limit('maxTrain', opts.maxTrain), test: limit('maxTest', opts.maxTest) };
  const read = (which: 'train' | 'test'): RawSplit =>
    format === 'idx' ? readIdxSplit(dir, which, limits[which], shape) : readNpySplit(dir, which, limits[which], shape);
  const rawTrain = read('train');
  const rawTest = read('test');
  for (const r of [rawTrain, rawTest]) {
    if (r.total === 0) throw new TinytrainError(`${r.files[0]}: the file holds no samples`, 'DATA_EMPTY');
  }

  // Both splits must share one rule, so the uint8 default applies only if both are uint8.
  const norm = resolveNormalize(opts.normalize, rawTrain.uint8 && rawTest.uint8, shape[0]);
  if (rawTrain.uint8 !== rawTest.uint8 && opts.normalize?.scale === undefined) {
    throw new TinytrainError(`${dir}: train data is ${rawTrain.uint8 ? 'uint8' : 'float'} but test data is ${rawTest.uint8 ? 'uint8' : 'float'}; give an explicit scale`, 'DATA_ARG');
  }
  if (opts.invert && !(rawTrain.uint8 && rawTest.uint8)) {
    throw new TinytrainError(`${dir}: --invert needs uint8 samples (255 - value); this data is float`, 'DATA_ARG');
  }
  const finish = (r: RawSplit): Split => {
    checkLabels(r, opts.numClasses);
    if (!r.uint8) checkFinite(r);
    const values = opts.invert ? Uint8Array.from(r.values, (v) => 255 - v) : r.values;
    return { x: normalizeSamples(values, r.count, shape, norm), y: Int32Array.from(r.labels), count: r.count, shape: [...shape] };
  };
  const train = finish(rawTrain);
  const test = finish(rawTest);
  const note = (name: string, r: RawSplit): string =>
    `${name}: ${r.count} of ${r.total} samples (${r.shape.join('x')}, ${r.uint8 ? 'uint8' : 'float'}) from ${r.files.map((f) => path.basename(f)).join(' + ')}`;
  return {
    train, test, normalize: norm,
    source: `${format}:${dir}`,
    notes: [note('train', rawTrain), note('test', rawTest), ...(opts.invert ? ['inverted: raw -> 255 - raw'] : []), `normalization: ${describeNormalize(norm)}`],
  };
}

function checkInputShape(s: number[]): number[] {
  const shape = s.length === 4 && s[0] === 1 ? s.slice(1) : s;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TinytrainError(`model input shape must be [C, H, W] with positive sizes, got [${s.join(', ')}]`, 'DATA_ARG');
  }
  return [...shape];
}

function limit(name: string, v: number | undefined): number {
  if (v === undefined) return Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(v) || v < 0) throw new TinytrainError(`${name} must be a non-negative integer, got ${v}`, 'DATA_ARG');
  return v;
}

function detectFormat(dir: string): 'idx' | 'npy' {
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  if (has(NPY_NAMES.train[0])) return 'npy';
  if (has(IDX_NAMES.train[0]) || has(IDX_NAMES.train[0] + '.gz')) return 'idx';
  throw new TinytrainError(`no dataset in ${dir}: looked for ${IDX_NAMES.train[0]}[.gz] (MNIST IDX) and ${NPY_NAMES.train[0]} (NumPy)`, 'DATA_MISSING');
}

function findIdx(dir: string, stem: string): string {
  for (const name of [stem + '.gz', stem]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new TinytrainError(`missing ${stem}[.gz] in ${dir}`, 'DATA_MISSING');
}

const fmt = (s: number[]): string => s.join('x');

function shapeMismatch(file: string, got: number[], want: number[], hint = ''): TinytrainError {
  return new TinytrainError(`${file}: data samples are ${fmt(got)} but the model input is ${fmt(want)}${hint}`, 'DATA_SHAPE');
}

function readIdxSplit(dir: string, which: 'train' | 'test', max: number, want: number[]): RawSplit {
  const [imgName, lblName] = IDX_NAMES[which];
  const imgPath = findIdx(dir, imgName);
  const lblPath = findIdx(dir, lblName);
  const imgSrc = openSource(imgPath);
  const img = readIdx(imgSrc, IDX_IMAGES, 0); // header first: fail fast on shape
  const sample = img.dims.length === 3 ? [1, ...img.dims.slice(1)] : img.dims.slice(1);
  if (fmt(sample) !== fmt(want)) throw shapeMismatch(imgPath, sample, want);
  const lbl = readIdx(openSource(lblPath), IDX_LABELS, max);
  if (lbl.dims[0] !== img.dims[0]) {
    throw new TinytrainError(`${imgPath} has ${img.dims[0]} images but ${lblPath} has ${lbl.dims[0]} labels`, 'DATA_COUNT');
  }
  const images = readIdx(imgSrc, IDX_IMAGES, max);
  return { values: images.data, uint8: true, labels: lbl.data, count: images.count, total: img.dims[0], shape: sample, files: [imgPath, lblPath] };
}

const X_DTYPES: NpyDtype[] = ['u1', 'f4', 'f8'];
const Y_DTYPES: NpyDtype[] = ['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'u8', 'i8'];

function readNpySplit(dir: string, which: 'train' | 'test', max: number, want: number[]): RawSplit {
  const [xName, yName] = NPY_NAMES[which];
  const xPath = path.join(dir, xName);
  const yPath = path.join(dir, yName);
  for (const p of [xPath, yPath]) if (!fs.existsSync(p)) throw new TinytrainError(`missing ${path.basename(p)} in ${dir}`, 'DATA_MISSING');

  const x = readNpy(xPath, max);
  const xs = x.header.shape;
  if (!X_DTYPES.includes(x.header.dtype)) {
    throw new TinytrainError(`${xPath}: samples must be uint8, float32 or float64, got ${x.header.dtype}`, 'DATA_NPY');
  }
  const sample = xs.slice(1);
  const ok = fmt(sample) === fmt(want) || (want[0] === 1 && fmt(sample) === fmt(want.slice(1)));
  if (!ok) {
    const nhwc = sample.length === 3 && fmt(sample) === fmt([want[1], want[2], want[0]]);
    throw shapeMismatch(xPath, sample, want, nhwc ? ' (the file looks NHWC; transpose it to NCHW)' : ` (expected shape [N,${want.join(',')}]${want[0] === 1 ? ` or [N,${want[1]},${want[2]}]` : ''})`);
  }
  const y = readNpy(yPath, max);
  if (!Y_DTYPES.includes(y.header.dtype)) {
    throw new TinytrainError(`${yPath}: labels must be an integer type, got ${y.header.dtype}`, 'DATA_NPY');
  }
  const ys = y.header.shape;
  if (!(ys.length === 1 || (ys.length === 2 && ys[1] === 1))) {
    throw new TinytrainError(`${yPath}: labels must have shape [N] or [N,1], got [${ys.join(',')}]`, 'DATA_SHAPE');
  }
  if (ys[0] !== xs[0]) {
    throw new TinytrainError(`${xPath} has ${xs[0]} samples but ${yPath} has ${ys[0]} labels`, 'DATA_COUNT');
  }
  return { values: x.values, uint8: x.header.dtype === 'u1', labels: y.values, count: x.count, total: xs[0], shape: want, files: [xPath, yPath] };
}

function checkLabels(r: RawSplit, numClasses: number | undefined): void {
  for (let i = 0; i < r.count; i++) {
    const v = r.labels[i];
    if (v < 0 || v > 0x7fffffff || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses !== undefined ? `[0, ${numClasses - 1}] (the model has ${numClasses} classes)` : 'a non-negative int32';
      throw new TinytrainError(`${r.files[1]}: sample ${i} has label ${v}, outside ${range}`, 'DATA_LABEL');
    }
  }
}

function checkFinite(r: RawSplit): void {
  const per = r.shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < r.count * per; i++) {
    if (!Number.isFinite(r.values[i])) {
      throw new TinytrainError(`${r.files[0]}: sample ${Math.floor(i / per)} contains ${r.values[i]}`, 'DATA_VALUE');
    }
  }
}

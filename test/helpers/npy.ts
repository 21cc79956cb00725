// Writes .npy files the way numpy does (v1 header padded to 64 bytes), for test datasets.
import * as fs from 'fs';
import * as path from 'path';
import { encodeNpy as npyBytes } from '../../src/data/npy';

export { npyBytes };

/** A dataset folder with x_train/y_train/x_test/y_test for a model input [C,H,W]. */
export function writeNpyDataset(dir: string, shape: number[], nTrain: number, nTest: number, classes: number, seed = 1): void {
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const per = shape.reduce((a, b) => a * b, 1);
  const make = (n: number): [Float32Array, Int32Array] => {
    const x = new Float32Array(n * per);
    for (let i = 0; i < x.length; i++) x[i] = rnd() * 2 - 1;
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = Math.floor(rnd() * classes);
    return [x, y];
  };
  writeNpySplits(dir, shape, make(nTrain), make(nTest));
}

/** x_train/y_train/x_test/y_test .npy files from float samples [N, ...shape] and labels. */
export function writeNpySplits(dir: string, shape: number[], train: [Float32Array, Int32Array], test: [Float32Array, Int32Array]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [split, [x, y]] of [['train', train], ['test', test]] as const) {
    fs.writeFileSync(path.join(dir, `x_${split}.npy`), npyBytes(x, [y.length, ...shape]));
    fs.writeFileSync(path.join(dir, `y_${split}.npy`), npyBytes(y, [y.length]));
  }
}

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
  fs.mkdirSync(dir, { recursive: true });
  const [xt, yt] = make(nTrain);
  const [xe, ye] = make(nTest);
  fs.writeFileSync(path.join(dir, 'x_train.npy'), npyBytes(xt, [nTrain, ...shape]));
  fs.writeFileSync(path.join(dir, 'y_train.npy'), npyBytes(yt, [nTrain]));
  fs.writeFileSync(path.join(dir, 'x_test.npy'), npyBytes(xe, [nTest, ...shape]));
  fs.writeFileSync(path.join(dir, 'y_test.npy'), npyBytes(ye, [nTest]));
}

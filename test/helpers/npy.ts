// Writes .npy files the way numpy does (v1 header padded to 64 bytes), for test datasets.
import * as fs from 'fs';
import * as path from 'path';

export type NpyArray = Float32Array | Uint8Array | Int32Array;

const descr = (a: NpyArray): string => (a instanceof Float32Array ? '<f4' : a instanceof Int32Array ? '<i4' : '|u1');

export function npyBytes(a: NpyArray, shape: number[]): Buffer {
  const dict = `{'descr': '${descr(a)}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(a.buffer, a.byteOffset, a.byteLength)]);
}

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

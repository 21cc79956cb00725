// Shared by test/platform.test.ts and test/toolchain.test.ts: a project with the
// platform runtime and the test firmware (main.c here), and samples.bin writing.
import * as fs from 'fs';
import * as path from 'path';
import { loadBoard } from '../../../src/boards';
import { writePlatformFiles, PlatformFilesOptions } from '../../../src/codegen/platform';

const REPO = path.resolve(__dirname, '..', '..', '..', '..'); // dist/test/c/platform -> repo
export const TEST_MAIN = path.join(REPO, 'test', 'c', 'platform', 'main.c');

/** A project with the platform runtime and the test main (no model, no kernels: this
 * tests the platform alone). */
export function makePlatformProject(dir: string, boardId: string, mainC = TEST_MAIN, opts: PlatformFilesOptions = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  writePlatformFiles(dir, loadBoard(boardId), opts);
  fs.rmSync(path.join(dir, 'runtime', 'kernels'), { recursive: true, force: true });
  for (const f of fs.readdirSync(path.join(dir, 'runtime', 'src'))) {
    if (f !== 'tt_io.c') fs.rmSync(path.join(dir, 'runtime', 'src', f));
  }
  fs.copyFileSync(mainC, path.join(dir, 'main.c'));
  return dir;
}

export type Rec = [label: number, input: Int8Array];

function crc32(crc: number, bytes: Uint8Array): number {
  crc = ~crc >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** Writes samples.bin (docs/FIRMWARE-PROJECT.md) and returns what the firmware must print. */
export function writeSamples(file: string, inputBytes: number, train: Rec[], evalSet: Rec[]): Array<Record<string, unknown>> {
  const rec = 4 + Math.ceil(inputBytes / 4) * 4;
  const buf = Buffer.alloc(16 + rec * (train.length + evalSet.length));
  buf.write('TTS1', 0, 'latin1');
  buf.writeUInt32LE(inputBytes, 4);
  buf.writeUInt32LE(train.length, 8);
  buf.writeUInt32LE(evalSet.length, 12);
  let crc = 0;
  const expected: Array<Record<string, unknown>> = [];
  [train, evalSet].forEach((set, s) => {
    let sum = 0;
    let labelSum = 0;
    set.forEach(([label, input], i) => {
      const off = 16 + rec * ((s === 0 ? 0 : train.length) + i);
      buf.writeInt32LE(label, off);
      Buffer.from(input.buffer, input.byteOffset, input.length).copy(buf, off + 4);
      for (const v of input) sum += v;
      labelSum += label;
      crc = crc32(crc, new Uint8Array(input.buffer, input.byteOffset, input.length));
      crc = crc32(crc, new Uint8Array(new Int32Array([label]).buffer));
    });
    expected.push({ event: 'samples', set: s, count: set.length, input_bytes: set.length ? inputBytes : 0, sum, label_sum: labelSum, crc32: crc.toString(16).padStart(8, '0') });
  });
  fs.writeFileSync(file, buf);
  return expected;
}

export function randomRecords(n: number, bytes: number, seed: number, label: (i: number) => number): Rec[] {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s >>> 24; };
  return Array.from({ length: n }, (_, i): Rec => [label(i), Int8Array.from({ length: bytes }, () => (next() << 24) >> 24)]);
}


// The on-device learning tasks of test/fixtures/tasks/tasks.json, written as uint8 .npy
// datasets that `tinytrain gen --data` reads: the same images the PyTorch reference uses.
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset } from '../data';
import { encodeNpy as npy } from '../data/npy';
import { PACKAGE_ROOT } from '../paths';

export const FMNIST = '/usr/share/datasets/fashion-mnist';
const TASKS = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'tasks', 'tasks.json');

export interface Task { train_count: number; test_count: number; invert: boolean; label_map: number[] | null; classes: number }

export function task(name: string): Task {
  const t = (JSON.parse(fs.readFileSync(TASKS, 'utf8')) as { tasks: Record<string, Task> }).tasks[name];
  if (!t) throw new Error(`no task ${name}`);
  return t;
}

export function writeTaskDataset(name: string, dir: string): Task {
  const t = task(name);
  const raw = loadDataset(FMNIST, { inputShape: [1, 28, 28], normalize: { scale: 1 }, maxTrain: t.train_count, maxTest: t.test_count });
  fs.mkdirSync(dir, { recursive: true });
  const write = (split: 'train' | 'test', n: number): void => {
    const s = raw[split];
    const x = Uint8Array.from(s.x.subarray(0, n * 784), (v) => (t.invert ? 255 - v : v));
    const y = Int32Array.from(s.y.subarray(0, n), (v) => (t.label_map ? t.label_map[v] : v));
    fs.writeFileSync(path.join(dir, `x_${split}.npy`), npy(x, [n, 1, 28, 28]));
    fs.writeFileSync(path.join(dir, `y_${split}.npy`), npy(y, [n]));
  };
  write('train', t.train_count);
  write('test', t.test_count);
  return t;
}

// Which rounding of fractional int8 updates is best per byte: every mode on every task and
// scheme, trained by the host build of the generated C (bit-identical to the device).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rounding } from '../ir/train';
import { gen } from '../pipeline/gen';
import { buildProject, emulateProject } from '../pipeline/run';
import { writeTaskDataset } from './tasks';

export interface RoundingRow {
  task: string; scheme: string; rounding: Rounding; lr: number;
  before: number; after: number; gain: number;
  trainable_bytes: number; master_bytes: number; sram_bytes: number;
  /** Accuracy after training per KB of planned SRAM. */
  accuracy_per_kb: number;
}

export interface RoundingResult { rows: RoundingRow[]; means: Record<Rounding, { gain: number; after: number; sram_bytes: number; accuracy_per_kb: number }>; best: Rounding }

const MODES: Rounding[] = ['stochastic', 'nearest', 'master'];

export async function roundingBench(log: (s: string) => void, opts: { tasks?: string[]; schemes?: string[]; lr?: number } = {}): Promise<RoundingResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-rounding-'));
  const rows: RoundingRow[] = [];
  const lr = opts.lr ?? 0.003;
  try {
    for (const taskName of opts.tasks ?? ['invert', 'superclass4']) {
      const data = path.join(work, taskName);
      const t = writeTaskDataset(taskName, data);
      for (const scheme of opts.schemes ?? ['full', 'bias+last:2', 'last:3']) {
        for (const rounding of MODES) {
          const out = path.join(work, `${taskName}-${scheme.replace(/[^a-z0-9]/gi, '_')}-${rounding}`);
          await gen({
            data, board: 'stm32f746', scheme, out, evalSamples: t.test_count, calibSamples: 256, trainSamples: t.train_count,
            epochs: 1, lr, rounding, ...(t.classes !== 10 ? { classes: t.classes } : {}),
          });
          buildProject(out, 'host');
          const r = await emulateProject(out, { host: true });
          const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { memory: Record<string, number> };
          const before = r.eval[0].accuracy;
          const after = r.eval[r.eval.length - 1].accuracy;
          const sram = report.memory.sram_total_bytes;
          const row: RoundingRow = {
            task: taskName, scheme, rounding, lr, before, after, gain: after - before,
            trainable_bytes: report.memory.trainable_param_bytes, master_bytes: report.memory.master_copy_bytes, sram_bytes: sram,
            accuracy_per_kb: after / (sram / 1024),
          };
          rows.push(row);
          log(`${taskName.padEnd(12)} ${scheme.padEnd(12)} ${rounding.padEnd(10)} ${(100 * before).toFixed(1)}% -> ${(100 * after).toFixed(1)}%  SRAM ${sram} B (master ${row.master_bytes} B)`);
          fs.rmSync(out, { recursive: true, force: true });
        }
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const means = Object.fromEntries(MODES.map((m) => {
    const rs = rows.filter((r) => r.rounding === m);
    return [m, { gain: mean(rs.map((r) => r.gain)), after: mean(rs.map((r) => r.after)), sram_bytes: mean(rs.map((r) => r.sram_bytes)), accuracy_per_kb: mean(rs.map((r) => r.accuracy_per_kb)) }];
  })) as RoundingResult['means'];
  const best = MODES.reduce((a, b) => (means[b].accuracy_per_kb > means[a].accuracy_per_kb ? b : a));
  return { rows, means, best };
}

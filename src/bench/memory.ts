// Memory of on-device training for the zoo models (random weights: memory does not depend
// on them) and the schemes full, MIT's published ones and bias-only, beside TTE's figures.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PACKAGE_ROOT } from '../paths';
import { encodeNpy } from '../data/npy';
import { gen } from '../pipeline/gen';
import { buildProject } from '../pipeline/run';

/** TTE's published peak memory for the same model and scheme (ANCHORS.md), in bytes. */
const TTE: Record<string, { figure: number; what: string }> = {
  'mcunet-5fps/49kb': { figure: 189800 + 40424, what: 'arena 189,800 B + 40.4 KB trainable (generated firmware)' },
  'mcunet-5fps/99kb': { figure: 173 * 1024, what: 'sparse + reorder peak, 173 KB' },
  'mbv2-w0.35/99kb': { figure: 141 * 1024, what: 'sparse + reorder peak, 141 KB' },
  'proxyless-w0.3/98kb': { figure: 135 * 1024, what: 'sparse + reorder peak, 135 KB' },
  'mcunet-5fps/full': { figure: 3650 * 1024, what: 'full update, 3650 KB' },
  'mbv2-w0.35/full': { figure: 2939 * 1024, what: 'full update, 2939 KB' },
  'proxyless-w0.3/full': { figure: 2745 * 1024, what: 'full update, 2745 KB' },
};

export interface MemoryRow {
  model: string; scheme: string; tiled: string | null;
  arena_bytes: number; lower_bound_bytes: number; arena_over_lower_bound: number;
  /** Without tiling, and with the model's own op order and no in-place ops (lower bound): what the schedule choices bought. */
  untiled_arena_bytes: number; naive_lower_bound_bytes: number;
  trainable_bytes: number; sram_total_bytes: number; fits_board: boolean;
  flash_bytes: number; flash_source: 'elf' | 'plan';
  tte_bytes: number | null; tte_what: string | null; planning_ms: number;
}

export async function memoryBench(log: (s: string) => void, opts: { models?: string[]; build?: boolean } = {}): Promise<MemoryRow[]> {
  const zoo = path.join(PACKAGE_ROOT, 'models', 'zoo');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-memory-'));
  const rows: MemoryRow[] = [];
  try {
    const data = path.join(work, 'data');
    writeRandomImages(data, 16);
    for (const model of opts.models ?? ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3']) {
      const mit = fs.readdirSync(path.join(zoo, 'schemes')).filter((f) => f.startsWith(`${model}-`)).sort();
      const schemes: [string, string][] = [
        ['full', 'full'],
        ...mit.map((f): [string, string] => [f.slice(model.length + 1, -5), path.join(zoo, 'schemes', f)]),
        ['bias', 'bias'],
      ];
      for (const [name, spec] of schemes) {
        const out = path.join(work, `${model}-${name}`);
        const r = await gen({
          model: path.join(zoo, `${model}.onnx`), data, board: 'stm32f746', scheme: spec, out,
          evalSamples: 1, calibSamples: 8, trainSamples: 1, steps: 1, checkFit: false, write: true, budget: '128KB',
        });
        const mem = r.report.memory as Record<string, number> & { sram_plan: Record<string, number>; schedule: { naive_lower_bound_bytes: number; untiled_arena_bytes: number } };
        const fits = mem.sram_plan.total <= (r.report.board as { sram_bytes: number }).sram_bytes;
        let flash = mem.flash_bytes;
        let source: 'elf' | 'plan' = 'plan';
        if (fits && opts.build !== false) {
          const b = buildProject(out, 'emu');
          if (b.flash_bytes !== null) { flash = b.flash_bytes; source = 'elf'; }
        }
        const tte = TTE[`${model}/${name}`];
        const tiling = r.report.tiling as { segment: string[]; grid: number[] } | null;
        const row: MemoryRow = {
          model, scheme: name, tiled: tiling ? `${tiling.segment.length} layers, ${tiling.grid.join('x')}` : null,
          arena_bytes: mem.arena_bytes, lower_bound_bytes: mem.lower_bound_bytes,
          untiled_arena_bytes: mem.schedule.untiled_arena_bytes, naive_lower_bound_bytes: mem.schedule.naive_lower_bound_bytes, arena_over_lower_bound: mem.arena_bytes / mem.lower_bound_bytes,
          trainable_bytes: mem.sram_plan.trainable_weights + mem.sram_plan.trainable_biases + mem.sram_plan.master_copies,
          sram_total_bytes: mem.sram_plan.total, fits_board: fits, flash_bytes: flash, flash_source: source,
          tte_bytes: tte ? tte.figure : null, tte_what: tte ? tte.what : null, planning_ms: r.planningMs,
        };
        rows.push(row);
        const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
        log(`${model.padEnd(15)} ${name.padEnd(6)} arena ${kb(row.arena_bytes).padStart(10)} (LB ${kb(row.lower_bound_bytes)}, x${row.arena_over_lower_bound.toFixed(3)})  trainable ${kb(row.trainable_bytes).padStart(9)}  SRAM ${kb(row.sram_total_bytes).padStart(10)}${fits ? '' : ' (does not fit)'}  flash ${kb(flash)} (${source})${tte ? `   TTE: ${kb(tte.figure)} (${tte.what})` : ''}${row.tiled ? `  tiled: ${row.tiled} (untiled ${kb(row.untiled_arena_bytes)})` : ''}  planned in ${row.planning_ms.toFixed(0)} ms`);
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

/** Random 3x128x128 uint8 images and labels as .npy: memory does not depend on values. */
export function writeRandomImages(dir: string, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  let s = 12345;
  const x = new Uint8Array(n * 3 * 128 * 128).map(() => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; });
  const y = new Int32Array(n).map((_, i) => i % 10);
  for (const split of ['train', 'test']) {
    fs.writeFileSync(path.join(dir, `x_${split}.npy`), encodeNpy(x, [n, 3, 128, 128]));
    fs.writeFileSync(path.join(dir, `y_${split}.npy`), encodeNpy(y, [n]));
  }
}

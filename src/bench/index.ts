// `npm run bench -- [--memory] [--rounding] [--speed [--models a,b] [--record]] [--json]`: measurements that are too slow or too noisy
// for tests. Results are ratios and exact counts, so they are comparable across runs.
import { memoryBench } from './memory';
import { roundingBench } from './rounding';
import { speedBench } from './speed';
import { KERNEL_COSTS_FILE } from '../analyze/kernel-costs';

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const log = (s: string): void => { if (!json) process.stdout.write(`${s}\n`); else process.stderr.write(`${s}\n`); };
  const all = !argv.some((a) => a.startsWith('--') && a !== '--json' && a !== '--record');
  const result: Record<string, unknown> = {};
  if (all || argv.includes('--rounding')) {
    log('rounding of fractional updates (host build, bit-identical to the device):');
    const r = await roundingBench(log);
    for (const [mode, m] of Object.entries(r.means)) {
      log(`  ${mode.padEnd(10)} mean gain ${(100 * m.gain).toFixed(1)} points, mean final ${(100 * m.after).toFixed(1)}%, mean SRAM ${Math.round(m.sram_bytes)} B, accuracy per KB ${m.accuracy_per_kb.toFixed(5)}`);
    }
    log(`  best accuracy per byte: ${r.best}`);
    result.rounding = r;
  }
  if (all || argv.includes('--memory')) {
    log('memory of on-device training (stm32f746; zoo models at 3x128x128, random weights):');
    result.memory = await memoryBench(log);
  }
  if (argv.includes('--speed')) {
    // Not part of the default run: it builds and emulates ~17 projects three times each.
    log('instructions per inference and training step in QEMU (mps2-an500, -icount): optimized Cortex-M kernels vs portable C:');
    const mi = argv.indexOf('--models');
    const models = mi >= 0 ? argv[mi + 1].split(',') : undefined;
    result.speed = await speedBench(log, { models, record: argv.includes('--record') ? KERNEL_COSTS_FILE : undefined });
  }
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}

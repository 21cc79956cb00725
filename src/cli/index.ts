// The command line: parses arguments and calls the pipeline. Nothing else lives here.
import yargs from 'yargs';
import { DEFAULT_BOARD, listBoards } from '../boards';
import { DEFAULT_DATA, DEFAULT_LR, DEFAULT_ROUNDING, DEFAULT_TRAIN_SAMPLES, gen } from '../pipeline/gen';
import { Rounding } from '../ir/train';
import { buildProject, emulateProject, EmulateSummary } from '../pipeline/run';
import { analyzeCommand, AnalysisProtocol, ANALYSIS_DEFAULTS } from '../pipeline/analyze';
import { formatInspectReport, inspectModel, InspectReport } from '../pipeline/inspect';
import { FLASH_EXIT, planFlash, PROBES, runFlash } from '../pipeline/flash';
import { makeProgress } from './progress';
import { VERSION } from '../version';
import { EXIT, reportError } from './errors';
import { TinytrainError } from '../errors';

const numberList = (v: unknown): number[] | undefined => {
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const nums = parts.map(Number);
  if (nums.some((n) => !Number.isFinite(n))) throw new TinytrainError(`expected comma-separated numbers, got '${String(v)}'`, 'E_OPTION');
  return nums;
};

export async function main(argv: string[]): Promise<void> {
  let code: number = EXIT.ok;
  const say = (quiet: boolean) => (line: string): void => { if (!quiet) process.stderr.write(`${line}\n`); };
  try {
    await yargs(argv)
      .scriptName('tinytrain')
      .version(VERSION)
      .strict()
      .wrap(Math.min(100, process.stdout.columns || 100))
      .option('quiet', { type: 'boolean', default: false, describe: 'print only results and errors' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on the last line of stdout' })
      .command('gen', 'generate a firmware project from a model and data', (y) => y
        .option('board', { type: 'string', default: DEFAULT_BOARD, describe: 'target board (see `tinytrain boards`)' })
        .option('model', { type: 'string', describe: 'ONNX model (default: the bundled Fashion-MNIST CNN)' })
        .option('data', { type: 'string', describe: `dataset folder, IDX or .npy (default: ${DEFAULT_DATA})` })
        .option('scheme', { type: 'string', default: 'none', describe: 'what the device trains: none, full, bias, last:K, bias+last:K, auto (analyze, then the best scheme within --budget), or a JSON file (ours or MIT\'s format)' })
        .option('lr', { type: 'number', describe: `learning rate (default ${DEFAULT_LR})` })
        .option('lr-schedule', { choices: ['constant', 'cosine'] as const, default: 'constant' as const, describe: 'learning-rate schedule over the training steps' })
        .option('steps', { type: 'number', describe: 'training steps (one sample each)' })
        .option('epochs', { type: 'number', describe: 'passes over the training samples (default 1; ignored with --steps)' })
        .option('eval-every', { type: 'number', default: 0, describe: 'evaluate every K steps (always at step 0 and at the end)' })
        .option('train-samples', { type: 'number', default: DEFAULT_TRAIN_SAMPLES, describe: 'training samples packed for the device' })
        .option('rounding', { choices: ['stochastic', 'nearest', 'master'] as const, default: DEFAULT_ROUNDING, describe: 'how fractional int8 updates are applied' })
        .option('seed', { type: 'number', default: 1, describe: 'seed of the on-device random number generator and of a new head' })
        .option('classes', { type: 'number', describe: 'replace the classifier with a fresh one for N classes (a new on-device task)' })
        .option('out', { type: 'string', default: 'out', describe: 'output folder (created; only it is written)' })
        .option('eval-samples', { type: 'number', default: 1000, describe: 'test samples evaluated on the device' })
        .option('calib-samples', { type: 'number', default: 256, describe: 'training samples used to calibrate activation ranges' })
        .option('scale', { type: 'number', describe: 'input scale: real = (raw*scale - mean)/std (default 1/255 for uint8 data)' })
        .option('mean', { type: 'string', describe: 'per-channel mean, comma separated (default 0)' })
        .option('std', { type: 'string', describe: 'per-channel std, comma separated (default 1)' })
        .option('tiling', { choices: ['auto', 'off', 'always'] as const, default: 'auto' as const, describe: 'run the frozen first layers tile by tile when the untiled plan does not fit the budget (always: even when it fits)' })
        .option('budget', { type: 'string', describe: 'SRAM budget (bytes, or e.g. 128KB): fail when the plan needs more' })
        .option('invert', { type: 'boolean', default: false, describe: 'invert uint8 samples (255 - raw): a domain shift to adapt to' })
        .option('print-logits', { type: 'boolean', default: false, describe: 'firmware prints every sample\'s int8 logits' })
        .option('analysis-samples', { type: 'number', describe: `with --scheme auto: training-split samples the analysis trains on, and as many held out (default ${ANALYSIS_DEFAULTS.trainSamples})` })
        .option('analysis-seeds', { type: 'string', describe: `with --scheme auto: seeds averaged per measurement (default ${ANALYSIS_DEFAULTS.seeds.join(',')})` })
        .option('analysis-jobs', { type: 'number', describe: 'with --scheme auto: parallel analysis runs (default: the number of CPUs)' })
        .example('$0 gen --board stm32f746 --out out', 'bundled model and Fashion-MNIST')
        .example('$0 gen --scheme bias+last:2 --lr 0.01 --epochs 1 --eval-every 250 --out out', 'train on the device')
        .example('$0 gen --model net.onnx --data ./npy --mean 0.286 --std 0.353 --out out', 'your own model and data')
        .example('$0 gen --scheme auto --budget 64KB --invert --out out', 'analyze, then train the best scheme that fits 64 KB'),
      async (a) => {
        const r = await gen({
          analysis: a.scheme === 'auto' ? {
            ...analysisProgress(a.quiet || a.json), trainSamples: a['analysis-samples'], heldOut: a['analysis-samples'],
            seeds: numberList(a['analysis-seeds']), jobs: a['analysis-jobs'],
          } : undefined,
          model: a.model, data: a.data, board: a.board, scheme: a.scheme, out: a.out,
          evalSamples: a['eval-samples'], calibSamples: a['calib-samples'],
          scale: a.scale, mean: numberList(a.mean), std: numberList(a.std), printLogits: a['print-logits'],
          lr: a.lr, lrSchedule: a['lr-schedule'], steps: a.steps, epochs: a.epochs, evalEvery: a['eval-every'],
          trainSamples: a['train-samples'], rounding: a.rounding as Rounding, seed: a.seed, classes: a.classes, invert: a.invert, budget: a.budget, tiling: a.tiling,
          log: say(a.quiet || a.json),
        });
        const mem = r.report.memory as Record<string, number>;
        if (a.json) process.stdout.write(`${JSON.stringify({ out: r.out, memory: mem, notes: r.report.notes })}\n`);
        else if (!a.quiet) process.stdout.write(`generated ${r.out}: arena ${mem.arena_bytes} B (lower bound ${mem.lower_bound_bytes} B), planned SRAM ${mem.sram_total_bytes} B, flash ~${mem.flash_bytes} B\n`);
      })
      .command('analyze', 'measure what training each layer gains on your data and choose the best sparse-update scheme for a memory budget', (y) => y
        .option('board', { type: 'string', default: DEFAULT_BOARD, describe: 'target board (see `tinytrain boards`)' })
        .option('model', { type: 'string', describe: 'ONNX model (default: the bundled Fashion-MNIST CNN)' })
        .option('data', { type: 'string', describe: `dataset folder, IDX or .npy (default: ${DEFAULT_DATA})` })
        .option('budget', { type: 'string', describe: 'SRAM budget (bytes, or e.g. 128KB; default: the board\'s SRAM)' })
        .option('time-budget', { type: 'number', describe: 'instructions per training step the scheme may take' })
        .option('out', { type: 'string', default: 'scheme.json', describe: 'scheme file to write; <name>.analysis.json/.html and the cache (.tinytrain-cache/) go beside it' })
        .option('train-samples', { type: 'number', default: ANALYSIS_DEFAULTS.trainSamples, describe: 'training-split samples each candidate trains on' })
        .option('held-out', { type: 'number', default: ANALYSIS_DEFAULTS.heldOut, describe: 'further training-split samples the gains are measured on' })
        .option('steps', { type: 'number', describe: 'training steps per measurement (default: one pass over --train-samples)' })
        .option('seeds', { type: 'string', default: ANALYSIS_DEFAULTS.seeds.join(','), describe: 'seeds averaged per measurement, comma separated' })
        .option('jobs', { type: 'number', describe: 'parallel runs (default: the number of CPUs)' })
        .option('lr', { type: 'number', describe: `learning rate (default ${DEFAULT_LR})` })
        .option('rounding', { choices: ['stochastic', 'nearest', 'master'] as const, default: DEFAULT_ROUNDING, describe: 'how fractional int8 updates are applied' })
        .option('classes', { type: 'number', describe: 'replace the classifier with a fresh one for N classes' })
        .option('calib-samples', { type: 'number', default: 256, describe: 'training samples used to calibrate activation ranges' })
        .option('scale', { type: 'number', describe: 'input scale (default 1/255 for uint8 data)' })
        .option('mean', { type: 'string', describe: 'per-channel mean, comma separated' })
        .option('std', { type: 'string', describe: 'per-channel std, comma separated' })
        .option('invert', { type: 'boolean', default: false, describe: 'invert uint8 samples (255 - raw)' })
        .option('seed', { type: 'number', default: 1, describe: 'seed of a new head' })
        .example('$0 analyze --invert --budget 48KB --out scheme.json', 'then: $0 gen --scheme scheme.json --invert ...'),
      async (a) => {
        const r = await analyzeCommand({
          ...analysisProgress(a.quiet || a.json),
          model: a.model, data: a.data, board: a.board, budget: a.budget, timeBudget: a['time-budget'], out: a.out,
          trainSamples: a['train-samples'], heldOut: a['held-out'], steps: a.steps, seeds: numberList(a.seeds), jobs: a.jobs,
          lr: a.lr, rounding: a.rounding as Rounding, classes: a.classes, calibSamples: a['calib-samples'], evalSamples: 0,
          scale: a.scale, mean: numberList(a.mean), std: numberList(a.std), invert: a.invert, seed: a.seed,
          log: say(a.quiet || a.json),
        });
        const c = r.report.chosen;
        if (a.json) process.stdout.write(`${JSON.stringify({ scheme: r.files[0], files: r.files, chosen: c, reference: r.report.reference, timing: r.report.timing })}\n`);
        else if (!a.quiet) {
          process.stdout.write(`wrote ${r.files.join(', ')}\n`);
          process.stdout.write(`chosen: predicted +${(100 * c.predictedGain).toFixed(1)} points, measured +${(100 * (c.measuredGain ?? 0)).toFixed(1)}, SRAM ${c.sramBytes} of ${r.report.budget} B\n`);
        }
      })
      .command('build <out>', 'compile a generated project (arm-none-eabi-gcc, or the host compiler)', (y) => y
        .positional('out', { type: 'string', demandOption: true, describe: 'project folder written by gen' })
        .option('target', { choices: ['emu', 'board', 'host'] as const, default: 'emu' as const, describe: 'emu: linked for QEMU; board: for the real board; host: this machine' })
        .option('print-logits', { type: 'boolean', default: false, describe: 'firmware prints every sample\'s logits' })
        .option('portable', { type: 'boolean', default: false, describe: 'the portable C kernels even on a DSP core (-DTT_PORTABLE), for comparison' })
        .option('profile', { type: 'boolean', default: false, describe: 'the firmware prints the instructions of every kernel call (-DTT_PROFILE)' })
        .example('$0 build out', 'ELF for the emulator, with flash/SRAM use')
        .example('$0 build out --profile && $0 emulate out', 'instructions per kernel call, as "profile" lines')
        .example('$0 build out --target host', 'the same C as a host program'),
      (a) => {
        const extraCflags = [...(a.portable ? ['-DTT_PORTABLE'] : []), ...(a.profile ? ['-DTT_PROFILE'] : [])];
        const r = buildProject(a.out, a.target, { printLogits: a['print-logits'], extraCflags });
        if (a.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (!a.quiet) {
          process.stdout.write(`built ${r.artifact}\n`);
          if (r.flash_bytes !== null) process.stdout.write(`flash ${r.flash_bytes} of ${r.flash_capacity} B, static SRAM ${r.sram_static_bytes} of ${r.sram_capacity} B (plus stack)\n`);
        }
      })
      .command('emulate <out>', 'run the firmware in QEMU (or on the host) and report accuracy, instructions and memory', (y) => y
        .positional('out', { type: 'string', demandOption: true, describe: 'project folder, built' })
        .option('host', { type: 'boolean', default: false, describe: 'run the host build instead of QEMU' })
        .option('timeout', { type: 'number', default: 600, describe: 'seconds before the run is stopped' })
        .example('$0 emulate out --json', 'the last stdout line is a JSON summary'),
      async (a) => {
        const stream = !a.quiet && !a.json;
        const r = await emulateProject(a.out, { host: a.host, timeoutSec: a.timeout, onLine: stream ? (l) => process.stdout.write(`${l}\n`) : undefined });
        if (a.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (!a.quiet) process.stdout.write(humanSummary(r));
        code = r.exit_code;
      })
      .command('inspect [model]', 'show a model\'s shapes, ops, parameters and MACs, and the memory of training it on a board (no data needed, nothing written)', (y) => y
        .positional('model', { type: 'string', describe: 'ONNX model (default: the bundled Fashion-MNIST CNN)' })
        .option('board', { type: 'string', default: DEFAULT_BOARD, describe: 'target board (see `tinytrain boards`)' })
        .example('$0 inspect net.onnx', 'ops, totals, trainable layers, SRAM of the none/bias/full schemes on the stm32f746')
        .example('$0 inspect net.onnx --board mps2-an386 --json', 'the same as one JSON object on the last stdout line')
        .example('$0 inspect net.onnx --quiet', 'one summary line; exit 0 when tinytrain supports the model'),
      (a) => {
        const r = inspectModel(a.model, a.board);
        if (a.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (a.quiet) process.stdout.write(inspectSummary(r));
        else process.stdout.write(formatInspectReport(r));
      })
      .command('flash <out>', 'write a project\'s board build (build/firmware.elf or .bin) to the board through a debug probe', (y) => y
        .positional('out', { type: 'string', demandOption: true, describe: 'project folder written by gen and built with --target board' })
        .option('probe', { choices: PROBES, demandOption: true, describe: 'openocd (ST-LINK interface), stlink (st-flash) or pyocd' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print the command instead of running it' })
        .option('probe-target', { type: 'string', describe: 'OpenOCD target config or pyOCD target name (default: derived from the board)' })
        .example('$0 build out --target board && $0 flash out --probe stlink', 'build for the real board, then flash it with st-flash')
        .example('$0 flash out --probe openocd --dry-run', 'print the exact OpenOCD command and where to run it')
        .example('$0 flash out --probe pyocd --json', 'flash; the last stdout line is a JSON summary')
        .epilog(`exit codes: 0 flashed (or --dry-run); 1 nothing right to flash (one error line); 2 usage; ${FLASH_EXIT.toolMissing} the tool is not on PATH (the command to run is printed); otherwise the tool's own exit code`),
      (a) => {
        const opts = { dryRun: a['dry-run'], probeTarget: a['probe-target'], output: a.json ? 'stderr' as const : a.quiet ? 'quiet' as const : 'inherit' as const };
        const plan = planFlash(a.out, a.probe, opts);
        const chatty = !a.quiet && !a.json;
        if (a['dry-run'] || !plan.toolPath) {
          if (chatty) process.stderr.write(plan.toolPath ? 'tinytrain: dry run; to flash, run:\n' : `tinytrain: ${plan.tool} is not installed; to flash, run:\n`);
          if (!a.json) process.stdout.write(`${plan.shell}\n`);
        } else if (chatty) process.stderr.write(`tinytrain: running ${plan.shell}\n`);
        const r = runFlash(plan, opts);
        if (r.ran && r.exitCode !== 0 && !a.quiet) process.stderr.write(`tinytrain: ${plan.tool} exited with code ${r.exitCode}\n`);
        if (a.json) {
          process.stdout.write(`${JSON.stringify({
            probe: r.probe, tool: r.tool, tool_path: r.toolPath, installed: r.toolPath !== null, board: r.board, artifact: r.artifact,
            cwd: r.cwd, command: r.command, shell: r.shell, dry_run: a['dry-run'], ran: r.ran, exit_code: r.exitCode,
          })}\n`);
        }
        code = r.exitCode;
      })
      .command('boards', 'list the supported boards', () => undefined, (a) => {
        const boards = listBoards();
        if (a.json) process.stdout.write(`${JSON.stringify(boards.map((b) => ({ id: b.id, name: b.name, cpu: b.cpu, flash: b.memory.flash.size, sram: b.memory.sram.size, emulator: b.emulator?.qemu_machine ?? null })))}\n`);
        else for (const b of boards) process.stdout.write(`${b.id.padEnd(14)} ${b.name}${b.emulator ? `  [emulated: ${b.emulator.qemu_machine}]` : ''}\n`);
      })
      .example('$0 inspect net.onnx', 'ops, MACs and the SRAM of training it, without data')
      .example('$0 gen --model net.onnx --data ./npy --scheme bias+last:2 --out out', 'generate a training firmware project')
      .example('$0 build out && $0 emulate out', 'build it and train it in QEMU')
      .example('$0 build out --target board && $0 flash out --probe stlink', 'build it for the real board and flash it')
      .demandCommand(1, 'give a command: gen, analyze, inspect, build, emulate, flash, boards')
      .fail((msg, err) => {
        if (err) throw err;
        process.stderr.write(`tinytrain: usage error: ${msg}\nRun 'tinytrain --help' for usage.\n`);
        code = EXIT.usage;
        throw new UsageHandled();
      })
      .help()
      .parseAsync();
  } catch (e) {
    if (!(e instanceof UsageHandled)) code = reportError(e);
  }
  process.exitCode = code;
}

class UsageHandled extends Error {}

/** inspect --quiet: one line. */
function inspectSummary(r: InspectReport): string {
  const mem = r.memory.map((m) => `${m.scheme} ${m.sramBytes} B${m.fits ? '' : ' (does not fit)'}`).join(', ');
  return `${r.model.name}: ${r.totals.ops} ops, ${r.totals.params} parameters, ${r.totals.macs} MACs; SRAM on ${r.board.id}: ${mem}\n`;
}

/** The analysis protocol's progress reporting: a bar on a terminal, plain lines elsewhere. */
function analysisProgress(quiet: boolean): AnalysisProtocol {
  let bar: ReturnType<typeof makeProgress> | undefined;
  return {
    onRun(done, total, detail) {
      bar ??= makeProgress('analysis runs', total, { quiet });
      bar.tick(detail);
      if (done === total) { bar.done(); bar = undefined; }
    },
  };
}

function humanSummary(r: EmulateSummary): string {
  const lines: string[] = [''];
  lines.push(`${r.runner === 'qemu' ? 'QEMU' : 'host'} run on ${r.board}: exit code ${r.exit_code}`);
  if (r.eval.length > 1) lines.push('  learning curve:');
  for (const e of r.eval) {
    const loss = e.loss === null ? '' : `  loss ${e.loss.toFixed(4)}`;
    const tl = e.train_loss === undefined ? '' : `  train loss ${e.train_loss.toFixed(4)}`;
    lines.push(`  step ${String(e.step).padStart(6)}: accuracy ${(100 * e.accuracy).toFixed(2)}% (${e.correct}/${e.samples})${loss}${tl}`);
  }
  if (r.train_steps > 0) lines.push(`  training: ${r.train_steps} steps, ${r.skipped_updates} skipped updates, ${r.instructions_per_train_step ?? '-'} instructions per step`);
  if (r.instructions_per_inference !== null) lines.push(`  instructions per inference: ${r.instructions_per_inference}`);
  if (r.sram) {
    const s = r.sram;
    lines.push('  memory (SRAM, bytes):');
    lines.push(`    arena      ${String(s.arena).padStart(8)}`);
    lines.push(`    trainable  ${String(s.trainable).padStart(8)}`);
    if (s.master) lines.push(`    master     ${String(s.master).padStart(8)}`);
    lines.push(`    state      ${String(s.state).padStart(8)}`);
    lines.push(`    stack peak ${String(s.stack).padStart(8)}`);
    lines.push(`    total      ${String(s.total).padStart(8)}`);
  }
  if (r.flash !== null) lines.push(`  flash: ${r.flash} bytes`);
  if (r.fault) lines.push(`  FAULT: ${JSON.stringify(r.fault)}`);
  if (r.error) lines.push(`  ERROR: ${JSON.stringify(r.error)}`);
  return `${lines.join('\n')}\n`;
}

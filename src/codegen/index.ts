// codegen/ stage: QGraph + Plan + Board -> the files of a firmware project and report.json.
import { Board } from '../boards';
import { TrainGraph } from '../ir/train';
import { Plan, SramPlan } from '../memory';
import { linkerContext, makefileContext, renderLinkerScript, renderMakefile } from './platform';
import { cFloat } from './cformat';
import { cStringLiteral } from './names';
import { generateModel } from './model';
import { render } from './templates';
import { renderReportHtml } from './report-html';

export interface TrainingOptions {
  steps: number;
  evalEvery: number;
  lr: number;
  cosine: boolean;
  seed: number;
  /** Evaluate before training (default true); the analysis knows its baseline already. */
  evalAtStart?: boolean;
}

export interface CodegenInput {
  train: TrainGraph;
  sram: SramPlan;
  training: TrainingOptions;
  plan: Plan;
  board: Board;
  version: string;
  modelName: string;
  modelPath: string;
  dataDir: string;
  graphNotes: string[];
  samples: Buffer;
  evalSamples: number;
  printLogits: boolean;
  options: object;
  normalize: string[];
  /** What the schedule choices bought (pipeline/schedule.ts). */
  schedule: { naiveLowerBound: number; untiledArena: number; reordered: boolean };
}

export interface ProjectFile { path: string; content: string | Buffer }

export interface GeneratedProject {
  files: ProjectFile[];
  report: Record<string, unknown>;
}

/** The arena canary right after the arena (TT_ARENA_GUARD_BYTES in templates/model.h.hbs):
 * a static outside the arena, so memory.sram_plan counts it in runtime_state. */
const ARENA_GUARD_BYTES = 16;

/** Rough code size of the runtime and main program, until `build` measures the ELF. */
const CODE_ESTIMATE_BYTES = 16 * 1024;

/**
 * The options as report.json records them. report.json must be byte-identical for the same
 * inputs and options wherever the project is generated (docs/FIRMWARE-PROJECT.md,
 * "Reproducible outputs"), so the output folder is left out (it is where report.json is), and
 * so are callbacks. Inputs (model, data) keep the paths they were given.
 */
function recordedOptions(options: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([k, v]) => k !== 'out' && typeof v !== 'function'));
}

export function generateProject(input: CodegenInput): GeneratedProject {
  const { train: tg, plan, board, training } = input;
  const g = tg.qgraph;
  const model = generateModel(tg, plan, { version: input.version, modelName: input.modelName, boardId: board.id, seed: training.seed });
  const main = render('main.c.hbs', {
    version: input.version,
    evalSamples: input.evalSamples,
    boardString: cStringLiteral(board.id),
    trainSteps: tg.updated.length ? training.steps : 0,
    evalAtStart: training.evalAtStart === false && tg.updated.length ? 0 : 1,
    evalEvery: training.evalEvery,
    lr: cFloat(training.lr),
    cosine: training.cosine ? 1 : 0,
  });
  const extraCflags = input.printLogits ? ['-DTT_PRINT_LOGITS'] : [];
  const inT = g.tensors[g.input];
  const outT = g.tensors[g.output];
  const sramTotal = input.sram.total;
  if (model.trainableBytes !== input.sram.trainable_weights + input.sram.trainable_biases || model.masterBytes !== input.sram.master_copies) {
    throw new Error(`codegen placed ${model.trainableBytes}+${model.masterBytes} trainable bytes but the plan counted ${input.sram.trainable_weights + input.sram.trainable_biases}+${input.sram.master_copies}`);
  }
  // Updated parameters' initial values are in flash too (copied to SRAM at reset).
  const flashTotal = model.constBytes + model.trainableBytes + CODE_ESTIMATE_BYTES;
  const report = {
    tool: { name: 'tinytrain', version: input.version },
    options: recordedOptions(input.options),
    board: { id: board.id, name: board.name, cpu: board.cpu, flash_bytes: board.memory.flash.size, sram_bytes: board.memory.sram.size },
    model: {
      file: input.modelPath, name: g.name, input: { name: g.input, shape: inT.shape, scale: inT.scale, zero_point: inT.zeroPoint },
      output: { name: g.output, shape: outT.shape, scale: outT.scale, zero_point: outT.zeroPoint },
      ops: g.nodes.length, macs: model.macs, notes: input.graphNotes,
    },
    data: { dir: input.dataDir, eval_samples: input.evalSamples, normalize: input.normalize },
    scheme: {
      name: tg.scheme.name, source: tg.scheme.source, notes: tg.scheme.notes, rounding: tg.rounding,
      updated: tg.updated.map((u) => ({ layer: u.layer, index: u.index, kind: u.kind, bias: u.bias, weight_ratio: u.weightRatio, channels: u.channels })),
    },
    training: tg.updated.length ? { steps: training.steps, eval_every: training.evalEvery, lr: training.lr, schedule: training.cosine ? 'cosine' : 'constant', seed: training.seed } : null,
    train_steps: tg.steps.map((s) => s.kind === 'forward' ? `forward ${s.node.name}` : s.kind),
    layers: model.layers,
    kernels: model.kernels,
    quantization: Object.values(g.tensors).map((t) => ({ tensor: t.name, shape: t.shape, scale: t.scale, zero_point: t.zeroPoint, min: t.min, max: t.max })),
    memory: {
      arena_bytes: plan.arenaBytes,
      arena_guard_bytes: ARENA_GUARD_BYTES,
      lower_bound_bytes: plan.lowerBoundBytes,
      planner_strategy: plan.strategy,
      planner_search: input.plan.search ?? null,
      peak_step: plan.peakStep,
      live_at_peak: plan.liveAtPeak,
      weights_flash_bytes: model.constBytes,
      trainable_sram_bytes: model.trainableBytes + model.masterBytes,
      trainable_param_bytes: model.trainableBytes,
      master_copy_bytes: model.masterBytes,
      stack_reserved_bytes: board.stack_bytes,
      sram_plan: input.sram,
      symbols: model.symbols,
      sram_total_bytes: sramTotal,
      flash_bytes: flashTotal,
      source: 'plan',
      schedule: {
        naive_lower_bound_bytes: input.schedule.naiveLowerBound,
        untiled_arena_bytes: input.schedule.untiledArena,
        reordered: input.schedule.reordered,
        in_place_forward: Object.keys(tg.aliases).filter((a) => !a.startsWith('grad:') && g.nodes.some((n) => n.output === a && n.op !== 'reshape')).length,
      },
      buffers: plan.buffers.map((b) => ({ tensor: b.name, kind: b.kind, bytes: b.bytes, offset: b.offset, first_step: b.first, last_step: b.last })),
    },
    tiling: tg.tiling ?? null,
    notes: [...input.graphNotes, ...g.notes.filter((n) => !input.graphNotes.includes(n)), ...tg.notes],
  };
  if (sramTotal > board.memory.sram.size) {
    report.notes.push(`planned SRAM ${sramTotal} B exceeds the board's ${board.memory.sram.size} B`);
  }
  const files: ProjectFile[] = [
    ...model.files,
    { path: 'main.c', content: main },
    { path: 'board/linker.ld', content: renderLinkerScript(linkerContext(board)) },
    { path: 'Makefile', content: renderMakefile(makefileContext(board, extraCflags)) },
    { path: 'samples.bin', content: input.samples },
    { path: 'report.json', content: `${JSON.stringify(report, null, 2)}\n` },
    { path: 'report.html', content: renderReportHtml(report) },
  ];
  return { files, report };
}


// SRAM by kind for a training plan, before anything is built (report.json checks these
// against the ELF later), and the --budget check with an error that says what to change.
import { TinytrainError } from '../errors';
import { QConv, QGemm, splitWeights } from '../ir/qgraph';
import { Rounding, TrainGraph } from '../ir/train';
import { Plan, PlanInput } from './types';

/** Platform statics outside the arena (fault-handler stack, semihosting buffers, counters),
 * measured on the generated firmware with arm-none-eabi-nm. */
export const RUNTIME_STATE_BYTES = 1600;

export interface SramPlan {
  arena: number;
  trainable_weights: number;
  trainable_biases: number;
  master_copies: number;
  runtime_state: number;
  stack: number;
  total: number;
}

/** fp32 master entries of a weight update's slice (the kernels' layouts, tt_train.h). */
export function masterEntries(n: QConv | QGemm, selected: number, rounding: Rounding, inC: number): number {
  if (rounding !== 'master') return 0;
  if (n.op === 'gemm') return n.weightShape[0] * selected;
  const [outC, , kh, kw] = n.weightShape;
  if (n.group > 1 && n.group === inC && outC === inC) return selected * kh * kw;
  return outC * selected * kh * kw;
}

export function sramPlan(tg: TrainGraph, arenaBytes: number, stackBytes: number): SramPlan {
  let weights = 0;
  let biases = 0;
  let master = 0;
  for (const u of tg.updated) {
    const n = tg.qgraph.nodes.find((x) => x.name === u.layer) as QConv | QGemm | undefined;
    if (!n) continue;
    const inC = tg.qgraph.tensors[n.inputs[0]].shape[1];
    if (u.weightRatio > 0) {
      // The slice has the master copy's layout and size.
      weights += splitWeights(n, u.weightRatio, inC) ? masterEntries(n, u.channels.length, 'master', inC) : n.weight.length;
      master += 4 * masterEntries(n, u.channels.length, tg.rounding, inC);
    }
    if (u.bias) {
      biases += 4 * n.bias.length;
      if (tg.rounding === 'master') master += 4 * n.bias.length;
    }
  }
  const total = arenaBytes + weights + biases + master + RUNTIME_STATE_BYTES + stackBytes;
  return { arena: arenaBytes, trainable_weights: weights, trainable_biases: biases, master_copies: master, runtime_state: RUNTIME_STATE_BYTES, stack: stackBytes, total };
}

/** "128KB", "128K", "0.5MB", "131072" -> bytes (1 KB = 1024 B). */
export function parseBytes(text: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(text);
  if (!m) throw new TinytrainError(`'${text}' is not a size: give bytes or KB/MB, e.g. 131072 or 128KB`, 'E_OPTION');
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const v = Math.round(parseFloat(m[1]) * mult);
  if (!(v > 0)) throw new TinytrainError(`'${text}' is not a positive size`, 'E_OPTION');
  return v;
}

/** Throws when the plan does not fit the budget (if given) or the board's SRAM. */
export function checkBudget(sram: SramPlan, plan: Plan, input: PlanInput, limits: { budget?: number; boardSram: number; boardId: string }): void {
  const checks: [number, string][] = [[limits.boardSram, `the ${limits.boardId}'s ${limits.boardSram} B of SRAM`]];
  if (limits.budget !== undefined) checks.unshift([limits.budget, `the budget of ${limits.budget} B`]);
  for (const [limit, what] of checks) {
    if (sram.total <= limit) continue;
    const live = plan.buffers
      .filter((b) => b.first <= plan.peakStep && plan.peakStep <= b.last)
      .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
      .slice(0, 5)
      .map((b) => `${b.name} (${b.kind}, ${b.bytes} B)`);
    const step = input.steps[plan.peakStep];
    const where = step ? `step ${plan.peakStep + 1} of ${input.steps.length} (${step.label})` : 'before the first step';
    throw new TinytrainError(
      `the plan needs ${sram.total} B of SRAM, ${sram.total - limit} B over ${what}: arena ${sram.arena} B, trainable ${sram.trainable_weights + sram.trainable_biases} B, ` +
      `master copies ${sram.master_copies} B, runtime ${sram.runtime_state} B, stack ${sram.stack} B; the arena peaks at ${where} with ${live.join(', ')}`,
      'E_BUDGET',
    );
  }
}

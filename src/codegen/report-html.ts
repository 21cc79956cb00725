// report.html: report.json for people. A pure function of the report: the arena as a
// timeline (SVG), the per-layer update plan and the memory totals against the board.
// One self-contained file: no scripts, no external resources, same report -> same bytes.
//
// The template is rendered without HTML escaping (templates.ts), so every string taken
// from the report (ONNX names can hold anything) goes through `esc` here, and every
// number through `num`. The page also forbids scripts by its Content-Security-Policy.
import { render } from './templates';

/** Fill colors of the tensor kinds (Okabe-Ito palette); anything else is 'other'. */
export const KINDS = ['input', 'activation', 'output', 'saved', 'mask', 'grad', 'scratch'] as const;
const COLORS = ['#0072b2', '#56b4e9', '#009e73', '#e69f00', '#cc79a7', '#d55e00', '#f0e442', '#999999'];

/** Plot size in px, inside the SVG's margins. */
const PLOT_W = 1000;
const PLOT_H = 420;
const MARGIN = { left: 78, right: 150, top: 16, bottom: 40 };

/** HTML-escapes text for element content and double- or single-quoted attributes. */
export function esc(raw: unknown): string {
  return String(raw)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : {});
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
/** A finite number or the fallback: the only way a number reaches the page. */
const num = (x: unknown, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);
const int = (x: unknown, fallback = 0): number => Math.round(num(x, fallback));
const str = (x: unknown): string => (typeof x === 'string' ? x : x === undefined || x === null ? '' : String(x));

/** 1234567 -> "1,234,567" (locale-independent). */
export function fmtInt(n: number): string {
  const s = String(Math.abs(Math.round(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes for people: "9,408 B (9.2 KiB)". */
export function fmtBytes(n: number): string {
  if (Math.abs(n) < 1024) return `${fmtInt(n)} B`;
  const [v, u] = Math.abs(n) >= 1024 * 1024 ? [n / (1024 * 1024), 'MiB'] : [n / 1024, 'KiB'];
  return `${fmtInt(n)} B (${v.toFixed(1)} ${u})`;
}

const short = (n: number): string =>
  n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MiB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KiB` : `${n} B`;

/** Rounded px coordinate (one decimal) as text. */
const px = (v: number): string => String(Math.round(v * 10) / 10);
const pct = (part: number, whole: number): string => (whole > 0 ? String(Math.round((10000 * Math.max(0, part)) / whole) / 100) : '0');

/** About `target` ticks at 1, 2 or 5 times a power of ten (or of 2 KiB-friendly steps for bytes). */
function ticks(lo: number, hi: number, target: number, bytes: boolean): number[] {
  const span = Math.max(1, hi - lo);
  const raw = span / target;
  const steps = bytes ? [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].flatMap((m) => [m, m * 1024, m * 1024 * 1024]).sort((a, b) => a - b)
    : Array.from({ length: 12 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();
  const step = steps.find((s) => s >= raw) ?? steps[steps.length - 1];
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

interface BufferRect { cls: number; x: number; y: number; w: number; h: number; title: string }

/** The context of templates/report.html.hbs, all strings already escaped. */
export function reportHtmlContext(report: object): Obj {
  const r = obj(report);
  const tool = obj(r.tool);
  const board = obj(r.board);
  const model = obj(r.model);
  const mem = obj(r.memory);
  const scheme = obj(r.scheme);
  const steps = arr(r.train_steps).map(str);

  // Timeline: x = schedule step (a buffer live from first_step to last_step inclusive covers
  // [first, last + 1)); y = byte offset, 0 at the bottom. The buffers are drawn in data
  // units inside a nested <svg> whose viewBox maps them onto the plot, so every rect has
  // integer coordinates whatever the scale, and the file stays small.
  const buffers = arr(mem.buffers).map(obj).map((b) => ({
    name: str(b.tensor), kind: str(b.kind), bytes: Math.max(0, int(b.bytes)), offset: Math.max(0, int(b.offset)),
    first: int(b.first_step), last: Math.max(int(b.first_step), int(b.last_step)),
  }));
  const arena = Math.max(0, int(mem.arena_bytes));
  const lower = Math.max(0, int(mem.lower_bound_bytes));
  const peak = int(mem.peak_step, -2);
  const yMax = Math.max(1, arena, lower, ...buffers.map((b) => b.offset + b.bytes));
  const x0 = Math.min(0, ...buffers.map((b) => b.first));
  const x1 = Math.max(steps.length, x0 + 1, ...buffers.map((b) => b.last + 1));
  const nx = x1 - x0;
  const sx = (step: number): number => MARGIN.left + ((step - x0) / nx) * PLOT_W;
  const sy = (bytes: number): number => MARGIN.top + PLOT_H - (bytes / yMax) * PLOT_H;
  const stepLabel = (s: number): string =>
    s < 0 ? 'before step 0: the sample is loaded' : s >= steps.length ? 'after the last step' : steps[s] || `step ${s}`;

  const kindIndex = (k: string): number => {
    const i = (KINDS as readonly string[]).indexOf(k);
    return i < 0 ? KINDS.length : i;
  };
  const rects: BufferRect[] = buffers.map((b) => ({
    cls: kindIndex(b.kind),
    x: b.first, w: b.last + 1 - b.first,
    y: yMax - b.offset - b.bytes, h: b.bytes,
    title: esc(`${b.name}\n${b.kind}, ${fmtBytes(b.bytes)} at offset ${fmtInt(b.offset)}..${fmtInt(b.offset + b.bytes)}\nsteps ${b.first}..${b.last}`),
  }));
  const kindStats = new Map<number, { name: string; count: number; bytes: number }>();
  for (const b of buffers) {
    const k = kindIndex(b.kind);
    const s = kindStats.get(k) ?? { name: k < KINDS.length ? KINDS[k] : 'other', count: 0, bytes: 0 };
    s.count += 1;
    s.bytes += b.bytes;
    kindStats.set(k, s);
  }
  const legend = [...KINDS.map((_, i) => i), KINDS.length]
    .filter((i) => i < KINDS.length || kindStats.has(i))
    .map((i) => {
      const s = kindStats.get(i);
      return { cls: i, name: esc(i < KINDS.length ? KINDS[i] : 'other'), text: s ? esc(`${s.count} buffer${s.count === 1 ? '' : 's'}, ${short(s.bytes)} in all`) : 'none' };
    });
  const stepCols = Array.from({ length: nx }, (_, i) => ({ x: x0 + i, title: esc(`step ${x0 + i}: ${stepLabel(x0 + i)}`) }));
  const xTicks = ticks(Math.max(0, x0), x1 - 1, 12, false).map((s) => ({ x: px(sx(s + 0.5)), label: String(s) }));
  const yTicks = ticks(0, yMax, 6, true).map((v) => ({ y: px(sy(v)), label: esc(short(v)) }));
  // Labels of the arena and lower-bound lines, moved apart when the two nearly coincide.
  const arenaY = sy(arena);
  const lowerY = sy(lower);
  const lowerLabelY = Math.abs(lowerY - arenaY) < 16 ? arenaY + 20 : lowerY + 4;
  const hasPeak = peak >= x0 && peak < x1;
  const liveAtPeak = arr(mem.live_at_peak).map(str);

  const timeline = {
    width: MARGIN.left + PLOT_W + MARGIN.right,
    height: MARGIN.top + PLOT_H + MARGIN.bottom,
    plotX: MARGIN.left, plotY: MARGIN.top, plotW: PLOT_W, plotH: PLOT_H,
    plotRight: MARGIN.left + PLOT_W, plotBottom: MARGIN.top + PLOT_H,
    x0, nx, xEnd: x1, yMax,
    rects, stepCols, xTicks, yTicks,
    tickBottom: MARGIN.top + PLOT_H + 5, xTickLabelY: MARGIN.top + PLOT_H + 18,
    xAxisLabelX: px(MARGIN.left + PLOT_W / 2), xAxisLabelY: MARGIN.top + PLOT_H + 35,
    yAxisLabelX: 14, yAxisLabelY: px(MARGIN.top + PLOT_H / 2),
    tickLeft: MARGIN.left - 5, yTickLabelX: MARGIN.left - 8,
    labelX: MARGIN.left + PLOT_W + 6,
    arenaLineY: yMax - arena, arenaLabelY: px(arenaY + 4), arenaLabel: esc(`arena ${short(arena)}`),
    lowerLineY: yMax - lower, lowerLabelY: px(lowerLabelY), lowerLabel: esc(`lower bound ${short(lower)}`),
    hasPeak, peakX: peak, peakLabelX: px(sx(peak + 0.5)), peakLabelY: MARGIN.top - 4,
  };

  // The per-layer update plan.
  const updated = arr(scheme.updated).map(obj).map((u) => {
    const ratio = num(u.weight_ratio);
    const channels = arr(u.channels).map((c) => int(c));
    return {
      index: esc(int(u.index)), layer: esc(str(u.layer)), kind: esc(str(u.kind)),
      bias: u.bias === true ? 'yes' : 'no',
      ratio: esc(ratio === 0 ? '0 (frozen)' : `${+(ratio * 100).toFixed(2)} %`),
      channels: esc(fmtInt(channels.length)),
      channelList: esc(channels.length ? `channels ${channels.join(', ')}` : 'no weight channels'),
    };
  });

  // Totals against the board. sram_total_bytes counts arena + trainable (+ master) + stack +
  // statics (estimated by gen, measured after `tinytrain build`); the rest is "other statics".
  const sramBoard = Math.max(0, int(board.sram_bytes));
  const flashBoard = Math.max(0, int(board.flash_bytes));
  const trainable = Math.max(0, int(mem.trainable_param_bytes));
  const master = Math.max(0, int(mem.master_copy_bytes));
  const trainableSram = Math.max(trainable + master, int(mem.trainable_sram_bytes));
  const stack = Math.max(0, int(mem.stack_reserved_bytes));
  const sramTotal = Math.max(0, int(mem.sram_total_bytes));
  const statics = Math.max(0, sramTotal - arena - trainableSram - stack);
  const flashTotal = Math.max(0, int(mem.flash_bytes));
  const weightsFlash = Math.min(flashTotal, Math.max(0, int(mem.weights_flash_bytes)));
  const measured = str(mem.source) === 'elf';
  const elf = obj(mem.elf);
  const bar = (segments: { name: string; bytes: number; cls: string }[], total: number, capacity: number): Obj => {
    const scale = Math.max(total, capacity, 1);
    return {
      segments: segments.filter((s) => s.bytes > 0).map((s) => ({ cls: s.cls, width: pct(s.bytes, scale), title: esc(`${s.name}: ${fmtBytes(s.bytes)}`) })),
      capacityAt: pct(capacity, scale),
      over: total > capacity,
      status: esc(total > capacity ? `exceeds the board by ${fmtBytes(total - capacity)}` : `${pct(total, capacity)} % of the board, ${fmtBytes(capacity - total)} free`),
    };
  };
  const totals = {
    source: esc(measured ? `measured from the linked ELF (${str(elf.target) || 'build'})` : 'planned by gen (code size and statics are estimates until tinytrain build measures the ELF)'),
    rows: [
      { name: 'Arena (activations, saved tensors, gradients)', cls: 's-arena', value: esc(fmtBytes(arena)) },
      { name: 'Trainable parameters (in SRAM)', cls: 's-train', value: esc(fmtBytes(trainable)) },
      { name: 'Master copies (fp32)', cls: 's-master', value: esc(fmtBytes(master)) },
      { name: 'Stack reserved', cls: 's-stack', value: esc(fmtBytes(stack)) },
      { name: 'Other statics', cls: 's-other', value: esc(fmtBytes(statics)) },
    ],
    sram: { total: esc(fmtBytes(sramTotal)), board: esc(fmtBytes(sramBoard)), ...bar([
      { name: 'arena', bytes: arena, cls: 's-arena' },
      { name: 'trainable parameters', bytes: trainable, cls: 's-train' },
      { name: 'master copies', bytes: master, cls: 's-master' },
      { name: 'other statics', bytes: statics + Math.max(0, trainableSram - trainable - master), cls: 's-other' },
      { name: 'stack', bytes: stack, cls: 's-stack' },
    ], sramTotal, sramBoard) },
    flash: { total: esc(fmtBytes(flashTotal)), board: esc(fmtBytes(flashBoard)), weights: esc(fmtBytes(weightsFlash)), ...bar([
      { name: 'weights', bytes: weightsFlash, cls: 's-weights' },
      { name: measured ? 'code and constants' : 'code (estimate)', bytes: flashTotal - weightsFlash, cls: 's-code' },
    ], flashTotal, flashBoard) },
  };

  const notes = arr(r.notes).map((n) => esc(str(n)));
  const schemeNotes = arr(scheme.notes).map((n) => esc(str(n)));
  const training = r.training === null || r.training === undefined ? null : obj(r.training);
  return {
    title: esc(`tinytrain report: ${str(model.name) || 'model'} on ${str(board.id) || 'board'}`),
    css: kindCss(),
    tool: esc(`${str(tool.name) || 'tinytrain'} ${str(tool.version)}`.trim()),
    model: {
      name: esc(str(model.name)), file: esc(str(model.file)), ops: esc(fmtInt(int(model.ops))), macs: esc(fmtInt(int(model.macs))),
      io: esc(`${str(obj(model.input).name)} ${JSON.stringify(arr(obj(model.input).shape))} -> ${str(obj(model.output).name)} ${JSON.stringify(arr(obj(model.output).shape))}`),
    },
    board: { id: esc(str(board.id)), name: esc(str(board.name)), cpu: esc(str(board.cpu)) },
    scheme: {
      name: esc(str(scheme.name)), source: esc(str(scheme.source)), rounding: esc(str(scheme.rounding)),
      notes: schemeNotes, hasNotes: schemeNotes.length > 0,
    },
    training: training ? esc(`${int(training.steps)} steps, lr ${num(training.lr)} (${str(training.schedule)}), seed ${int(training.seed)}`) : 'none (inference only)',
    memory: {
      arena: esc(fmtBytes(arena)), lower: esc(fmtBytes(lower)), strategy: esc(str(mem.planner_strategy)),
      gap: esc(arena > lower ? `${fmtBytes(arena - lower)} (${pct(arena - lower, lower)} %) above the lower bound` : 'equal to the lower bound'),
      buffers: esc(fmtInt(buffers.length)), steps: esc(fmtInt(steps.length)),
      peak: esc(hasPeak ? `step ${peak} (${stepLabel(peak)}), ${fmtInt(liveAtPeak.length)} live tensors` : 'not recorded'),
      liveAtPeak: esc(liveAtPeak.join(', ')),
    },
    timeline,
    legend,
    updated, hasUpdated: updated.length > 0,
    totals,
    schedule: steps.map((s, i) => ({ index: i, label: esc(s) })),
    notes, hasNotes: notes.length > 0,
  };
}

function kindCss(): string {
  return COLORS.map((c, i) => `.k${i}{fill:${c};background:${c}}`).join('');
}

/** report.html for a report.json object (see generateProject). */
export function renderReportHtml(report: object): string {
  return render('report.html.hbs', reportHtmlContext(report));
}

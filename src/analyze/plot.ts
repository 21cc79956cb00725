// analysis.html: analysis.json for people. A pure function of the AnalysisReport: the gain of
// every (layer, option) as a heat map, the gain of the biases of the last k layers, the
// accuracy/memory frontier against the budget, and the cost of each option.
// One self-contained file in the style of report.html: no scripts, no external resources,
// same report -> same bytes. Every string from the report goes through `esc`, every number
// through `fin` (so no NaN or Infinity reaches an attribute).
import { esc, fmtBytes, fmtInt } from '../codegen/report-html';
import { AnalysisReport, Config, FrontierPoint, LayerGain, WeightRatio, WEIGHT_RATIOS } from './types';

type Option = 'bias' | WeightRatio;
const OPTIONS: readonly Option[] = ['bias', ...WEIGHT_RATIOS];

/** A finite number or the fallback. */
const fin = (x: unknown, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/** A px coordinate (one decimal) as text; never NaN. */
const px = (v: number): string => {
  const r = Math.round(fin(v) * 10) / 10;
  return String(r === 0 ? 0 : r);
};
/** A gain (0.05) in accuracy points with one decimal and a sign ("+5.0"); -0.0 prints as 0.0. */
export function fmtPoints(gain: number): string {
  const v = Math.round(fin(gain) * 1000) / 10;
  if (v === 0) return '0.0';
  return v > 0 ? `+${v.toFixed(1)}` : v.toFixed(1);
}
const pctText = (x: number): string => `${(fin(x) * 100).toFixed(1)} %`;
const optionLabel = (o: Option): string => (o === 'bias' ? 'bias' : o === 1 ? '1' : `1/${Math.round(1 / o)}`);
const optionKey = (o: Option): string => String(o);
/** Shortens text (before escaping) so SVG labels stay in their column. */
const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}\u2026` : s);
function fmtMs(ms: number): string {
  const v = Math.max(0, fin(ms));
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.round(v / 1000);
  return s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.round(s / 60) % 60).padStart(2, '0')}m`;
}

/** Okabe-Ito blue for gains, vermillion for losses. */
const POS: [number, number, number] = [0x00, 0x72, 0xb2];
const NEG: [number, number, number] = [0xd5, 0x5e, 0x00];
const hex = (c: number[]): string => `#${c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('')}`;
/** Fill of a cell: white to the full color as |gain| goes from 0 to the largest |gain|. */
function gainFill(gain: number, maxAbs: number): { fill: string; cls: 'pos' | 'neg' | 'zero'; dark: boolean } {
  if (fmtPoints(gain) === '0.0') return { fill: '#f4f6f9', cls: 'zero', dark: false };
  const t = Math.min(1, Math.abs(gain) / maxAbs);
  const a = 0.15 + 0.85 * t;
  const base = gain > 0 ? POS : NEG;
  return { fill: hex(base.map((c) => 255 + (c - 255) * a)), cls: gain > 0 ? 'pos' : 'neg', dark: a > 0.6 };
}

/** About `target` ticks in [lo, hi]: 1, 2 or 5 times a power of ten, or powers of two for bytes. */
function ticks(lo: number, hi: number, target: number, bytes: boolean): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const steps = bytes ? Array.from({ length: 48 }, (_, e) => 2 ** e)
    : Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** (e - 4))).flat();
  const step = steps.find((s) => s >= raw) ?? steps[steps.length - 1];
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + 1e-9 * step && out.length < 60; i++) {
    out.push(Number((i * step).toPrecision(12)));
  }
  return out;
}
const tickText = (v: number, all: number[]): string => {
  const step = all.length > 1 ? Math.abs(all[1] - all[0]) : 1;
  const d = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(d);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
};

/** The option of each layer the chosen config trains ('bias', a ratio, or none). */
export function chosenOptions(config: Config, layers: readonly { index: number }[]): Map<number, Option> {
  const ratios = Array.isArray(config.ratios) ? config.ratios : [];
  const L = Math.max(ratios.length, ...layers.map((l) => fin(l.index, -1) + 1));
  const k = Math.max(0, Math.round(fin(config.biasLastK)));
  const out = new Map<number, Option>();
  for (let i = 0; i < L; i++) {
    const r = fin(ratios[i]);
    if (r > 0) out.set(i, r as WeightRatio);
    else if (i >= L - k) out.set(i, 'bias');
  }
  return out;
}

const layerGain = (l: LayerGain, o: Option): number | undefined => {
  const g = o === 'bias' ? l.bias : (l.weights ?? {})[o];
  return isNum(g) ? g : undefined;
};

interface Svg { width: number; height: number; body: string }
const svg = (id: string, label: string, s: Svg): string =>
  `<svg class="chart" id="${id}" viewBox="0 0 ${s.width} ${s.height}" width="${s.width}" height="${s.height}" style="max-width:${s.width}px" role="img" aria-label="${esc(label)}">\n${s.body}</svg>\n`;

// ---------------------------------------------------------------------------------------
// Gain per layer and ratio

const HM = { label: 330, cell: 84, row: 28, head: 30, right: 12, bottom: 8 };

function heatMap(r: AnalysisReport): Svg {
  const layers = Array.isArray(r.table?.layers) ? r.table.layers : [];
  const chosen = chosenOptions(r.chosen?.config ?? { biasLastK: 0, ratios: [] }, layers);
  const all = layers.flatMap((l) => OPTIONS.map((o) => layerGain(l, o)).filter(isNum));
  const maxAbs = Math.max(1e-9, ...all.map(Math.abs));
  const width = HM.label + OPTIONS.length * HM.cell + HM.right;
  const height = HM.head + Math.max(1, layers.length) * HM.row + HM.bottom;
  const colX = (j: number): number => HM.label + j * HM.cell;
  const rowY = (i: number): number => HM.head + i * HM.row;

  const head = OPTIONS.map((o, j) => `<text x="${px(colX(j) + HM.cell / 2)}" y="${HM.head - 10}" text-anchor="middle">${o === 'bias' ? 'bias only' : `weights ${optionLabel(o)}`}</text>`).join('');
  const labels: string[] = [];
  const cells: string[] = [];
  const values: string[] = [];
  const missing: string[] = [];
  const outlines: string[] = [];
  layers.forEach((l, i) => {
    const y = rowY(i);
    const idx = Math.round(fin(l.index, i));
    const name = String(l.layer ?? '');
    labels.push(`<text x="6" y="${px(y + HM.row / 2 + 4)}"><title>${esc(`#${idx} ${name} (${String(l.kind ?? '')})`)}</title>${esc(`#${idx} ${clip(name, 34)}`)}</text>`
      + `<text class="kind" x="${HM.label - 10}" y="${px(y + HM.row / 2 + 4)}" text-anchor="end">${esc(String(l.kind ?? ''))}</text>`);
    OPTIONS.forEach((o, j) => {
      const x = colX(j);
      const g = layerGain(l, o);
      const attrs = `data-layer="${idx}" data-option="${optionKey(o)}"`;
      if (g === undefined) {
        missing.push(`<rect class="missing" ${attrs} x="${px(x + 1)}" y="${px(y + 1)}" width="${HM.cell - 2}" height="${HM.row - 2}"><title>${esc(`${name}, ${optionLabel(o)}: not measured`)}</title></rect>`);
        for (const seg of hatch(x + 1, y + 1, HM.cell - 2, HM.row - 2, 8)) missing.push(`<line class="hatch" x1="${px(seg[0])}" y1="${px(seg[1])}" x2="${px(seg[2])}" y2="${px(seg[3])}"/>`);
      } else {
        const f = gainFill(g, maxAbs);
        cells.push(`<rect class="${f.cls}" ${attrs} x="${px(x + 1)}" y="${px(y + 1)}" width="${HM.cell - 2}" height="${HM.row - 2}" fill="${f.fill}"><title>${esc(`${name}, ${optionLabel(o)}: ${fmtPoints(g)} points`)}</title></rect>`);
        values.push(`<text class="${f.dark ? 'on-dark' : 'on-light'}" x="${px(x + HM.cell / 2)}" y="${px(y + HM.row / 2 + 4)}" text-anchor="middle">${fmtPoints(g)}</text>`);
      }
      if (chosen.get(idx) === o) {
        outlines.push(`<rect class="chosen-cell" ${attrs} x="${px(x + 2.5)}" y="${px(y + 2.5)}" width="${HM.cell - 5}" height="${HM.row - 5}"/>`);
      }
    });
  });
  const empty = layers.length === 0 ? `<text x="${px(width / 2)}" y="${px(HM.head + HM.row / 2 + 4)}" text-anchor="middle">no trainable layer was measured</text>\n` : '';
  return {
    width, height,
    body: `<g class="ticks">${head}</g>\n<g id="gain-layers">${labels.join('\n')}</g>\n`
      + `<g id="gain-cells">\n${cells.join('\n')}\n</g>\n<g id="gain-missing">\n${missing.join('\n')}\n</g>\n`
      + `<g id="gain-values">\n${values.join('\n')}\n</g>\n<g id="chosen-cells">\n${outlines.join('\n')}\n</g>\n${empty}`,
  };
}

/** Diagonal hatch lines clipped to a rectangle. */
function hatch(x: number, y: number, w: number, h: number, gap: number): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (let t = -h + gap / 2; t < w; t += gap) {
    let x0 = x + t, y0 = y + h, x1 = x + t + h, y1 = y;
    if (x0 < x) { y0 -= x - x0; x0 = x; }
    if (x1 > x + w) { y1 += x1 - (x + w); x1 = x + w; }
    if (x1 > x0) out.push([x0, y0, x1, y1]);
  }
  return out;
}

function heatLegend(r: AnalysisReport): string {
  const layers = Array.isArray(r.table?.layers) ? r.table.layers : [];
  const all = layers.flatMap((l) => OPTIONS.map((o) => layerGain(l, o)).filter(isNum));
  const maxAbs = Math.max(1e-9, ...all.map(Math.abs));
  const sw = (g: number): string => `<span class="sw" style="background:${gainFill(g, maxAbs).fill}"></span>`;
  return '<ul class="legend">'
    + `<li>${sw(-maxAbs)}${sw(-maxAbs / 2)} loss (down to ${esc(fmtPoints(-maxAbs))} points)</li>`
    + `<li>${sw(maxAbs / 2)}${sw(maxAbs)} gain (up to ${esc(fmtPoints(maxAbs))} points)</li>`
    + '<li><svg width="28" height="16"><rect class="missing" x="0.5" y="0.5" width="27" height="15"/><line class="hatch" x1="4" y1="16" x2="20" y2="0"/><line class="hatch" x1="12" y1="16" x2="28" y2="0"/></svg>not measured</li>'
    + '<li><svg width="28" height="16"><rect class="chosen-cell" x="1.5" y="1.5" width="25" height="13"/></svg>chosen option</li>'
    + '</ul>\n';
}

// ---------------------------------------------------------------------------------------
// Biases of the last k layers

const BK = { left: 70, right: 20, top: 24, bottom: 44, plotW: 560, plotH: 200 };

function biasChart(r: AnalysisReport): Svg {
  const pts = (Array.isArray(r.table?.biasLastK) ? r.table.biasLastK : [])
    .filter((p) => isNum(p?.k) && isNum(p?.gain))
    .map((p) => ({ k: Math.round(p.k), v: p.gain * 100 }))
    .sort((a, b) => a.k - b.k || a.v - b.v);
  const chosenK = Math.max(0, Math.round(fin(r.chosen?.config?.biasLastK)));
  const width = BK.left + BK.plotW + BK.right;
  const height = BK.top + BK.plotH + BK.bottom;
  let lo = Math.min(0, ...pts.map((p) => p.v));
  let hi = Math.max(0, ...pts.map((p) => p.v));
  if (hi - lo < 1e-6) { hi = lo + 1; }
  const padY = (hi - lo) * 0.08;
  if (hi > 0) hi += padY;
  if (lo < 0) lo -= padY;
  const sy = (v: number): number => BK.top + BK.plotH - ((v - lo) / (hi - lo)) * BK.plotH;
  const band = BK.plotW / Math.max(1, pts.length);
  const bx = (i: number): number => BK.left + band * i;
  const yt = ticks(lo, hi, 5, false);
  const grid = yt.map((v) => `<line x1="${BK.left}" x2="${BK.left + BK.plotW}" y1="${px(sy(v))}" y2="${px(sy(v))}"/>`).join('');
  const yLabels = yt.map((v) => `<text x="${BK.left - 8}" y="${px(sy(v) + 4)}" text-anchor="end">${esc(tickText(v, yt))}</text>`).join('');
  const bars: string[] = [];
  const xLabels: string[] = [];
  const barW = Math.max(2, Math.min(60, band * 0.6));
  let chosenMark = '';
  pts.forEach((p, i) => {
    const cx = bx(i) + band / 2;
    const y0 = sy(0), y1 = sy(p.v);
    const g = p.v / 100;
    const cls = fmtPoints(g) === '0.0' ? 'zero' : p.v > 0 ? 'pos' : 'neg';
    bars.push(`<rect class="bar ${cls}" data-k="${p.k}" x="${px(cx - barW / 2)}" y="${px(Math.min(y0, y1))}" width="${px(barW)}" height="${px(Math.max(0.5, Math.abs(y1 - y0)))}"><title>${esc(`biases of the last ${p.k} layer${p.k === 1 ? '' : 's'}: ${fmtPoints(g)} points`)}</title></rect>`
      + `<text class="val" x="${px(cx)}" y="${px(p.v >= 0 ? y1 - 5 : y1 + 13)}" text-anchor="middle">${fmtPoints(g)}</text>`);
    xLabels.push(`<text x="${px(cx)}" y="${BK.top + BK.plotH + 16}" text-anchor="middle">${p.k}</text>`);
    if (p.k === chosenK && !chosenMark) {
      chosenMark = `<rect class="chosen-bar" data-k="${p.k}" x="${px(cx - barW / 2 - 3)}" y="${px(Math.min(y0, y1) - 3)}" width="${px(barW + 6)}" height="${px(Math.max(0.5, Math.abs(y1 - y0)) + 6)}"/>`
        + `<text class="chosen-label" x="${px(cx)}" y="${BK.top - 8}" text-anchor="middle">chosen</text>`;
    }
  });
  const note = pts.length === 0 ? `<text x="${px(BK.left + BK.plotW / 2)}" y="${px(BK.top + BK.plotH / 2)}" text-anchor="middle">not measured</text>`
    : !chosenMark ? `<text class="chosen-label" x="${BK.left + BK.plotW - 4}" y="${BK.top - 8}" text-anchor="end">${esc(`chosen: k = ${chosenK}${chosenK === 0 ? ' (no bias-only layers)' : ' (not measured)'}`)}</text>` : '';
  return {
    width, height,
    body: `<g class="grid">${grid}</g>\n<g class="ticks">${yLabels}${xLabels.join('')}</g>\n`
      + `<line class="zero-line" x1="${BK.left}" x2="${BK.left + BK.plotW}" y1="${px(sy(0))}" y2="${px(sy(0))}"/>\n`
      + `<g id="bias-k">\n${bars.join('\n')}\n</g>\n<g id="bias-k-chosen">${chosenMark}${note}</g>\n`
      + `<rect class="frame" x="${BK.left}" y="${BK.top}" width="${BK.plotW}" height="${BK.plotH}"/>\n`
      + `<text class="axis" x="${px(BK.left + BK.plotW / 2)}" y="${BK.top + BK.plotH + 36}" text-anchor="middle">k: biases of the last k trainable layers</text>\n`
      + `<text class="axis" x="16" y="${px(BK.top + BK.plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${px(BK.top + BK.plotH / 2)})">gain (points)</text>\n`,
  };
}

// ---------------------------------------------------------------------------------------
// Accuracy / memory trade-off

const FR = { left: 70, right: 170, top: 24, bottom: 48, plotW: 880, plotH: 380 };

function frontierChart(r: AnalysisReport): Svg {
  const front: FrontierPoint[] = (Array.isArray(r.frontier) ? r.frontier : []).filter((p) => p && typeof p === 'object');
  const pts = front.map((p, i) => ({ i, x: Math.max(0, fin(p.sramBytes)), v: fin(p.predictedGain) * 100, budget: fin(p.budget), scheme: p.config }))
    .sort((a, b) => a.x - b.x || a.v - b.v || a.i - b.i);
  const budget = Math.max(0, fin(r.budget));
  const none = Math.max(0, fin(r.reference?.noneSramBytes));
  const full = Math.max(0, fin(r.reference?.fullSramBytes));
  const fullGain = isNum(r.reference?.fullGain) ? r.reference.fullGain * 100 : undefined;
  const chosenX = Math.max(0, fin(r.chosen?.sramBytes));
  const chosenV = fin(r.chosen?.predictedGain) * 100;
  const measured = isNum(r.chosen?.measuredGain) ? r.chosen.measuredGain * 100 : undefined;
  // Every config trained to decide the winner, at its measured gain: how far the sum of
  // single gains (the frontier) is from what a combination really gives.
  const cands = (Array.isArray(r.candidates) ? r.candidates : [])
    .filter((c) => isNum(c.measuredGain) && isNum(c.sramBytes))
    .map((c) => ({ x: Math.max(0, c.sramBytes), v: c.measuredGain * 100, p: fin(c.predictedGain) * 100, source: String(c.source ?? '') }));

  const xs = [...pts.map((p) => p.x), ...cands.map((c) => c.x), budget, none, full, chosenX];
  let xlo = Math.min(...xs), xhi = Math.max(...xs);
  if (xhi - xlo < 1) { xlo -= 512; xhi += 512; }
  const padX = (xhi - xlo) * 0.04;
  xlo = Math.max(0, xlo - padX);
  xhi += padX;
  const vs = [0, ...pts.map((p) => p.v), ...cands.map((c) => c.v), chosenV, ...(fullGain === undefined ? [] : [fullGain]), ...(measured === undefined ? [] : [measured])];
  let ylo = Math.min(...vs), yhi = Math.max(...vs);
  if (yhi - ylo < 1e-6) { ylo -= 1; yhi += 1; }
  const padY = (yhi - ylo) * 0.08;
  ylo -= padY;
  yhi += padY;
  const sx = (b: number): number => FR.left + ((b - xlo) / (xhi - xlo)) * FR.plotW;
  const sy = (v: number): number => FR.top + FR.plotH - ((v - ylo) / (yhi - ylo)) * FR.plotH;
  const right = FR.left + FR.plotW;
  const bottom = FR.top + FR.plotH;

  const xt = ticks(xlo, xhi, 5, true);
  const yt = ticks(ylo, yhi, 6, false);
  const grid = [
    ...yt.map((v) => `<line x1="${FR.left}" x2="${right}" y1="${px(sy(v))}" y2="${px(sy(v))}"/>`),
    ...xt.map((b) => `<line x1="${px(sx(b))}" x2="${px(sx(b))}" y1="${FR.top}" y2="${bottom}"/>`),
  ].join('');
  const tickLabels = [
    ...yt.map((v) => `<text x="${FR.left - 8}" y="${px(sy(v) + 4)}" text-anchor="end">${esc(tickText(v, yt))}</text>`),
    ...xt.map((b) => `<text x="${px(sx(b))}" y="${bottom + 18}" text-anchor="middle">${esc(fmtBytes(b))}</text>`),
  ].join('');

  // The frontier as a step line: the best gain found stays until the next point's SRAM.
  let step = '';
  if (pts.length >= 2) {
    const d = pts.map((p, i) => (i === 0 ? `M${px(sx(p.x))} ${px(sy(p.v))}` : `H${px(sx(p.x))}V${px(sy(p.v))}`)).join('');
    step = `<path class="step" d="${d}"/>`;
  }
  const dots = pts.map((p) => `<circle class="pt" data-i="${p.i}" cx="${px(sx(p.x))}" cy="${px(sy(p.v))}" r="4.5"><title>${esc(`${fmtPoints(p.v / 100)} points with ${fmtBytes(p.x)} of SRAM (search budget ${fmtBytes(p.budget)})`)}</title></circle>`);

  const candMarks = cands.map((c) => `<path class="cand" d="M${px(sx(c.x) - 4)} ${px(sy(c.v) - 4)}L${px(sx(c.x) + 4)} ${px(sy(c.v) + 4)}M${px(sx(c.x) - 4)} ${px(sy(c.v) + 4)}L${px(sx(c.x) + 4)} ${px(sy(c.v) - 4)}">`
    + `<title>${esc(`${c.source}: ${fmtPoints(c.v / 100)} points measured (${fmtPoints(c.p / 100)} predicted) with ${fmtBytes(c.x)}`)}</title></path>`);

  const budgetX = sx(budget);
  const budgetLabelEnd = budgetX > right - 120;
  const budgetLine = `<line class="budget-line" x1="${px(budgetX)}" x2="${px(budgetX)}" y1="${FR.top}" y2="${bottom}"/>`
    + `<text class="budget-label" x="${px(budgetLabelEnd ? budgetX - 5 : budgetX + 5)}" y="${FR.top + 12}" text-anchor="${budgetLabelEnd ? 'end' : 'start'}">${esc(`budget ${fmtBytes(budget)}`)}</text>`;

  const refs: string[] = [];
  const nx = sx(none), ny = sy(0);
  refs.push(`<rect class="ref" data-ref="none" x="${px(nx - 5)}" y="${px(ny - 5)}" width="10" height="10"><title>${esc(`nothing trained: ${fmtBytes(none)}, 0.0 points`)}</title></rect>`
    + `<text class="ref-label" x="${px(nx + 8)}" y="${px(ny + 16)}">none</text>`);
  const fx = sx(full);
  if (fullGain !== undefined) {
    const fy = sy(fullGain);
    refs.push(`<path class="ref" data-ref="full" d="M${px(fx)} ${px(fy - 7)}L${px(fx + 7)} ${px(fy)}L${px(fx)} ${px(fy + 7)}L${px(fx - 7)} ${px(fy)}Z"><title>${esc(`everything trained: ${fmtBytes(full)}, ${fmtPoints(fullGain / 100)} points`)}</title></path>`
      + `<text class="ref-label" x="${px(fx + (fx > right - 60 ? -10 : 10))}" y="${px(fy - 8)}" text-anchor="${fx > right - 60 ? 'end' : 'start'}">full</text>`);
  } else {
    refs.push(`<line class="ref-line" data-ref="full" x1="${px(fx)}" x2="${px(fx)}" y1="${FR.top}" y2="${bottom}"><title>${esc(`everything trained: ${fmtBytes(full)} (gain not measured)`)}</title></line>`
      + `<text class="ref-label" x="${px(fx + (fx > right - 60 ? -5 : 5))}" y="${bottom - 8}" text-anchor="${fx > right - 60 ? 'end' : 'start'}">full (gain not measured)</text>`);
  }

  const cx = sx(chosenX), cy = sy(chosenV);
  const scheme = String(r.chosen?.scheme ?? '');
  let chosen = `<circle class="chosen-pt" cx="${px(cx)}" cy="${px(cy)}" r="9"><title>${esc(`chosen ${scheme}: ${fmtPoints(chosenV / 100)} points predicted with ${fmtBytes(chosenX)}`)}</title></circle>`
    + `<text class="chosen-label" x="${px(cx > right - 220 ? cx - 12 : cx + 12)}" y="${px(cy - 12)}"${cx > right - 220 ? ' text-anchor="end"' : ''}>${esc(`chosen ${clip(scheme, 28)}`)}</text>`;
  if (measured !== undefined) {
    const my = sy(measured);
    chosen += `<line class="measured-link" x1="${px(cx)}" x2="${px(cx)}" y1="${px(cy)}" y2="${px(my)}"/>`
      + `<path class="measured" d="M${px(cx - 6)} ${px(my)}H${px(cx + 6)}M${px(cx)} ${px(my - 6)}V${px(my + 6)}"><title>${esc(`measured: ${fmtPoints(measured / 100)} points`)}</title></path>`;
  }
  const empty = pts.length === 0 ? `<text x="${px(FR.left + FR.plotW / 2)}" y="${px(FR.top + 30)}" text-anchor="middle">the search returned no frontier points</text>\n` : '';

  const lx = right + 14;
  const legend = `<g class="legend-svg">`
    + `<circle class="pt" cx="${lx + 6}" cy="${FR.top + 30}" r="4.5"/><text x="${lx + 18}" y="${FR.top + 34}">frontier point</text>`
    + `<circle class="chosen-pt" cx="${lx + 6}" cy="${FR.top + 54}" r="7"/><text x="${lx + 18}" y="${FR.top + 58}">chosen (predicted)</text>`
    + (measured !== undefined ? `<path class="measured" d="M${lx} ${FR.top + 78}H${lx + 12}M${lx + 6} ${FR.top + 72}V${FR.top + 84}"/><text x="${lx + 18}" y="${FR.top + 82}">chosen (measured)</text>` : '')
    + `<rect class="ref" x="${lx + 1}" y="${FR.top + 97}" width="10" height="10"/><text x="${lx + 18}" y="${FR.top + 106}">reference</text>`
    + `<line class="budget-line" x1="${lx}" x2="${lx + 12}" y1="${FR.top + 126}" y2="${FR.top + 126}"/><text x="${lx + 18}" y="${FR.top + 130}">SRAM budget</text>`
    + (cands.length ? `<path class="cand" d="M${lx + 2} ${FR.top + 146}L${lx + 10} ${FR.top + 154}M${lx + 2} ${FR.top + 154}L${lx + 10} ${FR.top + 146}"/><text x="${lx + 18}" y="${FR.top + 154}">candidate (measured)</text>` : '')
    + `</g>`;

  return {
    width: right + FR.right, height: bottom + FR.bottom,
    body: `<g class="grid">${grid}</g>\n<g class="ticks">${tickLabels}</g>\n`
      + `<line class="zero-line" x1="${FR.left}" x2="${right}" y1="${px(sy(0))}" y2="${px(sy(0))}"/>\n`
      + `<g id="budget">${budgetLine}</g>\n<g id="reference">${refs.join('')}</g>\n`
      + `<g id="frontier-line">${step}</g>\n<g id="frontier">\n${dots.join('\n')}\n</g>\n<g id="candidates">${candMarks.join('')}</g>\n<g id="chosen">${chosen}</g>\n${empty}`
      + `<rect class="frame" x="${FR.left}" y="${FR.top}" width="${FR.plotW}" height="${FR.plotH}"/>\n`
      + `<text class="axis" x="${px(FR.left + FR.plotW / 2)}" y="${bottom + 40}" text-anchor="middle">SRAM of the firmware</text>\n`
      + `<text class="axis" x="16" y="${px(FR.top + FR.plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${px(FR.top + FR.plotH / 2)})">gain (points): predicted, or measured (x)</text>\n`
      + `${legend}\n`,
  };
}

// ---------------------------------------------------------------------------------------
// The page

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;padding:16px 20px 40px;max-width:1260px;color:#1d2330;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce4;padding-bottom:4px}
.sub{color:#5a6272;margin:0 0 12px}.mono,td.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.facts dt{color:#5a6272}dl.facts dd{margin:0;overflow-wrap:anywhere}
svg.chart{display:block;width:100%;height:auto}
svg.chart text{font-size:11px;fill:#3a4252}svg.chart .axis{font-size:12px;fill:#1d2330}
#gain-layers text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11.5px;fill:#1d2330}#gain-layers text.kind{fill:#5a6272}
#gain-values text{font-size:12px;font-weight:600;font-variant-numeric:tabular-nums;pointer-events:none}
#gain-values text.on-light{fill:#1d2330}#gain-values text.on-dark{fill:#fff}
#gain-cells rect:hover{stroke:#000;stroke-width:1}
.missing{fill:#f0f2f5;stroke:#c9ced8;stroke-width:.5}.hatch{stroke:#b8bfca;stroke-width:1}
.chosen-cell{fill:none;stroke:#1d2330;stroke-width:3}
.grid line{stroke:#e6e9ef;stroke-width:1}.frame{fill:none;stroke:#9aa3b2;stroke-width:1}.zero-line{stroke:#5a6272;stroke-width:1}
.bar.pos{fill:#0072b2}.bar.neg{fill:#d55e00}.bar.zero{fill:#999}
.chosen-bar{fill:none;stroke:#1d2330;stroke-width:2.5}svg.chart text.chosen-label{fill:#c0392b;font-weight:600}
.step{fill:none;stroke:#0072b2;stroke-width:2}.pt{fill:#0072b2;stroke:#fff;stroke-width:1.5}
.chosen-pt{fill:none;stroke:#c0392b;stroke-width:3}.measured{fill:none;stroke:#c0392b;stroke-width:2.5}.measured-link{stroke:#c0392b;stroke-width:1;stroke-dasharray:3 3}
.budget-line{stroke:#1d2330;stroke-width:1.5;stroke-dasharray:6 4}svg.chart text.budget-label{fill:#1d2330;font-weight:600}
.ref{fill:#e69f00;stroke:#1d2330;stroke-width:1}.ref-line{stroke:#e69f00;stroke-width:2;stroke-dasharray:2 3}svg.chart text.ref-label{fill:#8a5a00}
ul.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:8px 0}
ul.legend li{display:flex;align-items:center;gap:6px}.sw{display:inline-block;width:14px;height:14px;border-radius:2px;border:1px solid #0002}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.chosen td{background:#fdf1e6}
.ok{color:#1e7b34}.over{color:#b3261e;font-weight:600}
.cand{stroke:#6b7280;stroke-width:1.5;fill:none}`;

function facts(r: AnalysisReport): string {
  const p = r.protocol ?? ({} as AnalysisReport['protocol']);
  const c = r.chosen ?? ({} as AnalysisReport['chosen']);
  const t = r.timing ?? { totalMs: 0, measureMs: 0, searchMs: 0, runs: 0, cachedRuns: 0 };
  const budget = Math.max(0, fin(r.budget));
  const sram = Math.max(0, fin(c.sramBytes));
  const seeds = (Array.isArray(p.seeds) ? p.seeds : []).map((s) => String(fin(s))).join(', ');
  const fits = sram <= budget;
  const share = budget > 0 ? `${((100 * sram) / budget).toFixed(1)} % of the budget` : 'no budget';
  const sramText = fits ? `${fmtBytes(sram)} of ${fmtBytes(budget)} (${share}, ${fmtBytes(budget - sram)} free)`
    : `${fmtBytes(sram)} of ${fmtBytes(budget)}: exceeds the budget by ${fmtBytes(sram - budget)}`;
  const gains = `${fmtPoints(fin(c.predictedGain))} points predicted`
    + (isNum(c.measuredGain) ? `, ${fmtPoints(c.measuredGain)} points measured` : ', not measured');
  const instr = isNum(c.instructions) ? `, ${fmtInt(c.instructions)} instructions per training step` : '';
  const rows: [string, string][] = [
    ['Model', `<b>${esc(String(r.model ?? ''))}</b>`],
    ['Board', `<b>${esc(String(r.board ?? ''))}</b>, SRAM budget ${esc(fmtBytes(budget))}`],
    ['Protocol', esc(`${fmtInt(fin(p.trainSamples))} training samples, ${fmtInt(fin(p.heldOut))} held-out samples, `
      + `${fmtInt(fin(p.steps))} steps per measurement, seeds ${seeds || 'none'} (averaged), lr ${fin(p.lr)}, ${String(p.rounding ?? '')} rounding`)],
    ['Baseline', esc(`${pctText(fin(r.table?.baseline))} held-out accuracy before any update`)],
    ['Chosen', `<b class="mono">${esc(String(c.scheme ?? ''))}</b>`],
    ['Gain', esc(gains)],
    ['SRAM', `<span class="${fits ? 'ok' : 'over'}">${esc(sramText)}</span>${esc(instr)}`],
    ['Search', esc(`${String(c.method ?? '')}, ${fmtInt(fin(c.evaluated))} configs evaluated`)],
    ...(r.timing ? [['Time', esc(`${fmtMs(fin(t.totalMs))} in all: measuring ${fmtMs(fin(t.measureMs))}, search ${fmtMs(fin(t.searchMs))}; `
      + `${fmtInt(fin(t.runs))} runs, ${fmtInt(fin(t.cachedRuns))} from the cache`)] as [string, string]] : []),
  ];
  return `<dl class="facts">\n${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('\n')}\n</dl>\n`;
}

function costsTable(r: AnalysisReport): string {
  const costs = Array.isArray(r.costs) ? r.costs : [];
  if (costs.length === 0) return '<p>No costs were recorded.</p>\n';
  const chosen = chosenOptions(r.chosen?.config ?? { biasLastK: 0, ratios: [] }, Array.isArray(r.table?.layers) ? r.table.layers : []);
  const rows = costs.map((c) => {
    const idx = Math.round(fin(c.index));
    const o: Option = c.option === 'bias' ? 'bias' : (fin(c.option) as WeightRatio);
    const isChosen = chosen.get(idx) === o;
    return `<tr${isChosen ? ' class="chosen"' : ''}><td class="num">${idx}</td><td class="name">${esc(String(c.layer ?? ''))}</td>`
      + `<td>${esc(o === 'bias' ? 'bias' : `weights ${optionLabel(o)} + bias`)}${isChosen ? ' (chosen)' : ''}</td>`
      + `<td class="num">${esc(fmtBytes(fin(c.sramBytes)))}</td><td class="num">${esc(fmtInt(fin(c.instructions)))}</td></tr>`;
  });
  return '<table id="costs">\n<thead><tr><th class="num">#</th><th>Layer</th><th>Option</th><th class="num">SRAM</th><th class="num">Instructions / step</th></tr></thead>\n'
    + `<tbody>\n${rows.join('\n')}\n</tbody>\n</table>\n`;
}

/** analysis.html for an AnalysisReport: self-contained, deterministic. */
export function renderAnalysisHtml(r: AnalysisReport): string {
  const title = esc(`tinytrain analysis: ${String(r.model ?? '') || 'model'} on ${String(r.board ?? '') || 'board'}`);
  const ref = r.reference ?? ({} as AnalysisReport['reference']);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
${CSS}
</style>
</head>
<body>
<h1>${title}</h1>
<p class="sub">Which layers are worth training on the device: the accuracy each update option adds on held-out data (in accuracy points, gain × 100), and what it costs in SRAM. Written beside analysis.json, which holds the same figures for programs.</p>
${facts(r)}
<h2 id="gains">Gain per layer and ratio</h2>
<p class="sub">One row per trainable layer, from the input. Columns: updating the bias alone, or the weights of 1/8, 1/4, 1/2 or all input channels (with the bias). Blue cells help, orange cells hurt; the chosen option of each layer is outlined.</p>
${svg('gain-map', 'Gain per layer and ratio', heatMap(r))}${heatLegend(r)}
<h2 id="bias-last-k">Biases of the last k layers</h2>
<p class="sub">Gain of updating only the biases of the last k trainable layers.</p>
${svg('bias-chart', 'Gain of the biases of the last k layers', biasChart(r))}
<h2 id="trade-off">Accuracy / memory trade-off</h2>
<p class="sub">The best scheme the search finds at each SRAM budget (predicted gain, the sum of the chosen options' gains), against the firmware with nothing trained (${esc(fmtBytes(Math.max(0, fin(ref.noneSramBytes))))}) and with everything trained (${esc(fmtBytes(Math.max(0, fin(ref.fullSramBytes))))}).</p>
${svg('frontier-chart', 'Accuracy and memory trade-off', frontierChart(r))}
<h2 id="costs-table">Cost of each option</h2>
<p class="sub">SRAM of the whole firmware and instructions per training step when only this option is trained, from the real planner.</p>
${costsTable(r)}</body>
</html>
`;
}

// Measured instruction costs per kernel and shape: `npm run bench -- --speed --record` profiles every
// kernel call of the zoo models and the bundled one in QEMU (optimized Cortex-M7 build) and
// stores each call's shape features and count in src/analyze/kernel-costs.json, with a fit
// per kernel: instructions ≈ per_mac·MACs + per_element·elements + fixed (non-negative
// least squares). The analysis (costs.ts) prices a schedule's steps with these fits.
import * as fs from 'fs';
import * as path from 'path';
import { PACKAGE_ROOT } from '../paths';

/** One profiled kernel call: the layer's MACs (scaled by the updated share for weight
 * updates) and its output elements. */
export interface KernelSample { kernel: string; macs: number; elements: number; instructions: number; portable: boolean }

export interface KernelFit { per_mac: number; per_element: number; fixed: number; samples: number; max_relative_error: number }

export interface KernelCosts { source: string; fits: Record<string, KernelFit>; samples: KernelSample[] }

export const KERNEL_COSTS_FILE = path.join(PACKAGE_ROOT, 'src', 'analyze', 'kernel-costs.json');

/** Non-negative least squares over the features [macs, elements, 1] (tiny: active-set by enumeration). */
export function fitKernel(samples: KernelSample[]): KernelFit {
  const rows = samples.map((s) => [s.macs, s.elements, 1]);
  const y = samples.map((s) => s.instructions);
  let best: { coef: number[]; err: number } | null = null;
  // Every subset of the three features; solve the normal equations on it, keep non-negative solutions.
  for (let mask = 1; mask < 8; mask++) {
    const cols = [0, 1, 2].filter((j) => mask & (1 << j));
    const coef = solve(rows.map((r) => cols.map((j) => r[j])), y);
    if (!coef || coef.some((c) => c < 0)) continue;
    const full = [0, 0, 0];
    cols.forEach((j, k) => { full[j] = coef[k]; });
    const err = rows.reduce((a, r, i) => a + (r[0] * full[0] + r[1] * full[1] + r[2] * full[2] - y[i]) ** 2, 0);
    if (!best || err < best.err) best = { coef: full, err };
  }
  const coef = best ? best.coef : [0, 0, 0];
  const predict = (s: KernelSample): number => s.macs * coef[0] + s.elements * coef[1] + coef[2];
  const rel = samples.reduce((a, s) => Math.max(a, Math.abs(predict(s) - s.instructions) / Math.max(1, s.instructions)), 0);
  return { per_mac: coef[0], per_element: coef[1], fixed: coef[2], samples: samples.length, max_relative_error: rel };
}

/** Least squares via the normal equations (Gaussian elimination); null when singular. */
function solve(a: number[][], y: number[]): number[] | null {
  const n = a[0]?.length ?? 0;
  if (n === 0 || a.length < n) return null;
  const m = Array.from({ length: n }, (_, i) => [...Array.from({ length: n }, (_, j) => a.reduce((s, r) => s + r[i] * r[j], 0)), a.reduce((s, r, k) => s + r[i] * y[k], 0)]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-9 * Math.max(1, Math.abs(m[c][c]))) return null;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((r, i) => r[n] / r[i]);
}

export function fitAll(samples: KernelSample[]): Record<string, KernelFit> {
  const byKernel = new Map<string, KernelSample[]>();
  for (const s of samples) if (!s.portable) byKernel.set(s.kernel, [...(byKernel.get(s.kernel) ?? []), s]);
  return Object.fromEntries([...byKernel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, fitKernel(v)]));
}

export function writeKernelCosts(file: string, samples: KernelSample[]): void {
  const costs: KernelCosts = {
    source: 'npm run bench -- --speed --record: per-call profile (-DTT_PROFILE) in QEMU mps2-an500, optimized Cortex-M7 build',
    fits: fitAll(samples),
    samples,
  };
  fs.writeFileSync(file, `${JSON.stringify(costs, null, 1)}\n`);
}

let cached: { fits: Record<string, KernelFit>; exact: Map<string, number> } | null | undefined;

const shapeKey = (kernel: string, macs: number, elements: number): string => `${kernel}|${Math.round(macs)}|${elements}`;

function load(): { fits: Record<string, KernelFit>; exact: Map<string, number> } | null {
  if (cached === undefined) {
    try {
      const c = JSON.parse(fs.readFileSync(KERNEL_COSTS_FILE, 'utf8')) as KernelCosts;
      const byShape = new Map<string, number[]>();
      for (const s of c.samples) if (!s.portable) byShape.set(shapeKey(s.kernel, s.macs, s.elements), [...(byShape.get(shapeKey(s.kernel, s.macs, s.elements)) ?? []), s.instructions]);
      const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];
      cached = { fits: c.fits, exact: new Map([...byShape.entries()].map(([k, v]) => [k, median(v)])) };
    } catch {
      cached = null;
    }
  }
  return cached;
}

/** The recorded fits, or null when no measurement has been recorded. */
export function kernelFits(): Record<string, KernelFit> | null {
  return load()?.fits ?? null;
}

/** A call's measured instructions: the recorded count for this kernel and shape when the
 * bench measured it, else the kernel's fit; undefined when the kernel was never measured. */
export function measuredCost(kernel: string, macs: number, elements: number): number | undefined {
  const c = load();
  if (!c) return undefined;
  const exact = c.exact.get(shapeKey(kernel, macs, elements));
  if (exact !== undefined) return exact;
  const f = c.fits[kernel];
  return f ? f.per_mac * macs + f.per_element * elements + f.fixed : undefined;
}

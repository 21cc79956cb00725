// Int8 forward kernels of the C runtime (firmware/kernels, firmware/src/tt_fixedpoint.c)
// against references written here from the definitions in ../shared/DESIGN.md and
// firmware/include/tt_kernels.h, not from the C code:
//  - the double-rounding requantization, itself checked against the anchor vectors;
//  - every kernel on random shapes (padding, strides, kernel 1/3/5/7, groups, extreme
//    zero points, saturating and vanishing multipliers), with a plain per-tap reference;
//  - a float check: dequantized outputs within 1 LSB of the float op;
//  - the same cases under ASan/UBSan, and a warning-free Cortex-M cross-compile.
// Cases come from a seeded PRNG (TT_SEED to vary it); the C driver only plays them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  ARM_TARGETS, STRICT_CFLAGS, compileC, haveCommand, makeTempDir, removeDir, runExe,
} from './helpers/cc';

function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('package.json not found above ' + __dirname);
    d = up;
  }
  return d;
}

const ROOT = repoRoot();
// TT_FIRMWARE_DIR points the tests at another copy of firmware/ (e.g. mutated sources).
const FIRMWARE = process.env.TT_FIRMWARE_DIR ?? path.join(ROOT, 'firmware');
const INCLUDE = path.join(FIRMWARE, 'include');
const FIXEDPOINT = path.join(FIRMWARE, 'src', 'tt_fixedpoint.c');
const KERNEL_NAMES = [
  'tt_conv_s8', 'tt_depthwise_conv_s8', 'tt_pointwise_conv_s8', 'tt_fully_connected_s8',
  'tt_add_s8', 'tt_requant_s8', 'tt_avgpool_s8', 'tt_maxpool_s8', 'tt_global_avgpool_s8',
];
const KERNELS = KERNEL_NAMES.map((n) => path.join(FIRMWARE, 'kernels', `${n}.c`));
const DRIVER = path.join(ROOT, 'test', 'c', 'kernel_driver.c');
const ANCHORS = process.env.TT_ANCHORS ??
  path.resolve(ROOT, 'test', 'fixtures', 'anchors', 'requant-vectors.json');
const SEED = Number(process.env.TT_SEED ?? 20261121);

// ---------------------------------------------------------------------------------------
// Reference numerics (from the gemmlowp / TFLite definitions)

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** SaturatingRoundingDoublingHighMul: a·b / 2^31 rounded half up (gemmlowp's nudge then
 * truncation toward zero is that), saturating the single overflow (−2^31)². */
function srdhmRef(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  return Number((BigInt(a) * BigInt(b) + (1n << 30n)) >> 31n); // BigInt >> is floor
}

/** RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero. */
function rdbpotRef(x: number, e: number): number {
  if (e <= 0) return x;
  const d = 1n << BigInt(e);
  const ax = BigInt(Math.abs(x));
  let q = ax / d;
  if (2n * (ax - q * d) >= d) q += 1n;
  return Number(x < 0 ? -q : q);
}

/** MultiplyByQuantizedMultiplier; the left shift saturates (TFLite would overflow). */
function requantRef(acc: number, m: number, shift: number): number {
  const x = shift > 0 ? clamp(acc * 2 ** shift, I32_MIN, I32_MAX) : acc;
  return rdbpotRef(srdhmRef(x, m), shift > 0 ? 0 : -shift);
}

function outRef(acc: number, m: number, shift: number, zp: number, lo: number, hi: number): number {
  return clamp(zp + requantRef(acc, m, shift), lo, hi);
}

/** TFLite QuantizeMultiplier (frexp, round half up, 2^31 -> 2^30, too small -> 0). */
function quantizeMultiplierRef(real: number): [number, number] {
  if (real === 0) return [0, 0];
  let e = Math.floor(Math.log2(real)) + 1;
  let q = real / 2 ** e;
  while (q >= 1) { q /= 2; e++; }
  while (q < 0.5) { q *= 2; e--; }
  let m = Math.floor(q * 2 ** 31 + 0.5);
  if (m === 2 ** 31) { m = 2 ** 30; e++; }
  if (e < -31) return [0, 0];
  return [m, e];
}

function roundHalfAwayDiv(num: number, den: number): number {
  const n = BigInt(Math.abs(num));
  const d = BigInt(den);
  let q = n / d;
  if (2n * (n - q * d) >= d) q += 1n;
  return Number(num < 0 ? -q : q);
}

// ---------------------------------------------------------------------------------------
// Random cases

type Rng = () => number;
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randInt = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function randZp(r: Rng): number {
  return r() < 0.3 ? pick(r, [-128, 127, 0]) : randInt(r, -128, 127);
}

function randAct(r: Rng, zp: number): [number, number] {
  const u = r();
  if (u < 0.4) return [-128, 127];
  if (u < 0.7) return [zp, 127];                                      // ReLU
  if (u < 0.85) return [zp, Math.min(127, zp + randInt(r, 0, 120))];  // ReLU6-like
  const lo = randInt(r, -128, 127);
  return [lo, randInt(r, lo, 127)];
}

function randInput(r: Rng, n: number, zp: number): number[] {
  const mode = randInt(r, 0, 9);
  const c = pick(r, [-128, 127]);
  return Array.from({ length: n }, () => {
    if (mode === 7) return c;                                  // saturating constant
    if (mode === 8) return clamp(zp + randInt(r, -16, 16), -128, 127);
    if (mode === 9) return pick(r, [-128, 127]);
    return randInt(r, -128, 127);
  });
}

function randWeights(r: Rng, n: number): number[] {
  const extreme = r() < 0.1;
  return Array.from({ length: n }, () => (extreme ? pick(r, [-128, -127, 127]) : randInt(r, -128, 127)));
}

function randBias(r: Rng, n: number): number[] | null {
  if (r() < 0.25) return null;
  const s = pick(r, [0, 1000, 100000, 1 << 24]);
  return Array.from({ length: n }, () => randInt(r, -s, s));
}

/** A (multiplier, shift) for accumulators like `accs`: mostly a realistic scale, sometimes
 * saturating, vanishing, zero or arbitrary. */
function randRequant(r: Rng, accs: number[]): [number, number] {
  const u = r();
  if (u < 0.65) {
    const rms = Math.max(1, Math.sqrt(accs.reduce((s, a) => s + a * a, 0) / Math.max(1, accs.length)));
    return quantizeMultiplierRef((8 + r() * 120) / rms);
  }
  const m = randInt(r, 2 ** 30, I32_MAX);
  // I32_MAX after a saturated left shift lands within 1 of INT32_MAX: out_zp must not overflow.
  if (u < 0.75) return [r() < 0.3 ? I32_MAX : m, randInt(r, 1, 40)];
  if (u < 0.85) return [m, randInt(r, -40, -24)];
  if (u < 0.9) return [0, 0];
  return [m, randInt(r, -31, 6)];
}

interface Case {
  label: string;
  line: string;
  expected: number[];
  lo: number;
  hi: number;
}

const joinTokens = (...parts: (number | string | number[])[]): string =>
  parts.map((p) => (Array.isArray(p) ? p.join(' ') : String(p))).join(' ');

interface ConvCase {
  inC: number; inH: number; inW: number; outC: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; groups: number;
  inZp: number; outZp: number; actMin: number; actMax: number;
  w: number[]; bias: number[] | null; mult: number[]; shift: number[]; x: number[];
}

function convAccRef(c: ConvCase): number[] {
  const icg = c.inC / c.groups, ocg = c.outC / c.groups;
  const acc: number[] = [];
  for (let oc = 0; oc < c.outC; oc++) {
    const g = Math.floor(oc / ocg);
    for (let oy = 0; oy < c.outH; oy++) {
      for (let ox = 0; ox < c.outW; ox++) {
        let a = c.bias ? c.bias[oc] : 0;
        for (let j = 0; j < icg; j++) {
          const ic = g * icg + j;
          for (let ky = 0; ky < c.kh; ky++) {
            const iy = oy * c.sh - c.pt + ky;
            if (iy < 0 || iy >= c.inH) continue;
            for (let kx = 0; kx < c.kw; kx++) {
              const ix = ox * c.sw - c.pl + kx;
              if (ix < 0 || ix >= c.inW) continue;
              a += (c.x[(ic * c.inH + iy) * c.inW + ix] - c.inZp) * c.w[((oc * icg + j) * c.kh + ky) * c.kw + kx];
            }
          }
        }
        acc.push(a);
      }
    }
  }
  return acc;
}

/** Output size for padding (top, bottom) and stride, as ONNX computes it. */
const outDim = (n: number, k: number, s: number, p0: number, p1: number): number =>
  Math.floor((n + p0 + p1 - k) / s) + 1;

type ConvKind = 'regular' | 'grouped' | 'depthwise' | 'dwmult' | 'pointwise' | 'padheavy';

function randConv(r: Rng, kind: ConvKind): ConvCase {
  const pw = kind === 'pointwise';
  const kh = pw ? 1 : pick(r, [1, 3, 3, 5, 7]);
  const kw = pw ? 1 : r() < 0.75 ? kh : pick(r, [1, 3, 5, 7]);
  const sh = pw ? 1 : randInt(r, 1, 2);
  const sw = pw ? 1 : r() < 0.8 ? sh : randInt(r, 1, 2);
  const maxPad = (k: number): number => (kind === 'padheavy' ? k + 1 : k - 1);
  const [pt, pb, pl, pr] = pw ? [0, 0, 0, 0]
    : [randInt(r, 0, maxPad(kh)), randInt(r, 0, maxPad(kh)), randInt(r, 0, maxPad(kw)), randInt(r, 0, maxPad(kw))];
  const inH = Math.max(randInt(r, 1, 12), kh - pt - pb, 1);
  const inW = Math.max(randInt(r, 1, 12), kw - pl - pr, 1);
  let inC: number, outC: number, groups: number;
  switch (kind) {
    case 'grouped': groups = randInt(r, 2, 4); inC = groups * randInt(r, 1, 3); outC = groups * randInt(r, 1, 3); break;
    case 'depthwise': inC = outC = groups = randInt(r, 1, 10); break;
    case 'dwmult': inC = groups = randInt(r, 1, 6); outC = inC * randInt(r, 2, 3); break;
    case 'pointwise': groups = 1; inC = randInt(r, 1, 24); outC = randInt(r, 1, 8); break;
    default: groups = 1; inC = randInt(r, 1, 6); outC = randInt(r, 1, 6);
  }
  const inZp = randZp(r), outZp = randZp(r);
  const [actMin, actMax] = randAct(r, outZp);
  const c: ConvCase = {
    inC, inH, inW, outC, outH: outDim(inH, kh, sh, pt, pb), outW: outDim(inW, kw, sw, pl, pr),
    kh, kw, sh, sw, pt, pl, groups, inZp, outZp, actMin, actMax,
    w: randWeights(r, outC * (inC / groups) * kh * kw), bias: randBias(r, outC),
    mult: [], shift: [], x: randInput(r, inC * inH * inW, inZp),
  };
  return c;
}

/** Fills multipliers from the accumulators, then returns one case per applicable kernel. */
function convCases(r: Rng, c: ConvCase, label: string): Case[] {
  const acc = convAccRef(c);
  const plane = c.outH * c.outW;
  for (let oc = 0; oc < c.outC; oc++) {
    const [m, s] = randRequant(r, acc.slice(oc * plane, (oc + 1) * plane));
    c.mult.push(m);
    c.shift.push(s);
  }
  const expected = acc.map((a, i) => {
    const oc = Math.floor(i / plane);
    return outRef(a, c.mult[oc], c.shift[oc], c.outZp, c.actMin, c.actMax);
  });
  const fns = [0];
  if (c.groups === c.inC && c.inC === c.outC) fns.push(1);
  if (c.kh === 1 && c.kw === 1 && c.sh === 1 && c.sw === 1 && c.pt === 0 && c.pl === 0 &&
      c.groups === 1 && c.outH === c.inH && c.outW === c.inW) fns.push(2);
  const desc = `${label} ${c.inC}x${c.inH}x${c.inW}->${c.outC}x${c.outH}x${c.outW} k${c.kh}x${c.kw} ` +
    `s${c.sh},${c.sw} p${c.pt},${c.pl} g${c.groups} zp${c.inZp},${c.outZp}`;
  return fns.map((fn) => ({
    label: `${['tt_conv_s8', 'tt_depthwise_conv_s8', 'tt_pointwise_conv_s8'][fn]} ${desc}`,
    line: joinTokens('conv', fn, c.inC, c.inH, c.inW, c.outC, c.outH, c.outW, c.kh, c.kw, c.sh, c.sw,
      c.pt, c.pl, c.groups, c.inZp, c.outZp, c.actMin, c.actMax, c.bias ? 1 : 0, c.w, c.bias ?? [],
      c.mult, c.shift, c.x),
    expected, lo: c.actMin, hi: c.actMax,
  }));
}

function genConvCases(): Case[] {
  const r = mulberry32(SEED ^ 0xc0);
  const cases: Case[] = [];
  const kinds: [ConvKind, number][] = [
    ['regular', 90], ['grouped', 40], ['depthwise', 90], ['dwmult', 25], ['pointwise', 60], ['padheavy', 25],
  ];
  for (const [kind, n] of kinds) for (let i = 0; i < n; i++) cases.push(...convCases(r, randConv(r, kind), kind));

  // Fixed shapes: MCUNet's depthwise 7x7 s2, a 1x1 input under a 7x7 kernel (all border),
  // and the largest |(x − zp)·w| on every tap.
  const dw7 = randConv(r, 'depthwise');
  Object.assign(dw7, { inH: 9, inW: 9, kh: 7, kw: 7, sh: 2, sw: 2, pt: 3, pl: 3, outH: 5, outW: 5 });
  dw7.w = randWeights(r, dw7.outC * 49);
  dw7.x = randInput(r, dw7.inC * 81, dw7.inZp);
  cases.push(...convCases(r, dw7, 'mcunet-dw7s2'));
  const tiny = randConv(r, 'regular');
  Object.assign(tiny, { inH: 1, inW: 1, kh: 7, kw: 7, sh: 1, sw: 1, pt: 3, pl: 3, outH: 1, outW: 1 });
  tiny.w = randWeights(r, tiny.outC * tiny.inC * 49);
  tiny.x = randInput(r, tiny.inC, tiny.inZp);
  cases.push(...convCases(r, tiny, '1x1-input-k7'));
  const ext: ConvCase = {
    inC: 8, inH: 7, inW: 7, outC: 3, outH: 7, outW: 7, kh: 7, kw: 7, sh: 1, sw: 1, pt: 3, pl: 3, groups: 1,
    inZp: -128, outZp: 0, actMin: -128, actMax: 127, w: new Array(3 * 8 * 49).fill(-128), bias: null,
    mult: [], shift: [], x: new Array(8 * 49).fill(127),
  };
  cases.push(...convCases(r, ext, 'extreme-taps'));
  cases.push(...shapeCasesPointwise(r), ...shapeCasesSpatial(r));
  return cases;
}

/** Network-sized pointwise shapes that reach the optimized paths' blocks and remainders. */
function shapeCasesPointwise(r: Rng): Case[] {
  // [in_c, h, w, out_c] for the optimized path: blocks of 1 row x 4 pixels (in_c <= 288) and
  // x 2 pixels (<= 576) with every loop entry (quads − 1 ≡ 0..3 mod 4, one quad, two quads),
  // channel tails (in_c % 4), pixel tails (hw % 4), hw = 1 (the fully connected path),
  // several buffer fills per layer, odd out_c, and in_c 577 (beyond the buffer: portable).
  const shapes: [number, number, number, number][] = [
    [3, 1, 1, 5], [3, 4, 4, 7], [4, 4, 5, 3], [5, 7, 9, 11], [8, 32, 32, 6], [8, 3, 5, 4], [12, 4, 4, 5],
    [16, 8, 8, 9], [20, 3, 4, 4], [24, 4, 4, 6], [48, 1, 3, 10], [48, 8, 8, 16], [96, 4, 4, 8],
    [160, 1, 1, 10], [288, 2, 2, 3], [289, 2, 3, 5], [290, 1, 1, 2], [296, 1, 2, 2], [300, 2, 2, 3],
    [384, 4, 4, 4], [576, 4, 4, 3], [577, 1, 3, 3],
  ];
  const zps = [-128, 0, 127];
  const cases: Case[] = [];
  shapes.forEach(([inC, h, w, outC], k) => {
    const c = randConv(r, 'pointwise');
    const inZp = zps[k % 3], outZp = zps[(k + 1) % 3];
    const [actMin, actMax] = k % 2 ? randAct(r, outZp) : [-128, 127];
    Object.assign(c, { inC, inH: h, inW: w, outC, outH: h, outW: w, inZp, outZp, actMin, actMax });
    c.w = randWeights(r, outC * inC);
    c.bias = randBias(r, outC);
    c.x = randInput(r, inC * h * w, inZp);
    cases.push(...convCases(r, c, 'pw-shape'));
  });
  return cases;
}

/** Network-sized depthwise and regular (stem) shapes for the optimized paths. */
function shapeCasesSpatial(r: Rng): Case[] {
  // [groups, in_c, in_h, in_w, out_c, kh, kw, sh, sw, pt, pb, pl, pr]. Depthwise (groups ==
  // in_c): MCUNet's 3x3/5x5/7x7 at stride 1 and 2 on 4x4..64x64 planes, odd sizes and
  // partial 4-output blocks, channels that fit the row buffer whole or slide a window over
  // it (32 wide and more), uneven padding, kh != kw, and rows too wide for the buffer
  // (150 wide, k7: the portable path). Regular (groups 1): the stem 3x3 s2 with
  // K = in_c·kh·kw % 4 = 0..3, odd out_c and odd pixel counts, K beyond the byte gather
  // (in_c 32) and more kernel rows than the word gather takes (in_c 12).
  const dw = (c: number, h: number, w: number, kh: number, kw: number, s: number, p: number):
    number[] => [c, c, h, w, c, kh, kw, s, s, p, p, p, p];
  const shapes: number[][] = [
    dw(2, 64, 64, 3, 3, 1, 1), dw(3, 32, 32, 3, 3, 1, 1), dw(2, 33, 31, 3, 3, 2, 1), dw(5, 16, 16, 3, 3, 1, 1),
    dw(4, 16, 15, 3, 3, 2, 1), dw(6, 4, 4, 3, 3, 1, 1), dw(3, 8, 8, 3, 3, 1, 1), dw(2, 5, 7, 3, 3, 2, 1),
    dw(4, 8, 8, 5, 5, 1, 2), dw(5, 4, 4, 5, 5, 1, 2), dw(2, 17, 13, 5, 5, 2, 2), dw(3, 12, 11, 5, 5, 1, 2),
    dw(4, 8, 8, 7, 7, 1, 3), dw(3, 9, 9, 7, 7, 2, 3), dw(2, 32, 32, 7, 7, 2, 3), dw(2, 31, 29, 7, 7, 1, 3),
    dw(3, 8, 8, 7, 7, 2, 3), dw(1, 3, 150, 7, 7, 1, 3),
    [2, 2, 16, 16, 2, 3, 3, 2, 2, 0, 1, 0, 1], [3, 3, 6, 9, 3, 3, 5, 2, 1, 1, 1, 2, 2],
    [2, 2, 10, 6, 2, 7, 3, 1, 1, 3, 3, 1, 1], [2, 2, 7, 7, 2, 1, 3, 1, 1, 0, 0, 1, 1],
    [1, 3, 33, 33, 16, 3, 3, 2, 2, 1, 1, 1, 1], [1, 3, 32, 32, 8, 3, 3, 2, 2, 1, 1, 1, 1],
    [1, 3, 17, 16, 5, 3, 3, 1, 1, 1, 1, 1, 1], [1, 1, 9, 11, 3, 3, 3, 2, 2, 1, 1, 1, 1],
    [1, 2, 12, 9, 4, 3, 3, 2, 2, 1, 0, 1, 0], [1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1],
    [1, 3, 11, 12, 4, 5, 5, 2, 2, 2, 2, 2, 2], [1, 12, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1],
    [1, 32, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1], [1, 5, 9, 9, 7, 1, 1, 2, 2, 0, 0, 0, 0],
    // 4x4 'same' planes at stride 1 (the bufferless 3x3/5x5 path) with the full int8 range.
    dw(3, 4, 4, 3, 3, 1, 1), dw(7, 4, 4, 3, 3, 1, 1), dw(6, 4, 4, 5, 5, 1, 2),
    // 8x8 'same' planes at stride 1 (the bufferless 3x3/5x5/7x7 path) and 7x7 at stride 2, most with
    // the full int8 range.
    dw(5, 8, 8, 3, 3, 1, 1), dw(6, 8, 8, 5, 5, 1, 2), dw(5, 8, 8, 7, 7, 1, 3), dw(4, 8, 8, 3, 3, 1, 1),
    dw(7, 8, 8, 5, 5, 1, 2), dw(6, 8, 8, 7, 7, 1, 3), dw(5, 8, 8, 7, 7, 2, 3), dw(4, 8, 8, 7, 7, 2, 3),
    // Windows of rows (larger than the 1.5 KB buffer) with 7x7 and 5x5 kernels.
    dw(2, 48, 48, 7, 7, 1, 3), dw(2, 64, 61, 5, 5, 2, 2),
  ];
  const zps = [-128, 0, 127];
  const cases: Case[] = [];
  shapes.forEach(([groups, inC, inH, inW, outC, kh, kw, sh, sw, pt, pb, pl, pr], k) => {
    const c = randConv(r, groups === 1 ? 'regular' : 'depthwise');
    const inZp = zps[k % 3], outZp = zps[(k + 1) % 3];
    const [actMin, actMax] = k % 3 === 2 ? randAct(r, outZp) : [-128, 127];
    Object.assign(c, {
      inC, inH, inW, outC, groups, kh, kw, sh, sw, pt, pl, inZp, outZp, actMin, actMax,
      outH: outDim(inH, kh, sh, pt, pb), outW: outDim(inW, kw, sw, pl, pr),
    });
    c.w = randWeights(r, outC * (inC / groups) * kh * kw);
    c.bias = randBias(r, outC);
    c.x = randInput(r, inC * inH * inW, inZp);
    cases.push(...convCases(r, c, groups === 1 ? 'stem-shape' : 'dw-shape'));
  });
  // tt_conv_s8's stem path (in_c 3, 3x3, stride_w 2, even out_c, full int8 range, every
  // channel on the fast requantization, which the scaled random stream below guarantees):
  // [in_h, in_w, out_c, sh, pt, pb, pl, pr]: odd rows (a last single pixel), two chunks of
  // channels (18), stride_h 1, padding on the left of 0 and 2.
  const fast: Rng = () => r() * 0.6;
  const stem: number[][] = [
    [33, 33, 18, 2, 1, 1, 1, 1], [32, 40, 4, 2, 1, 1, 1, 1], [9, 14, 6, 1, 0, 0, 2, 1], [12, 13, 2, 2, 0, 0, 0, 0],
  ];
  stem.forEach(([inH, inW, outC, sh, pt, pb, pl, pr], k) => {
    const c = randConv(r, 'regular');
    const inC = 3, inZp = zps[k % 3], outZp = zps[(k + 2) % 3];
    Object.assign(c, {
      inC, inH, inW, outC, groups: 1, kh: 3, kw: 3, sh, sw: 2, pt, pl, inZp, outZp, actMin: -128, actMax: 127,
      outH: outDim(inH, 3, sh, pt, pb), outW: outDim(inW, 3, 2, pl, pr),
    });
    c.w = randWeights(r, outC * inC * 9);
    c.bias = randBias(r, outC);
    c.x = randInput(r, inC * inH * inW, inZp);
    cases.push(...convCases(fast, c, 'stem-fast'));
  });
  return cases;
}

function genFcCases(): Case[] {
  const r = mulberry32(SEED ^ 0xfc);
  const cases: Case[] = [];
  const one = (inF: number, outF: number, inZp: number): void => {
    const outZp = randZp(r);
    const [lo, hi] = randAct(r, outZp);
    const w = randWeights(r, inF * outF), bias = randBias(r, outF), x = randInput(r, inF, inZp);
    const acc = Array.from({ length: outF }, (_, n) => {
      let a = bias ? bias[n] : 0;
      for (let k = 0; k < inF; k++) a += (x[k] - inZp) * w[n * inF + k];
      return a;
    });
    const mult: number[] = [], shift: number[] = [];
    for (let n = 0; n < outF; n++) {
      const [m, s] = randRequant(r, acc);
      mult.push(m);
      shift.push(s);
    }
    cases.push({
      label: `tt_fully_connected_s8 ${inF}->${outF} zp${inZp},${outZp}`,
      line: joinTokens('fc', inF, outF, inZp, outZp, lo, hi, bias ? 1 : 0, w, bias ?? [], mult, shift, x),
      expected: acc.map((a, n) => outRef(a, mult[n], shift[n], outZp, lo, hi)), lo, hi,
    });
  };
  for (let t = 0; t < 80; t++) one(t < 4 ? 1 : randInt(r, 1, 400), randInt(r, 1, 16), randZp(r));
  // The optimized path's 4-feature steps and tails, row pairs and an odd last row, long
  // rows, extreme zero points.
  for (const [inF, outF, inZp] of [[4, 1, -128], [7, 3, 127], [8, 2, 0], [1280, 10, -128], [1027, 5, 127]]) {
    one(inF, outF, inZp);
  }
  return cases;
}

interface AddParams {
  zp1: number; zp2: number; zpo: number; ls: number;
  m1: number; s1: number; m2: number; s2: number; mo: number; so: number; lo: number; hi: number;
}

function addRef(p: AddParams, a: number[], b: number[]): number[] {
  return a.map((_, i) => {
    const va = requantRef((a[i] - p.zp1) * 2 ** p.ls, p.m1, p.s1);
    const vb = requantRef((b[i] - p.zp2) * 2 ** p.ls, p.m2, p.s2);
    return outRef(va + vb, p.mo, p.so, p.zpo, p.lo, p.hi);
  });
}

/** TFLite's parameters for int8 Add (PrepareGeneralSubOp / CalculateArithmeticOpData). */
function tfliteAddParams(sa: number, sb: number, sy: number, ls = 20): Pick<AddParams, 'ls' | 'm1' | 's1' | 'm2' | 's2' | 'mo' | 'so'> {
  const twiceMax = 2 * Math.max(sa, sb);
  const [m1, s1] = quantizeMultiplierRef(sa / twiceMax);
  const [m2, s2] = quantizeMultiplierRef(sb / twiceMax);
  const [mo, so] = quantizeMultiplierRef(twiceMax / (2 ** ls * sy));
  return { ls, m1, s1, m2, s2, mo, so };
}

const addLine = (p: AddParams, size: number, alias: number, a: number[], b: number[]): string =>
  joinTokens('add', size, p.zp1, p.zp2, p.zpo, p.ls, p.m1, p.s1, p.m2, p.s2, p.mo, p.so, p.lo, p.hi, alias, a, b);

function genAddCases(): Case[] {
  const r = mulberry32(SEED ^ 0xadd);
  const cases: Case[] = [];
  for (let t = 0; t < 80; t++) {
    const size = randInt(r, 1, 300);
    const zp1 = randZp(r), zp2 = randZp(r), zpo = randZp(r);
    const [lo, hi] = randAct(r, zpo);
    let q: Pick<AddParams, 'ls' | 'm1' | 's1' | 'm2' | 's2' | 'mo' | 'so'>;
    const u = r();
    const m = (): number => randInt(r, 2 ** 30, I32_MAX);
    if (u < 0.6) {
      const sa = 2 ** (r() * 8 - 10), sb = sa * 2 ** (r() * 6 - 3), sy = Math.max(sa, sb) * 2 ** (r() * 3 - 1);
      q = tfliteAddParams(sa, sb, sy, r() < 0.8 ? 20 : randInt(r, 8, 23));
    } else if (u < 0.9) { // arbitrary multipliers, outputs mostly in range
      q = { ls: 20, m1: m(), s1: randInt(r, -4, 0), m2: m(), s2: randInt(r, -4, 0), mo: m(), so: randInt(r, -24, -18) };
    } else {
      q = { ls: 20, m1: m(), s1: randInt(r, -31, 0), m2: m(), s2: randInt(r, -31, 0), mo: m(), so: randInt(r, -31, 2) };
    }
    const p: AddParams = { zp1, zp2, zpo, lo, hi, ...q };
    const alias = randInt(r, 0, 3);
    const a = randInput(r, size, zp1);
    const b = alias === 3 ? a : randInput(r, size, zp2);
    cases.push({
      label: `tt_add_s8 n${size} alias${alias} zp${zp1},${zp2},${zpo} ls${p.ls}`,
      line: addLine(p, size, alias, a, b), expected: addRef(p, a, b), lo, hi,
    });
  }
  return cases;
}

function genRequantCases(): Case[] {
  const r = mulberry32(SEED ^ 0x7e9);
  const cases: Case[] = [];
  for (let t = 0; t < 60; t++) {
    const size = randInt(r, 1, 256);
    const inZp = randZp(r), outZp = randZp(r);
    const [lo, hi] = randAct(r, outZp);
    const x = t < 4 ? Array.from({ length: 256 }, (_, i) => i - 128).slice(0, size) : randInput(r, size, inZp);
    const [m, s] = randRequant(r, x.map((v) => v - inZp));
    const inplace = randInt(r, 0, 1);
    cases.push({
      label: `tt_requant_s8 n${size} zp${inZp},${outZp} m${m} s${s} inplace${inplace}`,
      line: joinTokens('requant', size, inZp, outZp, m, s, lo, hi, inplace, x),
      expected: x.map((v) => outRef(v - inZp, m, s, outZp, lo, hi)), lo, hi,
    });
  }
  // Every input through the extreme encodings, with zero points that would overflow
  // out_zp + requant if added before clamping.
  const all = Array.from({ length: 256 }, (_, i) => i - 128);
  for (const [m, s] of [[I32_MAX, 31], [I32_MAX, 40], [2 ** 30, 1], [0, 0], [2 ** 30, -31], [I32_MAX, -40]]) {
    for (const zp of [-128, 127]) {
      cases.push({
        label: `tt_requant_s8 extreme m${m} s${s} zp${zp}`,
        line: joinTokens('requant', 256, 0, zp, m, s, -128, 127, 0, all),
        expected: all.map((v) => outRef(v, m, s, zp, -128, 127)), lo: -128, hi: 127,
      });
    }
  }
  return cases;
}

interface PoolCase {
  op: 'avgpool' | 'maxpool' | 'gap';
  c: number; inH: number; inW: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; cip: number;
  inZp: number; outZp: number; mult: number; shift: number; actMin: number; actMax: number; x: number[];
}

const AVG_FRAC_BITS = 6;

/** The documented pooling semantics (firmware/kernels/tt_avgpool_s8.c header). */
function poolRef(p: PoolCase): number[] {
  const out: number[] = [];
  const full = p.kh * p.kw;
  for (let c = 0; c < p.c; c++) {
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        let n = 0, acc = 0, max = -Infinity;
        for (let ky = 0; ky < p.kh; ky++) {
          const iy = oy * p.sh - p.pt + ky;
          if (iy < 0 || iy >= p.inH) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const ix = ox * p.sw - p.pl + kx;
            if (ix < 0 || ix >= p.inW) continue;
            const v = p.x[(c * p.inH + iy) * p.inW + ix];
            n++;
            acc += v - p.inZp;
            max = Math.max(max, v);
          }
        }
        if (p.op === 'maxpool') {
          out.push(clamp(max, p.actMin, p.actMax)); // an empty window (max = −inf) gives act_min
        } else if (p.cip || n === full || n === 0) {
          out.push(outRef(acc, p.mult, p.shift, p.outZp, p.actMin, p.actMax));
        } else {
          const t = roundHalfAwayDiv(acc * full * 2 ** AVG_FRAC_BITS, n);
          out.push(outRef(t, p.mult, p.shift - AVG_FRAC_BITS, p.outZp, p.actMin, p.actMax));
        }
      }
    }
  }
  return out;
}

const poolLine = (p: PoolCase): string =>
  joinTokens(p.op, p.c, p.inH, p.inW, p.outH, p.outW, p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.cip,
    p.inZp, p.outZp, p.mult, p.shift, p.actMin, p.actMax, p.x);

function randPool(r: Rng, op: PoolCase['op'], padHeavy: boolean): PoolCase {
  const c = randInt(r, 1, op === 'gap' ? 16 : 6);
  if (op === 'gap') {
    const inH = randInt(r, 1, 16), inW = r() < 0.7 ? inH : randInt(r, 1, 16);
    return {
      op, c, inH, inW, outH: 1, outW: 1, kh: inH, kw: inW, sh: 1, sw: 1, pt: 0, pl: 0, cip: 0,
      inZp: 0, outZp: 0, mult: 0, shift: 0, actMin: -128, actMax: 127, x: [],
    };
  }
  const kh = randInt(r, 1, 7), kw = r() < 0.7 ? kh : randInt(r, 1, 7);
  const sh = randInt(r, 1, 3), sw = r() < 0.8 ? sh : randInt(r, 1, 3);
  const maxPad = (k: number): number => (padHeavy ? k + 1 : k - 1);
  const pt = randInt(r, 0, maxPad(kh)), pb = randInt(r, 0, maxPad(kh));
  const pl = randInt(r, 0, maxPad(kw)), pr = randInt(r, 0, maxPad(kw));
  const inH = Math.max(randInt(r, 1, 12), kh - pt - pb, 1), inW = Math.max(randInt(r, 1, 12), kw - pl - pr, 1);
  return {
    op, c, inH, inW, outH: outDim(inH, kh, sh, pt, pb), outW: outDim(inW, kw, sw, pl, pr),
    kh, kw, sh, sw, pt, pl, cip: randInt(r, 0, 1), inZp: 0, outZp: 0, mult: 0, shift: 0,
    actMin: -128, actMax: 127, x: [],
  };
}

function genPoolCases(): Case[] {
  const r = mulberry32(SEED ^ 0x9001);
  const cases: Case[] = [];
  const plan: [PoolCase['op'], number, boolean][] = [
    ['avgpool', 110, false], ['avgpool', 20, true], ['maxpool', 60, false], ['maxpool', 10, true], ['gap', 40, false],
  ];
  for (const [op, n, heavy] of plan) {
    for (let t = 0; t < n; t++) {
      const p = randPool(r, op, heavy);
      p.inZp = randZp(r);
      p.outZp = op === 'maxpool' ? p.inZp : randZp(r);
      [p.actMin, p.actMax] = randAct(r, p.outZp);
      p.x = randInput(r, p.c * p.inH * p.inW, p.inZp);
      if (op !== 'maxpool') {
        if (r() < 0.7) {
          [p.mult, p.shift] = quantizeMultiplierRef((0.2 + 4 * r()) / (p.kh * p.kw));
        } else {
          [p.mult, p.shift] = randRequant(r, p.x.map((v) => (v - p.inZp) * p.kh * p.kw));
        }
      }
      cases.push({
        label: `tt_${op === 'gap' ? 'global_avgpool' : op}_s8 ${p.c}x${p.inH}x${p.inW}->${p.outH}x${p.outW} ` +
          `k${p.kh}x${p.kw} s${p.sh},${p.sw} p${p.pt},${p.pl} cip${p.cip} zp${p.inZp},${p.outZp}`,
        line: poolLine(p), expected: poolRef(p), lo: p.actMin, hi: p.actMax,
      });
    }
  }
  return cases;
}

function genFixedpointCases(): Case[] {
  const r = mulberry32(SEED ^ 0xf1);
  const edges = [I32_MIN, I32_MIN + 1, -(2 ** 30), -65536, -3, -2, -1, 0, 1, 2, 3, 2 ** 30, I32_MAX - 1, I32_MAX];
  const val = (): number => (r() < 0.3 ? pick(r, edges) : randInt(r, I32_MIN, I32_MAX));
  const cases: Case[] = [];
  for (const a of edges) {
    for (const b of edges) {
      cases.push({ label: `tt_srdhm(${a}, ${b})`, line: joinTokens('srdhm', a, b), expected: [srdhmRef(a, b)], lo: I32_MIN, hi: I32_MAX });
    }
  }
  for (let i = 0; i < 1500; i++) {
    const a = val(), b = val();
    cases.push({ label: `tt_srdhm(${a}, ${b})`, line: joinTokens('srdhm', a, b), expected: [srdhmRef(a, b)], lo: I32_MIN, hi: I32_MAX });
  }
  for (const x of edges) {
    for (const e of [-1, 0, 1, 2, 30, 31, 32, 33, 63]) {
      cases.push({ label: `tt_rdbpot(${x}, ${e})`, line: joinTokens('rdbpot', x, e), expected: [rdbpotRef(x, e)], lo: I32_MIN, hi: I32_MAX });
    }
  }
  for (let i = 0; i < 1500; i++) {
    const e = randInt(r, -2, 40);
    // Exact ties and their neighbours are where rounding modes differ.
    const x = r() < 0.4 && e > 0 && e < 31 ? (randInt(r, -(2 ** (30 - e)), 2 ** (30 - e)) * 2 + 1) * 2 ** (e - 1) + randInt(r, -1, 1) : val();
    cases.push({ label: `tt_rdbpot(${x}, ${e})`, line: joinTokens('rdbpot', x, e), expected: [rdbpotRef(x, e)], lo: I32_MIN, hi: I32_MAX });
  }
  // Saturating left shifts and shifts beyond ±31 (tt_requantize's own domain; the avgpool
  // partial-window path reaches exponents up to 37).
  for (let i = 0; i < 1000; i++) {
    const acc = r() < 0.5 ? randInt(r, -(2 ** 20), 2 ** 20) : val();
    const m = r() < 0.1 ? pick(r, [0, 1, I32_MAX]) : randInt(r, 2 ** 30, I32_MAX);
    const s = randInt(r, -45, 45);
    cases.push({
      label: `tt_requantize(${acc}, ${m}, ${s})`, line: joinTokens('rq', acc, m, s, 0, I32_MIN, I32_MAX),
      expected: [requantRef(acc, m, s), requantRef(acc, m, s)], lo: I32_MIN, hi: I32_MAX,
    });
  }
  return cases;
}

const generated = new Map<string, Case[]>();
const GENERATORS: Record<string, () => Case[]> = {
  fixedpoint: genFixedpointCases, conv: genConvCases, fc: genFcCases, add: genAddCases,
  requant: genRequantCases, pool: genPoolCases,
};
function casesFor(name: string): Case[] {
  let c = generated.get(name);
  if (!c) generated.set(name, (c = GENERATORS[name]()));
  return c;
}

// ---------------------------------------------------------------------------------------
// Running the driver

function play(exe: string, dir: string, name: string, cases: Case[]): string[] {
  const file = path.join(dir, `${name}.cases`);
  fs.writeFileSync(file, cases.map((c) => c.line).join('\n') + '\n');
  const res = runExe(exe, [file], {
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
    timeoutMs: 120_000,
  });
  assert.strictEqual(res.status, 0, `driver exited ${res.status} ${res.signal ?? ''}\n${res.stderr}`);
  assert.strictEqual(res.stderr, '', res.stderr);
  const lines = res.stdout.split('\n');
  lines.pop();
  assert.strictEqual(lines.length, cases.length, 'one output line per case');
  return lines;
}

function checkAll(exe: string, dir: string, name: string, cases: Case[]): void {
  const lines = play(exe, dir, name, cases);
  const failures: string[] = [];
  cases.forEach((c, i) => {
    if (lines[i] === 'GUARD') {
      failures.push(`${c.label}: wrote outside its output buffer`);
      return;
    }
    const got = lines[i].split(' ').map(Number);
    const bad = c.expected.findIndex((e, j) => got[j] !== e);
    if (got.length !== c.expected.length || bad >= 0) {
      failures.push(`${c.label}: element ${bad} got ${got[bad]} expected ${c.expected[bad]} ` +
        `(${got.length} vs ${c.expected.length} values)`);
    }
  });
  assert.strictEqual(failures.length, 0,
    `${failures.length}/${cases.length} cases differ (seed ${SEED}):\n${failures.slice(0, 8).join('\n')}`);
}

/** Guards against a generator that only ever tests clamped outputs (or never does). */
function assertInformative(cases: Case[]): void {
  let inside = 0, clamped = 0, total = 0;
  for (const c of cases) {
    for (const e of c.expected) {
      total++;
      if (e > c.lo && e < c.hi) inside++;
      else clamped++;
    }
  }
  assert.ok(inside > 0.2 * total, `only ${inside}/${total} expected values are unclamped`);
  assert.ok(clamped > 0.01 * total, `only ${clamped}/${total} expected values are clamped`);
}

// ---------------------------------------------------------------------------------------
// Float sanity: quantize real data, run the int8 kernel, compare with the float op on the
// dequantized operands. All errors must be within 1 LSB (in fact ~0.5: the final rounding).

interface Affine { s: number; z: number }
const affineFor = (lo: number, hi: number): Affine => {
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  const s = (hi - lo) / 255 || 1;
  return { s, z: clamp(Math.round(-128 - lo / s), -128, 127) };
};
const quant = (v: number, a: Affine): number => clamp(Math.round(v / a.s) + a.z, -128, 127);
const randn = (r: Rng): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** Error budget (output LSB) of out_zp + requant(acc, m, shift) against the exact real:
 * the final rounding (1/2), SRDHM's rounding to an integer before the right shift
 * (2^shift / 2, TFLite's double rounding) and `extra` from earlier integer steps. */
const budget = (shift: number, extra = 0): number => 0.5 + (shift > 0 ? 0 : 2 ** shift / 2) + extra + 1e-6;
const realMultiplier = (m: number, shift: number): number => (m / 2 ** 31) * 2 ** shift;

interface FloatCase { label: string; line: string; real: number[]; bound: number[]; out: Affine; lo: number; hi: number }

function floatConv(r: Rng, label: string, shape: Omit<ConvCase, 'inZp' | 'outZp' | 'actMin' | 'actMax' | 'w' | 'bias' | 'mult' | 'shift' | 'x'>): FloatCase {
  const icg = shape.inC / shape.groups;
  const xa = affineFor(-1.3, 2.1);
  const x = Array.from({ length: shape.inC * shape.inH * shape.inW }, () => quant(randn(r), xa));
  const wReal = Array.from({ length: shape.outC * icg * shape.kh * shape.kw }, () => randn(r) * 0.3);
  const per = icg * shape.kh * shape.kw;
  const sw = Array.from({ length: shape.outC }, (_, o) => Math.max(...wReal.slice(o * per, (o + 1) * per).map(Math.abs)) / 127);
  const w = wReal.map((v, i) => Math.round(v / sw[Math.floor(i / per)]));
  const bias = Array.from({ length: shape.outC }, (_, o) => Math.round((randn(r) * 0.5) / (xa.s * sw[o])));
  const base: ConvCase = { ...shape, inZp: xa.z, outZp: 0, actMin: -128, actMax: 127, w, bias, mult: [], shift: [], x };
  // Real output = s_x·s_w[o]·acc: the integer accumulation is exact, so this is the float op.
  const plane = shape.outH * shape.outW;
  const real = convAccRef(base).map((a, i) => a * xa.s * sw[Math.floor(i / plane)]);
  const ya = affineFor(Math.min(...real), Math.max(...real));
  for (let o = 0; o < shape.outC; o++) {
    const [m, s] = quantizeMultiplierRef((xa.s * sw[o]) / ya.s);
    base.mult.push(m);
    base.shift.push(s);
  }
  base.outZp = ya.z;
  const fn = shape.groups === shape.inC && shape.inC === shape.outC ? 1 : 0;
  return {
    label, real, out: ya, lo: -128, hi: 127, bound: real.map((_, i) => budget(base.shift[Math.floor(i / plane)])),
    line: joinTokens('conv', fn, base.inC, base.inH, base.inW, base.outC, base.outH, base.outW, base.kh, base.kw,
      base.sh, base.sw, base.pt, base.pl, base.groups, base.inZp, base.outZp, -128, 127, 1, w, bias, base.mult,
      base.shift, x),
  };
}

function genFloatCases(): FloatCase[] {
  const r = mulberry32(SEED ^ 0xf10a7);
  const out: FloatCase[] = [];
  out.push(floatConv(r, 'conv 3x9x9 k3 s2 p1', { inC: 3, inH: 9, inW: 9, outC: 8, outH: 5, outW: 5, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, groups: 1 }));
  out.push(floatConv(r, 'depthwise 6x8x8 k5 s1 p2', { inC: 6, inH: 8, inW: 8, outC: 6, outH: 8, outW: 8, kh: 5, kw: 5, sh: 1, sw: 1, pt: 2, pl: 2, groups: 6 }));
  out.push(floatConv(r, 'grouped 8x6x6 k3 g2', { inC: 8, inH: 6, inW: 6, outC: 4, outH: 6, outW: 6, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 2 }));

  { // fully connected as a 1x1 conv on a 1x1 map has the same float meaning; use the fc kernel
    const inF = 64, outF = 10, xa = affineFor(-0.7, 3.0);
    const x = Array.from({ length: inF }, () => quant(Math.abs(randn(r)), xa));
    const wReal = Array.from({ length: inF * outF }, () => randn(r) * 0.2);
    const sw = Array.from({ length: outF }, (_, n) => Math.max(...wReal.slice(n * inF, (n + 1) * inF).map(Math.abs)) / 127);
    const w = wReal.map((v, i) => Math.round(v / sw[Math.floor(i / inF)]));
    const bias = sw.map((s) => Math.round(randn(r) / (xa.s * s)));
    const real = sw.map((s, n) => {
      let a = bias[n];
      for (let k = 0; k < inF; k++) a += (x[k] - xa.z) * w[n * inF + k];
      return a * xa.s * s;
    });
    const ya = affineFor(Math.min(...real), Math.max(...real));
    const q = sw.map((s) => quantizeMultiplierRef((xa.s * s) / ya.s));
    out.push({
      label: 'fc 64->10', real, out: ya, lo: -128, hi: 127, bound: q.map((v) => budget(v[1])),
      line: joinTokens('fc', inF, outF, xa.z, ya.z, -128, 127, 1, w, bias, q.map((v) => v[0]), q.map((v) => v[1]), x),
    });
  }
  { // residual add with different input scales, ReLU fused
    const n = 200, aa = affineFor(-2, 3), ba = affineFor(-0.5, 0.9);
    const a = Array.from({ length: n }, () => quant(randn(r) * 1.5, aa));
    const b = Array.from({ length: n }, () => quant(randn(r) * 0.4, ba));
    const real = a.map((v, i) => Math.max(0, aa.s * (v - aa.z) + ba.s * (b[i] - ba.z)));
    const ya = affineFor(0, Math.max(...real));
    const p: AddParams = { zp1: aa.z, zp2: ba.z, zpo: ya.z, lo: ya.z, hi: 127, ...tfliteAddParams(aa.s, ba.s, ya.s) };
    // Each rescaled input is off by at most one unit of the 2^-left_shift grid.
    const bound = real.map(() => budget(p.so, 2 * realMultiplier(p.mo, p.so)));
    out.push({ label: 'add + relu', real, bound, out: ya, lo: ya.z, hi: 127, line: addLine(p, n, 0, a, b) });
  }
  { // standalone ReLU6 into a new scale
    const n = 256, xa = affineFor(-4, 8), ya = affineFor(0, 6);
    const x = Array.from({ length: n }, (_, i) => i - 128);
    const real = x.map((v) => clamp(xa.s * (v - xa.z), 0, 6));
    const [m, s] = quantizeMultiplierRef(xa.s / ya.s);
    const hi = quant(6, ya);
    out.push({ label: 'requant relu6', real, bound: real.map(() => budget(s)), out: ya, lo: ya.z, hi, line: joinTokens('requant', n, xa.z, ya.z, m, s, ya.z, hi, 0, x) });
  }
  // Pools: the average over the window's valid cells (count_include_pad=0) or over kh·kw.
  for (const [cip, k, st, pad] of [[0, 3, 1, 1], [0, 3, 2, 1], [1, 3, 2, 1], [0, 5, 2, 2], [0, 7, 3, 3], [1, 2, 2, 0]]) {
    const p = randPool(r, 'avgpool', false);
    Object.assign(p, { c: 3, inH: 11, inW: 10, kh: k, kw: k, sh: st, sw: st, pt: pad, pl: pad, cip });
    p.outH = outDim(p.inH, k, st, pad, pad);
    p.outW = outDim(p.inW, k, st, pad, pad);
    const xa = affineFor(-1, 1.5);
    p.x = Array.from({ length: p.c * p.inH * p.inW }, () => quant(randn(r) * 0.8 + 0.2, xa));
    p.inZp = xa.z;
    const real: number[] = [], partial: boolean[] = [];
    for (let c = 0; c < p.c; c++) for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
      let sum = 0, n = 0;
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
        const iy = oy * st - pad + ky, ix = ox * st - pad + kx;
        if (iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW) continue;
        sum += xa.s * (p.x[(c * p.inH + iy) * p.inW + ix] - xa.z);
        n++;
      }
      real.push(sum / (cip ? k * k : n));
      partial.push(!cip && n < k * k);
    }
    const ya = affineFor(Math.min(...real), Math.max(...real));
    [p.mult, p.shift] = quantizeMultiplierRef(xa.s / (ya.s * k * k));
    p.outZp = ya.z;
    // Partial windows: rounding acc·kh·kw·64/n costs M/128; requant then runs at shift − 6.
    const bound = partial.map((isPartial) => (isPartial
      ? budget(p.shift - AVG_FRAC_BITS, realMultiplier(p.mult, p.shift) / 2 ** (AVG_FRAC_BITS + 1))
      : budget(p.shift)));
    assert.strictEqual(partial.some((v) => v), !cip && pad > 0);
    out.push({ label: `avgpool k${k} s${st} p${pad} cip${cip}`, real, bound, out: ya, lo: -128, hi: 127, line: poolLine(p) });
  }
  { // global average 5x7, maxpool 3x3 s2 p1
    const g = randPool(r, 'gap', false);
    Object.assign(g, { c: 12, inH: 5, inW: 7, kh: 5, kw: 7 });
    const xa = affineFor(-0.3, 6);
    g.x = Array.from({ length: 12 * 35 }, () => quant(Math.abs(randn(r)) * 2, xa));
    g.inZp = xa.z;
    const real = Array.from({ length: 12 }, (_, c) => g.x.slice(c * 35, (c + 1) * 35).reduce((s, v) => s + xa.s * (v - xa.z), 0) / 35);
    const ya = affineFor(Math.min(...real), Math.max(...real));
    [g.mult, g.shift] = quantizeMultiplierRef(xa.s / (ya.s * 35));
    g.outZp = ya.z;
    out.push({ label: 'global avgpool 5x7', real, bound: real.map(() => budget(g.shift)), out: ya, lo: -128, hi: 127, line: poolLine(g) });

    const m = randPool(r, 'maxpool', false);
    Object.assign(m, { c: 2, inH: 7, inW: 7, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, outH: 4, outW: 4, inZp: xa.z, outZp: xa.z });
    m.x = Array.from({ length: 2 * 49 }, () => quant(randn(r), xa));
    const mreal: number[] = [];
    for (let c = 0; c < 2; c++) for (let oy = 0; oy < 4; oy++) for (let ox = 0; ox < 4; ox++) {
      let mx = -Infinity;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
        if (iy >= 0 && iy < 7 && ix >= 0 && ix < 7) mx = Math.max(mx, xa.s * (m.x[(c * 7 + iy) * 7 + ix] - xa.z));
      }
      mreal.push(mx);
    }
    out.push({ label: 'maxpool 3x3 s2 p1', real: mreal, bound: mreal.map(() => 1e-6), out: xa, lo: -128, hi: 127, line: poolLine(m) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------

interface RequantVector {
  acc: number; multiplier: number; shift: number; zero_point: number;
  act_min: number; act_max: number; scaled: number; out: number;
}
interface MultiplierVector { real_hex: string; multiplier: number; shift: number }

describe('int8 kernels (C runtime)', function () {
  let dir = '';
  let exe = '';
  let anchors: { requantize: RequantVector[]; quantize_multiplier: MultiplierVector[] };

  before(function () {
    dir = makeTempDir('tinytrain-kernels-');
    exe = compileC([DRIVER, FIXEDPOINT, ...KERNELS], path.join(dir, 'kernel_driver'), { includeDirs: [INCLUDE] });
    anchors = JSON.parse(fs.readFileSync(ANCHORS, 'utf8'));
  });

  after(function () {
    if (dir && !process.env.TT_KEEP_TMP) removeDir(dir);
  });

  describe('reference numerics (TypeScript) against the anchor vectors', function () {
    it('requantRef reproduces every scaled and out', function () {
      assert.strictEqual(anchors.requantize.length, 3000);
      const bad = anchors.requantize.filter((v) =>
        requantRef(v.acc, v.multiplier, v.shift) !== v.scaled ||
        outRef(v.acc, v.multiplier, v.shift, v.zero_point, v.act_min, v.act_max) !== v.out);
      assert.deepStrictEqual(bad.slice(0, 5), []);
    });

    it('quantizeMultiplierRef reproduces every multiplier encoding', function () {
      assert.strictEqual(anchors.quantize_multiplier.length, 1000);
      const bad = anchors.quantize_multiplier.filter((v) => {
        const [m, s] = quantizeMultiplierRef(Buffer.from(v.real_hex, 'hex').readDoubleBE(0));
        return m !== v.multiplier || s !== v.shift;
      });
      assert.deepStrictEqual(bad.slice(0, 5), []);
    });
  });

  describe('fixed point (tt_fixedpoint.c)', function () {
    it('tt_requantize reproduces all 3000 anchor vectors bit-exactly (scaled and out)', function () {
      const cases: Case[] = anchors.requantize.map((v, i) => ({
        label: `vector ${i} ${JSON.stringify(v)}`,
        line: joinTokens('rq', v.acc, v.multiplier, v.shift, v.zero_point, v.act_min, v.act_max),
        expected: [v.scaled, v.out], lo: v.act_min, hi: v.act_max,
      }));
      checkAll(exe, dir, 'anchors', cases);
    });

    it('tt_srdhm, tt_rdbpot, tt_requantize on edges, ties, saturating and >31 shifts', function () {
      checkAll(exe, dir, 'fixedpoint', casesFor('fixedpoint'));
    });
  });

  describe('kernels against the per-tap reference', function () {
    kernelCases(() => exe, () => dir);
  });

  // The Cortex-M optimized paths (firmware/include/tt_simd.h), compiled on the host with the
  // DSP intrinsics emulated in C: the same cases, the same reference.
  describe('optimized kernel paths (DSP intrinsics emulated on the host) against the per-tap reference', function () {
    let dspExe = '';
    before(function () {
      dspExe = compileC([DRIVER, FIXEDPOINT, ...KERNELS], path.join(dir, 'kernel_driver_dsp'),
        { includeDirs: [INCLUDE], defines: ['TT_DSP_EMULATE'] });
    });
    kernelCases(() => dspExe, () => dir);
  });

  describe('kernels cover their claims', function () {
    it('covers what it claims to', function () {
      const conv = casesFor('conv').map((c) => c.label);
      for (const k of ['k1x1', 'k3x3', 'k5x5', 'k7x7']) assert.ok(conv.some((l) => l.includes(k)), k);
      for (const s of ['tt_depthwise_conv_s8', 'tt_pointwise_conv_s8', ' s2,2 ', ' g2 ', 'zp-128,', 'zp127,']) {
        assert.ok(conv.some((l) => l.includes(s)), s);
      }
      const pool = casesFor('pool').map((c) => c.line.split(' '));
      // some avgpool case without count_include_pad and with padding (partial windows)
      assert.ok(pool.some((t) => t[0] === 'avgpool' && t[12] === '0' && (t[10] !== '0' || t[11] !== '0')));
    });
  });

  function kernelCases(exeOf: () => string, dirOf: () => string): void {
    for (const [name, title] of [
      ['conv', 'tt_conv_s8 / tt_depthwise_conv_s8 / tt_pointwise_conv_s8: regular, grouped, depthwise, channel multiplier, 1x1, heavy padding'],
      ['fc', 'tt_fully_connected_s8'],
      ['add', 'tt_add_s8: TFLite parameters and arbitrary ones, in place on either input'],
      ['requant', 'tt_requant_s8, in place and not'],
      ['pool', 'tt_avgpool_s8 (count_include_pad 0/1) / tt_maxpool_s8 / tt_global_avgpool_s8'],
    ] as const) {
      it(title, function () {
        const cases = casesFor(name);
        assertInformative(cases);
        checkAll(exeOf(), dirOf(), name, cases);
      });
    }
  }

  describe('float sanity', function () {
    it('dequantized outputs are within 1 LSB of the float op on dequantized inputs', function () {
      const cases = genFloatCases();
      const lines = play(exe, dir, 'float', cases.map((c) => ({ label: c.label, line: c.line, expected: [], lo: 0, hi: 0 })));
      const report: string[] = [];
      cases.forEach((c, i) => {
        const got = lines[i].split(' ').map(Number);
        assert.strictEqual(got.length, c.real.length, c.label);
        let worst = 0, over = 0;
        got.forEach((q, j) => {
          const err = Math.abs(q - clamp(c.real[j] / c.out.s + c.out.z, c.lo, c.hi));
          worst = Math.max(worst, err);
          if (err > c.bound[j]) over++;
        });
        // 1 LSB is the contract; the per-element budget says where each bit of it goes.
        if (worst > 1 || over) report.push(`${c.label}: max error ${worst.toFixed(4)} LSB, ${over} over budget`);
      });
      assert.deepStrictEqual(report, []);
    });
  });

  describe('sanitizers and cross-compilation', function () {
    it('every case also passes under -fsanitize=address,undefined, portable and optimized paths', function () {
      const sanExe = path.join(dir, 'kernel_driver_san');
      const flags = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-g', '-fno-omit-frame-pointer',
        '-ffp-contract=off', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
      const probe = path.join(dir, 'probe.c');
      fs.writeFileSync(probe, 'int main(void) { return 0; }\n');
      try {
        compileC([probe], path.join(dir, 'probe'), { cflags: flags });
      } catch {
        this.skip(); // this host's compiler has no sanitizer runtime
      }
      compileC([DRIVER, FIXEDPOINT, ...KERNELS], sanExe, { includeDirs: [INCLUDE], cflags: flags });
      for (const name of Object.keys(GENERATORS)) checkAll(sanExe, dir, `san-${name}`, casesFor(name));
      // The optimized paths too (their stack buffers and word loads), intrinsics emulated.
      compileC([DRIVER, FIXEDPOINT, ...KERNELS], `${sanExe}_dsp`, { includeDirs: [INCLUDE], cflags: flags, defines: ['TT_DSP_EMULATE'] });
      for (const name of Object.keys(GENERATORS)) checkAll(`${sanExe}_dsp`, dir, `san-dsp-${name}`, casesFor(name));
    });

    it('each runtime file builds with -Werror for Cortex-M7 and Cortex-M4 (-O2, -Os) and calls no libc', function () {
      const cc = process.env.ARM_CC ?? 'arm-none-eabi-gcc';
      const nm = cc.replace(/gcc$/, 'nm');
      assert.ok(haveCommand(cc), `${cc} not found (apt-get install gcc-arm-none-eabi)`);
      const problems: string[] = [];
      for (const [cpu, flags] of Object.entries(ARM_TARGETS)) for (const opt of ['-O2', '-Os']) {
        for (const src of [FIXEDPOINT, ...KERNELS]) {
          const obj = path.join(dir, `${cpu}${opt}-${path.basename(src, '.c')}.o`);
          // A diagnostic fails the compile (-Werror), and compileC throws with it.
          compileC([src], obj, { cc, includeDirs: [INCLUDE], cflags: [...STRICT_CFLAGS, opt, ...flags], compileOnly: true });
          const res = runExe(nm, ['-u', obj]);
          assert.strictEqual(res.status, 0, res.stderr);
          const undef = res.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter((s) => s);
          // The runtime's own functions and the compiler's helpers (libgcc) only.
          const foreign = undef.filter((s) => !/^tt_/.test(s) && !/^__aeabi_/.test(s));
          if (foreign.length) problems.push(`${cpu} ${path.basename(src)}: ${foreign.join(', ')}`);
        }
      }
      assert.deepStrictEqual(problems, []);
    });
  });
});

// Host-side input quantization and the samples.bin container the firmware reads
// (layout: docs/FIRMWARE-PROJECT.md, "samples.bin").
import { TinytrainError } from '../errors';
import { roundHalfAway } from '../numeric';

/**
 * q = clamp(round(x / scale) + zeroPoint, -128, 127), rounding half away from zero; the
 * division is done in double precision. NaN inputs are an error (they have no int8 value).
 */
export function quantizeInput(x: Float32Array, scale: number, zeroPoint: number): Int8Array {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new TinytrainError(`quantizeInput: scale must be a positive finite number, got ${scale}`, 'DATA_ARG');
  if (!Number.isInteger(zeroPoint) || zeroPoint < -128 || zeroPoint > 127) throw new TinytrainError(`quantizeInput: zero point must be an integer in [-128, 127], got ${zeroPoint}`, 'DATA_ARG');
  const q = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = roundHalfAway(x[i] / scale) + zeroPoint;
    if (Number.isNaN(v)) throw new TinytrainError(`quantizeInput: input value ${i} is NaN`, 'DATA_ARG');
    q[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
  return q;
}

/** Quantized samples: one Int8Array per sample, or all samples back to back. */
export interface SampleSet {
  x: Int8Array | Int8Array[];
  y: ArrayLike<number>;
}

export const SAMPLES_MAGIC = 'TTS1';
export const SAMPLES_HEADER_BYTES = 16;

const align4 = (n: number): number => (n + 3) & ~3;

/** Bytes of one record: i32 label + input, padded to a multiple of 4. */
export function sampleRecordBytes(inputBytes: number): number {
  return 4 + align4(inputBytes);
}

/**
 * samples.bin: "TTS1", u32 input_bytes, u32 train_count, u32 eval_count, then the training
 * records and the evaluation records; a record is i32 label + input_bytes int8, zero-padded
 * to 4 bytes. All little-endian.
 */
export function packSamples(train: SampleSet, evalSet: SampleSet, inputBytes: number): Buffer {
  if (!Number.isInteger(inputBytes) || inputBytes <= 0) throw new TinytrainError(`packSamples: input_bytes must be a positive integer, got ${inputBytes}`, 'DATA_ARG');
  const tr = samplesOf('train', train, inputBytes);
  const ev = samplesOf('eval', evalSet, inputBytes);
  const rec = sampleRecordBytes(inputBytes);
  const buf = Buffer.alloc(SAMPLES_HEADER_BYTES + (tr.length + ev.length) * rec); // zeroed: padding is 0
  buf.write(SAMPLES_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(inputBytes, 4);
  buf.writeUInt32LE(tr.length, 8);
  buf.writeUInt32LE(ev.length, 12);
  let off = SAMPLES_HEADER_BYTES;
  for (const s of [...tr, ...ev]) {
    buf.writeInt32LE(s.label, off);
    buf.set(new Uint8Array(s.x.buffer, s.x.byteOffset, s.x.length), off + 4);
    off += rec;
  }
  return buf;
}

function samplesOf(which: string, set: SampleSet, inputBytes: number): { label: number; x: Int8Array }[] {
  const n = set.y.length;
  let xs: Int8Array[];
  if (Array.isArray(set.x)) {
    xs = set.x;
    const bad = xs.findIndex((s) => s.length !== inputBytes);
    if (bad >= 0) throw new TinytrainError(`packSamples: ${which} sample ${bad} has ${xs[bad].length} bytes, expected ${inputBytes}`, 'DATA_ARG');
  } else {
    const flat = set.x;
    if (flat.length !== n * inputBytes) throw new TinytrainError(`packSamples: ${which} has ${flat.length} input bytes for ${n} labels, expected ${n * inputBytes}`, 'DATA_ARG');
    xs = Array.from({ length: n }, (_, i) => flat.subarray(i * inputBytes, (i + 1) * inputBytes));
  }
  if (xs.length !== n) throw new TinytrainError(`packSamples: ${which} has ${xs.length} samples but ${n} labels`, 'DATA_ARG');
  return xs.map((x, i) => {
    const label = set.y[i];
    if (!Number.isInteger(label) || label < -(2 ** 31) || label >= 2 ** 31) throw new TinytrainError(`packSamples: ${which} label ${i} (${label}) is not an int32`, 'DATA_ARG');
    return { label, x };
  });
}

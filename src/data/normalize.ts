// Input normalization: real = (raw * scale - mean[c]) / std[c].
import { TinytrainError } from '../errors';

export interface Normalize { scale: number; mean: number[]; std: number[] }

/**
 * Fill in defaults. `scale` defaults to 1/255 for uint8 data (pixel bytes to [0, 1]) and to 1
 * for float data (assumed already scaled); mean defaults to [0] and std to [1]. A one-element
 * mean/std applies to every channel.
 */
export function resolveNormalize(given: Partial<Normalize> | undefined, rawIsUint8: boolean, channels: number): Normalize {
  const scale = given?.scale ?? (rawIsUint8 ? 1 / 255 : 1);
  const mean = given?.mean ?? [0];
  const std = given?.std ?? [1];
  if (!Number.isFinite(scale) || scale === 0) throw new TinytrainError(`normalize: scale must be a non-zero finite number, got ${scale}`, 'DATA_ARG');
  for (const [name, v] of [['mean', mean], ['std', std]] as const) {
    if (v.length !== 1 && v.length !== channels) throw new TinytrainError(`normalize: ${name} has ${v.length} values but the model input has ${channels} channel(s); give 1 or ${channels}`, 'DATA_ARG');
    if (!v.every(Number.isFinite)) throw new TinytrainError(`normalize: ${name} must be finite numbers, got [${v.join(', ')}]`, 'DATA_ARG');
  }
  if (std.some((s) => s === 0)) throw new TinytrainError(`normalize: std must be non-zero, got [${std.join(', ')}]`, 'DATA_ARG');
  return { scale, mean: [...mean], std: [...std] };
}

/** Normalize `count` CHW samples from `raw` (in double precision, stored as float32). */
export function normalizeSamples(raw: ArrayLike<number>, count: number, shape: number[], n: Normalize): Float32Array {
  const [c, h, w] = shape;
  const plane = h * w;
  const out = new Float32Array(count * c * plane);
  let i = 0;
  for (let s = 0; s < count; s++) {
    for (let ch = 0; ch < c; ch++) {
      const mean = n.mean.length === 1 ? n.mean[0] : n.mean[ch];
      const std = n.std.length === 1 ? n.std[0] : n.std[ch];
      for (const end = i + plane; i < end; i++) out[i] = (raw[i] * n.scale - mean) / std;
    }
  }
  return out;
}

export function describeNormalize(n: Normalize): string {
  const scale = n.scale === 1 / 255 ? '1/255' : String(n.scale);
  return `real = (raw * ${scale} - mean[c]) / std[c], mean [${n.mean.join(', ')}], std [${n.std.join(', ')}]`;
}

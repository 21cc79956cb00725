// Which int8 bounds of a fused activation really clamp (and so stop the gradient).
// A bound that falls outside the tensor's int8 range never clamps: values saturate there
// instead, and the gradient passes straight through (as in the float model).
import { QNode, QTensor } from '../ir/qgraph';
import { roundHalfAway } from '../quant/fixedpoint';

export function clampBounds(n: QNode, y: QTensor): { lo: number; hi: number } | null {
  if (!('act' in n) || n.act.kind === 'none') return null;
  const q = (v: number): number => y.zeroPoint + roundHalfAway(v / y.scale);
  const minReal = n.act.kind === 'relu' ? 0 : n.act.min;
  const maxReal = n.act.kind === 'relu' ? Infinity : n.act.max;
  const lo = Number.isFinite(minReal) && q(minReal) >= -128 ? Math.min(127, q(minReal)) : -129;
  const hi = Number.isFinite(maxReal) && q(maxReal) <= 127 ? Math.max(-128, q(maxReal)) : 128;
  if (lo === -129 && hi === 128) return null;
  return { lo, hi };
}

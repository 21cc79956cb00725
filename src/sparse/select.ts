// Which input channels a partial weight update touches. This is the one selection used on
// the device, on the host and in contribution analysis (MIT's simulation picked channels by
// magnitude while its device code updated the first k; here both use the same list).
import { Ratio } from '../ir/scheme';
import { LayerInfo } from './layers';

/** Channels updated at ratio r of C input channels: max(1, round(r·C)); all at r = 1, none at 0. */
export function channelCount(ratio: Ratio, inChannels: number): number {
  if (ratio === 0) return 0;
  if (ratio === 1) return inChannels;
  return Math.min(inChannels, Math.max(1, Math.round(ratio * inChannels)));
}

/**
 * score[i] = Σ over the weights that read input channel i of (s_w[o]·q_w)², i.e. the squared
 * L2 norm of the real-valued weights of that input channel (MIT's 'magnitude+' criterion).
 */
export function channelScores(layer: LayerInfo): Float64Array {
  const scores = new Float64Array(layer.inChannels);
  const n = layer.node;
  if (n.op === 'gemm') {
    const [rows, k] = n.weightShape;
    for (let o = 0; o < rows; o++) {
      const s = n.weightScale[o];
      for (let i = 0; i < k; i++) {
        const v = s * n.weight[o * k + i];
        scores[i] += v * v;
      }
    }
    return scores;
  }
  const [o, cPerGroup, kh, kw] = n.weightShape;
  const outPerGroup = o / n.group;
  const plane = kh * kw;
  for (let oc = 0; oc < o; oc++) {
    const s = n.weightScale[oc];
    const firstInput = Math.floor(oc / outPerGroup) * cPerGroup;   // this output's group reads these inputs
    for (let c = 0; c < cPerGroup; c++) {
      const base = (oc * cPerGroup + c) * plane;
      let acc = 0;
      for (let k = 0; k < plane; k++) {
        const v = s * n.weight[base + k];
        acc += v * v;
      }
      scores[firstInput + c] += acc;
    }
  }
  return scores;
}

/** The channelCount(ratio) input channels of largest score, ties to the lower index, ascending. */
export function selectChannels(layer: LayerInfo, ratio: Ratio): number[] {
  const count = channelCount(ratio, layer.inChannels);
  if (count === layer.inChannels) return range(count);
  if (count === 0) return [];
  const scores = channelScores(layer);
  const order = range(layer.inChannels).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function ratioText(r: Ratio): string {
  return r === 0.125 ? '1/8' : r === 0.25 ? '1/4' : r === 0.5 ? '1/2' : String(r);
}

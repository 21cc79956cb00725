// Turns per-layer choices (from a preset or a file) into a Scheme: fills frozen layers,
// selects channels, and records how they were chosen. Also remembers each scheme's
// parameter count so schemeSummary can report it without the graph.
import { TinytrainError } from '../errors';
import { LayerUpdate, Ratio, Scheme } from '../ir/scheme';
import { LayerInfo } from './layers';
import { channelCount, ratioText, selectChannels } from './select';

export interface LayerChoice {
  bias: boolean;
  ratio: Ratio;
  /** Channels fixed by the scheme file (already validated); otherwise selected by magnitude. */
  channels?: number[];
}

/** Trainable parameters (bias + weight elements) per scheme built here. */
const paramCounts = new WeakMap<Scheme, number>();

export function recordedParams(s: Scheme): number | undefined {
  return paramCounts.get(s);
}

export function buildScheme(
  name: string, source: Scheme['source'], infos: LayerInfo[], choices: Map<number, LayerChoice>, notes: string[],
): Scheme {
  const layers: LayerUpdate[] = [];
  const picked: string[] = [];
  const fixed: string[] = [];
  let params = 0;
  for (const info of infos) {
    const c: LayerChoice = choices.get(info.index) ?? { bias: false, ratio: 0 };
    let channels: number[];
    if (c.channels) {
      channels = c.channels;
      if (c.ratio !== 0 && c.ratio !== 1) fixed.push(partial(info, c.ratio, channels.length));
    } else {
      channels = selectChannels(info, c.ratio);
      if (c.ratio !== 0 && c.ratio !== 1) picked.push(partial(info, c.ratio, channels.length));
    }
    layers.push({
      layer: info.name, index: info.index, kind: info.kind, bias: c.bias, weightRatio: c.ratio, channels,
    });
    params += (c.bias ? info.outChannels : 0) + channels.length * info.weightsPerInput;
  }
  const out = [...notes];
  if (picked.length > 0) {
    out.push('partial weight updates use the input channels with the largest Σ(s_w·q_w)² over their weights '
      + `(ties to the lower index), the same on the device and in analysis: ${picked.join(', ')}`);
  }
  if (fixed.length > 0) out.push(`input channels fixed by the scheme file: ${fixed.join(', ')}`);
  const empty = layers.every((l) => !l.bias && l.weightRatio === 0);
  if (empty && !(source === 'preset' && name === 'none')) {
    out.push(`warning: scheme '${name}' selects nothing to train; use 'none' for evaluation-only firmware`);
  }
  const scheme: Scheme = { name, source, layers, notes: out };
  paramCounts.set(scheme, params);
  return scheme;
}

function partial(info: LayerInfo, ratio: Ratio, count: number): string {
  // channelCount is the contract; a mismatch here would be our bug, not the user's.
  if (count !== channelCount(ratio, info.inChannels)) {
    throw new TinytrainError(`${info.name}: ${count} channels selected, expected ${channelCount(ratio, info.inChannels)}`, 'E_INTERNAL');
  }
  return `${info.name} ${count}/${info.inChannels} (${ratioText(ratio)})`;
}

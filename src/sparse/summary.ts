// One line for CLI output and reports, e.g.
// "bias+last:2: 7 biases, weights of 2 layers (1,664 params)".
import { QGraph } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { recordedParams } from './build';
import { layerInfos } from './layers';

/**
 * params = bias elements + weight elements updated. Taken from the graph when given, else
 * from what resolveScheme recorded; omitted for a scheme built elsewhere without a graph.
 */
export function schemeSummary(s: Scheme, g?: QGraph): string {
  const biases = s.layers.filter((l) => l.bias).length;
  const weighted = s.layers.filter((l) => l.weightRatio > 0);
  if (biases === 0 && weighted.length === 0) return `${s.name}: nothing trained`;
  const partial = weighted.filter((l) => l.weightRatio < 1).length;
  const parts: string[] = [];
  if (biases > 0) parts.push(plural(biases, 'bias', 'biases'));
  if (weighted.length > 0) {
    parts.push(`weights of ${plural(weighted.length, 'layer', 'layers')}${partial > 0 ? `, ${partial} partial` : ''}`);
  }
  const params = g ? countParams(s, g) : recordedParams(s);
  return `${s.name}: ${parts.join(', ')}${params === undefined ? '' : ` (${thousands(params)} params)`}`;
}

function countParams(s: Scheme, g: QGraph): number {
  const infos = new Map(layerInfos(g).map((l) => [l.name, l]));
  let n = 0;
  for (const l of s.layers) {
    const info = infos.get(l.layer);
    if (info) n += (l.bias ? info.outChannels : 0) + l.channels.length * info.weightsPerInput;
  }
  return n;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** 1664 -> "1,664" without depending on the runtime's ICU data. */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

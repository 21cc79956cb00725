// Trainable layers: the conv and gemm nodes of a QGraph, in graph order, indexed from the
// input. Every scheme format addresses layers through this one list, so presets, our JSON
// and MIT's indices all agree on what "layer 7" or "the last 3 layers" means.
import { QConv, QGemm, QGraph } from '../ir/qgraph';
import { LayerUpdate } from '../ir/scheme';

export type LayerKind = LayerUpdate['kind'];

export interface TrainableLayer {
  name: string;
  index: number;
  kind: LayerKind;
  /** Conv: all input channels (over every group); gemm: input features K. */
  inChannels: number;
  outChannels: number;
}

/** A trainable layer with what selection and parameter counts need. */
export interface LayerInfo extends TrainableLayer {
  node: QConv | QGemm;
  /** Weights that read one input channel: (O / group)·kh·kw for conv, N for gemm. */
  weightsPerInput: number;
}

export function layerInfos(g: QGraph): LayerInfo[] {
  const out: LayerInfo[] = [];
  for (const node of g.nodes) {
    if (node.op === 'conv') {
      const [o, cPerGroup, kh, kw] = node.weightShape;
      const inChannels = cPerGroup * node.group;
      out.push({
        name: node.name, index: out.length, kind: convKind(node, inChannels), inChannels, outChannels: o,
        node, weightsPerInput: (o / node.group) * kh * kw,
      });
    } else if (node.op === 'gemm') {
      const [n, k] = node.weightShape;
      out.push({ name: node.name, index: out.length, kind: 'gemm', inChannels: k, outChannels: n, node, weightsPerInput: n });
    }
  }
  return out;
}

function convKind(node: QConv, inChannels: number): LayerKind {
  const [o, , kh, kw] = node.weightShape;
  if (node.group === inChannels && inChannels === o && o > 1) return 'depthwise';
  if (node.group === 1 && kh === 1 && kw === 1) return 'pointwise';
  return 'conv';
}

export function trainableLayers(g: QGraph): TrainableLayer[] {
  return layerInfos(g).map(({ name, index, kind, inChannels, outChannels }) => ({ name, index, kind, inChannels, outChannels }));
}

// Shape rule per canonical (and transient) node kind, and a whole-graph consistency check.
import { Graph, Shape } from '../ir/graph';
import { TinytrainError } from '../errors';
import { addShape } from './ops/add';
import { convShape } from './ops/conv';
import { gemmShape } from './ops/gemm';
import { padShape } from './ops/pad';
import { gapShape, poolShape } from './ops/pool';
import { reshapeShape } from './ops/reshape';
import { fmtShape } from './ops/common';
import { WorkNode } from './types';

/** Output shape of `node` from its input shapes. `declared` is the recorded output shape,
 *  needed where the node alone does not determine it (reshape target, gap keepdims). */
export function nodeShape(node: WorkNode, ins: Shape[], declared?: Shape): Shape {
  const x = ins[0];
  switch (node.op) {
    case 'conv': return convShape(node, x);
    case 'gemm': return gemmShape(node, x);
    case 'add': return addShape(node, x, ins[1]);
    case 'avgpool': case 'maxpool': return poolShape(node, x);
    case 'gap': return gapShape(node, x, declared);
    case 'reshape': return reshapeShape(node, x, declared);
    case 'pad': return padShape(node, x);
    case 'bn': case 'bias': {
      const c = node.op === 'bn' ? node.scale.length : node.bias.length;
      if (x[1] !== c) {
        throw new TinytrainError(`node '${node.name}' (${node.from.join('+')}): input ${fmtShape(x)} has ${x[1]} channels, parameters are for ${c}`, 'E_SHAPE');
      }
      return [...x];
    }
    case 'act': case 'identity': return [...x];
  }
}

/** Re-derive every node's output shape and compare with g.shapes (catches fusion bugs). */
export function checkGraphShapes(g: Graph): void {
  for (const n of g.nodes) {
    const ins = n.inputs.map((t) => {
      const s = g.shapes[t];
      if (!s) throw new TinytrainError(`node '${n.name}': input '${t}' has no shape`, 'E_INTERNAL');
      return s;
    });
    const got = nodeShape(n, ins, g.shapes[n.output]);
    const want = g.shapes[n.output];
    if (!want || want.length !== got.length || want.some((v, i) => v !== got[i])) {
      throw new TinytrainError(`node '${n.name}': shape ${fmtShape(got)} differs from recorded ${fmtShape(want ?? [])}`, 'E_INTERNAL');
    }
  }
}

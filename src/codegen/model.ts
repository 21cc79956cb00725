// model.h / model.c / weights.h / weights.c from the QGraph and the memory plan.
import { QGraph } from '../ir/qgraph';
import { Plan, resolveAlias } from '../memory';
import { cArrayBody, cFloat, cInt } from './cformat';
import { commentText, createNamer, cStringLiteral } from './names';
import { CArray, CParams, emitterFor } from './ops';
import { render } from './templates';

export interface ModelSources {
  files: { path: string; content: string }[];
  kernels: string[];
  layers: LayerReport[];
  constBytes: number;
  macs: number;
}

export interface LayerReport {
  name: string;
  op: string;
  kernel: string;
  input: string[];
  output: string;
  outputShape: number[];
  offset: number;
  macs: number;
  weightBytes: number;
}

const bytesPer: Record<CArray['ctype'], number> = { int8_t: 1, int32_t: 4, float: 4 };

export function generateModel(g: QGraph, plan: Plan, info: { version: string; modelName: string; boardId: string }): ModelSources {
  const offsets = new Map(plan.buffers.map((b) => [b.name, b.offset]));
  const offset = (t: string): number => {
    const o = offsets.get(resolveAlias(t, plan.aliases));
    if (o === undefined) throw new Error(`tensor '${t}' has no arena offset`);
    return o;
  };
  const label = (t: string): string => commentText(t, 48);
  const nodeNamer = createNamer();
  const arrays: CArray[] = [];
  const params: CParams[] = [];
  const calls: { comment: string; call: string }[] = [];
  const layers: LayerReport[] = [];
  const kernels = new Set<string>();
  let macs = 0;

  for (const n of g.nodes) {
    const base = nodeNamer(n.name || n.output);
    const ctx = {
      ident: (suffix: string) => `${base}_${suffix}`,
      ptr: (t: string) => `(tt_arena + ${offset(t)})`,
      offset,
      tensor: (t: string) => {
        const q = g.tensors[t];
        if (!q) throw new Error(`no quantization parameters for tensor '${t}'`);
        return q;
      },
      label,
    };
    const e = emitterFor(n.op)(n, ctx);
    arrays.push(...e.arrays);
    params.push(...e.params);
    macs += e.macs;
    if (e.kernel) kernels.add(e.kernel);
    const ins = n.inputs.map((t) => `${label(t)} @${offset(t)}`).join(', ');
    if (e.call) calls.push({ comment: `${commentText(n.name, 40)}: ${ins} -> ${label(n.output)} @${offset(n.output)}`, call: e.call });
    layers.push({
      name: n.name, op: n.op, kernel: e.kernel, input: n.inputs, output: n.output, outputShape: g.tensors[n.output].shape,
      offset: offset(n.output), macs: e.macs, weightBytes: e.arrays.reduce((s, a) => s + a.values.length * bytesPer[a.ctype], 0),
    });
  }

  const inT = g.tensors[g.input];
  const outT = g.tensors[g.output];
  const elems = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const common = {
    version: info.version,
    modelComment: commentText(info.modelName, 60),
    boardId: commentText(info.boardId, 30),
  };
  const constBytes = arrays.reduce((s, a) => s + a.values.length * bytesPer[a.ctype], 0);
  const arrayCtx = arrays.map((a) => ({
    name: a.name, ctype: a.ctype, length: a.values.length, comment: commentText(a.comment),
    body: cArrayBody(a.values, a.ctype === 'int8_t' ? 16 : 8, a.ctype === 'float' ? cFloat : cInt),
  }));
  const files = [
    {
      path: 'model/model.h', content: render('model.h.hbs', {
        ...common, modelString: cStringLiteral(info.modelName), arenaBytes: plan.arenaBytes,
        inputBytes: elems(inT.shape), inputShape: inT.shape.join('x'), inputScale: cFloat(inT.scale), inputZeroPoint: inT.zeroPoint,
        numClasses: elems(outT.shape), outputScale: cFloat(outT.scale), outputZeroPoint: outT.zeroPoint,
        inputLabel: label(g.input), inputOffset: offset(g.input), outputLabel: label(g.output), outputOffset: offset(g.output),
      }),
    },
    {
      path: 'model/model.c', content: render('model.c.hbs', {
        ...common, arenaBytes: plan.arenaBytes, lowerBoundBytes: plan.lowerBoundBytes, strategy: plan.strategy,
        params: params.map((p) => ({ ...p, fields: p.fields.map(([k, v]) => [k, typeof v === 'number' ? cInt(v) : v]) })),
        calls,
      }),
    },
    { path: 'model/weights.h', content: render('weights.h.hbs', { ...common, arrays: arrayCtx }) },
    { path: 'model/weights.c', content: render('weights.c.hbs', { ...common, arrays: arrayCtx, totalBytes: constBytes }) },
  ];
  return { files, kernels: [...kernels].sort(), layers, constBytes, macs };
}

// Float reference evaluator for the canonical Graph: a plain, obviously-correct interpreter
// (double accumulation, float32 storage) used as the oracle for later stages' kernels.
import { Activation, ConvNode, GemmNode, Graph, Node, PoolNode, Shape } from '../ir/graph';
import { TinytrainError } from '../errors';
import { numel } from './tensor';

function applyAct(v: number, a: Activation): number {
  switch (a.kind) {
    case 'none': return v;
    case 'relu': return v > 0 ? v : 0;
    case 'clip': return Math.min(Math.max(v, a.min), a.max);
  }
}

function conv(n: ConvNode, x: Float32Array, xs: Shape, ys: Shape): Float32Array {
  const [, , h, w] = xs;
  const [, o, ho, wo] = ys;
  const [, cg, kh, kw] = n.weightShape;
  const og = o / n.group;
  const [sh, sw] = n.strides;
  const [pt, pl] = n.pads;
  const y = new Float32Array(o * ho * wo);
  for (let oc = 0; oc < o; oc++) {
    const g = Math.floor(oc / og);
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let s = n.bias[oc];
        for (let ic = 0; ic < cg; ic++) {
          const ci = g * cg + ic;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= w) continue;
              s += x[(ci * h + iy) * w + ix] * n.weight[((oc * cg + ic) * kh + ky) * kw + kx];
            }
          }
        }
        y[(oc * ho + oy) * wo + ox] = applyAct(s, n.act);
      }
    }
  }
  return y;
}

function gemm(n: GemmNode, x: Float32Array): Float32Array {
  const [nOut, k] = n.weightShape;
  const y = new Float32Array(nOut);
  for (let j = 0; j < nOut; j++) {
    let s = n.bias[j];
    for (let i = 0; i < k; i++) s += x[i] * n.weight[j * k + i];
    y[j] = applyAct(s, n.act);
  }
  return y;
}

function pool(n: PoolNode, x: Float32Array, xs: Shape, ys: Shape): Float32Array {
  const [, c, h, w] = xs;
  const [, , ho, wo] = ys;
  const [kh, kw] = n.kernel;
  const [sh, sw] = n.strides;
  const [pt, pl] = n.pads;
  const y = new Float32Array(c * ho * wo);
  for (let ch = 0; ch < c; ch++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let s = 0, m = -Infinity, cnt = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx;
            if (ix < 0 || ix >= w) continue;
            const v = x[(ch * h + iy) * w + ix];
            s += v; cnt++;
            if (v > m) m = v;
          }
        }
        y[(ch * ho + oy) * wo + ox] = n.op === 'maxpool' ? m : s / (n.countIncludePad ? kh * kw : cnt);
      }
    }
  }
  return y;
}

function gap(x: Float32Array, xs: Shape): Float32Array {
  const [, c, h, w] = xs;
  const y = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < h * w; i++) s += x[ch * h * w + i];
    y[ch] = s / (h * w);
  }
  return y;
}

function evalNode(n: Node, ins: Float32Array[], inShapes: Shape[], ys: Shape): Float32Array {
  const x = ins[0];
  switch (n.op) {
    case 'conv': return conv(n, x, inShapes[0], ys);
    case 'gemm': return gemm(n, x);
    case 'add': return Float32Array.from(x, (v, i) => applyAct(v + ins[1][i], n.act));
    case 'act': return Float32Array.from(x, (v) => applyAct(v, n.act));
    case 'avgpool': case 'maxpool': return pool(n, x, inShapes[0], ys);
    case 'gap': return gap(x, inShapes[0]);
    case 'reshape': return Float32Array.from(x);
  }
}

/** Run the graph on one input ([1,C,H,W] flattened, CHW). Returns every tensor by name,
 *  the input included. */
export function evaluateGraph(g: Graph, input: Float32Array): Record<string, Float32Array> {
  const need = numel(g.input.shape);
  if (input.length !== need) {
    throw new TinytrainError(`evaluateGraph: input has ${input.length} values, ${g.input.name} needs ${need}`, 'E_SHAPE');
  }
  const env: Record<string, Float32Array> = { [g.input.name]: Float32Array.from(input) };
  for (const n of g.nodes) {
    const ins = n.inputs.map((t) => {
      const v = env[t];
      if (!v) throw new TinytrainError(`evaluateGraph: node '${n.name}' reads '${t}' before it is computed`, 'E_INTERNAL');
      return v;
    });
    env[n.output] = evalNode(n, ins, n.inputs.map((t) => g.shapes[t]), g.shapes[n.output]);
  }
  return env;
}

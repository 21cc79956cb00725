// Activation ranges from the float model itself: onnxruntime runs the original ONNX with
// every canonical tensor exposed as an output, over a set of training samples.
import * as ort from 'onnxruntime-node';
import { Graph } from '../ir/graph';
import { exposeOutputs } from '../onnx';
import { CalibrationStats } from './index';

export interface CalibrationInput {
  /** Samples in the model's input layout [C,H,W], already normalized. */
  samples: Float32Array[];
}

export async function calibrate(onnxBytes: Uint8Array, graph: Graph, input: CalibrationInput): Promise<CalibrationStats> {
  const names = graph.nodes.map((n) => n.output).filter((t, i, all) => all.indexOf(t) === i);
  const session = await ort.InferenceSession.create(exposeOutputs(onnxBytes, names));
  const stats: CalibrationStats = {};
  const widen = (name: string, data: ArrayLike<number>): void => {
    let { min, max } = stats[name] ?? { min: Infinity, max: -Infinity };
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    stats[name] = { min, max };
  };
  const shape = graph.input.shape;
  for (const x of input.samples) {
    widen(graph.input.name, x);
    const feeds = { [graph.input.name]: new ort.Tensor('float32', x, shape) };
    const out = await session.run(feeds, names);
    for (const name of names) widen(name, out[name].data as Float32Array);
  }
  return stats;
}

/** Float logits from onnxruntime, the oracle the int8 firmware is compared with. */
export async function floatPredict(onnxBytes: Uint8Array, graph: Graph, samples: Float32Array[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(onnxBytes);
  const outName = session.outputNames[0];
  const res: Float32Array[] = [];
  for (const x of samples) {
    const out = await session.run({ [graph.input.name]: new ort.Tensor('float32', x, graph.input.shape) });
    res.push(Float32Array.from(out[outName].data as Float32Array));
  }
  return res;
}

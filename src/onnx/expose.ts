// exposeOutputs: add intermediate tensors as graph outputs so onnxruntime reports them
// (calibration reads the canonical tensors this way).
import { onnx } from 'onnx-proto';
import { TinytrainError } from '../errors';
import { decodeModel } from './decode';
import { DT } from './tensor';

/** Re-encode `bytes` with `tensorNames` appended as float outputs (no shape: ORT infers it).
 *  Names that are already outputs, or graph inputs, are skipped. Unknown names are an error. */
export function exposeOutputs(bytes: Uint8Array, tensorNames: string[]): Uint8Array {
  const model = decodeModel(bytes, 'model.onnx');
  const graph = model.graph as onnx.GraphProto;
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const inputs = new Set(graph.input.map((v) => v.name));
  const have = new Set(graph.output.map((v) => v.name));
  for (const t of tensorNames) {
    if (have.has(t) || inputs.has(t)) continue;
    if (!produced.has(t)) throw new TinytrainError(`cannot expose tensor '${t}': no node of the model produces it`, 'E_GRAPH_IO');
    graph.output.push(onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: DT.FLOAT } } }));
    have.add(t);
  }
  return onnx.ModelProto.encode(model).finish();
}

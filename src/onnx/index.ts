// Public API of the onnx/ stage.
export { importOnnx } from './import';
export type { ImportOptions } from './import';
export { exposeOutputs } from './expose';
export { evaluateGraph } from './evaluate';
export { SUPPORTED_OPS } from './ops';
export { replaceHead } from './head';

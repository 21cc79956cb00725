// `gen`: model + data -> firmware project. Calls the stages in order and writes only
// inside the output folder.
import * as fs from 'fs';
import * as path from 'path';
import { TinytrainError } from '../errors';
import { importOnnx } from '../onnx';
import { loadDataset, packSamples, quantizeInput } from '../data';
import { calibrate, quantize } from '../quant';
import { inferenceSchedule, planMemory } from '../memory';
import { generateProject } from '../codegen';
import { loadBoard } from '../boards';
import { VERSION } from '../version';
import { PACKAGE_ROOT } from '../codegen/templates';
import { copyRuntime } from '../toolchain/project';

export const DEFAULT_MODEL = path.join(PACKAGE_ROOT, 'models', 'default.onnx');
export const DEFAULT_DATA = '/usr/share/datasets/fashion-mnist';

export interface GenOptions {
  model?: string;
  data?: string;
  board: string;
  scheme: string;
  out: string;
  evalSamples: number;
  calibSamples: number;
  scale?: number;
  mean?: number[];
  std?: number[];
  printLogits?: boolean;
  log?: (line: string) => void;
}

export interface GenResult {
  out: string;
  report: Record<string, unknown>;
}

export async function gen(opts: GenOptions): Promise<GenResult> {
  const log = opts.log ?? (() => undefined);
  if (opts.scheme !== 'none') {
    throw new TinytrainError(`--scheme ${opts.scheme}: this version generates inference-only firmware; use --scheme none`, 'E_SCHEME');
  }
  const board = loadBoard(opts.board);
  const modelPath = path.resolve(opts.model ?? DEFAULT_MODEL);
  const dataDir = path.resolve(opts.data ?? DEFAULT_DATA);
  const bytes = readModel(modelPath);
  const graph = importOnnx(bytes, { name: path.basename(modelPath, '.onnx') });
  log(`model ${path.basename(modelPath)}: ${graph.nodes.length} ops, input ${graph.input.shape.join('x')}`);

  const [, c, h, w] = graph.input.shape;
  const normalize = { scale: opts.scale, mean: opts.mean, std: opts.std };
  const data = loadDataset(dataDir, {
    inputShape: [c, h, w],
    normalize: Object.fromEntries(Object.entries(normalize).filter(([, v]) => v !== undefined)),
    maxTrain: opts.calibSamples,
    maxTest: opts.evalSamples,
  });
  const sampleLen = c * h * w;
  const split = (x: Float32Array, n: number): Float32Array[] => Array.from({ length: n }, (_, i) => x.subarray(i * sampleLen, (i + 1) * sampleLen));
  const calibSet = split(data.train.x, Math.min(opts.calibSamples, data.train.count));
  const evalSet = split(data.test.x, Math.min(opts.evalSamples, data.test.count));
  log(`data ${dataDir}: ${calibSet.length} calibration, ${evalSet.length} evaluation samples`);

  const stats = await calibrate(bytes, graph, { samples: calibSet });
  const qgraph = quantize(graph, stats);
  const inQ = qgraph.tensors[qgraph.input];
  const samples = packSamples(
    { x: [], y: [] },
    { x: evalSet.map((x) => quantizeInput(x, inQ.scale, inQ.zeroPoint)), y: data.test.y.subarray(0, evalSet.length) },
    sampleLen,
  );
  const plan = planMemory(inferenceSchedule(qgraph));
  const project = generateProject({
    qgraph, plan, board, version: VERSION,
    modelName: path.basename(modelPath), modelPath, dataDir,
    graphNotes: graph.notes, samples, evalSamples: evalSet.length,
    printLogits: opts.printLogits ?? false,
    options: { ...opts, log: undefined },
    normalize: data.notes,
  });
  writeProject(path.resolve(opts.out), project.files);
  copyRuntime(path.resolve(opts.out));
  log(`wrote ${project.files.length} files to ${opts.out}: arena ${plan.arenaBytes} B (lower bound ${plan.lowerBoundBytes} B)`);
  return { out: path.resolve(opts.out), report: project.report };
}

function readModel(p: string): Uint8Array {
  if (!fs.existsSync(p)) throw new TinytrainError(`model file ${p} does not exist`, 'E_MODEL_MISSING');
  const st = fs.statSync(p);
  if (!st.isFile()) throw new TinytrainError(`model path ${p} is not a file`, 'E_MODEL_MISSING');
  if (st.size > 512 * 1024 * 1024) throw new TinytrainError(`model file ${p} is ${st.size} bytes; tinytrain accepts models up to 512 MB`, 'E_MODEL_SIZE');
  return fs.readFileSync(p);
}

/** Writes files under `out` only; every relative path is checked to stay inside it. */
export function writeProject(out: string, files: { path: string; content: string | Buffer }[]): void {
  for (const f of files) {
    const target = path.resolve(out, f.path);
    if (!target.startsWith(out + path.sep)) throw new Error(`refusing to write outside the output folder: ${f.path}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
  }
}

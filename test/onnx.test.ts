// Tests of the onnx/ stage. Oracles: PyTorch's float outputs saved next to each fixture
// (scripts/make_test_models.py) and onnxruntime-node on the original model, for the logits
// and, through exposeOutputs, for every canonical intermediate tensor.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/ir/graph';
import { TinytrainError } from '../src/errors';
import { evaluateGraph, exposeOutputs, importOnnx, SUPPORTED_OPS } from '../src/onnx';

const DIR = path.resolve(__dirname, '../../test/fixtures/models');
const RTOL = 1e-4;
const ATOL = 1e-5;

interface Fixture {
  model: string;
  inputShape: number[];
  outputShape: number[];
  cases: { input: number[]; output: number[] }[];
}

const bytesOf = (file: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(DIR, file)));
const fixtureOf = (name: string): Fixture => JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Fixture;
const load = (name: string): Graph => importOnnx(bytesOf(`${name}.onnx`), { name: `${name}.onnx` });

/** Compact "op(From+From)" listing of the canonical nodes. */
const opsOf = (g: Graph): string[] => g.nodes.map((n) => `${n.op}(${n.from.join('+')})`);

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const tol = ATOL + RTOL * Math.abs(want[i]);
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (|diff| ${Math.abs(got[i] - want[i])} > ${tol})`);
    }
  }
}

/** Run the original ONNX model in onnxruntime with every given tensor exposed as an output. */
async function runOrt(bytes: Uint8Array, input: Float32Array, shape: number[], tensors: string[]):
    Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(exposeOutputs(bytes, tensors));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, shape) };
  const res = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const k of Object.keys(res)) out[k] = res[k].data as Float32Array;
  return out;
}

/** Decode, edit and re-encode a fixture (for error and variant tests). */
function mutate(file: string, edit: (g: onnx.GraphProto, m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytesOf(file));
  edit(m.graph as onnx.GraphProto, m);
  return onnx.ModelProto.encode(m).finish();
}

function nodeNamed(g: onnx.GraphProto, name: string): onnx.NodeProto {
  const n = g.node.find((x) => x.name === name);
  if (!n) throw new Error(`fixture has no node ${name}`);
  return n as onnx.NodeProto;
}

function setAttr(n: onnx.INodeProto, a: onnx.IAttributeProto): void {
  n.attribute = (n.attribute ?? []).filter((x) => x.name !== a.name).concat([onnx.AttributeProto.create(a)]);
}

const AT = onnx.AttributeProto.AttributeType;

function expectError(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): TinytrainError {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof TinytrainError, `expected a TinytrainError, got ${String(caught)}`);
  const e = caught as TinytrainError;
  assert.equal(e.code, code, e.message);
  assert.ok(!e.message.includes('\n'), 'one-line message');
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(e.message.includes(p), `'${e.message}' should contain '${p}'`);
    else assert.match(e.message, p);
  }
  return e;
}

// ------------------------------------------------------------------ structure

interface Expect { ops: string[]; output: number[]; notes?: RegExp[]; opset: number; }

const EXPECT: Record<string, Expect> = {
  conv_bn_relu_pool_fc: {
    opset: 13, output: [1, 10],
    ops: ['conv(Conv+Relu)', 'maxpool(MaxPool)', 'conv(Conv+Relu)', 'reshape(Flatten)', 'gemm(Gemm)'],
  },
  dw_separable_residual: {
    opset: 13, output: [1, 5],
    ops: ['conv(Conv+Clip)', 'conv(Conv+Clip)', 'conv(Conv)', 'add(Add+Relu)', 'gap(GlobalAveragePool)',
          'reshape(Flatten)', 'gemm(Gemm)'],
  },
  grouped_conv: {
    opset: 11, output: [1, 4],
    ops: ['conv(Conv+Relu)', 'conv(Conv)', 'act(Relu)', 'add(Add)', 'conv(Conv)', 'reshape(Reshape)', 'gemm(Gemm)'],
  },
  avgpool_pad: {
    opset: 13, output: [1, 3],
    ops: ['conv(Conv)', 'avgpool(Pad+AveragePool)', 'conv(Conv+Relu)', 'avgpool(AveragePool)',
          'avgpool(AveragePool)', 'reshape(Flatten)', 'gemm(Gemm)'],
  },
  reducemean: {
    opset: 13, output: [1, 6],
    ops: ['conv(Conv+Relu)', 'conv(Conv+Relu)', 'gap(ReduceMean)', 'gemm(Gemm)'],
  },
  matmul_add: {
    opset: 13, output: [1, 7], notes: [/^folded 1 BatchNormalization node into the preceding Conv\/Gemm$/],
    ops: ['conv(Conv+Relu)', 'reshape(Flatten)', 'gemm(MatMul+Add+BatchNormalization+Relu)', 'gemm(MatMul)'],
  },
  dynamic_batch: {
    opset: 11, output: [1, 10], notes: [/^symbolic batch dimension 'batch' fixed to 1$/],
    ops: ['conv(Conv+Relu)', 'maxpool(MaxPool)', 'reshape(Reshape)', 'gemm(Gemm)'],
  },
  opset17_mix: {
    opset: 17, output: [1, 10, 1, 1],
    ops: ['conv(Conv+Relu+Clip)', 'maxpool(MaxPool)', 'conv(Conv+Clip)', 'conv(Conv)', 'gap(GlobalAveragePool)'],
  },
  preserve_bn: {
    opset: 13, output: [1, 10], notes: [/folded 3 BatchNormalization nodes/],
    ops: ['conv(Conv+BatchNormalization+Relu)', 'conv(Conv+BatchNormalization+Relu+Clip)', 'reshape(Flatten)',
          'gemm(Gemm+BatchNormalization+Relu)', 'gemm(Gemm)'],
  },
  relu6_opset10: {
    opset: 10, output: [1, 10],
    ops: ['conv(Conv+Relu+Clip)', 'reshape(Flatten)', 'gemm(Gemm)'],
  },
  interleaved_branches: {
    opset: 13, output: [1, 5],
    ops: ['conv(Conv+Relu)', 'conv(Conv+Relu)', 'conv(Conv+Relu)', 'conv(Conv)', 'conv(Conv)', 'add(Add+Relu)',
          'gap(GlobalAveragePool)', 'reshape(Flatten)', 'gemm(Gemm)'],
  },
  inverted_residual_s2: {
    opset: 13, output: [1, 5],
    ops: ['conv(Conv+Clip)', 'conv(Conv+Clip)', 'conv(Conv+Clip)', 'conv(Conv)', 'gap(GlobalAveragePool)',
          'reshape(Flatten)', 'gemm(Gemm)'],
  },
  handmade_misc: {
    opset: 13, output: [1, 3], notes: [/Pad 'pad_before_maxpool' folded into MaxPool 'maxpool'/],
    ops: ['conv(Conv+Relu)', 'maxpool(Pad+MaxPool)', 'conv(Conv+Clip)', 'add(Add+Clip)', 'gap(GlobalAveragePool)',
          'reshape(Squeeze)', 'gemm(Gemm+Identity)'],
  },
  handmade_opset18: {
    opset: 18, output: [1, 4], notes: [/^symbolic batch dimension 'N' fixed to 1$/],
    ops: ['conv(Pad+Conv+Relu)', 'gap(ReduceMean)', 'reshape(Reshape)', 'gemm(MatMul+Add)'],
  },
  handmade_shapefold: {
    opset: 13, output: [1, 5, 1, 1],
    ops: ['conv(Conv)', 'reshape(Reshape+Flatten)', 'gemm(Gemm)', 'reshape(Unsqueeze)'],
  },
};

const VALID = Object.keys(EXPECT);

describe('onnx: fixtures', () => {
  it('every valid fixture model has an expectation and an oracle file', () => {
    const onDisk = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    assert.deepEqual(onDisk, [...VALID].sort());
    for (const f of fs.readdirSync(DIR)) assert.ok(fs.statSync(path.join(DIR, f)).size < 200 * 1024, `${f} < 200 KB`);
  });

  for (const name of VALID) {
    describe(name, () => {
      const exp = EXPECT[name];
      const fx = fixtureOf(name);
      let g: Graph;
      before(() => { g = load(name); });

      it('imports to the expected canonical ops, shapes and notes', () => {
        assert.deepEqual(opsOf(g), exp.ops);
        assert.equal(g.name, name);
        assert.equal(g.opsetVersion, exp.opset);
        assert.deepEqual(g.input.shape, [1, ...fx.inputShape.slice(1)]);
        assert.deepEqual(g.shapes[g.output], exp.output);
        assert.deepEqual(g.shapes[g.input.name], g.input.shape);
        for (const re of exp.notes ?? []) assert.ok(g.notes.some((s) => re.test(s)), `notes ${JSON.stringify(g.notes)} ~ ${re}`);
        if (!exp.notes) assert.deepEqual(g.notes, []);
        // Topological order; every tensor has a shape; activations are [1,K] or [1,C,H,W].
        const seen = new Set([g.input.name]);
        for (const n of g.nodes) {
          for (const t of n.inputs) assert.ok(seen.has(t), `${n.name} reads ${t} before it is produced`);
          seen.add(n.output);
          const s = g.shapes[n.output];
          assert.ok(s && s[0] === 1 && (s.length === 2 || s.length === 4), `${n.output} shape ${s}`);
        }
        assert.equal(g.nodes[g.nodes.length - 1].output, g.output);
      });

      it('matches the PyTorch outputs', () => {
        for (const [k, c] of fx.cases.entries()) {
          const env = evaluateGraph(g, Float32Array.from(c.input));
          assertClose(env[g.output], c.output, `${name} case ${k}`);
        }
      });

      it('matches onnxruntime on the original model, logits and every canonical tensor', async () => {
        const bytes = bytesOf(`${name}.onnx`);
        const tensors = g.nodes.map((n) => n.output);
        for (const c of fx.cases) {
          const x = Float32Array.from(c.input);
          const ref = await runOrt(bytes, x, g.input.shape, tensors);
          const env = evaluateGraph(g, x);
          for (const t of tensors) assertClose(env[t], ref[t], `${name}:${t}`);
        }
      });
    });
  }
});

describe('onnx: canonicalization details', () => {
  it('folds BN into conv weights: conv_bn_relu_pool_fc (eval export) and preserve_bn (BN nodes kept)', () => {
    const g = load('preserve_bn');
    const c1 = g.nodes[0];
    assert.equal(c1.op, 'conv');
    if (c1.op !== 'conv') return;
    assert.equal(c1.output, '/Relu_output_0', 'canonical name is the Relu output');
    assert.deepEqual(c1.act, { kind: 'relu' });
    const c2 = g.nodes[1];
    assert.ok(c2.op === 'conv' && c2.group === 4 && c2.weightShape[1] === 1, 'depthwise');
    assert.ok(c2.op === 'conv' && c2.act.kind === 'clip' && c2.act.min === 0 && c2.act.max === 6, 'ReLU then Clip(0,6) -> clip(0,6)');
  });

  it('keeps a Relu on a shared tensor as a standalone act node and names tensors after ONNX', () => {
    const g = load('grouped_conv');
    const act = g.nodes.find((n) => n.op === 'act');
    assert.ok(act && act.op === 'act');
    assert.deepEqual(act.inputs, ['/c2/Conv_output_0']);
    assert.equal(act.output, '/Relu_1_output_0');
    const c1 = g.nodes[0];
    assert.ok(c1.op === 'conv' && c1.group === 1);
    assert.deepEqual(c1.op === 'conv' && [c1.strides, c1.pads, c1.weightShape], [[1, 2], [1, 2, 1, 2], [8, 4, 3, 5]]);
    assert.ok(g.nodes[1].op === 'conv' && g.nodes[1].group === 2);
  });

  it('folds Pad into AveragePool with countIncludePad, keeps count_include_pad=False pools', () => {
    const g = load('avgpool_pad');
    const pools = g.nodes.filter((n) => n.op === 'avgpool');
    assert.deepEqual(pools.map((p) => p.op === 'avgpool' && [p.pads, p.countIncludePad, p.kernel, p.strides]), [
      [[1, 1, 1, 1], true, [3, 3], [2, 2]],
      [[1, 1, 1, 1], false, [3, 3], [2, 2]],
      [[0, 0, 0, 0], true, [2, 2], [2, 2]],
    ]);
  });

  it('ReduceMean keepdims=0 gives [1,C]; opset 18 axes input with keepdims=1 gives [1,C,1,1]', () => {
    assert.deepEqual(load('reducemean').shapes['/ReduceMean_output_0'], [1, 12]);
    assert.deepEqual(load('handmade_opset18').shapes['m'], [1, 5, 1, 1]);
  });

  it('resolves SAME_UPPER, Pad before Conv (asymmetric), Gemm transB=0 with alpha/beta, one-sided Clip', () => {
    const g = load('handmade_misc');
    const c = g.nodes[0];
    assert.ok(c.op === 'conv');
    assert.deepEqual(c.op === 'conv' && c.pads, [0, 0, 1, 1]);
    const k2 = g.nodes[2];
    assert.ok(k2.op === 'conv' && k2.act.kind === 'clip' && Math.abs(k2.act.min - 0.05) < 1e-7 && k2.act.max === Infinity);
    const add = g.nodes[3];
    assert.ok(add.op === 'add' && add.act.kind === 'clip' && add.act.min === -Infinity && add.act.max === 2);
    assert.equal(g.output, 'out');
    const g18 = load('handmade_opset18');
    assert.deepEqual(g18.nodes[0].op === 'conv' && g18.nodes[0].pads, [1, 2, 2, 1]);
    assert.equal(g18.nodes[0].inputs[0], 'x');
  });

  it('a graph input that is also an initializer is not the data input', () => {
    const bytes = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      g.input.push(onnx.ValueInfoProto.create({ name: 'fc.weight', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 10 }, { dimValue: 392 }] } } } }));
    });
    const g = importOnnx(bytes);
    assert.equal(g.input.name, 'input');
    assert.equal(g.name, 'torch_jit');
  });

  it('MaxPool ceil_mode=1 becomes extra bottom/right padding (checked against onnxruntime)', async () => {
    const bytes = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      const p = nodeNamed(g, '/p1/MaxPool');
      setAttr(p, { name: 'kernel_shape', type: AT.INTS, ints: [3, 3] });
      setAttr(p, { name: 'ceil_mode', type: AT.INT, i: 1 });
    });
    const g = importOnnx(bytes);
    const p = g.nodes[1];
    assert.ok(p.op === 'maxpool');
    assert.deepEqual(p.op === 'maxpool' && p.pads, [0, 0, 1, 1]);
    assert.deepEqual(g.shapes[p.output], [1, 4, 14, 14]);
    const x = Float32Array.from(fixtureOf('conv_bn_relu_pool_fc').cases[0].input);
    const ref = await runOrt(bytes, x, g.input.shape, [p.output]);
    const env = evaluateGraph(g, x);
    assertClose(env[p.output], ref[p.output], 'ceil maxpool');
    assertClose(env[g.output], ref[g.output], 'ceil maxpool logits');
  });

  it('AveragePool ceil_mode=1 with count_include_pad=0 (checked against onnxruntime)', async () => {
    const bytes = mutate('avgpool_pad.onnx', (g) => {
      setAttr(nodeNamed(g, '/p2/AveragePool'), { name: 'ceil_mode', type: AT.INT, i: 1 });
    });
    const g = importOnnx(bytes);
    const p = g.nodes[3];
    assert.deepEqual(p.op === 'avgpool' && [p.pads, p.countIncludePad], [[1, 1, 2, 2], false]);
    assert.deepEqual(g.shapes[p.output], [1, 6, 5, 5]);
    const x = Float32Array.from(fixtureOf('avgpool_pad').cases[1].input);
    const ref = await runOrt(bytes, x, g.input.shape, [p.output]);
    assertClose(evaluateGraph(g, x)[p.output], ref[p.output], 'ceil avgpool');
  });

  it('is pure: same bytes give equal graphs and the bytes are untouched', () => {
    const bytes = bytesOf('preserve_bn.onnx');
    const copy = Uint8Array.from(bytes);
    const a = importOnnx(bytes), b = importOnnx(bytes);
    assert.deepEqual(a, b);
    assert.deepEqual(bytes, copy);
  });

  it('lists the supported ops', () => {
    for (const op of ['Conv', 'BatchNormalization', 'Relu', 'Clip', 'Add', 'GlobalAveragePool', 'ReduceMean',
                      'AveragePool', 'MaxPool', 'Flatten', 'Reshape', 'Gemm', 'MatMul', 'Identity', 'Dropout',
                      'Constant', 'Pad', 'Squeeze', 'Unsqueeze', 'Shape', 'Gather', 'Concat']) {
      assert.ok(SUPPORTED_OPS.includes(op), op);
    }
  });
});

describe('onnx: exposeOutputs', () => {
  it('adds intermediate tensors that onnxruntime then reports', async () => {
    const bytes = bytesOf('dw_separable_residual.onnx');
    const exposed = exposeOutputs(bytes, ['/stem/stem.2/Clip_output_0', '/Relu_output_0', 'logits', 'input']);
    const session = await ort.InferenceSession.create(exposed);
    assert.deepEqual(session.outputNames, ['logits', '/stem/stem.2/Clip_output_0', '/Relu_output_0']);
    const g = load('dw_separable_residual');
    const x = Float32Array.from(fixtureOf('dw_separable_residual').cases[0].input);
    const res = await session.run({ input: new ort.Tensor('float32', x, [1, 3, 16, 16]) });
    assert.deepEqual(res['/stem/stem.2/Clip_output_0'].dims, [1, 8, 8, 8]);
    const env = evaluateGraph(g, x);
    assertClose(env['/stem/stem.2/Clip_output_0'], res['/stem/stem.2/Clip_output_0'].data as Float32Array, 'stem');
    // The exposed copy is for onnxruntime only: with several outputs importOnnx rejects it.
    expectError(() => importOnnx(exposed), 'E_GRAPH_IO', 'outputs');
  });

  it('rejects unknown tensor names and corrupt bytes', () => {
    expectError(() => exposeOutputs(bytesOf('reducemean.onnx'), ['nope']), 'E_GRAPH_IO', "'nope'");
    expectError(() => exposeOutputs(new Uint8Array(), ['x']), 'E_ONNX_CORRUPT');
  });
});

describe('onnx: errors', () => {
  it('truncated file', () => {
    expectError(() => importOnnx(bytesOf('truncated.onnx'), { name: 'models/truncated.onnx' }), 'E_ONNX_CORRUPT',
      /^truncated\.onnx is not a valid ONNX model: truncated or corrupt protobuf/);
  });

  it('empty file', () => {
    expectError(() => importOnnx(new Uint8Array(0)), 'E_ONNX_CORRUPT', 'model.onnx is not a valid ONNX model: the file is empty');
    expectError(() => importOnnx(new Uint8Array(0), { name: 'lenet' }), 'E_ONNX_CORRUPT', /^lenet\.onnx is not a valid ONNX model/);
  });

  it('corrupt bytes (random, and a JSON file)', () => {
    let seed = 12345;
    const rnd = new Uint8Array(4096).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    expectError(() => importOnnx(rnd), 'E_ONNX_CORRUPT', 'model.onnx is not a valid ONNX model');
    expectError(() => importOnnx(bytesOf('reducemean.json')), 'E_ONNX_CORRUPT', 'is not a valid ONNX model');
    const bad = Uint8Array.from(bytesOf('reducemean.onnx'));
    for (let i = 100; i < bad.length; i += 7) bad[i] ^= 0x5a;
    expectError(() => importOnnx(bad), 'E_ONNX_CORRUPT');
  });

  it('unsupported op names the node, the op type and the supported list', () => {
    expectError(() => load('unsupported_sigmoid'), 'E_UNSUPPORTED_OP',
      "node '/Sigmoid' (Sigmoid) is not supported", 'supported ops: Add, AveragePool', 'Conv');
  });

  it('non-default domain op', () => {
    const bytes = mutate('conv_bn_relu_pool_fc.onnx', (g) => { nodeNamed(g, '/Relu').domain = 'com.microsoft'; });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_OP', "node '/Relu' (com.microsoft.Relu)");
  });

  it('output that is not logits', () => {
    const bytes = mutate('conv_bn_relu_pool_fc.onnx', (g) => { g.output[0].name = '/p1/MaxPool_output_0'; });
    expectError(() => importOnnx(bytes), 'E_GRAPH_IO', "output '/p1/MaxPool_output_0' has shape [1,4,14,14]", '[1,classes]');
  });

  it('wrong input rank', () => {
    expectError(() => load('mlp_rank2'), 'E_SHAPE', "input 'input' has rank 2", '[1,C,H,W]');
  });

  it('symbolic spatial dimension and static batch > 1', () => {
    const sym = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      const d = g.input[0].type?.tensorType?.shape?.dim ?? [];
      d[2] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'h' });
    });
    expectError(() => importOnnx(sym), 'E_SHAPE', 'dimension 2 is not static (h)');
    const b4 = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      const d = g.input[0].type?.tensorType?.shape?.dim ?? [];
      d[0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 4 });
    });
    expectError(() => importOnnx(b4), 'E_SHAPE', 'batch size 4');
  });

  it('dilation != 1', () => {
    const bytes = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      setAttr(nodeNamed(g, '/c2/Conv'), { name: 'dilations', type: AT.INTS, ints: [2, 2] });
    });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_ATTR', "node '/c2/Conv' (Conv)", 'dilations [2,2]');
  });

  it('unknown auto_pad', () => {
    const bytes = mutate('handmade_misc.onnx', (g) => {
      setAttr(nodeNamed(g, 'conv_same'), { name: 'auto_pad', type: AT.STRING, s: Buffer.from('BOGUS') });
    });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_ATTR', "node 'conv_same' (Conv)", "auto_pad 'BOGUS'");
  });

  it('Gemm transA=1', () => {
    const bytes = mutate('reducemean.onnx', (g) => {
      setAttr(nodeNamed(g, '/fc/Gemm'), { name: 'transA', type: AT.INT, i: 1 });
    });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_ATTR', "node '/fc/Gemm' (Gemm)", 'transA=1');
  });

  it('Reshape not to 2-D', () => {
    const bytes = mutate('grouped_conv.onnx', (g) => {
      setAttr(nodeNamed(g, '/Constant'), {
        name: 'value', type: AT.TENSOR,
        t: { dims: [3], dataType: 7, int64Data: [1, 6, -1] },
      });
    });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_ATTR', "node '/Reshape' (Reshape)", '[1,6,12,6] to [1,6,72]', '2-D');
  });

  it('Add with broadcasting', () => {
    const bytes = mutate('grouped_conv.onnx', (g) => { nodeNamed(g, '/Add').input = ['/Relu_1_output_0', 'input']; });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_ATTR', "node '/Add' (Add)", 'broadcasting ([1,8,12,6] + [1,4,12,12])');
  });

  it('more than one output; more than one data input', () => {
    const two = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      g.output.push(onnx.ValueInfoProto.create({ name: '/Relu_output_0', type: { tensorType: { elemType: 1 } } }));
    });
    expectError(() => importOnnx(two), 'E_GRAPH_IO', 'has 2 outputs', 'exactly one');
    const twoIn = mutate('conv_bn_relu_pool_fc.onnx', (g) => {
      g.input.push(onnx.ValueInfoProto.create({ name: 'mask', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }));
    });
    expectError(() => importOnnx(twoIn), 'E_GRAPH_IO', "multiple graph inputs with non-initializer data ('input', 'mask')");
  });

  it('BatchNormalization not after a conv, and in training mode', () => {
    const afterRelu = mutate('preserve_bn.onnx', (g) => { nodeNamed(g, '/b2/BatchNormalization').input[0] = '/Relu_output_0'; });
    expectError(() => importOnnx(afterRelu), 'E_UNSUPPORTED_PATTERN', "node '/b2/BatchNormalization' (BatchNormalization)", 'directly after a Conv/Gemm');
    const training = mutate('preserve_bn.onnx', (g) => {
      setAttr(nodeNamed(g, '/b1/BatchNormalization'), { name: 'training_mode', type: AT.INT, i: 1 });
    });
    expectError(() => importOnnx(training), 'E_UNSUPPORTED_ATTR', "'/b1/BatchNormalization'", 'training_mode=1');
  });

  it('zero Pad before MaxPool whose input may be negative', () => {
    const bytes = mutate('handmade_misc.onnx', (g) => { nodeNamed(g, 'pad_before_maxpool').input[0] = 'id1'; });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_PATTERN', "node 'pad_before_maxpool' (Pad)", 'can be negative');
  });

  it('Clip bound computed from the image', () => {
    const bytes = mutate('opset17_mix.onnx', (g) => { nodeNamed(g, '/Clip_1').input[2] = '/p1/MaxPool_output_0'; });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_PATTERN', "node '/Clip_1' (Clip)", 'max', 'must be a constant');
  });

  it('AveragePool ceil_mode=1 with count_include_pad=1 when it changes the size', () => {
    const bytes = mutate('avgpool_pad.onnx', (g) => {
      const p = nodeNamed(g, '/p2/AveragePool');
      setAttr(p, { name: 'ceil_mode', type: AT.INT, i: 1 });
      setAttr(p, { name: 'count_include_pad', type: AT.INT, i: 1 });
    });
    expectError(() => importOnnx(bytes), 'E_UNSUPPORTED_ATTR', "'/p2/AveragePool' (AveragePool)", 'ceil_mode=1');
  });
});

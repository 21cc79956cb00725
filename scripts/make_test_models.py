#!/usr/bin/env python3
"""Generate the ONNX fixture models for test/onnx.test.ts.

Run with Debian's python3 (torch 1.13, onnx 1.12):
    /usr/bin/python3 scripts/make_test_models.py [outdir]

Every valid model gets a sibling JSON fixture with two deterministic random inputs and
PyTorch's float outputs, so the tests have an oracle that does not depend on our code
or on onnxruntime. Seeds are fixed so re-running reproduces the same files.
"""
import io
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'models')


def randomize_bn(model, gen):
    """Give every BN non-trivial running stats and affine params so folding is tested."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.3)
            m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.25)
            m.weight.data.copy_(torch.randn(n, generator=gen) * 0.5 + 1.0)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.2)


def f32list(t):
    """float32 values with 9 significant digits: exact round trip, half the JSON size."""
    return [float('%.9g' % v) for v in t.flatten().tolist()]


# ---------------------------------------------------------------- models

class ConvBnReluPoolFc(nn.Module):
    """Classic LeNet-ish block: conv+BN+ReLU, maxpool, strided conv, flatten, linear."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1)
        self.b1 = nn.BatchNorm2d(4)
        self.p1 = nn.MaxPool2d(2)
        self.c2 = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = self.p1(F.relu(self.b1(self.c1(x))))
        x = F.relu(self.b2(self.c2(x)))
        return self.fc(torch.flatten(x, 1))


class DwSeparableResidual(nn.Module):
    """MobileNetV2-style: ReLU6 (Clip), depthwise, pointwise, residual add, GAP, linear."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
                                nn.BatchNorm2d(8), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw(self.dw(x))
        x = F.relu(x)
        return self.fc(torch.flatten(self.pool(x), 1))


class InterleavedBranches(nn.Module):
    """Two branches joined by an add, written so that the exported graph interleaves them
    (wide a1, wide b1, then narrow a2, b2): a memory-aware order runs one branch at a time."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.a1 = nn.Conv2d(4, 32, 1)
        self.b1 = nn.Conv2d(4, 32, 1)
        self.a2 = nn.Conv2d(32, 4, 3, padding=1)
        self.b2 = nn.Conv2d(32, 4, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = F.relu(self.stem(x))
        a = F.relu(self.a1(x))
        b = F.relu(self.b1(x))
        a = self.a2(a)
        b = self.b2(b)
        y = F.relu(a + b)
        return self.fc(torch.flatten(self.pool(y), 1))


class InvertedResidualS2(nn.Module):
    """MobileNetV2 block with a stride-2 depthwise: expand 1x1 (ReLU6), depthwise 3x3 stride 2
    (ReLU6), project 1x1, then GAP and linear. Updating the expand conv needs the
    depthwise's input gradient, which the compiler streams channel by channel."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.expand = nn.Sequential(nn.Conv2d(8, 24, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(24, 24, 3, stride=2, padding=1, groups=24, bias=False),
                                nn.BatchNorm2d(24), nn.ReLU6())
        self.project = nn.Sequential(nn.Conv2d(24, 12, 1, bias=False), nn.BatchNorm2d(12))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = self.project(self.dw(self.expand(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class GroupedConv(nn.Module):
    """Grouped conv (groups=2), asymmetric kernel/stride/padding, a ReLU on a shared tensor
    (stays a standalone act node) summed with its own input, Reshape to [1,-1]."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 8, (3, 5), stride=(1, 2), padding=(1, 2))
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.c3 = nn.Conv2d(8, 6, 1, groups=2)
        self.fc = nn.Linear(6 * 12 * 6, 4)

    def forward(self, x):
        x = F.relu(self.c1(x))
        y = self.c2(x)
        x = F.relu(y) + y
        x = self.c3(x)
        return self.fc(x.reshape(1, -1))


class AvgPoolPad(nn.Module):
    """AvgPool2d with padding: count_include_pad=True (Pad node) and False (pool pads)."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, padding=1)
        self.p1 = nn.AvgPool2d(3, stride=2, padding=1)                          # Pad + AveragePool
        self.c2 = nn.Conv2d(6, 6, 3, padding=1)
        self.p2 = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)  # pool pads
        self.p3 = nn.AvgPool2d(2)
        self.fc = nn.Linear(6 * 2 * 2, 3)

    def forward(self, x):
        x = self.p1(self.c1(x))
        x = self.p2(F.relu(self.c2(x)))
        x = self.p3(x)
        return self.fc(torch.flatten(x, 1))


class ReduceMeanHead(nn.Module):
    """x.mean((2,3)) -> ReduceMean(axes=[2,3], keepdims=0), then Linear."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 12, 3, padding=1)
        self.fc = nn.Linear(12, 6)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.relu(self.c2(x))
        return self.fc(x.mean((2, 3)))


class MatMulAdd(nn.Module):
    """A hand-written linear layer: x @ W + b -> MatMul + Add (fused into a gemm), then a
    BatchNorm1d that stays a BatchNormalization node (folded after the bias)."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 5, stride=3)
        self.w = nn.Parameter(torch.randn(4 * 8 * 8, 10) * 0.05)
        self.b = nn.Parameter(torch.randn(10) * 0.1)
        self.bn = nn.BatchNorm1d(10)
        self.w2 = nn.Parameter(torch.randn(10, 7) * 0.2)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = torch.flatten(x, 1)
        x = F.relu(self.bn(x @ self.w + self.b))
        return x @ self.w2


class DynamicBatch(nn.Module):
    """Old-style x.view(x.size(0), -1): with a dynamic batch axis this leaves
    Shape/Gather/Unsqueeze/Concat feeding Reshape in the exported graph."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 3, stride=2)
        self.p = nn.MaxPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(6 * 7 * 7, 10)

    def forward(self, x):
        x = self.p(F.relu(self.c1(x)))
        x = x.view(x.size(0), -1)
        return self.fc(x)


class Opset17Mix(nn.Module):
    """Exported at opset 17: ReLU6 via Clip inputs, maxpool, BN, GAP as 4-D output."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.b1 = nn.BatchNorm2d(8)
        self.p1 = nn.MaxPool2d(2)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.c2 = nn.Conv2d(8, 10, 1)

    def forward(self, x):
        x = self.p1(F.relu6(self.b1(self.c1(x))))
        x = F.hardtanh(self.dw(x), -1.0, 1.0)
        x = self.c2(x)
        return F.adaptive_avg_pool2d(x, 1)           # logits shaped [1,10,1,1]


class PreserveBn(nn.Module):
    """Exported with TrainingMode.PRESERVE (in eval mode): BN nodes stay in the graph,
    after a conv and after a linear (BatchNorm1d on [1,N])."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.b1 = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.b2 = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 14 * 14, 16)
        self.b3 = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.relu6(self.b2(self.c2(x)))
        x = F.relu(self.b3(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


class Relu6Opset10(nn.Module):
    """Opset 10: Clip carries min/max as attributes."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, stride=2)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        x = F.relu6(self.c1(x))
        return self.fc(torch.flatten(x, 1))


class SigmoidNet(nn.Module):
    """Unsupported op (Sigmoid) for the error test."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, stride=3)
        self.fc = nn.Linear(4 * 9 * 9, 10)

    def forward(self, x):
        return self.fc(torch.flatten(torch.sigmoid(self.c1(x)), 1))


class Mlp2d(nn.Module):
    """2-D input [1,784]: wrong input rank for a CNN compiler (error test)."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x)


# ---------------------------------------------------------------- export

def export(name, model, shape, seed, opset=13, dynamic=False, training=None, oracle=True,
           note=''):
    gen = torch.Generator().manual_seed(seed + 1000)
    randomize_bn(model, gen)
    model.eval()
    x = torch.randn(*shape, generator=gen)
    kwargs = dict(opset_version=opset, input_names=['input'], output_names=['logits'],
                  do_constant_folding=True)
    if dynamic:
        kwargs['dynamic_axes'] = {'input': {0: 'batch'}, 'logits': {0: 'batch'}}
    if training is not None:
        kwargs['training'] = training
    buf = io.BytesIO()
    torch.onnx.export(model, x, buf, **kwargs)
    data = buf.getvalue()
    assert len(data) < 200 * 1024, (name, len(data))
    with open(os.path.join(OUT, name + '.onnx'), 'wb') as f:
        f.write(data)
    if oracle:
        cases = []
        with torch.no_grad():
            for k in range(2):
                xi = torch.randn(*shape, generator=gen)
                y = model(xi)
                cases.append({'input': f32list(xi), 'output': f32list(y)})
        fixture = {'model': name + '.onnx', 'note': note, 'opset': opset,
                   'inputShape': list(shape), 'outputShape': list(y.shape),
                   'torch': torch.__version__, 'cases': cases}
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(fixture, f)
    return data


# ---------------------------------------------------------------- hand-built graphs
# Patterns PyTorch's exporter does not write but other tools do (Identity, Dropout,
# auto_pad, Gemm transB=0 with alpha/beta, Clip with one bound, Pad before conv/maxpool,
# Squeeze of a pooled tensor, opset 18 ReduceMean with axes as an input). Built with
# onnx.helper; the oracle is the same computation written with torch.nn.functional.

def _f(t):
    return t.detach().numpy().astype('float32')


def _save_handmade(name, model, ref, shape, seed, note, opset):
    import onnx
    data = model.SerializeToString()
    assert len(data) < 200 * 1024
    with open(os.path.join(OUT, name + '.onnx'), 'wb') as f:
        f.write(data)
    gen = torch.Generator().manual_seed(seed + 2000)
    cases = []
    with torch.no_grad():
        for k in range(2):
            xi = torch.randn(*shape, generator=gen)
            y = ref(xi)
            cases.append({'input': f32list(xi), 'output': f32list(y)})
    fixture = {'model': name + '.onnx', 'note': note, 'opset': opset, 'inputShape': list(shape),
               'outputShape': list(y.shape), 'torch': torch.__version__, 'cases': cases}
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(fixture, f)
    return data


def handmade_misc(seed):
    from onnx import helper, numpy_helper, TensorProto
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(4, 2, 3, 3, generator=g) * 0.4
    w2 = torch.randn(4, 1, 3, 3, generator=g) * 0.4
    b2 = torch.randn(4, generator=g) * 0.1
    wg = torch.randn(4, 3, generator=g) * 0.5            # Gemm B with transB=0: [K,N]
    bg = torch.randn(3, generator=g) * 0.1
    init = [numpy_helper.from_array(_f(w1), 'w1'), numpy_helper.from_array(_f(w2), 'w2'),
            numpy_helper.from_array(_f(b2), 'b2'), numpy_helper.from_array(_f(wg), 'wg'),
            numpy_helper.from_array(_f(bg), 'bg')]
    i64 = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)
    nodes = [
        helper.make_node('Conv', ['x', 'w1'], ['c1'], name='conv_same', strides=[2, 2],
                         auto_pad='SAME_UPPER', kernel_shape=[3, 3]),
        helper.make_node('Identity', ['c1'], ['id1'], name='identity_mid'),
        helper.make_node('Relu', ['id1'], ['r1'], name='relu1'),
        helper.make_node('Constant', [], ['pads1'], name='pads_const',
                         value=helper.make_tensor('pads1v', TensorProto.INT64, [8],
                                                  [0, 0, 1, 1, 0, 0, 1, 1])),
        helper.make_node('Pad', ['r1', 'pads1'], ['p1'], name='pad_before_maxpool', mode='constant'),
        helper.make_node('MaxPool', ['p1'], ['m1'], name='maxpool', kernel_shape=[3, 3]),
        helper.make_node('Dropout', ['m1'], ['d1'], name='dropout'),
        helper.make_node('Conv', ['d1', 'w2', 'b2'], ['c2'], name='conv_dw', group=4,
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node('Constant', [], ['lo'], name='clip_lo', value_float=0.05),
        helper.make_node('Clip', ['c2', 'lo'], ['k2'], name='clip_min_only'),
        helper.make_node('Add', ['k2', 'd1'], ['a'], name='residual'),
        helper.make_node('Constant', [], ['hi'], name='clip_hi',
                         value=helper.make_tensor('hiv', TensorProto.FLOAT, [], [2.0])),
        helper.make_node('Clip', ['a', '', 'hi'], ['k3'], name='clip_max_only'),
        helper.make_node('GlobalAveragePool', ['k3'], ['gap'], name='gap'),
        helper.make_node('Constant', [], ['sq_axes'], name='sq_axes', value=i64('sqv', [2, 3])),
        helper.make_node('Squeeze', ['gap', 'sq_axes'], ['sq'], name='squeeze'),
        helper.make_node('Gemm', ['sq', 'wg', 'bg'], ['gm'], name='gemm_nt', alpha=0.5, beta=2.0),
        helper.make_node('Identity', ['gm'], ['out'], name='identity_out'),
    ]
    graph = helper.make_graph(nodes, 'handmade_misc',
                              [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 10, 10])],
                              [helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, 3])],
                              init)
    model = helper.make_model(graph, producer_name='make_test_models.py',
                              opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 7

    def ref(x):
        y = F.conv2d(F.pad(x, (0, 1, 0, 1)), w1, stride=2)      # SAME_UPPER: extra pad at end
        y = F.max_pool2d(F.pad(F.relu(y), (1, 1, 1, 1)), 3, stride=1)
        z = torch.clamp(F.conv2d(y, w2, b2, padding=1, groups=4), min=0.05)
        a = torch.clamp(z + y, max=2.0)
        v = a.mean((2, 3))
        return 0.5 * (v @ wg) + 2.0 * bg

    return _save_handmade('handmade_misc', model, ref, (1, 2, 10, 10), seed,
                          'Identity, Dropout, SAME_UPPER, Pad->MaxPool, Clip one-sided, '
                          'Squeeze after GAP, Gemm transB=0 alpha/beta', 13)


def handmade_opset18(seed):
    from onnx import helper, numpy_helper, TensorProto
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(5, 3, 3, 3, generator=g) * 0.3
    b1 = torch.randn(5, generator=g) * 0.1
    wm = torch.randn(5, 4, generator=g) * 0.5
    bm = torch.randn(1, 4, generator=g) * 0.1
    init = [numpy_helper.from_array(_f(w1), 'w1'), numpy_helper.from_array(_f(b1), 'b1'),
            numpy_helper.from_array(_f(wm), 'wm'), numpy_helper.from_array(_f(bm), 'bm'),
            numpy_helper.from_array(__import__('numpy').array([0, 0, 1, 2, 0, 0, 2, 1], 'int64'), 'pads'),
            numpy_helper.from_array(__import__('numpy').array([-2, -1], 'int64'), 'axes'),
            numpy_helper.from_array(__import__('numpy').array([0, -1], 'int64'), 'shape2')]
    nodes = [
        helper.make_node('Pad', ['x', 'pads'], ['p'], name='pad_before_conv', mode='constant'),
        helper.make_node('Conv', ['p', 'w1', 'b1'], ['c'], name='conv', kernel_shape=[3, 3],
                         strides=[2, 2]),
        helper.make_node('Relu', ['c'], ['r'], name='relu'),
        helper.make_node('ReduceMean', ['r', 'axes'], ['m'], name='reducemean', keepdims=1),
        helper.make_node('Reshape', ['m', 'shape2'], ['f'], name='reshape'),
        helper.make_node('MatMul', ['f', 'wm'], ['mm'], name='matmul'),
        helper.make_node('Add', ['bm', 'mm'], ['out'], name='bias'),
    ]
    graph = helper.make_graph(nodes, 'handmade_opset18',
                              [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3, 9, 9])],
                              [helper.make_tensor_value_info('out', TensorProto.FLOAT, ['N', 4])],
                              init)
    model = helper.make_model(graph, producer_name='make_test_models.py',
                              opset_imports=[helper.make_opsetid('', 18)])
    model.ir_version = 8

    def ref(x):
        y = F.relu(F.conv2d(F.pad(x, (2, 1, 1, 2)), w1, b1, stride=2))   # (left,right,top,bottom)
        return y.mean((2, 3)) @ wm + bm

    return _save_handmade('handmade_opset18', model, ref, (1, 3, 9, 9), seed,
                          'opset 18 ReduceMean axes input, asymmetric Pad->Conv, Reshape [0,-1], '
                          'MatMul + Add(bias first), symbolic batch N', 18)


def handmade_shapefold(seed):
    """Shape arithmetic on constants (Shape, Slice, Mul, Cast, Gather, Unsqueeze, Concat)
    feeding a no-op Reshape, Flatten(axis=-3), Gemm, and Unsqueeze to [1,N,1,1] logits."""
    from onnx import helper, numpy_helper, TensorProto
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(3, 2, 3, 3, generator=g) * 0.4
    fw = torch.randn(5, 48, generator=g) * 0.2
    i64 = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)
    nodes = [
        helper.make_node('Conv', ['x', 'w'], ['c'], name='conv', pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node('Shape', ['c'], ['s'], name='shape'),
        helper.make_node('Slice', ['s', 'st', 'en'], ['s01'], name='slice'),        # [1,3]
        helper.make_node('Constant', [], ['k'], name='k', value_ints=[4, 4]),
        helper.make_node('Mul', ['k', 'k1'], ['kk'], name='mul'),
        helper.make_node('Cast', ['kk'], ['kkc'], name='cast', to=TensorProto.INT64),
        helper.make_node('Gather', ['kkc', 'zero'], ['h'], name='gather'),
        helper.make_node('Unsqueeze', ['h', 'ax0'], ['hu'], name='unsqueeze_h'),
        helper.make_node('Concat', ['s01', 'hu', 'hu'], ['shp4'], name='concat', axis=0),  # [1,3,4,4]
        helper.make_node('Reshape', ['c', 'shp4'], ['c4'], name='reshape_noop'),
        helper.make_node('Flatten', ['c4'], ['f'], name='flatten', axis=-3),
        helper.make_node('Gemm', ['f', 'fw'], ['y'], name='gemm', transB=1),
        helper.make_node('Unsqueeze', ['y', 'ax23'], ['logits'], name='unsqueeze_out'),
    ]
    init = [numpy_helper.from_array(_f(w), 'w'), numpy_helper.from_array(_f(fw), 'fw'),
            i64('st', [0]), i64('en', [2]), i64('k1', [1, 1]),
            helper.make_tensor('zero', TensorProto.INT64, [], [0]), i64('ax0', [0]), i64('ax23', [2, 3])]
    graph = helper.make_graph(nodes, 'handmade_shapefold',
                              [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 8, 8])],
                              [helper.make_tensor_value_info('logits', TensorProto.FLOAT, [1, 5, 1, 1])],
                              init)
    model = helper.make_model(graph, producer_name='make_test_models.py',
                              opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 7

    def ref(x):
        y = F.conv2d(x, w, stride=2, padding=1)
        return (torch.flatten(y, 1) @ fw.t()).reshape(1, 5, 1, 1)

    return _save_handmade('handmade_shapefold', model, ref, (1, 2, 8, 8), seed,
                          handmade_shapefold.__doc__.strip(), 13)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    specs = [
        ('conv_bn_relu_pool_fc', ConvBnReluPoolFc, (1, 1, 28, 28), dict(opset=13)),
        ('dw_separable_residual', DwSeparableResidual, (1, 3, 16, 16), dict(opset=13)),
        ('grouped_conv', GroupedConv, (1, 4, 12, 12), dict(opset=11)),
        ('avgpool_pad', AvgPoolPad, (1, 3, 16, 16), dict(opset=13)),
        ('reducemean', ReduceMeanHead, (1, 3, 16, 16), dict(opset=13)),
        ('matmul_add', MatMulAdd, (1, 1, 28, 28), dict(opset=13)),
        ('dynamic_batch', DynamicBatch, (1, 1, 28, 28), dict(opset=11, dynamic=True)),
        ('opset17_mix', Opset17Mix, (1, 3, 16, 16), dict(opset=17)),
        ('preserve_bn', PreserveBn, (1, 1, 28, 28),
         dict(opset=13, training=torch.onnx.TrainingMode.PRESERVE)),
        ('relu6_opset10', Relu6Opset10, (1, 1, 28, 28), dict(opset=10)),
        ('unsupported_sigmoid', SigmoidNet, (1, 1, 28, 28), dict(opset=13, oracle=False)),
        ('mlp_rank2', Mlp2d, (1, 784), dict(opset=13, oracle=False)),
        ('interleaved_branches', InterleavedBranches, (1, 3, 16, 16), dict(opset=13)),
        ('inverted_residual_s2', InvertedResidualS2, (1, 3, 16, 16), dict(opset=13)),
    ]
    first = None
    for i, (name, cls, shape, kw) in enumerate(specs):
        torch.manual_seed(100 + i)
        model = cls()
        data = export(name, model, shape, seed=100 + i, note=(cls.__doc__ or '').strip(), **kw)
        if first is None:
            first = data
        print('%-24s %7d bytes' % (name + '.onnx', len(data)))
    for name, fn in (('handmade_misc', handmade_misc), ('handmade_opset18', handmade_opset18),
                     ('handmade_shapefold', handmade_shapefold)):
        data = fn(seed=12 + 200 + len(name))  # 12: the spec count when these were made
        print('%-24s %7d bytes' % (name + '.onnx', len(data)))
    # A truncated copy of the first model: must be rejected with a one-line error.
    with open(os.path.join(OUT, 'truncated.onnx'), 'wb') as f:
        f.write(first[:len(first) // 2])
    print('%-24s %7d bytes' % ('truncated.onnx', len(first) // 2))


if __name__ == '__main__':
    main()

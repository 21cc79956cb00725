#!/usr/bin/python3
"""Convert a small ONNX CNN (as PyTorch exports them, opset 10-18) into a trainable nn.Module.

Run with Debian's python3 (torch 1.13, onnx 1.12, numpy); no onnxruntime needed.

    from onnx_to_torch import OnnxModule
    net = OnnxModule.load("models/default.onnx")   # float initializers -> nn.Parameter
    logits = net(torch.zeros(1, 1, 28, 28))

The module interprets the ONNX graph node by node with differentiable torch ops, so the
whole model can be fine-tuned (it is *not* a re-implementation of a particular network).
Which initializers are trainable: every floating-point initializer that feeds a weight-like
input (Conv W/B, Gemm/MatMul operands, Add/Sub/Mul/Div operands, BatchNormalization
scale/bias, PRelu slope). Running mean/var, Clip bounds, Pad values and every integer
tensor (shapes, axes, pads) stay fixed constants. BatchNormalization always runs with its
running statistics (eval semantics); Dropout is the identity.

Supported ops: Conv (1-D/2-D, grouped/depthwise, pads/auto_pad/dilations),
BatchNormalization, Relu, LeakyRelu, PRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Clip
(attributes or constant inputs, one-sided), Add, Sub, Mul, Div, Neg, Sqrt, Pow,
GlobalAveragePool, GlobalMaxPool, ReduceMean/ReduceSum/ReduceMax (axes as attribute or
input), AveragePool, MaxPool (pads incl. asymmetric, ceil_mode, count_include_pad),
Flatten, Reshape (0 / -1), Squeeze, Unsqueeze, Transpose, Gemm (alpha/beta/transA/transB),
MatMul, Identity, Dropout, Constant, ConstantOfShape, Pad (constant/reflect/edge, opset
<11 attributes or >=11 inputs, opset-18 axes), Softmax, LogSoftmax, and the shape
arithmetic PyTorch emits (Shape, Gather, Slice, Concat, Cast, Range, Equal, Where, Expand).

Self-test: `python3 scripts/onnx_to_torch.py --selftest` runs every model in
test/fixtures/models that has a sibling JSON (deterministic inputs and PyTorch's float
outputs, written by scripts/make_test_models.py) and checks the converted module's outputs
and that every parameter receives a gradient.
"""
import argparse
import glob
import json
import math
import os
import re
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

# Inputs (by op, by position) whose initializer is a trainable weight. Anything else that is
# an initializer (running stats, bounds, pads, shapes, axes) is a fixed constant.
WEIGHT_INPUTS = {
    'Conv': {1, 2},
    'Gemm': {0, 1, 2},
    'MatMul': {0, 1},
    'Add': {0, 1}, 'Sub': {0, 1}, 'Mul': {0, 1}, 'Div': {0, 1},
    'BatchNormalization': {1, 2},
    'PRelu': {1},
}

ONNX_TO_TORCH_DTYPE = {
    onnx.TensorProto.FLOAT: torch.float32, onnx.TensorProto.DOUBLE: torch.float64,
    onnx.TensorProto.FLOAT16: torch.float16, onnx.TensorProto.INT64: torch.int64,
    onnx.TensorProto.INT32: torch.int32, onnx.TensorProto.INT16: torch.int16,
    onnx.TensorProto.INT8: torch.int8, onnx.TensorProto.UINT8: torch.uint8,
    onnx.TensorProto.BOOL: torch.bool,
}


class ConversionError(Exception):
    pass


def _tensor_from_numpy(a):
    a = np.array(a)  # own a writable copy
    if a.dtype.kind == 'f':
        a = a.astype(np.float32)  # train in float32 whatever the file stores
    return torch.from_numpy(a)


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _ints(t):
    """A constant tensor/list of integers -> python list."""
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        return [int(v) for v in t.reshape(-1).tolist()]
    return [int(v) for v in t]


def _scalar(t):
    if t is None:
        return None
    if isinstance(t, torch.Tensor):
        return float(t.detach().reshape(-1)[0])
    return float(t)


def _same_pads(in_sizes, kernel, strides, dilations, mode):
    """auto_pad SAME_UPPER/SAME_LOWER -> ONNX pads [b1, b2, ..., e1, e2, ...]."""
    begins, ends = [], []
    for n, k, s, d in zip(in_sizes, kernel, strides, dilations):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        small, big = total // 2, total - total // 2
        begins.append(small if mode == 'SAME_UPPER' else big)
        ends.append(big if mode == 'SAME_UPPER' else small)
    return begins + ends


def _torch_pad_list(onnx_pads):
    """ONNX [b1..bn, e1..en] for the last n dims -> F.pad order (last dim first)."""
    n = len(onnx_pads) // 2
    out = []
    for i in reversed(range(n)):
        out += [onnx_pads[i], onnx_pads[i + n]]
    return out


def _resolve_pads(a, x, kernel, strides, dilations):
    rank = len(kernel)
    auto = _s(a.get('auto_pad', 'NOTSET'))
    if auto in ('SAME_UPPER', 'SAME_LOWER'):
        return _same_pads(list(x.shape[2:]), kernel, strides, dilations, auto)
    if auto == 'VALID':
        return [0] * (2 * rank)
    return list(a.get('pads', [0] * (2 * rank)))


def _symmetric(pads):
    n = len(pads) // 2
    return pads[:n] == pads[n:]


# ----------------------------------------------------------------------------- op handlers
# Each handler: (module, node, attrs, inputs) -> list of outputs (or a single tensor).

def op_conv(m, node, a, ins):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    rank = w.dim() - 2
    kernel = list(a.get('kernel_shape', w.shape[2:]))
    strides = list(a.get('strides', [1] * rank))
    dil = list(a.get('dilations', [1] * rank))
    group = a.get('group', 1)
    pads = _resolve_pads(a, x, kernel, strides, dil)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}.get(rank)
    if conv is None:
        raise ConversionError(f'{node.name}: Conv with {rank} spatial dims')
    if _symmetric(pads):
        return conv(x, w, b, strides, pads[:rank], dil, group)
    return conv(F.pad(x, _torch_pad_list(pads)), w, b, strides, 0, dil, group)


def op_batchnorm(m, node, a, ins):
    x, scale, bias, mean, var = ins[:5]
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=a.get('epsilon', 1e-5))


def _pool(m, node, a, ins, kind):
    x = ins[0]
    kernel = list(a['kernel_shape'])
    rank = len(kernel)
    strides = list(a.get('strides', [1] * rank))
    dil = list(a.get('dilations', [1] * rank))
    ceil = bool(a.get('ceil_mode', 0))
    pads = _resolve_pads(a, x, kernel, strides, dil)
    if rank not in (1, 2):
        raise ConversionError(f'{node.name}: {node.op_type} with {rank} spatial dims')
    half_ok = all(p <= k // 2 for p, k in zip(pads[:rank], kernel))
    if kind == 'max':
        fn = F.max_pool1d if rank == 1 else F.max_pool2d
        if _symmetric(pads) and half_ok:
            return fn(x, kernel, strides, pads[:rank], dil, ceil_mode=ceil)
        return fn(F.pad(x, _torch_pad_list(pads), value=-math.inf), kernel, strides, 0, dil, ceil_mode=ceil)
    if any(d != 1 for d in dil):
        raise ConversionError(f'{node.name}: AveragePool with dilations')
    fn = F.avg_pool1d if rank == 1 else F.avg_pool2d
    include = bool(a.get('count_include_pad', 0))
    if _symmetric(pads) and half_ok:
        return fn(x, kernel, strides, pads[:rank], ceil_mode=ceil, count_include_pad=include)
    padded = F.pad(x, _torch_pad_list(pads))
    s = fn(padded, kernel, strides, 0, ceil_mode=ceil, count_include_pad=True)
    if include:
        return s
    ones = F.pad(torch.ones_like(x[:1, :1]), _torch_pad_list(pads))
    frac = fn(ones, kernel, strides, 0, ceil_mode=ceil, count_include_pad=True)
    return s / frac


def op_clip(m, node, a, ins):
    if m.opset < 11:
        lo, hi = a.get('min'), a.get('max')
    else:
        lo = _scalar(ins[1]) if len(ins) > 1 and ins[1] is not None else None
        hi = _scalar(ins[2]) if len(ins) > 2 and ins[2] is not None else None
    return torch.clamp(ins[0], min=lo, max=hi)


def op_gemm(m, node, a, ins):
    A, B = ins[0], ins[1]
    C = ins[2] if len(ins) > 2 else None
    if a.get('transA', 0):
        A = A.t()
    if a.get('transB', 0):
        B = B.t()
    y = A @ B
    alpha, beta = a.get('alpha', 1.0), a.get('beta', 1.0)
    if alpha != 1.0:
        y = y * alpha
    if C is not None:
        y = y + (C * beta if beta != 1.0 else C)
    return y


def op_flatten(m, node, a, ins):
    x = ins[0]
    axis = a.get('axis', 1)
    if axis < 0:
        axis += x.dim()
    lead = int(np.prod(x.shape[:axis])) if axis > 0 else 1
    return x.reshape(lead, -1)


def op_reshape(m, node, a, ins):
    x, shape = ins[0], _ints(ins[1])
    if not a.get('allowzero', 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _axes(m, a, ins, idx, since):
    """Axes as an attribute (older opsets) or as input `idx` (opset >= since)."""
    if m.opset >= since:
        return _ints(ins[idx]) if len(ins) > idx and ins[idx] is not None else None
    return list(a['axes']) if 'axes' in a else None


def op_squeeze(m, node, a, ins):
    x = ins[0]
    axes = _axes(m, a, ins, 1, 13)
    if axes is None:
        return x.squeeze()
    for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
        x = x.squeeze(ax)
    return x


def op_unsqueeze(m, node, a, ins):
    x = ins[0]
    axes = _axes(m, a, ins, 1, 13)
    out_rank = x.dim() + len(axes)
    for ax in sorted(ax % out_rank for ax in axes):
        x = x.unsqueeze(ax)
    return x


def _reduce(fn):
    def handler(m, node, a, ins):
        x = ins[0]
        since = 18 if node.op_type != 'ReduceSum' else 13
        axes = _axes(m, a, ins, 1, since)
        keep = bool(a.get('keepdims', 1))
        if axes is None or len(axes) == 0:
            if a.get('noop_with_empty_axes', 0):
                return x
            axes = list(range(x.dim()))
        return fn(x, [ax % x.dim() for ax in axes], keep)
    return handler


def op_pad(m, node, a, ins):
    x = ins[0]
    mode = _s(a.get('mode', 'constant'))
    if m.opset < 11:
        pads, value, axes = list(a['pads']), a.get('value', 0.0), None
    else:
        pads = _ints(ins[1])
        value = _scalar(ins[2]) if len(ins) > 2 and ins[2] is not None and ins[2].numel() else 0.0
        axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else None
    rank = x.dim()
    if axes is not None:  # opset 18: pads only for the listed axes
        full = [0] * (2 * rank)
        n = len(axes)
        for i, ax in enumerate(axes):
            full[ax % rank], full[ax % rank + rank] = pads[i], pads[i + n]
        pads = full
    # F.pad needs the leading all-zero dims dropped (non-constant modes pad only spatial dims).
    n = len(pads) // 2
    first = 0
    while first < n and pads[first] == 0 and pads[first + n] == 0:
        first += 1
    sub = pads[first:n] + pads[n + first:]
    if not sub:
        return x
    tmode = {'constant': 'constant', 'reflect': 'reflect', 'edge': 'replicate'}.get(mode)
    if tmode is None:
        raise ConversionError(f'{node.name}: Pad mode {mode}')
    if tmode == 'constant':
        return F.pad(x, _torch_pad_list(sub), value=value)
    return F.pad(x, _torch_pad_list(sub), mode=tmode)


def op_constant(m, node, a, ins):
    if 'value' in a:
        return _tensor_from_numpy(numpy_helper.to_array(a['value']))
    for key, dtype in (('value_float', np.float32), ('value_floats', np.float32),
                       ('value_int', np.int64), ('value_ints', np.int64)):
        if key in a:
            return torch.from_numpy(np.array(a[key], dtype=dtype))
    raise ConversionError(f'{node.name}: Constant without a supported value attribute')


def op_constant_of_shape(m, node, a, ins):
    shape = _ints(ins[0])
    if 'value' in a:
        v = _tensor_from_numpy(numpy_helper.to_array(a['value'])).reshape(-1)[0]
        return torch.full(shape, v.item(), dtype=v.dtype)
    return torch.zeros(shape)


def op_shape(m, node, a, ins):
    dims = list(ins[0].shape)
    start, end = a.get('start', 0), a.get('end', None)
    return torch.tensor(dims[start:end], dtype=torch.int64)


def op_gather(m, node, a, ins):
    x, idx = ins[0], ins[1].long()
    axis = a.get('axis', 0) % x.dim()
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    out = torch.index_select(x, axis, idx.reshape(-1))
    return out.reshape(list(x.shape[:axis]) + list(idx.shape) + list(x.shape[axis + 1:]))


def op_slice(m, node, a, ins):
    x = ins[0]
    if m.opset < 10:
        starts, ends = list(a['starts']), list(a['ends'])
        axes, steps = list(a.get('axes', range(len(starts)))), [1] * len(starts)
    else:
        starts, ends = _ints(ins[1]), _ints(ins[2])
        axes = _ints(ins[3]) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = _ints(ins[4]) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        if sp <= 0:
            raise ConversionError(f'{node.name}: Slice with step {sp}')
        n = x.shape[ax]
        st = max(0, min(n, st + n if st < 0 else st))
        en = max(0, min(n, en + n if en < 0 else en))
        index[ax % x.dim()] = slice(st, en, sp)
    return x[tuple(index)]


def op_cast(m, node, a, ins):
    dtype = ONNX_TO_TORCH_DTYPE.get(a['to'])
    if dtype is None:
        raise ConversionError(f'{node.name}: Cast to ONNX type {a["to"]}')
    if dtype in (torch.float64, torch.float16):
        dtype = torch.float32
    return ins[0].to(dtype)


def op_div(m, node, a, ins):
    x, y = ins
    if not x.is_floating_point() and not y.is_floating_point():
        return torch.div(x, y, rounding_mode='trunc')
    return x / y


def op_dropout(m, node, a, ins):
    x = ins[0]
    return [x, torch.ones_like(x, dtype=torch.bool)]


def op_transpose(m, node, a, ins):
    x = ins[0]
    perm = list(a.get('perm', reversed(range(x.dim()))))
    return x.permute(perm)


def op_softmax(fn):
    def handler(m, node, a, ins):
        x = ins[0]
        axis = a.get('axis', -1 if m.opset >= 13 else 1)
        if m.opset < 13:  # coerced to 2-D at `axis`
            shape = x.shape
            return fn(x.reshape(int(np.prod(shape[:axis])), -1), 1).reshape(shape)
        return fn(x, axis)
    return handler


OPS = {
    'Conv': op_conv,
    'BatchNormalization': op_batchnorm,
    'Relu': lambda m, n, a, i: F.relu(i[0]),
    'LeakyRelu': lambda m, n, a, i: F.leaky_relu(i[0], a.get('alpha', 0.01)),
    'PRelu': lambda m, n, a, i: torch.where(i[0] >= 0, i[0], i[0] * i[1]),
    'Sigmoid': lambda m, n, a, i: torch.sigmoid(i[0]),
    'Tanh': lambda m, n, a, i: torch.tanh(i[0]),
    'HardSigmoid': lambda m, n, a, i: torch.clamp(i[0] * a.get('alpha', 0.2) + a.get('beta', 0.5), 0, 1),
    'HardSwish': lambda m, n, a, i: F.hardswish(i[0]),
    'Clip': op_clip,
    'Add': lambda m, n, a, i: i[0] + i[1],
    'Sub': lambda m, n, a, i: i[0] - i[1],
    'Mul': lambda m, n, a, i: i[0] * i[1],
    'Div': op_div,
    'Neg': lambda m, n, a, i: -i[0],
    'Sqrt': lambda m, n, a, i: torch.sqrt(i[0]),
    'Pow': lambda m, n, a, i: torch.pow(i[0], i[1]),
    'GlobalAveragePool': lambda m, n, a, i: i[0].mean(dim=tuple(range(2, i[0].dim())), keepdim=True),
    'GlobalMaxPool': lambda m, n, a, i: i[0].amax(dim=tuple(range(2, i[0].dim())), keepdim=True),
    'ReduceMean': _reduce(lambda x, ax, k: x.mean(dim=ax, keepdim=k)),
    'ReduceSum': _reduce(lambda x, ax, k: x.sum(dim=ax, keepdim=k)),
    'ReduceMax': _reduce(lambda x, ax, k: x.amax(dim=ax, keepdim=k)),
    'AveragePool': lambda m, n, a, i: _pool(m, n, a, i, 'avg'),
    'MaxPool': lambda m, n, a, i: _pool(m, n, a, i, 'max'),
    'Flatten': op_flatten,
    'Reshape': op_reshape,
    'Squeeze': op_squeeze,
    'Unsqueeze': op_unsqueeze,
    'Transpose': op_transpose,
    'Gemm': op_gemm,
    'MatMul': lambda m, n, a, i: torch.matmul(i[0], i[1]),
    'Identity': lambda m, n, a, i: i[0],
    'Dropout': op_dropout,
    'Constant': op_constant,
    'ConstantOfShape': op_constant_of_shape,
    'Pad': op_pad,
    'Softmax': op_softmax(F.softmax),
    'LogSoftmax': op_softmax(F.log_softmax),
    'Shape': op_shape,
    'Gather': op_gather,
    'Slice': op_slice,
    'Concat': lambda m, n, a, i: torch.cat([t for t in i if t is not None and t.numel() > 0] or [i[0]], dim=a['axis']),
    'Cast': op_cast,
    'Range': lambda m, n, a, i: torch.arange(i[0].item(), i[1].item(), i[2].item()),
    'Equal': lambda m, n, a, i: torch.eq(i[0], i[1]),
    'Where': lambda m, n, a, i: torch.where(i[0], i[1], i[2]),
    'Expand': lambda m, n, a, i: i[0] * torch.ones(_ints(i[1]), dtype=i[0].dtype),
}

# Ops that may sit between the classifier and the graph output without changing its values.
PASS_THROUGH = {'Identity', 'Dropout', 'Flatten', 'Squeeze', 'Unsqueeze', 'Reshape'}


def _safe(name):
    return re.sub(r'[^0-9A-Za-z_]', '_', name)


class OnnxModule(nn.Module):
    """An ONNX graph as a trainable module. Initializers live in `self.weights`
    (nn.Parameter) or `self.consts` (fixed tensors); `onnx_names` maps back to ONNX names."""

    def __init__(self, model):
        super().__init__()
        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')), 13)
        unsupported = sorted({n.op_type for n in graph.node if n.op_type not in OPS})
        if unsupported:
            raise ConversionError(f'unsupported ONNX op(s): {", ".join(unsupported)}')
        for n in graph.node:
            if n.domain not in ('', 'ai.onnx'):
                raise ConversionError(f'node {n.name}: custom domain {n.domain}')

        inits = {t.name: t for t in graph.initializer}
        trainable = set()
        for n in graph.node:
            for pos in WEIGHT_INPUTS.get(n.op_type, ()):
                if pos < len(n.input) and n.input[pos] in inits:
                    trainable.add(n.input[pos])

        self.weights = nn.ParameterDict()
        self.consts = {}
        self.onnx_names = {}      # safe key -> ONNX initializer name
        self._key = {}            # ONNX name -> safe key
        for name, t in inits.items():
            value = _tensor_from_numpy(numpy_helper.to_array(t))
            if name in trainable and value.is_floating_point():
                key = _safe(name)
                while key in self.weights:
                    key += '_'
                self.weights[key] = nn.Parameter(value)
                self.onnx_names[key] = name
                self._key[name] = key
            else:
                self.consts[name] = value

        self.nodes = [(n, _attrs(n)) for n in graph.node]
        self.input_names = [i.name for i in graph.input if i.name not in inits]
        self.output_names = [o.name for o in graph.output]
        if len(self.input_names) != 1:
            raise ConversionError(f'expected one graph input, found {self.input_names}')
        self.input_shape = [d.dim_value if d.HasField('dim_value') else None
                            for d in graph.input[[i.name for i in graph.input].index(self.input_names[0])].type.tensor_type.shape.dim]
        self.op_types = sorted({n.op_type for n in graph.node})

    @classmethod
    def load(cls, path):
        model = onnx.load(path)
        try:
            onnx.checker.check_model(model)
        except onnx.checker.ValidationError:
            # The installed onnx may predate the model's opset (onnx 1.12 knows up to 17).
            opset = max((o.version for o in model.opset_import if o.domain in ('', 'ai.onnx')), default=0)
            if opset <= onnx.defs.onnx_opset_version():
                raise
        return cls(model)

    def _value(self, name, env):
        if name == '':
            return None
        if name in env:
            return env[name]
        if name in self._key:
            return self.weights[self._key[name]]
        if name in self.consts:
            return self.consts[name]
        raise ConversionError(f'value {name} used before it is produced')

    def forward(self, x, return_all=False):
        env = {self.input_names[0]: x}
        for node, a in self.nodes:
            ins = [self._value(i, env) for i in node.input]
            out = OPS[node.op_type](self, node, a, ins)
            outs = out if isinstance(out, (list, tuple)) else [out]
            for name, v in zip(node.output, outs):
                if name:
                    env[name] = v
        if return_all:
            return env
        res = [self._value(o, env) for o in self.output_names]
        return res[0] if len(res) == 1 else tuple(res)

    # ------------------------------------------------------------------ classifier head
    def classifier(self):
        """The last Gemm (or MatMul [+ Add bias]) with an initializer weight, if it feeds the
        single graph output through value-preserving ops only. Returns a dict describing it."""
        producer = {o: (n, a) for n, a in self.nodes for o in n.output}
        name = self.output_names[0]
        bias_add = None
        while name in producer:
            n, a = producer[name]
            if n.op_type in PASS_THROUGH:
                name = n.input[0]
                continue
            if n.op_type == 'Add' and bias_add is None:
                # MatMul + Add(bias): the bias is the initializer operand.
                k = [i for i in n.input if i in self._key]
                other = [i for i in n.input if i not in self._key]
                if len(k) == 1 and len(other) == 1 and other[0] in producer and producer[other[0]][0].op_type == 'MatMul':
                    bias_add = (n, k[0])
                    name = other[0]
                    continue
                break
            if n.op_type == 'Gemm' and n.input[1] in self._key and not a.get('transA', 0):
                c = n.input[2] if len(n.input) > 2 and n.input[2] in self._key else None
                return {'op': 'Gemm', 'node': n.name or n.output[0], 'input': n.input[0], 'weight': n.input[1],
                        'bias': c, 'transB': bool(a.get('transB', 0)), 'gemm': (n, a)}
            if n.op_type == 'MatMul' and n.input[1] in self._key:
                return {'op': 'MatMul', 'node': n.name or n.output[0], 'input': n.input[0], 'weight': n.input[1],
                        'bias': bias_add[1] if bias_add else None, 'transB': False, 'gemm': (n, a)}
            break
        raise ConversionError('no classifier found: the output must come from a Gemm/MatMul(+Add) with '
                              'initializer weights through Identity/Dropout/Flatten/Squeeze/Unsqueeze/Reshape only')

    def replace_classifier(self, classes, seed):
        """Give the classifier `classes` outputs, initialized like a fresh nn.Linear
        (PyTorch default init) from torch.manual_seed(seed); a classifier without bias stays
        without. Returns (weight [out,in], bias [out] or None, head description)."""
        head = self.classifier()
        w = self.weights[self._key[head['weight']]]
        in_features = w.shape[1] if head['transB'] else w.shape[0]
        torch.manual_seed(seed)
        lin = nn.Linear(in_features, classes)
        new_w = lin.weight.detach().clone()
        new_b = lin.bias.detach().clone()
        key = self._key[head['weight']]
        self.weights[key] = nn.Parameter(new_w.clone() if head['transB'] else new_w.t().contiguous())
        if head['bias'] is not None:
            bkey = self._key[head['bias']]
            old = self.weights[bkey]
            shape = list(old.shape[:-1]) + [classes] if old.dim() >= 1 else [classes]
            self.weights[bkey] = nn.Parameter(new_b.clone().reshape(shape))
        else:
            new_b = None  # the file's classifier has no bias: keep it that way
        if head['op'] == 'Gemm':
            n, a = head['gemm']
            a['alpha'], a['beta'] = 1.0, 1.0
        return new_w, new_b, head


# --------------------------------------------------------------------------- self-test

def selftest(paths, tol=1e-4):
    ok = True
    for jpath in paths:
        fx = json.load(open(jpath))
        mpath = os.path.join(os.path.dirname(jpath), fx['model'])
        net = OnnxModule.load(mpath)
        net.eval()
        worst = 0.0
        for case in fx['cases']:
            x = torch.tensor(case['input'], dtype=torch.float32).reshape(fx['inputShape'])
            with torch.no_grad():
                y = net(x)
            ref = torch.tensor(case['output'], dtype=torch.float32).reshape(y.shape)
            worst = max(worst, float((y - ref).abs().max() / (1 + ref.abs().max())))
        # gradients reach every parameter
        x = torch.tensor(fx['cases'][0]['input'], dtype=torch.float32).reshape(fx['inputShape'])
        net.zero_grad()
        net(x).square().sum().backward()
        nograd = [net.onnx_names[k] for k, p in net.weights.items() if p.grad is None]
        good = worst < tol and not nograd
        ok &= good
        print(f'{"ok  " if good else "FAIL"} {os.path.basename(mpath):28s} opset {net.opset:2d}  max rel err {worst:.2e}  '
              f'{len(net.weights)} params{"  no grad: " + ", ".join(nograd) if nograd else ""}  [{" ".join(net.op_types)}]')
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--selftest', action='store_true', help='check against test/fixtures/models/*.json')
    ap.add_argument('model', nargs='?', help='print the converted module summary of this ONNX file')
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.selftest:
        here = os.path.dirname(os.path.abspath(__file__))
        paths = sorted(glob.glob(os.path.join(here, '..', 'test', 'fixtures', 'models', '*.json')))
        sys.exit(0 if selftest(paths) else 1)
    if args.model:
        net = OnnxModule.load(args.model)
        print(f'opset {net.opset}, input {net.input_names[0]} {net.input_shape}, ops: {" ".join(net.op_types)}')
        for k, p in net.weights.items():
            print(f'  param {net.onnx_names[k]:40s} {list(p.shape)}')
        for k, v in net.consts.items():
            print(f'  const {k:40s} {list(v.shape)} {v.dtype}')
        try:
            h = net.classifier()
            print(f'classifier: {h["op"]} {h["node"]} weight {h["weight"]} bias {h["bias"]}')
        except ConversionError as e:
            print(f'classifier: {e}')
        return
    ap.print_help()


if __name__ == '__main__':
    main()

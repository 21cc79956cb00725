#!/usr/bin/env python3
"""Build the measurement model zoo: the three networks MIT's Tiny Training Engine (TTE)
reports training on, at TTE's setting (input 1x3x128x128, 10 classes), as ONNX files with
deterministic random weights, plus MIT's sparse-update schemes for them.

Run with Debian's python3 (torch 1.13, onnx 1.12), CPU only, single thread:
    /usr/bin/python3 scripts/make_zoo.py [--out models/zoo] [--tte-graph FILE]

Models (see models/zoo/README.md):
  mcunet-5fps     rebuilt conv by conv from TTE's exported training graph of MCUNet-5fps
                  (--tte-graph, default /work/shared/anchors/tte-mcunet-5fps-128-49kb-graph.json);
                  every conv's shapes, stride, padding and groups are asserted against it.
  mbv2-w0.35      MobileNetV2 x0.35 as MIT's mcunet model zoo builds it ('mbv2-w0.35').
  proxyless-w0.3  ProxylessNAS-Mobile x0.3 as MIT's mcunet model zoo ('proxyless-w0.3').

Every conv but the classifier has BatchNorm (running statistics gathered on random images, then perturbed,
and random affine parameters) that the eval-mode export folds into the conv. Seeds are
fixed: re-running reproduces the same files.

Writes models/zoo/<name>.onnx, <name>.json (architecture table, conv index -> layer,
parameter count, MACs, how it was made) and schemes/<name>-<scheme>.json (MIT's format).
"""
import argparse
import hashlib
import io
import json
import math
import os
import re
import sys
from collections import Counter, OrderedDict

import torch
import torch.nn as nn

import onnx

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, '..', 'models', 'zoo'))
DEFAULT_TTE = '/work/shared/anchors/tte-mcunet-5fps-128-49kb-graph.json'
RES = 128
CLASSES = 10
OPSET = 13
MAX_BYTES = 5 * 1024 * 1024

# MIT's sparse-update schemes, as tiny-training/compilation/mcu_ir_gen.py lists them
# (ANCHORS.md quotes the same numbers). Conv indices count from the input over all convs,
# the classifier being the last one.
MIT_DEFAULTS = OrderedDict([('enable_backward_config', 1), ('n_bias_update', None), ('n_weight_update', 0),
                            ('weight_update_ratio', None), ('manual_weight_idx', None),
                            ('weight_select_criteria', 'magnitude+'), ('pw1_weight_only', 0)])
SCHEMES = {
    'mcunet-5fps': {
        '49kb': dict(n_bias_update=20, manual_weight_idx=[23, 24, 27, 30, 33, 39],
                     weight_update_ratio=[0, 0.25, 0.5, 0.5, 0, 0]),
        '99kb': dict(n_bias_update=22, manual_weight_idx=[21, 24, 27, 30, 36, 39],
                     weight_update_ratio=[1, 1, 1, 1, 0.125, 0.25]),
    },
    'mbv2-w0.35': {
        '99kb': dict(n_bias_update=25, manual_weight_idx=[27, 30, 33, 36, 39, 42, 45, 48],
                     weight_update_ratio=[1, 1, 1, 1, 1, 0.125, 0.5, 1]),
    },
    'proxyless-w0.3': {
        '98kb': dict(n_bias_update=25, manual_weight_idx=[36, 39, 42, 45, 48, 51, 54, 57],
                     weight_update_ratio=[1, 0.5, 1, 1, 0.25, 0.5, 1, 1]),
    },
}
# TTE's own figures for MCUNet-5fps 49kb (ANCHORS.md): gradients its graph outputs.
TTE_49KB_WEIGHTS, TTE_49KB_BIASES = 13696, 4602


def make_divisible(v, divisor=8, min_val=None):
    """MobileNetV2's channel rounding (MIT's ofa/tinynas utils): nearest multiple of
    `divisor`, at least `divisor`, never more than 10% below v."""
    if min_val is None:
        min_val = divisor
    new_v = max(min_val, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def round_up(v, divisor=8):
    return int(math.ceil(v / divisor - 1e-9)) * divisor


# ---------------------------------------------------------------- architecture specs
# A spec: stem (3x3 s2 conv + BN + ReLU6), MobileNetV2-style blocks
#   {in, out, mid (expanded width, None = no expansion 1x1), k, s, residual}
# (pw1 + BN + ReLU6, dw + BN + ReLU6, pw2 + BN linear, identity add when residual),
# an optional feature-mix 1x1 conv + BN + ReLU6, global average pool, classifier
# ('conv': 1x1 conv on the pooled 1x1 map then flatten, as in TTE's graph; 'linear':
# flatten then Linear, as in MIT's float models).

def block(cin, cout, t, k, s):
    return dict(inp=cin, out=cout, mid=None if t == 1 else cin * t, k=k, s=s,
                residual=(t != 1 and s == 1 and cin == cout))


def parse_tte_graph(path):
    """MCUNet-5fps from TTE's exported training graph: the forward convs (nn.mcuconv2d)
    in order, grouped by TTE's layer names (v0 stem, v1..v14 blocks as v<b>_conv_<i>,
    v15 classifier), residual adds (nn.mcuadd) and the global mean (mcumean)."""
    with open(path, 'rb') as f:
        raw = f.read()
    ops = json.loads(raw)
    alias = {}                                  # truncate output -> its input

    def src(name):
        while name in alias:
            name = alias[name]
        return name

    convs, adds, means = [], [], []
    for op in ops:
        t = op['type']
        if t == 'nn.mcutruncate':
            alias[op['outputs'][0]['name']] = op['inputs'][0]['name']
        elif t == 'nn.mcuconv2d':
            x, w, b = op['inputs'][0], op['inputs'][1], op['inputs'][2]
            m = re.fullmatch(r'(v\d+)(?:_conv_(\d+))?_weight', w['name'])
            assert m, w['name']
            a = op['attrs']
            assert a['dilation'] == [1, 1] and a['data_layout'] == 'NCHW' and a['kernel_layout'] == 'OIHW'
            convs.append(dict(tte_name=w['name'][:-len('_weight')], block=m.group(1),
                              input_shape=x['shape'], weight_shape=w['shape'], bias_shape=b['shape'],
                              output_shape=op['outputs'][0]['shape'], stride=a['strides'],
                              padding=a['padding'], groups=a['groups'],
                              x=src(x['name']), y=op['outputs'][0]['name']))
        elif t == 'nn.mcuadd':
            adds.append(dict(name=op['name'], a=src(op['inputs'][0]['name']), b=src(op['inputs'][1]['name']),
                             y=op['outputs'][0]['name'], prefix=op['inputs'][2]['name'].split('_qadd')[0]))
        elif t == 'mcumean':
            means.append(dict(x=src(op['inputs'][0]['name']), y=op['outputs'][0]['name'],
                              attrs=op['attrs'], shape=op['outputs'][0]['shape']))
    assert len(convs) == 43, len(convs)
    assert len(means) == 1 and means[0]['attrs']['axis'] == [2, 3] and means[0]['attrs']['keepdims'] == 1

    groups = OrderedDict()
    for c in convs:
        groups.setdefault(c['block'], []).append(c)
    names = list(groups)
    assert names == ['v%d' % i for i in range(16)], names

    # Connectivity: each conv reads the previous conv's output, or the add after it.
    add_by_conv = {a['b']: a for a in adds}
    prev = 'input'
    for c in convs:
        want = prev
        assert c['x'] == want, (c['tte_name'], c['x'], want)
        prev = c['y']
        if c['y'] in add_by_conv:
            prev = add_by_conv[c['y']]['y']
        if c['block'] == 'v14' and c is groups['v14'][-1]:
            assert means[0]['x'] == c['y']
            prev = means[0]['y']

    stem = groups['v0'][0]
    assert stem['input_shape'] == [1, 3, RES, RES]
    spec_blocks, layer_refs = [], [stem]
    for name in names[1:15]:
        cs = groups[name]
        assert len(cs) in (2, 3), name
        cin = cs[0]['input_shape'][1]
        mid = None
        if len(cs) == 3:
            pw1, dw, pw2 = cs
            mid = pw1['weight_shape'][0]
            assert pw1['weight_shape'][2:] == [1, 1] and pw1['groups'] == 1
        else:
            dw, pw2 = cs
        width = dw['weight_shape'][0]
        assert dw['groups'] == width and dw['weight_shape'][1] == 1, name
        assert pw2['weight_shape'][2:] == [1, 1] and pw2['groups'] == 1, name
        k = dw['weight_shape'][2]
        res = [a for a in adds if a['b'] == pw2['y']]
        if res:
            # The add's other input is the block input: the tensor the block's first conv reads.
            assert res[0]['a'] == cs[0]['x'] and res[0]['prefix'] == name, (name, res[0])
        spec_blocks.append(dict(inp=cin, out=pw2['weight_shape'][0], mid=mid, k=k, s=dw['stride'][0],
                                residual=bool(res)))
        layer_refs.extend(cs)
    cls = groups['v15']
    assert len(cls) == 1 and cls[0]['input_shape'][2:] == [1, 1]
    layer_refs.append(cls[0])
    assert sum(1 for b in spec_blocks if b['residual']) == len(adds) == 7
    spec = dict(stem=stem['weight_shape'][0], blocks=spec_blocks, mix=None, head='conv',
                classes=cls[0]['weight_shape'][0])
    assert spec['classes'] == CLASSES
    return spec, layer_refs, hashlib.sha256(raw).hexdigest()


def mbv2_spec(width=0.35, classes=CLASSES):
    """MIT's MobileNetV2 (tiny-training ofa_nn/networks/mobilenet_v2.py, mcunet's
    'mbv2-w0.35'): stem make_divisible(32w), stages (t, c, n, s) with make_divisible(c·w),
    no residual on the t=1 block, 1x1 feature mix to make_divisible(1280·w) = 448 (the
    released mbv2-w0.35 has a 448-wide last layer: 0.75M params / 23.5M MACs at r144)."""
    setting = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
               (6, 160, 3, 2), (6, 320, 1, 1)]
    cin = make_divisible(32 * width)
    stem, blocks = cin, []
    for t, c, n, s in setting:
        cout = make_divisible(c * width)
        for i in range(n):
            blocks.append(block(cin, cout, t, 3, s if i == 0 else 1))
            cin = cout
    return dict(stem=stem, blocks=blocks, mix=make_divisible(1280 * width), head='linear', classes=classes)


def proxyless_spec(width=0.3, classes=CLASSES):
    """ProxylessNAS-Mobile (the searched 'proxyless_mobile' net: 21 searchable units after
    the MB1 3x3 first block, two of them zero/skip units) at width 0.3, as MIT's mcunet zoo
    'proxyless-w0.3'. Channels are rounded up to multiples of 8: that reproduces MIT's
    published 0.75M params / 38.3M MACs at r176 (make_divisible would round the 192-wide
    stage to 56 and give 0.71M / 36.8M). Feature mix 1280·w = 384."""
    # (expand, out, kernel) per unit of each stage; None = zero unit (identity, no convs).
    stages = [
        [(1, 16, 3)],
        [(3, 32, 5), (3, 32, 3), None, None],
        [(3, 40, 7), (3, 40, 3), (3, 40, 5), (3, 40, 5)],
        [(6, 80, 7), (3, 80, 5), (3, 80, 5), (3, 80, 5), (6, 96, 5), (3, 96, 5), (3, 96, 5), (3, 96, 5)],
        [(6, 192, 7), (6, 192, 7), (3, 192, 7), (3, 192, 7), (6, 320, 7)],
    ]
    cin = round_up(32 * width)
    stem, blocks = cin, []
    for i, units in enumerate(stages):
        for j, u in enumerate(units):
            if u is None:
                continue
            t, c, k = u
            cout = round_up(c * width)
            blocks.append(block(cin, cout, t, k, 2 if (j == 0 and i != 0) else 1))
            cin = cout
    return dict(stem=stem, blocks=blocks, mix=round_up(1280 * width), head='linear', classes=classes)


def layer_table(spec, res=RES):
    """Every conv/linear in order with shapes, parameters (BN folded: weights + bias) and MACs."""
    rows = []
    h = res

    def add(module, kind, cin, cout, k, s, g, act, blk, role):
        nonlocal h
        hin = h
        pad = k // 2
        h = (h + 2 * pad - k) // s + 1
        w = cout * (cin // g) * k * k
        rows.append(OrderedDict(
            index=len(rows), module=module, block=blk, role=role, kind=kind,
            in_channels=cin, out_channels=cout, kernel=k, stride=s, padding=pad, groups=g, activation=act,
            input_shape=[1, cin, hin, hin], weight_shape=[cout, cin // g, k, k], output_shape=[1, cout, h, h],
            params=w + cout, macs=w * h * h))

    add('first_conv', 'conv', 3, spec['stem'], 3, 2, 1, 'relu6', 'stem', 'stem')
    for i, b in enumerate(spec['blocks']):
        name = 'blocks.%d' % i
        width = b['mid'] or b['inp']
        if b['mid']:
            add(name + '.pw1', 'pointwise', b['inp'], b['mid'], 1, 1, 1, 'relu6', name, 'pw1')
        add(name + '.dw', 'depthwise', width, width, b['k'], b['s'], width, 'relu6', name, 'dw')
        add(name + '.pw2', 'pointwise', width, b['out'], 1, 1, 1, 'none', name, 'pw2')
    cin = spec['blocks'][-1]['out']
    if spec['mix']:
        add('feature_mix', 'pointwise', cin, spec['mix'], 1, 1, 1, 'relu6', 'feature_mix', 'feature_mix')
        cin = spec['mix']
    n = spec['classes']
    if spec['head'] == 'conv':
        h = 1
        add('classifier', 'pointwise', cin, n, 1, 1, 1, 'none', 'classifier', 'classifier')
        rows[-1]['output_shape'] = [1, n, 1, 1]
    else:
        rows.append(OrderedDict(
            index=len(rows), module='classifier', block='classifier', role='classifier', kind='linear',
            in_channels=cin, out_channels=n, kernel=None, stride=None, padding=None, groups=None,
            activation='none', input_shape=[1, cin], weight_shape=[n, cin], output_shape=[1, n],
            params=cin * n + n, macs=cin * n))
    return rows


# ---------------------------------------------------------------- torch model

class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, s, groups, act):
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU6())
        super().__init__(*layers)


class MBBlock(nn.Module):
    def __init__(self, b):
        super().__init__()
        width = b['mid'] or b['inp']
        self.pw1 = ConvBN(b['inp'], b['mid'], 1, 1, 1, True) if b['mid'] else None
        self.dw = ConvBN(width, width, b['k'], b['s'], width, True)
        self.pw2 = ConvBN(width, b['out'], 1, 1, 1, False)
        self.residual = b['residual']

    def forward(self, x):
        y = self.pw1(x) if self.pw1 is not None else x
        y = self.pw2(self.dw(y))
        return x + y if self.residual else y


class ZooNet(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.first_conv = ConvBN(3, spec['stem'], 3, 2, 1, True)
        self.blocks = nn.ModuleList([MBBlock(b) for b in spec['blocks']])
        cin = spec['blocks'][-1]['out']
        self.feature_mix = ConvBN(cin, spec['mix'], 1, 1, 1, True) if spec['mix'] else None
        cin = spec['mix'] or cin
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = spec['head']
        if self.head == 'conv':
            self.classifier = nn.Conv2d(cin, spec['classes'], 1, bias=True)
        else:
            self.classifier = nn.Linear(cin, spec['classes'])

    def forward(self, x):
        x = self.first_conv(x)
        for b in self.blocks:
            x = b(x)
        if self.feature_mix is not None:
            x = self.feature_mix(x)
        x = self.pool(x)
        if self.head == 'conv':
            return torch.flatten(self.classifier(x), 1)
        return self.classifier(torch.flatten(x, 1))


def weighted_layers(model):
    """Conv2d/Linear modules in forward order, named as in the layer table (a ConvBN's conv
    by the ConvBN's name: 'blocks.3.pw1', not 'blocks.3.pw1.0')."""
    return [(re.sub(r'\.0$', '', n), m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def randomize(model, seed):
    """Deterministic random weights; BN running stats measured on random images (so the
    activations stay in a sane range through 40+ layers), then perturbed, and random
    BN affine parameters: folding has real work to do."""
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out' if m.groups > 1 else 'fan_in', nonlinearity='relu')
            if m.bias is not None:
                nn.init.normal_(m.bias, 0, 0.05)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 1 / math.sqrt(m.in_features))
            nn.init.normal_(m.bias, 0, 0.05)
    gen = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.weight.data.copy_(1.0 + 0.25 * torch.randn(m.num_features, generator=gen))
        m.bias.data.copy_(0.2 * torch.randn(m.num_features, generator=gen))
        m.reset_running_stats()
        m.momentum = None                        # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, RES, RES, generator=gen))
    for m in bns:
        std = m.running_var.sqrt()
        m.running_mean.add_(0.1 * std * torch.randn(m.num_features, generator=gen))
        m.running_var.mul_(torch.exp(0.2 * torch.randn(m.num_features, generator=gen)))
        m.momentum = 0.1
    model.eval()


def trace_shapes(model, x):
    """(name, module, input shape, output shape) of every Conv2d/Linear in call order."""
    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: seen.append((n, m, list(i[0].shape), list(o.shape))))
             for n, m in weighted_layers(model)]
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    return seen, y


def reference_input():
    """x[i] = sin(0.37·i) over the NCHW tensor: reproducible in any language."""
    n = 3 * RES * RES
    i = torch.arange(n, dtype=torch.float64)
    return torch.sin(0.37 * i).to(torch.float32).reshape(1, 3, RES, RES)


# ---------------------------------------------------------------- schemes

def channel_count(ratio, cin):
    """tinytrain's rule (src/sparse/select.ts): max(1, round(r·C)); all at 1, none at 0."""
    if ratio == 0:
        return 0
    if ratio == 1:
        return cin
    return min(cin, max(1, int(math.floor(ratio * cin + 0.5))))


def scheme_summary(rows, cfg):
    """MIT's semantics (as tinytrain's src/sparse/mit.ts reads them): the classifier is
    updated in full; biases of the n_bias_update layers before it; weights of
    manual_weight_idx (counted from the input) at the paired input-channel ratio."""
    cls = len(rows) - 1
    first_bias = cls - cfg['n_bias_update']
    idx, ratios = cfg['manual_weight_idx'], cfg['weight_update_ratio']
    assert len(idx) == len(ratios) and idx == sorted(set(idx))
    for i in idx:
        assert first_bias <= i < cls, (i, first_bias, cls)
    bias_layers = list(range(first_bias, cls)) + [cls]
    weights = []
    for i, r in zip(idx, ratios):
        row = rows[i]
        n = channel_count(r, row['in_channels'])
        per_in = row['weight_shape'][0] // (row['groups'] or 1) * (row['kernel'] or 1) ** 2 \
            if row['kind'] != 'linear' else row['out_channels']
        weights.append(OrderedDict(index=i, module=row['module'], role=row['role'], kind=row['kind'],
                                   ratio=r, in_channels=row['in_channels'], channels=n,
                                   elements=n * per_in))
    c = rows[cls]
    per_in = c['out_channels']
    weights.append(OrderedDict(index=cls, module=c['module'], role='classifier', kind=c['kind'], ratio=1,
                               in_channels=c['in_channels'], channels=c['in_channels'],
                               elements=c['in_channels'] * per_in, note='classifier: always updated in full'))
    return OrderedDict(
        bias_layers=OrderedDict([('from', bias_layers[0]), ('to', cls)]),
        bias_layer_count=len(bias_layers),
        bias_elements=sum(rows[i]['out_channels'] for i in bias_layers),
        weight_layers=weights,
        weight_elements=sum(w['elements'] for w in weights),
    )


# ---------------------------------------------------------------- export

def export(name, spec, seed, out, extra, tte_names=None):
    rows = layer_table(spec)
    model = ZooNet(spec)
    randomize(model, seed)
    mods = weighted_layers(model)
    assert [n for n, _ in mods] == [r['module'] for r in rows], 'layer order'
    x = reference_input()
    seen, y = trace_shapes(model, x)
    assert [s[0] for s in seen] == [r['module'] for r in rows], 'call order'
    for (n, m, ishape, oshape), r in zip(seen, rows):
        assert ishape == r['input_shape'] and oshape == r['output_shape'], (n, ishape, oshape, r)
        assert list(m.weight.shape) == r['weight_shape'], n
        if isinstance(m, nn.Conv2d):
            assert list(m.stride) == [r['stride']] * 2 and list(m.padding) == [r['padding']] * 2 \
                and m.groups == r['groups'], n
    assert list(y.shape) == [1, CLASSES]

    buf = io.BytesIO()
    torch.onnx.export(model, x, buf, opset_version=OPSET, input_names=['input'], output_names=['logits'],
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    data = buf.getvalue()
    assert len(data) < MAX_BYTES, (name, len(data))
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    nodes = [n for n in proto.graph.node if n.op_type in ('Conv', 'Gemm')]
    assert len(nodes) == len(rows), (len(nodes), len(rows))
    inits = {t.name: t for t in proto.graph.initializer}
    params = 0
    for node, r in zip(nodes, rows):
        assert node.op_type == ('Gemm' if r['kind'] == 'linear' else 'Conv')
        w = inits[node.input[1]]
        assert list(w.dims) == r['weight_shape'], (node.name, w.dims)
        assert len(node.input) == 3, node.name       # BN folded: every layer has a bias
        params += math.prod(w.dims) + math.prod(inits[node.input[2]].dims)
        r['onnx_node'] = node.name
    assert params == sum(r['params'] for r in rows)
    op_counts = Counter(n.op_type for n in proto.graph.node)
    assert 'BatchNormalization' not in op_counts

    with open(os.path.join(out, name + '.onnx'), 'wb') as f:
        f.write(data)

    # Move onnx_node next to module for readability.
    table = []
    for r in rows:
        d = OrderedDict()
        for k, v in r.items():
            if k == 'onnx_node':
                continue
            d[k] = v
            if k == 'module':
                d['onnx_node'] = r['onnx_node']
                if tte_names:
                    d['tte_name'] = tte_names[r['index']]
        table.append(d)

    n_res = sum(1 for b in spec['blocks'] if b['residual'])
    relu6 = sum(1 for r in rows if r['activation'] == 'relu6')
    blocks = []
    for i, b in enumerate(spec['blocks']):
        blocks.append(OrderedDict(
            name='blocks.%d' % i, **{'in': b['inp']}, out=b['out'], expanded=b['mid'], kernel=b['k'],
            stride=b['s'], residual=b['residual'],
            convs=[r['index'] for r in rows if r['block'] == 'blocks.%d' % i]))
    schemes = OrderedDict()
    for sname, cfg in SCHEMES[name].items():
        full = OrderedDict((k, cfg.get(k, v)) for k, v in MIT_DEFAULTS.items())
        rel = 'schemes/%s-%s.json' % (name, sname)
        with open(os.path.join(out, rel), 'w') as f:   # one key per line, lists inline, as MIT writes them
            f.write('{\n' + ',\n'.join('  %s: %s' % (json.dumps(k), json.dumps(v)) for k, v in full.items()) + '\n}\n')
        s = scheme_summary(rows, cfg)
        for w in s['weight_layers'][:-1]:
            assert w['kind'] == 'pointwise', (name, sname, w)
        schemes[sname] = OrderedDict(file=rel, mit=full, **s)
    if name == 'mcunet-5fps':
        s = schemes['49kb']
        assert s['weight_elements'] == TTE_49KB_WEIGHTS and s['bias_elements'] == TTE_49KB_BIASES, s

    doc = OrderedDict()
    doc['name'] = name
    doc.update(extra.pop('about'))
    doc['file'] = name + '.onnx'
    doc['sha256'] = hashlib.sha256(data).hexdigest()
    doc['bytes'] = len(data)
    doc['input'] = OrderedDict(name='input', shape=[1, 3, RES, RES])
    doc['output'] = OrderedDict(name='logits', shape=[1, CLASSES])
    doc['classes'] = CLASSES
    doc['conv_count'] = len(rows)
    doc['conv_count_note'] = ('every Conv and the classifier (Gemm/Linear or 1x1 conv), indexed from the input '
                              'as MIT and tinytrain index them; the classifier is the last')
    doc['classifier_index'] = len(rows) - 1
    doc['parameters'] = sum(r['params'] for r in rows)
    doc['parameters_note'] = 'after BN folding: conv/linear weights + biases'
    doc['macs'] = sum(r['macs'] for r in rows)
    doc['macs_note'] = 'multiply-accumulates of convs and the classifier at 1x3x128x128 (adds, pooling excluded)'
    doc['residual_adds'] = n_res
    doc['onnx_ops'] = OrderedDict(sorted(op_counts.items()))
    doc['tinytrain_ops'] = OrderedDict([
        ('conv', sum(1 for r in rows if r['kind'] != 'linear')),
        ('gemm', sum(1 for r in rows if r['kind'] == 'linear')),
        ('add', n_res), ('gap', 1), ('reshape', 1)])
    doc['tinytrain_ops_note'] = ('canonical IR nodes after import: ReLU6 (Clip 0..6) fused into the conv before it, '
                                 'GlobalAveragePool -> gap, Flatten -> reshape')
    doc['relu6_layers'] = relu6
    doc['stem'] = spec['stem']
    doc['feature_mix'] = spec['mix']
    doc['head'] = spec['head']
    doc['blocks'] = blocks
    doc['layers'] = table
    doc['schemes'] = schemes
    doc['reference'] = OrderedDict(
        input='x[i] = float32(sin(0.37*i)) for i over the 1x3x128x128 NCHW tensor',
        torch_logits=[float('%.9g' % v) for v in y.flatten().tolist()])
    doc.update(extra)
    doc['seed'] = seed
    doc['opset'] = OPSET
    doc['torch'] = torch.__version__
    doc['onnx'] = onnx.__version__
    doc['command'] = '/usr/bin/python3 scripts/make_zoo.py'
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    return doc


def imagenet_check(spec_fn, width, res, params_m, macs_m):
    """MIT's published ImageNet figures (mcunet README): the same spec at 1000 classes and
    the released resolution must give the same rounded params (M, 2 decimals) and MACs (M,
    1 decimal). MIT counts PyTorch parameters: conv weights + BN weight and bias (2 per
    channel) + classifier weight and bias."""
    rows = layer_table(spec_fn(width, classes=1000), res)
    folded = sum(r['params'] for r in rows)
    p = folded + sum(r['out_channels'] for r in rows if r['kind'] != 'linear')
    m = sum(r['macs'] for r in rows)
    assert round(p / 1e6, 2) == params_m and round(m / 1e6, 1) == macs_m, (p, m)
    return OrderedDict(resolution=res, classes=1000, pytorch_parameters=p, parameters_after_bn_folding=folded,
                       macs=m, mit_published=OrderedDict(parameters='%.2fM' % params_m, macs='%.1fM' % macs_m))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('--tte-graph', default=DEFAULT_TTE)
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, 'schemes'), exist_ok=True)

    # ---- MCUNet-5fps from TTE's graph
    spec, refs, sha = parse_tte_graph(args.tte_graph)
    rows = layer_table(spec)
    assert len(rows) == 43
    for r, c in zip(rows, refs):                  # layer-by-layer against TTE's graph
        assert r['input_shape'] == c['input_shape'], (r['module'], c['tte_name'])
        assert r['weight_shape'] == c['weight_shape'], (r['module'], c['tte_name'])
        assert r['output_shape'] == c['output_shape'], (r['module'], c['tte_name'])
        assert [r['stride']] * 2 == c['stride'] and [r['padding']] * 4 == c['padding'], c['tte_name']
        assert r['groups'] == c['groups'] and c['bias_shape'] == [r['out_channels']], c['tte_name']
    tte_names = [c['tte_name'] for c in refs]
    docs = []
    docs.append(export('mcunet-5fps', spec, 20261201, args.out, dict(
        about=OrderedDict(
            description='MCUNet-5fps at 128x128, 10 classes: the network of TTE\'s reference training graph',
            made_from=('rebuilt conv by conv from TTE\'s exported training graph (tiny-training, '
                       'tte-mcunet-5fps-128-49kb-graph.json): kernel, stride, padding, groups and channels of its '
                       '43 nn.mcuconv2d, residual adds where nn.mcuadd appears, mcumean then the 1x1 conv classifier '
                       '(exported as a 1x1 Conv on the pooled map, then Flatten, as in TTE\'s graph). ReLU6 after '
                       'the stem, every expansion pw and every dw; projection pw linear. Input/weight/output shapes '
                       'of every conv asserted against the graph.')),
        tte_graph_sha256=sha), tte_names=tte_names))

    # ---- MobileNetV2-w0.35
    docs.append(export('mbv2-w0.35', mbv2_spec(), 20261202, args.out, dict(
        about=OrderedDict(
            description='MobileNetV2 x0.35 at 128x128, 10 classes (MIT\'s \'mbv2-w0.35\' baseline of MCUNet/TTE)',
            made_from=('MIT\'s MobileNetV2 builder (tiny-training ofa_nn/networks/mobilenet_v2.py): stem '
                       'make_divisible(32*0.35)=16, stages (t,c,n,s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) '
                       '(6,96,3,1) (6,160,3,2) (6,320,1,1) with make_divisible(c*0.35, 8), all dw 3x3, identity '
                       'shortcut when t>1, stride 1 and in==out, 1x1 feature mix to 448 (1280*0.35, as the released '
                       'mbv2-w0.35-r144 whose classifier reads 448 features), global pool, Linear classifier.')),
        imagenet_check=imagenet_check(mbv2_spec, 0.35, 144, 0.75, 23.5))))

    # ---- ProxylessNAS-w0.3
    docs.append(export('proxyless-w0.3', proxyless_spec(), 20261203, args.out, dict(
        about=OrderedDict(
            description='ProxylessNAS-Mobile x0.3 at 128x128, 10 classes (MIT\'s \'proxyless-w0.3\' baseline of MCUNet/TTE)',
            made_from=('ProxylessNAS-Mobile\'s searched architecture (stem 3x3 s2, MB1 3x3; stages of units '
                       '(expand, out, kernel): [3,32,5 s2; 3,32,3; zero; zero], [3,40,7 s2; 3,40,3; 3,40,5; 3,40,5], '
                       '[6,80,7 s2; 3,80,5 x3; 6,96,5; 3,96,5 x3], [6,192,7 s2; 6,192,7; 3,192,7 x2; 6,320,7]; '
                       'zero units are identities and have no convs) at width 0.3, channels rounded up to '
                       'multiples of 8 (16, 8, 16, 16, 24, 32, 64, 96), feature mix 384 (1280*0.3), global pool, '
                       'Linear classifier. Rounding up reproduces MIT\'s published 0.75M params / 38.3M MACs for '
                       'proxyless-w0.3-r176; MobileNetV2\'s make_divisible would make the 192 stage 56 wide and '
                       'give 0.71M / 36.8M.')),
        imagenet_check=imagenet_check(proxyless_spec, 0.3, 176, 0.75, 38.3))))

    for d in docs:
        print('%-15s convs %2d  params %8d  MACs %10d  onnx %7d B' % (
            d['name'], d['conv_count'], d['parameters'], d['macs'], d['bytes']))
        for sname, s in d['schemes'].items():
            print('   %s: biases of layers %d..%d (%d elements); weights %s (%d elements)' % (
                sname, s['bias_layers']['from'], s['bias_layers']['to'], s['bias_elements'],
                ', '.join('%d=%s %s %d/%d' % (w['index'], w['module'], w['kind'], w['channels'], w['in_channels'])
                          for w in s['weight_layers']), s['weight_elements']))


if __name__ == '__main__':
    sys.exit(main())

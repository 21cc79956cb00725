#!/usr/bin/env python3
"""PyTorch oracle fixtures for the C training kernels (test/train-kernels.test.ts).

Run with Debian's python3 (torch 1.13, numpy):
    /usr/bin/python3 scripts/make_grad_fixtures.py [outdir]     (default test/fixtures/grad)

For random int8 inputs and weights with random scales and zero points, every case
dequantizes x = s_x·(q_x − z_x), w = s_w[o]·q_w, b = s_x·s_w[o]·q_b in float64, runs the
float op in PyTorch, backpropagates a random fp32 upstream gradient dy with autograd and
records dx, dW, db. Update cases also record the int8 weights (and int32 biases) after one
QAS step with NEAREST rounding, computed here from the float step:
    q_w ← clamp(round_half_away(q_w − lr·dW/s_w[o]), −127, 127)   (selected channels only)
    q_b ← sat_int32(round_half_away(q_b − lr_b·db/(s_x·s_w[o])))
with the indices whose exact value lies within TIE_EPS of a .5 boundary listed as ties
(the fp32 kernel may legitimately round those either way).

Everything a kernel reads (int8 tensors, scales, dy, lr) is generated as float32/int8
and stored bit-exactly, so the oracle differs from the C kernels only by their fp32
arithmetic. Arrays are stored as {"dtype": "i8"|"i32"|"f32", "shape": [...],
"b64": base64 of the little-endian values}. Seeds are fixed: re-running reproduces the
same files.

Files: conv.json (regular, grouped, depthwise, pointwise convs with channel selections),
fc.json, pool.json (avg with/without count_include_pad, global, max), act.json (ReLU,
ReLU6, clip masks), xent.json (softmax cross-entropy), multi.json (a tensor with several
consumers: dx is the sum, computed by the kernels with accumulate = 1).
"""
import base64
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'grad'))
SEED = 20261121
TIE_EPS = 1e-3
torch.set_default_dtype(torch.float64)
RNG = np.random.RandomState(SEED)


# ---------------------------------------------------------------- encoding

def enc(a, dtype):
    np_dtype = {'i8': '<i1', 'i32': '<i4', 'f32': '<f4'}[dtype]
    a = np.asarray(a)
    if dtype == 'f32':
        assert np.all(np.isfinite(a))
    arr = a.astype(np_dtype)
    if dtype != 'f32':
        assert np.array_equal(arr.astype(np.int64), a.astype(np.int64)), 'integer overflow in ' + dtype
    return {'dtype': dtype, 'shape': list(arr.shape), 'b64': base64.b64encode(arr.tobytes()).decode('ascii')}


def f32(x):
    return np.float32(x)


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


# ---------------------------------------------------------------- random operands

def rand_scale(lo, hi):
    return f32(math.exp(RNG.uniform(math.log(lo), math.log(hi))))


def rand_zp():
    u = RNG.rand()
    if u < 0.2:
        return -128
    if u < 0.3:
        return 127
    return int(RNG.randint(-128, 128))


def rand_x(n):
    return RNG.randint(-128, 128, size=n).astype(np.int64)


def rand_w(n):
    w = RNG.randint(-127, 128, size=n).astype(np.int64)
    # some weights at the clamp bounds so that updates saturate
    edge = RNG.rand(n) < 0.08
    w[edge] = RNG.choice([-127, 127, -126, 126], size=int(edge.sum()))
    return w


def rand_dy(n, scale=1.0):
    return (RNG.randn(n) * scale).astype(np.float32)


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def ties(v):
    """Indices whose fractional part is within TIE_EPS of 0.5."""
    frac = np.abs(v) - np.floor(np.abs(v))
    return [int(i) for i in np.nonzero(np.abs(frac - 0.5) < TIE_EPS)[0]]


def selection(n, ratio, mode):
    k = max(1, int(round(n * ratio)))
    if mode == 'first' or k == n:
        return list(range(k))
    return sorted(int(i) for i in RNG.choice(n, size=k, replace=False))


def out_dim(n, k, s, p0, p1):
    return (n + p0 + p1 - k) // s + 1


# ---------------------------------------------------------------- QAS reference

def qas_weights(q, dw, s_w, lr, sel_mask):
    """q: [O, I, ...] int; dw like q; s_w [O]; sel_mask [I] (per input index of q's dim 1)."""
    shape = [q.shape[0]] + [1] * (q.ndim - 1)
    exact = q - float(lr) * dw / s_w.astype(np.float64).reshape(shape)
    new = np.clip(round_half_away(exact), -127, 127)
    m = np.broadcast_to(sel_mask.reshape([1, -1] + [1] * (q.ndim - 2)), q.shape)
    new = np.where(m, new, q)
    tie = [i for i in ties(exact.flatten()) if m.flatten()[i]]
    return new.astype(np.int64), tie


def qas_bias(qb, db, x_scale, s_w, lr_b):
    exact = qb - float(lr_b) * db / (float(x_scale) * s_w.astype(np.float64))
    new = np.clip(round_half_away(exact), -2 ** 31, 2 ** 31 - 1)
    return new.astype(np.int64), ties(exact)


def pick_lr(delta_per_unit_lr, target):
    """An fp32 learning rate that makes the largest |Δ| about `target`."""
    m = float(np.max(np.abs(delta_per_unit_lr)))
    return f32(target / m) if m > 0 else f32(1.0)


# ---------------------------------------------------------------- conv / fc

def conv_case(name, kernel, in_c, in_h, in_w, out_c, k, s, pads, groups, ratio, mode,
              w_target=3.0, b_target=40.0, x_zp=None):
    kh, kw = k
    sh, sw = s
    pt, pb, pl, pr = pads
    ipg = in_c // groups
    out_h, out_w = out_dim(in_h, kh, sh, pt, pb), out_dim(in_w, kw, sw, pl, pr)
    assert out_h > 0 and out_w > 0
    x_scale = rand_scale(0.005, 0.1)
    x_zp = rand_zp() if x_zp is None else x_zp
    xq = rand_x(in_c * in_h * in_w).reshape(1, in_c, in_h, in_w)
    wq = rand_w(out_c * ipg * kh * kw).reshape(out_c, ipg, kh, kw)
    w_scale = np.array([rand_scale(0.002, 0.05) for _ in range(out_c)], dtype=np.float32)
    bq = RNG.randint(-5000, 5001, size=out_c).astype(np.int64)
    dy = rand_dy(out_c * out_h * out_w).reshape(1, out_c, out_h, out_w)

    x = (float(x_scale) * (t64(xq) - x_zp)).requires_grad_()
    w = (t64(w_scale).reshape(-1, 1, 1, 1) * t64(wq)).requires_grad_()
    b = (float(x_scale) * t64(w_scale) * t64(bq)).requires_grad_()
    y = F.conv2d(F.pad(x, (pl, pr, pt, pb)), w, b, stride=(sh, sw), groups=groups)
    assert tuple(y.shape) == (1, out_c, out_h, out_w), (name, y.shape)
    if pt == pb and pl == pr:  # cross-check the explicit pad against PyTorch's own padding
        y2 = F.conv2d(x, w, b, stride=(sh, sw), padding=(pt, pl), groups=groups)
        assert torch.allclose(y, y2)
    y.backward(t64(dy))
    dx, dw, db = x.grad.numpy(), w.grad.numpy(), b.grad.numpy()

    sel = selection(in_c, ratio, mode)
    in_sel = np.zeros(in_c, dtype=bool)
    in_sel[sel] = True
    # weight [o, j] belongs to input channel (o // opg)·ipg + j
    opg = out_c // groups
    wsel = np.array([[in_sel[(o // opg) * ipg + j] for j in range(ipg)] for o in range(out_c)])
    per_lr = dw / w_scale.astype(np.float64).reshape(-1, 1, 1, 1)
    lr = pick_lr(per_lr[wsel], w_target) if wsel.any() else f32(0.01)
    exact = wq - float(lr) * per_lr
    w_new = np.where(wsel[:, :, None, None], np.clip(round_half_away(exact), -127, 127), wq)
    w_tie = [i for i in ties(exact.flatten()) if np.broadcast_to(wsel[:, :, None, None], wq.shape).flatten()[i]]
    lr_b = pick_lr(db / (float(x_scale) * w_scale.astype(np.float64)), b_target)
    b_new, b_tie = qas_bias(bq, db, x_scale, w_scale, lr_b)
    return {
        'name': name, 'kernel': kernel,
        'in_c': in_c, 'in_h': in_h, 'in_w': in_w, 'out_c': out_c, 'out_h': out_h, 'out_w': out_w,
        'kh': kh, 'kw': kw, 'stride_h': sh, 'stride_w': sw, 'pad_t': pt, 'pad_l': pl,
        'pad_b': pb, 'pad_r': pr, 'groups': groups,
        'x_scale': float(x_scale), 'x_zp': x_zp, 'sel': sel, 'lr': float(lr), 'lr_bias': float(lr_b),
        'x': enc(xq[0], 'i8'), 'w': enc(wq, 'i8'), 'w_scale': enc(w_scale, 'f32'),
        'bias': enc(bq, 'i32'), 'dy': enc(dy[0], 'f32'),
        'dx': enc(dx[0], 'f32'), 'dw': enc(dw, 'f32'), 'db': enc(db, 'f32'),
        'w_nearest': enc(w_new.astype(np.int64), 'i8'), 'w_ties': w_tie,
        'b_nearest': enc(b_new, 'i32'), 'b_ties': b_tie,
    }


def fc_case(name, inf, outf, ratio, mode, w_target=3.0, b_target=40.0):
    x_scale = rand_scale(0.005, 0.1)
    x_zp = rand_zp()
    xq = rand_x(inf)
    wq = rand_w(outf * inf).reshape(outf, inf)
    w_scale = np.array([rand_scale(0.002, 0.05) for _ in range(outf)], dtype=np.float32)
    bq = RNG.randint(-5000, 5001, size=outf).astype(np.int64)
    dy = rand_dy(outf)
    x = (float(x_scale) * (t64(xq) - x_zp)).reshape(1, inf).requires_grad_()
    w = (t64(w_scale).reshape(-1, 1) * t64(wq)).requires_grad_()
    b = (float(x_scale) * t64(w_scale) * t64(bq)).requires_grad_()
    F.linear(x, w, b).backward(t64(dy).reshape(1, outf))
    dx, dw, db = x.grad.numpy()[0], w.grad.numpy(), b.grad.numpy()
    sel = selection(inf, ratio, mode)
    in_sel = np.zeros(inf, dtype=bool)
    in_sel[sel] = True
    per_lr = dw / w_scale.astype(np.float64).reshape(-1, 1)
    lr = pick_lr(per_lr[:, in_sel], w_target)
    w_new, w_tie = qas_weights(wq, dw, w_scale, lr, in_sel)
    lr_b = pick_lr(db / (float(x_scale) * w_scale.astype(np.float64)), b_target)
    b_new, b_tie = qas_bias(bq, db, x_scale, w_scale, lr_b)
    return {
        'name': name, 'kernel': 'fc', 'in_features': inf, 'out_features': outf,
        'x_scale': float(x_scale), 'x_zp': x_zp, 'sel': sel, 'lr': float(lr), 'lr_bias': float(lr_b),
        'x': enc(xq, 'i8'), 'w': enc(wq, 'i8'), 'w_scale': enc(w_scale, 'f32'),
        'bias': enc(bq, 'i32'), 'dy': enc(dy, 'f32'),
        'dx': enc(dx, 'f32'), 'dw': enc(dw, 'f32'), 'db': enc(db, 'f32'),
        'w_nearest': enc(w_new, 'i8'), 'w_ties': w_tie, 'b_nearest': enc(b_new, 'i32'), 'b_ties': b_tie,
    }


# ---------------------------------------------------------------- pools

def pool_forward(kind, x, k, s, pads, cip):
    """x [1, C, H, W] float64 (requires grad). pads (t, b, l, r) given explicitly."""
    pt, pb, pl, pr = pads
    if kind == 'max':
        return F.max_pool2d(F.pad(x, (pl, pr, pt, pb), value=-math.inf), k, s)
    xp = F.pad(x, (pl, pr, pt, pb))
    kk = k[0] * k[1]
    total = F.avg_pool2d(xp, k, s) * kk
    if cip:
        return total / kk
    ones = F.pad(torch.ones_like(x), (pl, pr, pt, pb))
    count = torch.round(F.avg_pool2d(ones, k, s) * kk)
    return torch.where(count > 0, total / torch.clamp(count, min=1), torch.zeros_like(total))


def pool_case(name, kind, c, in_h, in_w, k=(1, 1), s=(1, 1), pads=(0, 0, 0, 0), cip=0, narrow=False):
    x_scale = rand_scale(0.005, 0.1)
    x_zp = rand_zp()
    if narrow:  # few distinct values: many ties inside max windows
        xq = RNG.randint(-3, 3, size=c * in_h * in_w).astype(np.int64)
    else:
        xq = rand_x(c * in_h * in_w)
    xq = xq.reshape(1, c, in_h, in_w)
    x = (float(x_scale) * (t64(xq) - x_zp)).requires_grad_()
    if kind == 'gap':
        y = F.adaptive_avg_pool2d(x, 1)
        assert torch.allclose(y, x.mean(dim=(2, 3), keepdim=True))
        k, s, pads = (in_h, in_w), (1, 1), (0, 0, 0, 0)
    else:
        y = pool_forward(kind, x, k, s, pads, cip)
        pt, pb, pl, pr = pads
        symmetric = pt == pb and pl == pr and pt <= k[0] // 2 and pl <= k[1] // 2
        if symmetric:  # PyTorch's native padding agrees with the explicit form
            if kind == 'max':
                y2 = F.max_pool2d(x, k, s, padding=(pt, pl))
            else:
                y2 = F.avg_pool2d(x, k, s, padding=(pt, pl), count_include_pad=bool(cip))
            assert torch.allclose(y, y2), name
    out_h, out_w = y.shape[2], y.shape[3]
    dy = rand_dy(c * out_h * out_w).reshape(1, c, out_h, out_w)
    y.backward(t64(dy))
    return {
        'name': name, 'kind': kind, 'c': c, 'in_h': in_h, 'in_w': in_w, 'out_h': int(out_h),
        'out_w': int(out_w), 'kh': k[0], 'kw': k[1], 'stride_h': s[0], 'stride_w': s[1],
        'pad_t': pads[0], 'pad_l': pads[2], 'pad_b': pads[1], 'pad_r': pads[3],
        'count_include_pad': cip, 'x_scale': float(x_scale), 'x_zp': x_zp,
        'x': enc(xq[0], 'i8'), 'dy': enc(dy[0], 'f32'), 'dx': enc(x.grad.numpy()[0], 'f32'),
    }


def check_maxpool_tie_rule():
    """PyTorch routes a tied max to the first cell in row-major window order."""
    x = torch.tensor([[[[1.0, 3.0], [3.0, 3.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).backward(torch.ones(1, 1, 1, 1))
    assert x.grad.flatten().tolist() == [0.0, 1.0, 0.0, 0.0], x.grad


# ---------------------------------------------------------------- activations, loss

def act_case(name, op, n, y_scale, y_zp, lo, hi):
    """Pre-activations on the output grid; the int8 output is clamp(q, lo, hi) and the
    mask kernel sees only that. relu: lo = zp, hi = 128; relu6: hi = q(6)."""
    q = RNG.randint(-128, 128, size=n).astype(np.int64)
    t = (float(y_scale) * (t64(q) - y_zp)).requires_grad_()
    if op == 'relu':
        y = F.relu(t)
    elif op == 'relu6':
        y = F.relu6(t)
    else:  # hardtanh: strict like relu6 (torch.clamp would pass the gradient at the bounds)
        y = F.hardtanh(t, float(y_scale) * (lo - y_zp), float(y_scale) * (hi - y_zp))
    dy = rand_dy(n)
    y.backward(t64(dy))
    yq = np.clip(q, max(lo, -128), min(hi, 127))
    # the real output must be what the int8 output dequantizes to (exact grid)
    assert np.array_equal(y.detach().numpy(), float(y_scale) * (yq - y_zp))
    return {'name': name, 'op': op, 'n': n, 'lo': lo, 'hi': hi, 'y': enc(yq, 'i8'),
            'dy': enc(dy, 'f32'), 'dx': enc(t.grad.numpy(), 'f32')}


def xent_case(name, n, scale, zp, label, logits=None):
    q = RNG.randint(-128, 128, size=n).astype(np.int64) if logits is None else np.asarray(logits, dtype=np.int64)
    z = (float(scale) * (t64(q) - zp)).reshape(1, n).requires_grad_()
    loss = F.cross_entropy(z, torch.tensor([label]))
    loss.backward()
    return {'name': name, 'n': n, 'scale': float(scale), 'zp': zp, 'label': label,
            'logits': enc(q, 'i8'), 'loss': float(loss), 'dlogits': enc(z.grad.numpy()[0], 'f32')}


# ---------------------------------------------------------------- multiple consumers

def multi_conv_case(name, c, h, w):
    """x feeds a 3x3 conv, a pointwise conv, a depthwise 5x5, an avg pool and a max pool."""
    x_scale, x_zp = rand_scale(0.005, 0.1), rand_zp()
    xq = rand_x(c * h * w).reshape(1, c, h, w)
    x = (float(x_scale) * (t64(xq) - x_zp)).requires_grad_()
    consumers = []
    total = 0
    for kernel, out_c, k, st, p, groups in [('conv', 5, 3, 1, 1, 1), ('pointwise', 3, 1, 1, 0, 1),
                                            ('depthwise', c, 5, 1, 2, c), ('conv', 4, 3, 2, 1, 1)]:
        wq = rand_w(out_c * (c // groups) * k * k).reshape(out_c, c // groups, k, k)
        w_scale = np.array([rand_scale(0.002, 0.05) for _ in range(out_c)], dtype=np.float32)
        y = F.conv2d(x, t64(w_scale).reshape(-1, 1, 1, 1) * t64(wq), stride=st, padding=p, groups=groups)
        dy = rand_dy(y.numel()).reshape(y.shape)
        total = total + (y * t64(dy)).sum()
        consumers.append({'op': 'conv', 'kernel': kernel, 'out_c': out_c, 'out_h': y.shape[2],
                          'out_w': y.shape[3], 'kh': k, 'kw': k, 'stride_h': st, 'stride_w': st,
                          'pad_t': p, 'pad_l': p, 'groups': groups, 'w': enc(wq, 'i8'),
                          'w_scale': enc(w_scale, 'f32'), 'dy': enc(dy[0], 'f32')})
    for kind, k, st, pads, cip in [('avg', 3, 1, (1, 1, 1, 1), 0), ('max', 2, 2, (0, 0, 0, 0), 0),
                                   ('gap', h, 1, (0, 0, 0, 0), 0)]:
        if kind == 'gap':
            y = F.adaptive_avg_pool2d(x, 1)
            kk = (h, w)
        else:
            y = pool_forward(kind, x, (k, k), (st, st), pads, cip)
            kk = (k, k)
        dy = rand_dy(y.numel()).reshape(y.shape)
        total = total + (y * t64(dy)).sum()
        consumers.append({'op': 'pool', 'kind': kind, 'out_h': y.shape[2], 'out_w': y.shape[3],
                          'kh': kk[0], 'kw': kk[1], 'stride_h': st, 'stride_w': st,
                          'pad_t': pads[0], 'pad_l': pads[2], 'count_include_pad': cip,
                          'dy': enc(dy[0], 'f32')})
    total.backward()
    return {'name': name, 'c': c, 'in_h': h, 'in_w': w, 'x_scale': float(x_scale), 'x_zp': x_zp,
            'x': enc(xq[0], 'i8'), 'consumers': consumers, 'dx': enc(x.grad.numpy()[0], 'f32')}


def multi_fc_case(name, inf, outs):
    x_scale, x_zp = rand_scale(0.005, 0.1), rand_zp()
    xq = rand_x(inf)
    x = (float(x_scale) * (t64(xq) - x_zp)).reshape(1, inf).requires_grad_()
    consumers = []
    total = 0
    for outf in outs:
        wq = rand_w(outf * inf).reshape(outf, inf)
        w_scale = np.array([rand_scale(0.002, 0.05) for _ in range(outf)], dtype=np.float32)
        dy = rand_dy(outf)
        total = total + (F.linear(x, t64(w_scale).reshape(-1, 1) * t64(wq)) * t64(dy).reshape(1, -1)).sum()
        consumers.append({'op': 'fc', 'out_features': outf, 'w': enc(wq, 'i8'),
                          'w_scale': enc(w_scale, 'f32'), 'dy': enc(dy, 'f32')})
    total.backward()
    return {'name': name, 'in_features': inf, 'x_scale': float(x_scale), 'x_zp': x_zp,
            'x': enc(xq, 'i8'), 'consumers': consumers, 'dx': enc(x.grad.numpy()[0], 'f32')}


# ---------------------------------------------------------------- the fixture set

def build():
    conv = [
        # name, kernel, in_c, in_h, in_w, out_c, (kh, kw), (sh, sw), (pt, pb, pl, pr), groups, ratio, sel mode
        conv_case('k1 s1', 'conv', 8, 6, 6, 5, (1, 1), (1, 1), (0, 0, 0, 0), 1, 0.125, 'random'),
        conv_case('k1 s2', 'conv', 4, 7, 7, 3, (1, 1), (2, 2), (0, 0, 0, 0), 1, 1, 'first'),
        conv_case('k3 s1 p1', 'conv', 4, 8, 8, 6, (3, 3), (1, 1), (1, 1, 1, 1), 1, 0.5, 'random'),
        conv_case('k3 s2 p1', 'conv', 8, 9, 9, 4, (3, 3), (2, 2), (1, 1, 1, 1), 1, 0.25, 'random'),
        conv_case('k3 s2 p0 unused tail', 'conv', 3, 8, 8, 4, (3, 3), (2, 2), (0, 0, 0, 0), 1, 1, 'first'),
        conv_case('k5 s1 p2', 'conv', 3, 8, 7, 4, (5, 5), (1, 1), (2, 2, 2, 2), 1, 1, 'first'),
        conv_case('k5 s2 asymmetric pad', 'conv', 4, 9, 10, 3, (5, 5), (2, 2), (1, 2, 2, 1), 1, 0.5, 'first'),
        conv_case('k7 s1 p3', 'conv', 2, 8, 8, 3, (7, 7), (1, 1), (3, 3, 3, 3), 1, 0.5, 'random'),
        conv_case('k7 s2 p3 stem', 'conv', 3, 12, 12, 4, (7, 7), (2, 2), (3, 3, 3, 3), 1, 1, 'first'),
        conv_case('k3x1 s1,2', 'conv', 4, 7, 9, 3, (3, 1), (1, 2), (1, 1, 0, 0), 1, 0.25, 'random'),
        conv_case('k3 pad 3 (empty windows)', 'conv', 2, 4, 4, 3, (3, 3), (1, 1), (3, 3, 3, 3), 1, 1, 'first'),
        conv_case('k3 x_zp -128', 'conv', 4, 6, 6, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1, 0.5, 'first', x_zp=-128),
        conv_case('k3 saturating lr', 'conv', 4, 6, 6, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1, 1, 'first',
                  w_target=400.0, b_target=1e9),
        conv_case('grouped g2', 'conv', 4, 6, 6, 6, (3, 3), (1, 1), (1, 1, 1, 1), 2, 0.5, 'random'),
        conv_case('grouped g4 s2', 'conv', 8, 7, 7, 4, (3, 3), (2, 2), (1, 1, 1, 1), 4, 0.25, 'random'),
        conv_case('grouped g2 one group selected', 'conv', 8, 5, 5, 4, (3, 3), (1, 1), (1, 1, 1, 1), 2, 0.25, 'first'),
        conv_case('depthwise multiplier 2', 'conv', 3, 6, 6, 6, (3, 3), (1, 1), (1, 1, 1, 1), 3, 1, 'first'),
        conv_case('dw k3 s1', 'depthwise', 6, 8, 8, 6, (3, 3), (1, 1), (1, 1, 1, 1), 6, 0.5, 'random'),
        conv_case('dw k3 s2', 'depthwise', 8, 9, 9, 8, (3, 3), (2, 2), (1, 1, 1, 1), 8, 0.125, 'random'),
        conv_case('dw k5 s1', 'depthwise', 4, 7, 7, 4, (5, 5), (1, 1), (2, 2, 2, 2), 4, 1, 'first'),
        conv_case('dw k7 s2 (MCUNet)', 'depthwise', 5, 9, 9, 5, (7, 7), (2, 2), (3, 3, 3, 3), 5, 0.25, 'first'),
        conv_case('pw 16->8', 'pointwise', 16, 6, 6, 8, (1, 1), (1, 1), (0, 0, 0, 0), 1, 0.125, 'random'),
        conv_case('pw 24->12 4x4', 'pointwise', 24, 4, 4, 12, (1, 1), (1, 1), (0, 0, 0, 0), 1, 0.5, 'first'),
        conv_case('pw 8->16', 'pointwise', 8, 5, 5, 16, (1, 1), (1, 1), (0, 0, 0, 0), 1, 1, 'first'),
    ]
    fc = [
        fc_case('fc 64->10', 64, 10, 0.25, 'random'),
        fc_case('fc 160->10 (MCUNet classifier)', 160, 10, 1, 'first'),
        fc_case('fc 40->6', 40, 6, 0.125, 'random'),
        fc_case('fc 7->3', 7, 3, 0.5, 'first'),
        fc_case('fc saturating lr', 16, 4, 1, 'first', w_target=300.0, b_target=3e9),
    ]
    pool = [
        pool_case('avg k2 s2', 'avg', 3, 8, 8, (2, 2), (2, 2)),
        pool_case('avg k3 s1 p1 include pad', 'avg', 2, 6, 7, (3, 3), (1, 1), (1, 1, 1, 1), cip=1),
        pool_case('avg k3 s1 p1 exclude pad', 'avg', 2, 6, 7, (3, 3), (1, 1), (1, 1, 1, 1), cip=0),
        pool_case('avg k3 s2 p1 exclude pad', 'avg', 3, 9, 9, (3, 3), (2, 2), (1, 1, 1, 1), cip=0),
        pool_case('avg k5 s2 asymmetric exclude pad', 'avg', 2, 9, 8, (5, 5), (2, 2), (1, 2, 2, 1), cip=0),
        pool_case('avg k5 s2 asymmetric include pad', 'avg', 2, 9, 8, (5, 5), (2, 2), (1, 2, 2, 1), cip=1),
        pool_case('avg k2 pad 3 (empty windows) exclude', 'avg', 1, 3, 3, (2, 2), (1, 1), (3, 3, 3, 3), cip=0),
        pool_case('avg k2 pad 3 (empty windows) include', 'avg', 1, 3, 3, (2, 2), (1, 1), (3, 3, 3, 3), cip=1),
        pool_case('global 5x7', 'gap', 4, 5, 7),
        pool_case('global 4x4', 'gap', 6, 4, 4),
        pool_case('max k2 s2', 'max', 3, 8, 8, (2, 2), (2, 2)),
        pool_case('max k3 s2 p1', 'max', 2, 9, 9, (3, 3), (2, 2), (1, 1, 1, 1)),
        pool_case('max k3 s1 p1 ties', 'max', 2, 7, 7, (3, 3), (1, 1), (1, 1, 1, 1), narrow=True),
        pool_case('max k2 s2 ties', 'max', 2, 6, 6, (2, 2), (2, 2), narrow=True),
        pool_case('max k3 s2 asymmetric', 'max', 2, 8, 9, (3, 3), (2, 2), (0, 2, 1, 1)),
    ]
    act = [
        act_case('relu6 zp -100 scale 1/16', 'relu6', 999, f32(1 / 16), -100, -100, -4),
        act_case('relu zp -128', 'relu', 77, f32(0.05), -128, -128, 128),
        act_case('relu zp 3', 'relu', 64, f32(0.125), 3, 3, 128),
        act_case('clip [-20, 90]', 'clip', 333, f32(0.25), 10, -20, 90),
    ]
    xent = [
        xent_case('n10', 10, f32(0.1), 5, 3),
        xent_case('n10 wide range (exp underflow)', 10, f32(1.0), -7, 0),
        xent_case('n10 tiny scale', 10, f32(1e-4), 0, 9),
        xent_case('n2', 2, f32(0.05), -128, 1),
        xent_case('n1', 1, f32(0.3), 0, 0),
        xent_case('n100', 100, f32(0.03), 20, 57),
        xent_case('n1000', 1000, f32(0.02), -3, 999),
        xent_case('all equal', 10, f32(0.2), 0, 4, logits=[17] * 10),
        xent_case('label is the max', 10, f32(0.15), 0, 2, logits=[-5, 3, 127, 126, -128, 0, 1, 2, 3, 4]),
    ]
    multi = [multi_conv_case('x 4x8x8 with 7 consumers', 4, 8, 8), multi_fc_case('x 32 into fc 10 and fc 5', 32, [10, 5])]
    return {'conv': conv, 'fc': fc, 'pool': pool, 'act': act, 'xent': xent, 'multi': multi}


def main():
    check_maxpool_tie_rule()
    os.makedirs(OUT, exist_ok=True)
    meta = {'generator': 'scripts/make_grad_fixtures.py', 'torch': torch.__version__,
            'numpy': np.__version__, 'seed': SEED, 'tie_eps': TIE_EPS}
    for name, cases in build().items():
        path = os.path.join(OUT, name + '.json')
        with open(path, 'w') as f:
            json.dump(dict(meta, cases=cases), f, separators=(',', ':'))
            f.write('\n')
        print('%s: %d cases, %d bytes' % (path, len(cases), os.path.getsize(path)))


if __name__ == '__main__':
    main()

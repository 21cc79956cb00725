#!/usr/bin/python3
"""Train tinytrain's bundled default model on Fashion-MNIST and export it to ONNX.

Writes models/default.onnx (opset 13, BN folded, dynamic batch axis) and
models/default.json (accuracies, normalization, architecture, seed, command).

Usage (Debian: python3-torch 1.13, python3-onnx 1.12, dataset-fashion-mnist):
    /usr/bin/python3 scripts/train_default_model.py [--data DIR] [--out-dir models]
        [--epochs N] [--seed S] [--threads T]

The network is chosen for on-device training later: plain Conv/ReLU/Gemm ops only
(no max-pool, whose backward needs argmax indices), stride-2 convolutions for
down-sampling, small activations (largest: 8x28x28 int8 = 6 KB) and ~10 K weights.
Input normalization is tinytrain's default, real = raw / 255 (mean 0, std 1).
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Fixed so the exported file only changes when the training recipe does.
ONNX_INPUT = "input"
ONNX_OUTPUT = "logits"


def read_idx(path, magic, header):
    """Read a gzipped (or raw) IDX file; return the payload after the header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    got = int.from_bytes(data[0:4], "big")
    if got != magic:
        sys.exit(f"{path}: bad magic 0x{got:x}, expected 0x{magic:x}")
    return np.frombuffer(data, dtype=np.uint8, offset=header)


def find(dirname, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(dirname, name)
        if os.path.exists(p):
            return p
    sys.exit(f"{dirname}: missing {stem}[.gz]")


def load_fashion(dirname):
    """Return uint8 images [N,1,28,28] and int64 labels [N] for train and test."""
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(find(dirname, f"{prefix}-images-idx3-ubyte"), 0x803, 16)
        y = read_idx(find(dirname, f"{prefix}-labels-idx1-ubyte"), 0x801, 8)
        out[split] = (x.reshape(-1, 1, 28, 28), y.astype(np.int64))
    return out


def conv_bn_relu(cin, cout, k=3, stride=1, groups=1):
    return [
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class DefaultNet(nn.Module):
    """1x28x28 -> 10 logits.

    conv3x3 8      s1  28x28
    conv3x3 16     s2  14x14
    conv3x3 32     s1  14x14
    dw3x3   32     s2   7x7
    pw1x1   64     s1   7x7
    global average pool -> Linear(64, 10)
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 8),
            *conv_bn_relu(8, 16, stride=2),
            *conv_bn_relu(16, 32),
            *conv_bn_relu(32, 32, stride=2, groups=32),
            *conv_bn_relu(32, 64, k=1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)  # exports as GlobalAveragePool
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(torch.flatten(x, 1))


ARCH_SUMMARY = [
    "Conv3x3(1->8, s1, p1) + BN + ReLU       -> 8x28x28",
    "Conv3x3(8->16, s2, p1) + BN + ReLU      -> 16x14x14",
    "Conv3x3(16->32, s1, p1) + BN + ReLU     -> 32x14x14",
    "DWConv3x3(32, s2, p1) + BN + ReLU       -> 32x7x7",
    "Conv1x1(32->64) + BN + ReLU             -> 64x7x7",
    "GlobalAveragePool                       -> 64",
    "Flatten + Linear(64->10)                -> 10 logits",
]


def to_float(x_u8):
    # tinytrain default normalization: real = raw / 255.
    return torch.from_numpy(x_u8.astype(np.float32) / 255.0)


def evaluate(model, x_u8, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            pred = model(to_float(x_u8[i:i + batch])).argmax(1).numpy()
            correct += int((pred == y[i:i + batch]).sum())
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out-dir", default=os.path.join(os.path.dirname(__file__), "..", "models"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    data = load_fashion(args.data)
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    xtr_t, ytr_t = to_float(xtr), torch.from_numpy(ytr)

    model = DefaultNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = (len(ytr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        total = 0.0
        for i in range(0, len(ytr), args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = xtr_t[idx], ytr_t[idx]
            # Horizontal flip is label-preserving for clothing and cheap regularization.
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        acc = evaluate(model, xte[:1000], yte[:1000])
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(ytr):.4f} "
              f"test@1000 {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)

    model.eval()
    acc1000 = evaluate(model, xte[:1000], yte[:1000])
    acc_all = evaluate(model, xte, yte)
    print(f"float accuracy: first 1000 {acc1000:.4f}, all 10000 {acc_all:.4f}")

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "default.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), onnx_path,
        opset_version=13, do_constant_folding=True,
        input_names=[ONNX_INPUT], output_names=[ONNX_OUTPUT],
        dynamic_axes={ONNX_INPUT: {0: "batch"}, ONNX_OUTPUT: {0: "batch"}},
        training=torch.onnx.TrainingMode.EVAL)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # Parameters after BN folding: conv weights + the biases BN turns into.
    folded = sum(int(np.prod(t.dims)) for t in m.graph.initializer)

    meta = {
        "model": "default.onnx",
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist, IDX gz)",
        "input": {"name": ONNX_INPUT, "shape": ["batch", 1, 28, 28], "layout": "NCHW"},
        "output": {"name": ONNX_OUTPUT, "shape": ["batch", 10]},
        "normalization": {"scale": 1 / 255, "mean": [0.0], "std": [1.0],
                          "rule": "real = (raw * scale - mean[c]) / std[c]  (tinytrain default)"},
        "float_accuracy": {"test_first_1000": acc1000, "test_all_10000": acc_all},
        "architecture": ARCH_SUMMARY,
        "onnx_ops": ops,
        "opset": 13,
        "trainable_parameters_pytorch": params,
        "parameters_after_bn_folding": folded,
        "training": {"epochs": args.epochs, "batch": args.batch, "optimizer": "AdamW",
                     "lr": args.lr, "weight_decay": 1e-4, "schedule": "OneCycle",
                     "augmentation": "random horizontal flip", "seconds": round(time.time() - t0)},
        "seed": args.seed,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "command": "/usr/bin/python3 scripts/train_default_model.py "
                   + " ".join(a for a in sys.argv[1:]),
    }
    meta["command"] = meta["command"].strip()
    with open(os.path.join(args.out_dir, "default.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), ops {ops}")


if __name__ == "__main__":
    main()

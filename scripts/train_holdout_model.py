#!/usr/bin/python3
"""Train the hold-out "new user" model: a small ResNet-style CNN on Fashion-MNIST,
exported to test/fixtures/holdout/model.onnx for test/analyze-newuser.test.ts.

It exists to show that a user whose model and data were never seen during development
can go through `tinytrain analyze` and `tinytrain gen --scheme auto` with no hand edits.
So it differs from models/default.onnx (plain strided convs, no pooling) and from
test/fixtures/dwsep (depthwise-separable, ReLU6, ReduceMean) in the ways a user's model
would: residual basic blocks with ReLU after the add, a MaxPool, a stride-2 downsampling
block whose shortcut is a 1x1 conv + BN, AdaptiveAvgPool2d(1) (exported as
GlobalAveragePool), a short recipe (2 epochs of Adam), and its own input normalization
(x/255, then mean 0.5, std 0.5), so the user must pass --mean 0.5 --std 0.5.

Usage: /usr/bin/python3 scripts/train_holdout_model.py [--data DIR] [--out-dir DIR]
           [--epochs N] [--seed S] [--threads T]
Writes model.onnx (opset 13, eval mode, BN folded by the exporter's constant folding)
and meta.json (normalization, PyTorch float accuracy, architecture, versions, command).
Deterministic: fixed seeds, deterministic algorithms, 1 thread by default.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_default_model import load_fashion  # noqa: E402  (shared IDX reader)

MEAN, STD = 0.5, 0.5
HERE = os.path.dirname(os.path.abspath(__file__))


def conv_bn(cin, cout, k=3, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """ResNet basic block: relu(x' + shortcut(x)), x' = bn(conv(relu(bn(conv(x)))))."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3, 1)
        # Identity when the shape is kept, else a 1x1 conv + BN projection.
        self.shortcut = conv_bn(cin, cout, 1, stride) if (stride != 1 or cin != cout) else nn.Identity()

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(y + self.shortcut(x))


class HoldoutResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.entry = nn.Sequential(*conv_bn(1, 12), nn.ReLU())  # 12x28x28
        self.res1 = BasicBlock(12, 12)                          # 12x28x28
        self.pool = nn.MaxPool2d(2)                             # 12x14x14
        self.res2 = BasicBlock(12, 24, stride=2)                # 24x7x7
        self.gap = nn.AdaptiveAvgPool2d(1)                      # 24x1x1
        self.flatten = nn.Flatten()                             # 24
        self.head = nn.Linear(24, 10)

    def forward(self, x):
        x = self.res2(self.pool(self.res1(self.entry(x))))
        return self.head(self.flatten(self.gap(x)))


ARCH_SUMMARY = [
    "entry: Conv3x3(1->12, s1, p1) + BN + ReLU                       -> 12x28x28",
    "res1: relu(x + [Conv3x3(12->12) + BN + ReLU, Conv3x3(12->12) + BN]) -> 12x28x28",
    "MaxPool2d(2)                                                     -> 12x14x14",
    "res2: relu([Conv3x3(12->24, s2) + BN + ReLU, Conv3x3(24->24) + BN]",
    "           + [Conv1x1(12->24, s2) + BN])                         -> 24x7x7",
    "AdaptiveAvgPool2d(1) (GlobalAveragePool), flatten               -> 24",
    "Linear(24->10)                                                   -> 10 logits",
]


def normalize(x_u8):
    # Same arithmetic as tinytrain's loader: double precision, (raw * (1/255) - mean) / std,
    # rounded to float32 once, so both see bit-identical inputs.
    return torch.from_numpy(((x_u8.astype(np.float64) * (1 / 255) - MEAN) / STD).astype(np.float32))


def evaluate(model, x_u8, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            pred = model(normalize(x_u8[i:i + batch])).argmax(1).numpy()
            correct += int((pred == y[i:i + batch]).sum())
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out-dir", default=os.path.normpath(os.path.join(HERE, "..", "test", "fixtures", "holdout")))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    data = load_fashion(args.data)
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    xtr_t, ytr_t = normalize(xtr), torch.from_numpy(ytr)

    model = HoldoutResNet()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        for i in range(0, len(ytr), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xtr_t[idx]), ytr_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}/{args.epochs} loss {loss.item():.4f} "
              f"test@1000 {evaluate(model, xte[:1000], yte[:1000]):.4f} ({time.time() - t0:.0f}s)", flush=True)

    model.eval()
    acc1000 = evaluate(model, xte[:1000], yte[:1000])
    acc_all = evaluate(model, xte, yte)
    print(f"float accuracy: first 1000 {acc1000:.4f}, all 10000 {acc_all:.4f}")

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), onnx_path,
        opset_version=13, do_constant_folding=True,
        input_names=["pixels"], output_names=["class_logits"],
        dynamic_axes={"pixels": {0: "batch"}, "class_logits": {0: "batch"}},
        training=torch.onnx.TrainingMode.EVAL)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})

    meta = {
        "model": "model.onnx",
        "role": "hold-out new-user model: never used while developing the compiler or the analysis",
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist, IDX gz), training split",
        "input": {"name": "pixels", "shape": ["batch", 1, 28, 28], "layout": "NCHW"},
        "output": {"name": "class_logits", "shape": ["batch", 10]},
        "mean": MEAN,
        "std": STD,
        "normalization": {"scale": 1 / 255, "mean": [MEAN], "std": [STD],
                          "rule": "real = (raw * scale - mean[c]) / std[c]",
                          "cli": f"--mean {MEAN} --std {STD}"},
        "float_accuracy_first1000": acc1000,
        "float_accuracy_all10000": acc_all,
        "epochs": args.epochs,
        "optimizer": f"Adam lr {args.lr}, batch {args.batch}",
        "arch": ARCH_SUMMARY,
        "onnx_ops": ops,
        "opset": 13,
        "parameters_after_bn_folding": sum(int(np.prod(t.dims)) for t in m.graph.initializer
                                           if len(t.dims) > 0),
        "seed": args.seed,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "command": ("/usr/bin/python3 scripts/train_holdout_model.py " + " ".join(sys.argv[1:])).strip(),
    }
    with open(os.path.join(args.out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), ops {ops}")


if __name__ == "__main__":
    main()

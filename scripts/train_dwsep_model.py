#!/usr/bin/python3
"""Train the "never seen during development" test model: a MobileNet-style
depthwise-separable CNN on Fashion-MNIST, exported to test/fixtures/dwsep/model.onnx.

It deliberately differs from models/default.onnx in the ways a new user's model would:
ReLU6 (exported as Clip with Constant min/max), a residual Add, x.mean((2,3)) (exported
as ReduceMean), a channel-changing pointwise without activation, and a non-default
input normalization (mean 0.2860, std 0.3530 after x/255) to exercise --mean/--std.

Usage: /usr/bin/python3 scripts/train_dwsep_model.py [--data DIR] [--out-dir DIR] [--epochs N]
Writes model.onnx and meta.json (normalization, PyTorch float accuracy).
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

MEAN, STD = 0.2860, 0.3530
HERE = os.path.dirname(os.path.abspath(__file__))


def bn_act(c, act=True):
    return [nn.BatchNorm2d(c)] + ([nn.ReLU6(inplace=True)] if act else [])


def dw(c, stride):
    return [nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), *bn_act(c)]


def pw(cin, cout, act=True):
    return [nn.Conv2d(cin, cout, 1, bias=False), *bn_act(cout, act)]


class DwSepNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), *bn_act(16))  # 16x14x14
        self.block1 = nn.Sequential(*dw(16, 1), *pw(16, 24))                            # 24x14x14
        self.block2 = nn.Sequential(*dw(24, 2), *pw(24, 48))                            # 48x7x7
        # Inverted-residual style: linear pointwise (no activation) before the add.
        self.block3 = nn.Sequential(*dw(48, 1), *pw(48, 48, act=False))                 # 48x7x7
        self.fc = nn.Linear(48, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        x = x + self.block3(x)
        return self.fc(x.mean((2, 3)))


ARCH_SUMMARY = [
    "Conv3x3(1->16, s2, p1) + BN + ReLU6                  -> 16x14x14",
    "DWConv3x3(16, s1) + BN + ReLU6, Conv1x1(16->24) + BN + ReLU6 -> 24x14x14",
    "DWConv3x3(24, s2) + BN + ReLU6, Conv1x1(24->48) + BN + ReLU6 -> 48x7x7",
    "residual: x + [DWConv3x3(48, s1) + BN + ReLU6, Conv1x1(48->48) + BN] -> 48x7x7",
    "mean over H,W (ReduceMean)                            -> 48",
    "Linear(48->10)                                        -> 10 logits",
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
    ap.add_argument("--out-dir", default=os.path.join(HERE, "..", "test", "fixtures", "dwsep"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    data = load_fashion(args.data)
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    xtr_t, ytr_t = normalize(xtr), torch.from_numpy(ytr)

    model = DwSepNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(ytr) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
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
            sched.step()
        print(f"epoch {epoch + 1}/{args.epochs} test@1000 {evaluate(model, xte[:1000], yte[:1000]):.4f} "
              f"({time.time() - t0:.0f}s)", flush=True)

    model.eval()
    acc1000 = evaluate(model, xte[:1000], yte[:1000])
    acc_all = evaluate(model, xte, yte)
    print(f"float accuracy: first 1000 {acc1000:.4f}, all 10000 {acc_all:.4f}")

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), onnx_path,
        opset_version=13, do_constant_folding=True,
        input_names=["image"], output_names=["scores"],
        dynamic_axes={"image": {0: "n"}, "scores": {0: "n"}},
        training=torch.onnx.TrainingMode.EVAL)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})

    meta = {
        "model": "model.onnx",
        "role": "independent test model, never used while developing the compiler",
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist, IDX gz)",
        "input": {"name": "image", "shape": ["n", 1, 28, 28], "layout": "NCHW"},
        "output": {"name": "scores", "shape": ["n", 10]},
        "normalization": {"scale": 1 / 255, "mean": [MEAN], "std": [STD],
                          "rule": "real = (raw * scale - mean[c]) / std[c]",
                          "cli": f"--mean {MEAN} --std {STD}"},
        "float_accuracy": {"test_first_1000": acc1000, "test_all_10000": acc_all},
        "architecture": ARCH_SUMMARY,
        "onnx_ops": ops,
        "opset": 13,
        "parameters_after_bn_folding": sum(int(np.prod(t.dims)) for t in m.graph.initializer
                                           if len(t.dims) > 0),
        "seed": args.seed,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "command": ("/usr/bin/python3 scripts/train_dwsep_model.py " + " ".join(sys.argv[1:])).strip(),
    }
    with open(os.path.join(args.out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), ops {ops}")


if __name__ == "__main__":
    main()

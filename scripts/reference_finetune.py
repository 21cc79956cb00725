#!/usr/bin/python3
"""Float PyTorch reference for tinytrain's on-device learning tasks.

Fine-tunes the WHOLE model (every float initializer, via scripts/onnx_to_torch.py) in
float32 on one task of test/fixtures/tasks/tasks.json, and records test accuracy and mean
cross-entropy before and after, for each learning rate of a grid. The result is committed
as test/fixtures/reference/<model>-<task>.json so tests and CI need no PyTorch.

    /usr/bin/python3 scripts/reference_finetune.py --model models/default.onnx --task invert \\
        [--lr 0.001,0.003,0.01,0.03,0.1] [--mean M --std S] [--out FILE]

Protocol (mirrors what the device does):
  * data: Debian's Fashion-MNIST IDX files; the first train_count training and the first
    test_count test images in file order; optional inversion on the raw bytes
    (raw' = 255 - raw) BEFORE normalization real = (raw * scale - mean) / std (computed in
    double, stored as float32, like tinytrain's loader); optional label map.
  * normalization: --mean/--std if given, else the "normalization" entry of the model's
    sibling meta.json or <stem>.json, else tinytrain's default x/255.
  * head: if the task's class count differs from the model's, the classifier (the last
    Gemm/MatMul feeding the output) is replaced by a fresh nn.Linear (PyTorch default init,
    torch.manual_seed(--head-seed)); its initial weights are recorded.
  * training: model in eval mode (BN statistics frozen - exports fold BN anyway - and
    dropout off); plain SGD (no momentum, no weight decay), batch size 1, exactly one pass
    over the training samples in file order, constant learning rate. Every learning rate
    starts from the same initial weights.
  * deterministic: one thread, torch.use_deterministic_algorithms, fixed seeds.
"""
import argparse
import copy
import hashlib
import json
import math
import os
import platform
import re
import shlex
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
sys.path.insert(0, HERE)
from train_default_model import load_fashion  # noqa: E402  (shared IDX reader)
from onnx_to_torch import OnnxModule  # noqa: E402

DEFAULT_DATA = '/usr/share/datasets/fashion-mnist'
DEFAULT_TASKS = os.path.join(ROOT, 'test', 'fixtures', 'tasks', 'tasks.json')
DEFAULT_LRS = [0.001, 0.003, 0.01, 0.03, 0.1]
LOGITS_RECORDED = 8  # first test samples whose 'before' logits are stored for the TS check


# ------------------------------------------------------------------------------- data

def load_split(dirname, prefix, count):
    """First `count` images (uint8 [N,1,28,28]) and labels (int64 [N]) of a split."""
    x, y = load_fashion(dirname)['train' if prefix == 'train' else 'test']
    if count > len(y):
        sys.exit(f'{dirname}: {prefix} has {len(y)} samples, task needs {count}')
    return x[:count].copy(), y[:count]


def prepare(x_u8, y, task, norm):
    if task.get('invert'):
        x_u8 = 255 - x_u8
    mean = np.array(norm['mean'], dtype=np.float64).reshape(1, -1, 1, 1)
    std = np.array(norm['std'], dtype=np.float64).reshape(1, -1, 1, 1)
    x = ((x_u8.astype(np.float64) * norm['scale'] - mean) / std).astype(np.float32)
    if task.get('label_map') is not None:
        y = np.array(task['label_map'], dtype=np.int64)[y]
    return torch.from_numpy(x), torch.from_numpy(y)


def resolve_norm(args, model_path):
    if args.mean is not None or args.std is not None:
        mean = [float(v) for v in (args.mean or '0').split(',')]
        std = [float(v) for v in (args.std or '1').split(',')]
        return {'scale': 1 / 255, 'mean': mean, 'std': std, 'source': 'command line'}
    stem = os.path.splitext(model_path)[0]
    for cand in (os.path.join(os.path.dirname(model_path), 'meta.json'), stem + '.json'):
        if os.path.exists(cand):
            meta = json.load(open(cand))
            n = meta.get('normalization')
            if isinstance(n, dict) and 'mean' in n and 'std' in n:
                return {'scale': float(n.get('scale', 1 / 255)), 'mean': [float(v) for v in n['mean']],
                        'std': [float(v) for v in n['std']], 'source': rel(cand)}
    return {'scale': 1 / 255, 'mean': [0.0], 'std': [1.0], 'source': 'tinytrain default (x/255)'}


def rel(p):
    p = os.path.abspath(p)
    return os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else p


# --------------------------------------------------------------------------- evaluation

def evaluate(net, x, y, keep_logits=0):
    correct, loss_sum, preds, logits = 0, 0.0, [], []
    with torch.no_grad():
        for i in range(x.shape[0]):
            out = net(x[i:i + 1])
            loss_sum += float(F.cross_entropy(out, y[i:i + 1]))
            p = int(out.argmax(1))
            preds.append(p)
            correct += int(p == int(y[i]))
            if i < keep_logits:
                logits.append([float('%.9g' % v) for v in out.reshape(-1).tolist()])
    n = x.shape[0]
    res = {'accuracy': correct / n, 'correct': correct, 'count': n, 'loss': finite(loss_sum / n),
           'distinct_predictions': len(set(preds))}
    if keep_logits:
        res['predictions'] = preds
        res['logits_first'] = logits
    return res


def finite(v):
    return float('%.9g' % v) if math.isfinite(v) else None


def finetune(net, x, y, lr):
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr, momentum=0.0, weight_decay=0.0)
    loss_sum, correct, diverged_at = 0.0, 0, None
    for i in range(x.shape[0]):
        opt.zero_grad(set_to_none=True)
        out = net(x[i:i + 1])
        loss = F.cross_entropy(out, y[i:i + 1])
        lv = float(loss)
        if not math.isfinite(lv) and diverged_at is None:
            diverged_at = i
        loss_sum += lv
        correct += int(int(out.argmax(1)) == int(y[i]))
        loss.backward()
        opt.step()
    n = x.shape[0]
    return {'train_loss_mean': finite(loss_sum / n), 'train_accuracy_online': correct / n,
            'diverged_at_sample': diverged_at}


# --------------------------------------------------------------------------------- main

def default_out(model_path, task):
    stem = os.path.splitext(os.path.basename(model_path))[0]
    if stem == 'model':
        stem = os.path.basename(os.path.dirname(os.path.abspath(model_path)))
    return os.path.join(ROOT, 'test', 'fixtures', 'reference', f'{stem}-{task}.json')


def compact_json(obj):
    """Indented JSON with numeric arrays kept on one line."""
    text = json.dumps(obj, indent=2, allow_nan=False)
    return re.sub(r'\[\s+([-0-9.eE+,\s]+?)\s+\]', lambda m: '[' + re.sub(r',\s+', ', ', m.group(1)) + ']', text) + '\n'


def main():
    ap = argparse.ArgumentParser(description='Float PyTorch whole-model fine-tune reference for a tinytrain task.')
    ap.add_argument('--model', required=True, help='ONNX model (PyTorch export)')
    ap.add_argument('--task', required=True, help='task name in --tasks')
    ap.add_argument('--tasks', default=DEFAULT_TASKS)
    ap.add_argument('--data', default=DEFAULT_DATA, help='Fashion-MNIST IDX folder')
    ap.add_argument('--lr', default=','.join(str(v) for v in DEFAULT_LRS), help='comma-separated learning rates')
    ap.add_argument('--mean', help='normalization mean(s) after x/255, comma-separated')
    ap.add_argument('--std', help='normalization std(s) after x/255, comma-separated')
    ap.add_argument('--head-seed', type=int, default=0, help='seed of the fresh classifier (when classes change)')
    ap.add_argument('--out', help='output JSON (default test/fixtures/reference/<model>-<task>.json)')
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    t0 = time.time()

    tasks = json.load(open(args.tasks))['tasks']
    if args.task not in tasks:
        sys.exit(f'unknown task {args.task}; known: {", ".join(tasks)}')
    task = tasks[args.task]
    lrs = [float(v) for v in args.lr.split(',') if v.strip()]
    norm = resolve_norm(args, args.model)

    net = OnnxModule.load(args.model)
    net.eval()
    xtr_u8, ytr = load_split(args.data, 'train', task['train_count'])
    xte_u8, yte = load_split(args.data, 't10k', task['test_count'])
    xtr, ytr = prepare(xtr_u8, ytr, task, norm)
    xte, yte = prepare(xte_u8, yte, task, norm)

    with torch.no_grad():
        model_classes = int(net(xte[:1]).shape[-1])
    head = net.classifier()
    head_rec = {'replaced': False, 'classes': model_classes, 'onnx_node': head['node'],
                'feature_tensor': head['input'], 'weight': head['weight'], 'bias': head['bias']}
    if task['classes'] != model_classes:
        w, b, _ = net.replace_classifier(task['classes'], args.head_seed)
        head_rec.update({
            'replaced': True, 'classes': task['classes'], 'replaced_classes': model_classes,
            'init': f'torch.manual_seed({args.head_seed}); nn.Linear(in_features, {task["classes"]}) (PyTorch default init)',
            'seed': args.head_seed,
            'initial_weight': [[float('%.9g' % v) for v in row] for row in w.tolist()],
            'initial_bias': None if b is None else [float('%.9g' % v) for v in b.tolist()],
        })
    bad = int(((yte < 0) | (yte >= task['classes'])).sum() + ((ytr < 0) | (ytr >= task['classes'])).sum())
    if bad:
        sys.exit(f'{bad} labels outside [0, {task["classes"]})')

    initial = copy.deepcopy(net.state_dict())
    n_values = sum(p.numel() for p in net.parameters())
    before = evaluate(net, xte, yte, keep_logits=LOGITS_RECORDED)
    print(f'{rel(args.model)} {args.task}: before acc {before["accuracy"]:.3f} loss {before["loss"]:.4f}', flush=True)

    runs = []
    for lr in lrs:
        net.load_state_dict(initial)
        torch.manual_seed(0)
        tr = finetune(net, xtr, ytr, lr)
        after = evaluate(net, xte, yte)
        runs.append({'lr': lr, 'after': after, **tr})
        print(f'  lr {lr:<6g} after acc {after["accuracy"]:.3f} loss {after["loss"]}  '
              f'(online train acc {tr["train_accuracy_online"]:.3f}, loss {tr["train_loss_mean"]})', flush=True)
    net.load_state_dict(initial)

    best = max(runs, key=lambda r: (r['after']['accuracy'], -r['lr']))
    with open(args.model, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    cmd = ['/usr/bin/python3', 'scripts/reference_finetune.py'] + [rel(a) if os.path.exists(a) else a for a in sys.argv[1:]]
    result = {
        'about': 'Float32 PyTorch fine-tune of the whole model (scripts/reference_finetune.py): the reference that '
                 "tinytrain's on-device int8 learning is compared against. Accuracy/loss are on the task's test set.",
        'model': rel(args.model),
        'model_sha256': sha,
        'model_ops': net.op_types,
        'opset': net.opset,
        'task': args.task,
        'task_def': task,
        'data': {'dir': args.data, 'train': f'first {task["train_count"]} of train-images-idx3-ubyte',
                 'test': f'first {task["test_count"]} of t10k-images-idx3-ubyte',
                 'invert': bool(task.get('invert')), 'label_map': task.get('label_map')},
        'normalization': {**norm, 'rule': "real = (raw' * scale - mean[c]) / std[c], raw' = 255 - raw if inverted"},
        'head': head_rec,
        'training': {
            'optimizer': 'SGD', 'momentum': 0.0, 'weight_decay': 0.0, 'batch_size': 1, 'epochs': 1,
            'order': 'file order, no shuffling', 'schedule': 'constant', 'precision': 'float32',
            'mode': 'eval (BatchNorm statistics frozen, dropout off)', 'loss': 'softmax cross-entropy',
            'trained': f'all {len(list(net.parameters()))} float parameter tensors ({n_values} values)',
            'learning_rates': lrs,
        },
        'before': before,
        'runs': runs,
        'best': {'lr': best['lr'], 'accuracy': best['after']['accuracy'], 'loss': best['after']['loss']},
        'environment': {'torch': torch.__version__, 'onnx': onnx.__version__, 'numpy': np.__version__,
                        'python': platform.python_version(), 'threads': torch.get_num_threads()},
        'command': ' '.join(shlex.quote(c) for c in cmd),
    }
    out = args.out or default_out(args.model, args.task)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        f.write(compact_json(result))
    print(f'wrote {rel(out)} ({time.time() - t0:.1f} s)')


if __name__ == '__main__':
    main()

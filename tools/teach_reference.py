#!/usr/bin/python3
"""PyTorch reference for training a head (crates/effnet/src/teach): the same features, the same
initial head, the same Adam settings and the same batch order, trained in PyTorch.

Usage:
    /usr/bin/python3 tools/teach_reference.py OUT.json [--seed N] [--examples N] [--dim N]
        [--classes N] [--epochs N] [--batch-size N] [--lr X] [--l2 X]

What it does, step for step as the Rust side (crates/effnet/tests/teach_parity.rs checks it):

  * Features: N examples of DIM non-negative float32 values in K classes (class i gets
    examples i, i+K, i+2K, ...), drawn with numpy (seeded) around a per-class centre, as
    pooled ReLU6/SiLU features look; made here, not by the Rust side.
  * Normalisation (teach::Normalization): per dimension over all examples, mean and population
    variance in float64, std = sqrt(var + 1e-4), both rounded to float32; x' = (x - mean) / std
    in float32.
  * Random numbers (teach::rng): SplitMix64; stream for a purpose = state seed + purpose
    (Split 0, Init 1, Shuffle 2); below(n) = next % n; unit() = (next >> 11) / 2**53.
  * Initial head (teach::initial_head): weight [DIM, K] row-major, each value
    float32((2 unit() - 1) * sqrt(6 / (DIM + K))) from the Init stream; bias 0.
  * Batches: each epoch a Fisher-Yates shuffle of 0..N from the Shuffle stream (element i from
    N-1 down to 1 swaps with element below(i + 1)), cut into batches of BATCH (the last shorter).
  * Loss per batch: mean cross-entropy of softmax(x' W + b) plus l2 * sum(W**2) (the weight only).
  * torch.optim.Adam([W, b], lr, betas=(0.9, 0.999), eps=1e-7, weight_decay=0), one step per batch.
  * Epoch loss: sum over batches of loss * batch size, over N.

OUT.json: {"settings": {...}, "dim", "classes", "features" (N*DIM raw), "labels",
"mean", "std", "initial_weight" (DIM*K), "first_order" (epoch 1's order), "losses" (per epoch),
"weight" (DIM*K after the run), "bias" (K)}. float32 values are written as exact doubles.
torch runs on one thread (torch.set_num_threads(1)), in float32.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

MASK = (1 << 64) - 1
PURPOSE = {"split": 0, "init": 1, "shuffle": 2}
VARIANCE_EPSILON = 1e-4


class SplitMix64:
    def __init__(self, seed, purpose):
        self.state = (seed + PURPOSE[purpose]) & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def unit(self):
        return (self.next() >> 11) / float(1 << 53)

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def features(n, dim, k, seed):
    rng = np.random.RandomState(seed)
    centres = rng.uniform(0.0, 1.0, size=(k, dim))
    labels = [i % k for i in range(n)]
    x = centres[labels] + rng.normal(0.0, 1.0, size=(n, dim))
    return np.clip(x, 0.0, 6.0).astype(np.float32), labels


def normalization(x):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=0)
    var = ((x64 - mean) ** 2).mean(axis=0)
    return mean.astype(np.float32), np.sqrt(var + VARIANCE_EPSILON).astype(np.float32)


def initial_weight(dim, k, seed):
    rng = SplitMix64(seed, "init")
    limit = math.sqrt(6.0 / (dim + k))
    return np.array([(2.0 * rng.unit() - 1.0) * limit for _ in range(dim * k)], dtype=np.float32)


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--examples", type=int, default=102)
    p.add_argument("--dim", type=int, default=1280)
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--l2", type=float, default=0.001)
    a = p.parse_args()
    torch.set_num_threads(1)
    n, dim, k = a.examples, a.dim, a.classes

    raw, labels = features(n, dim, k, a.seed)
    mean, std = normalization(raw)
    x = torch.from_numpy((raw - mean) / std)
    assert x.dtype == torch.float32
    y = torch.tensor(labels, dtype=torch.long)

    w0 = initial_weight(dim, k, a.seed)
    weight = torch.nn.Parameter(torch.from_numpy(w0.copy()).reshape(dim, k))
    bias = torch.nn.Parameter(torch.zeros(k, dtype=torch.float32))
    optim = torch.optim.Adam([weight, bias], lr=a.lr, betas=(0.9, 0.999), eps=1e-7, weight_decay=0)

    shuffle = SplitMix64(a.seed, "shuffle")
    losses, first_order = [], None
    for epoch in range(a.epochs):
        order = list(range(n))
        shuffle.shuffle(order)
        if first_order is None:
            first_order = list(order)
        total = 0.0
        for start in range(0, n, a.batch_size):
            rows = torch.tensor(order[start:start + a.batch_size], dtype=torch.long)
            logits = x[rows] @ weight + bias
            loss = torch.nn.functional.cross_entropy(logits, y[rows]) + a.l2 * (weight ** 2).sum()
            optim.zero_grad()
            loss.backward()
            optim.step()
            total += loss.item() * len(rows)
        losses.append(total / n)

    out = {
        "settings": {"seed": a.seed, "epochs": a.epochs, "batch_size": a.batch_size,
                     "learning_rate": a.lr, "l2": a.l2, "beta_1": 0.9, "beta_2": 0.999,
                     "epsilon": 1e-7},
        "dim": dim,
        "classes": k,
        "features": floats(raw),
        "labels": labels,
        "mean": floats(mean),
        "std": floats(std),
        "initial_weight": floats(w0),
        "first_order": first_order,
        "losses": losses,
        "weight": floats(weight.detach().numpy()),
        "bias": floats(bias.detach().numpy()),
        "torch": torch.__version__,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(f"{a.out}: {n} examples, {dim} features, {k} classes, {a.epochs} epochs; "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()

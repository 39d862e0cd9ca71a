#!/usr/bin/python3
"""bench/bench_nn_torch.py: the PyTorch CPU peer of bench/bench_nn.c.

Builds each model from its emomc YAML (models/<name>.yaml) as a torch module with
random weights, folds every batch norm that directly follows a conv into it (as
emomc eval does), and measures eval-mode images/s at batch sizes 1 and 64 with the
given thread count, each figure the median of repeats. Uses Debian's python3-torch:
run with /usr/bin/python3.

usage: bench_nn_torch.py [--threads T] [--repeats R] [--seconds S] [--models a,b,c]
                         [--batches 1,64] [--train]
Output lines: "torch_model NAME batch B threads T images_per_s X"; with --train,
training steps (forward, cross-entropy, backward; no optimizer) instead:
"torch_train_model ...".
"""
import argparse
import os
import statistics
import time

import torch
import torch.nn as nn
import yaml
from torch.nn.utils.fusion import fuse_conv_bn_eval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class YamlNet(nn.Module):
    """The layer graph of an emomc model YAML (see spec/arch.h)."""

    def __init__(self, spec):
        super().__init__()
        c, h, w = spec["input"]
        self.kinds, self.srcs, names, shapes = [], [], [], []
        self.mods = nn.ModuleList()
        for i, l in enumerate(spec["layers"]):
            kind = l["type"]
            frm = l.get("from")
            if frm is None:
                src = [i - 1]
            else:
                src = [names.index(f) for f in (frm if isinstance(frm, list) else [frm])]
            cin, hin, win = (c, h, w) if src[0] < 0 else shapes[src[0]]
            mod = nn.Identity()
            k = l.get("kernel", 1)
            if kind in ("conv", "maxpool", "avgpool"):
                s = l.get("stride", 1 if kind == "conv" else k)
                p = l.get("pad", 0)
            if kind == "conv":
                g = cin if l.get("depthwise") else l.get("groups", 1)
                mod = nn.Conv2d(cin, l["out"], k, s, p, groups=g, bias=l.get("bias", True))
                out = (l["out"], (hin + 2 * p - k) // s + 1, (win + 2 * p - k) // s + 1)
            elif kind in ("maxpool", "avgpool"):
                mod = (nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(k, s, p)
                out = (cin, (hin + 2 * p - k) // s + 1, (win + 2 * p - k) // s + 1)
            elif kind == "linear":
                mod = nn.Linear(cin * hin * win, l["out"], bias=l.get("bias", True))
                out = (l["out"], 1, 1)
            elif kind == "bn":
                mod = nn.BatchNorm2d(cin, eps=l.get("eps", 1e-5))
                out = (cin, hin, win)
            elif kind == "relu":
                mod = nn.ReLU()
                out = (cin, hin, win)
            elif kind == "gap":
                mod = nn.AdaptiveAvgPool2d(1)
                out = (cin, 1, 1)
            elif kind == "flatten":
                mod = nn.Flatten()
                out = (cin * hin * win, 1, 1)
            elif kind in ("dropout", "add"):
                out = (cin, hin, win)
            else:
                raise ValueError("unknown layer type " + kind)
            names.append(l.get("name", "%s%d" % (kind, i)))
            shapes.append(out)
            self.kinds.append(kind)
            self.srcs.append(src)
            self.mods.append(mod)

    def fold_bn(self):
        """Folds each BN whose source is a conv read by nothing else into that conv."""
        readers = {}
        for i, s in enumerate(self.srcs):
            for j in s:
                readers[j] = readers.get(j, 0) + 1
        for i, kind in enumerate(self.kinds):
            j = self.srcs[i][0]
            if kind == "bn" and j >= 0 and self.kinds[j] == "conv" and readers[j] == 1:
                self.mods[j] = fuse_conv_bn_eval(self.mods[j], self.mods[i])
                self.mods[i] = nn.Identity()

    def forward(self, x):
        outs = []
        for kind, src, mod in zip(self.kinds, self.srcs, self.mods):
            a = x if src[0] < 0 else outs[src[0]]
            if kind == "add":
                y = a + outs[src[1]]
            elif kind == "linear" and a.dim() > 2:
                y = mod(a.flatten(1))
            else:
                y = mod(a)
            outs.append(y)
        return outs[-1]


def timed(fn, batch, repeats, seconds):
    """Images/s of fn(): the median of repeats of as many calls as fit in seconds."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    iters = max(1, int(seconds / one)) if one > 0 else 1
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        times.append((time.perf_counter() - t0) / iters)
    return batch / statistics.median(times)


def images_per_s(net, x, repeats, seconds):
    with torch.inference_mode():
        return timed(lambda: net(x), x.shape[0], repeats, seconds)


def train_images_per_s(net, x, labels, repeats, seconds):
    """A training step without the optimizer: forward, cross-entropy, backward."""
    def step():
        net.zero_grad(set_to_none=False)
        nn.functional.cross_entropy(net(x), labels).backward()
    return timed(step, x.shape[0], repeats, seconds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--models", default="lenet5,resnet20,vgg16")
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--train", action="store_true",
                    help="time training steps (train mode, BN not folded) instead")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for m in a.models.split(","):
        spec = yaml.safe_load(open(os.path.join(ROOT, "models", m + ".yaml")))
        if a.train:
            net = YamlNet(spec).train()
            for b in [int(v) for v in a.batches.split(",")]:
                x = torch.rand(b, *spec["input"]) * 2 - 1
                labels = torch.arange(b) % spec["classes"]
                r = train_images_per_s(net, x, labels, a.repeats, a.seconds)
                print("torch_train_model %s batch %d threads %d images_per_s %.1f"
                      % (m, b, a.threads, r), flush=True)
            continue
        net = YamlNet(spec).eval()
        net.fold_bn()
        for b in [int(v) for v in a.batches.split(",")]:
            x = torch.rand(b, *spec["input"]) * 2 - 1
            r = images_per_s(net, x, a.repeats, a.seconds)
            print("torch_model %s batch %d threads %d images_per_s %.1f" % (m, b, a.threads, r),
                  flush=True)


if __name__ == "__main__":
    main()

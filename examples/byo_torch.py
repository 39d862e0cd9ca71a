#!/usr/bin/python3
"""examples/byo_torch.py: bring your own PyTorch model. Trains a small CIFAR-10 CNN
in PyTorch (conv-BN-ReLU blocks, a residual Add, global average pooling, a linear
classifier) for a few epochs and exports it to ONNX for emomc, as you would export
your own trained network:

    /usr/bin/python3 examples/byo_torch.py --data cifar10 --out out/net.onnx

The images are normalized exactly as emomc normalizes them (per-channel mean and
std of nn/dataset.c, read by tests/onnx/reload_torch.py), so `emomc eval` of the
export measures the accuracy PyTorch measured. Replace Net with your model, made of
the operators emomc reads (README, "Bring your own PyTorch model"; ReLU6 is one
of them), exported at opset 11 to 17."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "onnx"))
import reload_torch as rt  # noqa: E402  (its data reading: emomc's images, emomc's way)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def block(ci, co, stride=1):
    return nn.Sequential(nn.Conv2d(ci, co, 3, stride, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU())


class Net(nn.Module):
    def __init__(self, width=8, classes=10):
        super().__init__()
        w = width
        self.stem = block(3, w)
        self.res = nn.Sequential(nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w))
        self.relu = nn.ReLU()
        self.down1 = block(w, 2 * w, 2)
        self.down2 = block(2 * w, 4 * w, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * w, classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.relu(x + self.res(x))
        x = self.down2(self.down1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="cifar10", help="cifar10 or a folder holding it")
    ap.add_argument("--data-root", help="where to look for data set folders first")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=10000, help="training images used")
    ap.add_argument("--width", type=int, default=8, help="channels of the first conv")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="out/net.onnx")
    o = ap.parse_args()
    torch.manual_seed(o.seed)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    folder, kind = rt.resolve_data(o.data, o.data_root)
    if kind != "cifar10":
        sys.exit("byo_torch.py: this example's net is for CIFAR-10 (32x32x3)")
    x, y = rt.load_images(folder, kind, train=True)
    x, y = rt.to_float(x[:o.limit], kind, 3, 32, 32), torch.from_numpy(y[:o.limit])
    xt, yt = rt.load_images(folder, kind)
    xt = torch.from_numpy(rt.to_float(xt, kind, 3, 32, 32))
    net = Net(o.width)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    steps = o.epochs * ((len(y) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=steps)
    g = torch.Generator().manual_seed(o.seed)
    for ep in range(o.epochs):
        t0, net = time.time(), net.train()
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 128):
            idx = perm[i:i + 128]
            xb = torch.from_numpy(x[idx.numpy()])
            if torch.rand(1, generator=g).item() < 0.5:  # the one augmentation: flips
                xb = xb.flip(3)
            loss = nn.functional.cross_entropy(net(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print("epoch %d: loss %.3f, %.0f s" % (ep + 1, loss.item(), time.time() - t0))
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(xt[i:i + 1000]).argmax(1).numpy() == yt[i:i + 1000]).sum())
                      for i in range(0, len(yt), 1000))
    print("test top-1 in PyTorch: %.2f %% (%d of %d)" % (100.0 * correct / len(yt), correct, len(yt)))
    os.makedirs(os.path.dirname(os.path.abspath(o.out)), exist_ok=True)
    tmp = o.out + ".tmp"
    torch.onnx.export(net, torch.zeros(1, 3, 32, 32), tmp, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    os.replace(tmp, o.out)  # never a partial file under the final name
    print("wrote %s" % o.out)


if __name__ == "__main__":
    main()

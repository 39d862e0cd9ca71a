#!/usr/bin/python3
"""tests/onnx/reload_torch.py: load an ONNX model (an `emomc export`, or any graph of
the same operators) back into PyTorch as a torch.nn.Module and measure its top-1
accuracy on the images emomc would use, to compare with `emomc eval`.

PyTorch has no ONNX importer, so the graph is rebuilt here: each node becomes a
torch.nn submodule (Conv -> nn.Conv2d, Gemm -> nn.Linear, BatchNormalization ->
nn.BatchNorm2d in eval mode, Relu, Clip (min 0, max 6 -> nn.ReLU6; min 0, no max ->
nn.ReLU; other bounds torch.clamp), MaxPool, AveragePool,
GlobalAveragePool, Add, Flatten, Reshape, MatMul, Identity, Dropout, Pad), with the
initializers (onnx.numpy_helper) as its parameters, and run in the graph's order.
An operator outside that set is an error naming the node.

The images are read as emomc reads them (nn/dataset.c): the test file of MNIST,
Fashion-MNIST (IDX, optionally .gz) or CIFAR-10 (binary batches) in file order, the
first --limit of them, each pixel p as float32 p * (1 / (255 std)) - mean / std per
channel, centred in the model's input size with the border at the value of a 0 pixel.
The data set is found as emomc finds it: a folder given directly, else
<root>/<name>/ under --data-root, $EMOMC_DATA, ../shared/data (beside the source tree
and the current folder), data/ (in the source tree and the current folder) and
/usr/share/datasets.

    /usr/bin/python3 tests/onnx/reload_torch.py knee.onnx --data mnist [--limit N]

prints "top-1: 98.60 % (986 of 1000 correct)"; --quiet prints only the correct count.
With --io F.io (tests/fixtures/gen_onnx.py's inputs and PyTorch logits) it runs the
module on those inputs instead and prints the largest logit difference relative to
the largest logit, failing (exit 1) above 1e-5.
Exit status 2 on bad input (a message naming the file), 77 when torch or onnx is
missing (ctest's skip code)."""
import argparse
import gzip
import os
import struct
import sys

try:
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper
except ImportError as e:  # the ctest skips, saying why
    print("reload_torch.py: skipped: %s (Debian: apt-get install python3-torch python3-onnx)" % e,
          file=sys.stderr)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# nn/dataset.c's set_norm: mean and std per channel.
NORM = {"mnist": ([0.1307], [0.3081]), "fashion-mnist": ([0.2860], [0.3530]),
        "cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])}
SUBDIRS = {"mnist": ["mnist", "MNIST"], "fashion-mnist": ["fashion-mnist", "fashion_mnist"],
           "cifar10": ["cifar10", "cifar-10-batches-bin"]}


class Bad(Exception):
    """Bad input: the message names the file (and node)."""


# ---- data ------------------------------------------------------------------------


def find_file(folder, name):
    for cand in (name, name + ".gz"):
        p = os.path.join(folder, cand)
        if os.path.isfile(p):
            return p
    return None


def has_kind(folder, kind):
    """nn/dataset.c's dir_has_kind (the test file is what is read here)."""
    return bool(find_file(folder, "test_batch.bin" if kind == "cifar10"
                          else "t10k-images-idx3-ubyte"))


def resolve_data(spec, root):
    """(folder, kind) of a data set name or folder, looked up as emomc does."""
    if spec not in SUBDIRS:
        if not os.path.isdir(spec):
            raise Bad("--data %s: neither a data set name (mnist, fashion-mnist, cifar10) nor "
                      "a folder" % spec)
        if has_kind(spec, "cifar10"):
            return spec, "cifar10"
        if has_kind(spec, "mnist"):  # emomc: "fashion" in the path means Fashion-MNIST
            return spec, "fashion-mnist" if "fashion" in spec else "mnist"
        raise Bad("%s: holds neither t10k-images-idx3-ubyte[.gz] nor test_batch.bin[.gz]" % spec)
    given = [r for r in (root, os.environ.get("EMOMC_DATA")) if r]
    for r in given:  # the flag and the variable may name the data set folder itself
        if has_kind(r, spec):
            return r, spec
    roots = given + [os.path.join(ROOT, "..", "shared", "data"),
                     os.path.join("..", "shared", "data"), os.path.join(ROOT, "data"), "data",
                     "/usr/share/datasets"]
    for r in roots:
        for sub in SUBDIRS[spec]:
            d = os.path.join(r, sub)
            if has_kind(d, spec):
                return d, spec
    raise Bad("data set '%s' not found under %s" % (spec, ", ".join(roots)))


def read_bytes(path):
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        return f.read()


def load_images(folder, kind, train=False):
    """uint8 images [n, c, h, w] and labels [n] of the test file (train: the training
    files, CIFAR-10's five batches in order), in file order."""
    if kind == "cifar10":
        names = ["data_batch_%d.bin" % i for i in range(1, 6)] if train else ["test_batch.bin"]
        recs = []
        for nm in names:
            path = find_file(folder, nm)
            if not path:
                raise Bad("%s: no %s[.gz]" % (folder, nm))
            b = np.frombuffer(read_bytes(path), np.uint8)
            if b.size % 3073:
                raise Bad("%s: %d bytes, not whole 3073-byte records" % (path, b.size))
            recs.append(b.reshape(-1, 3073))
        rec = np.concatenate(recs)
        return rec[:, 1:].reshape(-1, 3, 32, 32), rec[:, 0].astype(np.int64)
    pre = "train" if train else "t10k"
    ipath = find_file(folder, pre + "-images-idx3-ubyte")
    lpath = find_file(folder, pre + "-labels-idx1-ubyte")
    if not ipath or not lpath:
        raise Bad("%s: no %s-images-idx3-ubyte[.gz] and %s-labels-idx1-ubyte[.gz]" %
                  (folder, pre, pre))
    ib, lb = read_bytes(ipath), read_bytes(lpath)
    magic, n, h, w = struct.unpack_from(">4i", ib, 0)
    lmagic, ln = struct.unpack_from(">2i", lb, 0)
    if magic != 2051 or lmagic != 2049 or ln != n or len(ib) != 16 + n * h * w:
        raise Bad("%s: not an IDX image file matching %s" % (ipath, lpath))
    x = np.frombuffer(ib, np.uint8, n * h * w, 16).reshape(n, 1, h, w)
    return x, np.frombuffer(lb, np.uint8, n, 8).astype(np.int64)


def to_float(x, kind, c, oh, ow):
    """emomc's convert_image, in float32: scale and shift per channel, centred."""
    n, ic, h, w = x.shape
    if ic != c or h > oh or w > ow:
        raise Bad("images are %dx%dx%d, the model expects %dx%dx%d" % (ic, h, w, c, oh, ow))
    mean, std = NORM[kind]
    out = np.empty((n, c, oh, ow), np.float32)
    top, left = (oh - h) // 2, (ow - w) // 2
    for ch in range(c):
        scale = np.float32(1.0) / (np.float32(255.0) * np.float32(std[ch]))
        shift = np.float32(-np.float32(mean[ch]) / np.float32(std[ch]))
        out[:, ch] = shift
        out[:, ch, top:top + h, left:left + w] = x[:, ch].astype(np.float32) * scale + shift
    return out


# ---- the graph as a torch.nn.Module ------------------------------------------------


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def sym_pads(node, a, path):
    p = list(a.get("pads", [0, 0, 0, 0]))
    if len(p) != 4 or p[0] != p[2] or p[1] != p[3]:
        raise Bad("%s: node %s (%s): asymmetric pads %s are not supported" %
                  (path, node.name, node.op_type, p))
    return (p[0], p[1])


class Fn(torch.nn.Module):
    """A node without parameters, as a function of its inputs."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


class OnnxNet(torch.nn.Module):
    """The ONNX graph's nodes as submodules, run in the graph's (topological) order."""

    SUPPORTED = ("Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "Clip", "MaxPool",
                 "AveragePool", "GlobalAveragePool", "Add", "Flatten", "Reshape", "Identity",
                 "Dropout", "Pad")

    def __init__(self, path):
        super().__init__()
        try:
            model = onnx.load(path)
        except Exception as e:
            raise Bad("%s: not an ONNX model: %s" % (path, e))
        g = model.graph
        self.path = path
        self.init = {t.name: numpy_helper.to_array(t).copy() for t in g.initializer}
        for n in g.node:  # Constant nodes are initializers too
            if n.op_type == "Constant":
                self.init[n.output[0]] = numpy_helper.to_array(attrs(n)["value"]).copy()
        inputs = [i for i in g.input if i.name not in self.init]
        if len(inputs) != 1 or len(g.output) != 1:
            raise Bad("%s: %d graph inputs and %d outputs; one of each expected" %
                      (path, len(inputs), len(g.output)))
        self.input_name, self.output_name = inputs[0].name, g.output[0].name
        dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
        if len(dims) != 4 or min(dims[1:]) < 1:
            raise Bad("%s: input %s has shape %s, not [N, C, H, W]" % (path, self.input_name, dims))
        self.input_shape = tuple(dims[1:])
        self.steps = []  # (module name, input names, output name)
        self.layers = torch.nn.ModuleDict()
        for i, n in enumerate(g.node):
            if n.op_type == "Constant":
                continue
            if n.op_type not in self.SUPPORTED:
                raise Bad("%s: node %s: operator %s is not supported (supported: %s)" %
                          (path, n.name or i, n.op_type, ", ".join(self.SUPPORTED)))
            key = "n%d" % i
            mod, ins = self.module(n)
            self.layers[key] = mod
            self.steps.append((key, ins, n.output[0]))
        self.eval()

    def w(self, name, node):
        if name not in self.init:
            raise Bad("%s: node %s (%s): input %s is no initializer" %
                      (self.path, node.name, node.op_type, name))
        return torch.from_numpy(np.ascontiguousarray(self.init[name], dtype=np.float32))

    def module(self, n):
        """The submodule of node n and the names of its tensor (non-initializer) inputs."""
        a, x = attrs(n), [n.input[0]]
        op = n.op_type
        if op == "Conv":
            wt = self.w(n.input[1], n)
            co, cig, kh, kw = wt.shape
            g = a.get("group", 1)
            if list(a.get("dilations", [1, 1])) != [1, 1]:
                raise Bad("%s: node %s: dilated Conv is not supported" % (self.path, n.name))
            m = torch.nn.Conv2d(cig * g, co, (kh, kw), stride=tuple(a.get("strides", [1, 1])),
                                padding=sym_pads(n, a, self.path), groups=g,
                                bias=len(n.input) > 2 and n.input[2] != "")
            m.weight.data.copy_(wt)
            if m.bias is not None:
                m.bias.data.copy_(self.w(n.input[2], n))
            return m, x
        if op == "Gemm":
            wt = self.w(n.input[1], n)
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                raise Bad("%s: node %s: Gemm with transA, alpha or beta != 1 is not supported" %
                          (self.path, n.name))
            if not a.get("transB", 0):
                wt = wt.t()
            m = torch.nn.Linear(wt.shape[1], wt.shape[0], bias=len(n.input) > 2 and n.input[2] != "")
            m.weight.data.copy_(wt)
            if m.bias is not None:
                m.bias.data.copy_(self.w(n.input[2], n).reshape(-1))
            return m, x
        if op == "MatMul":
            wt = self.w(n.input[1], n)
            m = torch.nn.Linear(wt.shape[0], wt.shape[1], bias=False)
            m.weight.data.copy_(wt.t())
            return m, x
        if op == "BatchNormalization":
            sc, b, mu, var = (self.w(nm, n) for nm in n.input[1:5])
            m = torch.nn.BatchNorm2d(sc.numel(), eps=a.get("epsilon", 1e-5))
            for p, v in ((m.weight, sc), (m.bias, b), (m.running_mean, mu), (m.running_var, var)):
                p.data.copy_(v)
            return m, x
        if op == "Relu":
            return torch.nn.ReLU(), x
        if op == "Clip":
            lo = self.init[n.input[1]] if len(n.input) > 1 and n.input[1] else a.get("min", None)
            hi = self.init[n.input[2]] if len(n.input) > 2 and n.input[2] else a.get("max", None)
            lo = None if lo is None else float(lo)
            hi = None if hi is None else float(hi)
            if lo == 0.0 and hi == 6.0:
                return torch.nn.ReLU6(), x
            if lo == 0.0 and hi is None:
                return torch.nn.ReLU(), x
            return Fn(lambda t: torch.clamp(t, lo, hi)), x
        if op in ("MaxPool", "AveragePool"):
            k, s = tuple(a["kernel_shape"]), tuple(a.get("strides", [1, 1]))
            p, ceil = sym_pads(n, a, self.path), bool(a.get("ceil_mode", 0))
            if op == "MaxPool":
                return torch.nn.MaxPool2d(k, s, p, ceil_mode=ceil), x
            return torch.nn.AvgPool2d(k, s, p, ceil_mode=ceil,
                                      count_include_pad=bool(a.get("count_include_pad", 0))), x
        if op == "GlobalAveragePool":
            return torch.nn.AdaptiveAvgPool2d(1), x
        if op == "Add":
            if n.input[1] in self.init:
                c = self.w(n.input[1], n)
                return Fn(lambda t: t + c), x
            return Fn(torch.add), [n.input[0], n.input[1]]
        if op == "Flatten":
            return torch.nn.Flatten(a.get("axis", 1)), x
        if op == "Reshape":
            shape = [int(v) for v in self.init[n.input[1]]]
            return Fn(lambda t: t.reshape([t.shape[0] if v == 0 and i == 0 else v
                                           for i, v in enumerate(shape)])), x
        if op == "Pad":
            pads = [int(v) for v in (self.init[n.input[1]] if len(n.input) > 1 else a["pads"])]
            val = float(self.init[n.input[2]]) if len(n.input) > 2 and n.input[2] else 0.0
            if len(pads) != 8 or any(pads[:2]) or any(pads[4:6]):
                raise Bad("%s: node %s: Pad of the batch or channel axis" % (self.path, n.name))
            if a.get("mode", b"constant") not in (b"constant", "constant"):
                raise Bad("%s: node %s: only constant Pad is supported" % (self.path, n.name))
            t_, l_, b_, r_ = pads[2], pads[3], pads[6], pads[7]
            return Fn(lambda t: torch.nn.functional.pad(t, (l_, r_, t_, b_), value=val)), x
        return torch.nn.Identity(), x  # Identity, Dropout (inference)

    def forward(self, inp):
        env = {self.input_name: inp}
        for key, ins, out in self.steps:
            env[out] = self.layers[key](*[env[i] for i in ins])
        return env[self.output_name]


def check_io(net, path):
    """The module's logits on a .io fixture's inputs against the PyTorch logits there."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
    from gen_onnx import read_io  # the fixtures' own reader
    x, y = read_io(path)
    with torch.no_grad():
        z = net(torch.from_numpy(x.copy())).numpy()
    if z.shape != y.shape:
        raise Bad("%s: logits of shape %s, the model gives %s" % (path, y.shape, z.shape))
    d = float(np.abs(z - y).max() / np.abs(y).max())
    print("%s: largest logit difference %.3g of the largest logit" % (path, d))
    return 0 if d <= 1e-5 else 1


# ---- main ------------------------------------------------------------------------


def count_correct(net, xf, y, batch):
    """Top-1 hits (the first largest logit, as emomc takes it) over the images."""
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            logits = net(torch.from_numpy(xf[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == y[i:i + batch]).sum())
    return correct


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="an ONNX file (emomc export, or the same operators)")
    ap.add_argument("--data", help="mnist | fashion-mnist | cifar10, or a folder")
    ap.add_argument("--io", help="check the logits of a .io fixture instead")
    ap.add_argument("--data-root", help="where to look for data set folders first")
    ap.add_argument("--limit", type=int, default=0, help="only the first N test images")
    ap.add_argument("--batch", type=int, default=500, help="images per forward pass")
    ap.add_argument("--quiet", action="store_true", help="print only the correct count")
    o = ap.parse_args(argv)
    if not o.data and not o.io:
        ap.error("give --data (or --io)")
    try:
        net = OnnxNet(o.model)
        if o.io:
            return check_io(net, o.io)
        folder, kind = resolve_data(o.data, o.data_root)
        x, y = load_images(folder, kind)
        if o.limit > 0:
            x, y = x[:o.limit], y[:o.limit]
        c, h, w = net.input_shape
        correct = count_correct(net, to_float(x, kind, c, h, w), y, o.batch)
    except (Bad, OSError, struct.error, RuntimeError) as e:  # RuntimeError: torch's shapes
        print("reload_torch.py: error: %s" % e, file=sys.stderr)
        return 2
    if o.quiet:
        print(correct)
    else:
        print("top-1: %.2f %% (%d of %d correct) in PyTorch %s, %s on %s" %
              (100.0 * correct / len(y), correct, len(y), torch.__version__, o.model, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

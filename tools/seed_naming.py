#!/usr/bin/python3
"""EfficientNet V1 in the seed reference's state_dict naming, without the seed's code.

The seed reference (../shared/seed/efficientnet_reference.py) is not part of a plain clone, so the
`seed_*` parity fixtures are made from torchvision's EfficientNet V1 architecture (Debian's
torchvision 0.14: `MBConvConfig`, `EfficientNet`), built with the seed's hyper-parameters, whose
state_dict keys are then renamed to the seed's. Both networks compute the same function with the
same parameters (same block table, width/depth rounding, SE width input_c // 4, symmetric
padding, BatchNorm eps 1e-3, last conv adjust_channels(1280), Dropout + Linear classifier), so the
logits of the torchvision-architecture forward pass are the seed model's logits for the renamed
weights. tools/gen_fixtures.py checks that against the seed's own code whenever it is available.

Key mapping (torchvision -> seed; every conv+BN pair keeps its ".0" conv / ".1" BN suffix, and
BN keys include running_mean, running_var and num_batches_tracked as in both sources):

    features.0.{0,1}.*                       -> features.stem_conv.{0,1}.*
    features.S.I.block.J.*   (S = 1..7)      -> features.{S}{a+I}.block.NAME.*   e.g. 2b, 6d
        with NAME, in order, over J = 0, 1, ...:
            expand_conv  (only when the block's expand ratio != 1)
            dwconv
            se           (torchvision's SqueezeExcitation .fc1/.fc2 -> seed's .fc1/.fc2)
            project_conv
    features.8.{0,1}.*                       -> features.top.{0,1}.*
    classifier.1.*                           -> classifier.1.*   (classifier.0 is the Dropout)

Usage as a module: `model = build(width, depth, num_classes, dropout)` then
`export_state_dict(model)`. Run as a script it prints the mapping for B0 (or --width/--depth).
"""

import argparse
from collections import OrderedDict
from functools import partial

import torch.nn as nn
from torchvision.models import efficientnet as tv_effnet

from lite_reference import BASE_STAGES

BN_EPS = 1e-3

# The EfficientNet-B0 block table (paper Table 1), lite_reference's, in MBConvConfig's argument
# order: expand ratio, kernel, stride, input channels, output channels, repeats.
B0_STAGES = [(e, k, s, cin, cout, n) for (k, s, e, cin, cout, n) in BASE_STAGES]


def adjust_channels(channels, width):
    """The seed's (and torchvision's) channel rounding: a multiple of 8, at most 10 % down."""
    return tv_effnet.MBConvConfig.adjust_channels(channels, width)


def stage_configs(width, depth):
    return [tv_effnet.MBConvConfig(*row, width_mult=width, depth_mult=depth) for row in B0_STAGES]


def build(width, depth, num_classes=10, dropout=0.2, stochastic_depth=0.2):
    """torchvision's EfficientNet V1 with the seed's settings (BN eps 1e-3, momentum 0.1, last conv
    adjust_channels(1280) wide). Shapes are asserted against the seed's rules."""
    stages = stage_configs(width, depth)
    model = tv_effnet.EfficientNet(
        stages,
        dropout,
        stochastic_depth_prob=stochastic_depth,
        num_classes=num_classes,
        norm_layer=partial(nn.BatchNorm2d, eps=BN_EPS, momentum=0.1),
        last_channel=adjust_channels(1280, width),
    )
    check_shapes(model, width, depth, num_classes)
    return model


def _conv_bn(prefix, seq, cin, cout, k, groups=1):
    conv, bn = seq[0], seq[1]
    assert isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d), prefix
    want = (cout, cin // groups, k, k)
    assert tuple(conv.weight.shape) == want, f"{prefix}: conv {tuple(conv.weight.shape)} != {want}"
    assert conv.bias is None and conv.padding == ((k - 1) // 2,) * 2, prefix
    assert bn.num_features == cout and bn.eps == BN_EPS, prefix


def check_shapes(model, width, depth, num_classes):
    """Every layer has the width the seed's code gives it (InvertedResidualConfig: expanded
    channels input_c * ratio, SE squeeze input_c // 4; stem adjust(32); top adjust(1280))."""
    feats = model.features
    stages = [tuple(r) for r in B0_STAGES]
    assert len(feats) == len(stages) + 2, len(feats)
    stem_c = adjust_channels(32, width)
    _conv_bn("stem", feats[0], 3, stem_c, 3)
    cin = stem_c
    for s, (ratio, k, stride, _i, out, repeats) in enumerate(stages, start=1):
        cout = adjust_channels(out, width)
        n = tv_effnet.MBConvConfig.adjust_depth(repeats, depth)  # ceil(depth * repeats), as the seed
        assert len(feats[s]) == n, f"stage {s}: {len(feats[s])} blocks, want {n}"
        for i, blk in enumerate(feats[s]):
            layers = list(blk.block)
            exp = cin * ratio
            if ratio != 1:
                _conv_bn(f"{s}.{i} expand", layers.pop(0), cin, exp, 1)
            assert layers[0][0].stride == ((stride if i == 0 else 1),) * 2, f"{s}.{i} stride"
            _conv_bn(f"{s}.{i} dw", layers.pop(0), exp, exp, k, groups=exp)
            se = layers.pop(0)
            assert tuple(se.fc1.weight.shape) == (cin // 4, exp, 1, 1), f"{s}.{i} se.fc1"
            assert tuple(se.fc2.weight.shape) == (exp, cin // 4, 1, 1), f"{s}.{i} se.fc2"
            _conv_bn(f"{s}.{i} project", layers.pop(0), exp, cout, 1)
            assert not layers, f"{s}.{i}: extra layers {layers}"
            cin = cout
    top_c = adjust_channels(1280, width)
    _conv_bn("top", feats[-1], cin, top_c, 1)
    fc = model.classifier[1]
    assert isinstance(model.classifier[0], nn.Dropout)
    assert tuple(fc.weight.shape) == (num_classes, top_c), tuple(fc.weight.shape)


def key_map(model):
    """OrderedDict: torchvision module prefix -> seed module prefix, for every renamed module."""
    m = OrderedDict()
    feats = model.features
    m["features.0."] = "features.stem_conv."
    for s in range(1, len(feats) - 1):
        assert len(feats[s]) <= 26, "block letters run a..z"
        for i, blk in enumerate(feats[s]):
            layers = list(blk.block)
            names = (["expand_conv"] if len(layers) == 4 else []) + ["dwconv", "se", "project_conv"]
            assert len(names) == len(layers), f"stage {s} block {i}: {len(layers)} layers"
            for j, name in enumerate(names):
                m[f"features.{s}.{i}.block.{j}."] = f"features.{s}{chr(ord('a') + i)}.block.{name}."
    m[f"features.{len(feats) - 1}."] = "features.top."
    m["classifier.1."] = "classifier.1."
    return m


def seed_key(key, mapping):
    hits = [p for p in mapping if key.startswith(p)]
    assert len(hits) == 1, f"{key}: {len(hits)} prefixes match"
    return mapping[hits[0]] + key[len(hits[0]):]


def export_state_dict(model):
    """The model's state_dict (tensors shared, not copied) under the seed's key names."""
    mapping = key_map(model)
    src = model.state_dict()
    out = OrderedDict((seed_key(k, mapping), v) for k, v in src.items())
    assert len(out) == len(src), "two keys renamed to one"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--depth", type=float, default=1.0)
    args = ap.parse_args()
    model = build(args.width, args.depth)
    mapping = key_map(model)
    for k, v in model.state_dict().items():
        print(f"{k:45s} -> {seed_key(k, mapping):50s} {list(v.shape)}")
    print(f"{sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generate randomised EfficientNet test fixtures from several PyTorch implementations.

Usage:
    /usr/bin/python3 tools/gen_fixtures.py [OUTDIR] [--only NAME[,NAME...]] [--list]
    /usr/bin/python3 tools/gen_fixtures.py --seed-path   # the seed reference's path, or ""

OUTDIR defaults to target/fixtures (relative to the repository root). For every fixture NAME it
(re)writes OUTDIR/NAME.pth (a plain state_dict, torch.save, in the source's own key naming,
num_batches_tracked included where the source has it) and OUTDIR/NAME.json:

    {"name", "source": "seed"|"torchvision"|"timm"|"lukemelas", "checkpoint": "NAME.pth",
     "config": {"family": "b"|"lite", "width", "depth", "num_classes", "dropout",
                "padding": "symmetric"|"tf_same", "bn_eps"},
     "input_shape": [1,3,H,W], "input": [...], "logits": [...] (shape [1, num_classes]),
     "features_shape": [1,C,h,w], "features_sum": float}

"features" is the last feature map: head 1x1 conv + BN + activation, before pooling.
All float arrays are float32 values written as exact decimal doubles (float(x)), so they
round-trip bit-exactly when parsed back into f32.

Randomisation (so the comparison cannot pass trivially): conv weights keep each model's own
initialisation; every BatchNorm gets gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1),
running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5); every conv bias (the SE convs) and the
classifier bias ~ N(0, 0.1); the classifier weight is re-drawn N(0, 1/fan_in) and then scaled
so that the logits have std ~1 (asserted: std >= 0.1 and all finite). Models run in eval mode
under torch.no_grad(). Everything is seeded per fixture, so reruns give identical files with
the same torch version (checked with torch 1.13.1 from Debian, CPU, 1 thread).

Sources:
  * seed_* (always made, no seed file needed): tools/seed_naming.py, torchvision's EfficientNet V1
    architecture built with the seed's settings (BN eps 1e-3, last conv adjust_channels(1280)),
    its state_dict renamed to the seed reference's keys; logits from that network's forward pass.
  * seedref_* (made only when the seed reference is there): the seed's own code,
    ../shared/seed/efficientnet_reference.py next to the repository (or $EFFNET_SEED, the file or
    its folder). Then every seed_* state_dict is also checked against the seed's model: exactly
    its keys and shapes, load_state_dict(strict=True), and the same logits within 1e-5.
    Without the seed one line says so, the seedref_* fixtures are skipped (stale ones in OUTDIR
    are removed) and the run goes on; $EFFNET_SEED set to a missing path is an error;
    EFFNET_NO_SEED=1 pretends the seed is absent (to try a plain clone's run).
    --seed-path prints the seed file's path, or an empty line without one (scripts/test.sh
    uses it to set EFFNET_REQUIRE_SEED=1 for the parity tests).
  * torchvision: the installed torchvision (Debian python3-torchvision 0.14)
  * timm 0.9.16 and efficientnet_pytorch 0.7.1 (lukemelas): unpacked into target/pydeps by
    tools/fetch_python_deps.sh
  * luke_lite0: tools/lite_reference.py (lukemelas-style naming of EfficientNet-Lite)
"""

import argparse
import importlib.util
import json
import os
import sys
import time
from collections import namedtuple

import torch
import torch.nn as nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PYDEPS = os.path.join(ROOT, "target", "pydeps")
if os.path.isdir(PYDEPS) and PYDEPS not in sys.path:
    sys.path.insert(0, PYDEPS)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import seed_naming  # noqa: E402  (tools/)

FETCH_HINT = "run tools/fetch_python_deps.sh (it unpacks timm and efficientnet_pytorch into target/pydeps)"


def die(msg):
    print("gen_fixtures: " + msg, file=sys.stderr)
    sys.exit(1)


def import_optional(name):
    try:
        return importlib.import_module(name)
    except ImportError as e:
        die(f"cannot import {name} ({e}); {FETCH_HINT}")


SEED_DEFAULT = os.path.abspath(os.path.join(ROOT, "..", "shared", "seed", "efficientnet_reference.py"))
_seed_module = None


def seed_path():
    """The seed reference's file, or None. $EFFNET_SEED (file or folder) must exist when set."""
    if os.environ.get("EFFNET_NO_SEED") == "1":
        return None
    env = os.environ.get("EFFNET_SEED")
    if env:
        path = os.path.join(env, "efficientnet_reference.py") if os.path.isdir(env) else env
        path = os.path.abspath(path)
        if not os.path.isfile(path):
            die(f"EFFNET_SEED={env}: no seed reference at {path} (set it to efficientnet_reference.py "
                "or the folder holding it, or unset it)")
        return path
    return SEED_DEFAULT if os.path.isfile(SEED_DEFAULT) else None


def load_seed_module():
    global _seed_module
    if _seed_module is None:
        path = seed_path()
        if path is None:
            die(f"the seed reference is needed here but not found ({SEED_DEFAULT}, $EFFNET_SEED)")
        spec = importlib.util.spec_from_file_location("efficientnet_seed_reference", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _seed_module = mod
    return _seed_module


# ---------------------------------------------------------------------------------------------
# model builders: each returns (model, config dict, features function)


def only_bn_eps(model):
    eps = {m.eps for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    assert len(eps) == 1, f"mixed BatchNorm eps: {eps}"
    return float(eps.pop())


def classifier_dropout(seq):
    ps = [m.p for m in seq.modules() if isinstance(m, nn.Dropout)]
    return float(ps[0]) if ps else 0.0


def config(family, width, depth, num_classes, dropout, padding, bn_eps):
    return dict(family=family, width=float(width), depth=float(depth), num_classes=int(num_classes),
                dropout=float(dropout), padding=padding, bn_eps=float(bn_eps))


def build_seed(width, depth, num_classes=10, dropout=0.2):
    """The seed reference's own code (seedref_* fixtures)."""
    seed = load_seed_module()
    model = seed.EfficientNet(width_coefficient=width, depth_coefficient=depth,
                              num_classes=num_classes, dropout_rate=dropout)
    eps = only_bn_eps(model)
    assert abs(eps - 1e-3) < 1e-12, eps
    return model, config("b", width, depth, num_classes, dropout, "symmetric", eps), model.features


def build_seed_export(width, depth, num_classes=10, dropout=0.2):
    """torchvision's architecture with the seed's settings, saved in the seed's naming (seed_*)."""
    model = seed_naming.build(width, depth, num_classes=num_classes, dropout=dropout)
    eps = only_bn_eps(model)
    assert abs(eps - 1e-3) < 1e-12, eps
    cfg = config("b", width, depth, num_classes, dropout, "symmetric", eps)

    @torch.no_grad()
    def verify(state, x, logits):
        """With the seed present: its model has exactly these keys/shapes and the same logits."""
        if seed_path() is None:
            return None
        ref = load_seed_module().EfficientNet(width_coefficient=width, depth_coefficient=depth,
                                              num_classes=num_classes, dropout_rate=dropout)
        want = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
        got = {k: tuple(v.shape) for k, v in state.items()}
        if want != got:
            die(f"exporter vs seed model (width {width}, depth {depth}): keys only in the export "
                f"{sorted(set(got) - set(want))[:5]}, only in the seed {sorted(set(want) - set(got))[:5]}, "
                f"shape differences {[k for k in want.keys() & got.keys() if want[k] != got[k]][:5]}")
        ref.load_state_dict(state, strict=True)
        ref.eval()
        diff = (ref(x) - logits).abs().max().item()
        if not diff <= 1e-5:
            die(f"exporter vs seed model (width {width}, depth {depth}): max |dlogit| = {diff:.3g} > 1e-5")
        return f"seed model: same {len(want)} keys/shapes, max |dlogit| {diff:.2g}"

    return Built(model, cfg, model.features, lambda: seed_naming.export_state_dict(model), verify)


def build_torchvision(variant, width, depth, num_classes=10):
    import torchvision

    ctor = getattr(torchvision.models, "efficientnet_" + variant)
    model = ctor(weights=None, num_classes=num_classes)  # torchvision 0.14: weights=None, offline
    eps = only_bn_eps(model)
    cfg = config("b", width, depth, num_classes, classifier_dropout(model.classifier), "symmetric", eps)
    return model, cfg, model.features


def build_timm(arch, width, depth, padding, num_classes=10, dropout=0.2):
    timm = import_optional("timm")
    model = timm.create_model(arch, pretrained=False, num_classes=num_classes, drop_rate=dropout)
    eps = only_bn_eps(model)
    cfg = config("b", width, depth, num_classes, float(model.drop_rate), padding, eps)
    return model, cfg, model.forward_features


def build_lukemelas(name, image_size, num_classes=10):
    ep = import_optional("efficientnet_pytorch")
    model = ep.EfficientNet.from_name(name, image_size=image_size, num_classes=num_classes)
    gp = model._global_params
    eps = only_bn_eps(model)
    assert abs(eps - gp.batch_norm_epsilon) < 1e-12
    cfg = config("b", gp.width_coefficient, gp.depth_coefficient, num_classes, gp.dropout_rate,
                 "tf_same", eps)
    return model, cfg, model.extract_features


def build_lite(variant, num_classes=10):
    import lite_reference as lr

    width, depth, _res, dropout = lr.VARIANTS[variant]
    model = lr.EfficientNetLite(width, depth, num_classes=num_classes, dropout=dropout)
    eps = only_bn_eps(model)
    return model, config("lite", width, depth, num_classes, dropout, "tf_same", eps), model.extract_features


# What a builder returns. state_dict: what to save (default model.state_dict); verify(state, x,
# logits): an extra check after the forward pass, returning a line to print (or None).
Built = namedtuple("Built", "model cfg features state_dict verify", defaults=(None, None))


# name, source, torch seed, input (H, W), builder[, needs the seed reference]
Fixture = namedtuple("Fixture", "name source seed hw builder needs_seed", defaults=(False,))
FIXTURES = [Fixture(*f) for f in [
    ("seed_b0", "seed", 1001, (64, 64), lambda: build_seed_export(1.0, 1.0)),
    ("seed_w06_d05", "seed", 1002, (64, 64), lambda: build_seed_export(0.6, 0.5)),
    ("seed_b2", "seed", 1003, (64, 64), lambda: build_seed_export(1.1, 1.2)),
    # the seed's own code (only when ../shared/seed or $EFFNET_SEED is there)
    ("seedref_b0", "seed", 1101, (64, 64), lambda: build_seed(1.0, 1.0), True),
    ("seedref_w06_d05", "seed", 1102, (64, 64), lambda: build_seed(0.6, 0.5), True),
    ("seedref_b2", "seed", 1103, (64, 64), lambda: build_seed(1.1, 1.2), True),
    ("tv_b0", "torchvision", 2001, (64, 64), lambda: build_torchvision("b0", 1.0, 1.0)),
    ("tv_b1", "torchvision", 2002, (64, 64), lambda: build_torchvision("b1", 1.0, 1.1)),
    ("timm_b0", "timm", 3001, (64, 64), lambda: build_timm("efficientnet_b0", 1.0, 1.0, "symmetric")),
    ("timm_tf_b0", "timm", 3002, (64, 64), lambda: build_timm("tf_efficientnet_b0", 1.0, 1.0, "tf_same")),
    # extra: odd, non-square input, so TF-SAME padding is exercised with odd sizes
    # (timm's Conv2dSame pads from the actual input size at run time)
    ("timm_tf_b0_odd", "timm", 3003, (57, 71), lambda: build_timm("tf_efficientnet_b0", 1.0, 1.0, "tf_same")),
    ("luke_b0", "lukemelas", 4001, (64, 64), lambda: build_lukemelas("efficientnet-b0", 64)),
    ("luke_lite0", "lukemelas", 4002, (64, 64), lambda: build_lite("lite0")),
]]


# ---------------------------------------------------------------------------------------------


def find_classifier(model):
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1, f"expected exactly one Linear, found {len(linears)}"
    return linears[0]


@torch.no_grad()
def randomise(model, calib):
    """Randomise all BN parameters/statistics, conv biases and the classifier (see docstring).

    BN running statistics are calibrated on `calib` (a batch of inputs that includes the fixture
    input): every BN, in forward order, gets running_mean = mu + N(0, 0.1) * sigma and
    running_var = sigma^2 * U(0.5, 1.5), where mu / sigma^2 are the per-channel mean / variance
    of what reaches it. Plain N(0, 0.1) / U(0.5, 1.5) statistics (independent of the data) make
    the signal vanish within a few blocks with these default inits: the logits then do not depend
    on the input at all, and a broken stem or early block would still pass.
    """
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.1)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
        elif isinstance(m, nn.Conv2d) and m.bias is not None:
            m.bias.normal_(0.0, 0.1)
    fc = find_classifier(model)
    fc.weight.normal_(0.0, fc.in_features ** -0.5)
    fc.bias.normal_(0.0, 0.1)

    def calibrate(bn, inputs):
        x = inputs[0]
        mu = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        var = var.clamp_min(1e-3 * var.mean().item() + 1e-8)
        bn.running_mean.copy_(mu + torch.randn_like(mu) * 0.1 * var.sqrt())
        bn.running_var.copy_(var * torch.empty_like(var).uniform_(0.5, 1.5))

    model.eval()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    hooks = [m.register_forward_pre_hook(calibrate) for m in bns]
    try:
        model(calib)
    finally:
        for h in hooks:
            h.remove()


def floats(t):
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


@torch.no_grad()
def make_fixture(name, source, seed, hw, builder, needs_seed, outdir, verbose):
    t0 = time.time()
    torch.manual_seed(seed)
    built = Built(*builder())
    model, cfg, features_fn = built.model, built.cfg, built.features
    gen = torch.Generator().manual_seed(seed + 500000)
    x = torch.randn(1, 3, hw[0], hw[1], generator=gen, dtype=torch.float32)
    others = torch.randn(7, 3, hw[0], hw[1], generator=gen, dtype=torch.float32)
    randomise(model, torch.cat([x, others]))
    model.eval()

    feats = features_fn(x)
    fc = find_classifier(model)
    logits = model(x)
    # scale the classifier so the logits are clearly non-trivial (std ~1)
    pre = logits - fc.bias
    if pre.std().item() < 1.0:
        fc.weight.mul_(1.0 / max(pre.std().item(), 1e-6))
        logits = model(x)
    std = logits.std().item()
    assert torch.isfinite(logits).all() and torch.isfinite(feats).all(), f"{name}: non-finite output"
    assert std >= 0.1, f"{name}: logits std {std} too small"
    assert list(logits.shape) == [1, cfg["num_classes"]]
    # the output must depend on the input (else a broken early layer could pass)
    sens = ((features_fn(others[:1]) - feats).norm() / feats.norm()).item()
    assert sens > 0.2, f"{name}: features barely depend on the input ({sens:.4f})"
    # consistency: the features function really is what the classifier pools
    pooled = fc(feats.mean(dim=(2, 3)))
    assert torch.allclose(pooled, logits, atol=1e-5, rtol=1e-5), f"{name}: features/logits mismatch"

    state = built.state_dict() if built.state_dict else model.state_dict()
    checked = built.verify(state, x, logits) if built.verify else None
    torch.save(state, os.path.join(outdir, name + ".pth"))
    doc = {
        "name": name,
        "source": source,
        "checkpoint": name + ".pth",
        "config": cfg,
        "input_shape": list(x.shape),
        "input": floats(x),
        "logits": floats(logits),
        "features_shape": list(feats.shape),
        "features_sum": float(feats.sum().item()),
    }
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(doc, f)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"{name:15s} {source:11s} params={nparams:8d} keys={len(state):4d} "
          f"feats={list(feats.shape)} |feats| mean={feats.abs().mean().item():.3g} "
          f"max={feats.abs().max().item():.3g} input-sensitivity={sens:.2f}  logits std={std:.3f}  ({time.time() - t0:.1f} s)")
    if checked:
        print(f"    {checked}")
    if verbose:
        print(f"    config={cfg}")
    return std


def main():
    ap = argparse.ArgumentParser(description="Generate EfficientNet fixtures (see module docstring).")
    ap.add_argument("outdir", nargs="?", default=os.path.join(ROOT, "target", "fixtures"))
    ap.add_argument("--only", help="comma-separated fixture names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--seed-path", action="store_true",
                    help="print the seed reference's path (empty line when absent) and exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    if args.seed_path:
        print(seed_path() or "")
        return
    if args.list:
        for f in FIXTURES:
            print(f.name, f.source, f.hw, "(needs the seed reference)" if f.needs_seed else "")
        return
    torch.set_num_threads(1)
    have_seed = seed_path() is not None
    selected = FIXTURES
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {f.name for f in FIXTURES}
        if unknown:
            die(f"unknown fixture(s): {sorted(unknown)}")
        selected = [f for f in FIXTURES if f.name in wanted]
        if not have_seed and any(f.needs_seed for f in selected):
            load_seed_module()  # dies with the reason
    os.makedirs(args.outdir, exist_ok=True)
    print(f"torch {torch.__version__}, writing to {os.path.abspath(args.outdir)}")
    if have_seed:
        print(f"seed reference: {seed_path()}")
    elif not args.only:
        skipped = [f.name for f in FIXTURES if f.needs_seed]
        for name in skipped:  # stale ones from a run with the seed would otherwise still be tested
            for ext in (".json", ".pth"):
                if os.path.exists(os.path.join(args.outdir, name + ext)):
                    os.remove(os.path.join(args.outdir, name + ext))
        selected = [f for f in selected if not f.needs_seed]
        why = "EFFNET_NO_SEED=1" if os.environ.get("EFFNET_NO_SEED") == "1" else f"no {SEED_DEFAULT}, $EFFNET_SEED unset"
        print(f"seed reference not found ({why}): skipping {', '.join(skipped)} and the exporter's "
              "cross-check against the seed's code")
    t0 = time.time()
    for fx in selected:
        make_fixture(*fx, outdir=args.outdir, verbose=args.verbose)
    print(f"{len(selected)} fixtures in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()

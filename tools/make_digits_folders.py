#!/usr/bin/python3
"""Write class folders of PNG images made from scikit-learn's handwritten digits (the UCI
"Optical Recognition of Handwritten Digits" test set, 1797 8x8 images of 0..16; see
ATTRIBUTION.md), for `effnet teach` and its tests.

Usage:
    /usr/bin/python3 tools/make_digits_folders.py OUT [--per-class N] [--digits 0,1,2]
        [--size PX] [--corrupt] [--empty-class] [--csv PATH]

OUT/digit-D/NNNN.png for each digit D asked for (default 0,1,2,3): the first N images of that
digit in the file's order (default 20), dark ink on white (255 - v * 255 / 16, rounded),
upscaled from 8x8 to PX x PX (default 64) with Pillow's bilinear filter, saved as RGB PNG.
NNNN is the image's row in the file, so the same arguments always write the same files.

  --corrupt      also writes OUT/digit-<first>/broken.png (the first half of a real PNG) and
                 OUT/digit-<first>/notes.txt (text): files `effnet teach` must skip and name.
  --empty-class  also makes the empty folder OUT/empty (a class with no image: an error).

The digits come from the scikit-learn wheel (`sklearn/datasets/data/digits.csv.gz`), which
`tools/fetch_python_deps.sh --digits` unpacks into target/sklearn-data (the default --csv).
"""

import argparse
import gzip
import io
import os
import shutil
import sys

from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DEFAULT_CSV = os.path.join(ROOT, "target", "sklearn-data", "digits.csv.gz")


def read_digits(path):
    """[(row, digit, 64 values)] in the file's order."""
    with gzip.open(path, "rt") as f:
        rows = []
        for i, line in enumerate(f):
            values = [int(float(v)) for v in line.strip().split(",")]
            assert len(values) == 65, (path, i, len(values))
            rows.append((i, values[64], values[:64]))
    assert len(rows) == 1797, len(rows)
    return rows


def picture(values, size):
    grey = bytes(255 - round(v * 255 / 16) for v in values)
    small = Image.frombytes("L", (8, 8), grey)
    return small.resize((size, size), Image.BILINEAR).convert("RGB")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--per-class", type=int, default=20)
    p.add_argument("--digits", default="0,1,2,3")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--empty-class", action="store_true")
    p.add_argument("--csv", default=DEFAULT_CSV)
    a = p.parse_args()
    if not os.path.exists(a.csv):
        sys.exit(f"{a.csv} is missing: run tools/fetch_python_deps.sh --digits")
    digits = [int(d) for d in a.digits.split(",")]
    rows = read_digits(a.csv)
    shutil.rmtree(a.out, ignore_errors=True)
    for d in digits:
        folder = os.path.join(a.out, f"digit-{d}")
        os.makedirs(folder)
        chosen = [r for r in rows if r[1] == d][: a.per_class]
        assert len(chosen) == a.per_class, (d, len(chosen))
        for i, _, values in chosen:
            picture(values, a.size).save(os.path.join(folder, f"{i:04d}.png"))
    if a.corrupt:
        folder = os.path.join(a.out, f"digit-{digits[0]}")
        buf = io.BytesIO()
        picture(rows[0][2], a.size).save(buf, "PNG")
        png = buf.getvalue()
        with open(os.path.join(folder, "broken.png"), "wb") as f:
            f.write(png[: len(png) // 2])
        with open(os.path.join(folder, "notes.txt"), "w") as f:
            f.write("not an image\n")
    if a.empty_class:
        os.makedirs(os.path.join(a.out, "empty"))
    total = len(digits) * a.per_class
    print(f"{a.out}: {len(digits)} classes, {total} images of {a.size}x{a.size}"
          + (" + 2 unreadable files" if a.corrupt else "")
          + (" + an empty class" if a.empty_class else ""), file=sys.stderr)


if __name__ == "__main__":
    main()

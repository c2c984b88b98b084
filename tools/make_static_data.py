#!/usr/bin/python3
"""(Re)create the data files under static/ (see ATTRIBUTION.md).

  * crates/effnet/data/imagenet_classes.txt: the 1000 ImageNet-1k class names in class-index order, one per
    line, from torchvision's `torchvision/models/_meta.py` (`_IMAGENET_CATEGORIES`, BSD-3-Clause)
    as installed by Debian's python3-torchvision.
  * crates/effnet/data/imagenet_wnids.txt: the 1000 ImageNet-1k WordNet ids (`n01440764`, ...) in
    class-index order, copied from timm 0.9.16's `timm/data/_info/imagenet_synsets.txt`
    (Apache-2.0), which tools/fetch_python_deps.sh unpacks into target/pydeps.
  * static/samples/: sample photos from the scikit-image 0.25.2 wheel (`skimage/data/`),
    copied byte for byte; run `tools/fetch_python_deps.sh --samples` first.
  * static/samples/thumbs/: the gallery's thumbnails (JPEG, 144 px on the long side), made from
    those photos with Pillow, so the page fetches a full photo only when it is chosen.

Usage: /usr/bin/python3 tools/make_static_data.py [--thumbnails]
"""

import os
import shutil
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SAMPLES = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png"]


def main():
    from torchvision.models._meta import _IMAGENET_CATEGORIES as names

    assert len(names) == 1000, len(names)
    assert all(n and "\n" not in n for n in names)
    os.makedirs(os.path.join(ROOT, "static", "samples"), exist_ok=True)
    with open(os.path.join(ROOT, "crates", "effnet", "data", "imagenet_classes.txt"), "w", encoding="utf-8") as f:
        f.write("".join(n + "\n" for n in names))
    print("wrote crates/effnet/data/imagenet_classes.txt")
    write_wnids()

    src = os.path.join(ROOT, "target", "skimage-data")
    if not os.path.isdir(src):
        sys.exit("target/skimage-data is missing: run tools/fetch_python_deps.sh --samples")
    for name in SAMPLES:
        shutil.copyfile(os.path.join(src, name), os.path.join(ROOT, "static", "samples", name))
        print("copied static/samples/" + name)
    make_thumbnails()


def write_wnids():
    src = os.path.join(ROOT, "target", "pydeps", "timm", "data", "_info", "imagenet_synsets.txt")
    if not os.path.exists(src):
        sys.exit("target/pydeps/timm is missing: run tools/fetch_python_deps.sh")
    with open(src, encoding="utf-8") as f:
        wnids = f.read().split()
    assert len(wnids) == 1000 and len(set(wnids)) == 1000, len(wnids)
    assert all(len(w) == 9 and w[0] == "n" and w[1:].isdigit() for w in wnids)
    with open(os.path.join(ROOT, "crates", "effnet", "data", "imagenet_wnids.txt"), "w", encoding="utf-8") as f:
        f.write("".join(w + "\n" for w in wnids))
    print("wrote crates/effnet/data/imagenet_wnids.txt")


THUMB_PX = 144


def make_thumbnails():
    """static/samples/thumbs/NAME.jpg for every sample (also: `--thumbnails` alone)."""
    from PIL import Image

    out = os.path.join(ROOT, "static", "samples", "thumbs")
    os.makedirs(out, exist_ok=True)
    for name in SAMPLES:
        with Image.open(os.path.join(ROOT, "static", "samples", name)) as im:
            im = im.convert("RGB")
            im.thumbnail((THUMB_PX, THUMB_PX), Image.LANCZOS)
            stem = os.path.splitext(name)[0]
            im.save(os.path.join(out, stem + ".jpg"), "JPEG", quality=82, optimize=True, progressive=True)
        print("wrote static/samples/thumbs/" + stem + ".jpg")


if __name__ == "__main__":
    if sys.argv[1:] == ["--thumbnails"]:
        make_thumbnails()
    else:
        main()

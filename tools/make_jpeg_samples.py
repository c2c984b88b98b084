#!/usr/bin/python3
"""Photos of every common kind, each with the RGB Pillow reads from it: the reference for
"our decoders give PyTorch's pixels" (crates/effnet/tests/jpeg_pillow.rs natively,
tools/browser_decode_check.mjs for Chromium's decoder).

    /usr/bin/python3 tools/make_jpeg_samples.py OUTDIR [--photo static/samples/coffee.png]

From a crop of a repo photo (odd width and height, so that chroma subsampling has a partial
block at the right and bottom edges) it writes into OUTDIR:

    KIND.jpg / KIND.png   the file
    KIND.rgb              Pillow's decoded RGB, raw bytes, row-major: what every PyTorch pipeline
                          gets from `Image.open(f).convert("RGB")`; for the EXIF-rotated kind
                          `ImageOps.exif_transpose` comes first, as tools/lite_reference.py does
    manifest.json         [{"kind", "file", "reference", "width", "height", "how"}]

JPEG kinds: baseline 4:2:0, 4:2:2, 4:4:4; progressive; greyscale; CMYK as Pillow writes it
(Adobe APP14 marker, inverted values) and the same without its APP14 marker; restart markers,
arithmetic coding (jpegtran, lossless re-encodings of the 4:2:0 file); 4:4:0 and 4:1:1
subsampling and RGB without colour transform (cjpeg); EXIF orientation 6; corrupt data that
libjpeg decodes past with a warning (stray bytes before the end marker, a frame header claiming
more rows than the data holds), which Pillow reads and so must we; and the repo's JPEG sample
photo (static/samples/rocket.jpg) as it is. Pillow cannot write some of these, so
cjpeg/jpegtran (Debian's libjpeg-turbo-progs, scripts/setup.sh) are needed.

PNG kinds: RGBA, greyscale + alpha, palette with a tRNS chunk, all with colour (not black)
under fully transparent pixels: `convert("RGB")` keeps that colour, and so must we.
"""

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def crop(photo):
    """An odd-sized crop (301 x 227) of the photo's centre, as RGB."""
    im = Image.open(photo).convert("RGB")
    w, h = 301, 227
    left, top = (im.width - w) // 2, (im.height - h) // 2
    return im.crop((left, top, left + w, top + h))


def to_cmyk(im):
    """CMYK with a black plate (Pillow's own RGB -> CMYK conversion leaves K at 0): K takes 3/4
    of the grey component, C, M, Y the rest."""
    c, m, y = (255 - np.asarray(im, dtype=np.int32)).transpose(2, 0, 1)
    k = np.minimum(np.minimum(c, m), y) * 3 // 4
    planes = np.stack([c - k, m - k, y - k, k], axis=-1).astype(np.uint8)
    return Image.frombytes("CMYK", im.size, planes.tobytes())


def strip_app14(data):
    """The JPEG without its Adobe APP14 segment(s) (everything else byte for byte)."""
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        marker = data[i + 1]
        if data[i] != 0xFF or marker == 0xDA:  # start of scan: the rest is image data
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker != 0xEE:
            out += data[i : i + 2 + length]
        i += 2 + length
    out += data[i:]
    return bytes(out)


def taller(data, extra):
    """The JPEG with `extra` more rows in its frame header than its data holds."""
    def is_sof(marker):
        return 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)

    i = 2  # Pillow writes no fill bytes: segment after segment
    while not is_sof(data[i + 1]):
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    height = int.from_bytes(data[i + 5 : i + 7], "big") + extra
    return data[: i + 5] + height.to_bytes(2, "big") + data[i + 7 :]


def tool(name):
    path = shutil.which(name)
    if not path:
        sys.exit(
            f"make_jpeg_samples.py: `{name}` is missing: install Debian's libjpeg-turbo-progs "
            "(scripts/setup.sh does)"
        )
    return path


def run(args, stdin):
    return subprocess.run(args, input=stdin, stdout=subprocess.PIPE, check=True).stdout


def transparent_pngs(base):
    """RGBA, LA and P+tRNS images whose transparent pixels hold colour."""
    rgba = base.convert("RGBA")
    alpha = Image.new("L", base.size, 255)
    px = alpha.load()
    for y in range(base.height):
        for x in range(base.width):
            # a transparent band, a half-transparent band, opaque elsewhere
            if (x + y) % 40 < 12:
                px[x, y] = 0
            elif (x + y) % 40 < 20:
                px[x, y] = 128
    rgba.putalpha(alpha)
    la = base.convert("L").convert("LA")
    la.putalpha(alpha)
    pal = base.quantize(colors=64)
    # palette entry 0 is a colour like any other, but fully transparent
    pal.info["transparency"] = 0
    return {"rgba": rgba, "grey_alpha": la, "palette_trns": pal}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--photo", default=os.path.join(ROOT, "static/samples/coffee.png"))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    base = crop(args.photo)
    cjpeg, jpegtran = tool("cjpeg"), tool("jpegtran")

    def pillow_jpeg(im, **kw):
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=90, **kw)
        return buf.getvalue()

    with tempfile.TemporaryDirectory() as tmp:
        ppm = os.path.join(tmp, "base.ppm")
        base.save(ppm)
        with open(ppm, "rb") as f:
            ppm_bytes = f.read()

    b420 = pillow_jpeg(base, subsampling=2)
    cmyk = pillow_jpeg(to_cmyk(base))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    jpegs = {
        "baseline_420": (b420, "Pillow, quality 90, 4:2:0"),
        "baseline_422": (pillow_jpeg(base, subsampling=1), "Pillow, quality 90, 4:2:2"),
        "baseline_444": (pillow_jpeg(base, subsampling=0), "Pillow, quality 90, 4:4:4"),
        "progressive_420": (
            pillow_jpeg(base, subsampling=2, progressive=True),
            "Pillow, progressive, 4:2:0",
        ),
        "greyscale": (pillow_jpeg(base.convert("L")), "Pillow, one component"),
        "cmyk_adobe": (
            cmyk,
            "Pillow, CMYK with a black plate: Adobe APP14 marker, inverted values",
        ),
        "cmyk_no_adobe": (strip_app14(cmyk), "cmyk_adobe without its APP14 segment"),
        "restart_420": (
            run([jpegtran, "-restart", "3B", "-copy", "all"], b420),
            "jpegtran -restart 3B of baseline_420 (a restart marker every 3 MCUs)",
        ),
        "arithmetic_420": (
            run([jpegtran, "-arithmetic", "-copy", "all"], b420),
            "jpegtran -arithmetic of baseline_420",
        ),
        "h1v2_440": (
            run([cjpeg, "-quality", "90", "-sample", "1x2,1x1,1x1"], ppm_bytes),
            "cjpeg 4:4:0 (chroma halved vertically)",
        ),
        "h4v1_411": (
            run([cjpeg, "-quality", "90", "-sample", "4x1,1x1,1x1"], ppm_bytes),
            "cjpeg 4:1:1",
        ),
        "rgb_no_transform": (
            run([cjpeg, "-quality", "90", "-rgb"], ppm_bytes),
            "cjpeg -rgb: RGB components, Adobe transform 0",
        ),
        "extraneous_bytes": (
            b420[:-2] + b"\x00\x17\x2a" + b420[-2:],
            "baseline_420 with 3 stray bytes before its end marker (libjpeg: a warning)",
        ),
        "rows_beyond_data": (
            taller(b420, 16),
            "baseline_420 whose frame header claims 16 more rows than its data holds (libjpeg: "
            "a warning; the missing rows come out grey)",
        ),
        "exif_orientation_6": (
            pillow_jpeg(base, subsampling=2, exif=exif.tobytes()),
            "Pillow 4:2:0 with EXIF orientation 6; reference after ImageOps.exif_transpose",
        ),
    }

    manifest = []

    def add(kind, name, data, how, transpose=False):
        path = os.path.join(args.outdir, name)
        with open(path, "wb") as f:
            f.write(data)
        im = Image.open(path)
        if transpose:
            im = ImageOps.exif_transpose(im)
        rgb = im.convert("RGB")
        with open(os.path.join(args.outdir, kind + ".rgb"), "wb") as f:
            f.write(rgb.tobytes())
        manifest.append(
            {
                "kind": kind,
                "file": name,
                "reference": kind + ".rgb",
                "width": rgb.width,
                "height": rgb.height,
                "how": how,
            }
        )

    for kind, (data, how) in jpegs.items():
        add(kind, kind + ".jpg", data, how, transpose=kind.startswith("exif"))
    rocket = os.path.join(ROOT, "static/samples/rocket.jpg")
    with open(rocket, "rb") as f:
        add("sample_rocket", "sample_rocket.jpg", f.read(), "static/samples/rocket.jpg as it is")
    for kind, im in transparent_pngs(base).items():
        buf = io.BytesIO()
        im.save(buf, "PNG")
        how = f"Pillow PNG, mode {im.mode}, colour under alpha 0"
        add(kind, kind + ".png", buf.getvalue(), how)

    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest)} files and their Pillow RGB in {args.outdir}")


if __name__ == "__main__":
    main()

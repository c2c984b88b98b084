"""The table tools/q8_agreement.sh prints: for each variant, f16 and q8 against f32 on the same photos.

    agreement.py DIR PHOTOS VARIANT...   (DIR holds VARIANT.{f32,f16,q8}.jsonl and .safetensors)
"""
import json
import math
import os
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def softmax(logits):
    m = max(logits)
    e = [math.exp(x - m) for x in logits]
    s = sum(e)
    return [x / s for x in e]


def top(v, k):
    return [t["index"] for t in v["top"][:k]]


# A photo whose f32 top-1 leads the runner-up by at least this much probability has a "clear"
# top-1: the tolerance (docs/weights.md) asks every such photo to keep it.
CLEAR = 0.02


def main():
    out, photos, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    print(f"{photos} photos; against f32: top-1 equal (all photos; photos whose f32 top-1 leads by >= {CLEAR}),")
    print("top-5 the same set, max |Δp| over the 1000 classes (median over photos; largest)")
    print()
    print("| variant | f32 MB | f16 MB | q8 MB | precision | top-1 | top-1, clear | top-5 set | median max abs Δp | largest abs Δp |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        ref = rows(os.path.join(out, f"{v}.f32.jsonl"))
        size = {p: os.path.getsize(os.path.join(out, f"{v}.{p}.safetensors")) / 1e6 for p in ("f32", "f16", "q8")}
        for p in ("f16", "q8"):
            got = rows(os.path.join(out, f"{v}.{p}.jsonl"))
            assert len(got) == len(ref), f"{v} {p}: {len(got)} results for {len(ref)} photos"
            clear = [(a, b) for a, b in zip(ref, got) if a["top"][0]["prob"] - a["top"][1]["prob"] >= CLEAR]
            t1 = sum(top(a, 1) == top(b, 1) for a, b in zip(ref, got))
            t1c = sum(top(a, 1) == top(b, 1) for a, b in clear)
            t5 = sum(set(top(a, 5)) == set(top(b, 5)) for a, b in zip(ref, got))
            dps = sorted(
                max(abs(x - y) for x, y in zip(softmax(a["logits"]), softmax(b["logits"])))
                for a, b in zip(ref, got)
            )
            cells = [v, f"{size['f32']:.2f}", f"{size['f16']:.2f}", f"{size['q8']:.2f}", p,
                     f"{t1}/{len(ref)}", f"{t1c}/{len(clear)}", f"{t5}/{len(ref)}",
                     f"{dps[len(dps) // 2]:.4f}", f"{dps[-1]:.4f}"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Download torchvision's pretrained EfficientNet-B0..B7 checkpoints, where this machine can reach
them, into OUTDIR (default target/weights). The addresses are the ones the installed torchvision
itself uses (its weights enums), so nothing here names a host. Prints one line per variant:
`b0 OK path` or `b0 UNAVAILABLE reason`. Never fails because a download failed.

    /usr/bin/python3 tools/fetch_torchvision_weights.py [OUTDIR]
"""

import os
import socket
import sys
import urllib.request

import torchvision.models as tvm

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "weights")
    os.makedirs(out, exist_ok=True)
    socket.setdefaulttimeout(20)
    for i in range(8):
        name = f"b{i}"
        enum = getattr(tvm, f"EfficientNet_B{i}_Weights", None)
        if enum is None:
            print(f"{name} UNAVAILABLE this torchvision has no weights enum")
            continue
        url = enum.IMAGENET1K_V1.url
        path = os.path.join(out, "torchvision-" + os.path.basename(url))
        if os.path.exists(path):
            print(f"{name} OK {path}")
            continue
        try:
            tmp = path + ".part"
            with urllib.request.urlopen(url) as response, open(tmp, "wb") as f:
                while True:
                    chunk = response.read(1 << 20)
                    if not chunk:
                        break
                    f.write(chunk)
            os.replace(tmp, path)
            print(f"{name} OK {path}")
        except Exception as e:  # no network here: fall back cleanly
            if os.path.exists(path + ".part"):
                os.remove(path + ".part")
            print(f"{name} UNAVAILABLE {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks that imports inside src/app run one way (src/app/README.md):

    views, devtools, worker  ->  actions  ->  transport  ->  engine, platform  ->  state

A file may use its own layer and the layers below it; engine and platform may not use each
other; views, devtools and worker (the worker's composition root) may not use each other, and
the worker uses no actions; the engine uses neither leptos nor web_sys / js_sys / wasm_bindgen;
the transport writes no signal (it uses no leptos). Outside one owned-state place per composition
root there is no `thread_local!` (there is none at all today). Prints every violation and exits 1
if there is one.
"""
import re
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "src" / "app"
RANK = {"state": 0, "engine": 1, "platform": 1, "transport": 2, "actions": 3, "views": 4,
        "devtools": 4, "worker": 4}
WEB_CRATES = ("leptos", "web_sys", "js_sys", "wasm_bindgen", "wasm_bindgen_futures")


def layer_of(path: Path):
    rel = path.relative_to(APP).parts
    return rel[0] if len(rel) > 1 and rel[0] in RANK else None


def used_layers(text: str, layer: str):
    """Layers named by `crate::app::X` paths, and by `super::X` paths at a layer's top."""
    found = set(re.findall(r"crate::app::(\w+)", text))
    return {f for f in found if f in RANK and f != layer}


def main() -> int:
    problems = []
    for path in sorted(APP.rglob("*.rs")):
        layer = layer_of(path)
        if layer is None:
            continue
        text = path.read_text()
        for other in used_layers(text, layer):
            if RANK[other] >= RANK[layer] or (layer == "worker" and other == "actions"):
                problems.append(f"{path.relative_to(APP)}: {layer} uses {other}")
        if layer == "transport" and re.search(r"\bleptos::", text):
            problems.append(f"{path.relative_to(APP)}: the transport uses leptos")
        if "thread_local!" in text:
            problems.append(f"{path.relative_to(APP)}: a thread_local! (own the state instead)")
        if layer == "engine":
            for crate in WEB_CRATES:
                if re.search(rf"\b{crate}::", text):
                    problems.append(f"{path.relative_to(APP)}: the engine uses {crate}")
        # Only actions write the shared signals (the dev tools their own: state.bench).
        if layer != "actions":
            for m in re.finditer(r"\bstate\.(\w+)\.(set|update)\(", text):
                if not (layer == "devtools" and m.group(1) == "bench"):
                    problems.append(f"{path.relative_to(APP)}: {layer} writes state.{m.group(1)}")
    for p in problems:
        print(p)
    print(f"check_layers: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

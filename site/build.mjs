#!/usr/bin/env node
// Builds the page into DIST (default dist/): the wasm with cargo, its JS glue with wasm-bindgen,
// the page's files beside them, then site/finish.mjs (hashed names, service worker, CSP,
// `_headers`, precompressed copies; wasm-opt when asked). No other build tool: a fresh machine
// needs only the wasm target, wasm-bindgen-cli at Cargo.lock's version and node (npm's binaryen
// for wasm-opt).
//
//   node site/build.mjs [DIST] [--profile site|dev] [--wasm-opt=off|-Oz|-O2]   (default off:
//   see scripts/build_site.sh for the measurement)
//
// index.html is the page's source as it is: it names `effnet-web.js`, `effnet-web_bg.wasm`,
// `main.css`, `boot.js`, `worker.js` and `favicon.svg`; finish.mjs gives them content-hashed names.

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args.splice(i, 2)[1];
  const eq = args.findIndex((a) => a.startsWith(`--${name}=`));
  return eq >= 0 ? args.splice(eq, 1)[0].slice(name.length + 3) : fallback;
};
const profile = flag("profile", "site");
const wasmOpt = flag("wasm-opt", "off");
const dist = path.resolve(args[0] ?? path.join(ROOT, "dist"));
const TARGET = "wasm32-unknown-unknown";
const seconds = (t0) => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const run = (cmd, argv) => execFileSync(cmd, argv, { cwd: ROOT, stdio: "inherit" });

let t0 = Date.now();
run("cargo", ["build", "--target", TARGET, "--profile", profile, "--bin", "effnet-web", "--no-default-features"]);
console.log(`build: cargo (profile ${profile}) ${seconds(t0)}`);

// cargo's folder for a profile: "debug" for dev, its own name otherwise.
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, "target");
const wasm = path.join(targetDir, TARGET, profile === "dev" ? "debug" : profile, "effnet-web.wasm");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
t0 = Date.now();
// The wasm-bindgen crate and its CLI must be the same version (Cargo.lock pins it).
const lock = readFileSync(path.join(ROOT, "Cargo.lock"), "utf8");
const pinned = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
const cli = execFileSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).trim();
if (pinned && cli !== `wasm-bindgen ${pinned}`) {
  throw new Error(`${cli} found, Cargo.lock pins ${pinned}: cargo install wasm-bindgen-cli --version ${pinned}`);
}
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--remove-name-section", "--remove-producers-section",
  "--out-dir", dist, "--out-name", "effnet-web", wasm]);
console.log(`build: wasm-bindgen ${seconds(t0)}`);

cpSync(path.join(ROOT, "static"), path.join(dist, "static"), { recursive: true });
for (const [from, to] of [["style/main.css", "main.css"], ["site/boot.js", "boot.js"], ["site/worker.js", "worker.js"], ["site/favicon.svg", "favicon.svg"]]) {
  cpSync(path.join(ROOT, from), path.join(dist, to));
}
writeFileSync(path.join(dist, "index.html"), readFileSync(path.join(ROOT, "index.html")));
if (!existsSync(path.join(dist, "static/weights/manifest.json"))) {
  console.warn("build: no static/weights/manifest.json: the page will say it has no weights (scripts/convert_weights.sh)");
}

run("node", [path.join(ROOT, "site/finish.mjs"), dist, `--wasm-opt=${wasmOpt}`]);

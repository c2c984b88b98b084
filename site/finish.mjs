#!/usr/bin/env node
// Turns the assembled dist/ into the shipped site (site/build.mjs runs it last):
//
//   1. wasm-opt when asked (npm's binaryen; Debian's 108 breaks burn's wasm; off by default:
//      scripts/build_site.sh says why);
//   2. content-hashed names for everything cacheable: the wasm (renamed after wasm-opt), its JS
//      glue, the CSS, the icon, the start-up script, the engine's worker script, the weights files (the manifest is
//      rewritten to name them);
//   3. the service worker (site/sw.js) filled with this build's id and its app shell;
//   4. the strict Content-Security-Policy as a meta tag, and `_headers` (Netlify / Cloudflare
//      Pages) with the CSP, the other security headers and the cache policy per file;
//   5. `.br` (quality 11) and `.gz` (level 9) beside every text and wasm file;
//   6. `build.json`: the build id and each code file's size raw / gzip / brotli;
//   7. the hosts' limits (site/limits.mjs): no file over 25 MiB (EFFNET_MAX_FILE_MIB; 0: no
//      limit), the site under 1 GB; fails naming what is over, else says the site's size.
//
//   node site/finish.mjs DIST [--wasm-opt=off|-Oz|-O2]

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync, constants as zlib } from "node:zlib";

import { CSP, SECURITY_HEADERS, IMMUTABLE, REVALIDATE } from "./policy.mjs";
import { checkSite, MAX_FILE_MIB } from "./limits.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const dist = path.resolve(args.find((a) => !a.startsWith("--")) ?? path.join(ROOT, "dist"));
const optLevel = (args.find((a) => a.startsWith("--wasm-opt=")) ?? "--wasm-opt=off").split("=")[1];

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
const rel = (file) => path.relative(dist, file).split(path.sep).join("/");
const log = (...m) => console.log("finish:", ...m);

function files(dir = dist) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

let html = readFileSync(path.join(dist, "index.html"), "utf8");
const metaOf = (name) => html.match(new RegExp(`<meta name="${name}" content="([^"]+)"`))?.[1];
const setMeta = (name, value) => {
  html = html.replace(new RegExp(`<meta name="${name}" content="[^"]*">`), `<meta name="${name}" content="${value}">`);
};
const wasmRef = metaOf("effnet-wasm");
const jsRef = metaOf("effnet-js");
if (!wasmRef || !jsRef) throw new Error(`${dist}/index.html has no effnet-wasm/effnet-js meta tags`);

// 1. wasm-opt, then a name from the optimised bytes.
let wasmPath = path.join(dist, wasmRef.replace(/^\.\//, ""));
if (optLevel !== "off") {
  const bin = process.env.WASM_OPT ?? path.join(ROOT, "tests/browser/node_modules/.bin/wasm-opt");
  if (!existsSync(bin)) throw new Error(`wasm-opt not found at ${bin}: run scripts/setup.sh (npm's binaryen)`);
  const before = statSync(wasmPath).size;
  const t0 = Date.now();
  // The features rustc and wasm-bindgen emit (SIMD128 for the CPU kernels, reference types for
  // wasm-bindgen's externref table); --strip-debug drops the name section.
  execFileSync(bin, [wasmPath, "-o", wasmPath, optLevel, "--strip-debug", "--strip-producers",
    "--enable-bulk-memory", "--enable-bulk-memory-opt", "--enable-nontrapping-float-to-int",
    "--enable-sign-ext", "--enable-mutable-globals", "--enable-reference-types",
    "--enable-multivalue", "--enable-simd"], { stdio: "inherit" });
  log(`wasm-opt ${optLevel}: ${(before / 1e6).toFixed(2)} -> ${(statSync(wasmPath).size / 1e6).toFixed(2)} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** Renames `file` (`<stem><anything><suffix>`) to `<stem><hash of its bytes><suffix>`. */
function hashName(file, stem, suffix) {
  const named = path.join(path.dirname(file), `${stem}${sha(readFileSync(file)).slice(0, 16)}${suffix}`);
  if (named !== file) renameSync(file, named);
  return named;
}

wasmPath = hashName(wasmPath, "effnet-web-", "_bg.wasm");
setMeta("effnet-wasm", `./${rel(wasmPath)}`);
html = html.replace("<meta name=\"effnet-wasm\"", `<meta name="effnet-wasm-bytes" content="${statSync(wasmPath).size}">\n<meta name="effnet-wasm"`);

// 2. The JS glue, the start-up script, the CSS, the icon and the weights.
const glue = hashName(path.join(dist, jsRef.replace(/^\.\//, "")), "effnet-web-", ".js");
setMeta("effnet-js", `./${rel(glue)}`);
html = html.replace(/href="\.\/effnet-web\.js"/, `href="./${rel(glue)}"`);
for (const [name, stem, suffix, attr] of [["boot.js", "boot-", ".js", "src"], ["worker.js", "worker-", ".js", "content"], ["main.css", "main-", ".css", "href"], ["favicon.svg", "favicon-", ".svg", "href"]]) {
  const named = hashName(path.join(dist, name), stem, suffix);
  html = html.replace(`${attr}="./${name}"`, `${attr}="./${rel(named)}"`);
}

const manifestPath = path.join(dist, "static/weights/manifest.json");
if (existsSync(manifestPath)) {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  // Every weights file and shard gets its content's hash in its name (cached for good); the
  // entry's own file and its format in `formats` name the same file.
  const weightsDir = path.join(dist, "static/weights");
  const hashed = (name, sha) => {
    const m = /^(.*?)(-[0-9a-f]{12})?(\.safetensors|\.shard)$/.exec(name);
    return m ? `${m[1]}-${sha.slice(0, 12)}${m[3]}` : name;
  };
  const renamed = new Map();
  const rename = (name, sha) => {
    if (renamed.has(name)) return renamed.get(name);
    const file = path.join(weightsDir, name);
    if (!existsSync(file)) return name;
    const named = hashed(name, sha);
    renameSync(file, path.join(weightsDir, named));
    renamed.set(name, named);
    return named;
  };
  for (const entry of manifest.weights ?? []) {
    const own = entry.file;
    entry.file = rename(own, entry.sha256);
    for (const format of entry.formats ?? []) {
      if (format.file === own) format.file = entry.file;
      else if (!format.shards?.length) format.file = rename(format.file, format.sha256);
      for (const shard of format.shards ?? []) shard.file = rename(shard.file, shard.sha256);
    }
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
}

// 3. The build id and the service worker.
const all = () => files().filter((f) => !/\.(br|gz)$/.test(f));
const isShell = (r) =>
  !/\.(safetensors|shard)$/.test(r) && r !== "sw.js" && r !== "_headers" && r !== "build.json" &&
  !/^static\/samples\/[^/]+$/.test(r);
html = html.replace(/<meta name="effnet-build" content="[^"]*">\n?/, "");
const shellFiles = () => all().map(rel).filter(isShell).filter((r) => r !== "index.html").sort();
const build = sha(shellFiles().map((r) => `${r}:${sha(readFileSync(path.join(dist, r)))}`).join("\n") + html).slice(0, 16);
html = html.replace("<meta name=\"effnet-js\"", `<meta name="effnet-build" content="${build}">\n<meta name="effnet-js"`);

// 4. The CSP, in the page too (hosts that cannot send headers, e.g. GitHub Pages).
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n?/, "");
html = html.replace("<meta charset=\"utf-8\" />", `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`);
writeFileSync(path.join(dist, "index.html"), html);

const shell = ["index.html", ...shellFiles()];
const sw = readFileSync(path.join(ROOT, "site/sw.js"), "utf8")
  .replace("__EFFNET_BUILD__", build)
  .replace("__EFFNET_SHELL__", JSON.stringify(shell.map((r) => `./${r}`), null, 2));
writeFileSync(path.join(dist, "sw.js"), sw);

const hashed = all().map(rel).filter((r) => /-[0-9a-f]{16}(_bg)?\.[a-z0-9]+$|-[0-9a-f]{12}\.(safetensors|shard)$/.test(r));
const revalidate = ["/", "/index.html", "/sw.js", "/static/weights/manifest.json"];
const headers = [
  "# Written by site/finish.mjs: the headers a static host sends (Netlify, Cloudflare Pages).",
  "/*", ...Object.entries({ ...SECURITY_HEADERS, "Content-Security-Policy": CSP }).map(([k, v]) => `  ${k}: ${v}`),
  ...revalidate.flatMap((p) => [p, `  Cache-Control: ${REVALIDATE}`]),
  ...hashed.flatMap((r) => [`/${r}`, `  Cache-Control: ${IMMUTABLE}`]),
  "",
].join("\n");
writeFileSync(path.join(dist, "_headers"), headers);

// 5. Precompressed copies of every text and wasm file.
for (const f of files()) if (/\.(br|gz)$/.test(f)) unlinkSync(f);
const COMPRESS = /\.(html|js|mjs|css|wasm|json|svg|txt|map)$/;
const sizes = {};
for (const f of all()) {
  if (!COMPRESS.test(f)) continue;
  const raw = readFileSync(f);
  const br = brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${f}.br`, br);
  writeFileSync(`${f}.gz`, gz);
  sizes[rel(f)] = { raw: raw.length, gzip: gz.length, brotli: br.length };
}
const code = Object.entries(sizes).filter(([r]) => /\.(wasm|js|css)$/.test(r) && r !== "sw.js");
const total = (k) => code.reduce((s, [, v]) => s + v[k], 0);
writeFileSync(path.join(dist, "build.json"), JSON.stringify({
  build, wasmOpt: optLevel, shell, sizes,
  code: { raw: total("raw"), gzip: total("gzip"), brotli: total("brotli") },
}, null, 2) + "\n");
log(`build ${build}: page code (wasm + JS + CSS) ${(total("raw") / 1e6).toFixed(2)} MB raw, ` +
  `${(total("gzip") / 1e6).toFixed(2)} MB gzip, ${(total("brotli") / 1e6).toFixed(2)} MB brotli`);

// 7. What the hosts accept.
const maxMiB = Number(process.env.EFFNET_MAX_FILE_MIB ?? MAX_FILE_MIB);
try {
  const site = checkSite(dist, maxMiB);
  log(`site: ${site.files} files, ${(site.total / 1e6).toFixed(1)} MB in all; the largest ${site.largest.file} ` +
    `${(site.largest.bytes / 1048576).toFixed(1)} MiB (limit ${maxMiB > 0 ? `${maxMiB} MiB` : "none"})`);
} catch (e) {
  console.error(`finish: ${e.message}`);
  process.exit(1);
}

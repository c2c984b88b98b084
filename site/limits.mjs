// What the static hosts the site is built for accept (README, "The shipped site"): the largest
// file and the whole site. site/finish.mjs checks the built site against them.
//
//   Cloudflare Pages: 25 MiB a file (the strictest), 20,000 files.
//   GitHub Pages: 1 GB a site (recommended), 100 MB a file (git's limit).
//   Netlify: no documented file limit that the site comes near.

import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Cloudflare Pages' limit on one file. */
export const MAX_FILE_MIB = 25;
/** GitHub Pages' recommended limit on a site. */
export const MAX_SITE_BYTES = 1e9;

/** Every file under `dir` with its size, largest first. */
export function sizes(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ file: path.relative(dir, p), bytes: statSync(p).size });
    }
  };
  walk(dir);
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** The site's total size and its files over `maxMiB` (none when `maxMiB` is 0); throws, naming
 * them, when there are any or when the site is over GitHub Pages' 1 GB. */
export function checkSite(dir, maxMiB = MAX_FILE_MIB) {
  const all = sizes(dir);
  const total = all.reduce((s, f) => s + f.bytes, 0);
  const over = maxMiB > 0 ? all.filter((f) => f.bytes > maxMiB * 1024 * 1024) : [];
  if (over.length) {
    throw new Error(`${over.length} file(s) over ${maxMiB} MiB, which Cloudflare Pages refuses: ` +
      over.map((f) => `${f.file} (${(f.bytes / 1048576).toFixed(1)} MiB)`).join(", ") +
      `. Convert weights in shards (effnet convert --shard-mib 16; scripts/convert_weights.sh does), ` +
      `or build with EFFNET_MAX_FILE_MIB=0 for a host without the limit.`);
  }
  if (total > MAX_SITE_BYTES) {
    throw new Error(`the site is ${(total / 1e9).toFixed(2)} GB, over GitHub Pages' 1 GB`);
  }
  return { total, files: all.length, largest: all[0] };
}

// What the page benches (bench_warm_up, bench_worker, bench_revisit) share beside
// tests/browser/lib.mjs (bench_browser and bench_gpu take `ratio` from here too): the median, waiting for the page to await an image, classifying a
// sample photo, the report files.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT, state, waitFor, settled } from "../tests/browser/lib.mjs";

/** `a / b` with two decimals for a table, "–" when either is missing. */
export const ratio = (a, b) => (a == null || b == null ? "–" : (a / b).toFixed(2));

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Waits until the page's first request is over (the opening sample, or with `?warmup=off` the
 * variant loaded): the network is loaded, and warm unless `?warmup=off`. */
export const waitReady = (page) => waitFor(page, settled, "the first request over", 900000);

/** Clicks the sample photo `file` and waits for its result; throws the page's error if it shows
 * one. Returns the page's state with that result (`state.lastResult`) and the page-clock time
 * from the click to the result (`clickToResultMs`). */
export async function classifySample(page, file) {
  const before = (await state(page)).resultCount;
  const clicked = await page.evaluate(() => performance.now());
  await page.click(`[data-testid="sample-${file}"]`);
  const s = await waitFor(page, (s) => (s.resultCount > before && s.lastResult.input.startsWith(file)) || s.error, "result", 900000);
  if (s.error) throw new Error(s.error.message);
  const clickToResultMs = (await page.evaluate(() => performance.now())) - clicked;
  return { state: s, clickToResultMs };
}

/** Prints `table` and writes target/NAME.json (the rows) and target/NAME.md (the table). */
export async function report(name, rows, table) {
  console.log(table);
  await mkdir(path.join(ROOT, "target"), { recursive: true });
  await writeFile(path.join(ROOT, `target/${name}.json`), JSON.stringify(rows, null, 2));
  await writeFile(path.join(ROOT, `target/${name}.md`), table + "\n");
}

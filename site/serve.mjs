#!/usr/bin/env node
// A static server for the built site, as a good static host serves it: precompressed `.br` /
// `.gz` files with Content-Encoding when the browser accepts them, the headers of the site's
// `_headers` file (CSP, security headers, cache policy), ETags and 304s, under any path prefix.
// README's first command serves the site with it; the browser tests and benches use it too.
//
//   node site/serve.mjs [DIST] [--port 8080] [--prefix /] [--host 127.0.0.1]

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm", ".css": "text/css; charset=utf-8", ".json": "application/json",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8", ".onnx": "application/octet-stream", ".safetensors": "application/octet-stream", ".shard": "application/octet-stream",
};

/** `_headers` (Netlify / Cloudflare Pages format): `[{ pattern, headers }]` in file order. */
export function parseHeaders(text) {
  const rules = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    if (!/^\s/.test(line)) rules.push({ pattern: line.trim(), headers: {} });
    else if (rules.length) {
      const i = line.indexOf(":");
      rules.at(-1).headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
  }
  return rules;
}

const matches = (pattern, p) => (pattern.endsWith("*") ? p.startsWith(pattern.slice(0, -1)) : p === pattern);

/**
 * Serves `dir` under `prefix` (ending in "/") on `host` (a free port unless `port`).
 * Returns { origin, url (origin + prefix), requests (site paths asked for, "/…"), override(sitePath,
 * handler), clear(), setDir(dir) (a new build from now on), close() }. `mounts` maps extra
 * absolute URL prefixes (ending in "/") to folders, served plainly. `plain`: serve as a bare static
 * server does (no compression, no ETag, no cache headers, no _headers): the worst host for caching.
 */
export async function serveSite(dir, { prefix = "/", port = 0, host = "127.0.0.1", mounts = {}, log = false, plain = false } = {}) {
  if (!prefix.startsWith("/") || !prefix.endsWith("/")) throw new Error(`prefix must start and end with "/": ${prefix}`);
  let root = path.resolve(dir);
  let rules = [];
  const load = () => {
    const file = path.join(root, "_headers");
    rules = existsSync(file) ? parseHeaders(readFileSync(file, "utf8")) : [];
  };
  load();
  const requests = [];
  const sent = [];
  const overrides = new Map();
  const mountList = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);

  async function send(req, res, file, extra = {}) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    // Ranges are served from the file itself (they count its bytes, not a compressed copy's).
    // `plain`: as a bare static server (python's http.server) serves: no compressed copies, no
    // ETag, no Cache-Control, none of the site's _headers.
    const accept = range || plain ? "" : String(req.headers["accept-encoding"] ?? "");
    let body = file;
    let encoding = null;
    for (const [enc, ext] of [["br", ".br"], ["gzip", ".gz"]]) {
      if (accept.includes(enc) && existsSync(file + ext)) {
        body = file + ext;
        encoding = enc;
        break;
      }
    }
    const bodyInfo = await stat(body);
    const etag = `W/"${bodyInfo.size.toString(16)}-${Math.floor(bodyInfo.mtimeMs).toString(16)}"`;
    const headers = plain
      ? { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }
      : {
          "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
          vary: "Accept-Encoding",
          etag,
          "cache-control": "no-cache",
          ...extra,
        };
    if (encoding) headers["content-encoding"] = encoding;
    const site = new URL(req.url, "http://x").pathname;
    if (!plain && req.headers["if-none-match"] === etag) {
      sent.push({ path: site, status: 304, bytes: 0, encoding });
      return res.writeHead(304, headers).end();
    }
    let bytes = await readFile(body);
    let status = 200;
    headers["accept-ranges"] = "bytes";
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
      if (start >= bytes.length || end < start) {
        sent.push({ path: site, status: 416, bytes: 0, encoding, range: range[0] });
        return res.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end();
      }
      headers["content-range"] = `bytes ${start}-${end}/${bytes.length}`;
      bytes = bytes.subarray(start, end + 1);
      status = 206;
    }
    headers["content-length"] = bytes.length;
    res.writeHead(status, headers);
    res.end(req.method === "HEAD" ? undefined : bytes);
    sent.push({ path: site, status, bytes: req.method === "HEAD" ? 0 : bytes.length, encoding, range: range?.[0] });
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://x");
      const p = decodeURIComponent(url.pathname);
      if (log) console.log(req.method, p);
      const mount = mountList.find(([m]) => p.startsWith(m));
      if (mount) {
        requests.push(p);
        let file = path.join(mount[1], p.slice(mount[0].length));
        if (!file.startsWith(path.resolve(mount[1]))) return res.writeHead(403).end();
        if (p.endsWith("/")) file = path.join(file, "index.html");
        return await send(req, res, file);
      }
      if (p === prefix.slice(0, -1)) return res.writeHead(301, { location: prefix }).end();
      if (!p.startsWith(prefix)) return res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      const site = "/" + p.slice(prefix.length);
      requests.push(site);
      if (overrides.has(site)) return await overrides.get(site)(req, res);
      let file = path.join(root, site);
      if (!file.startsWith(root)) return res.writeHead(403).end();
      if (site.endsWith("/")) file = path.join(file, "index.html");
      const extra = {};
      for (const rule of rules) {
        if (matches(rule.pattern, site) || (site.endsWith("/") && matches(rule.pattern, site + "index.html"))) {
          for (const [k, v] of Object.entries(rule.headers)) extra[k.toLowerCase()] = v;
        }
      }
      return await send(req, res, file, extra);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e));
    }
  });
  await new Promise((ok) => server.listen(port, host, ok));
  const origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    url: origin + prefix,
    prefix,
    requests,
    /** Every file sent: { path (the URL's path), status (200, 206, 304), bytes (body bytes on the
     * wire), encoding, range (the Range header of a 206) }. */
    sent,
    override: (sitePath, handler) => overrides.set(sitePath, handler),
    clear: () => overrides.clear(),
    setDir: (d) => {
      root = path.resolve(d);
      load();
    },
    close: () => {
      server.closeAllConnections?.();
      return new Promise((ok) => server.close(ok));
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args.splice(i, 2)[1] : fallback;
  };
  const port = Number(opt("port", 8080));
  const prefix = opt("prefix", "/");
  const host = opt("host", "127.0.0.1");
  const dir = args[0] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
  if (!existsSync(path.join(dir, "index.html"))) {
    console.error(`serve: ${dir}/index.html not found: build the site first (scripts/build_site.sh)`);
    process.exit(1);
  }
  const s = await serveSite(dir, { port, prefix, host });
  console.log(`serving ${path.resolve(dir)} at ${s.url} (Ctrl-C stops)`);
}

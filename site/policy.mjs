// The headers the shipped site is served with: written into dist/_headers and index.html by
// site/finish.mjs, sent by site/serve.mjs (the local server and the browser tests' server).

/** The Content-Security-Policy: the page's own files only. 'wasm-unsafe-eval' lets the page
 * compile its WebAssembly; blob:/data: images are the photos and crops the page draws itself;
 * workers from blob: are allowed for a worker-based engine. No inline script, no inline style
 * attribute (styles set through CSSOM are not affected). */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'self'",
  "form-action 'none'",
].join("; ");

export const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy": "camera=(self)",
};

/** Content-hashed files: a new build has new names. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** index.html, the manifest, the service worker: always asked again (a 304 when unchanged). */
export const REVALIDATE = "no-cache";

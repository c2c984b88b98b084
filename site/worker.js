// The engine's Web Worker: runs the page's own wasm (the module the page compiled, sent in the
// first message with the URL of its JS glue), whose start function sees no window and serves
// the engine instead of mounting the page (src/app/worker). Out of line and from the page's
// origin, so it runs under the page's `worker-src 'self'`.

self.addEventListener(
  "message",
  async (event) => {
    const boot = event.data?.boot;
    try {
      if (!boot?.js) throw new Error("no boot message");
      const glue = await import(boot.js);
      await glue.default({ module_or_path: boot.module ?? boot.wasm });
    } catch (e) {
      self.postMessage({ bootError: `${e?.name ?? "Error"}: ${e?.message ?? e}` });
    }
  },
  { once: true },
);

//! The EfficientNet page: a leptos (client-side rendered) app built by site/build.mjs, running the
//! `effnet` core crate in the browser on burn's WebGPU backend, or its Flex CPU backend.
//!
//! Everything lives in [`app`]; a native build of this package is an empty binary (all its
//! dependencies are wasm32-only), so host builds of the workspace never compile leptos or wgpu.

#[cfg(target_arch = "wasm32")]
mod app;

// wasm-ld links a binary "command-style": unless the module calls `__wasm_call_ctors` itself,
// it prepends a call to it to EVERY exported function, so the static constructors (the
// `inventory` registrations of CubeCL, hundreds of them) ran again on each call from JS into
// wasm — every callback, every externref allocation: about 2 s of a 3 s WebGPU inference here.
// Calling it once, explicitly, at start-up turns that off.
#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // SAFETY: the linker's constructor runner, called exactly once, before any other Rust code
    // of the page runs.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    // The same wasm runs the page and, in site/worker.js, the engine's worker.
    if web_sys::window().is_some() {
        leptos::mount::mount_to_body(app::Root);
    } else {
        app::serve_worker();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("effnet-web is a browser app: build it with `scripts/build_site.sh` (see README.md)");
}

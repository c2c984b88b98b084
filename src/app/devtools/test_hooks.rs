//! `window.__effnet`: the page's state as plain JSON for browser tests and the bench script.

use leptos::prelude::*;
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;

use super::{memory_sample, prepcheck};
use crate::app::actions::{engine, worker};
use crate::app::engine::{depthwise_gpu, preprocess_gpu, wasm_simd};
use crate::app::platform::{image, js};
use crate::app::state::AppState;
use crate::app::state::backend::{GpuState, RunsIn};
use crate::app::state::load::{LoadState, ManifestState};

/// Mirrors the state into `window.__effnet` whenever it changes, and installs
/// `window.__effnetDecode`.
pub fn install(state: AppState) {
    install_decode();
    install_crash();
    Effect::new(move |_| {
        let result = state.result.get();
        let backend = state.backend.get();
        let (gpu, adapter) = match &backend.gpu {
            GpuState::Probing => ("probing".to_string(), None),
            GpuState::Skipped => ("skipped".to_string(), None),
            GpuState::Unavailable(why) => (format!("unavailable: {why}"), None),
            GpuState::Failed(why) => (format!("failed: {why}"), None),
            GpuState::Ready(info) => ("ready".to_string(), Some(info.clone())),
        };
        let load = match state.load.get() {
            LoadState::Idle => json!({ "state": "idle" }),
            LoadState::Downloading {
                variant,
                loaded,
                total,
            } => {
                json!({ "state": "downloading", "variant": variant.name(), "loaded": loaded, "total": total })
            }
            LoadState::Preparing { variant, .. } => {
                json!({ "state": "preparing", "variant": variant.name() })
            }
            LoadState::Ready {
                variant,
                pretrained,
                from_cache,
                ms,
            } => json!({
                "state": "ready", "variant": variant.name(), "pretrained": pretrained, "fromCache": from_cache, "ms": ms
            }),
            LoadState::Failed { variant, message } => {
                json!({ "state": "failed", "variant": variant.name(), "message": message })
            }
        };
        let manifest = state.manifest.with(|m| match m {
            ManifestState::Loading => json!({ "state": "loading" }),
            ManifestState::Missing => json!({ "state": "missing" }),
            ManifestState::Failed(why) => json!({ "state": "failed", "message": why }),
            ManifestState::Loaded(m) => {
                json!({ "state": "loaded", "variants": m.weights.iter().map(|e| e.variant.clone()).collect::<Vec<_>>() })
            }
        });
        let mut value = json!({
            "ready": backend.active.is_some() && !matches!(state.manifest.get(), ManifestState::Loading),
            "backend": backend.active.map(|k| k.id()),
            "gpu": gpu,
            "adapter": adapter,
            "notice": backend.notice,
            "variant": state.variant.get().name(),
            "status": state.status.get(),
            "error": state.error.get(),
            "manifest": manifest,
            "load": load,
            "resultCount": state.result_count.get(),
            "lastResult": result,
            "webcam": state.webcam.get(),
        });
        value["tab"] = json!(format!("{:?}", state.tab.get()).to_lowercase());
        value["compare"] = json!(state.compare.get());
        value["measured"] = json!(state.measured.with(|m| {
            m.iter()
                .map(|((v, b), x)| json!({ "variant": v.name(), "backend": b, "measured": x }))
                .collect::<Vec<_>>()
        }));
        value["cam"] = json!({ "enabled": state.cam.with(|c| c.enabled), "class": state.cam.with(|c| c.class) });
        // The worker's counters when the networks run there (as of its last reply).
        let worker = engine().remote().and_then(|r| r.stats());
        let (launched, declined) = worker
            .map(|w| (w.depthwise_launched, w.depthwise_declined))
            .unwrap_or_else(depthwise_gpu::counts);
        value["depthwise"] = json!({ "kernelLaunches": launched, "kernelDeclined": declined });
        value["worker"] = json!(worker.map(|w| json!({
            "imagesReceived": w.images_received,
            "framesReceived": w.frames_received,
        })));
        value["runsIn"] = json!(match &backend.runs_in {
            RunsIn::Starting => "starting".to_string(),
            RunsIn::Worker => "worker".to_string(),
            RunsIn::Page(why) => format!("page: {why}"),
        });
        value["offline"] = json!(state.offline.get());
        // Read whenever the state changes (tests compare them around a step).
        if let Some(kind) = backend.active {
            value["memory"] = json!(memory_sample(0, kind));
        }
        value["wasmSimd"] = json!(wasm_simd());
        value["preprocess"] = json!({ "gpuRuns": worker.map_or_else(preprocess_gpu::runs, |w| w.gpu_preprocess_runs), "checks": prepcheck::checks() });
        if let Some(bench) = state.bench.get() {
            value["bench"] = json!(bench);
        }
        let parsed = js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL);
        let _ = js_sys::Reflect::set(&js::window(), &"__effnet".into(), &parsed);
    });
}

/// `window.__effnetDecode(blob)`: the RGB the page's decoder gives for a file, exactly what a
/// classification of it starts from: `{ width, height, rgb: Uint8Array }` or `{ error }`.
fn install_decode() {
    let decode = Closure::<dyn Fn(web_sys::Blob) -> js_sys::Promise>::new(|blob: web_sys::Blob| {
        wasm_bindgen_futures::future_to_promise(async move {
            let out = js_sys::Object::new();
            match image::decode_blob(&blob).await {
                Ok(decoded) => {
                    js::set(&out, "width", &(decoded.image.width as u32).into());
                    js::set(&out, "height", &(decoded.image.height as u32).into());
                    let rgb = js_sys::Uint8Array::from(decoded.image.data.as_slice());
                    js::set(&out, "rgb", &rgb.into());
                }
                Err(e) => js::set(&out, "error", &e.into()),
            }
            Ok(out.into())
        })
    });
    js::set(&js::window().into(), "__effnetDecode", decode.as_ref());
    decode.forget();
}

/// `window.__effnetCrashWorker()`: makes the engine's worker trap, as a crash would (tests of
/// the restart); `false` when the networks do not run in a worker.
fn install_crash() {
    let crash = Closure::<dyn Fn() -> bool>::new(worker::crash);
    js::set(&js::window().into(), "__effnetCrashWorker", crash.as_ref());
    crash.forget();
}

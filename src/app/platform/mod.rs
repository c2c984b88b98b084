//! All the browser glue (web_sys, js_sys): fetching and caching weights, decoding images, the
//! camera, WebGPU's adapter, storage, canvases, page-wide listeners. Functions return values
//! or call the callbacks they are given; they write no signal.

pub mod camera;
pub mod canvas;
pub mod frame;
pub mod gpu;
pub mod image;
pub mod js;
pub mod listeners;
pub mod memory;
pub mod messages;
pub mod storage;
pub mod weights;
pub mod worker;

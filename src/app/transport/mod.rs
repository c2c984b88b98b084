//! Where the engine meets the browser, with no signal in it: the engine's worker seen from the
//! page ([`worker_client`]: a request/reply table over the worker's message port), the browser
//! as the engine's host ([`host`]: its clock, its event loop, the weights files) and the one
//! WebGPU start-up ([`gpu`]). Both composition roots use it: the page (through its actions) and
//! the worker.

pub mod gpu;
pub mod host;
pub mod worker_client;

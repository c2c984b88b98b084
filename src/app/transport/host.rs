//! The browser as the engine's [`Host`]: its clock, its event loop, and the weights files
//! (fetched, cached and resumed by [`Weights`]).

use std::rc::Rc;

use effnet::session::Wanted;
use effnet::weights::manifest::ManifestEntry;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use crate::app::engine::{Downloaded, Host};
use crate::app::platform::js;
use crate::app::platform::weights::Weights;
use crate::app::state::error::AppError;
use crate::app::state::load::WeightsOrigin;

/// The page's thread or the worker, as the engine sees it (each has its own downloads).
#[derive(Default)]
pub struct Browser {
    weights: Rc<Weights>,
}

impl Host for Browser {
    fn now(&self) -> f64 {
        js::now()
    }

    fn yield_now(&self) -> LocalBoxFuture<'static, ()> {
        js::yield_now().boxed_local()
    }

    fn sleep(&self, ms: i32) -> LocalBoxFuture<'static, ()> {
        js::sleep(ms).boxed_local()
    }

    fn fetch_weights(
        &self,
        entry: ManifestEntry,
        progress: Downloaded,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<(Vec<u8>, WeightsOrigin), AppError>> {
        self.weights
            .clone()
            .fetch(entry, progress, wanted)
            .boxed_local()
    }
}

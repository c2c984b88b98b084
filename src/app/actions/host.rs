//! The browser as the engine's [`Host`]: its clock and its event loop.

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use crate::app::engine::Host;
use crate::app::platform::js;

pub struct Browser;

impl Host for Browser {
    fn now(&self) -> f64 {
        js::now()
    }

    fn yield_now(&self) -> LocalBoxFuture<'static, ()> {
        js::yield_now().boxed_local()
    }
}

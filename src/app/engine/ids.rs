//! Numbers that name things across the worker boundary: requests, networks the worker holds,
//! frames staged for it. Each kind is its own type, and each is handed out by one [`Counter`].

use std::cell::Cell;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

/// A request to the engine's worker; its replies carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

/// A network the worker built and holds for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NetId(pub u64);

/// A video frame staged to be moved to the worker with its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FrameId(pub u64);

impl std::fmt::Display for NetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Hands out fresh numbers of one kind, from 1.
pub struct Counter<T> {
    last: Cell<u64>,
    kind: PhantomData<T>,
}

impl<T> Default for Counter<T> {
    fn default() -> Self {
        Self {
            last: Cell::new(0),
            kind: PhantomData,
        }
    }
}

impl<T: From<u64>> Counter<T> {
    pub fn next(&self) -> T {
        self.last.set(self.last.get() + 1);
        T::from(self.last.get())
    }
}

impl From<u64> for RequestId {
    fn from(n: u64) -> Self {
        Self(n)
    }
}

impl From<u64> for NetId {
    fn from(n: u64) -> Self {
        Self(n)
    }
}

impl From<u64> for FrameId {
    fn from(n: u64) -> Self {
        Self(n)
    }
}

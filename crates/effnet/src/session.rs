//! The bookkeeping of an app that runs networks for one visitor, with no platform in it: the
//! networks kept in memory, loads shared by everyone who asks while one is under way, the
//! current image, and the one policy every request follows.
//!
//! - **A newer request supersedes an older one.** Each request takes a [`Ticket`]: a new
//!   request ([`Session::supersede`]) makes every older ticket stale, and work under a stale
//!   ticket stops at its next boundary and shows nothing. Follow-up work of the same request
//!   (a webcam frame, a re-run on the same image) joins it with [`Session::ticket`].
//! - **A busy model drops webcam frames.** A run holds a [`RunGuard`]; a frame asks
//!   [`Session::try_begin_frame`], which gives none while anything runs, so frames are dropped,
//!   never queued.
//! - **Loads are shared futures.** Asking for a network that is being loaded waits for that
//!   load (no second download, no polling). A load stops when nobody who asked for it still
//!   wants it ([`Wanted`]); a requester still interested then starts it again.
//!
//! Single-threaded (`Rc`): the page's main thread, or one worker.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};

/// One request's place in line: stale once a newer request has started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

impl Ticket {
    /// The generation number (what results carry, so tests can tell requests apart).
    pub fn generation(self) -> u64 {
        self.0
    }
}

/// Who wants a load: one request, or whoever asks regardless of later requests (e.g. a
/// comparison that loads several networks one after another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Request(Ticket),
    Always,
}

/// Why a load gave no network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError<E> {
    /// Everyone who asked for it moved on; nothing was kept.
    Superseded,
    Failed(E),
}

impl<E> LoadError<E> {
    pub fn is_superseded(&self) -> bool {
        matches!(self, LoadError::Superseded)
    }
}

/// What a loader asks at its boundaries (after a downloaded chunk, before building): does
/// anyone still want this network? When not, it returns [`LoadError::Superseded`].
#[derive(Clone)]
pub struct Wanted {
    generation: Rc<Cell<u64>>,
    interests: Rc<RefCell<Vec<Interest>>>,
}

impl Wanted {
    pub fn get(&self) -> bool {
        let now = self.generation.get();
        self.interests.borrow().iter().any(|i| match i {
            Interest::Always => true,
            Interest::Request(t) => t.0 == now,
        })
    }
}

/// Marks the session busy while alive.
pub struct RunGuard {
    running: Rc<Cell<u32>>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        self.running.set(self.running.get() - 1);
    }
}

type SharedLoad<M, E> = Shared<LocalBoxFuture<'static, Result<Rc<M>, LoadError<E>>>>;

struct InFlight<K, M, E> {
    key: K,
    load: SharedLoad<M, E>,
    interests: Rc<RefCell<Vec<Interest>>>,
}

struct Inner<K, M, E, I> {
    generation: Rc<Cell<u64>>,
    running: Rc<Cell<u32>>,
    keep: usize,
    /// Least recently used first.
    models: RefCell<Vec<(K, Rc<M>)>>,
    loading: RefCell<Vec<InFlight<K, M, E>>>,
    image: RefCell<Option<I>>,
    on_evict: Box<dyn Fn(&K)>,
}

/// See the module documentation. `K` names a network (e.g. variant and backend), `M` is a
/// loaded network, `E` a load's error, `I` the current image. Cloning gives another handle to
/// the same session.
pub struct Session<K, M, E, I> {
    inner: Rc<Inner<K, M, E, I>>,
}

impl<K, M, E, I> Clone for Session<K, M, E, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K, M, E, I> Session<K, M, E, I>
where
    K: Clone + PartialEq + 'static,
    M: 'static,
    E: Clone + 'static,
    I: Clone + 'static,
{
    /// Keeps up to `keep` networks; `on_evict` hears of each one dropped (to free its memory).
    pub fn new(keep: usize, on_evict: impl Fn(&K) + 'static) -> Self {
        Self {
            inner: Rc::new(Inner {
                generation: Rc::new(Cell::new(0)),
                running: Rc::new(Cell::new(0)),
                keep: keep.max(1),
                models: RefCell::new(Vec::new()),
                loading: RefCell::new(Vec::new()),
                image: RefCell::new(None),
                on_evict: Box::new(on_evict),
            }),
        }
    }

    /// Starts a new request: every older ticket is stale from now on.
    pub fn supersede(&self) -> Ticket {
        let g = &self.inner.generation;
        g.set(g.get() + 1);
        Ticket(g.get())
    }

    /// Joins the current request (stale when a newer one starts).
    pub fn ticket(&self) -> Ticket {
        Ticket(self.inner.generation.get())
    }

    pub fn is_current(&self, ticket: Ticket) -> bool {
        ticket.0 == self.inner.generation.get()
    }

    /// Whether a network is running now.
    pub fn busy(&self) -> bool {
        self.inner.running.get() > 0
    }

    /// Marks a run (a request's, which never waits on the busy flag: it supersedes).
    pub fn begin_run(&self) -> RunGuard {
        let running = self.inner.running.clone();
        running.set(running.get() + 1);
        RunGuard { running }
    }

    /// A webcam frame's run, or `None` (drop the frame) while anything runs.
    pub fn try_begin_frame(&self) -> Option<RunGuard> {
        (!self.busy()).then(|| self.begin_run())
    }

    pub fn set_image(&self, image: I) {
        *self.inner.image.borrow_mut() = Some(image);
    }

    pub fn image(&self) -> Option<I> {
        self.inner.image.borrow().clone()
    }

    /// The network named `key` if it is in memory (it becomes the most recently used).
    pub fn cached(&self, key: &K) -> Option<Rc<M>> {
        let mut models = self.inner.models.borrow_mut();
        let pos = models.iter().position(|(k, _)| k == key)?;
        let entry = models.remove(pos);
        let model = entry.1.clone();
        models.push(entry);
        Some(model)
    }

    /// The keys in memory, least recently used first.
    pub fn kept(&self) -> Vec<K> {
        self.inner
            .models
            .borrow()
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Whether `key` is being loaded now.
    pub fn loading(&self, key: &K) -> bool {
        self.inner.loading.borrow().iter().any(|l| &l.key == key)
    }

    /// The network named `key`: from memory, from a load under way (shared), or loaded by
    /// `make` (which polls its [`Wanted`] at its boundaries). A load that stopped because its
    /// other requesters moved on is started again while `interest` still wants it.
    pub async fn load<F, Fut>(
        &self,
        key: K,
        interest: Interest,
        make: F,
    ) -> Result<Rc<M>, LoadError<E>>
    where
        F: Fn(Wanted) -> Fut,
        Fut: Future<Output = Result<M, LoadError<E>>> + 'static,
    {
        loop {
            if let Some(model) = self.cached(&key) {
                return Ok(model);
            }
            let still_wanted = || match interest {
                Interest::Always => true,
                Interest::Request(t) => self.is_current(t),
            };
            if !still_wanted() {
                return Err(LoadError::Superseded);
            }
            let load = self.join_or_start(&key, interest, &make);
            match load.await {
                Err(LoadError::Superseded) if still_wanted() => continue,
                other => return other,
            }
        }
    }

    fn join_or_start<F, Fut>(&self, key: &K, interest: Interest, make: &F) -> SharedLoad<M, E>
    where
        F: Fn(Wanted) -> Fut,
        Fut: Future<Output = Result<M, LoadError<E>>> + 'static,
    {
        if let Some(l) = self.inner.loading.borrow().iter().find(|l| &l.key == key) {
            l.interests.borrow_mut().push(interest);
            return l.load.clone();
        }
        let interests = Rc::new(RefCell::new(vec![interest]));
        let wanted = Wanted {
            generation: self.inner.generation.clone(),
            interests: interests.clone(),
        };
        let fut = make(wanted);
        let session = self.clone();
        let done_key = key.clone();
        let load = async move {
            let result = fut.await.map(Rc::new);
            session
                .inner
                .loading
                .borrow_mut()
                .retain(|l| l.key != done_key);
            if let Ok(model) = &result {
                session.remember(done_key, model.clone());
            }
            result
        }
        .boxed_local()
        .shared();
        self.inner.loading.borrow_mut().push(InFlight {
            key: key.clone(),
            load: load.clone(),
            interests,
        });
        load
    }

    /// Forgets every network kept (they are gone: e.g. the worker that held them stopped).
    pub fn forget_all(&self) {
        let forgotten: Vec<K> = self
            .inner
            .models
            .borrow_mut()
            .drain(..)
            .map(|(k, _)| k)
            .collect();
        for k in &forgotten {
            (self.inner.on_evict)(k);
        }
    }

    /// Keeps `model` as the most recently used, dropping the least recently used beyond `keep`.
    pub fn remember(&self, key: K, model: Rc<M>) {
        let evicted: Vec<K> = {
            let mut models = self.inner.models.borrow_mut();
            models.retain(|(k, _)| *k != key);
            models.push((key, model));
            let extra = models.len().saturating_sub(self.inner.keep);
            models.drain(..extra).map(|(k, _)| k).collect()
        };
        for k in &evicted {
            (self.inner.on_evict)(k);
        }
    }
}

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
//! - **Waiting work hears when it may be stale.** Only a new request makes work unwanted, so
//!   [`Wanted::changed`] resolves at the next [`Session::supersede`]: work waiting on something
//!   else (a worker's reply) needs no timer to notice it was superseded.
//!
//! Single-threaded (`Rc`): the page's main thread, or one worker.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

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

/// The session's request counter, and who waits for it to move on (by registration number).
#[derive(Default)]
struct Generation {
    now: Cell<u64>,
    registered: Cell<u64>,
    waiting: RefCell<Vec<(u64, Waker)>>,
}

impl Generation {
    fn advance(&self) -> u64 {
        self.now.set(self.now.get() + 1);
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        for (_, waker) in waiting {
            waker.wake();
        }
        self.now.get()
    }
}

/// What a loader asks at its boundaries (after a downloaded chunk, before building), and a
/// run between its steps: does anyone still want this work? When not, a load returns
/// [`LoadError::Superseded`]. Work that waits can await [`Wanted::changed`] instead of asking
/// again and again.
#[derive(Clone)]
pub struct Wanted {
    generation: Rc<Generation>,
    interests: Rc<RefCell<Vec<Interest>>>,
}

impl Wanted {
    pub fn get(&self) -> bool {
        let now = self.generation.now.get();
        self.interests.borrow().iter().any(|i| match i {
            Interest::Always => true,
            Interest::Request(t) => t.0 == now,
        })
    }

    /// Work wanted until [`Cancel::cancel`] is called, whatever any session does: the same
    /// type for work that another thread asked for and cancels by message (a worker's
    /// requests), so every loader and run asks one kind of question.
    pub fn until_cancelled() -> (Wanted, Cancel) {
        let generation = Rc::new(Generation::default());
        let wanted = Wanted {
            generation: generation.clone(),
            interests: Rc::new(RefCell::new(vec![Interest::Request(Ticket(0))])),
        };
        (wanted, Cancel { generation })
    }

    /// Resolves at the next new request, the only thing that can turn [`Wanted::get`] false
    /// (then ask it again: a load shared with a newer request is still wanted).
    pub fn changed(&self) -> Changed {
        Changed {
            generation: self.generation.clone(),
            seen: self.generation.now.get(),
            slot: None,
        }
    }
}

/// Turns the [`Wanted`] of [`Wanted::until_cancelled`] false for good (and wakes whoever awaits
/// [`Wanted::changed`]).
pub struct Cancel {
    generation: Rc<Generation>,
}

impl Cancel {
    pub fn cancel(&self) {
        if self.generation.now.get() == 0 {
            self.generation.advance();
        }
    }
}

/// See [`Wanted::changed`]. Dropped unresolved (the awaited reply came first), it leaves
/// nothing behind.
pub struct Changed {
    generation: Rc<Generation>,
    seen: u64,
    /// Its registration among the waiting, once polled.
    slot: Option<u64>,
}

impl Future for Changed {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let generation = self.generation.clone();
        if generation.now.get() != self.seen {
            return Poll::Ready(());
        }
        let mut waiting = generation.waiting.borrow_mut();
        match self
            .slot
            .and_then(|id| waiting.iter_mut().find(|(i, _)| *i == id))
        {
            Some((_, waker)) => waker.clone_from(cx.waker()),
            None => {
                let id = generation.registered.get() + 1;
                generation.registered.set(id);
                waiting.push((id, cx.waker().clone()));
                self.slot = Some(id);
            }
        }
        Poll::Pending
    }
}

impl Drop for Changed {
    fn drop(&mut self) {
        if let Some(id) = self.slot {
            self.generation
                .waiting
                .borrow_mut()
                .retain(|(i, _)| *i != id);
        }
    }
}

/// Hears the session become busy (`true`) or idle (`false`).
type BusyListener = Box<dyn Fn(bool)>;

/// How many runs are under way, and who hears when the session becomes busy or idle.
#[derive(Default)]
struct Running {
    count: Cell<u32>,
    on_change: RefCell<Option<BusyListener>>,
}

impl Running {
    fn add(&self, delta: i32) {
        let before = self.count.get();
        let after = before.checked_add_signed(delta).unwrap_or(0);
        self.count.set(after);
        if (before == 0) != (after == 0)
            && let Some(f) = self.on_change.borrow().as_ref()
        {
            f(after > 0);
        }
    }
}

/// Marks the session busy while alive.
pub struct RunGuard {
    running: Rc<Running>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        self.running.add(-1);
    }
}

type SharedLoad<M, E> = Shared<LocalBoxFuture<'static, Result<Rc<M>, LoadError<E>>>>;

struct InFlight<K, M, E> {
    key: K,
    load: SharedLoad<M, E>,
    interests: Rc<RefCell<Vec<Interest>>>,
}

struct Inner<K, M, E, I> {
    generation: Rc<Generation>,
    running: Rc<Running>,
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
                generation: Rc::default(),
                running: Rc::default(),
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
        Ticket(self.inner.generation.advance())
    }

    /// Joins the current request (stale when a newer one starts).
    pub fn ticket(&self) -> Ticket {
        Ticket(self.inner.generation.now.get())
    }

    pub fn is_current(&self, ticket: Ticket) -> bool {
        ticket.0 == self.inner.generation.now.get()
    }

    /// Whether work for `interest` is wanted, now and later (e.g. a run of request `ticket`).
    pub fn wanted_by(&self, interest: Interest) -> Wanted {
        Wanted {
            generation: self.inner.generation.clone(),
            interests: Rc::new(RefCell::new(vec![interest])),
        }
    }

    /// Whether a network is running now.
    pub fn busy(&self) -> bool {
        self.inner.running.count.get() > 0
    }

    /// `changed` hears each time the session becomes busy (`true`) or idle (`false`): an app can
    /// mirror it in its own state (the page's test contract reads it).
    pub fn on_busy_change(&self, changed: impl Fn(bool) + 'static) {
        *self.inner.running.on_change.borrow_mut() = Some(Box::new(changed));
    }

    /// Marks a run (a request's, which never waits on the busy flag: it supersedes).
    pub fn begin_run(&self) -> RunGuard {
        let running = self.inner.running.clone();
        running.add(1);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Whoever listens hears the session turn busy and idle, once each way, however many runs
    /// overlap.
    #[test]
    fn busy_changes_are_heard_once_each_way() {
        let session: Session<u8, (), (), ()> = Session::new(1, |_| {});
        let heard = Rc::new(RefCell::new(Vec::new()));
        let log = heard.clone();
        session.on_busy_change(move |busy| log.borrow_mut().push(busy));
        let a = session.begin_run();
        let b = session.begin_run();
        assert!(session.busy());
        drop(a);
        assert!(session.busy());
        drop(b);
        assert!(!session.busy());
        let c = session.try_begin_frame().expect("idle: a frame may run");
        assert!(
            session.try_begin_frame().is_none(),
            "busy: frames are dropped"
        );
        drop(c);
        assert_eq!(*heard.borrow(), [true, false, true, false]);
    }

    /// A cancellation of its own: wanted until cancelled, and a wait on it wakes then.
    #[test]
    fn until_cancelled_turns_false_once_and_wakes() {
        let (wanted, cancel) = Wanted::until_cancelled();
        let copy = wanted.clone();
        assert!(wanted.get() && copy.get());
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut changed = wanted.changed();
        assert!(Pin::new(&mut changed).poll(&mut cx).is_pending());
        cancel.cancel();
        assert!(!wanted.get() && !copy.get());
        assert!(Pin::new(&mut changed).poll(&mut cx).is_ready());
        cancel.cancel();
        assert!(!wanted.get(), "cancelled stays cancelled");
        // A session's requests do not touch it.
        let session: Session<u8, (), (), ()> = Session::new(1, |_| {});
        let (other, _keep) = Wanted::until_cancelled();
        session.supersede();
        assert!(other.get());
    }

    /// Waits that end another way (the reply came first) leave no waker behind, so a long
    /// webcam session (many runs, no new request) does not grow the list.
    #[test]
    fn a_wait_that_ends_otherwise_leaves_nothing_behind() {
        let session: Session<u8, (), (), ()> = Session::new(1, |_| {});
        let wanted = session.wanted_by(Interest::Always);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        for _ in 0..100 {
            let mut changed = wanted.changed();
            assert!(Pin::new(&mut changed).poll(&mut cx).is_pending());
            assert!(Pin::new(&mut changed).poll(&mut cx).is_pending());
            assert_eq!(session.inner.generation.waiting.borrow().len(), 1);
        }
        assert!(session.inner.generation.waiting.borrow().is_empty());
        let mut changed = wanted.changed();
        assert!(Pin::new(&mut changed).poll(&mut cx).is_pending());
        session.supersede();
        assert!(session.inner.generation.waiting.borrow().is_empty());
        assert!(Pin::new(&mut changed).poll(&mut cx).is_ready());
    }
}

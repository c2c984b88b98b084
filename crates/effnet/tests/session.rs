//! The session's request policy, natively, with real networks on burn's Flex CPU backend:
//! shared loads, superseded requests, webcam frames dropped while busy, the networks kept.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::tensor::{Device, Tensor};
use effnet::session::{Interest, LoadError, Session, Wanted};
use effnet::{EfficientNet, EfficientNetConfig, Family};
use futures::channel::oneshot;
use futures::executor::LocalPool;
use futures::future::LocalBoxFuture;
use futures::task::LocalSpawnExt;

type Net = EfficientNet;
type Sess = Session<&'static str, Net, String, Rc<String>>;
/// Where a spawned request leaves its outcome.
type Outcome = Rc<RefCell<Option<Result<Rc<Net>, LoadError<String>>>>>;

/// A small member of the family (width 0.1, depth 0.1, 32²): builds in milliseconds.
fn tiny() -> EfficientNetConfig {
    EfficientNetConfig::new("tiny".into(), Family::B, 0.1, 0.1, 32, 0.2)
}

fn build() -> Net {
    tiny().init(&Device::flex())
}

/// Logits of `net` on a fixed input.
fn logits(net: &Net) -> Vec<f32> {
    let x = Tensor::<4>::ones([1, 3, 32, 32], &Device::flex());
    net.forward(x).into_data().try_to_vec::<f32>().unwrap()
}

/// A loader that waits for `gate`, then (if still wanted) builds the network; counts its calls.
fn gated_loader(
    calls: Rc<Cell<u32>>,
    gate: Rc<RefCell<Option<oneshot::Receiver<()>>>>,
) -> impl Fn(Wanted) -> LocalBoxFuture<'static, Result<Net, LoadError<String>>> + Clone {
    move |wanted: Wanted| {
        calls.set(calls.get() + 1);
        let gate = gate.borrow_mut().take();
        Box::pin(async move {
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            if !wanted.get() {
                return Err(LoadError::Superseded);
            }
            Ok(build())
        })
    }
}

#[test]
fn two_requests_for_one_network_share_one_load() {
    let session: Sess = Session::new(2, |_| {});
    let calls = Rc::new(Cell::new(0));
    let (open, gate) = oneshot::channel();
    let loader = gated_loader(calls.clone(), Rc::new(RefCell::new(Some(gate))));
    let mut pool = LocalPool::new();
    let got: Rc<RefCell<Vec<Rc<Net>>>> = Rc::default();
    for _ in 0..2 {
        let (session, loader, got) = (session.clone(), loader.clone(), got.clone());
        pool.spawner()
            .spawn_local(async move {
                let net = session.load("b0", Interest::Always, loader).await.unwrap();
                got.borrow_mut().push(net);
            })
            .unwrap();
    }
    pool.run_until_stalled();
    assert!(session.loading(&"b0"), "the load waits at its gate");
    assert_eq!(calls.get(), 1, "the second request joined the first load");
    open.send(()).unwrap();
    pool.run();
    let got = got.borrow();
    assert_eq!(got.len(), 2);
    assert!(Rc::ptr_eq(&got[0], &got[1]), "both got the same network");
    assert!(!session.loading(&"b0"));
    assert_eq!(session.kept(), vec!["b0"]);
    // A later request is served from memory, and the network is real.
    let again = pool.run_until(session.load("b0", Interest::Always, loader_never()));
    assert!(Rc::ptr_eq(&again.unwrap(), &got[0]));
    let out = logits(&got[0]);
    assert_eq!(out.len(), 1000);
    assert!(out.iter().all(|v| v.is_finite()));
}

/// A loader that must not be called.
fn loader_never() -> impl Fn(Wanted) -> LocalBoxFuture<'static, Result<Net, LoadError<String>>> {
    |_: Wanted| -> LocalBoxFuture<'static, Result<Net, LoadError<String>>> {
        panic!("the network was in memory: no load expected")
    }
}

#[test]
fn a_superseded_request_stops_its_load_and_keeps_nothing() {
    let session: Sess = Session::new(2, |_| {});
    let calls = Rc::new(Cell::new(0));
    let (open, gate) = oneshot::channel();
    let loader = gated_loader(calls.clone(), Rc::new(RefCell::new(Some(gate))));
    let mut pool = LocalPool::new();
    let ticket = session.supersede();
    let outcome: Outcome = Rc::default();
    {
        let (session, outcome) = (session.clone(), outcome.clone());
        pool.spawner()
            .spawn_local(async move {
                let r = session
                    .load("lite0", Interest::Request(ticket), loader)
                    .await;
                *outcome.borrow_mut() = Some(r);
            })
            .unwrap();
    }
    pool.run_until_stalled();
    // The visitor picks something else while the weights download.
    let newer = session.supersede();
    assert!(!session.is_current(ticket) && session.is_current(newer));
    open.send(()).unwrap();
    pool.run();
    assert!(matches!(
        outcome.borrow().as_ref(),
        Some(Err(LoadError::Superseded))
    ));
    assert_eq!(calls.get(), 1);
    assert!(session.kept().is_empty(), "a superseded load keeps nothing");
    assert!(!session.loading(&"lite0"));
}

#[test]
fn a_load_goes_on_while_one_of_its_requesters_still_wants_it() {
    let session: Sess = Session::new(2, |_| {});
    let calls = Rc::new(Cell::new(0));
    let (open, gate) = oneshot::channel();
    let loader = gated_loader(calls.clone(), Rc::new(RefCell::new(Some(gate))));
    let mut pool = LocalPool::new();
    let old = session.supersede();
    let results: Rc<RefCell<Vec<bool>>> = Rc::default();
    for interest in [Interest::Request(old), Interest::Always] {
        let (session, loader, results) = (session.clone(), loader.clone(), results.clone());
        pool.spawner()
            .spawn_local(async move {
                let r = session.load("b1", interest, loader).await;
                results.borrow_mut().push(r.is_ok());
            })
            .unwrap();
    }
    pool.run_until_stalled();
    session.supersede(); // the first requester moves on; the second (a comparison) does not
    open.send(()).unwrap();
    pool.run();
    assert_eq!(calls.get(), 1);
    assert_eq!(*results.borrow(), vec![true, true]);
    assert_eq!(session.kept(), vec!["b1"]);
}

#[test]
fn a_newer_request_for_the_same_network_joins_the_load_under_way() {
    // Request A starts a load; A is superseded by request B, which asks for the same network
    // while A's load is still under way: B joins it, so the load goes on for B.
    let session: Sess = Session::new(2, |_| {});
    let calls = Rc::new(Cell::new(0));
    let (open, gate) = oneshot::channel();
    let loader = gated_loader(calls.clone(), Rc::new(RefCell::new(Some(gate))));
    let mut pool = LocalPool::new();
    let a = session.supersede();
    let got_b: Rc<Cell<bool>> = Rc::default();
    {
        let (session, loader) = (session.clone(), loader.clone());
        pool.spawner()
            .spawn_local(async move {
                let r = session.load("b2", Interest::Request(a), loader).await;
                assert!(
                    r.is_ok(),
                    "A's load went on for B, so A gets the network too"
                );
            })
            .unwrap();
    }
    pool.run_until_stalled();
    let b = session.supersede();
    {
        let (session, got_b) = (session.clone(), got_b.clone());
        pool.spawner()
            .spawn_local(async move {
                let r = session.load("b2", Interest::Request(b), loader).await;
                got_b.set(r.is_ok());
            })
            .unwrap();
    }
    pool.run_until_stalled();
    open.send(()).unwrap();
    pool.run();
    assert!(got_b.get());
    assert_eq!(calls.get(), 1, "one download for both");
}

#[test]
fn a_superseded_load_is_started_again_for_whoever_still_wants_it() {
    // The first load stops (its only requester moved on) before the newer request asks; the
    // newer request then loads it afresh instead of getting "superseded".
    let session: Sess = Session::new(2, |_| {});
    let calls = Rc::new(Cell::new(0));
    let first = session.supersede();
    let mut pool = LocalPool::new();
    let stopped = pool.run_until(session.load("lite1", Interest::Request(first), {
        let calls = calls.clone();
        let session = session.clone();
        move |wanted: Wanted| {
            calls.set(calls.get() + 1);
            session.supersede(); // moved on during the load
            Box::pin(async move {
                if wanted.get() {
                    Ok(build())
                } else {
                    Err(LoadError::Superseded)
                }
            }) as LocalBoxFuture<'static, _>
        }
    }));
    assert_eq!(stopped.err(), Some(LoadError::Superseded));
    let newer = session.ticket();
    let loaded = pool.run_until(session.load(
        "lite1",
        Interest::Request(newer),
        gated_loader(calls.clone(), Rc::default()),
    ));
    assert!(loaded.is_ok());
    assert_eq!(calls.get(), 2);
}

#[test]
fn a_failed_load_reaches_every_requester_and_is_not_kept() {
    let session: Sess = Session::new(2, |_| {});
    let mut pool = LocalPool::new();
    let r = pool.run_until(session.load("b3", Interest::Always, |_| {
        Box::pin(async { Err(LoadError::Failed("HTTP 404".to_string())) })
            as LocalBoxFuture<'static, _>
    }));
    assert_eq!(r.err(), Some(LoadError::Failed("HTTP 404".into())));
    assert!(session.kept().is_empty() && !session.loading(&"b3"));
}

#[test]
fn webcam_frames_are_dropped_while_a_run_is_under_way() {
    let session: Sess = Session::new(2, |_| {});
    let net = build();
    assert!(!session.busy());
    let run = session.begin_run();
    assert!(session.busy());
    assert!(
        session.try_begin_frame().is_none(),
        "frame dropped, not queued"
    );
    drop(run);
    let frame = session
        .try_begin_frame()
        .expect("idle again: the frame runs");
    assert!(session.busy());
    assert!(
        session.try_begin_frame().is_none(),
        "the next frame waits for none"
    );
    assert_eq!(logits(&net).len(), 1000);
    drop(frame);
    assert!(!session.busy());
}

#[test]
fn only_the_most_recently_used_networks_are_kept() {
    let evicted: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let session: Sess = {
        let evicted = evicted.clone();
        Session::new(2, move |k: &&'static str| evicted.borrow_mut().push(*k))
    };
    let mut pool = LocalPool::new();
    for key in ["lite0", "b0"] {
        pool.run_until(session.load(key, Interest::Always, |_| {
            Box::pin(async { Ok(build()) }) as LocalBoxFuture<'static, _>
        }))
        .unwrap();
    }
    assert!(session.cached(&"lite0").is_some()); // now the most recent
    pool.run_until(session.load("b4", Interest::Always, |_| {
        Box::pin(async { Ok(build()) }) as LocalBoxFuture<'static, _>
    }))
    .unwrap();
    assert_eq!(session.kept(), vec!["lite0", "b4"]);
    assert_eq!(*evicted.borrow(), vec!["b0"]);
}

#[test]
fn the_current_image_is_kept_for_re_runs() {
    let session: Sess = Session::new(2, |_| {});
    assert!(session.image().is_none());
    session.set_image(Rc::new("cat.jpg".into()));
    assert_eq!(
        session.image().as_deref().map(String::as_str),
        Some("cat.jpg")
    );
    let t = session.ticket();
    assert!(session.is_current(t), "joining does not supersede");
    assert_eq!(session.supersede().generation(), t.generation() + 1);
}

#[test]
fn forgetting_all_networks_drops_them_and_loads_again() {
    let evicted: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let session: Sess = {
        let evicted = evicted.clone();
        Session::new(2, move |k: &&'static str| evicted.borrow_mut().push(*k))
    };
    let calls = Rc::new(Cell::new(0));
    let mut pool = LocalPool::new();
    let load = |pool: &mut LocalPool, key| {
        let calls = calls.clone();
        pool.run_until(session.load(key, Interest::Always, move |_| {
            calls.set(calls.get() + 1);
            Box::pin(async { Ok(build()) }) as LocalBoxFuture<'static, _>
        }))
        .unwrap()
    };
    let first = load(&mut pool, "lite0");
    load(&mut pool, "b0");
    assert_eq!(calls.get(), 2);
    session.forget_all();
    assert!(session.kept().is_empty());
    assert_eq!(*evicted.borrow(), vec!["lite0", "b0"]);
    // Nothing is kept now: the next request loads again.
    let again = load(&mut pool, "lite0");
    assert_eq!(calls.get(), 3);
    assert_eq!(session.kept(), vec!["lite0"]);
    assert!(!Rc::ptr_eq(&first, &again));
}

/// A waiter that records when it woke and what `Wanted::get` said then, as a worker's page side
/// waits for a reply: it hears of a new request without any timer.
#[test]
fn waiting_work_hears_of_a_new_request_without_asking() {
    let session: Sess = Session::new(2, |_| {});
    let mut pool = LocalPool::new();
    let ticket = session.supersede();
    let run = session.wanted_by(Interest::Request(ticket));
    let always = session.wanted_by(Interest::Always);
    let woke: Rc<RefCell<Vec<(&str, bool)>>> = Rc::default();
    for (name, wanted) in [("run", run.clone()), ("always", always.clone())] {
        let woke = woke.clone();
        pool.spawner()
            .spawn_local(async move {
                wanted.changed().await;
                woke.borrow_mut().push((name, wanted.get()));
            })
            .unwrap();
    }
    pool.run_until_stalled();
    assert!(woke.borrow().is_empty(), "nothing changed yet");
    // Joining the current request (a webcam frame) is no change.
    assert_eq!(session.ticket(), ticket);
    pool.run_until_stalled();
    assert!(woke.borrow().is_empty());
    assert!(run.get() && always.get());

    session.supersede();
    pool.run_until_stalled();
    let mut seen = woke.borrow().clone();
    seen.sort();
    assert_eq!(seen, vec![("always", true), ("run", false)]);
    // A change between making the future and awaiting it is not missed.
    let late = run.changed();
    session.supersede();
    pool.run_until(late);
}

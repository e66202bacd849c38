//! The load client against echo servers of the test's own on 127.0.0.1: a faithful one gives
//! no error, a corrupting one is caught in every phase, a silent listener is a timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::conn::{conn_rate, latency};
use super::held::held;
use super::stream::throughput;
use super::*;

/// An echo server on 127.0.0.1 in a thread of the test, each connection served by a thread of
/// its own; `spoil` may change what it echoes (the n-th byte of a connection). It stops when
/// the flag is set, or after 60 s.
fn echo_server(spoil: fn(u64, u8) -> u8) -> (SocketAddr, Arc<AtomicBool>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("address");
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&done);
    l.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
            match l.accept() {
                Ok((s, _)) => {
                    std::thread::spawn(move || serve(s, spoil));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return,
            }
        }
    });
    (addr, done)
}

/// Echo one connection, spoiled as asked, until EOF or 5 s of silence.
fn serve(mut s: std::net::TcpStream, spoil: fn(u64, u8) -> u8) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 4096];
    let mut at = 0u64;
    while let Ok(n @ 1..) = s.read(&mut buf) {
        for b in &mut buf[..n] {
            *b = spoil(at, *b);
            at += 1;
        }
        if s.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

fn target(addr: SocketAddr) -> Target {
    Target {
        addr,
        ns: None,
        timeout: Duration::from_secs(2),
    }
}

const PHASE: Duration = Duration::from_millis(100);

#[test]
fn a_faithful_echo_gives_no_error() {
    let (addr, done) = echo_server(|_, b| b);
    let t = target(addr);
    let c = conn_rate(&t, 2, PHASE);
    assert!(c.ok > 0 && c.errors.total() == 0, "{:?}", c.errors);
    let (rtts, e) = latency(&t, PHASE);
    assert!(!rtts.is_empty() && e.total() == 0, "{e:?}");
    let m = throughput(&t, 2, PHASE);
    assert!(m.bytes > 0 && m.errors.total() == 0, "{:?}", m.errors);
    let h = held(&t, 20, Duration::from_secs(5), || {});
    assert_eq!((h.held, h.errors.total()), (20, 0), "{}", h.stop);
    assert_eq!(h.stop, "the cap (20)");
    done.store(true, Ordering::SeqCst);
}

#[test]
fn a_corrupted_echo_is_counted_as_an_error() {
    // One bit flipped in the 10th byte of every connection, and again far into the stream.
    let (addr, done) = echo_server(|at, b| if at == 9 || at == 300_000 { b ^ 1 } else { b });
    let t = target(addr);
    let corrupt = |e: &Errors| e.count[Kind::Corrupt as usize];
    let c = conn_rate(&t, 2, PHASE);
    assert!(corrupt(&c.errors) > 0 && c.ok == 0, "{:?}", c.errors);
    let (_, e) = latency(&t, PHASE);
    assert_eq!(corrupt(&e), 1, "{e:?}");
    let m = throughput(&t, 2, PHASE);
    assert_eq!(corrupt(&m.errors), 2, "{:?}", m.errors);
    let first = m.errors.first.as_deref().unwrap_or("");
    assert!(first.contains("at byte 9"), "{first}");
    let h = held(&t, 20, Duration::from_secs(5), || {});
    assert_eq!((h.held, corrupt(&h.errors)), (0, 1), "{}", h.stop);
    done.store(true, Ordering::SeqCst);
}

#[test]
fn an_echo_cut_short_or_too_long_is_an_error() {
    assert_eq!(check(b"ab", b"abc").unwrap_err().kind, Kind::Closed);
    assert_eq!(check(b"abd", b"abc").unwrap_err().kind, Kind::Corrupt);
    assert!(check(b"abc", b"abc").is_ok());
}

#[test]
fn a_server_that_never_answers_is_a_timeout_not_a_hang() {
    // A listening socket nobody accepts on: connects complete, echoes never come.
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let t = Target {
        timeout: Duration::from_millis(200),
        ..target(l.local_addr().expect("address"))
    };
    let started = Instant::now();
    let (_, e) = latency(&t, PHASE);
    assert_eq!(e.count[Kind::Timeout as usize], 1, "{e:?}");
    let h = held(&t, 5, Duration::from_secs(5), || {});
    assert_eq!(h.held, 0);
    assert!(h.stop.contains("within the timeout"), "{}", h.stop);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn percentiles_are_nearest_rank() {
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&v, 0.5), Some(50.0));
    assert_eq!(percentile(&v, 0.99), Some(99.0));
    assert_eq!(percentile(&[], 0.5), None);
}

//! The phases made of one-line echoes: connections a second (connect, one line, close), one
//! line's round trip on one connection, and the wait until the server answers again.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use super::{Errors, Failure, Phase, Target, check, interrupted, line, read_to_eof};

/// The unit of the connection-rate phases: connect, one line echoed, close. The client closes
/// its sending half (shutdown), then reads to the server's EOF: exactly the line must come
/// back, nothing more. Returns whether the connect itself succeeded.
pub fn conn_once(t: &Target, payload: &[u8]) -> (bool, Result<(), Failure>) {
    let mut s = match t.connect() {
        Ok(s) => s,
        Err(e) => return (false, Err(Failure::io("connect", e))),
    };
    let result = (|| {
        s.write_all(payload).map_err(|e| Failure::io("write", e))?;
        s.shutdown(Shutdown::Write)
            .map_err(|e| Failure::io("shutdown", e))?;
        let back = read_to_eof(&mut s, payload.len())?;
        check(&back, payload)
    })();
    (true, result)
}

/// One client of a connection-rate phase: again and again until the deadline.
fn conn_client(t: &Target, c: usize, deadline: Instant) -> Phase {
    let mut p = Phase::default();
    let mut refused = 0;
    for i in 0.. {
        if Instant::now() >= deadline || interrupted() {
            break;
        }
        let (connected, result) = conn_once(t, &line("conn", c, i));
        p.connects += u64::from(connected);
        match result {
            Ok(()) => p.ok += 1,
            Err(f) => {
                refused = if connected { 0 } else { refused + 1 };
                p.errors.add(f);
            }
        }
        // A server that refuses every connection is not measured at full speed for the rest
        // of the phase: a hundred in a row are enough.
        if refused >= 100 {
            break;
        }
    }
    p
}

/// Connections a second: `clients` threads, each connecting, echoing a line and closing, again
/// and again until the phase's time is up.
pub fn conn_rate(t: &Target, clients: usize, time: Duration) -> Phase {
    let start = Instant::now();
    let deadline = start + time;
    let mut phase = Phase::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| t.spawn(s, move || conn_client(t, c, deadline)))
            .collect();
        for h in handles {
            match Failure::thread(h.join()) {
                Ok(p) => {
                    phase.ok += p.ok;
                    phase.connects += p.connects;
                    phase.bytes += p.bytes;
                    phase.errors.merge(p.errors);
                }
                Err(f) => phase.errors.add(f),
            }
        }
    });
    phase.seconds = start.elapsed().as_secs_f64();
    phase
}

/// Round-trip times of a one-line echo on one connection, in microseconds, line after line
/// until the phase's time is up.
pub fn latency(t: &Target, time: Duration) -> (Vec<f64>, Errors) {
    let deadline = Instant::now() + time;
    std::thread::scope(|s| {
        let h = t.spawn(s, move || {
            let mut rtts = Vec::new();
            let mut errors = Errors::default();
            if let Err(f) = rtt_lines(t, deadline, &mut rtts) {
                errors.add(f);
            }
            (rtts, errors)
        });
        Failure::thread(h.join()).unwrap_or_else(|f| (Vec::new(), Errors::one(f)))
    })
}

/// One connection's lines, each round trip pushed to `rtts`, then a clean close.
fn rtt_lines(t: &Target, deadline: Instant, rtts: &mut Vec<f64>) -> Result<(), Failure> {
    let mut s = t.connect().map_err(|e| Failure::io("connect", e))?;
    let mut back = Vec::new();
    for i in 0.. {
        if Instant::now() >= deadline || interrupted() {
            break;
        }
        let sent = line("rtt", 0, i);
        let t0 = Instant::now();
        s.write_all(&sent).map_err(|e| Failure::io("write", e))?;
        back.resize(sent.len(), 0);
        s.read_exact(&mut back)
            .map_err(|e| Failure::io("read", e))?;
        rtts.push(t0.elapsed().as_secs_f64() * 1e6);
        check(&back, &sent)?;
    }
    s.shutdown(Shutdown::Write)
        .map_err(|e| Failure::io("shutdown", e))?;
    check(&read_to_eof(&mut s, 0)?, b"")
}

/// Wait until the server answers a one-line echo again: between phases, the iterative server
/// may still be working through the clients a phase left in its queue. At most 10 s.
pub fn ready(t: &Target) -> Result<(), String> {
    let patient = Target {
        timeout: Duration::from_secs(5),
        ..*t
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    while Instant::now() < deadline && !interrupted() {
        let result = std::thread::scope(|s| {
            let h = patient.spawn(s, || conn_once(&patient, b"ready?\n").1);
            Failure::thread(h.join()).and_then(|r| r)
        });
        match result {
            Ok(()) => return Ok(()),
            Err(f) => last = f.what,
        }
    }
    if interrupted() {
        return Err("interrupted".into());
    }
    Err(format!("the server no longer answers ({last})"))
}

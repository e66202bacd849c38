//! The throughput phases: connections that each send a byte stream while a reader checks every
//! byte that comes back.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Failure, Kind, Phase, Target, interrupted};

/// The byte stream the throughput phases send: byte i is i mod 251. 251 is prime, so no
/// chunk size lines up with it, and a chunk echoed twice, lost or out of order is caught.
const PERIOD: usize = 251;
const CHUNK: usize = 64 * 1024;

fn pattern() -> Vec<u8> {
    (0..PERIOD + CHUNK).map(|i| (i % PERIOD) as u8).collect()
}

/// Echo throughput: `conns` connections, each with a writer sending the pattern until the
/// phase's time is up while a reader checks every byte that comes back. Bytes a second over
/// the time until the last connection that succeeded had its echo back.
pub fn throughput(t: &Target, conns: usize, time: Duration) -> Phase {
    let start = Instant::now();
    let deadline = start + time;
    let pat = pattern();
    let pat = &pat;
    let mut phase = Phase::default();
    let mut last_ok = None;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..conns)
            .map(|_| t.spawn(s, move || stream_once(t, deadline, pat)))
            .collect();
        for h in handles {
            match Failure::thread(h.join()) {
                Ok((bytes, result, finished)) => {
                    phase.bytes += bytes;
                    phase.connects += 1;
                    match result {
                        Ok(()) => {
                            phase.ok += 1;
                            last_ok = last_ok.max(Some(finished));
                        }
                        Err(f) => phase.errors.add(f),
                    }
                }
                Err(f) => phase.errors.add(f),
            }
        }
    });
    let end = last_ok.unwrap_or(deadline.max(start));
    phase.seconds = end.duration_since(start).as_secs_f64().max(1e-3);
    phase
}

/// One connection of the throughput phase: the bytes that came back right, how it ended, and
/// when.
fn stream_once(t: &Target, deadline: Instant, pat: &[u8]) -> (u64, Result<(), Failure>, Instant) {
    let mut reader = match t.connect() {
        Ok(s) => s,
        Err(e) => return (0, Err(Failure::io("connect", e)), Instant::now()),
    };
    let mut writer = match reader.try_clone() {
        Ok(w) => w,
        Err(e) => return (0, Err(Failure::io("dup", e)), Instant::now()),
    };
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let sending = s.spawn(|| send(&mut writer, deadline, pat, &stop));
        let (got, read_result) = receive(&mut reader, pat, &stop);
        let finished = Instant::now();
        let sent = sending.join().unwrap_or_else(|_| {
            Err(Failure::new(
                Kind::Other,
                "the writer thread panicked".into(),
            ))
        });
        // A corrupt echo first, then the writer's failure (the reader's is then only its
        // consequence), then the reader's, then a count that does not match.
        let result = match (read_result, sent) {
            (Err(f), _) if f.kind == Kind::Corrupt => Err(f),
            (_, Err(f)) => Err(f),
            (Err(f), _) => Err(f),
            (Ok(()), Ok(sent)) if sent == got => Ok(()),
            (Ok(()), Ok(sent)) => Err(Failure::new(
                Kind::Closed,
                format!("the server closed after {got} of {sent} bytes"),
            )),
        };
        (got, result, finished)
    })
}

/// The writer: the pattern until the deadline (or until the reader says stop), then a
/// half-close. Returns how many bytes it sent.
fn send(
    writer: &mut TcpStream,
    deadline: Instant,
    pat: &[u8],
    stop: &AtomicBool,
) -> Result<u64, Failure> {
    let mut sent = 0u64;
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) && !interrupted() {
        let at = (sent % PERIOD as u64) as usize;
        match writer.write(&pat[at..at + CHUNK]) {
            Ok(n) => sent += n as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                // Unblock the reader: this connection is over.
                let _ = writer.shutdown(Shutdown::Both);
                return Err(Failure::io("write", e));
            }
        }
    }
    let _ = writer.shutdown(Shutdown::Write);
    Ok(sent)
}

/// The reader: every byte compared with the pattern, until the server's EOF. Returns how many
/// bytes came back right, and how it ended.
fn receive(reader: &mut TcpStream, pat: &[u8], stop: &AtomicBool) -> (u64, Result<(), Failure>) {
    let mut got = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let result = loop {
        match reader.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                let at = (got % PERIOD as u64) as usize;
                // A slice comparison is a memcmp: fast even in a debug build.
                if buf[..n] != pat[at..at + n] {
                    let i = buf[..n]
                        .iter()
                        .zip(&pat[at..])
                        .take_while(|(a, b)| a == b)
                        .count();
                    break Err(Failure::new(
                        Kind::Corrupt,
                        format!(
                            "echo differs from the bytes sent at byte {}",
                            got + i as u64
                        ),
                    ));
                }
                got += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(Failure::io("read", e)),
        }
    };
    if result.is_err() {
        stop.store(true, Ordering::SeqCst);
        let _ = reader.shutdown(Shutdown::Both);
    }
    (got, result)
}

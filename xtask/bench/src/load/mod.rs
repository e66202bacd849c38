//! The load client: threads that enter the server's namespace, then connect with blocking
//! sockets whose every wait has a timeout. Every echoed byte is compared with what was sent;
//! every failure is counted by kind. The client uses std's sockets, unlike the lessons: it
//! teaches nothing, and what std hides (EINTR retried, SIGPIPE ignored) is what a load client
//! wants.
//!
//! The phases: connections a second ([`conn::conn_rate`]), one line's round trip
//! ([`conn::latency`]), bytes a second ([`stream::throughput`]), clients held at once
//! ([`held::held`]); and between them, [`conn::ready`], which waits until the server answers.

pub mod conn;
pub mod held;
pub mod stream;
#[cfg(test)]
mod tests;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::time::Duration;

use xtask::net::ns;
use xtask::supervise::INTERRUPTED;

/// Ctrl-C, SIGTERM or SIGHUP came: every loop ends at its next turn, every server is killed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Where the load goes: the server's address, the namespace it is in, the longest wait.
#[derive(Clone, Copy)]
pub struct Target {
    pub addr: SocketAddr,
    pub ns: Option<RawFd>,
    pub timeout: Duration,
}

impl Target {
    /// A connected socket, every later read and write bounded by the timeout.
    pub fn connect(&self) -> io::Result<TcpStream> {
        let s = TcpStream::connect_timeout(&self.addr, self.timeout)?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        // Each line is sent at once, as a person's typing would be.
        s.set_nodelay(true)?;
        Ok(s)
    }

    /// Run `f` on a thread that has entered the server's namespace: the sockets it opens are
    /// in that namespace for good, and 127.0.0.1 is the server's loopback.
    pub fn spawn<'s, T: Send + 's>(
        &self,
        scope: &'s std::thread::Scope<'s, '_>,
        f: impl FnOnce() -> T + Send + 's,
    ) -> std::thread::ScopedJoinHandle<'s, io::Result<T>> {
        let ns = self.ns;
        scope.spawn(move || {
            if let Some(fd) = ns {
                ns::enter(fd)?;
            }
            Ok(f())
        })
    }
}

/// Kinds of failure, each counted apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// The bytes that came back are not the bytes sent.
    Corrupt = 0,
    /// A wait ran out of time.
    Timeout,
    /// The connection was reset (ECONNRESET, EPIPE).
    Reset,
    /// The server closed the connection before the whole echo came back.
    Closed,
    /// connect failed.
    Connect,
    Other,
}

/// Each kind: its JSON key, and its name for one and for several.
pub const KINDS: [(Kind, &str, &str, &str); 6] = [
    (Kind::Corrupt, "corrupt", "corrupt echo", "corrupt echoes"),
    (Kind::Timeout, "timeout", "timeout", "timeouts"),
    (Kind::Reset, "reset", "reset", "resets"),
    (Kind::Closed, "closed", "early close", "early closes"),
    (
        Kind::Connect,
        "connect",
        "failed connect",
        "failed connects",
    ),
    (Kind::Other, "other", "other error", "other errors"),
];

/// One failure: its kind and what happened, in words.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub what: String,
}

impl Failure {
    pub fn new(kind: Kind, what: String) -> Failure {
        Failure { kind, what }
    }

    /// A failed system call, sorted by what it says about the connection.
    pub fn io(call: &str, e: io::Error) -> Failure {
        let kind = match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Kind::Timeout,
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
                Kind::Reset
            }
            ErrorKind::UnexpectedEof => Kind::Closed,
            _ if call == "connect" => Kind::Connect,
            _ => Kind::Other,
        };
        let what = match kind {
            Kind::Timeout => format!("{call}: no answer within the timeout"),
            _ => format!("{call}: {e}"),
        };
        Failure { kind, what }
    }

    /// A client thread that could not enter the namespace, or panicked.
    pub fn thread<T>(joined: std::thread::Result<io::Result<T>>) -> Result<T, Failure> {
        match joined {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(Failure::new(Kind::Other, format!("setns: {e}"))),
            Err(_) => Err(Failure::new(Kind::Other, "a client thread panicked".into())),
        }
    }
}

/// The failures of one phase: how many of each kind, and the first one's words.
#[derive(Clone, Debug, Default)]
pub struct Errors {
    pub count: [u64; 6],
    pub first: Option<String>,
}

impl Errors {
    pub fn add(&mut self, f: Failure) {
        self.count[f.kind as usize] += 1;
        self.first.get_or_insert(f.what);
    }

    pub fn merge(&mut self, other: Errors) {
        for (a, b) in self.count.iter_mut().zip(other.count) {
            *a += b;
        }
        if self.first.is_none() {
            self.first = other.first;
        }
    }

    pub fn total(&self) -> u64 {
        self.count.iter().sum()
    }

    pub fn one(f: Failure) -> Errors {
        let mut e = Errors::default();
        e.add(f);
        e
    }
}

/// What a timed phase did: successes, connections made, bytes echoed, over how long.
#[derive(Default)]
pub struct Phase {
    pub ok: u64,
    pub connects: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub errors: Errors,
}

impl Phase {
    /// Connections a second that echoed their line.
    pub fn conns_per_s(&self) -> f64 {
        self.per_s(self.ok)
    }

    /// Megabytes (10^6 bytes) a second echoed right.
    pub fn mb_per_s(&self) -> f64 {
        self.per_s(self.bytes) / 1e6
    }

    fn per_s(&self, n: u64) -> f64 {
        if self.seconds > 0.0 {
            n as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The payload of a one-line echo: distinct for every line, so that a line echoed to the wrong
/// client or out of turn is caught too.
pub fn line(tag: &str, client: usize, i: u64) -> Vec<u8> {
    format!("{tag} client {client} line {i}\n").into_bytes()
}

/// Read until EOF, but fail as soon as more than `limit` bytes came.
pub fn read_to_eof(s: &mut TcpStream, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut back = Vec::with_capacity(limit);
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(back),
            Ok(n) => {
                back.extend_from_slice(&buf[..n]);
                if back.len() > limit {
                    return Err(Failure::new(
                        Kind::Corrupt,
                        format!("{} bytes came back for {limit} sent", back.len()),
                    ));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::io("read", e)),
        }
    }
}

/// The echo must be the line, byte for byte.
pub fn check(back: &[u8], sent: &[u8]) -> Result<(), Failure> {
    if back == sent {
        return Ok(());
    }
    if back.len() < sent.len() && sent.starts_with(back) {
        return Err(Failure::new(
            Kind::Closed,
            format!(
                "the server closed after {} of {} bytes",
                back.len(),
                sent.len()
            ),
        ));
    }
    let at = back.iter().zip(sent).take_while(|(a, b)| a == b).count();
    Err(Failure::new(
        Kind::Corrupt,
        format!("echo differs from the line sent at byte {at}"),
    ))
}

/// Send one line and read its echo back.
pub fn echo_line(s: &mut TcpStream, sent: &[u8]) -> Result<(), Failure> {
    s.write_all(sent).map_err(|e| Failure::io("write", e))?;
    let mut back = vec![0u8; sent.len()];
    let mut got = 0;
    while got < back.len() {
        match s.read(&mut back[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::io("read", e)),
        }
    }
    check(&back[..got], sent)
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted.get(rank.min(last)).copied()
}

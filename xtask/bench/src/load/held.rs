//! The "held" phase: the most clients a server serves at once.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{Errors, Failure, Target, echo_line, interrupted, line};

/// What the "held" phase found.
pub struct Held {
    pub held: usize,
    pub stop: String,
    pub errors: Errors,
}

/// The most clients held at once: open connections one after another, each echoing a line,
/// keeping them all open, until the cap, the time limit, or a failure; then every one held
/// echoes a second line, so that a server that dropped old clients to take new ones does not
/// count them. `at_peak` runs while all of them are connected (to count processes and memory).
pub fn held(t: &Target, cap: usize, limit: Duration, at_peak: impl FnOnce() + Send) -> Held {
    let deadline = Instant::now() + limit;
    std::thread::scope(|s| {
        let h = t.spawn(s, move || {
            let mut errors = Errors::default();
            let mut conns: Vec<TcpStream> = Vec::new();
            let stop = open_until_stopped(t, cap, limit, deadline, &mut conns, &mut errors);
            at_peak();
            let mut held = 0;
            for (n, s) in conns.iter_mut().enumerate() {
                match echo_line(s, &line("held", n, 1)) {
                    Ok(()) => held += 1,
                    Err(f) => errors.add(f),
                }
            }
            Held { held, stop, errors }
        });
        Failure::thread(h.join()).unwrap_or_else(|f| Held {
            held: 0,
            stop: f.what.clone(),
            errors: Errors::one(f),
        })
    })
}

/// Open connections into `conns`, each proven by an echo, until something stops it; say what.
fn open_until_stopped(
    t: &Target,
    cap: usize,
    limit: Duration,
    deadline: Instant,
    conns: &mut Vec<TcpStream>,
    errors: &mut Errors,
) -> String {
    loop {
        let n = conns.len();
        if n >= cap {
            return format!("the cap ({cap})");
        }
        if Instant::now() >= deadline || interrupted() {
            return format!("the time limit ({} s)", limit.as_secs());
        }
        let mut s = match t.connect() {
            Ok(s) => s,
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                errors.add(Failure::io("connect", e));
                return "the load client's descriptor limit (EMFILE)".to_string();
            }
            Err(e) => {
                let f = Failure::io("connect", e);
                let why = format!("client {}: {}", n + 1, f.what);
                errors.add(f);
                return why;
            }
        };
        match echo_line(&mut s, &line("held", n, 0)) {
            Ok(()) => conns.push(s),
            Err(f) => {
                let why = format!("client {}: {}", n + 1, f.what);
                errors.add(f);
                return why;
            }
        }
    }
}

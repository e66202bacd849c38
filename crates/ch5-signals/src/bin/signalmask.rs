//! signalmask: a signal sent while it is blocked stays pending, and five sent are delivered
//! once when it is unblocked (UNP §5.8, "POSIX signal semantics").
//!
//! After signalbasic (catch) and signalsecond (ignore), the third thing a process can do with
//! a signal: block it, with sigprocmask. A blocked signal is not lost: the kernel marks it
//! pending (SigPnd in /proc/PID/status) and delivers it when it is unblocked. But the mark is
//! one bit per signal, not a queue: five SIGINTs sent while it is blocked are one pending
//! SIGINT, and the handler runs once. That is why §5.10's server loses SIGCHLDs (ch5-sigchld).
//! The same holds while a handler runs: the kernel blocks the signal being handled (and the
//! handler's sa_mask), so more of it arriving meanwhile give one more call, at most.

use std::sync::atomic::{AtomicI64, Ordering};

use clap::Parser;
use nix::libc::c_int;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use unp::{err_sys, parse_args, sig_write, signal};

#[derive(Parser)]
#[command(
    name = "signalmask",
    about = "Block SIGINT, and count how many times it is caught once unblocked (UNP §5.8)"
)]
struct Args {}

/// How many times the handler has run.
static CAUGHT: AtomicI64 = AtomicI64::new(0);

fn main() {
    let _args: Args = parse_args();
    signal(Signal::SIGINT, sigint_handler);
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
        .unwrap_or_else(|e| err_sys("sigprocmask", e));
    println!("SIGINT blocked: send it, then type a line to unblock it");
    if next_line().is_none() {
        return;
    }
    // If a SIGINT is pending, it is delivered before sigprocmask returns: the handler has run
    // by the next line.
    sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None)
        .unwrap_or_else(|e| err_sys("sigprocmask", e));
    println!(
        "SIGINT unblocked: caught {} time(s)",
        CAUGHT.load(Ordering::SeqCst)
    );
    // Until EOF, each SIGINT is caught as it comes.
    while next_line().is_some() {}
    println!(
        "SIGINT caught {} time(s) in all",
        CAUGHT.load(Ordering::SeqCst)
    );
}

extern "C" fn sigint_handler(_signo: c_int) {
    let n = CAUGHT.fetch_add(1, Ordering::SeqCst) + 1;
    sig_write("caught SIGINT (", n, ")\n");
}

/// One line from standard input; `None` at EOF.
fn next_line() -> Option<String> {
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

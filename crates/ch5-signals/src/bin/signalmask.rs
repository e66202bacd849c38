//! signalmask: signalbasic's handler, with SIGINT blocked until a line is typed (UNP §5.8).
//!
//! Changes from signalbasic: the handler counts its calls, and main blocks SIGINT first.
//! A blocked signal is not lost: the kernel marks it pending and delivers it when it is
//! unblocked. But the mark is one bit, not a queue: five SIGINTs sent while it is blocked are
//! one pending SIGINT, and the handler runs once; so ch5-sigchld's server loses SIGCHLDs.

use std::sync::atomic::{AtomicI32, Ordering};

use clap::Parser;
use nix::libc::c_int;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use unp::{err_sys, outln, parse_args, sig_write, signal};

#[derive(Parser)]
#[command(
    name = "signalmask",
    about = "Block SIGINT, and count how many times it is caught once unblocked (UNP §5.8)"
)]
struct Args {}

/// How many times the handler has run: main reads it, only the handler changes it.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

fn main() {
    let _args: Args = parse_args();
    signal(Signal::SIGINT, sigint_handler); // catch SIGINT, as signalbasic does
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
        .unwrap_or_else(|e| err_sys("sigprocmask", e));
    outln!("SIGINT blocked: send it, then type a line to unblock it");
    let mut lines = std::io::stdin().lines();
    if lines.next().is_none() {
        return;
    }
    // If a SIGINT is pending, it is delivered before sigprocmask returns: the handler has run
    // by the next line.
    sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None)
        .unwrap_or_else(|e| err_sys("sigprocmask", e));
    let caught = CAUGHT.load(Ordering::SeqCst);
    outln!("SIGINT unblocked: caught {caught} time(s)");
    // Until EOF, each SIGINT is caught as it comes.
    while lines.next().is_some() {}
    let caught = CAUGHT.load(Ordering::SeqCst);
    outln!("SIGINT caught {caught} time(s) in all");
}

/// The kernel calls this for each SIGINT delivered while it is the disposition.
extern "C" fn sigint_handler(signo: c_int) {
    if signo != Signal::SIGINT as c_int {
        return;
    }
    let n = CAUGHT.fetch_add(1, Ordering::SeqCst) + 1;
    sig_write("caught SIGINT (", n.into(), ")\n");
}

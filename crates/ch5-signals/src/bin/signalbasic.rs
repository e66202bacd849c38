//! signalbasic: a SIGINT handler lets the program survive ten SIGINTs, then SIG_DFL again, so
//! the eleventh kills it (UNP §5.8; the lecture's signalbasic.c). The first signal program.
//!
//! The handler counts lives in an atomic and prints with one write(2) (printf and println! are
//! not async-signal-safe); sigaction, which it calls at the end, is. ch5-sigchld does the same.

use std::sync::atomic::{AtomicI32, Ordering};

use clap::Parser;
use nix::libc::c_int;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::pause;
use unp::{outln, parse_args, sig_write, signal};

#[derive(Parser)]
#[command(
    name = "signalbasic",
    about = "Survive ten SIGINTs, then die of the eleventh (UNP §5.8)"
)]
struct Args {}

/// How many more SIGINTs the program survives: main sets it, only the handler changes it.
static LIVES: AtomicI32 = AtomicI32::new(10);

fn main() {
    let _args: Args = parse_args();
    signal(Signal::SIGINT, sigint_handler); // catch SIGINT instead of dying of it
    outln!(
        "pid {}: waiting for SIGINT, {} lives",
        std::process::id(),
        LIVES.load(Ordering::SeqCst)
    );
    loop {
        pause(); // sleep until a signal is caught; the handler has run when it returns
    }
}

/// The kernel calls this for each SIGINT delivered while it is the disposition.
extern "C" fn sigint_handler(signo: c_int) {
    if signo != Signal::SIGINT as c_int {
        return;
    }
    let left = LIVES.fetch_sub(1, Ordering::SeqCst) - 1;
    sig_write("Received SIGINT... ", left.into(), " lives left\n");
    if left <= 0 {
        // From now on SIGINT does what it does by default: terminate the process.
        let dfl = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
        // SAFETY: sigaction is async-signal-safe, and the default action runs no code of
        // this program. It cannot fail for SIGINT; if it did, the handler would stay.
        let _ = unsafe { sigaction(Signal::SIGINT, &dfl) };
    }
}

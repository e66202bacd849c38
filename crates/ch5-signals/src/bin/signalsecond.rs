//! signalsecond: SIGINT set to SIG_IGN with sigaction, then five seconds of sleep, and the
//! program ends by itself (UNP §5.8; the lecture's signalsecond.c).
//!
//! Changes from signalbasic: SIG_IGN instead of a handler, and a countdown instead of pause.
//! signalbasic caught SIGINT; this one ignores it: the kernel discards an ignored signal that
//! is not blocked when it is sent, so it never becomes pending and no code runs. The lecture's
//! program returns 1; this one, 0.

use std::time::Duration;

use clap::Parser;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use unp::{err_sys, outln, parse_args};

#[derive(Parser)]
#[command(
    name = "signalsecond",
    about = "Ignore SIGINT for some seconds, then exit (UNP §5.8)"
)]
struct Args {
    /// How many seconds to sleep with SIGINT ignored
    #[arg(long, default_value_t = 5)]
    #[arg(value_parser = clap::value_parser!(u32).range(1..=3600))]
    seconds: u32,
}

fn main() {
    let args: Args = parse_args();
    // new_action: sa_handler = SIG_IGN, an empty sa_mask, sa_flags = 0, as the lecture's.
    let new_action = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: ignoring a signal runs no code of this program.
    let old_action = unsafe { sigaction(Signal::SIGINT, &new_action) }
        .unwrap_or_else(|e| err_sys("sigaction", e));
    let was = match old_action.handler() {
        SigHandler::SigDfl => "SIG_DFL",
        SigHandler::SigIgn => "SIG_IGN",
        _ => "a handler",
    };
    outln!("SIGINT: SIG_IGN now (it was {was})");
    for i in (1..=args.seconds).rev() {
        outln!("{i}: sleep and awake");
        std::thread::sleep(Duration::from_secs(1)); // SIGINT cannot cut this short
    }
    outln!("done");
}

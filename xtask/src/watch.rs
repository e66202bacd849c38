//! `cargo xtask watch [--port P] [--pid P]`: the ps and netstat tables of a port or a process
//! tree, refreshed a few times a second until Ctrl-C, for programs run by hand in another
//! terminal: the lessons', the book's own C programs, anything.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::programs::{self, INTERRUPTED};
use crate::render::Printer;
use crate::state::Snapshot;

#[derive(clap::Args)]
#[group(required = true, multiple = true)]
pub struct Args {
    /// Show the processes with a socket on this port (and their children), and its sockets
    #[arg(long)]
    port: Option<u16>,
    /// Show this process and all its descendants, and their sockets
    #[arg(long)]
    pid: Option<i32>,
}

/// How often the tables are read again.
const REFRESH: Duration = Duration::from_millis(250);

pub fn run(args: Args) -> ExitCode {
    programs::catch_signals();
    let tty = std::io::stdout().is_terminal();
    let mut p = Printer::new(std::io::stdout(), tty, false, args.port.unwrap_or(0));
    let what = match (args.port, args.pid) {
        (Some(port), Some(pid)) => format!("port {port} and process {pid}"),
        (Some(port), None) => format!("port {port}"),
        (None, Some(pid)) => format!("process {pid} and its descendants"),
        (None, None) => unreachable!("clap requires --port or --pid"),
    };
    let started = Instant::now();
    let mut last: Option<Snapshot> = None;
    while !INTERRUPTED.load(Ordering::SeqCst) {
        let snap = Snapshot::watch(args.pid, args.port);
        // On a terminal, redraw in place; into a pipe or file, print a frame only on a change.
        let changed = last.as_ref().is_none_or(|l| l.differs(&snap));
        if tty || changed {
            if tty {
                p.line("\x1b[H\x1b[2J");
            }
            let secs = started.elapsed().as_secs_f64();
            p.line(&format!(
                "── watching {what} · {secs:.1}s · Ctrl-C to stop ──"
            ));
            p.state(&snap);
            last = Some(snap);
        }
        let until = Instant::now() + REFRESH;
        while Instant::now() < until && !INTERRUPTED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    ExitCode::SUCCESS
}

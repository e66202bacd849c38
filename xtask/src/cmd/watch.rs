//! `cargo xtask watch [--port P] [--pid P] [--run PID]`: the ps and netstat tables of a port or
//! a process tree, refreshed a few times a second until Ctrl-C, for programs run by hand in
//! another terminal: the lessons', the book's own C programs, anything. `--run PID` attaches to
//! a lesson that `cargo xtask run` is playing: its processes, and the sockets inside its own
//! network namespaces, which no tool outside them sees.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use std::collections::HashSet;
use std::io::Write;
use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::kernel::sockdiag::Diag;
use crate::kernel::{HostView, Snapshot, SockRow};
use crate::net::ns::Ns;
use crate::show::term::{self, OneKey};
use crate::show::{ColorChoice, Printer};
use crate::supervise::{self, INTERRUPTED};

#[derive(clap::Args)]
pub struct Args {
    /// Show the processes with a socket on this port (and their children), and its sockets
    #[arg(long, required_unless_present_any = ["pid", "run"])]
    port: Option<u16>,
    /// Show this process and all its descendants, and their sockets
    #[arg(long)]
    pid: Option<i32>,
    /// Attach to a running lesson: the runner's PID, which `cargo xtask run` prints
    #[arg(long, conflicts_with_all = ["port", "pid"])]
    run: Option<i32>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces
    /// it), always or never
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
}

/// A host of a running lesson: its namespace (kept open) and a socket-table reader in it.
struct Attached {
    name: String,
    ns: Ns,
    diag: Diag,
}

/// The network namespaces the runner `pid` holds open, as descriptors in /proc/PID/fd, each
/// named by its eth0 address (or `host` for a lesson's one loopback host). The switch's
/// namespace, which holds no socket, is left out.
fn attach(pid: i32) -> Result<Vec<Attached>, String> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| format!("no runner with pid {pid}: {e}"))?;
    let mut hosts = Vec::new();
    let mut seen = Vec::new();
    for fd in fds.flatten() {
        let target = std::fs::read_link(fd.path()).unwrap_or_default();
        if !target.to_string_lossy().starts_with("net:[") {
            continue;
        }
        let Ok(ns) = Ns::open(&fd.path().to_string_lossy()) else {
            continue;
        };
        if seen.contains(&ns.inode) {
            continue;
        }
        seen.push(ns.inode);
        let found = ns.run(|| {
            let diag = Diag::open()?;
            let names: Vec<String> = nix::net::if_::if_nameindex()?
                .iter()
                .map(|i| i.name().to_string_lossy().into_owned())
                .collect();
            let addr = nix::ifaddrs::getifaddrs()?
                .filter(|a| a.interface_name == "eth0")
                .find_map(|a| Some(a.address?.as_sockaddr_in()?.ip().to_string()));
            Ok((diag, names.contains(&"switch".to_string()), addr))
        });
        if let Ok((diag, false, addr)) = found {
            let name = addr.unwrap_or_else(|| "host".into());
            hosts.push(Attached { name, ns, diag });
        }
    }
    if hosts.is_empty() {
        return Err(format!("process {pid} holds no network namespace of a run"));
    }
    Ok(hosts)
}

/// How often the tables are read again.
const REFRESH: Duration = Duration::from_millis(250);

pub fn run(args: Args) -> ExitCode {
    supervise::catch_signals();
    let tty = std::io::stdout().is_terminal();
    // Each frame is drawn into a buffer, then over the last one in place: no flicker.
    let colour = term::wants_colour(args.color);
    let mut p = Printer::new(Vec::new(), colour, false, args.port.unwrap_or(0));
    let attached = match args.run.map(attach) {
        Some(Ok(hosts)) => hosts,
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        None => Vec::new(),
    };
    p.show_hosts(attached.len() > 1);
    let what = match (args.port, args.pid, args.run) {
        (_, _, Some(run)) => format!("the lesson run by process {run}"),
        (Some(port), Some(pid), _) => format!("port {port} and process {pid}"),
        (Some(port), None, _) => format!("port {port}"),
        (None, Some(pid), _) => format!("process {pid} and its descendants"),
        (None, None, None) => unreachable!("clap requires --port, --pid or --run"),
    };
    let started = Instant::now();
    let mut last: Option<Snapshot> = None;
    let mut known: HashSet<i32> = HashSet::new();
    // TIME_WAITs already there when the watch began are not what the viewer is watching.
    let mut before: Option<Vec<SockRow>> = None;
    // On a terminal, a key pauses the picture (and another resumes it); q quits.
    let keys = if tty { OneKey::start() } else { None };
    let mut paused = false;
    while !INTERRUPTED.load(Ordering::SeqCst) {
        if keys.is_some() {
            match key() {
                Some(b'q') => break,
                Some(_) => paused = !paused,
                None => {}
            }
        }
        if paused {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        let snap = match args.run {
            Some(runner) => {
                if !std::path::Path::new(&format!("/proc/{runner}")).exists() {
                    p.line(&format!("the run (process {runner}) has ended"));
                    break;
                }
                let views: Vec<HostView> = attached
                    .iter()
                    .map(|h| HostView {
                        name: &h.name,
                        diag: &h.diag,
                        ns_inode: h.ns.inode,
                    })
                    .collect();
                Snapshot::watch_run(runner, &views)
            }
            None => Snapshot::watch(args.pid, args.port, &known),
        };
        known.extend(snap.procs.iter().map(|q| q.pid));
        let before = before.get_or_insert_with(|| {
            let old = snap.socks.iter().filter(|s| s.state == "TIME_WAIT");
            old.cloned().collect()
        });
        let all = snap.socks.len();
        let snap = snap.without(before);
        let old_time_waits = all - snap.socks.len();
        // On a terminal, redraw in place; into a pipe or file, print a frame only on a change.
        let changed = last.as_ref().is_none_or(|l| l.differs(&snap));
        if tty || changed {
            let secs = started.elapsed().as_secs_f64();
            let keys_help = if keys.is_some() {
                "a key pauses, q quits"
            } else {
                "Ctrl-C to stop"
            };
            p.line(&format!("── watching {what} · {secs:.1}s · {keys_help} ──"));
            p.state(&snap);
            if old_time_waits > 0 {
                p.line(&format!(
                    "  ({old_time_waits} socket(s) in TIME_WAIT from before the watch began, not shown)"
                ));
            }
            draw(&p.take(), tty);
            last = Some(snap);
        }
        let until = Instant::now() + REFRESH;
        while Instant::now() < until && !INTERRUPTED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    ExitCode::SUCCESS
}

/// Print a frame: on a terminal over the last one, from the top, each line cleared to its
/// end and whatever is left below cleared too, so the picture never goes blank.
fn draw(frame: &[u8], tty: bool) {
    let text = String::from_utf8_lossy(frame);
    let mut out = std::io::stdout().lock();
    if tty {
        let _ = write!(out, "\x1b[H");
        for line in text.lines() {
            let _ = write!(out, "{line}\x1b[K\r\n");
        }
        let _ = write!(out, "\x1b[J");
    } else {
        let _ = write!(out, "{text}");
    }
    let _ = out.flush();
}

/// A key pressed, if one was (without waiting).
fn key() -> Option<u8> {
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    if poll(&mut fds, PollTimeout::ZERO).ok()? == 0 {
        return None;
    }
    let mut byte = [0u8; 1];
    match nix::unistd::read(&stdin, &mut byte) {
        Ok(1) => Some(byte[0]),
        _ => None,
    }
}

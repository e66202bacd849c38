//! `cargo xtask watch [--port P] [--pid P] [--run PID]`: the ps and netstat tables of a port or
//! a process tree, refreshed a few times a second until Ctrl-C, for programs run by hand in
//! another terminal: the lessons', the book's own C programs, anything. `--run PID` attaches to
//! a lesson that `cargo xtask run` is playing: its processes, and the sockets inside its own
//! network namespaces, which no tool outside them sees.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::kernel::sockdiag::Diag;
use crate::kernel::{HostView, Snapshot, SockRow};
use crate::lessons;
use crate::net::ns::Ns;
use crate::scenario::Scenario;
use crate::show::term::{self, OneKey};
use crate::show::{self, ColorChoice, Printer};
use crate::supervise::{self, INTERRUPTED};

#[derive(clap::Args)]
pub struct Args {
    /// Show the processes with a socket on this port (and their children), and its sockets
    #[arg(long, required_unless_present_any = ["pid", "run"])]
    port: Option<u16>,
    /// Show this process and all its descendants, and their sockets
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pid: Option<i32>,
    /// Attach to a running lesson: the runner's PID, which `cargo xtask run` prints
    #[arg(long, conflicts_with_all = ["port", "pid"], value_parser = clap::value_parser!(i32).range(1..))]
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

/// A lesson that `cargo xtask run` is playing, as watch follows it.
struct Runner {
    pid: i32,
    /// The lesson's name, from the runner's command line.
    lesson: Option<String>,
    /// The scenario's hosts by address, so that each is named as the runner names it.
    names: Vec<(Ipv4Addr, String)>,
    hosts: Vec<Attached>,
}

impl Runner {
    /// Whether the runner is still running.
    fn alive(&self) -> bool {
        std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }

    fn attach(pid: i32) -> Result<Runner, String> {
        let (lesson, scenario) = lesson_of(pid);
        let names = scenario.map_or(Vec::new(), |s| {
            s.hosts.into_iter().map(|h| (h.addr, h.name)).collect()
        });
        let mut runner = Runner {
            pid,
            lesson,
            names,
            hosts: Vec::new(),
        };
        runner.follow()?;
        if runner.hosts.is_empty() {
            return Err(format!("process {pid} holds no network namespace of a run"));
        }
        Ok(runner)
    }

    /// Keep to the namespaces the runner holds now: a host that crashed is let go (it is gone,
    /// as the runner shows it), and one that rebooted is attached anew.
    fn follow(&mut self) -> Result<(), String> {
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .map_err(|e| format!("no runner with pid {}: {e}", self.pid))?;
        let held: Vec<(std::path::PathBuf, u64)> = fds
            .flatten()
            .filter_map(|fd| {
                let target = std::fs::read_link(fd.path()).ok()?;
                let target = target.to_string_lossy();
                let inode = target
                    .strip_prefix("net:[")?
                    .strip_suffix(']')?
                    .parse()
                    .ok()?;
                Some((fd.path(), inode))
            })
            .collect();
        self.hosts
            .retain(|h| held.iter().any(|(_, i)| *i == h.ns.inode));
        let mut seen: HashSet<u64> = self.hosts.iter().map(|h| h.ns.inode).collect();
        for (path, inode) in held {
            if seen.insert(inode)
                && let Some(host) = self.open(&path)
            {
                self.hosts.push(host);
            }
        }
        // In the order the scenario declares them, as the runner's tables have them.
        let rank = |h: &Attached| self.names.iter().position(|(_, n)| *n == h.name);
        let mut hosts = std::mem::take(&mut self.hosts);
        hosts.sort_by_key(|h| (rank(h).unwrap_or(usize::MAX), h.name.clone()));
        self.hosts = hosts;
        Ok(())
    }

    /// The host whose namespace is at `path`, named as the scenario names it (by its eth0
    /// address; `host` for a lesson's one loopback host). The switch's namespace, which holds
    /// no socket, is none.
    fn open(&self, path: &std::path::Path) -> Option<Attached> {
        let ns = Ns::open(&path.to_string_lossy()).ok()?;
        let found = ns.run(|| {
            let diag = Diag::open()?;
            let names: Vec<String> = nix::net::if_::if_nameindex()?
                .iter()
                .map(|i| i.name().to_string_lossy().into_owned())
                .collect();
            let addr = nix::ifaddrs::getifaddrs()?
                .filter(|a| a.interface_name == "eth0")
                .find_map(|a| Some(a.address?.as_sockaddr_in()?.ip()));
            Ok((diag, names.contains(&"switch".to_string()), addr))
        });
        let (diag, false, addr) = found.ok()? else {
            return None;
        };
        let named = addr.and_then(|a| self.names.iter().find(|(at, _)| *at == a));
        let name = match (named, addr) {
            (Some((_, name)), _) => name.clone(),
            (None, Some(addr)) => addr.to_string(),
            (None, None) => "host".into(),
        };
        Some(Attached { name, ns, diag })
    }

    fn snapshot(&self) -> Snapshot {
        let views: Vec<HostView> = self
            .hosts
            .iter()
            .map(|h| HostView {
                name: &h.name,
                diag: &h.diag,
                ns_inode: h.ns.inode,
            })
            .collect();
        Snapshot::watch_run(self.pid, &views)
    }

    /// The step the run shows, as its printer leaves it in the run's folder (`3/7`).
    fn step(&self) -> Option<String> {
        let dir = format!("/tmp/unp-lab.{:07}", self.pid); // as play::run_dir names it
        let text = std::fs::read_to_string(show::step_file(std::path::Path::new(&dir))).ok()?;
        Some(text.trim().to_string()).filter(|s| !s.is_empty())
    }
}

/// The lesson the runner `pid` plays, from its command line (`xtask run LESSON ...`), and its
/// scenario (the lesson's, or the file `--scenario` names).
fn lesson_of(pid: i32) -> (Option<String>, Option<Scenario>) {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let after_run = args.iter().skip_while(|a| *a != "run").skip(1);
    let takes_value = [
        "--port",
        "--packets",
        "--color",
        "--pcap",
        "--scenario",
        "--from",
    ];
    let mut lesson = None;
    let mut file = None;
    let mut previous = "";
    for arg in after_run {
        if previous == "--scenario" {
            file = Some(std::path::Path::new(&format!("/proc/{pid}/cwd")).join(arg));
        } else if let Some(path) = arg.strip_prefix("--scenario=") {
            file = Some(std::path::Path::new(&format!("/proc/{pid}/cwd")).join(path));
        } else if !arg.starts_with('-') && !takes_value.contains(&previous) && lesson.is_none() {
            lesson = Some(arg.clone());
        }
        previous = arg;
    }
    let scenario = match (&file, &lesson) {
        (Some(path), _) => Scenario::load(path).ok(),
        (None, Some(name)) => {
            let all = lessons::all().into_iter();
            all.filter(|(l, _)| l.name == *name)
                .find_map(|(_, s)| s.ok())
        }
        (None, None) => None,
    };
    (lesson, scenario)
}

/// What is watched, in the header's words.
fn watched(args: &Args, runner: Option<&Runner>) -> String {
    match (args.port, args.pid, runner) {
        (_, _, Some(r)) => match &r.lesson {
            Some(lesson) => format!("{lesson} (run {})", r.pid),
            None => format!("run {}", r.pid),
        },
        (Some(port), Some(pid), _) => format!("port {port} and process {pid}"),
        (Some(port), None, _) => format!("port {port}"),
        (None, Some(pid), _) => format!("process {pid} and its descendants"),
        (None, None, None) => unreachable!("clap requires --port, --pid or --run"),
    }
}

/// How often the tables are read again.
const REFRESH: Duration = Duration::from_millis(250);

pub fn run(args: Args) -> ExitCode {
    supervise::catch_signals();
    if let Some(pid) = args
        .pid
        .filter(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
    {
        eprintln!("error: no process {pid} to watch");
        return ExitCode::FAILURE;
    }
    let tty = std::io::stdout().is_terminal();
    // Each frame is drawn into a buffer, then over the last one in place: no flicker.
    let colour = term::wants_colour(args.color);
    let mut p = Printer::new(Vec::new(), colour, false, args.port.unwrap_or(0));
    let mut runner = match args.run.map(Runner::attach) {
        Some(Ok(runner)) => Some(runner),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        None => None,
    };
    p.show_hosts(runner.as_ref().is_some_and(|r| r.hosts.len() > 1));
    let what = watched(&args, runner.as_ref());
    let mut frames = Frames {
        what,
        started: Instant::now(),
        tty,
        step: None,
        last: None,
        known: HashSet::new(),
        before: None,
    };
    // On a terminal, a key pauses the picture (and another resumes it); q quits.
    let keys = if tty { OneKey::start() } else { None };
    let mut paused = false;
    while !INTERRUPTED.load(Ordering::SeqCst) {
        if keys.is_some() {
            match key() {
                Some(b'q') => break,
                Some(_) => {
                    paused = !paused;
                    if paused {
                        frames.hold(&mut p, "PAUSED: a key resumes");
                    }
                }
                None => {}
            }
        }
        // Paused or not, a run that has ended is let go at once: watch must not keep its
        // namespaces open.
        if paused && runner.as_ref().is_none_or(|r| r.alive()) {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        if let Some(r) = &mut runner
            && (!r.alive() || r.follow().is_err())
        {
            frames.hold(&mut p, "the run has ended");
            break;
        }
        let snap = match &runner {
            Some(r) => r.snapshot(),
            None => Snapshot::watch(args.pid, args.port, &frames.known),
        };
        frames.step = runner.as_ref().and_then(Runner::step);
        // A terminal may have been resized since the last frame.
        p.fit_to(if tty { term::width() } else { None });
        let help = match keys {
            Some(_) => "a key pauses, q quits",
            None => "Ctrl-C to stop",
        };
        frames.show(&mut p, snap, help);
        let until = Instant::now() + REFRESH;
        while Instant::now() < until && !INTERRUPTED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    ExitCode::SUCCESS
}

/// What watch carries from frame to frame.
struct Frames {
    /// What is watched, for the header.
    what: String,
    started: Instant,
    tty: bool,
    /// The step the run shows (`3/7`), when watching a run.
    step: Option<String>,
    /// The last frame's state, and its tables as drawn (kept for a pause or the run's end).
    last: Option<(Snapshot, Vec<u8>)>,
    /// Every process seen so far (a child its parent left behind is still followed).
    known: HashSet<i32>,
    /// TIME_WAITs already there when the watch began, which are not what the viewer watches.
    before: Option<Vec<SockRow>>,
}

impl Frames {
    /// The header line: what is watched, the run's step, the time, and `note` (the keys, or
    /// that the picture is paused or the run has ended).
    fn header<W: Write>(&self, p: &mut Printer<W>, note: &str) {
        let secs = self.started.elapsed().as_secs_f64();
        let step = self
            .step
            .as_ref()
            .map_or(String::new(), |s| format!(" · step {s}"));
        p.line(&format!(
            "── watching {}{step} · {secs:.1}s · {note} ──",
            self.what
        ));
    }

    /// Keep the last frame on screen under a header that says why it no longer changes; into a
    /// pipe, only that header line.
    fn hold(&self, p: &mut Printer<Vec<u8>>, note: &str) {
        self.header(p, note);
        let mut frame = p.take();
        if self.tty
            && let Some((_, tables)) = &self.last
        {
            frame.extend_from_slice(tables);
        }
        draw(&frame, self.tty);
    }

    /// Read the frame's state and draw it: on a terminal every time, in place; into a pipe or a
    /// file only when it changed.
    fn show(&mut self, p: &mut Printer<Vec<u8>>, snap: Snapshot, help: &str) {
        self.known.extend(snap.procs.iter().map(|q| q.pid));
        let before = self.before.get_or_insert_with(|| {
            let old = snap.socks.iter().filter(|s| s.state == "TIME_WAIT");
            old.cloned().collect()
        });
        let all = snap.socks.len();
        let snap = snap.without(before);
        let old_time_waits = all - snap.socks.len();
        let changed = self.last.as_ref().is_none_or(|(l, _)| l.differs(&snap));
        if !self.tty && !changed {
            return;
        }
        self.header(p, help);
        let header = p.take();
        p.state(&snap);
        if old_time_waits > 0 {
            p.line(&format!(
                "  ({old_time_waits} socket(s) in TIME_WAIT from before the watch began, \
                 not shown)"
            ));
        }
        let tables = p.take();
        draw(&[header.as_slice(), &tables].concat(), self.tty);
        self.last = Some((snap, tables));
    }
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

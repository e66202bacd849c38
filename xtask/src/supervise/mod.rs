//! The programs a scenario starts: spawning them, typing into them, collecting what they print
//! and how they end, and, whatever happens, killing and reaping every one of them.
//!
//! Each program is started in a process group of its own, which its forked children share.
//! The runner is a child subreaper (prctl PR_SET_CHILD_SUBREAPER): when a server dies, its
//! children are reparented to the runner rather than to init, so the runner can reap them too.
//! `Drop` sends SIGKILL to every group and reaps until no child is left: it runs on success,
//! on a failed step, on a panic (unwinding), and after SIGINT, SIGTERM or SIGHUP.

mod keeper;
pub mod single;
mod tree;

pub use keeper::keep;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, killpg, sigaction};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// How a program ended, as its parent's `waitpid` saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ending {
    Code(i32),
    Signal(Signal),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Code(c) => write!(f, "exited with status {c}"),
            Ending::Signal(s) => write!(f, "was killed by {s}"),
        }
    }
}

/// One line a program printed (or a note about it, such as how it ended).
#[derive(Clone, Debug)]
pub struct Line {
    pub who: String,
    pub text: String,
    pub stderr: bool,
    pub note: bool,
}

pub struct Program {
    pub name: String,
    pub pid: i32,
    /// The host (network namespace) it runs on.
    pub host: String,
    /// Where typed lines go: a thread that writes them to the program's standard input, so
    /// that a program that stops reading never blocks the runner. Dropping it closes the pipe
    /// once everything typed before has been written.
    stdin: Option<Sender<Vec<u8>>>,
    pub ending: Option<Ending>,
    /// How many of its output pipes are still being read: 0 once all it printed is logged.
    open_pipes: Arc<AtomicUsize>,
}

impl Program {
    /// Everything the program printed has reached the log (both pipes read to EOF).
    pub fn output_done(&self) -> bool {
        self.open_pipes.load(Ordering::SeqCst) == 0
    }
}

/// Everything the scenario has started. Dropping it kills and reaps all of it.
#[derive(Default)]
pub struct Programs {
    pub list: Vec<Program>,
    pub pgids: HashSet<i32>,
    pub log: Arc<Mutex<Vec<Line>>>,
    /// Processes the runner reaped that it did not start: children whose parent ended without
    /// waiting for them, so that they came to the runner, the subreaper, to be reaped.
    pub orphans: Vec<i32>,
    /// When the processes were last counted (see `contain`).
    counted: Option<Instant>,
}

/// The most processes a run's programs may have at once. The lessons need a few dozen (the
/// bench, which holds thousands of clients on fork servers, does not go through here); a
/// fork bomb reaches this in milliseconds and is ended while the machine stays usable.
pub const MAX_PROCESSES: usize = 200;

/// `{tmp}`: the run's own folder, named after the runner's pid so that runs at the same time
/// never share it. Programs on every host see the same file system, so a file one makes (a
/// Unix-domain socket's) is where another finds it; the folder and all in it go when the run
/// ends. Always in /tmp, as the book's paths are, and the pid written with 7 digits (pid_max
/// is at most 4194304), so that a path's length, which a program may print, is the same in
/// every run.
pub fn run_dir() -> std::path::PathBuf {
    run_dir_of(std::process::id())
}

/// The folder of the run whose runner is `pid`.
pub fn run_dir_of(pid: u32) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/tmp/unp-lab.{pid:07}"))
}

/// Remove the folders of runs whose runner is gone (one killed before its keeper could).
pub fn remove_stale_run_dirs() {
    let Ok(dir) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("unp-lab.")) else {
            continue;
        };
        if pid.len() == 7 && pid.parse::<i32>().is_ok_and(|p| !keeper::alive(p)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Remove the folders below `dir` named after a pid that is gone (a runner's, killed).
pub fn remove_stale(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|p| p.parse::<i32>().ok());
        if pid.is_some_and(|p| !keeper::alive(p)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Set by the SIGINT, SIGTERM and SIGHUP handler; the engine checks it while it waits.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signo: nix::libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst); // an atomic store is async-signal-safe
}

/// Make the runner the reaper of its programs' orphans, and turn Ctrl-C, SIGTERM and SIGHUP
/// into a flag, so that the engine can clean up before it exits.
pub fn take_charge() {
    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        eprintln!("warning: prctl(PR_SET_CHILD_SUBREAPER) failed: {e}");
    }
    catch_signals();
}

/// Turn SIGINT, SIGTERM and SIGHUP into the INTERRUPTED flag. Without SA_RESTART, so that a
/// read blocked at a `--step` prompt returns EINTR at once.
pub fn catch_signals() {
    let act = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(sig, &act) };
    }
}

impl Programs {
    pub fn new() -> Programs {
        Programs::default()
    }

    /// The program started under `name`. The scenario's names were checked, but a start can
    /// fail (on a crashed host), so a later step may name a program that is not there.
    pub fn find(&self, name: &str) -> Option<&Program> {
        self.list.iter().find(|p| p.name == name)
    }

    /// Start `path` with `args` in a new process group, its three standard streams piped, on
    /// `host`: in the network namespace `ns` when given, else in the runner's. With `terminal`,
    /// its standard output is a pseudo-terminal instead of a pipe: a C program's stdio then
    /// writes each line as it is printed, as in the terminal the book runs it in, rather than
    /// holding a pipe's output in its buffer until it exits.
    pub fn start(
        &mut self,
        name: &str,
        (path, args): (&Path, &[String]),
        host: &str,
        ns: Option<RawFd>,
        terminal: bool,
    ) -> Result<i32, String> {
        let mut cmd = Command::new(path);
        let tty = match terminal {
            true => Some(terminal_out().map_err(|e| format!("cannot start {name}: {e}"))?),
            false => None,
        };
        let stdout = match &tty {
            Some((_, slave)) => Stdio::from(slave.try_clone().map_err(|e| e.to_string())?),
            None => Stdio::piped(),
        };
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(Stdio::piped());
        cmd.process_group(0);
        // SAFETY: the closure runs in the child between fork and exec and only makes system
        // calls (setns, prctl), which are async-signal-safe. The child enters its host's
        // namespace before exec, so the program never sees the runner's network. If the runner
        // is killed with SIGKILL and cannot clean up, the kernel then kills the program too.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(fd) = ns {
                    crate::net::ns::enter(fd)?;
                }
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        // The program holds the terminal's other end now: this process lets go of it, so that
        // its output ends (EIO on the master) when the program and its children have closed it.
        drop(cmd);
        let pid = child.id() as i32;
        self.pgids.insert(pid);
        let open_pipes = Arc::new(AtomicUsize::new(2));
        if let Some(out) = child.stdout.take() {
            self.collect(name, out, false, Arc::clone(&open_pipes));
        }
        if let Some((master, slave)) = tty {
            drop(slave);
            self.collect(
                name,
                std::fs::File::from(master),
                false,
                Arc::clone(&open_pipes),
            );
        }
        if let Some(err) = child.stderr.take() {
            self.collect(name, err, true, Arc::clone(&open_pipes));
        }
        self.list.push(Program {
            name: name.to_string(),
            pid,
            host: host.to_string(),
            stdin: child.stdin.take().map(|pipe| self.feed(name, pipe)),
            ending: None,
            open_pipes,
        });
        // `child` is dropped without waiting: `reap` collects its status with waitpid.
        Ok(pid)
    }

    /// Start the thread that writes what is typed into `pipe`, in order.
    fn feed(&self, name: &str, mut pipe: ChildStdin) -> Sender<Vec<u8>> {
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let log = Arc::clone(&self.log);
        let who = name.to_string();
        std::thread::spawn(move || {
            for text in rx {
                if let Err(e) = pipe.write_all(&text) {
                    let text = format!("could not type into it: {e}");
                    let line = Line {
                        who,
                        text,
                        stderr: false,
                        note: true,
                    };
                    log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                    return;
                }
            }
        });
        tx
    }

    /// Copy what a program prints into the log, a line at a time, from a thread of its own.
    fn collect(
        &self,
        name: &str,
        mut pipe: impl Read + Send + 'static,
        stderr: bool,
        open_pipes: Arc<AtomicUsize>,
    ) {
        let log = Arc::clone(&self.log);
        let who = name.to_string();
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            let mut buf = [0u8; 4096];
            let push = |bytes: &[u8]| {
                let text = String::from_utf8_lossy(bytes)
                    .trim_end_matches('\n')
                    .to_string();
                let line = Line {
                    who: who.clone(),
                    text,
                    stderr,
                    note: false,
                };
                log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            };
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                }
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    push(&pending[..=end]);
                    pending.drain(..=end);
                }
            }
            if !pending.is_empty() {
                push(&pending); // a last line without a newline
            }
            open_pipes.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Queue the lines, each ended by a newline, for the program's standard input.
    pub fn type_lines(&mut self, name: &str, lines: &[String]) -> Result<(), String> {
        let prog = self.list.iter_mut().find(|p| p.name == name);
        let prog = prog.ok_or(format!("{name} was never started"))?;
        let stdin = prog
            .stdin
            .as_ref()
            .ok_or(format!("{name}'s standard input is closed"))?;
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        stdin
            .send(text.into_bytes())
            .map_err(|_| format!("{name} no longer reads its input"))
    }

    /// Close a program's standard input: it reads EOF, as after Ctrl-D on a terminal.
    pub fn close_stdin(&mut self, name: &str) {
        if let Some(prog) = self.list.iter_mut().find(|p| p.name == name) {
            prog.stdin = None;
        }
    }

    /// Collect the status of every child that has ended, without blocking: the scenario's
    /// programs (whose ending is recorded and logged) and any orphans reparented to us.
    pub fn reap(&mut self) {
        while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            if status == WaitStatus::StillAlive {
                return;
            }
            self.record(status);
        }
    }

    /// Note how a reaped child ended: a program's ending is recorded and logged, any other
    /// child is an orphan that came to the runner to be reaped.
    fn record(&mut self, status: WaitStatus) {
        let (pid, ending) = match status {
            WaitStatus::Exited(pid, code) => (pid, Ending::Code(code)),
            WaitStatus::Signaled(pid, sig, _) => (pid, Ending::Signal(sig)),
            _ => return,
        };
        let Some(prog) = self.list.iter_mut().find(|p| p.pid == pid.as_raw()) else {
            self.orphans.push(pid.as_raw());
            return;
        };
        prog.ending = Some(ending);
        let line = Line {
            who: prog.name.clone(),
            text: ending.to_string(),
            stderr: false,
            note: true,
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }

    /// Send `signal` to the process group of every program running on `host` (each program
    /// and the children it forked). Returns how many groups were signalled.
    pub fn signal_host(&self, host: &str, signal: Signal) -> usize {
        self.list
            .iter()
            .filter(|p| p.host == host && p.ending.is_none())
            .filter(|p| killpg(Pid::from_raw(p.pid), signal).is_ok())
            .count()
    }

    /// End the run's programs if they have made more processes than a run may have (a fork
    /// bomb, or a server whose children never exit), with a line in the log saying so. The
    /// processes are counted every 50 ms at most: a /proc walk is not free.
    pub fn contain(&mut self) {
        if self
            .counted
            .is_some_and(|t| t.elapsed() < Duration::from_millis(50))
        {
            return;
        }
        self.counted = Some(Instant::now());
        let n = tree::descendants(std::process::id() as i32).len();
        if n <= MAX_PROCESSES {
            return;
        }
        self.kill_all();
        let text = format!(
            "the programs made {n} processes, more than the {MAX_PROCESSES} a run may have: \
             every one of them was ended"
        );
        let who = self.list.first().map_or(String::new(), |p| p.name.clone());
        let line = Line {
            who,
            text,
            stderr: true,
            note: true,
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
        self.reap();
    }

    /// SIGKILL every process group, and every process below the runner however it got there
    /// (a program that called setsid, a grandchild whose parent died), then reap until no
    /// child is left (or 3 s have passed).
    pub fn kill_all(&mut self) {
        for &pgid in &self.pgids {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL); // ESRCH: that group is gone
        }
        let me = std::process::id() as i32;
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            tree::kill_descendants(me);
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Err(Errno::ECHILD) => return, // nothing left to reap
                Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(status) => self.record(status),
            }
        }
    }
}

/// A pseudo-terminal for a program's output, raw (no echo, no CR before each LF), both ends
/// closed on exec so that only the program's descriptor 1 holds the slave.
fn terminal_out() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
    let pty = nix::pty::openpty(None, None)?;
    for fd in [&pty.master, &pty.slave] {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    }
    let mut raw = tcgetattr(&pty.slave)?;
    cfmakeraw(&mut raw);
    tcsetattr(&pty.slave, SetArg::TCSANOW, &raw)?;
    Ok((pty.master, pty.slave))
}

impl Drop for Programs {
    fn drop(&mut self) {
        self.kill_all();
    }
}

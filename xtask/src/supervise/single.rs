//! One program started alone, for a measurement rather than a scenario: in a process group of
//! its own, in a network namespace when given, with a descriptor limit when given. Its standard
//! output is read for as long as it runs (a full pipe would stop a server that prints a line per
//! child it reaps), and its first line is kept, for a server that says where it listens; the
//! last lines of its standard error are kept, to say why it stopped. How it ended is worded
//! by [`Ending`], as for a scenario's programs.
//!
//! Dropping it sends SIGKILL to its group (the program and every child it forked) and reaps
//! the group, the children the caller (a child subreaper, see `take_charge`) inherited too.

use std::io::{self, BufRead, BufReader};
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::Ending;

/// How many of its last standard-error lines are kept.
const TAIL: usize = 3;

/// The last lines a program wrote on standard error, and how many it wrote in all.
#[derive(Default)]
struct Tail {
    last: Vec<String>,
    count: usize,
}

/// One program, running in a process group of its own until dropped.
pub struct Single {
    pid: i32,
    first: Receiver<String>,
    stderr: Arc<Mutex<Tail>>,
    ending: Option<Ending>,
}

impl Single {
    /// Start `path` with `args`, its standard input empty; in the network namespace `ns` when
    /// given; with the soft descriptor limit `nofile` when given (the limit its user's shell
    /// would give it, where the caller has raised its own).
    pub fn start(
        path: &Path,
        args: &[&str],
        ns: Option<RawFd>,
        nofile: Option<u64>,
    ) -> Result<Single, String> {
        let mut cmd = Command::new(path);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: the closure runs in the child between fork and exec and only makes system
        // calls (setns, getrlimit, setrlimit, prctl), which are async-signal-safe. The program
        // enters its namespace before exec, so it never sees the caller's network; and if the
        // caller is killed with SIGKILL and cannot clean up, the kernel kills the program.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(fd) = ns {
                    crate::net::ns::enter(fd)?;
                }
                if let Some(soft) = nofile {
                    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
                    setrlimit(Resource::RLIMIT_NOFILE, soft, hard)?;
                }
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let (tx, first) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(out).lines();
                if let Some(Ok(line)) = lines.next() {
                    let _ = tx.send(line);
                }
                for _ in lines.map_while(Result::ok) {}
            });
        }
        let stderr = Arc::new(Mutex::new(Tail::default()));
        if let Some(err) = child.stderr.take() {
            let keep = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut t = keep.lock().unwrap_or_else(|e| e.into_inner());
                    t.count += 1;
                    t.last.push(line);
                    if t.last.len() > TAIL {
                        t.last.remove(0);
                    }
                }
            });
        }
        // `child` is dropped without waiting: `ended` and Drop reap it with waitpid.
        Ok(Single {
            pid: child.id() as i32,
            first,
            stderr,
            ending: None,
        })
    }

    /// Its process id, which is also its process group's.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The first line it printed on standard output, waiting at most `limit` for it.
    pub fn first_line(&self, limit: Duration) -> Option<String> {
        self.first.recv_timeout(limit).ok()
    }

    /// How it ended, if it has (reaping it).
    pub fn ended(&mut self) -> Option<Ending> {
        if self.ending.is_none() {
            self.ending = match waitpid(Pid::from_raw(self.pid), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => Some(Ending::Code(code)),
                Ok(WaitStatus::Signaled(_, sig, _)) => Some(Ending::Signal(sig)),
                _ => None,
            };
        }
        self.ending
    }

    /// How many lines it has written on standard error so far.
    pub fn stderr_lines(&self) -> usize {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).count
    }

    /// `; it said: LINE` for the last line it wrote on standard error after its first `mark`
    /// lines, with how many there were when more than one; empty when none.
    pub fn said_since(&self, mark: usize) -> String {
        let t = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        match (t.last.last(), t.count.saturating_sub(mark)) {
            (None, _) | (_, 0) => String::new(),
            (Some(l), 1) => format!("; it said: {l}"),
            (Some(l), n) => format!("; it said {n} lines on stderr, the last: {l}"),
        }
    }
}

impl Drop for Single {
    fn drop(&mut self) {
        let group = Pid::from_raw(self.pid);
        let _ = killpg(group, Signal::SIGKILL); // ESRCH: the whole group is gone already
        // Reap the group: the program first, then its children, which came to the caller (the
        // subreaper) when it died and keep its process group. At most 3 s.
        let deadline = Instant::now() + Duration::from_secs(3);
        let members = Pid::from_raw(-self.pid);
        loop {
            match waitpid(members, Some(WaitPidFlag::WNOHANG)) {
                Err(Errno::ECHILD) => return,
                Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_line_is_read_and_the_group_is_reaped() {
        let sh = Path::new("/bin/sh");
        let script = "echo ready; echo oops >&2; sleep 30 & sleep 30";
        let mut p = Single::start(sh, &["-c", script], None, None).expect("sh starts");
        assert_eq!(
            p.first_line(Duration::from_secs(10)).as_deref(),
            Some("ready")
        );
        assert_eq!(p.ended(), None);
        let pid = p.pid();
        drop(p);
        assert_eq!(
            waitpid(Pid::from_raw(-pid), Some(WaitPidFlag::WNOHANG)),
            Err(Errno::ECHILD)
        );
    }

    #[test]
    fn an_ending_is_worded_by_the_supervisor() {
        let sh = Path::new("/bin/sh");
        let mut p = Single::start(sh, &["-c", "echo bye >&2; exit 3"], None, None).expect("sh");
        let deadline = Instant::now() + Duration::from_secs(10);
        while p.ended().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            p.ended().map(|e| e.to_string()).as_deref(),
            Some("exited with status 3")
        );
        let said_deadline = Instant::now() + Duration::from_secs(5);
        while p.stderr_lines() == 0 && Instant::now() < said_deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(p.said_since(0), "; it said: bye");
    }
}

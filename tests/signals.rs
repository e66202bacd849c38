//! ch5-signals, tested directly: signalbasic survives ten SIGINTs and dies of the eleventh;
//! signalsecond ignores SIGINT (SigIgn in /proc/PID/status) and exits 0 by itself; signalmask
//! leaves a blocked SIGINT pending, and five sent while blocked are caught once.

mod common;

use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;

use common::{LIMIT, cmd, end_group, ended, lines_of, next_line, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A signal program in a process group of its own; dropping it kills and reaps the group.
struct Running {
    child: Child,
    lines: Receiver<String>,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = cmd(name)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("the program starts");
        let lines = lines_of(child.stdout.take().expect("piped"));
        Running { child, lines }
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    fn line(&self, what: &str) -> String {
        next_line(&self.lines, what, LIMIT).trim_end().to_string()
    }

    fn sigint(&self) {
        kill(self.pid(), Signal::SIGINT).expect("kill -INT");
    }

    /// A mask line of /proc/PID/status (SigBlk, SigIgn, SigCgt) has SIGINT in it; for
    /// "pending", either SigPnd (sent to the thread) or ShdPnd (to the process, as kill does).
    fn has_sigint(&self, field: &str) -> bool {
        if field == "pending" {
            return self.has_sigint("SigPnd") || self.has_sigint("ShdPnd");
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/PID/status");
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"));
        let mask = u64::from_str_radix(hex, 16).expect("a hex mask");
        mask & (1 << (Signal::SIGINT as i32 - 1)) != 0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        end_group(self.pid().as_raw());
    }
}

#[test]
fn signalbasic_survives_ten_sigints_and_dies_of_the_eleventh() {
    let mut p = Running::start("signalbasic", &[]);
    assert!(
        p.line("the first line")
            .ends_with("waiting for SIGINT, 10 lives")
    );
    assert!(p.has_sigint("SigCgt"), "SIGINT is caught");
    for left in (0..10).rev() {
        p.sigint();
        // Each SIGINT is sent only once the handler has answered the one before: two sent
        // at once could be one pending SIGINT (signals are not queued).
        assert_eq!(
            p.line("the handler's line"),
            format!("Received SIGINT... {left} lives left")
        );
    }
    wait_for("SIGINT back at its default action", || {
        !p.has_sigint("SigCgt")
    });
    p.sigint();
    let status = ended(&mut p.child, "signalbasic to die of the eleventh SIGINT");
    assert_eq!(
        status.signal(),
        Some(Signal::SIGINT as i32),
        "WIFSIGNALED, SIGINT: {status:?}"
    );
}

#[test]
fn signalsecond_ignores_sigint_and_exits_0_by_itself() {
    let mut p = Running::start("signalsecond", &[]);
    assert_eq!(
        p.line("the first line"),
        "SIGINT: SIG_IGN now (it was SIG_DFL)"
    );
    assert_eq!(
        p.line("the countdown"),
        "5: sleep and awake",
        "five seconds by default"
    );
    assert!(p.has_sigint("SigIgn"), "SIGINT is in SigIgn");
    p.sigint();
    p.sigint();
    assert!(
        !p.has_sigint("pending"),
        "an ignored signal is discarded, not left pending"
    );
    let status = ended(&mut p.child, "signalsecond to exit by itself");
    assert_eq!(status.code(), Some(0), "{status:?}");
    let rest: Vec<String> = (0..5)
        .map(|_| p.line("the rest of the countdown"))
        .collect();
    assert_eq!(rest.last().map(String::as_str), Some("done"), "{rest:?}");
    assert_eq!(rest[3], "1: sleep and awake", "{rest:?}");
}

#[test]
fn signalsecond_takes_its_seconds_from_a_flag() {
    let mut p = Running::start("signalsecond", &["--seconds", "1"]);
    let _ = p.line("the first line");
    assert_eq!(p.line("the countdown"), "1: sleep and awake");
    let status = ended(&mut p.child, "signalsecond --seconds 1 to exit");
    assert_eq!(status.code(), Some(0), "{status:?}");
    let bad = cmd("signalsecond")
        .args(["--seconds", "0"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2), "a bad count is a usage error");
}

#[test]
fn signalmask_leaves_five_blocked_sigints_one_pending_and_catches_it_once() {
    let mut p = Running::start("signalmask", &[]);
    assert!(p.line("the first line").starts_with("SIGINT blocked"));
    assert!(
        p.has_sigint("SigBlk") && p.has_sigint("SigCgt"),
        "blocked and caught"
    );
    assert!(!p.has_sigint("pending"), "nothing pending yet");
    for _ in 0..5 {
        p.sigint(); // kill returns once the signal is marked pending
    }
    assert!(p.has_sigint("pending"), "a blocked SIGINT stays pending");
    let mut stdin = p.child.stdin.take().expect("piped");
    writeln!(stdin, "unblock").expect("type");
    assert_eq!(p.line("the handler's line"), "caught SIGINT (1)");
    assert_eq!(p.line("main's count"), "SIGINT unblocked: caught 1 time(s)");
    assert!(!p.has_sigint("pending") && !p.has_sigint("SigBlk"));
    drop(stdin); // EOF
    assert_eq!(p.line("the total"), "SIGINT caught 1 time(s) in all");
    let status = ended(&mut p.child, "signalmask to exit at EOF");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

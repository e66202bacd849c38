//! The keeper: a run's last line of defence. Every program a run starts dies with it, however
//! the runner ends: on success, failure, panic or Ctrl-C the runner kills and reaps them itself
//! (`Programs`' drop); but SIGKILL gives it no chance, and PR_SET_PDEATHSIG reaches only its
//! direct children, not what they fork. So before anything else the command forks: the parent
//! stays behind as the keeper, a subreaper waiting for the runner (the child, which goes on to
//! do the work). When the runner ends, however it ends, every process left below the keeper is
//! killed and reaped, the run's folder removed, and the keeper exits as the runner did. The
//! PIDs students see are untouched: nothing changes for the programs but their grandparent.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use nix::sys::signal::{SigHandler, Signal, kill, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

use super::tree;

/// The runner's pid, for the keeper's signal handler to pass SIGTERM and SIGHUP on.
static RUNNER: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn pass_on(signo: nix::libc::c_int) {
    let runner = RUNNER.load(std::sync::atomic::Ordering::SeqCst);
    if runner > 0 {
        // SAFETY: kill(2) is async-signal-safe; the pid is the keeper's own child's.
        unsafe { nix::libc::kill(runner, signo) };
    }
}

/// Fork the keeper. Returns in the runner (the child); the keeper never returns: it exits as
/// the runner did. `held` is the folder in which the runner may keep a folder named after its
/// pid (its programs, held for the run), which the keeper removes with the rest. Must be
/// called while the process has one thread.
pub fn keep(held: &std::path::Path) {
    // SAFETY: called at the start of a command, before any thread is started, so the child
    // may do anything; the parent does only what follows (signals, waitpid, /proc, kill).
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            // The keeper killed with SIGKILL: the runner is told with SIGTERM, and cleans up.
            let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
        }
        Ok(ForkResult::Parent { child }) => watch(child, held),
        Err(e) => eprintln!("warning: fork of the keeper failed ({e}); going on without"),
    }
}

/// The keeper's life: wait for the runner, then leave nothing behind.
fn watch(runner: Pid, held: &std::path::Path) -> ! {
    RUNNER.store(runner.as_raw(), std::sync::atomic::Ordering::SeqCst);
    let _ = nix::sys::prctl::set_child_subreaper(true);
    // The runner handles SIGINT, SIGTERM and SIGHUP (it ends its programs and exits 130):
    // whoever signals the command's pid, the keeper's, means the runner. Ctrl-C at a terminal
    // reaches both (one foreground group); a second SIGINT to the runner changes nothing.
    // SAFETY: a handler that only calls kill(2), which is async-signal-safe.
    unsafe {
        for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            let _ = signal(sig, SigHandler::Handler(pass_on));
        }
        let _ = signal(Signal::SIGQUIT, SigHandler::SigIgn);
    }
    let ended = loop {
        match waitpid(runner, None) {
            Ok(WaitStatus::Exited(_, code)) => break ExitStatus::from_raw(code << 8),
            Ok(WaitStatus::Signaled(_, sig, _)) => break ExitStatus::from_raw(sig as i32),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break ExitStatus::from_raw(1 << 8),
        }
    };
    sweep();
    let pid = runner.as_raw() as u32;
    let _ = std::fs::remove_dir_all(super::run_dir_of(pid));
    let _ = std::fs::remove_dir_all(held.join(pid.to_string()));
    match (ended.code(), ended.signal()) {
        (Some(code), _) => std::process::exit(code),
        (None, Some(sig)) => std::process::exit(128 + sig),
        (None, None) => std::process::exit(1),
    }
}

/// Kill and reap every process left below the keeper, until none is (at most 5 s).
fn sweep() {
    let me = std::process::id() as i32;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left = tree::kill_descendants(me);
        while let Ok(status) = waitpid(None, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            if status == WaitStatus::StillAlive {
                break;
            }
        }
        if left == 0 || std::time::Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Whether the process `pid` exists.
pub fn alive(pid: i32) -> bool {
    matches!(
        kill(Pid::from_raw(pid), None),
        Ok(()) | Err(nix::errno::Errno::EPERM)
    )
}

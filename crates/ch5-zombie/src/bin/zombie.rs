//! zombie: children that end, a parent that does not wait, and what `wait(&status)` then
//! tells it (UNP §5.7; the lecture's notes on WIFEXITED, WEXITSTATUS and WIFSIGNALED).
//!
//! The parent forks one child per ending given on the command line (default: exit 0, exit 1,
//! exit 42, killed by SIGTERM). Each child ends at once; the parent does not call `wait`, so the
//! kernel keeps each child's process table entry, with its exit status, as a zombie (`Z` and
//! `<defunct>` in ps). When a line (or EOF) arrives on standard input, the parent reaps them and
//! decodes each status with the macros of `<sys/wait.h>`. A second line ends the parent.
//!
//! Only endings are taken: a signal whose default action stops a process (SIGSTOP, SIGTSTP, ...),
//! continues it (SIGCONT) or ignores it (SIGCHLD, SIGURG, SIGWINCH) is refused with a usage
//! error, because it does not end the child. A stopped child is not a zombie, and `wait` without
//! WUNTRACED would block on it forever; decoding stops is §5.10's waitpid, not this lesson.

use std::os::fd::AsFd;

use clap::Parser;
use nix::libc::{self, c_int};
use nix::sys::signal::{SigSet, Signal, raise};
use nix::unistd::{ForkResult, fork};
use unp::{_exit, Readline, err_msg, err_sys, outln, parse_args, signal_default};

#[derive(Parser)]
#[command(
    name = "zombie",
    about = "Fork children that end, then reap them (UNP §5.7)"
)]
struct Args {
    /// How each child ends: an exit status (0-255) or a signal name (SIGTERM, SIGKILL, ...)
    #[arg(value_name = "ENDING", value_parser = parse_ending)]
    #[arg(default_values = ["0", "1", "42", "SIGTERM"])]
    endings: Vec<Ending>,
}

#[derive(Clone, Copy, Debug)]
enum Ending {
    Exit(u8),
    Killed(Signal),
}

fn main() {
    let args: Args = parse_args();
    for ending in args.endings {
        fork_child(ending);
    }
    outln!("each child ends at once and stays a zombie until I wait: press Enter to reap them");
    wait_for_line();
    reap_all();
    outln!("all children reaped: no zombie left; press Enter to exit");
    wait_for_line();
}

/// Fork one child that ends as `ending` says, at once.
fn fork_child(ending: Ending) {
    // SAFETY: this program has one thread, so the child gets a consistent copy of it.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => match ending {
            Ending::Exit(status) => _exit(status.into()),
            Ending::Killed(sig) => {
                // The child inherits its parent's dispositions and signal mask, and a Rust
                // program is not a C one: the runtime ignores SIGPIPE and catches SIGSEGV and
                // SIGBUS (to report stack overflows). Give the signal its default action and
                // unblock it, so that it ends the child as it would end the book's.
                if sig != Signal::SIGKILL {
                    signal_default(sig); // SIGKILL's action cannot be changed, nor needs to be
                }
                let _ = SigSet::from(sig).thread_unblock();
                let _ = raise(sig); // the default action ends the process here
                err_msg(&format!(
                    "raise({sig}) error: the child was not ended by it"
                ));
                _exit(1)
            }
        },
        Ok(ForkResult::Parent { child }) => outln!("forked child {child}: it will {ending}"),
        Err(e) => err_sys("fork", e),
    }
}

/// Block until a line or EOF arrives on standard input.
fn wait_for_line() {
    let stdin = std::io::stdin();
    let mut line = Vec::new();
    if let Err(e) = Readline::new(stdin.as_fd()).readline(&mut line, unp::MAXLINE) {
        err_sys("read", e);
    }
}

/// Call wait until no child is left, and print what each status says.
fn reap_all() {
    loop {
        let mut status: c_int = 0;
        // nix's `wait` decodes the status for us; this calls wait(2) itself to show the raw
        // status word and the macros a C program applies to it.
        // SAFETY: `status` is a valid, writable int for the whole call.
        let pid = unsafe { libc::wait(&mut status) };
        if pid < 0 {
            let e = nix::errno::Errno::last();
            if e == nix::errno::Errno::ECHILD {
                return; // no child left to wait for
            }
            err_sys("wait", e);
        }
        outln!(
            "wait: child {pid}, status 0x{status:04x}: {}",
            decode(status)
        );
    }
}

/// Decode a wait status the way `<sys/wait.h>` does.
fn decode(status: c_int) -> String {
    if libc::WIFEXITED(status) {
        format!("WIFEXITED, WEXITSTATUS = {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let name = Signal::try_from(sig).map_or("?", Signal::as_str);
        let core = if libc::WCOREDUMP(status) { "yes" } else { "no" };
        format!("WIFSIGNALED, WTERMSIG = {sig} ({name}), WCOREDUMP = {core}")
    } else {
        "neither exited nor killed (stopped or continued)".to_string()
    }
}

fn parse_ending(s: &str) -> Result<Ending, String> {
    if let Ok(status) = s.parse::<u8>() {
        return Ok(Ending::Exit(status));
    }
    let sig = s.parse::<Signal>().map_err(|_| {
        format!("`{s}` is neither an exit status (0-255) nor a signal name like SIGTERM")
    })?;
    use Signal::*;
    match sig {
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Err(format!(
            "{sig} stops a process, it does not end it: a stopped child is not a zombie, \
             and wait would block on it forever"
        )),
        SIGCONT => Err(format!(
            "{sig} continues a stopped process, it does not end it"
        )),
        SIGCHLD | SIGURG | SIGWINCH => Err(format!(
            "{sig}'s default action is to ignore it: it does not end a process"
        )),
        _ => Ok(Ending::Killed(sig)),
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exit(status) => write!(f, "exit({status})"),
            Ending::Killed(sig) => write!(f, "be killed by {sig}"),
        }
    }
}

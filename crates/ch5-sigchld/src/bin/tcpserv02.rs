//! tcpserv02: tcpserv01 plus a SIGCHLD handler that calls `wait` once (UNP §5.8, Figure 5.7).
//!
//! Changes from ch5-fork-server's tcpserv01: the `sig_chld` handler, and the line in `main`
//! that installs it. A child that exits is now reaped: no zombie is left, and the handler
//! prints `child N terminated`. Two problems remain, which tcpserv03 and tcpserv04 fix:
//! - with `--no-restart` the handler is installed without SA_RESTART, and the `accept` it
//!   interrupts fails with EINTR: this server then aborts (§5.9);
//! - `wait` reaps one child per signal, and signals are not queued: when five children exit
//!   together, one SIGCHLD may be all the parent gets, and four zombies stay (§5.10).

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use clap::Parser;
use nix::libc::c_int;
use nix::sys::signal::Signal;
use nix::sys::socket::accept;
use nix::sys::wait::wait;
use nix::unistd::{ForkResult, fork};
use unp::{
    _exit, ServerArgs, err_sys, parse_args, sig_write, signal, signal_intr, str_echo, tcp_listen,
};

#[derive(Parser)]
#[command(
    name = "tcpserv02",
    about = "Echo server; SIGCHLD handler calls wait (UNP §5.8)"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Install the SIGCHLD handler without SA_RESTART, so accept fails with EINTR (UNP §5.9)
    #[arg(long)]
    no_restart: bool,
}

fn main() {
    let args: Args = parse_args();
    let listenfd = tcp_listen(&args.server);
    if args.no_restart {
        signal_intr(Signal::SIGCHLD, sig_chld); // as on systems whose signal() does not restart
    } else {
        signal(Signal::SIGCHLD, sig_chld); // must call waitpid() (§5.8)
    }
    serve(listenfd)
}

fn serve(listenfd: OwnedFd) -> ! {
    loop {
        // Unlike the book's, accept(listenfd, NULL, NULL): nothing here uses the client's address.
        let connfd = match accept(listenfd.as_raw_fd()) {
            // SAFETY: accept returned a new descriptor that nothing else owns.
            Ok(fd) => unsafe { OwnedFd::from_raw_fd(fd) },
            Err(e) => err_sys("accept", e),
        };
        // SAFETY: this program has one thread, so the child gets a consistent copy of it.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                drop(listenfd); // close(listenfd): the child does not accept
                str_echo(connfd.as_fd()); // process the request
                _exit(0) // the book's child calls exit(0); _exit is right after fork
            }
            // The parent closes the connected socket: the child holds the connection now,
            // and the kernel sends FIN only when the last descriptor for it is closed (§4.9).
            Ok(ForkResult::Parent { .. }) => drop(connfd), // close(connfd)
            Err(e) => err_sys("fork", e),
        }
    }
}

/// The kernel calls this when a child stops existing as a running process (Figure 5.7).
/// `wait` collects one child's status, which frees its zombie.
extern "C" fn sig_chld(_signo: c_int) {
    if let Ok(status) = wait()
        && let Some(pid) = status.pid()
    {
        sig_write("child ", pid.as_raw().into(), " terminated\n");
    }
}

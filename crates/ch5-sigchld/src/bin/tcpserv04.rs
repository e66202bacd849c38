//! tcpserv04: the final version of the chapter 5 server (UNP §5.10, Figures 5.11 and 5.12).
//!
//! Changes from tcpserv03: `sig_chld` calls `waitpid(-1, WNOHANG)` in a loop instead of `wait`
//! once. Standard signals are not queued: five children that exit together may deliver a single
//! SIGCHLD. One handler call must therefore reap every child that has exited, and WNOHANG
//! stops the loop, instead of blocking, when the only children left are still running.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::libc::c_int;
use nix::sys::signal::Signal;
use nix::sys::socket::accept;
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::{ForkResult, fork};
use unp::{
    _exit, ServerArgs, err_sys, parse_args, sig_write, signal, signal_intr, str_echo, tcp_listen,
};

#[derive(Parser)]
#[command(
    name = "tcpserv04",
    about = "Echo server; SIGCHLD handler loops on waitpid (UNP §5.10)"
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
            Err(Errno::EINTR) => continue, // a handler interrupted accept: back to the for loop
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

/// The kernel calls this when one or more children have ended (Figure 5.11).
/// `waitpid(-1, WNOHANG)` reaps any exited child without blocking; loop until none is left.
extern "C" fn sig_chld(_signo: c_int) {
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG))
        && let Some(pid) = status.pid()
    {
        sig_write("child ", pid.as_raw().into(), " terminated\n");
    }
}

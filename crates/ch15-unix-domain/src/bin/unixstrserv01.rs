//! unixstrserv01: the echo server over a Unix-domain stream socket (UNP §15.6, Figure 15.3).
//!
//! Changes from tcpserv04 (ch5-sigchld): the socket is AF_LOCAL, not AF_INET, and its address
//! is a pathname, not an IP address and a port. bind creates a file at that pathname, and the
//! file outlives the server: so the server removes it first (unlink), or its next run's bind
//! fails with EADDRINUSE. Everything after listen is tcpserv04's, line for line: the same
//! accept, fork, str_echo and SIGCHLD handler work on any stream socket.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::libc::c_int;
use nix::sys::signal::Signal;
use nix::sys::socket::{AddressFamily, Backlog, SockFlag, SockType, accept, bind, listen, socket};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::{ForkResult, fork, unlink};
use unp::{
    _exit, LISTENQ, UNIXSTR_PATH, UnixServerArgs, err_sys, logln, parse_args, sig_write, signal,
    str_echo, unix_addr,
};

#[derive(Parser)]
#[command(
    name = "unixstrserv01",
    about = "Echo server on a Unix-domain stream socket (UNP Figure 15.3)"
)]
struct Args {
    #[command(flatten)]
    server: UnixServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let listenfd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    // The file an earlier run's bind left, if any; OK if there is none.
    let path = args.server.path_or(UNIXSTR_PATH);
    let _ = unlink(&path);
    let servaddr = unix_addr(&path);
    bind(listenfd.as_raw_fd(), &servaddr).unwrap_or_else(|e| err_sys("bind", e));
    let backlog = Backlog::new(LISTENQ).unwrap_or_else(|e| err_sys("listen", e));
    listen(&listenfd, backlog).unwrap_or_else(|e| err_sys("listen", e));
    logln!("bound to {}", path.display());
    signal(Signal::SIGCHLD, sig_chld); // must call waitpid() (§5.8)
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

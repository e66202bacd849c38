//! tcpserv01: the concurrent echo server, one child per client (UNP §5.2, Figure 5.2).
//!
//! The parent only accepts and forks; each child echoes one client with `str_echo` and exits.
//! Nothing waits for the children, so each one that exits stays a zombie (§5.7):
//! the next lesson, ch5-sigchld, fixes that.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use clap::Parser;
use nix::sys::socket::accept;
use nix::unistd::{ForkResult, fork};
use unp::{_exit, ServerArgs, err_sys, parse_args, str_echo, tcp_listen};

#[derive(Parser)]
#[command(
    name = "tcpserv01",
    about = "Echo server: fork one child per client (UNP Figure 5.2)"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let listenfd = tcp_listen(&args.server);
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

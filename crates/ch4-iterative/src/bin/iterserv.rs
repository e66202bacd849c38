//! iterserv: the iterative echo server (UNP §4.5–4.8; the lecture's tcpfirstsrv.c).
//!
//! It accepts one client and echoes it until EOF, and only then calls accept again. Meanwhile
//! the kernel goes on completing handshakes for other clients and queues their connections,
//! data and all, until the server accepts them: at most `--backlog` + 1 of them on Linux.
//! The next lesson, ch5-fork-server, forks a child per client so that none has to wait.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use clap::Parser;
use nix::sys::socket::accept;
use unp::{ServerArgs, err_sys, parse_args, str_echo, tcp_listen};

#[derive(Parser)]
#[command(
    name = "iterserv",
    about = "Echo server: one client at a time (UNP §4.8)"
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
        // Serve this client to the end. Until str_echo returns, nobody calls accept: the next
        // clients' connections wait, complete, in the listen queue.
        str_echo(connfd.as_fd());
        drop(connfd); // close(connfd): the client has sent EOF, so the connection ends here
    }
}

//! tcpcli11: the echo client that writes to a connection the server has reset
//! (UNP §5.13, Figure 5.14 `str_cli11`).
//!
//! Changes from ch5-fork-server's tcpcli01: `str_cli11` writes each line in two parts, the
//! first byte, then the rest. When the server's end is gone, the first write draws an RST from
//! the server's TCP; the second write is to a reset connection, and the kernel sends the
//! process SIGPIPE, whose default action kills it.
//!
//! Two things Rust would otherwise hide: the runtime ignores SIGPIPE before `main`, so `main`
//! restores the default action; and std's socket writes pass MSG_NOSIGNAL, so this client writes
//! with write(2), through `unp::writen`.

use std::os::fd::{AsFd, BorrowedFd};

use clap::Parser;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use unp::{
    ClientArgs, MAXLINE, Readline, err_quit, err_sys, parse_args, signal_default, tcp_connect,
    writen,
};

#[derive(Parser)]
#[command(
    name = "tcpcli11",
    about = "Echo client writing each line in two parts (UNP §5.13)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    signal_default(Signal::SIGPIPE); // as in C: a write to a reset connection kills us
    let sockfd = tcp_connect(&args.client);
    str_cli11(sockfd.as_fd()); // do it all
}

/// The book's `str_cli` with each line written in two parts (Figure 5.14).
fn str_cli11(sockfd: BorrowedFd<'_>) {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input = Readline::new(stdin.as_fd());
    let mut replies = Readline::new(sockfd);
    let mut sendline = Vec::with_capacity(MAXLINE);
    let mut recvline = Vec::with_capacity(MAXLINE);
    loop {
        sendline.clear();
        match input.readline(&mut sendline, MAXLINE) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => err_sys("read", e),
        }
        writen(sockfd, &sendline[..1]).unwrap_or_else(|e| err_sys("write", e));
        wait_for_reset(sockfd);
        writen(sockfd, &sendline[1..]).unwrap_or_else(|e| err_sys("write", e));

        recvline.clear();
        match replies.readline(&mut recvline, sendline.len()) {
            Ok(0) => err_quit("str_cli: server terminated prematurely"),
            Ok(_) => {}
            Err(e) => err_sys("readline", e),
        }
        writen(stdout.as_fd(), &recvline).unwrap_or_else(|e| err_sys("write", e));
    }
}

/// The book sleeps one second here, so that the RST, if one comes, arrives before the second
/// write. This waits at most that second, but returns as soon as the RST is in: poll reports
/// POLLERR (or POLLHUP) on a socket the peer has reset even when no event was asked for.
fn wait_for_reset(sockfd: BorrowedFd<'_>) {
    let mut fds = [PollFd::new(sockfd, PollFlags::empty())];
    if let Err(e) = poll(&mut fds, PollTimeout::from(1000u16)) {
        err_sys("poll", e);
    }
}

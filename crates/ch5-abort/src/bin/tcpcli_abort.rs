//! tcpcli_abort: a client that connects and, at EOF on standard input, aborts the connection
//! with an RST (UNP §5.11, Figure 5.13; SO_LINGER as in §7.5).
//!
//! Changes from ch5-fork-server's tcpcli01: no `str_cli`. After `connect` returns, the
//! three-way handshake is complete, so the server's TCP has queued the connection for `accept`
//! whether or not the server process has called it. The client then waits for EOF on standard
//! input (so that whoever runs it chooses the moment), sets SO_LINGER with `l_onoff` 1 and
//! `l_linger` 0, and closes the socket: instead of the normal FIN, the kernel discards what is
//! unsent and sends an RST, and the connection is aborted, not closed.

use std::os::fd::{AsFd, IntoRawFd, OwnedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::libc::linger;
use nix::sys::socket::{setsockopt, sockopt};
use nix::unistd::{close, read};
use unp::{ClientArgs, MAXLINE, err_sys, parse_args, tcp_connect};

#[derive(Parser)]
#[command(
    name = "tcpcli_abort",
    about = "Connect, wait for EOF on stdin, then abort the connection with an RST \
             (SO_LINGER 0; UNP §5.11)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = tcp_connect(&args.client);
    wait_for_eof();
    abort(sockfd);
}

/// Read standard input until EOF, discarding what is typed: the connection stays open, idle,
/// and queued at the server, until the user (or the runner) closes standard input.
fn wait_for_eof() {
    let stdin = std::io::stdin();
    let mut buf = [0u8; MAXLINE];
    loop {
        match read(stdin.as_fd(), &mut buf) {
            Ok(0) => return,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => err_sys("read", e),
        }
    }
}

/// Close the connection with an RST instead of a FIN (UNP §7.5, "SO_LINGER socket option").
fn abort(sockfd: OwnedFd) {
    // l_onoff 1 with l_linger 0: on close, TCP discards any data still in the send buffer and
    // sends an RST, so the connection skips the normal termination sequence and TIME_WAIT.
    let ling = linger {
        l_onoff: 1,
        l_linger: 0,
    };
    setsockopt(&sockfd, sockopt::Linger, &ling).unwrap_or_else(|e| err_sys("setsockopt", e));
    // close(2) itself, not a drop of the OwnedFd, so that a failure is reported as the book's
    // Close wrapper would report it.
    close(sockfd.into_raw_fd()).unwrap_or_else(|e| err_sys("close", e));
}

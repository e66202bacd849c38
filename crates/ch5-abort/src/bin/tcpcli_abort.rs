//! tcpcli_abort: a client that connects and at once aborts the connection (UNP §5.11,
//! Figure 5.13; SO_LINGER as in §7.5).
//!
//! Changes from ch5-fork-server's tcpcli01: no `str_cli`. After `connect` returns, the
//! three-way handshake is complete, so the server's TCP has queued the connection for `accept`
//! whether or not the server process has called it. The client then sets SO_LINGER with
//! `l_onoff` 1 and `l_linger` 0 and closes the socket: instead of the normal FIN, the kernel
//! discards what is unsent and sends an RST, and the connection is aborted, not closed.

use std::os::fd::{IntoRawFd, OwnedFd};

use clap::Parser;
use nix::libc::linger;
use nix::sys::socket::{setsockopt, sockopt};
use nix::unistd::close;
use unp::{ClientArgs, err_sys, parse_args, tcp_connect};

#[derive(Parser)]
#[command(
    name = "tcpcli_abort",
    about = "Connect, then abort the connection with an RST (SO_LINGER 0; UNP §5.11)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = tcp_connect(&args.client);
    abort(sockfd);
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

//! tcpcli04: an echo client that opens five connections to the server (UNP §5.10, Figure 5.9).
//!
//! It echoes standard input over the first connection only. When it exits, the kernel closes
//! all five sockets at once, five FINs reach the server, and its five children exit at nearly
//! the same moment: the test that shows one SIGCHLD handler call with `wait` is not enough.

use std::os::fd::{AsFd, OwnedFd};

use clap::Parser;
use unp::{ClientArgs, parse_args, str_cli, tcp_connect};

#[derive(Parser)]
#[command(
    name = "tcpcli04",
    about = "Echo client with five connections (UNP Figure 5.9)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd: Vec<OwnedFd> = (0..5).map(|_| tcp_connect(&args.client)).collect();
    str_cli(sockfd[0].as_fd()); // do it all
    // Returning closes all five descriptors: the kernel sends five FINs together.
}

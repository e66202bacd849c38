//! tcpcli01: the echo client (UNP §5.4, Figure 5.4).
//!
//! Connects, then `str_cli` sends each line typed on standard input and prints the echo.
//! At EOF on standard input it returns and the process exits, which closes the socket:
//! the client's end does the active close and so is the one left in TIME_WAIT (§2.7).

use std::os::fd::AsFd;

use clap::Parser;
use unp::{ClientArgs, parse_args, str_cli, tcp_connect};

#[derive(Parser)]
#[command(
    name = "tcpcli01",
    about = "Echo client: stdin to the server, echoes to stdout (UNP Figure 5.4)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = tcp_connect(&args.client);
    str_cli(sockfd.as_fd()); // do it all
}

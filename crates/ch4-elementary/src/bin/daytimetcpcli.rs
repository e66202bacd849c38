//! daytimetcpcli: the book's first client: connect to a daytime server and print what it sends
//! until EOF (UNP §1.2, Figure 1.5), here the client of daytimetcpsrv1 (§4.6).
//!
//! TCP is a byte stream: the reply may arrive in several segments, so the client reads in a
//! loop until read returns 0, which it does when the server has closed the connection.

use std::os::fd::AsFd;

use clap::Parser;
use nix::errno::Errno;
use nix::unistd::read;
use unp::{ClientArgs, MAXLINE, err_sys, parse_args, tcp_connect, writen};

#[derive(Parser)]
#[command(
    name = "daytimetcpcli",
    about = "Daytime client: print what the server sends until EOF (UNP Figure 1.5)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = tcp_connect(&args.client);
    let mut recvline = [0u8; MAXLINE];
    let stdout = std::io::stdout();
    loop {
        match read(sockfd.as_fd(), &mut recvline) {
            Ok(0) => break, // the server closed: EOF
            Ok(n) => writen(stdout.as_fd(), &recvline[..n]).unwrap_or_else(|e| err_sys("write", e)),
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("read", e),
        }
    }
}

//! tcpcli_dos: the malicious client of UNP §6.8, "Denial-of-Service Attacks". The project's own
//! program, not the book's, to play the attack against tcpservselect01 and its fix.
//!
//! Changes from tcpcli01: it never reads the socket. Without `--flood` it does what the book
//! describes: it sends one byte that is not a newline and goes to sleep (here, until EOF on its
//! standard input). With `--flood` it sends without end and never reads the echo, so the echo
//! fills its receive buffer, then the server's send buffer, and a server that writes with a
//! blocking writen sleeps in that write.

use std::os::fd::{AsFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::unistd::read;
use unp::{ClientArgs, MAXLINE, err_sys, parse_args, tcp_connect, writen};

#[derive(Parser)]
#[command(
    name = "tcpcli_dos",
    about = "A client that sends and never reads (UNP §6.8, denial of service)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
    /// Send without end instead of one byte; never read the echo
    #[arg(long)]
    flood: bool,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = tcp_connect(&args.client);
    if args.flood {
        flood(sockfd.as_fd())
    } else {
        one_byte(sockfd.as_fd())
    }
}

/// Send one byte, not a newline, and sleep until standard input ends; then close, with the
/// echo of that byte unread in our receive buffer (so the close sends RST, not FIN).
fn one_byte(sockfd: BorrowedFd<'_>) {
    writen(sockfd, b"x").unwrap_or_else(|e| err_sys("write", e));
    let stdin = std::io::stdin();
    let mut buf = [0u8; MAXLINE];
    loop {
        match read(stdin.as_fd(), &mut buf) {
            Ok(0) => return,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => err_sys("read", e),
        }
    }
}

/// Send MAXLINE bytes at a time until the kernel stops taking them, and then sleep in write.
fn flood(sockfd: BorrowedFd<'_>) -> ! {
    let buf = [b'x'; MAXLINE];
    loop {
        writen(sockfd, &buf).unwrap_or_else(|e| err_sys("write", e));
    }
}

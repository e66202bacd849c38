//! udpserv01: the UDP echo server (UNP §8.3–8.4, Figures 8.3 and 8.4).
//!
//! Changes from chatserv (ch8-udp-chat): no list of clients; `dg_echo` sends each datagram back
//! to the address it came from, whoever sent it. One socket and one process serve every client:
//! the kernel queues their datagrams in the socket's one receive buffer, in arrival order, and
//! the server answers them one at a time, an iterative server (§8.3).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, SockaddrIn, recvfrom, sendto};
use unp::{MAXLINE, ServerArgs, err_sys, parse_args, udp_bind};

#[derive(Parser)]
#[command(name = "udpserv01", about = "UDP echo server (UNP Figure 8.3)")]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = udp_bind(&args.server);
    dg_echo(sockfd.as_fd())
}

/// Read a datagram, send it back to its sender, forever (Figure 8.4).
///
/// The buffer is the book's MAXLINE: a bigger datagram is cut to its first MAXLINE bytes and
/// the rest discarded by the kernel (recvfrom does not say so without MSG_TRUNC), so only those
/// come back. dg_cli never sends more than MAXLINE bytes at once.
fn dg_echo(sockfd: BorrowedFd<'_>) -> ! {
    let fd = sockfd.as_raw_fd();
    let mut mesg = vec![0u8; MAXLINE];
    loop {
        let (n, cliaddr) = match recvfrom::<SockaddrIn>(fd, &mut mesg) {
            Ok((n, Some(from))) => (n, from),
            Ok((_, None)) => continue, // no sender address: nobody to answer
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        };
        sendto(fd, &mesg[..n], &cliaddr, MsgFlags::empty())
            .unwrap_or_else(|e| err_sys("sendto", e));
    }
}

//! udpserv01: the UDP echo server (UNP §8.3–8.4, Figures 8.3 and 8.4).
//!
//! Changes from chatserv (ch8-udp-chat): no list of clients; `dg_echo` sends each datagram back
//! to the address it came from, whoever sent it. One socket and one process serve every client:
//! the kernel queues their datagrams in the socket's one receive buffer, in arrival order, and
//! the server answers them one at a time, an iterative server (§8.3).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, SockaddrIn, sendto};
use unp::{MAXLINE, ServerArgs, err_msg, err_sys, parse_args, recvfrom_flags, udp_bind};

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
/// the rest discarded by the kernel, so only those come back, as in the book. The book's
/// recvfrom does not say so; with MSG_TRUNC it returns the datagram's real length, and the cut
/// is reported on stderr. dg_cli never sends more than MAXLINE bytes at once.
fn dg_echo(sockfd: BorrowedFd<'_>) -> ! {
    let fd = sockfd.as_raw_fd();
    let mut mesg = vec![0u8; MAXLINE];
    loop {
        // MSG_TRUNC: the datagram's real length, even if only MAXLINE bytes fit in mesg.
        let got = recvfrom_flags::<SockaddrIn>(sockfd, &mut mesg, MsgFlags::MSG_TRUNC);
        let (n, cliaddr) = match got {
            Ok((n, Some(from))) => (n, from),
            Ok((_, None)) => continue, // no sender address: nobody to answer
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        };
        if n > MAXLINE {
            err_msg(&format!(
                "dg_echo: datagram of {n} bytes truncated to {MAXLINE}"
            ));
        }
        let n = n.min(MAXLINE);
        sendto(fd, &mesg[..n], &cliaddr, MsgFlags::empty())
            .unwrap_or_else(|e| err_sys("sendto", e));
    }
}

//! unixdgserv01: the echo server over a Unix-domain datagram socket (UNP §15.6, Figure 15.5).
//!
//! Changes from udpserv01 (ch8-udp-echo): the socket is AF_LOCAL, bound to a pathname (removed
//! first, as for the stream server), and each datagram's sender is a pathname too. `dg_echo` is
//! the same: it answers the address recvfrom gives. A client that did not bind a pathname has
//! none to give, and cannot be answered.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr, bind, sendto, socket,
};
use nix::unistd::unlink;
use unp::{
    MAXLINE, UNIXDG_PATH, UnixServerArgs, err_msg, err_sys, logln, parse_args, recvfrom_flags,
    unix_addr,
};

#[derive(Parser)]
#[command(
    name = "unixdgserv01",
    about = "Echo server on a Unix-domain datagram socket (UNP Figure 15.5)"
)]
struct Args {
    #[command(flatten)]
    server: UnixServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = socket(
        AddressFamily::Unix,
        SockType::Datagram,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let path = args.server.path_or(UNIXDG_PATH);
    let _ = unlink(&path); // the file an earlier run left, if any
    bind(sockfd.as_raw_fd(), &unix_addr(&path)).unwrap_or_else(|e| err_sys("bind", e));
    logln!("bound to {}", path.display());
    dg_echo(sockfd.as_fd())
}

/// Read a datagram, send it back to its sender, forever (Figure 8.4).
///
/// The buffer is the book's MAXLINE: a bigger datagram is cut to its first MAXLINE bytes and
/// the rest discarded by the kernel, so only those come back, as in the book. The book's
/// recvfrom does not say so; with MSG_TRUNC it returns the datagram's real length, and the cut
/// is reported on stderr.
fn dg_echo(sockfd: BorrowedFd<'_>) -> ! {
    let fd = sockfd.as_raw_fd();
    let mut mesg = vec![0u8; MAXLINE];
    loop {
        // MSG_TRUNC: the datagram's real length, even if only MAXLINE bytes fit in mesg.
        let got = recvfrom_flags::<UnixAddr>(sockfd, &mut mesg, MsgFlags::MSG_TRUNC);
        let (n, cliaddr) = match got {
            // An unbound sender's address is empty: no pathname to send the echo to.
            Ok((n, Some(from))) if from.path().is_some() => (n, from),
            Ok(_) => continue,
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

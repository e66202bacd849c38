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
    AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr, bind, recvfrom, sendto, socket,
};
use nix::unistd::unlink;
use unp::{MAXLINE, UNIXDG_PATH, UnixServerArgs, err_sys, parse_args, unix_addr};

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
    println!("bound to {}", path.display());
    dg_echo(sockfd.as_fd())
}

/// Read a datagram, send it back to its sender, forever (Figure 8.4).
///
/// The buffer is the book's MAXLINE: a bigger datagram is cut to its first MAXLINE bytes.
fn dg_echo(sockfd: BorrowedFd<'_>) -> ! {
    let fd = sockfd.as_raw_fd();
    let mut mesg = vec![0u8; MAXLINE];
    loop {
        let (n, cliaddr) = match recvfrom::<UnixAddr>(fd, &mut mesg) {
            // An unbound sender's address is empty: no pathname to send the echo to.
            Ok((n, Some(from))) if from.path().is_some() => (n, from),
            Ok(_) => continue,
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        };
        sendto(fd, &mesg[..n], &cliaddr, MsgFlags::empty())
            .unwrap_or_else(|e| err_sys("sendto", e));
    }
}

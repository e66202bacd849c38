//! udpserv_stray: an echo server with a stray sender beside it, for UNP §8.8.
//!
//! Changes from udpserv01: before each echo, a second socket, bound to another port, sends the
//! client a datagram of its own (`not from the server`). It stands for any process that
//! learns a client's ephemeral port and writes to it: the client's socket takes datagrams from
//! anyone. udpcli01 prints the stray one as the echo; udpcli02 checks the sender and ignores it.

use std::net::SocketAddrV4;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockType, SockaddrIn, bind, getsockname, recvfrom, sendto,
    socket,
};
use unp::{MAXLINE, ServerArgs, err_sys, parse_args, udp_bind};

#[derive(Parser)]
#[command(
    name = "udpserv_stray",
    about = "UDP echo server whose echo a stray datagram precedes"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = udp_bind(&args.server);
    // The stray sender: the same address, any other port. It is not announced with `bound to`.
    let stray = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let local: SockaddrIn =
        getsockname(sockfd.as_raw_fd()).unwrap_or_else(|e| err_sys("getsockname", e));
    let any = SockaddrIn::from(SocketAddrV4::new(local.ip(), 0));
    bind(stray.as_raw_fd(), &any).unwrap_or_else(|e| err_sys("bind", e));
    dg_echo(sockfd.as_fd(), stray.as_fd())
}

/// Read a datagram; send the stray datagram to its sender, then the echo (Figure 8.4).
fn dg_echo(sockfd: BorrowedFd<'_>, stray: BorrowedFd<'_>) -> ! {
    let fd = sockfd.as_raw_fd();
    let mut mesg = vec![0u8; MAXLINE];
    loop {
        let (n, cliaddr) = match recvfrom::<SockaddrIn>(fd, &mut mesg) {
            Ok((n, Some(from))) => (n, from),
            Ok((_, None)) => continue, // no sender address: nobody to answer
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        };
        sendto(
            stray.as_raw_fd(),
            b"not from the server\n",
            &cliaddr,
            MsgFlags::empty(),
        )
        .unwrap_or_else(|e| err_sys("sendto", e));
        sendto(fd, &mesg[..n], &cliaddr, MsgFlags::empty())
            .unwrap_or_else(|e| err_sys("sendto", e));
    }
}

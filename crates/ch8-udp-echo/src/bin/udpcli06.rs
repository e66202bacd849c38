//! udpcli06: a UDP client that floods the server (UNP §8.13, Figure 8.19).
//!
//! Changes from udpcli01: `dg_cli` reads no input and waits for no reply: it sends NDG
//! datagrams of DGLEN bytes as fast as sendto goes, then ends. UDP has no flow control: nothing
//! slows the sender down to the pace of a receiver that is slow, or not reading at all, and
//! the datagrams its socket buffer cannot take are dropped by the receiving kernel.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::sys::socket::{AddressFamily, MsgFlags, SockFlag, SockType, SockaddrIn, sendto, socket};
use unp::{ClientArgs, err_sys, outln, parse_args};

/// How many datagrams to send, and how big each is, as the book's dgcliloop1.c.
const NDG: usize = 2000;
const DGLEN: usize = 1400;

#[derive(Parser)]
#[command(
    name = "udpcli06",
    about = "UDP client sending 2000 datagrams (UNP Figure 8.19)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    dg_cli(sockfd.as_fd(), &args.client.servaddr());
}

/// Send NDG datagrams of DGLEN bytes to the server, and say so (Figure 8.19).
fn dg_cli(sockfd: BorrowedFd<'_>, servaddr: &SockaddrIn) {
    let fd = sockfd.as_raw_fd();
    let sendline = [0u8; DGLEN];
    for _ in 0..NDG {
        // Every sendto succeeds: the datagram leaves the client; whether anyone takes it is
        // the receiving kernel's business, and it tells nobody.
        sendto(fd, &sendline, servaddr, MsgFlags::empty()).unwrap_or_else(|e| err_sys("sendto", e));
    }
    outln!("sent {NDG} datagrams of {DGLEN} bytes");
}

//! unixstrcli01: the echo client over a Unix-domain stream socket (UNP §15.6, Figure 15.4).
//!
//! Changes from tcpcli01 (ch5-fork-server): the socket is AF_LOCAL and connects to a pathname.
//! No port, no handshake on a wire: the kernel joins the two sockets directly. A pathname with
//! no file gives ENOENT; a file with no listening socket behind it, ECONNREFUSED (§15.4).
//! `str_cli` is the same: the echo over a Unix-domain socket reads like the one over TCP.

use std::os::fd::{AsFd, AsRawFd};

use clap::Parser;
use nix::sys::socket::{AddressFamily, SockFlag, SockType, connect, socket};
use unp::{UNIXSTR_PATH, UnixClientArgs, err_sys, parse_args, str_cli, unix_addr};

#[derive(Parser)]
#[command(
    name = "unixstrcli01",
    about = "Echo client on a Unix-domain stream socket (UNP Figure 15.4)"
)]
struct Args {
    #[command(flatten)]
    client: UnixClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let servaddr = unix_addr(&args.client.path_or(UNIXSTR_PATH));
    connect(sockfd.as_raw_fd(), &servaddr).unwrap_or_else(|e| err_sys("connect", e));
    str_cli(sockfd.as_fd()); // do it all
}

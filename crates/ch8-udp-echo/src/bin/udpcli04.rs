//! udpcli04: the UDP echo client on a connected socket (UNP §8.11, Figure 8.17).
//!
//! Changes from udpcli01: `dg_cli` connects the UDP socket to the server first, then uses write
//! and read instead of sendto and recvfrom. No packet goes out at connect: the kernel only
//! records the peer. But now the socket takes datagrams from that peer only, and an ICMP error
//! for what it sent (port unreachable: no server) is reported to it: read fails with
//! ECONNREFUSED, which an unconnected socket is never told (§8.9).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrIn, connect, setsockopt, socket, sockopt,
};
use nix::sys::time::{TimeVal, TimeValLike};
use nix::unistd::{read, write};
use unp::{ClientArgs, MAXLINE, Readline, err_msg, err_sys, parse_args, writen};

#[derive(Parser)]
#[command(
    name = "udpcli04",
    about = "UDP echo client on a connected socket (UNP Figure 8.17)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
    /// Give up waiting for a reply after SECS seconds (SO_RCVTIMEO, UNP §14.2)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u32).range(1..))]
    timeout: Option<u32>,
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
    if let Some(secs) = args.timeout {
        // recvfrom then fails with EWOULDBLOCK when nothing has come for SECS (Figure 14.5).
        let tv = TimeVal::seconds(secs.into());
        setsockopt(&sockfd, sockopt::ReceiveTimeout, &tv)
            .unwrap_or_else(|e| err_sys("setsockopt", e));
    }
    dg_cli(sockfd.as_fd(), &args.client.servaddr());
}

/// Connect, then send each line of standard input to the server and print the datagram that
/// comes back (Figure 8.17). Returns at EOF.
///
/// The book sends `strlen(sendline)` bytes, which stops at a NUL byte; this sends every byte
/// read, so binary input comes back unchanged. A line longer than MAXLINE goes as several
/// datagrams of MAXLINE bytes, as fgets hands it out in pieces.
fn dg_cli(sockfd: BorrowedFd<'_>, servaddr: &SockaddrIn) {
    let fd = sockfd.as_raw_fd();
    connect(fd, servaddr).unwrap_or_else(|e| err_sys("connect", e));
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input = Readline::new(stdin.as_fd());
    let mut sendline = Vec::with_capacity(MAXLINE);
    let mut recvline = vec![0u8; MAXLINE];
    loop {
        sendline.clear();
        match input.readline(&mut sendline, MAXLINE) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => err_sys("read", e),
        }
        write(sockfd, &sendline).unwrap_or_else(|e| err_sys("write", e));
        // Only the server's datagrams reach a connected socket: no address to check.
        let n = loop {
            match read(sockfd, &mut recvline) {
                Ok(n) => break Some(n),
                Err(Errno::EINTR) => continue,
                Err(Errno::EWOULDBLOCK) => break None, // SO_RCVTIMEO expired
                // ECONNREFUSED: the ICMP port unreachable, which a connected socket is told of.
                Err(e) => err_sys("read", e),
            }
        };
        match n {
            Some(n) => {
                writen(stdout.as_fd(), &recvline[..n]).unwrap_or_else(|e| err_sys("write", e))
            }
            None => err_msg("socket timeout"),
        }
    }
}

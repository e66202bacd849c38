//! udpcli02: the UDP echo client that verifies who replied (UNP §8.8, Figure 8.9).
//!
//! Changes from udpcli01: `dg_cli` asks recvfrom for the sender's address and compares it with
//! the server's. Any process that learns the client's ephemeral port can send it a datagram,
//! and udpcli01 would print it as the echo; this one prints `reply from ADDR:PORT (ignored)`
//! and waits on for the server's own reply.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockType, SockaddrIn, recvfrom, sendto, setsockopt, socket,
    sockopt,
};
use nix::sys::time::{TimeVal, TimeValLike};
use unp::{ClientArgs, MAXLINE, Readline, err_msg, err_sys, outln, parse_args, writen};

#[derive(Parser)]
#[command(
    name = "udpcli02",
    about = "UDP echo client that checks who replied (UNP Figure 8.9)"
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

/// Send each line of standard input to the server, print the datagram that comes back from
/// the server's address, ignore any other (Figure 8.9). Returns at EOF.
///
/// The book sends `strlen(sendline)` bytes, which stops at a NUL byte; this sends every byte
/// read, so binary input comes back unchanged. A line longer than MAXLINE goes as several
/// datagrams of MAXLINE bytes, as fgets hands it out in pieces.
fn dg_cli(sockfd: BorrowedFd<'_>, servaddr: &SockaddrIn) {
    let fd = sockfd.as_raw_fd();
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
        sendto(fd, &sendline, servaddr, MsgFlags::empty()).unwrap_or_else(|e| err_sys("sendto", e));
        // The book's `continue` after an ignored reply goes back to fgets, so the server's own
        // reply, still queued, is then taken as the reply to the next line; this reads again.
        let n = loop {
            match recvfrom::<SockaddrIn>(fd, &mut recvline) {
                Ok((_, Some(reply_addr))) if reply_addr != *servaddr => {
                    outln!("reply from {reply_addr} (ignored)");
                }
                Ok((n, _)) => break Some(n),
                Err(Errno::EINTR) => continue,
                Err(Errno::EWOULDBLOCK) => break None, // SO_RCVTIMEO expired
                Err(e) => err_sys("recvfrom", e),
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

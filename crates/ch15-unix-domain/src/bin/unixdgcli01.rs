//! unixdgcli01: the echo client over a Unix-domain datagram socket (UNP §15.6, Figure 15.6).
//!
//! Changes from udpcli01 (ch8-udp-echo): the socket is AF_LOCAL and the server a pathname. And
//! the client binds a pathname of its own first: a UDP socket gets a port at its first sendto,
//! but a Unix-domain datagram socket gets no name, and the server would have nowhere to send
//! the echo (`--no-bind` shows it). The book binds tmpnam()'s name; this one binds
//! `unixdgcli01.PID` beside the server's pathname, and removes it at EOF.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr, bind, recvfrom, sendto, setsockopt,
    socket, sockopt,
};
use nix::sys::time::{TimeVal, TimeValLike};
use nix::unistd::unlink;
use unp::{
    MAXLINE, Readline, UNIXDG_PATH, UnixClientArgs, err_msg, err_sys, parse_args, unix_addr, writen,
};

#[derive(Parser)]
#[command(
    name = "unixdgcli01",
    about = "Echo client on a Unix-domain datagram socket (UNP Figure 15.6)"
)]
struct Args {
    #[command(flatten)]
    client: UnixClientArgs,
    /// Do not bind a pathname first: the server cannot answer
    #[arg(long)]
    no_bind: bool,
    /// Give up waiting for a reply after SECS seconds (SO_RCVTIMEO, UNP §14.2)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u32).range(1..))]
    timeout: Option<u32>,
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
    if let Some(secs) = args.timeout {
        // recvfrom then fails with EWOULDBLOCK when nothing has come for SECS (Figure 14.5).
        let tv = TimeVal::seconds(secs.into());
        setsockopt(&sockfd, sockopt::ReceiveTimeout, &tv)
            .unwrap_or_else(|e| err_sys("setsockopt", e));
    }
    let servpath = args.client.path_or(UNIXDG_PATH);
    let clipath = servpath.with_file_name(format!("unixdgcli01.{}", std::process::id()));
    if !args.no_bind {
        // A client killed before its unlink below left its name behind; a later client with
        // the same pid must not fail on it (the servers unlink before bind for the same reason).
        let _ = unlink(&clipath);
        bind(sockfd.as_raw_fd(), &unix_addr(&clipath)).unwrap_or_else(|e| err_sys("bind", e));
    }
    dg_cli(sockfd.as_fd(), &unix_addr(&servpath));
    if !args.no_bind {
        let _ = unlink(&clipath); // the book leaves its tmpnam() file behind
    }
}

/// Send each line of standard input to the server, print the datagram that comes back
/// (Figure 8.8). Returns at EOF.
///
/// The book sends `strlen(sendline)` bytes, which stops at a NUL byte; this sends every byte
/// read, so binary input comes back unchanged. A line longer than MAXLINE goes as several
/// datagrams of MAXLINE bytes, as fgets hands it out in pieces.
fn dg_cli(sockfd: BorrowedFd<'_>, servaddr: &UnixAddr) {
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
        // NULL, NULL in the book: whoever sent the datagram, it is taken as the reply.
        let n = loop {
            match recvfrom::<UnixAddr>(fd, &mut recvline) {
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

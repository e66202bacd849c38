//! bindtable: the four ways to call bind, and what getsockname says after bind and after
//! connect (UNP §4.4, Figure 4.6; §4.10).
//!
//! | address  | port    | bind gives                         |
//! |----------|---------|------------------------------------|
//! | wildcard | 0       | the kernel chooses address and port |
//! | wildcard | nonzero | the kernel chooses the address      |
//! | local IP | 0       | the kernel chooses the port         |
//! | local IP | nonzero | the process chooses both            |
//!
//! plus a fifth socket that is never bound, which connect binds. One socket per row, each
//! connected to the server: the port a row gets is fixed at bind (or at connect, unbound),
//! but a wildcard address is replaced by a real one only at connect, from the route to the
//! server. The sockets stay open until EOF on standard input; then each is read to its EOF
//! and closed.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use ch4_elementary::{next_line, sock_ntop};
use clap::Parser;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, getsockname, socket,
};
use nix::unistd::{close, read};
use unp::{ClientArgs, MAXLINE, err_sys, outln, parse_args};

#[derive(Parser)]
#[command(
    name = "bindtable",
    about = "Bind four sockets as UNP Figure 4.6 (wildcard or local address, port 0 or given), \
             a fifth not at all, and connect them all"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
    /// This host's own address, for the rows that bind a local IP address
    #[arg(long)]
    local: Ipv4Addr,
    /// The port the "nonzero port" rows bind (this one and the next); below the ephemeral
    /// range (32768 and up by default), so that the rows binding port 0 cannot take it first
    #[arg(long, default_value_t = 20000)]
    #[arg(value_parser = clap::value_parser!(u16).range(1..65535))]
    lport: u16,
}

fn main() {
    let args: Args = parse_args();
    let servaddr = args.client.servaddr();
    let any = Ipv4Addr::UNSPECIFIED;
    let rows = [
        Some((any, 0)),
        Some((any, args.lport)),
        Some((args.local, 0)),
        Some((args.local, args.lport + 1)),
        None,
    ];
    let socks: Vec<OwnedFd> = rows.iter().map(|row| one_row(*row, &servaddr)).collect();
    // Hold the connections open, so that netstat shows them, until EOF.
    while next_line().is_some() {}
    for sockfd in socks {
        let fd = sockfd.as_raw_fd();
        // Read what the daytime server sent, to its EOF: closing a socket with unread bytes
        // makes Linux send an RST instead of a FIN (RFC 2525), which would muddle the ending.
        let mut buf = [0u8; MAXLINE];
        while read(sockfd.as_fd(), &mut buf).unwrap_or_else(|e| err_sys("read", e)) > 0 {}
        close(sockfd).unwrap_or_else(|e| err_sys("close", e));
        outln!("close({fd})");
    }
}

/// socket, bind as the row says (or not at all), connect; print getsockname after each.
fn one_row(row: Option<(Ipv4Addr, u16)>, servaddr: &SockaddrIn) -> OwnedFd {
    let sockfd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let fd = sockfd.as_raw_fd();
    let bound = match row {
        Some((addr, port)) => {
            let myaddr = SockaddrIn::from(SocketAddrV4::new(addr, port));
            bind(fd, &myaddr).unwrap_or_else(|e| err_sys("bind", e));
            format!("bind({fd}, {}): local {}", sock_ntop(&myaddr), local(fd))
        }
        None => format!("no bind({fd}):  local {}", local(fd)),
    };
    connect(fd, servaddr).unwrap_or_else(|e| err_sys("connect", e));
    outln!("{bound}; after connect: local {}", local(fd));
    sockfd
}

/// The socket's local address, as getsockname returns it.
fn local(fd: i32) -> String {
    let addr: SockaddrIn = getsockname(fd).unwrap_or_else(|e| err_sys("getsockname", e));
    sock_ntop(&addr)
}

//! stepcli: the book's TCP client calls, one per line typed (UNP §4.2–4.4, §4.10).
//!
//! Type `socket`, optionally `bind`, then `connect`; after each, getsockname shows the local
//! address the socket has. Without `bind`, connect binds it (an ephemeral port, and the address
//! of the interface the route to the server goes out of). With `bind` to the wildcard address,
//! the port is fixed at bind but the address only at connect (§4.4). After connect every line
//! typed is sent to the server; EOF (Ctrl-D) closes the socket.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd};

use ch4_elementary::{next_command, next_line, sock_ntop, wait_for};
use clap::Parser;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, getpeername, getsockname, socket,
};
use nix::unistd::close;
use unp::{ClientArgs, err_msg, err_sys, outln, parse_args, writen};

#[derive(Parser)]
#[command(
    name = "stepcli",
    about = "TCP client making one call per line typed: socket, [bind,] connect, then lines \
             to send (UNP §4.2-4.4)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
    /// The local address `bind` binds (the wildcard address by default)
    #[arg(long, default_value_t = Ipv4Addr::UNSPECIFIED)]
    bind: Ipv4Addr,
    /// The local port `bind` binds (0: the kernel chooses one)
    #[arg(long, default_value_t = 0)]
    lport: u16,
}

fn main() {
    let args: Args = parse_args();
    let servaddr = args.client.servaddr();
    if !wait_for("socket") {
        return;
    }
    let sockfd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let fd = sockfd.as_raw_fd();
    outln!("socket() = {fd}: local address {}", local(fd));

    let mut call = next_command();
    if let Some(("bind", _)) = call.as_ref().map(|(c, r)| (c.as_str(), r)) {
        let myaddr = SockaddrIn::from(SocketAddrV4::new(args.bind, args.lport));
        bind(fd, &myaddr).unwrap_or_else(|e| err_sys("bind", e));
        outln!(
            "bind({fd}, {}): local address {}",
            sock_ntop(&myaddr),
            local(fd)
        );
        call = next_command();
    }
    while call.as_ref().is_some_and(|(c, _)| c != "connect") {
        err_msg("next call is connect (or bind); type `connect`");
        call = next_command();
    }
    if call.is_none() {
        return;
    }
    // The three-way handshake happens inside connect: it returns when the server's SYN-ACK
    // has come and the ACK has gone, whether or not the server has called accept (§4.3).
    connect(fd, &servaddr).unwrap_or_else(|e| err_sys("connect", e));
    let peer: SockaddrIn = getpeername(fd).unwrap_or_else(|e| err_sys("getpeername", e));
    outln!(
        "connect({fd}, {}): local address {}",
        sock_ntop(&peer),
        local(fd)
    );

    // Each line typed is sent as it is, newline included.
    while let Some(line) = next_line() {
        let line = format!("{line}\n");
        writen(sockfd.as_fd(), line.as_bytes()).unwrap_or_else(|e| err_sys("write", e));
        outln!("write({fd}) = {}", line.len());
    }
    close(sockfd).unwrap_or_else(|e| err_sys("close", e)); // the book's Close(sockfd)
    outln!("close({fd})");
}

/// The socket's local address, as getsockname returns it.
fn local(fd: i32) -> String {
    let addr: SockaddrIn = getsockname(fd).unwrap_or_else(|e| err_sys("getsockname", e));
    sock_ntop(&addr)
}

//! Opening the sockets: what every server and client of chapters 4 and 5 does before its
//! real work (UNP Figures 5.2 and 5.4), gathered in one place as the book later does with
//! `tcp_listen` (§11.13) and `tcp_connect` (§11.12).

use std::mem::MaybeUninit;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, Backlog, MsgFlags, SockFlag, SockType, SockaddrIn, SockaddrLike, bind, connect,
    getsockname, listen, setsockopt, socket, sockopt,
};

use crate::{ClientArgs, ServerArgs, err_sys};

/// socket, bind, listen; then print `listening on ADDR:PORT` with the port the kernel gave.
///
/// Unlike the book's tcpserv01 (Figure 5.2), which calls bind straight after socket, this sets
/// SO_REUSEADDR first, as the book's own `tcp_listen` (§11.13) and every server of §7.5 do.
pub fn tcp_listen(args: &ServerArgs) -> OwnedFd {
    let listenfd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    // SO_REUSEADDR lets a restarted server bind its port while connections of its previous
    // run are still in TIME_WAIT (UNP §7.5). It does not let two servers listen on one port.
    setsockopt(&listenfd, sockopt::ReuseAddr, &true).unwrap_or_else(|e| err_sys("setsockopt", e));
    bind_and_announce(&listenfd, args, "listening on", || {
        let backlog = Backlog::new(args.backlog).unwrap_or_else(|e| err_sys("listen", e));
        listen(&listenfd, backlog).unwrap_or_else(|e| err_sys("listen", e));
    });
    listenfd
}

/// socket, bind for UDP (UNP §8.3): a datagram server has no listen and no accept; every
/// client's datagrams arrive on this one socket. Prints `bound to ADDR:PORT`: UDP does not
/// listen, and a student reading `listening on` would look for a LISTEN socket in netstat.
pub fn udp_bind(args: &ServerArgs) -> OwnedFd {
    let sockfd = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    bind_and_announce(&sockfd, args, "bound to", || {});
    sockfd
}

/// bind, then `then` (listen, for TCP), then print `what` and the address the kernel bound.
fn bind_and_announce(fd: &OwnedFd, args: &ServerArgs, what: &str, then: impl FnOnce()) {
    let servaddr = SockaddrIn::from(SocketAddrV4::new(args.bind, args.port));
    bind(fd.as_raw_fd(), &servaddr).unwrap_or_else(|e| err_sys("bind", e));
    then();
    // With --port 0 the kernel chose the port: getsockname tells which (UNP §4.10).
    let local: SockaddrIn =
        getsockname(fd.as_raw_fd()).unwrap_or_else(|e| err_sys("getsockname", e));
    crate::logln!("{what} {}:{}", local.ip(), local.port());
}

/// socket, connect: the book's client opening (Figure 5.4).
pub fn tcp_connect(args: &ClientArgs) -> OwnedFd {
    let sockfd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let servaddr = args.servaddr();
    connect(sockfd.as_raw_fd(), &servaddr).unwrap_or_else(|e| err_sys("connect", e));
    sockfd
}

/// `recvfrom(fd, buf, flags)`: nix's recvfrom takes no flags, and a datagram server needs
/// MSG_TRUNC. With it, Linux returns the datagram's real length, even when it is longer than
/// `buf` and only `buf.len()` bytes were stored: the caller can see what was cut (recv(2)).
pub fn recvfrom_flags<T: SockaddrLike>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: MsgFlags,
) -> nix::Result<(usize, Option<T>)> {
    let mut from = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `buf` is valid for `buf.len()` bytes; `from` and `len` live across the call, and
    // `len` says how many bytes the kernel may write into `from`.
    let n = unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags.bits(),
            from.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let n = Errno::result(n)?;
    // SAFETY: the kernel wrote `len` bytes of the sender's address into `from` (zeroed first).
    let from = unsafe { T::from_raw(from.as_ptr().cast(), Some(len)) };
    Ok((n as usize, from))
}

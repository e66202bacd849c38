//! The kernel's TCP and UDP socket tables, asked for over netlink (NETLINK_SOCK_DIAG): the
//! interface `ss` uses, read here directly, without running `ss`.
//!
//! Why not /proc/net/tcp, the file netstat reads? The kernel writes that file about a page
//! (some 27 rows) per read(2), and for the next read finds its place again by counting rows.
//! When sockets come or go in between (another scenario, a test running in parallel), rows are
//! repeated or skipped. With eight scenarios running at once, 68 of 610 reads of /proc/net/tcp
//! held a repeated row, and a scenario once counted one connection four times. A netlink dump
//! walks the same hash table a bucket at a time, under the bucket's lock, and hands it over in
//! messages of up to 32 KiB; `ss` read at the same time held no repeated row.
//!
//! The request and the replies are C structs (linux/netlink.h, linux/inet_diag.h). They are
//! written and read here byte by byte at their documented offsets, so no unsafe code is needed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, recv, send, socket,
};

/// One socket, as the kernel describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sock {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The TCP state's number, an index of `TCP_STATE_NAMES`. A UDP socket is ESTABLISHED
    /// when it is connected, CLOSE when not.
    pub state: u8,
    /// Bytes received and not yet read; for a listening socket, the connections waiting
    /// for accept.
    pub recv_q: u32,
    /// Bytes sent and not yet acknowledged; for a listening socket, the backlog's limit.
    pub send_q: u32,
    /// The inode that /proc/PID/fd/N names (`socket:[inode]`); 0 when no process holds the
    /// socket (TIME_WAIT).
    pub inode: u64,
    /// The kernel's number for this socket, never reused while the system runs; a connection's
    /// TIME_WAIT keeps it. Two sockets with the same addresses, one after the other, differ
    /// here. 0 where it is not known (read from /proc/net).
    pub cookie: u64,
}

/// netstat's names for the TCP states, indexed by their number (include/net/tcp_states.h).
/// 12 is the kernel's NEW_SYN_RECV, a connection still being set up: netstat calls it SYN_RECV.
pub const TCP_STATE_NAMES: [&str; 13] = [
    "", // no state 0
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
    "SYN_RECV",
];

/// The name of TCP state `state`.
pub fn tcp_state_name(state: u8) -> &'static str {
    TCP_STATE_NAMES
        .get(usize::from(state))
        .copied()
        .unwrap_or("?")
}

const SOCK_DIAG_BY_FAMILY: u16 = 20; // the request's type (linux/sock_diag.h)
const NLMSG_HDRLEN: usize = 16; // struct nlmsghdr
const REQ_LEN: usize = 56; // struct inet_diag_req_v2
const MSG_LEN: usize = 72; // struct inet_diag_msg

/// Every socket of `protocol` (IPPROTO_TCP or IPPROTO_UDP) in `family` (AF_INET or AF_INET6).
pub fn dump(family: i32, protocol: i32) -> std::io::Result<Vec<Sock>> {
    Diag::open()?.dump(family, protocol)
}

/// A NETLINK_SOCK_DIAG socket, bound for good to the network namespace it was opened in.
pub struct Diag(std::os::fd::OwnedFd);

impl Diag {
    pub fn open() -> std::io::Result<Diag> {
        Ok(Diag(socket(
            AddressFamily::Netlink,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )?))
    }

    pub fn dump(&self, family: i32, protocol: i32) -> std::io::Result<Vec<Sock>> {
        Ok(dump_on(&self.0, family, protocol)?)
    }
}

fn dump_on(fd: &std::os::fd::OwnedFd, family: i32, protocol: i32) -> nix::Result<Vec<Sock>> {
    let mut req = Vec::with_capacity(NLMSG_HDRLEN + REQ_LEN);
    // struct nlmsghdr: length, type, flags, sequence number, port id (0: the kernel).
    req.extend((NLMSG_HDRLEN as u32 + REQ_LEN as u32).to_ne_bytes());
    req.extend(SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req.extend(((libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16).to_ne_bytes());
    req.extend([0; 8]);
    // struct inet_diag_req_v2: family, protocol, no extensions, padding, every state (a bit
    // per state), and an all-zero struct inet_diag_sockid, which matches every socket.
    req.extend([family as u8, protocol as u8, 0, 0]);
    req.extend(u32::MAX.to_ne_bytes());
    req.extend([0; 48]);
    send(fd.as_raw_fd(), &req, MsgFlags::empty())?;

    // The kernel answers with messages of one struct inet_diag_msg each, batched into
    // datagrams of up to 32 KiB, and ends with NLMSG_DONE.
    let mut socks = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty())?;
        let mut rest = &buf[..n];
        while rest.len() >= NLMSG_HDRLEN {
            let len = u32_at(rest, 0) as usize;
            if len < NLMSG_HDRLEN || len > rest.len() {
                return Err(Errno::EBADMSG);
            }
            match i32::from(u16::from_ne_bytes([rest[4], rest[5]])) {
                libc::NLMSG_DONE => return Ok(socks),
                // struct nlmsgerr: a negative errno, e.g. ENOENT when the kernel has no
                // diag module for this protocol.
                libc::NLMSG_ERROR => {
                    let error = u32_at(rest, NLMSG_HDRLEN) as i32;
                    return Err(Errno::from_raw(-error));
                }
                _ if len >= NLMSG_HDRLEN + MSG_LEN => socks.push(parse(&rest[NLMSG_HDRLEN..len])),
                _ => return Err(Errno::EBADMSG),
            }
            // Each message starts on a 4-byte boundary (NLMSG_ALIGN).
            rest = &rest[len.next_multiple_of(4).min(rest.len())..];
        }
    }
}

/// One struct inet_diag_msg.
fn parse(m: &[u8]) -> Sock {
    // struct inet_diag_sockid, from byte 4: ports in network byte order, then two 16-byte
    // addresses, of which an IPv4 address uses the first 4.
    let addr = |at: usize, port_at: usize| {
        let ip = if i32::from(m[0]) == libc::AF_INET {
            IpAddr::V4(Ipv4Addr::new(m[at], m[at + 1], m[at + 2], m[at + 3]))
        } else {
            let mut v6 = [0u8; 16];
            v6.copy_from_slice(&m[at..at + 16]);
            IpAddr::V6(Ipv6Addr::from(v6))
        };
        SocketAddr::new(ip, u16::from_be_bytes([m[port_at], m[port_at + 1]]))
    };
    Sock {
        local: addr(8, 4),
        remote: addr(24, 6),
        state: m[1],
        recv_q: u32_at(m, 56),
        send_q: u32_at(m, 60),
        inode: u64::from(u32_at(m, 68)),
        // idiag_cookie: two 32-bit halves at the end of struct inet_diag_sockid, low half first.
        cookie: u64::from(u32_at(m, 44)) | u64::from(u32_at(m, 48)) << 32,
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

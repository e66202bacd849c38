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
//! The request and the replies are C structs (linux/netlink.h, linux/inet_diag.h,
//! linux/unix_diag.h). They are written and parsed by netlink-packet-sock-diag, on
//! netlink-packet-core's netlink messages, and travel over netlink-sys's socket; this file only
//! asks and turns the answers into rows. The same socket also lists Unix-domain sockets, for
//! netstat's `-x` view.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::inet::{self, ExtensionFlags, InetRequest, InetResponse, SocketId};
use netlink_packet_sock_diag::unix::nlas::{Nla as UnixNla, UnixDiagName};
use netlink_packet_sock_diag::unix::{self, ShowFlags, UnixRequest, UnixResponse};
use netlink_sys::{Socket, protocols::NETLINK_SOCK_DIAG};

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

/// One Unix-domain socket, as netstat's `-x` view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct UnixSock {
    /// The name it is bound to: a file's path, or `@name` for an abstract name (as netstat and
    /// ss write it); `None` when it is not bound, as a client's end usually is not. The end that
    /// accept(2) returned carries its listener's name.
    pub path: Option<String>,
    /// SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET.
    pub kind: u8,
    /// A TCP state's number, as for `Sock`: LISTEN, ESTABLISHED, or CLOSE when not connected.
    pub state: u8,
    /// The inode that /proc/PID/fd/N names (`socket:[inode]`).
    pub inode: u64,
    /// The inode of the socket at the other end; 0 when there is none.
    pub peer: u64,
    /// Bytes received and not yet read; for a listening socket, the connections waiting for
    /// accept.
    pub recv_q: u32,
    /// Bytes sent and still held by the kernel; for a listening socket, the backlog's limit.
    pub send_q: u32,
}

/// One NETLINK_SOCK_DIAG socket, which answers for the network namespace it was opened in.
pub struct Diag {
    socket: Socket,
    /// The sequence number of the last request. The kernel copies it into every message of the
    /// answer, so an answer left unread by an earlier dump that failed half way is told apart.
    sequence: AtomicU32,
}

impl Diag {
    /// A socket in the calling thread's network namespace. A netlink socket stays bound to the
    /// namespace it was created in, whatever namespace the thread enters afterwards: to read
    /// another namespace's tables, open a `Diag` from a thread that has entered it.
    pub fn open() -> io::Result<Diag> {
        let socket = Socket::new(NETLINK_SOCK_DIAG)?;
        // Port 0 is the kernel: connecting binds this socket to a port of its own and makes
        // the kernel the only peer it talks to.
        socket.connect(&netlink_sys::SocketAddr::new(0, 0))?;
        Ok(Diag {
            socket,
            sequence: AtomicU32::new(0),
        })
    }

    /// Every socket of `protocol` (IPPROTO_TCP or IPPROTO_UDP) in `family` (AF_INET or
    /// AF_INET6).
    pub fn dump(&self, family: i32, protocol: i32) -> io::Result<Vec<Sock>> {
        let family = u8::try_from(family).map_err(|_| invalid_input("address family"))?;
        let protocol = u8::try_from(protocol).map_err(|_| invalid_input("protocol"))?;
        // An all-zero socket id matches every socket, whatever its addresses.
        let socket_id = if i32::from(family) == libc::AF_INET {
            SocketId::new_v4()
        } else {
            SocketId::new_v6()
        };
        let request = SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol,
            extensions: ExtensionFlags::empty(),
            // A bit per state. The crate's `all()` stops at CLOSING (10); every bit asks for
            // NEW_SYN_RECV (12) too, the connections still being set up.
            states: inet::StateFlags::from_bits_retain(u32::MAX),
            socket_id,
        });
        self.ask(request, |message| match message {
            SockDiagMessage::InetResponse(response) => Some(sock(&response)),
            _ => None,
        })
    }

    /// Every Unix-domain socket, with its name, its peer and its queues.
    pub fn dump_unix(&self) -> io::Result<Vec<UnixSock>> {
        let request = SockDiagMessage::UnixRequest(UnixRequest {
            // The crate's `all()` holds only ESTABLISHED and LISTEN; every bit asks for the
            // sockets that are neither too (CLOSE: unconnected datagram sockets, unbound ones).
            state_flags: unix::StateFlags::from_bits_retain(u32::MAX),
            inode: 0,
            // Unlike the inet reply, the Unix one carries nothing but its header unless asked:
            // the name, the peer and the queue lengths each come as an attribute when asked for.
            show_flags: ShowFlags::NAME | ShowFlags::PEER | ShowFlags::RQLEN,
            cookie: [0; 8],
        });
        self.ask(request, |message| match message {
            SockDiagMessage::UnixResponse(response) => Some(unix_sock(&response)),
            _ => None,
        })
    }

    /// Send the dump request `request` and turn each socket of the answer into a row with
    /// `row`.
    fn ask<T>(
        &self,
        request: SockDiagMessage,
        mut row: impl FnMut(SockDiagMessage) -> Option<T>,
    ) -> io::Result<Vec<T>> {
        let sequence = self
            .sequence
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        header.sequence_number = sequence;
        let mut message = NetlinkMessage::new(header, request.into());
        message.finalize();
        let mut bytes = vec![0; message.buffer_len()];
        message.serialize(&mut bytes);
        self.socket.send(&bytes, 0)?;

        // The kernel answers with one message per socket (NLM_F_MULTI), several to a datagram
        // of up to 32 KiB, and ends with NLMSG_DONE, or with NLMSG_ERROR if it cannot answer.
        let mut rows = Vec::new();
        let mut buf = Vec::with_capacity(64 * 1024);
        loop {
            buf.clear();
            match self.socket.recv(&mut buf, 0) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let mut rest = &buf[..];
            while !rest.is_empty() {
                let message = NetlinkMessage::<SockDiagMessage>::deserialize(rest)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                // The length is at least a header's, and within `rest`: deserialize checked.
                // Each message starts on a 4-byte boundary (NLMSG_ALIGN).
                let len = message.header.length as usize;
                rest = &rest[len.next_multiple_of(4).min(rest.len())..];
                if message.header.sequence_number != sequence {
                    continue; // the rest of an earlier, abandoned answer
                }
                match message.payload {
                    NetlinkPayload::InnerMessage(inner) => rows.extend(row(inner)),
                    // An error found while dumping (ENOENT when the kernel has no diag module
                    // for the protocol) ends the dump as a negative errno in NLMSG_DONE.
                    NetlinkPayload::Done(done) if done.code < 0 => {
                        return Err(io::Error::from_raw_os_error(-done.code));
                    }
                    NetlinkPayload::Done(_) => return Ok(rows),
                    // An error found before dumping (EINVAL for a family beyond AF_MAX), as a
                    // negative errno; an NLMSG_ERROR without one is an acknowledgement.
                    NetlinkPayload::Error(error) if error.code.is_some() => {
                        return Err(error.to_io());
                    }
                    NetlinkPayload::Overrun(_) => {
                        return Err(io::Error::other("the netlink answer overran"));
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Every socket of `protocol` (IPPROTO_TCP or IPPROTO_UDP) in `family` (AF_INET or AF_INET6),
/// in the calling thread's network namespace.
pub fn dump(family: i32, protocol: i32) -> io::Result<Vec<Sock>> {
    Diag::open()?.dump(family, protocol)
}

fn invalid_input(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("no such {what}"))
}

/// One struct inet_diag_msg, as the crate parsed it.
fn sock(response: &InetResponse) -> Sock {
    let header = &response.header;
    let id = &header.socket_id;
    // The cookie is two 32-bit halves in the machine's byte order, low half first; the crate
    // leaves it as 8 opaque bytes.
    let [a, b, c, d, e, f, g, h] = id.cookie;
    let cookie = u64::from(u32::from_ne_bytes([a, b, c, d]))
        | u64::from(u32::from_ne_bytes([e, f, g, h])) << 32;
    Sock {
        local: SocketAddr::new(id.source_address, id.source_port),
        remote: SocketAddr::new(id.destination_address, id.destination_port),
        state: header.state,
        recv_q: header.recv_queue,
        send_q: header.send_queue,
        inode: u64::from(header.inode),
        cookie,
    }
}

/// One struct unix_diag_msg and the attributes asked for with it.
fn unix_sock(response: &UnixResponse) -> UnixSock {
    let mut sock = UnixSock {
        path: None,
        kind: response.header.kind,
        state: response.header.state,
        inode: u64::from(response.header.inode),
        peer: 0,
        recv_q: 0,
        send_q: 0,
    };
    for nla in &response.nlas {
        match nla {
            UnixNla::Name(UnixDiagName::Pathname(path)) => {
                sock.path = Some(path.to_string_lossy().into_owned());
            }
            UnixNla::Name(UnixDiagName::Abstract(name)) => {
                sock.path = Some(format!("@{}", String::from_utf8_lossy(name)));
            }
            UnixNla::Peer(inode) => sock.peer = u64::from(*inode),
            // The two numbers mean what Recv-Q and Send-Q mean for a TCP socket, a listening
            // one included. The crate's helpers for them (`send_queue_size`, ...) pick them
            // differently, so the attribute is read as it is.
            UnixNla::ReceiveQueueLength(recv_q, send_q) => {
                (sock.recv_q, sock.send_q) = (*recv_q, *send_q);
            }
            _ => {}
        }
    }
    sock
}

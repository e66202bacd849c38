//! chatserv: a chat relay on one UDP socket (UNP §8.1–8.3; the lecture's ChatServer.c).
//!
//! A UDP server has no listen, no accept and no connection per client: every client's datagrams
//! arrive on the one socket, each with the address it came from. The server remembers the first
//! MAX_CLIENT addresses that write to it and relays each datagram to every other one, prefixed
//! with the sender's `ADDR:PORT>> `. A client past the limit is told the chat is full; a client
//! that sends `END` leaves and frees its place.

use std::os::fd::{AsRawFd, OwnedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, SockaddrIn, recvfrom, sendto};
use unp::{ServerArgs, err_msg, err_sys, logln, parse_args, udp_bind};

/// How many clients the chat remembers (the lecture's MAX_CLIENT).
const MAX_CLIENT: usize = 10;
/// The largest UDP payload over IPv4: 65535 less the IP and UDP headers (UNP §2.11).
const MAX_DATAGRAM: usize = 65_507;

#[derive(Parser)]
#[command(
    name = "chatserv",
    about = "UDP chat: relay each datagram to the other clients"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = udp_bind(&args.server);
    serve(sockfd)
}

fn serve(sockfd: OwnedFd) -> ! {
    let fd = sockfd.as_raw_fd();
    let mut clients: Vec<SockaddrIn> = Vec::new();
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    loop {
        let (n, from) = match recvfrom::<SockaddrIn>(fd, &mut buf) {
            Ok((n, Some(from))) => (n, from),
            Ok((_, None)) => continue, // no sender address: nobody to answer
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        };
        let datagram = &buf[..n];
        let me = match clients.iter().position(|c| *c == from) {
            Some(i) => i,
            None if clients.len() == MAX_CLIENT => {
                let full = format!("chat is full: {MAX_CLIENT} clients already\n");
                relay(fd, full.as_bytes(), &from);
                continue;
            }
            None => {
                clients.push(from);
                logln!("{from} joined");
                if clients.len() == MAX_CLIENT {
                    logln!("the chat is full now: {MAX_CLIENT} clients");
                }
                clients.len() - 1
            }
        };
        // One datagram per message, so that two senders' messages never interleave; only a
        // message too big for one datagram goes as two, as the lecture's server always sends it.
        let prefix = format!("{from}>> ");
        let mut message = prefix.clone().into_bytes();
        message.extend_from_slice(datagram);
        for (i, to) in clients.iter().enumerate() {
            if i == me {
                continue; // the sender does not get its own message back
            }
            if message.len() <= MAX_DATAGRAM {
                relay(fd, &message, to);
            } else {
                relay(fd, prefix.as_bytes(), to);
                relay(fd, datagram, to);
            }
        }
        if datagram.strip_suffix(b"\n").unwrap_or(datagram) == b"END" {
            clients.remove(me);
            logln!("{from} left ({} remain)", clients.len());
        }
    }
}

/// sendto one client. A client that vanished is not an error of the server's: an unconnected
/// UDP socket is not told that a datagram found no one (UNP §8.9), and any other failure is
/// reported and the chat goes on.
fn relay(fd: i32, message: &[u8], to: &SockaddrIn) {
    if let Err(e) = sendto(fd, message, to, MsgFlags::empty()) {
        err_msg(&format!("sendto {to} error: {}", e.desc()));
    }
}

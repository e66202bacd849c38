//! getpeer: a program exec'd with a connected socket, which finds its peer from the descriptor
//! alone (UNP §4.10, Figure 4.18), then reads with the flags of §14.3 recv and send Functions,
//! one call at a time.
//!
//! stepserv's child execs it after `fork`, as inetd execs a server: the new program image has
//! none of the old one's variables, only its descriptors, so `getpeername` is the one way to
//! learn who the client is, and `getsockname` which local address the connection arrived on.
//! Then one call per line typed: `peek` (recv with MSG_PEEK: the bytes stay queued), `recv`,
//! `dontwait` (MSG_DONTWAIT: EAGAIN when nothing is queued, instead of blocking), `waitall N`
//! (MSG_WAITALL: block until N bytes, not just the first segment), `close`, `exit`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use ch4_elementary::{next_command, sock_ntop};
use clap::Parser;
use nix::sys::socket::{MsgFlags, SockaddrIn, getpeername, getsockname, recv};
use nix::unistd::close;
use unp::{MAXLINE, err_msg, err_sys, outln, parse_args};

#[derive(Parser)]
#[command(
    name = "getpeer",
    about = "Given a connected socket's descriptor, print its peer, then recv with flags \
             (UNP §4.10)"
)]
struct Args {
    /// The connected socket's descriptor number, inherited across exec
    #[arg(value_parser = clap::value_parser!(i32).range(0..))]
    fd: RawFd,
}

fn main() {
    let args: Args = parse_args();
    let peer: SockaddrIn = getpeername(args.fd).unwrap_or_else(|e| err_sys("getpeername", e));
    let local: SockaddrIn = getsockname(args.fd).unwrap_or_else(|e| err_sys("getsockname", e));
    outln!("getpeername({}) = {}", args.fd, sock_ntop(&peer));
    outln!("getsockname({}) = {}", args.fd, sock_ntop(&local));
    // SAFETY: the descriptor was handed over by exec, and the lines above showed it is an open
    // socket; nothing else in this program owns it.
    let sockfd = unsafe { OwnedFd::from_raw_fd(args.fd) };
    calls(sockfd);
}

/// One call per line typed, until `exit` or EOF.
fn calls(sockfd: OwnedFd) {
    let fd = sockfd.as_raw_fd();
    let mut sockfd = Some(sockfd);
    while let Some((call, rest)) = next_command() {
        match (call.as_str(), &sockfd) {
            ("peek", Some(_)) => receive(fd, MAXLINE, MsgFlags::MSG_PEEK, "MSG_PEEK"),
            ("recv", Some(_)) => receive(fd, MAXLINE, MsgFlags::empty(), "0"),
            ("dontwait", Some(_)) => receive(fd, MAXLINE, MsgFlags::MSG_DONTWAIT, "MSG_DONTWAIT"),
            ("waitall", Some(_)) => match rest.parse::<usize>() {
                Ok(n) if (1..=MAXLINE).contains(&n) => {
                    receive(fd, n, MsgFlags::MSG_WAITALL, "MSG_WAITALL")
                }
                _ => err_msg(&format!("waitall takes a byte count, 1 to {MAXLINE}")),
            },
            ("close", Some(_)) => {
                // The last descriptor for the connection: now TCP sends its FIN (§4.9).
                // Without it the descriptor would stay open, in `sockfd`, until exit.
                close(sockfd.take().expect("matched Some")).unwrap_or_else(|e| err_sys("close", e));
                outln!("getpeer: close({fd})");
            }
            ("exit", _) => break,
            (_, None) => err_msg(&format!("{fd} is closed: type exit")),
            _ => err_msg("type peek, recv, dontwait, waitall N, close or exit"),
        }
    }
}

/// recv with `flags`, and print what it returned: the bytes, or the error.
fn receive(fd: RawFd, len: usize, flags: MsgFlags, name: &str) {
    let mut buf = vec![0u8; len];
    match recv(fd, &mut buf, flags) {
        Ok(n) => outln!(
            "recv({fd}, {len}, {name}) = {n}: {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        // EAGAIN is what MSG_DONTWAIT is for: nothing queued, and the call did not block. It is
        // the answer this lesson asks for, so it goes to standard output with the others.
        Err(e) => outln!("recv({fd}, {len}, {name}) = -1: {e:?} ({})", e.desc()),
    }
}

//! daytimetcpsrv1: the daytime server that prints each client's address and port
//! (UNP §4.6, Figure 4.11).
//!
//! accept's second and third arguments are value-result: the kernel fills in the client's
//! address and its length. The server prints them (`connection from 127.0.0.1, port 50322`),
//! writes the time of day, and closes the connection: the server does the active close, so it
//! is the server's end that goes through TIME_WAIT. Iterative, as the book's: one client at a
//! time, each served in a moment.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use ch4_elementary::ctime_now;
use clap::Parser;
use nix::errno::Errno;
use nix::sys::socket::{SockaddrIn, SockaddrLike};
use nix::unistd::close;
use unp::{ServerArgs, err_sys, logln, parse_args, tcp_listen, writen};

#[derive(Parser)]
#[command(
    name = "daytimetcpsrv1",
    about = "Daytime server that prints each client's address and port (UNP Figure 4.11)"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let listenfd = tcp_listen(&args.server);
    serve(listenfd)
}

fn serve(listenfd: OwnedFd) -> ! {
    loop {
        let (connfd, cliaddr) = accept_from(&listenfd);
        logln!("connection from {}, port {}", cliaddr.ip(), cliaddr.port());
        let buff = format!("{:.24}\r\n", ctime_now());
        writen(connfd.as_fd(), buff.as_bytes()).unwrap_or_else(|e| err_sys("write", e));
        close(connfd).unwrap_or_else(|e| err_sys("close", e)); // the book's Close(connfd)
    }
}

/// The book's `connfd = Accept(listenfd, (SA *) &cliaddr, &len)`: nix's accept does not return
/// the address, so this calls accept(2) itself, with `len` set to the structure's size first.
fn accept_from(listenfd: &OwnedFd) -> (OwnedFd, SockaddrIn) {
    // SAFETY: an all-zero sockaddr_in is a valid value of the struct.
    let mut cliaddr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    loop {
        // SAFETY: the pointers point at `cliaddr` and `len`, which live across the call, and
        // `len` says how many bytes the kernel may write into `cliaddr`.
        let fd = unsafe {
            libc::accept(
                listenfd.as_raw_fd(),
                (&raw mut cliaddr).cast::<libc::sockaddr>(),
                &mut len,
            )
        };
        if fd < 0 {
            match Errno::last() {
                Errno::EINTR => continue,
                e => err_sys("accept", e),
            }
        }
        // SAFETY: accept returned a new descriptor that nothing else owns.
        let connfd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: the kernel wrote `len` bytes of an AF_INET address into `cliaddr`.
        let addr = unsafe {
            SockaddrIn::from_raw((&raw const cliaddr).cast::<libc::sockaddr>(), Some(len))
        };
        return (
            connfd,
            addr.unwrap_or_else(|| err_sys("accept", Errno::EAFNOSUPPORT)),
        );
    }
}

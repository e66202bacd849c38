//! tcpservselect02: tcpservselect01 that no client can stop (UNP §6.8, "Denial-of-Service
//! Attacks"; the fix is chapter 16's nonblocking I/O). The project's own program, not the book's.
//!
//! Changes from tcpservselect01: the connected sockets are nonblocking, so a write the client's
//! full window cannot take returns EAGAIN instead of putting the whole server to sleep. What is
//! not written waits in that client's `pending[]` buffer; the server stops reading that client
//! (its bytes wait in the kernel, and TCP's flow control stops it) and asks select, in `wset`,
//! when the socket can take more. Every other client goes on being served.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use clap::Parser;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::select::{FD_SETSIZE, FdSet, select};
use nix::sys::socket::accept;
use nix::unistd::{close, read, write};
use unp::{MAXLINE, ServerArgs, err_ret, err_sys, parse_args, tcp_listen};

#[derive(Parser)]
#[command(
    name = "tcpservselect02",
    about = "Echo server; one process, select, nonblocking writes (UNP §6.8, ch. 16)"
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
    let mut maxfd = listenfd.as_raw_fd(); // initialize
    let mut maxi = 0; // index into client[] array; the book starts at -1
    let mut client: [RawFd; FD_SETSIZE] = [-1; FD_SETSIZE]; // -1 indicates available entry
    let mut pending: Vec<Vec<u8>> = vec![Vec::new(); FD_SETSIZE]; // echo not yet written
    let mut allset = FdSet::new();
    allset.insert(listenfd.as_fd());
    let mut wallset = FdSet::new(); // the clients with pending output
    let mut buf = [0u8; MAXLINE];
    loop {
        // select overwrites the set it is given with the descriptors that are ready, so it gets
        // a copy: allset keeps every descriptor to watch (the book's structure assignment).
        let mut rset = allset;
        let mut wset = wallset;
        let mut nready = match select(maxfd + 1, &mut rset, &mut wset, None, None) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("select", e),
        };

        if rset.contains(listenfd.as_fd()) {
            // new client connection; unlike the book's, accept(listenfd, NULL, NULL)
            let connfd = match accept(listenfd.as_raw_fd()) {
                Ok(fd) => fd,
                // The client left before we accepted it (§5.11), or a signal: select again.
                Err(Errno::ECONNABORTED | Errno::EINTR) => continue,
                // Out of descriptors: stop watching the listening socket until a client
                // leaves, rather than spin on it; new clients wait in the accept queue.
                Err(e @ (Errno::EMFILE | Errno::ENFILE)) => {
                    err_ret("accept", e);
                    allset.remove(listenfd.as_fd());
                    continue;
                }
                Err(e) => err_sys("accept", e),
            };
            // A descriptor at or above FD_SETSIZE does not fit in an fd_set (FD_SET would
            // write past its end): the book's "too many clients". The book's err_quit would
            // end every client's service; this closes the one that does not fit.
            let free = client.iter().position(|&fd| fd < 0);
            let Some(i) = free.filter(|_| connfd < FD_SETSIZE as RawFd) else {
                eprintln!("too many clients");
                let _ = close(connfd);
                continue;
            };
            client[i] = connfd; // save descriptor
            // A nonblocking socket: read and write return EAGAIN instead of sleeping.
            if let Err(e) = fcntl(fd(connfd), FcntlArg::F_SETFL(OFlag::O_NONBLOCK)) {
                err_sys("fcntl", e);
            }
            allset.insert(fd(connfd)); // add new descriptor to set
            if connfd > maxfd {
                maxfd = connfd; // for select
            }
            if i > maxi {
                maxi = i; // max index in client[] array
            }
            nready -= 1;
            if nready <= 0 {
                continue; // no more readable descriptors
            }
        }

        for i in 0..=maxi {
            // check all clients for data, and for room for the echo that waits
            let sockfd = client[i];
            if sockfd < 0 {
                continue;
            }
            let (readable, writable) = (rset.contains(fd(sockfd)), wset.contains(fd(sockfd)));
            if !readable && !writable {
                continue;
            }
            match echo(sockfd, &mut buf, &mut pending[i], readable) {
                // all written: read this client again
                Ok(true) if pending[i].is_empty() => {
                    wallset.remove(fd(sockfd));
                    allset.insert(fd(sockfd));
                }
                // The client does not read its echo: stop reading it until it does, so its
                // echo waits in one buffer of ours (MAXLINE bytes) and the rest in the kernel.
                Ok(true) => {
                    allset.remove(fd(sockfd));
                    wallset.insert(fd(sockfd));
                }
                // connection closed by client (Ok(false)), or reset (Err): as tcpservselect01
                result => {
                    if let Err((call, e)) = result {
                        err_ret(call, e);
                    }
                    wallset.remove(fd(sockfd));
                    pending[i].clear();
                    drop_client(&mut client[i], &mut allset, listenfd.as_fd());
                }
            }
            nready -= i32::from(readable) + i32::from(writable);
            if nready <= 0 {
                break; // no more ready descriptors
            }
        }
    }
}

/// If `readable`, read what the client sent and add it to its echo; then write as much of the
/// echo as the socket takes now, without sleeping: what it does not take stays in `out`.
/// Ok(false) when the client has closed the connection.
fn echo(
    sockfd: RawFd,
    buf: &mut [u8],
    out: &mut Vec<u8>,
    readable: bool,
) -> Result<bool, (&'static str, Errno)> {
    if readable {
        match read(fd(sockfd), buf) {
            Ok(0) => return Ok(false),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(e) => return Err(("read", e)),
        }
    }
    while !out.is_empty() {
        match write(fd(sockfd), out) {
            Ok(n) => drop(out.drain(..n)),
            Err(Errno::EAGAIN) => break, // its send buffer is full: select will say when not
            Err(Errno::EINTR) => {}
            Err(e) => return Err(("write", e)),
        }
    }
    Ok(true)
}

/// FD_CLR and close a client's descriptor, and free its entry. A descriptor is free now, so
/// the listening socket is watched again if running out of them had stopped that.
fn drop_client<'fd>(entry: &mut RawFd, allset: &mut FdSet<'fd>, listenfd: BorrowedFd<'fd>) {
    allset.remove(fd(*entry));
    let _ = close(*entry);
    *entry = -1;
    allset.insert(listenfd);
}

/// A connected descriptor of client[], for the fd_set calls.
fn fd(raw: RawFd) -> BorrowedFd<'static> {
    // SAFETY: client[] holds only descriptors that accept returned and that are still open:
    // drop_client takes one out of allset before it closes it and marks its entry -1.
    unsafe { BorrowedFd::borrow_raw(raw) }
}

//! tcpservselect02: tcpservselect01 that no client can stop (UNP §6.8, "Denial-of-Service
//! Attacks"; the fix is chapter 16's nonblocking I/O). The project's own program, not the book's.
//!
//! Changes from tcpservselect01: the connected sockets are nonblocking, so a write the client's
//! full window cannot take returns EAGAIN instead of putting the whole server to sleep. What is
//! not written waits in that client's `pending[]` buffer; the server stops reading that client
//! (its bytes wait in the kernel, and TCP's flow control stops it) and asks select, in `wset`,
//! when the socket can take more. Every other client goes on being served.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use clap::Parser;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::select::{FD_SETSIZE, FdSet, select};
use nix::sys::socket::accept;
use nix::unistd::{close, read, write};
use unp::{MAXLINE, ServerArgs, err_msg, err_ret, err_sys, parse_args, selectable, tcp_listen};

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
    let listen = listenfd.as_raw_fd();
    let mut maxfd = listen; // initialize
    let mut maxi = 0; // max index into client[] array; the book starts at -1
    let mut client: [RawFd; FD_SETSIZE] = [-1; FD_SETSIZE]; // -1 indicates available entry
    let mut pending: Vec<Vec<u8>> = vec![Vec::new(); FD_SETSIZE]; // echo not yet written
    let mut allset = FdSet::new();
    // A process that already holds 1,024 descriptors gets a listening socket select cannot
    // watch: one line and exit 1, as for a client's socket below.
    allset.insert(selectable(fd(listen)));
    let mut wallset = FdSet::new(); // the clients with pending output
    let mut buf = [0u8; MAXLINE];
    loop {
        // select overwrites its set with the ready ones: a copy each time (a structure assignment)
        let mut rset = allset;
        let mut wset = wallset;
        let mut nready = match select(maxfd + 1, &mut rset, &mut wset, None, None) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("select", e),
        };

        if rset.contains(fd(listen)) {
            // new client connection; unlike the book's, accept(listenfd, NULL, NULL)
            let connfd = match accept(listen) {
                Ok(fd) => fd,
                // The client left before we accepted it (§5.11), or a signal: select again.
                Err(Errno::ECONNABORTED | Errno::EINTR) => continue,
                // Out of descriptors: stop watching the listening socket until a client
                // leaves, rather than spin on it; new clients wait in the accept queue.
                Err(e @ (Errno::EMFILE | Errno::ENFILE)) => {
                    err_ret("accept", e);
                    allset.remove(fd(listen));
                    continue;
                }
                Err(e) => err_sys("accept", e),
            };
            let free = client.iter().position(|&fd| fd < 0);
            // The book's "too many clients": its err_quit would end every client's service,
            // where this closes the one connection that does not fit.
            // A descriptor of FD_SETSIZE or more does not fit in an fd_set either.
            let Some(i) = free.filter(|_| connfd < FD_SETSIZE as RawFd) else {
                err_msg("too many clients");
                let _ = close(connfd);
                continue;
            };
            client[i] = connfd; // save descriptor
            // A nonblocking socket: read and write return EAGAIN instead of sleeping.
            if let Err(e) = fcntl(fd(connfd), FcntlArg::F_SETFL(OFlag::O_NONBLOCK)) {
                err_sys("fcntl", e);
            }
            allset.insert(fd(connfd)); // add new descriptor to set
            maxfd = maxfd.max(connfd); // for select
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
                    drop_client(&mut client[i], &mut allset);
                    // A descriptor is free: accept again, if running out of them had stopped it.
                    allset.insert(fd(listen));
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

/// Closed (the kernel sends our FIN), and the entry free again.
fn drop_client(entry: &mut RawFd, allset: &mut FdSet<'_>) {
    allset.remove(fd(*entry)); // FD_CLR first: select must not watch a closed descriptor
    let _ = close(*entry);
    *entry = -1;
}

/// A descriptor of client[], or the listening socket.
fn fd(raw: RawFd) -> BorrowedFd<'static> {
    // SAFETY: client[] holds only descriptors that accept returned and that are still open:
    // drop_client closes one and marks its entry -1 together. listenfd lives as long as serve.
    unsafe { BorrowedFd::borrow_raw(raw) }
}

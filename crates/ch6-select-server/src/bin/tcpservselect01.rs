//! tcpservselect01: one process serves every client, with select (UNP §6.8, Figures 6.21, 6.22).
//!
//! Changes from tcpserv04: no fork, no child, no SIGCHLD. The one process keeps every connected
//! descriptor in `client[]` and in `allset`, the descriptor set select watches, and echoes
//! whatever the ready ones sent. Its echo is the book's: one read of what is there, then
//! writen, so it never waits in read for the rest of a line.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::select::{FD_SETSIZE, FdSet, select};
use nix::sys::socket::accept;
use nix::unistd::{close, read};
use unp::{MAXLINE, ServerArgs, err_ret, err_sys, parse_args, tcp_listen, writen};

#[derive(Parser)]
#[command(
    name = "tcpservselect01",
    about = "Echo server; one process, select (UNP §6.8)"
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
    let mut allset = FdSet::new();
    allset.insert(listenfd.as_fd());
    let mut buf = [0u8; MAXLINE];
    loop {
        // select overwrites the set it is given with the descriptors that are ready, so it gets
        // a copy: allset keeps every descriptor to watch (the book's structure assignment).
        let mut rset = allset;
        let mut nready = match select(maxfd + 1, &mut rset, None, None, None) {
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

        for entry in &mut client[..=maxi] {
            // check all clients for data
            let sockfd = *entry;
            if sockfd < 0 || !rset.contains(fd(sockfd)) {
                continue;
            }
            match read(fd(sockfd), &mut buf) {
                // connection closed by client: out of the set, then closed (the kernel sends
                // our FIN), and its entry free again
                Ok(0) => drop_client(entry, &mut allset, listenfd.as_fd()),
                Ok(n) => {
                    if let Err(e) = writen(fd(sockfd), &buf[..n]) {
                        err_ret("write", e);
                        drop_client(entry, &mut allset, listenfd.as_fd());
                    }
                }
                Err(Errno::EINTR) => {}
                // A reset client (ECONNRESET) ends its own connection, not the server: the
                // book's Read would call err_sys and end every client's service.
                Err(e) => {
                    err_ret("read", e);
                    drop_client(entry, &mut allset, listenfd.as_fd());
                }
            }
            nready -= 1;
            if nready <= 0 {
                break; // no more readable descriptors
            }
        }
    }
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

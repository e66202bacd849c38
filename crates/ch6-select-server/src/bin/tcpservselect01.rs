//! tcpservselect01: one process serves every client, with select (UNP §6.8, Figures 6.21, 6.22).
//!
//! Changes from tcpserv04: no fork, no child, no SIGCHLD. The one process keeps every connected
//! descriptor in `client[]` and in `allset`, the descriptor set select watches, and echoes
//! whatever the ready ones sent. Its echo is the book's: one read of what is there, then
//! writen, so it never waits in read for the rest of a line.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::select::{FD_SETSIZE, FdSet, select};
use nix::sys::socket::accept;
use nix::unistd::{close, read};
use unp::{
    MAXLINE, ServerArgs, err_msg, err_ret, err_sys, parse_args, selectable, tcp_listen, writen,
};

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
    let listen = listenfd.as_raw_fd();
    let mut maxfd = listen; // initialize
    let mut maxi = 0; // max index into client[] array; the book starts at -1
    let mut client: [RawFd; FD_SETSIZE] = [-1; FD_SETSIZE]; // -1 indicates available entry
    let mut allset = FdSet::new();
    // A process that already holds 1,024 descriptors gets a listening socket select cannot
    // watch: one line and exit 1, as for a client's socket below.
    allset.insert(selectable(fd(listen)));
    let mut buf = [0u8; MAXLINE];
    loop {
        // select overwrites its set with the ready ones: a copy each time (a structure assignment)
        let mut rset = allset;
        let mut nready = match select(maxfd + 1, &mut rset, None, None, None) {
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

        for entry in &mut client[..=maxi] {
            // check all clients for data
            let sockfd = *entry;
            if sockfd < 0 || !rset.contains(fd(sockfd)) {
                continue;
            }
            let done = match read(fd(sockfd), &mut buf) {
                Ok(0) => true, // connection closed by client
                Ok(n) => writen(fd(sockfd), &buf[..n])
                    .map_err(|e| err_ret("write", e))
                    .is_err(),
                Err(Errno::EINTR) => false,
                // A reset client (ECONNRESET) ends its own connection, not the server, which
                // err_sys, as in the book, would end for every client.
                Err(e) => {
                    err_ret("read", e);
                    true
                }
            };
            if done {
                drop_client(entry, &mut allset);
                // A descriptor is free: accept again, if running out of them had stopped it.
                allset.insert(fd(listen));
            }
            nready -= 1;
            if nready <= 0 {
                break; // no more readable descriptors
            }
        }
    }
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

//! tcpservpoll01: tcpservselect01 with poll instead of select (UNP §6.11, Figures 6.25, 6.26).
//!
//! Changes from tcpservselect01: `client[]` is an array of pollfd (a descriptor, the events
//! wanted, and `revents`, which poll fills in): no set to copy, no maxfd, no FD_SETSIZE. Its size
//! is RLIMIT_NOFILE, raised first to the hard limit: Linux has no OPEN_MAX (see the note).

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use clap::Parser;
use libc::{POLLERR, POLLRDNORM, poll, pollfd};
use nix::errno::Errno;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::socket::accept;
use nix::unistd::{close, read};
use unp::{MAXLINE, ServerArgs, err_msg, err_ret, err_sys, logln, parse_args, tcp_listen, writen};

#[derive(Parser)]
#[command(
    name = "tcpservpoll01",
    about = "Echo server; one process, poll (UNP §6.11)"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let listenfd = tcp_listen(&args.server);
    serve(listenfd, open_max())
}

/// RLIMIT_NOFILE's soft limit (past it accept fails with EMFILE), first raised to the hard one.
fn open_max() -> usize {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or_else(|e| err_sys("rlimit", e));
    if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        err_ret("setrlimit", e); // keep the soft limit we have
    }
    let (now, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((soft, hard));
    logln!("client[] holds {now} descriptors (RLIMIT_NOFILE {soft}, raised to {hard})");
    now.min(1 << 20) as usize // at most 2^20, fs.nr_open's default
}

fn pollfd_of(fd: RawFd) -> pollfd {
    pollfd {
        fd,
        events: POLLRDNORM, // normal data, the event poll is to report
        revents: 0,
    }
}

fn serve(listenfd: OwnedFd, open_max: usize) -> ! {
    let listen = listenfd.as_raw_fd();
    let mut maxi = 0; // max index into client[] array; the book starts at -1
    let mut client = vec![pollfd_of(-1); open_max]; // -1 indicates available entry
    client[0] = pollfd_of(listen);
    let mut buf = [0u8; MAXLINE];
    loop {
        // SAFETY: client[..=maxi] are initialized pollfd; poll writes their revents. -1: INFTIM
        let n = unsafe { poll(client.as_mut_ptr(), (maxi + 1) as libc::nfds_t, -1) };
        let mut nready = match Errno::result(n) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("poll", e),
        };

        if client[0].revents & POLLRDNORM != 0 {
            // new client connection; unlike the book's, accept(listenfd, NULL, NULL)
            let connfd = match accept(listen) {
                Ok(fd) => fd,
                // The client left before we accepted it (§5.11), or a signal: select again.
                Err(Errno::ECONNABORTED | Errno::EINTR) => continue,
                // Out of descriptors: stop watching the listening socket until a client
                // leaves, rather than spin on it; new clients wait in the accept queue.
                Err(e @ (Errno::EMFILE | Errno::ENFILE)) => {
                    err_ret("accept", e);
                    client[0].events = 0;
                    continue;
                }
                Err(e) => err_sys("accept", e),
            };
            let free = client.iter().position(|c| c.fd < 0); // entry 0 is listenfd
            // The book's "too many clients": its err_quit would end every client's service,
            // where this closes the one connection that does not fit.
            let Some(i) = free else {
                err_msg("too many clients");
                let _ = close(connfd);
                continue;
            };
            client[i] = pollfd_of(connfd); // save descriptor
            if i > maxi {
                maxi = i; // max index in client[] array
            }
            nready -= 1;
            if nready <= 0 {
                continue; // no more readable descriptors
            }
        }

        for i in 1..=maxi {
            // check all clients for data
            let sockfd = client[i].fd;
            if sockfd < 0 || client[i].revents & (POLLRDNORM | POLLERR) == 0 {
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
                drop_client(&mut client[i].fd);
                // A descriptor is free: accept again, if running out of them had stopped it.
                client[0].events = POLLRDNORM;
            }
            nready -= 1;
            if nready <= 0 {
                break; // no more readable descriptors
            }
        }
    }
}

/// Closed (the kernel sends our FIN), and the entry free again.
fn drop_client(entry: &mut RawFd) {
    let _ = close(*entry);
    *entry = -1;
}

/// A descriptor of client[], or the listening socket.
fn fd(raw: RawFd) -> BorrowedFd<'static> {
    // SAFETY: client[] holds only descriptors that accept returned and that are still open:
    // drop_client closes one and marks its entry -1 together. listenfd lives as long as serve.
    unsafe { BorrowedFd::borrow_raw(raw) }
}

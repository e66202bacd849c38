//! tcpservpoll01: tcpservselect01 with poll instead of select (UNP §6.11, Figures 6.25, 6.26).
//!
//! Changes from tcpservselect01: `client[]` is an array of pollfd structures, each a descriptor
//! and the events wanted; poll writes what happened into the same array (`revents`), so there
//! is no descriptor set to copy before each call, no maxfd, and no FD_SETSIZE. The listening
//! socket is entry 0. The array's size is how many descriptors the process may open,
//! RLIMIT_NOFILE, after raising the soft limit to the hard one: the book's OPEN_MAX is a
//! constant Linux does not define (see the note).

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use clap::Parser;
use libc::{POLLERR, POLLRDNORM, pollfd};
use nix::errno::Errno;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::socket::accept;
use nix::unistd::{close, read};
use unp::{MAXLINE, ServerArgs, err_ret, err_sys, parse_args, tcp_listen, writen};

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
    let open_max = open_max();
    serve(listenfd, open_max)
}

/// The most descriptors this process may hold: RLIMIT_NOFILE's soft limit (accept fails with
/// EMFILE beyond it), first raised to the hard limit, which any process may do.
fn open_max() -> usize {
    let (soft, hard) =
        getrlimit(Resource::RLIMIT_NOFILE).unwrap_or_else(|e| err_sys("getrlimit", e));
    if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        err_ret("setrlimit", e); // keep the soft limit we have
    }
    let (now, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or_else(|e| err_sys("getrlimit", e));
    // The hard limit may be huge (up to fs.nr_open, 2^20 by default): cap the array there.
    let open_max = now.min(1 << 20) as usize;
    println!("client[] holds {open_max} descriptors (RLIMIT_NOFILE {soft}, raised to {now})");
    open_max
}

fn serve(listenfd: OwnedFd, open_max: usize) -> ! {
    let free = pollfd {
        fd: -1, // -1 indicates available entry: poll skips it
        events: 0,
        revents: 0,
    };
    let mut client = vec![free; open_max];
    client[0].fd = listenfd.as_raw_fd();
    client[0].events = POLLRDNORM;
    let mut maxi = 0; // max index into client[] array
    let mut buf = [0u8; MAXLINE];
    loop {
        // INFTIM (-1): wait as long as it takes. nix's poll takes descriptors that are open,
        // and the book's free entries are -1, so this calls libc's.
        // SAFETY: client[..=maxi] are initialized pollfd structures, and poll writes only
        // their revents.
        let n = unsafe { libc::poll(client.as_mut_ptr(), (maxi + 1) as libc::nfds_t, -1) };
        let mut nready = match Errno::result(n) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("poll", e),
        };

        if client[0].revents & POLLRDNORM != 0 {
            // new client connection; unlike the book's, accept(listenfd, NULL, NULL)
            let connfd = match accept(listenfd.as_raw_fd()) {
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
            // The book's err_quit("too many clients") would end every client's service; this
            // closes the one that does not fit. With client[] as large as RLIMIT_NOFILE,
            // accept runs out of descriptors (EMFILE, above) before client[] runs out.
            let Some(i) = client[1..].iter().position(|c| c.fd < 0).map(|i| i + 1) else {
                eprintln!("too many clients");
                let _ = close(connfd);
                continue;
            };
            client[i].fd = connfd; // save descriptor
            client[i].events = POLLRDNORM;
            if i > maxi {
                maxi = i; // max index in client[] array
            }
            nready -= 1;
            if nready <= 0 {
                continue; // no more readable descriptors
            }
        }

        for i in 1..=maxi {
            // check all clients for data; a reset shows as POLLERR
            let sockfd = client[i].fd;
            if sockfd < 0 || client[i].revents & (POLLRDNORM | POLLERR) == 0 {
                continue;
            }
            match read(fd(sockfd), &mut buf) {
                // connection closed by client: closed (the kernel sends our FIN), and its
                // entry free again
                Ok(0) => drop_client(&mut client, i),
                Ok(n) => {
                    if let Err(e) = writen(fd(sockfd), &buf[..n]) {
                        err_ret("write", e);
                        drop_client(&mut client, i);
                    }
                }
                Err(Errno::EINTR) => {}
                // A reset client (ECONNRESET) ends its own connection, not the server, as in
                // the book's tcpservpoll01; any other error too, where the book's err_sys
                // would end every client's service.
                Err(e) => {
                    err_ret("read", e);
                    drop_client(&mut client, i);
                }
            }
            nready -= 1;
            if nready <= 0 {
                break; // no more readable descriptors
            }
        }
    }
}

/// Close a client's descriptor and free its entry. A descriptor is free now, so the listening
/// socket is watched again if running out of them had stopped that.
fn drop_client(client: &mut [pollfd], i: usize) {
    let _ = close(client[i].fd);
    client[i].fd = -1;
    client[0].events = POLLRDNORM;
}

/// A connected descriptor of client[], for read and write.
fn fd(raw: RawFd) -> BorrowedFd<'static> {
    // SAFETY: client[] holds only descriptors that accept returned and that are still open:
    // drop_client closes one and marks its entry -1 together.
    unsafe { BorrowedFd::borrow_raw(raw) }
}

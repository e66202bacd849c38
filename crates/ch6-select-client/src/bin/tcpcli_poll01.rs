//! tcpcli_poll01: tcpcli_select02 with poll instead of select (UNP §6.10).
//!
//! The project's own program, not the book's: the book's poll program is a server
//! (tcpservpoll01, §6.11); this client applies poll to §6.7's str_cli, to diff against select's.
//!
//! Changes from tcpcli_select02: `str_cli` hands poll an array of descriptors with the events
//! wanted for each, and reads the events that happened from the same array, instead of building
//! a descriptor set before each call. After EOF on standard input, the array holds the socket
//! alone.

use std::os::fd::{AsFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{Shutdown, shutdown};
use nix::unistd::read;
use std::os::fd::AsRawFd;
use unp::{ClientArgs, MAXLINE, err_quit, err_sys, parse_args, tcp_connect, writen};

#[derive(Parser)]
#[command(
    name = "tcpcli_poll01",
    about = "Echo client using poll and shutdown (UNP §6.10)"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = tcp_connect(&args.client);
    str_cli(sockfd.as_fd()); // do it all
}

fn str_cli(sockfd: BorrowedFd<'_>) {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut buf = [0u8; MAXLINE];
    let mut stdineof = false;
    loop {
        // POLLIN also reports EOF and errors; POLLERR and POLLHUP are reported without asking.
        let mut fds = vec![PollFd::new(sockfd, PollFlags::POLLIN)];
        if !stdineof {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("poll", e),
        }
        let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        let (sock_ready, stdin_ready) = (ready(&fds[0]), fds.get(1).is_some_and(ready));

        if sock_ready {
            // socket is readable (or reset, which read reports)
            match read(sockfd, &mut buf) {
                Ok(0) if stdineof => return, // normal termination
                Ok(0) => err_quit("str_cli: server terminated prematurely"),
                Ok(n) => writen(stdout.as_fd(), &buf[..n]).unwrap_or_else(|e| err_sys("write", e)),
                Err(Errno::EINTR) => {}
                Err(e) => err_sys("read", e),
            }
        }

        if stdin_ready {
            // input is readable
            match read(stdin.as_fd(), &mut buf) {
                Ok(0) => {
                    stdineof = true;
                    // Send FIN, keep reading: the echoes of what we sent are still to come.
                    shutdown(sockfd.as_raw_fd(), Shutdown::Write)
                        .unwrap_or_else(|e| err_sys("shutdown", e));
                }
                Ok(n) => writen(sockfd, &buf[..n]).unwrap_or_else(|e| err_sys("write", e)),
                Err(Errno::EINTR) => {}
                Err(e) => err_sys("read", e),
            }
        }
    }
}

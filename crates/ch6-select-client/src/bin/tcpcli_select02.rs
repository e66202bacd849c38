//! tcpcli_select02: the select client done right (UNP §6.7, Figure 6.13).
//!
//! Changes from tcpcli_select01: `str_cli` reads with read(2), not with a buffered readline,
//! so that no input hides in a buffer that select cannot see (§6.5); and at EOF on standard input
//! it calls shutdown(SHUT_WR) instead of returning: the server gets our FIN, echoes everything
//! still on its way, and closes its end. The client stops when the socket reads EOF, so no echo
//! is lost in batch mode.

use std::os::fd::{AsFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::select::{FdSet, select};
use nix::sys::socket::{Shutdown, shutdown};
use nix::unistd::read;
use std::os::fd::AsRawFd;
use unp::{ClientArgs, MAXLINE, err_quit, err_sys, parse_args, selectable, tcp_connect, writen};

#[derive(Parser)]
#[command(
    name = "tcpcli_select02",
    about = "Echo client using select and shutdown (UNP Fig. 6.13)"
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
        let mut rset = FdSet::new();
        if !stdineof {
            rset.insert(stdin.as_fd());
        }
        rset.insert(selectable(sockfd)); // one line and exit 1 if sockfd >= FD_SETSIZE
        match select(None, &mut rset, None, None, None) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("select", e),
        }

        if rset.contains(sockfd) {
            // socket is readable
            match read(sockfd, &mut buf) {
                Ok(0) if stdineof => return, // normal termination
                Ok(0) => err_quit("str_cli: server terminated prematurely"),
                Ok(n) => writen(stdout.as_fd(), &buf[..n]).unwrap_or_else(|e| err_sys("write", e)),
                Err(Errno::EINTR) => {}
                Err(e) => err_sys("read", e),
            }
        }

        if !stdineof && rset.contains(stdin.as_fd()) {
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

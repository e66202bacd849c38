//! tcpcli_select01: the echo client that waits on standard input and the socket at once
//! (UNP §6.4, Figure 6.9).
//!
//! Changes from ch5-fork-server's tcpcli01: `str_cli` blocks in `select` on both descriptors
//! instead of in a read of one. When the server's end closes, the socket becomes readable (a
//! read would return EOF) even while the user types nothing, so the client notices at once:
//! the failure ch5-sigpipe's tcpcli01 only found when it wrote. Still wrong, and fixed by
//! tcpcli_select02: at EOF on standard input it returns, and the echoes still on their way
//! back are lost (§6.5 Batch Input and Buffering; §6.7 fixes it).

use std::os::fd::{AsFd, BorrowedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::select::{FdSet, select};
use unp::{
    ClientArgs, MAXLINE, Readline, err_quit, err_sys, parse_args, selectable, tcp_connect, writen,
};

#[derive(Parser)]
#[command(
    name = "tcpcli_select01",
    about = "Echo client using select (UNP Figure 6.9)"
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
    let mut input = Readline::new(stdin.as_fd());
    let mut replies = Readline::new(sockfd);
    let mut line = Vec::with_capacity(MAXLINE);
    loop {
        let mut rset = FdSet::new();
        rset.insert(stdin.as_fd());
        rset.insert(selectable(sockfd)); // one line and exit 1 if sockfd >= FD_SETSIZE
        match select(None, &mut rset, None, None, None) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("select", e),
        }

        if rset.contains(sockfd) {
            // socket is readable
            line.clear();
            match replies.readline(&mut line, MAXLINE) {
                Ok(0) => err_quit("str_cli: server terminated prematurely"),
                Ok(_) => writen(stdout.as_fd(), &line).unwrap_or_else(|e| err_sys("write", e)),
                Err(e) => err_sys("readline", e),
            }
        }

        if rset.contains(stdin.as_fd()) {
            // input is readable
            line.clear();
            match input.readline(&mut line, MAXLINE) {
                Ok(0) => return, // all done: but echoes still in flight are lost (§6.5)
                Ok(_) => writen(sockfd, &line).unwrap_or_else(|e| err_sys("write", e)),
                Err(e) => err_sys("read", e),
            }
        }
    }
}

//! The book's `str_echo` (Figure 5.3) and `str_cli` (Figure 5.5): the two halves of the echo
//! service every chapter 5 lesson runs.

use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::unistd::read;

use crate::{MAXLINE, Readline, err_quit, err_ret, err_sys, writen};

/// Server side: read whatever arrives on `sockfd` and write it back, until the client's EOF.
///
/// It echoes bytes, not lines, so binary data, NUL bytes and lines longer than MAXLINE come
/// back unchanged.
///
/// The book's version calls err_sys on a failed read, which ends the process: harmless in a
/// forked child, fatal in an iterative server, where that process is the server. Here a failure
/// (a client that reset the connection, say) is reported the same way and ends only this
/// connection: str_echo returns.
pub fn str_echo(sockfd: BorrowedFd<'_>) {
    let mut buf = [0u8; MAXLINE];
    loop {
        match read(sockfd, &mut buf) {
            Ok(0) => return, // the client closed its end: we are done
            Ok(n) => {
                if let Err(e) = writen(sockfd, &buf[..n]) {
                    return err_ret("str_echo: write", e);
                }
            }
            Err(Errno::EINTR) => continue, // a signal interrupted read: again (the book's goto)
            Err(e) => return err_ret("str_echo: read", e),
        }
    }
}

/// Client side: send each line of standard input to the server, read the echo back, print it.
/// Returns at EOF on standard input.
pub fn str_cli(sockfd: BorrowedFd<'_>) {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input = Readline::new(stdin.as_fd());
    let mut replies = Readline::new(sockfd);
    let mut sendline = Vec::with_capacity(MAXLINE);
    let mut recvline = Vec::with_capacity(MAXLINE);
    loop {
        sendline.clear();
        // The book's fgets: one line of at most MAXLINE bytes; 0 means EOF.
        match input.readline(&mut sendline, MAXLINE) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => err_sys("read", e),
        }
        writen(sockfd, &sendline).unwrap_or_else(|e| err_sys("write", e));

        // Ask for at most as many bytes as were sent: a last line without a newline then comes
        // back whole instead of waiting forever for a newline that will never be echoed.
        recvline.clear();
        match replies.readline(&mut recvline, sendline.len()) {
            Ok(0) => err_quit("str_cli: server terminated prematurely"),
            Ok(_) => {}
            Err(e) => err_sys("readline", e),
        }
        writen(stdout.as_fd(), &recvline).unwrap_or_else(|e| err_sys("write", e));
    }
}

//! chatcli: the chat client (UNP §8.1–8.3; the lecture's ChatClient.c): two processes, one socket.
//!
//! A process blocked reading standard input cannot also wait for datagrams, so the client forks:
//! the child prints every datagram that arrives, the parent sends every line typed. Both use the
//! same socket, which the parent's first `sendto` binds to a port the kernel chooses (a UDP
//! client need not call bind). `END`, or EOF, ends the chat: the parent sends `END` so that the
//! server forgets it, kills the child and waits for it, so that no zombie is left behind.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use clap::Parser;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockType, SockaddrIn, recvfrom, sendto, socket,
};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use unp::{_exit, ClientArgs, MAXLINE, Readline, err_sys, outln, parse_args, writen};

#[derive(Parser)]
#[command(
    name = "chatcli",
    about = "UDP chat client: send stdin lines, print what arrives"
)]
struct Args {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    let servaddr = args.client.servaddr();
    // SAFETY: this program has one thread, so the child gets a consistent copy of it.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            receive(&sockfd);
            _exit(0) // receive loops until killed, as in ChatClient.c; were it to return: _exit
        }
        Ok(ForkResult::Parent { child }) => {
            let sent = send(&sockfd, &servaddr);
            // However the chat ended, even by an error, the receiver must not outlive it.
            end(child);
            if let Err((call, e)) = sent {
                err_sys(call, e);
            }
        }
        Err(e) => err_sys("fork", e),
    }
}

/// The child: print each datagram that arrives, until the parent kills it.
fn receive(sockfd: &OwnedFd) {
    let stdout = std::io::stdout();
    let mut buf = vec![0u8; 65_536];
    loop {
        match recvfrom::<SockaddrIn>(sockfd.as_raw_fd(), &mut buf) {
            Ok((n, _)) => writen(stdout.as_fd(), &buf[..n]).unwrap_or_else(|e| err_sys("write", e)),
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        }
    }
}

/// The parent: send each line typed, up to `END` or EOF; at EOF, send `END` for the user.
/// A failed call is returned, not reported here: the receiver must be ended first.
fn send(sockfd: &OwnedFd, servaddr: &SockaddrIn) -> Result<(), (&'static str, Errno)> {
    let stdin = std::io::stdin();
    let mut input = Readline::new(stdin.as_fd());
    let mut line = Vec::with_capacity(MAXLINE);
    loop {
        line.clear();
        let n = input
            .readline(&mut line, MAXLINE)
            .map_err(|e| ("read", e))?;
        if n == 0 {
            line.extend_from_slice(b"END\n");
        }
        sendto(sockfd.as_raw_fd(), &line, servaddr, MsgFlags::empty())
            .map_err(|e| ("sendto", e))?;
        if line.strip_suffix(b"\n").unwrap_or(&line) == b"END" {
            return Ok(());
        }
    }
}

/// Kill the receiving child and collect its status: a killed child not waited for is a zombie.
fn end(child: Pid) {
    kill(child, Signal::SIGTERM).unwrap_or_else(|e| err_sys("kill", e));
    match waitpid(child, None) {
        Ok(WaitStatus::Signaled(_, sig, _)) => {
            outln!("chat ended; receiver {child} killed by {sig} and reaped")
        }
        Ok(status) => outln!("chat ended; receiver {child} reaped ({status:?})"),
        Err(e) => err_sys("waitpid", e),
    }
}

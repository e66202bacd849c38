//! stepserv: the book's TCP server calls, one per line typed (UNP §4.2–4.9, Figure 4.1).
//!
//! The first program of the course. Type `socket`, `bind`, `listen`, `accept`, `fork`,
//! `close`, then (the child's turn) `exec`: between two calls the kernel's tables show what
//! each call did. The handshake happens before `accept`: the kernel completes it and queues the
//! connection. `fork` gives the connection a second descriptor (the child's); the parent's
//! `close` only takes one away, and no FIN goes out; the child execs `getpeer`, whose `close`
//! is the last one, and only then does TCP send its FIN (§4.8–4.9).
//! ch4-iterative's `iterserv` makes the same calls in a loop, without stopping between them.

use std::ffi::CString;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use ch4_elementary::{sock_ntop, wait_for};
use clap::Parser;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::socket::{
    AddressFamily, Backlog, SockFlag, SockType, SockaddrIn, accept, bind, getpeername, getsockname,
    listen, setsockopt, socket, sockopt,
};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, close, execv, fork};
use unp::{_exit, ServerArgs, err_quit, err_sys, outln, parse_args};

#[derive(Parser)]
#[command(
    name = "stepserv",
    about = "TCP server making one call per line typed: socket, bind, listen, accept, fork, \
             close, exec (UNP §4.2-4.9)"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() {
    let args: Args = parse_args();
    let (listenfd, connfd) = open(&args.server);
    let child = fork_child(&listenfd, &connfd);
    // At EOF the parent does not exit at once: the child, waiting for its turn, would wait
    // forever. It gives the child its turn (the child finds EOF too, and exits) and reaps it.
    if wait_for("close") {
        let fd = connfd.as_raw_fd();
        // The book's Close(connfd): the parent takes its descriptor away. The connection stays
        // open, since the child still refers to it: no FIN yet (§4.9). Without this line the
        // parent would hold the connection until main returns, after the child has ended.
        close(connfd).unwrap_or_else(|e| err_sys("close", e)); // the parent's Close(connfd)
        outln!("parent: close({fd})");
    }
    kill(child, Signal::SIGUSR1).unwrap_or_else(|e| err_sys("kill", e)); // the child's turn
    reap(child);
    // The parent has kept listening all along: its exit closes the listening socket.
    drop(listenfd);
}

/// socket, bind, listen, accept: each waits for its line.
fn open(args: &ServerArgs) -> (OwnedFd, OwnedFd) {
    step("socket");
    let listenfd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    // SO_REUSEADDR, as every server of the course sets it (§7.5): a server started after this
    // one can bind the port although this run's connection is in TIME_WAIT.
    setsockopt(&listenfd, sockopt::ReuseAddr, &true).unwrap_or_else(|e| err_sys("setsockopt", e));
    outln!(
        "socket() = {}, then setsockopt SO_REUSEADDR",
        listenfd.as_raw_fd()
    );

    step("bind");
    let servaddr = SockaddrIn::from(SocketAddrV4::new(args.bind, args.port));
    bind(listenfd.as_raw_fd(), &servaddr).unwrap_or_else(|e| err_sys("bind", e));
    // With port 0 the kernel chose the port at bind: getsockname tells which (§4.10).
    let local: SockaddrIn =
        getsockname(listenfd.as_raw_fd()).unwrap_or_else(|e| err_sys("getsockname", e));
    outln!(
        "bind({}, {}): local address {}",
        listenfd.as_raw_fd(),
        sock_ntop(&servaddr),
        sock_ntop(&local)
    );

    step("listen");
    let backlog = Backlog::new(args.backlog).unwrap_or_else(|e| err_sys("listen", e));
    listen(&listenfd, backlog).unwrap_or_else(|e| err_sys("listen", e));
    outln!("listening on {}", sock_ntop(&local));

    step("accept");
    let connfd = match accept(listenfd.as_raw_fd()) {
        // SAFETY: accept returned a new descriptor that nothing else owns.
        Ok(fd) => unsafe { OwnedFd::from_raw_fd(fd) },
        Err(e) => err_sys("accept", e),
    };
    // nix's accept does not return the client's address; getpeername asks for it (§4.10).
    let peer: SockaddrIn =
        getpeername(connfd.as_raw_fd()).unwrap_or_else(|e| err_sys("getpeername", e));
    outln!(
        "accept({}) = {}: connection from {}",
        listenfd.as_raw_fd(),
        connfd.as_raw_fd(),
        sock_ntop(&peer)
    );
    (listenfd, connfd)
}

/// fork: the child goes its own way; the parent gets the child's pid.
fn fork_child(listenfd: &OwnedFd, connfd: &OwnedFd) -> Pid {
    step("fork");
    // Parent and child share standard input: the child waits for SIGUSR1, which the parent
    // sends when it has read its last line, so that the two never read it at once. Blocked
    // here, before fork, a SIGUSR1 sent early stays pending until the child's sigwait.
    let mut usr1 = SigSet::empty();
    usr1.add(Signal::SIGUSR1);
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&usr1), None)
        .unwrap_or_else(|e| err_sys("sigprocmask", e));
    // SAFETY: this program has one thread, so the child gets a consistent copy of it.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => child(listenfd, connfd, &usr1),
        Ok(ForkResult::Parent { child }) => child,
        Err(e) => err_sys("fork", e),
    };
    // Both processes now hold descriptors for both sockets: fork copies the descriptor
    // table, and each socket's reference count goes up by one (§4.7).
    outln!(
        "fork() = {child}: parent and child both hold descriptor {}",
        connfd.as_raw_fd()
    );
    child
}

/// The child: close the listening socket, wait for its turn, then exec `getpeer`, which gets
/// the connected socket, as a descriptor number, and nothing else (§4.7, §4.10).
fn child(listenfd: &OwnedFd, connfd: &OwnedFd, usr1: &SigSet) -> ! {
    let fd = listenfd.as_raw_fd();
    // The book's Close(listenfd): the child does not accept. (The OwnedFds fork copied into
    // the child are never dropped here: the child ends in exec or _exit.)
    close(fd).unwrap_or_else(|e| err_sys("close", e)); // the child's Close(listenfd)
    outln!("child: close({fd})");
    usr1.wait().unwrap_or_else(|e| err_sys("sigwait", e));
    sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(usr1), None)
        .unwrap_or_else(|e| err_sys("sigprocmask", e));
    if !wait_for("exec") {
        _exit(0);
    }
    // Descriptors stay open across exec unless marked close-on-exec (socket and accept were
    // called without SOCK_CLOEXEC): getpeer finds the connection under the same number.
    let fd = connfd.as_raw_fd(); // not closed: the new program gets it
    let path = std::env::current_exe()
        .ok()
        .and_then(|me| me.parent().map(|dir| dir.join("getpeer")))
        .and_then(|p| CString::new(p.into_os_string().into_encoded_bytes()).ok())
        .unwrap_or_else(|| err_quit("cannot find getpeer"));
    let argv = [
        c"getpeer".to_owned(),
        CString::new(fd.to_string()).expect("digits"),
    ];
    outln!("child: exec getpeer {fd}");
    let e = execv(&path, &argv).unwrap_err();
    err_sys("exec", e)
}

/// The parent waits for its child (getpeer, after the exec) and ends with it.
fn reap(child: Pid) {
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(pid, code)) => {
            outln!("parent: child {pid} exited with status {code}")
        }
        Ok(status) => outln!("parent: child ended: {status:?}"),
        Err(e) => err_sys("waitpid", e),
    }
}

/// Wait for the line naming `call`; at EOF on standard input, exit.
fn step(call: &str) {
    if !wait_for(call) {
        std::process::exit(0);
    }
}

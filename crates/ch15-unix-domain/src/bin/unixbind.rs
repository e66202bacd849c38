//! unixbind: bind a Unix-domain socket to a pathname (UNP §15.4, Figure 15.2).
//!
//! bind on a Unix-domain socket creates a file, of type socket, at the pathname. The file stays
//! when the socket is closed and the program ends: a second bind to the same pathname fails
//! with EADDRINUSE unless the file is removed first, which is why the book calls unlink before
//! bind (`--no-unlink` leaves it out). getsockname gives the name back.

use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use clap::Parser;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrLike, UnixAddr, bind, getsockname, socket,
};
use nix::unistd::unlink;
use unp::{err_quit, err_sys, outln, parse_args, unix_addr};

#[derive(Parser)]
#[command(
    name = "unixbind",
    about = "Bind a Unix-domain socket to a pathname (UNP Figure 15.2)"
)]
struct Args {
    /// The pathname to bind, for example /tmp/moose
    pathname: PathBuf,
    /// Leave out the unlink before bind: a file left by an earlier bind makes it fail
    #[arg(long)]
    no_unlink: bool,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap_or_else(|e| err_sys("socket", e));
    if !args.no_unlink {
        let _ = unlink(&args.pathname); // OK if this fails: there was no file
    }
    let addr1 = unix_addr(&args.pathname);
    bind(sockfd.as_raw_fd(), &addr1).unwrap_or_else(|e| err_sys("bind", e));
    let addr2: UnixAddr =
        getsockname(sockfd.as_raw_fd()).unwrap_or_else(|e| err_sys("getsockname", e));
    // The length is the family's 2 bytes, the pathname and its terminating NUL.
    let (name, len) = (addr2.path().unwrap_or(Path::new("")).display(), addr2.len());
    outln!("bound name = {name}, returned len = {len}");
    ls_l(&args.pathname); // then exit: the socket is closed, the file stays
}

/// What `ls -l` shows of the file bind made: its type `s`, its permissions (0777 less umask).
fn ls_l(path: &Path) {
    let meta = std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| err_quit(&format!("stat error for {}: {e}", path.display())));
    let socket = meta.file_type().is_socket();
    let kind = if socket { 's' } else { '?' };
    let mode = meta.permissions().mode();
    let rwx: String = "rwxrwxrwx"
        .chars()
        .enumerate()
        .map(|(i, c)| if mode & (0o400 >> i) != 0 { c } else { '-' })
        .collect();
    outln!("ls -l: {kind}{rwx} {} {}", meta.size(), path.display());
}

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
use unp::{err_quit, err_sys, parse_args};

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
    let addr1 = UnixAddr::new(&args.pathname)
        .unwrap_or_else(|_| err_quit(&format!("pathname too long: {}", args.pathname.display())));
    bind(sockfd.as_raw_fd(), &addr1).unwrap_or_else(|e| err_sys("bind", e));
    let addr2: UnixAddr =
        getsockname(sockfd.as_raw_fd()).unwrap_or_else(|e| err_sys("getsockname", e));
    let name = addr2.path().unwrap_or(Path::new(""));
    // The length is the family's 2 bytes, the pathname and its terminating NUL.
    println!(
        "bound name = {}, returned len = {}",
        name.display(),
        addr2.len()
    );
    ls_l(&args.pathname);
    // The socket is closed at exit; the file is not removed.
}

/// What `ls -l PATHNAME` shows of the file bind created: its type `s` and its permissions,
/// which are 0777 less the umask, as for any file a process creates.
fn ls_l(path: &Path) {
    let meta = std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| err_quit(&format!("stat error for {}: {e}", path.display())));
    let kind = if meta.file_type().is_socket() {
        's'
    } else {
        '?'
    };
    let mode = meta.permissions().mode();
    let rwx: String = (0..9)
        .map(|i| {
            let bit = 1 << (8 - i);
            match (mode & bit != 0, i % 3) {
                (false, _) => '-',
                (true, 0) => 'r',
                (true, 1) => 'w',
                (true, _) => 'x',
            }
        })
        .collect();
    println!("ls -l: {kind}{rwx} {} {}", meta.size(), path.display());
}

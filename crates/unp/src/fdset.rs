//! What select(2) can watch: descriptors below FD_SETSIZE (UNP §6.3).

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::err_quit;

/// `fd`, if select can watch it; otherwise end the program with one line, exit 1.
///
/// An `fd_set` is an array of FD_SETSIZE (1024) bits: FD_SET of a larger descriptor would write
/// past its end, which nix's `FdSet::insert` refuses with a panic. A process that already holds
/// 1,024 descriptors gets one that large from `socket`, so the select programs check theirs.
pub fn selectable(fd: BorrowedFd<'_>) -> BorrowedFd<'_> {
    let raw = fd.as_raw_fd();
    if raw >= libc::FD_SETSIZE as i32 {
        err_quit(&format!(
            "select cannot watch descriptor {raw}: FD_SETSIZE is {}",
            libc::FD_SETSIZE
        ));
    }
    fd
}

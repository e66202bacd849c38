//! `check --watch`: grade the copy again each time one of its files is saved, as `rustlings
//! watch` does, until q or Ctrl-C. inotify(7) says when a file was written; nothing polls.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use inotify::{Inotify, WatchMask};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{Args, check_once, finish};
use crate::scenario::Scenario;
use crate::show::term::OneKey;
use crate::supervise::INTERRUPTED;

/// What ended a wait for the next save.
enum Woken {
    Saved,
    Quit,
    Interrupted,
}

pub(super) fn run(args: &Args, scenario: &Scenario, file: &Path, copy: &Path) -> ExitCode {
    let mut inotify = match watch_tree(copy) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: cannot watch {}: {e}", copy.display());
            return ExitCode::FAILURE;
        }
    };
    loop {
        println!("\n── checking exercises/{} ──", args.lesson);
        let last = match check_once(args, scenario, file) {
            Ok(grade) => finish(args, &grade),
            Err(code) if INTERRUPTED.load(Ordering::SeqCst) => return code,
            Err(code) => code,
        };
        println!(
            "\nwatching exercises/{}: save a file to check again; q or Ctrl-C stops",
            args.lesson
        );
        match wait(&mut inotify) {
            Woken::Saved => continue,
            Woken::Quit => return last,
            Woken::Interrupted => return ExitCode::from(130),
        }
    }
}

/// Watch every folder of the copy but its build output, for files written or moved in (an
/// editor that saves by renaming a new file over the old).
fn watch_tree(copy: &Path) -> std::io::Result<Inotify> {
    let inotify = Inotify::init()?;
    let mask = WatchMask::CLOSE_WRITE | WatchMask::MOVED_TO | WatchMask::CREATE;
    let mut folders = vec![copy.to_path_buf()];
    while let Some(dir) = folders.pop() {
        inotify.watches().add(&dir, mask)?;
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let path = entry.path();
            if path.is_dir() && entry.file_name() != "target" && entry.file_name() != ".git" {
                folders.push(path);
            }
        }
    }
    Ok(inotify)
}

/// Wait for a save (of a source file: not an editor's swap file), q, or Ctrl-C.
fn wait(inotify: &mut Inotify) -> Woken {
    let keys = OneKey::start();
    let stdin = std::io::stdin();
    let mut buffer = [0u8; 4096];
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Woken::Interrupted;
        }
        let ino = inotify.as_fd();
        let mut fds = vec![PollFd::new(ino, PollFlags::POLLIN)];
        if keys.is_some() {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        // A signal interrupts poll (EINTR): the flag is looked at again at once.
        let _ = poll(&mut fds, PollTimeout::NONE);
        let key_ready = fds.get(1).is_some_and(|f| ready(f));
        let saved_ready = ready(&fds[0]);
        drop(fds);
        if key_ready && read_key(stdin.as_fd()) == Some(b'q') {
            return Woken::Quit;
        }
        if saved_ready && saved(inotify, &mut buffer) {
            settle(inotify, &mut buffer);
            return Woken::Saved;
        }
    }
}

fn ready(fd: &PollFd) -> bool {
    fd.revents()
        .is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP))
}

/// One key from the terminal.
fn read_key(fd: BorrowedFd) -> Option<u8> {
    let mut byte = [0u8; 1];
    match nix::unistd::read(fd, &mut byte) {
        Ok(1) => Some(byte[0]),
        _ => None,
    }
}

/// Whether the events waiting name a source file (`.rs`, `.toml`, `.c`, `.h`).
fn saved(inotify: &mut Inotify, buffer: &mut [u8]) -> bool {
    let Ok(events) = inotify.read_events(buffer) else {
        return false;
    };
    events.into_iter().any(|e| {
        e.name.and_then(|n| n.to_str()).is_some_and(|n| {
            !n.starts_with('.') && [".rs", ".toml", ".c", ".h"].iter().any(|x| n.ends_with(x))
        })
    })
}

/// An editor's save is several events (write, rename, chmod): read them until none comes for
/// a moment, so one save is one check.
fn settle(inotify: &mut Inotify, buffer: &mut [u8]) {
    let quiet = PollTimeout::from(150u16);
    loop {
        let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
        if !matches!(poll(&mut fds, quiet), Ok(n) if n > 0) {
            return;
        }
        let _ = inotify.read_events(buffer);
    }
}

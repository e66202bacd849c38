//! ch15-unix-domain, tested directly: unixstrcli01 and unixstrserv01 echo any bytes over a
//! pathname, for several clients at once; the socket file outlives its socket, and unlink
//! before bind is what lets the next bind succeed; connect's two failures; the datagram pair,
//! whose client must bind a name to be answered; socketpair01.

mod common;

use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;

use common::{LIMIT, cmd, end_group, lines_of, next_line, output_within};

/// A folder of this test's own, removed with whatever is in it when the test ends.
struct TmpDir(PathBuf);

impl TmpDir {
    fn new() -> TmpDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("unp-lab-unix-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("make the test's folder");
        TmpDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// unixstrserv01 on `path`, in a process group of its own with its children; dropping it
/// kills and reaps them all.
struct UnixServer {
    child: Child,
    lines: Receiver<String>,
}

impl UnixServer {
    fn start(path: &Path) -> UnixServer {
        let mut child = cmd("unixstrserv01")
            .arg("--path")
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("the server starts");
        let lines = lines_of(child.stdout.take().expect("piped"));
        let mut s = UnixServer { child, lines };
        let first = s.line();
        assert_eq!(first.trim(), format!("bound to {}", path.display()));
        s
    }

    fn line(&mut self) -> String {
        next_line(&self.lines, "unixstrserv01's next line", LIMIT)
    }
}

impl Drop for UnixServer {
    fn drop(&mut self) {
        end_group(self.child.id() as i32);
    }
}

/// Run `name ARGS...` with `input` on its standard input, to its end.
fn run(name: &str, args: &[&std::ffi::OsStr], input: &[u8]) -> Output {
    let mut child = cmd(name)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = output_within(child, name);
    writer.join().expect("the writer ends");
    out
}

fn client(path: &Path, input: &[u8]) -> Output {
    run(
        "unixstrcli01",
        &["--path".as_ref(), path.as_os_str()],
        input,
    )
}

/// Lines, NULs, every byte value, a line longer than MAXLINE, no newline at the end.
fn awkward_input() -> Vec<u8> {
    let mut input = b"hello\n\nline with a NUL \0 inside\n".to_vec();
    input.extend((0..=255u8).filter(|&b| b != b'\n'));
    input.push(b'\n');
    input.extend((0..10_000u32).map(|i| b'a' + (i % 26) as u8));
    input.extend(b"\nlast line without a newline");
    input
}

#[test]
fn unixstrcli01_gets_a_byte_exact_echo_over_a_pathname() {
    let dir = TmpDir::new();
    let path = dir.path("unix.str");
    let _s = UnixServer::start(&path);
    let input = awkward_input();
    let out = client(&path, &input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, input);
}

#[test]
fn unixstrserv01_forks_a_child_per_client_and_reaps_each() {
    let dir = TmpDir::new();
    let path = dir.path("unix.str");
    let mut s = UnixServer::start(&path);
    let clients: Vec<_> = (0..5)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let input = format!("client {i}\n").repeat(100).into_bytes();
                let out = client(&path, &input);
                assert!(out.status.success(), "{out:?}");
                assert_eq!(out.stdout, input);
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client thread");
    }
    for _ in 0..5 {
        assert!(s.line().contains("terminated"));
    }
}

#[test]
fn the_socket_file_outlives_the_server_and_unlink_lets_the_next_bind() {
    let dir = TmpDir::new();
    let path = dir.path("unix.str");
    drop(UnixServer::start(&path)); // killed: its socket closes, its file stays
    let meta = std::fs::symlink_metadata(&path).expect("the file is still there");
    assert!(meta.file_type().is_socket());
    // A file with no socket listening behind it: ECONNREFUSED.
    let out = client(&path, b"");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "connect error: Connection refused\n"
    );
    // The next server unlinks the file before bind, and serves.
    let _s = UnixServer::start(&path);
    let out = client(&path, b"again\n");
    assert_eq!(out.stdout, b"again\n");
}

#[test]
fn unixstrcli01_with_no_file_gets_enoent() {
    let dir = TmpDir::new();
    let out = client(&dir.path("nobody"), b"");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "connect error: No such file or directory\n"
    );
}

#[test]
fn unixbind_makes_a_socket_file_and_without_unlink_a_second_bind_fails() {
    let dir = TmpDir::new();
    let path = dir.path("moose");
    let arg = path.as_os_str();
    let out = run("unixbind", &[arg], b"");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    // The family's 2 bytes, the pathname, its NUL.
    let len = 2 + path.as_os_str().len() + 1;
    assert_eq!(
        lines.next(),
        Some(format!("bound name = {}, returned len = {len}", path.display()).as_str())
    );
    let ls = lines.next().unwrap_or_default();
    assert!(ls.starts_with("ls -l: srw"), "{text}");
    assert!(ls.ends_with(&format!(" 0 {}", path.display())), "{text}");
    assert!(std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket()));

    let out = run("unixbind", &["--no-unlink".as_ref(), arg], b"");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "bind error: Address already in use\n"
    );
    let out = run("unixbind", &[arg], b"");
    assert!(out.status.success(), "{out:?}");
}

/// unixdgserv01 on `path`, killed and reaped when dropped.
struct DgServer(Child);

impl DgServer {
    fn start(path: &Path) -> DgServer {
        let mut child = cmd("unixdgserv01")
            .arg("--path")
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let lines = lines_of(child.stdout.take().expect("piped"));
        let s = DgServer(child);
        let first = next_line(&lines, "unixdgserv01's first line", LIMIT);
        assert_eq!(first.trim(), format!("bound to {}", path.display()));
        s
    }
}

impl Drop for DgServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn unixdgcli01_gets_a_byte_exact_echo_and_removes_its_own_pathname() {
    let dir = TmpDir::new();
    let path = dir.path("unix.dg");
    let _s = DgServer::start(&path);
    // Lines up to MAXLINE go as one datagram each; a longer one as several.
    let input = awkward_input();
    let out = run(
        "unixdgcli01",
        &["--path".as_ref(), path.as_os_str()],
        &input,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, input);
    // Only the server's file is left: the client removed the name it bound.
    let left: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("read the folder")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["unix.dg"]);
}

#[test]
fn an_unbound_unixdgcli01_gets_no_echo_and_the_server_goes_on() {
    let dir = TmpDir::new();
    let path = dir.path("unix.dg");
    let _s = DgServer::start(&path);
    let p = path.as_os_str();
    let args = [
        "--path".as_ref(),
        p,
        "--no-bind".as_ref(),
        "--timeout".as_ref(),
        "1".as_ref(),
    ];
    let out = run("unixdgcli01", &args, b"anyone?\n");
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "socket timeout\n");
    // The server skipped it and still answers a client that has a name.
    let out = run("unixdgcli01", &["--path".as_ref(), p], b"still there?\n");
    assert_eq!(out.stdout, b"still there?\n");
}

#[test]
fn socketpair01_echoes_through_its_child_and_reaps_it() {
    let input = awkward_input();
    let out = run("socketpair01", &[], &input);
    assert!(out.status.success(), "{out:?}");
    let tail = out
        .stdout
        .strip_prefix(input.as_slice())
        .expect("the echo comes first, byte-exact");
    let tail = String::from_utf8_lossy(tail);
    assert!(
        tail.starts_with("child ") && tail.ends_with(" terminated\n"),
        "{tail}"
    );
}

#[test]
fn bad_arguments_print_usage_and_exit_2_and_a_long_path_is_an_error() {
    for (name, args) in [
        ("unixstrserv01", &["--port", "9877"][..]),
        ("unixstrcli01", &["127.0.0.1"]),
        ("unixbind", &[]),
        ("socketpair01", &["extra"]),
        ("unixdgserv01", &["--bind", "127.0.0.1"]),
        ("unixdgcli01", &["--timeout", "0"]),
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        let out = run(name, &args, b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("Usage:"), "{name}: {err}");
    }
    // sun_path holds 108 bytes: a longer pathname is refused, without a panic.
    let long = format!("/tmp/{}", "x".repeat(200));
    for name in [
        "unixstrserv01",
        "unixstrcli01",
        "unixdgserv01",
        "unixdgcli01",
    ] {
        let out = run(name, &["--path".as_ref(), long.as_ref()], b"");
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("pathname too long"));
    }
    let out = run("unixbind", &[long.as_ref()], b"");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

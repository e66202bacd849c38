//! No program panics when its output goes away (issue 20): every lesson program runs with its
//! standard output closed, a pipe nobody reads (EPIPE: Rust ignores SIGPIPE) and /dev/full
//! (ENOSPC). Clients and tools stop with `write error: <strerror>`, exit 1; servers lose their
//! log lines and go on serving. And the select programs, started with 1,100 descriptors open,
//! refuse a socket select cannot watch with one line, exit 1.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use common::{LIMIT, Server, cmd, echo_all, end_group, output_within, sockdiag, state, wait_for};

#[derive(Clone, Copy, Debug)]
enum Out {
    Closed,
    Broken,
    Full,
}

const OUTS: [Out; 3] = [Out::Closed, Out::Broken, Out::Full];

/// Give `command` the standard output `out`.
fn with_stdout(command: &mut Command, out: Out) {
    match out {
        Out::Closed => {
            command.stdout(Stdio::inherit());
            // SAFETY: between fork and exec the closure calls only close(2), which is
            // async-signal-safe, and allocates nothing.
            unsafe {
                command.pre_exec(|| {
                    libc::close(1);
                    Ok(())
                });
            }
        }
        Out::Broken => {
            let (read_end, write_end) = nix::unistd::pipe().expect("pipe");
            drop(read_end); // nobody reads: every write gets EPIPE
            command.stdout(Stdio::from(write_end));
        }
        Out::Full => {
            let full = File::options()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full");
            command.stdout(Stdio::from(full));
        }
    }
}

/// What a program that stopped (or ended) said: no panic, no backtrace; and with a broken or
/// full stdout, if it printed, the one line `write error: ...` and exit 1.
fn check_ended(what: &str, out: Out, output: &Output, prints: bool) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{what} with stdout {out:?} panicked: {stderr}"
    );
    let code = output.status.code();
    // tcpcli11 gives SIGPIPE its default action back (§5.13): it dies of it, as a C program.
    if what.starts_with("tcpcli11") && matches!(out, Out::Broken) {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGPIPE),
            "{what}: {stderr}"
        );
        return;
    }
    // tcpcli_select01 may end before an echo comes back (§6.7): it prints if one does.
    let prints = prints || (what.starts_with("tcpcli_select01") && code == Some(1));
    match out {
        Out::Closed => assert_eq!(code, Some(0), "{what}, stdout closed: {stderr}"),
        Out::Broken | Out::Full if prints => {
            let errno = match out {
                Out::Broken => "Broken pipe",
                _ => "No space left on device",
            };
            assert_eq!(code, Some(1), "{what} with stdout {out:?}: {stderr}");
            assert!(
                stderr.lines().all(|l| l == format!("write error: {errno}")) && !stderr.is_empty(),
                "{what} with stdout {out:?} said {stderr:?}"
            );
        }
        Out::Broken | Out::Full => assert_eq!(code, Some(0), "{what} {out:?}: {stderr}"),
    }
}

/// Run a program that ends by itself, with `input` on its standard input.
fn run(name: &str, args: &[String], input: &[u8], out: Out, prints: bool) {
    let mut command = cmd(name);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    with_stdout(&mut command, out);
    let mut child = command.spawn().expect("the program starts");
    let pgid = child.id() as i32;
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // A program that stopped early closes its end: the write may fail, which is fine.
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = output_within(child, &format!("{name} {args:?} to end"));
    end_group(pgid); // a child it forked, if any is left
    check_ended(&format!("{name} {args:?}"), out, &output, prints);
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("unp-stdout-{}-{tag}", std::process::id()))
}

#[test]
fn clients_and_tools_stop_with_one_line_when_stdout_goes_away() {
    let echo = Server::start("tcpserv04", &[]);
    let day = Server::start("daytimetcpsrv1", &[]);
    let udp = Server::start("udpserv01", &[]);
    let chat = Server::start("chatserv", &[]);
    let tcp = |extra: &[&str]| {
        let mut a = strings(&["127.0.0.1", "--port", &echo.port.to_string()]);
        a.extend(strings(extra));
        a
    };
    let udp_args = strings(&["127.0.0.1", "--port", &udp.port.to_string()]);
    for out in OUTS {
        for name in ["tcpcli01", "tcpcli04", "tcpcli_select02"] {
            run(name, &tcp(&[]), b"hello\n", out, true);
        }
        run("tcpcli_select01", &tcp(&[]), b"hello\n", out, false);
        run("tcpcli_poll01", &tcp(&[]), b"hello\n", out, true);
        run("tcpcli11", &tcp(&[]), b"hello\n", out, true);
        run("tcpcli_abort", &tcp(&[]), b"", out, false);
        let day_args = strings(&["127.0.0.1", "--port", &day.port.to_string()]);
        run("daytimetcpcli", &day_args, b"", out, true);
        run("stepcli", &tcp(&[]), b"socket\nconnect\n", out, true);
        let lport = common::free_ports_below_ephemeral(1).to_string();
        let mut bindtable = day_args.clone();
        bindtable.extend(strings(&["--local", "127.0.0.1", "--lport", &lport]));
        run("bindtable", &bindtable, b"", out, true);
        let stepserv = strings(&["--bind", "127.0.0.1", "--port", "0"]);
        run("stepserv", &stepserv, b"socket\nbind\nlisten\n", out, true);
        run("zombie", &[], b"\n\n", out, true);
        run(
            "signalsecond",
            &strings(&["--seconds", "1"]),
            b"",
            out,
            true,
        );
        run("signalmask", &[], b"\n", out, true);
        run("socketpair01", &[], b"hello\n", out, true);
        let path = temp_path(&format!("bind-{out:?}"));
        run(
            "unixbind",
            &strings(&[path.to_str().expect("utf-8")]),
            b"",
            out,
            true,
        );
        let _ = std::fs::remove_file(&path);
        for name in ["udpcli01", "udpcli04"] {
            run(name, &udp_args, b"hello\n", out, true);
        }
        let mut udpcli02 = udp_args.clone();
        udpcli02.extend(strings(&["--timeout", "5"]));
        run("udpcli02", &udpcli02, b"hello\n", out, true);
        run("udpcli06", &udp_args, b"", out, true);
        let chat_args = strings(&["127.0.0.1", "--port", &chat.port.to_string()]);
        run("chatcli", &chat_args, b"hello\n", out, true);
    }
}

#[test]
fn unix_domain_clients_stop_with_one_line_when_stdout_goes_away() {
    let str_path = temp_path("str");
    let dg_path = temp_path("dg");
    let mut servers = Vec::new();
    for (name, path) in [("unixstrserv01", &str_path), ("unixdgserv01", &dg_path)] {
        let args = ["--path", path.to_str().expect("utf-8")];
        servers.push(Running::start(name, &args, Out::Closed));
        wait_for("the server's pathname", || path.exists());
    }
    for out in OUTS {
        let args = strings(&["--path", str_path.to_str().expect("utf-8")]);
        run("unixstrcli01", &args, b"hello\n", out, true);
        let args = strings(&["--path", dg_path.to_str().expect("utf-8")]);
        run("unixdgcli01", &args, b"hello\n", out, true);
    }
    for s in servers {
        s.check_alive("a Unix-domain server");
    }
    let _ = std::fs::remove_file(&str_path);
    let _ = std::fs::remove_file(&dg_path);
}

/// A server started with stdout `out`, in a process group of its own, killed and reaped when
/// dropped.
struct Running {
    child: Child,
}

impl Running {
    fn start(name: &str, args: &[&str], out: Out) -> Running {
        let mut command = cmd(name);
        command
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        with_stdout(&mut command, out);
        Running {
            child: command.spawn().expect("the server starts"),
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The port of the server's first socket of `protocol` (bound, and for TCP listening),
    /// found from its descriptors: its `listening on` line may be lost.
    fn port(&self, protocol: i32) -> u16 {
        let mut port = 0;
        wait_for("the server's socket", || {
            let inodes: Vec<u64> = std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
                })
                .collect();
            let socks = sockdiag::dump(libc::AF_INET, protocol).unwrap_or_default();
            port = socks
                .iter()
                .filter(|s| inodes.contains(&s.inode) && s.local.port() != 0)
                .filter(|s| {
                    protocol != libc::IPPROTO_TCP || sockdiag::tcp_state_name(s.state) == "LISTEN"
                })
                .min_by_key(|s| s.inode)
                .map_or(0, |s| s.local.port());
            port != 0
        });
        port
    }

    /// Still serving: not ended, and it never panicked. Ends it.
    fn check_alive(mut self, what: &str) {
        let ended = self.child.try_wait().expect("try_wait");
        end_group(self.pid());
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .expect("piped")
            .read_to_string(&mut stderr);
        assert!(ended.is_none(), "{what} ended ({ended:?}): {stderr}");
        assert!(!stderr.contains("panicked"), "{what} panicked: {stderr}");
    }
}

fn udp_client() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(LIMIT)).expect("timeout");
    sock
}

#[test]
fn servers_go_on_serving_when_stdout_goes_away() {
    let local = ["--bind", "127.0.0.1", "--port", "0"];
    for out in OUTS {
        for name in common::SERVERS {
            let s = Running::start(name, &local, out);
            let port = s.port(libc::IPPROTO_TCP);
            assert_eq!(echo_all(port, b"hello\n"), b"hello\n", "{name} {out:?}");
            s.check_alive(&format!("{name} with stdout {out:?}"));
        }

        // `daytimetcpsrv1 | head -1`: its `connection from` line is lost, the client served.
        let s = Running::start("daytimetcpsrv1", &local, out);
        let port = s.port(libc::IPPROTO_TCP);
        for _ in 0..2 {
            let mut sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            sock.set_read_timeout(Some(LIMIT)).expect("timeout");
            let mut time = String::new();
            sock.read_to_string(&mut time).expect("the time");
            assert!(
                time.ends_with("\r\n"),
                "daytimetcpsrv1 {out:?} sent {time:?}"
            );
        }
        s.check_alive(&format!("daytimetcpsrv1 with stdout {out:?}"));

        for name in ["udpserv01", "udpserv_stray"] {
            let s = Running::start(name, &local, out);
            let port = s.port(libc::IPPROTO_UDP);
            let sock = udp_client();
            sock.send_to(b"hello\n", ("127.0.0.1", port)).expect("send");
            let mut buf = [0u8; 100];
            sock.recv_from(&mut buf).expect("a reply");
            s.check_alive(&format!("{name} with stdout {out:?}"));
        }

        // Two chat clients: the second one's message reaches the first once both have joined.
        let s = Running::start("chatserv", &local, out);
        let port = s.port(libc::IPPROTO_UDP);
        let (a, b) = (udp_client(), udp_client());
        a.send_to(b"hi\n", ("127.0.0.1", port)).expect("send");
        b.send_to(b"yo\n", ("127.0.0.1", port)).expect("send");
        let mut buf = [0u8; 100];
        let n = a.recv(&mut buf).expect("b's message relayed to a");
        assert!(buf[..n].ends_with(b">> yo\n"), "chatserv {out:?}");
        s.check_alive(&format!("chatserv with stdout {out:?}"));

        // udpserv06 prints SO_RCVBUF, then counts until SIGINT, whose handler exits 0.
        let mut s = Running::start("udpserv06", &local, out);
        s.port(libc::IPPROTO_UDP);
        wait_for("udpserv06 in recvfrom", || state(s.pid()) == Some('S'));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(s.pid()),
            nix::sys::signal::SIGINT,
        )
        .expect("kill");
        let status = common::wait_within(&mut s.child, "udpserv06 to end", LIMIT);
        assert_eq!(status.code(), Some(0), "udpserv06 {out:?}");
        end_group(s.pid());
    }
}

#[test]
fn unix_domain_servers_go_on_serving_when_stdout_goes_away() {
    for out in OUTS {
        let path = temp_path(&format!("srv-str-{out:?}"));
        let s = Running::start(
            "unixstrserv01",
            &["--path", path.to_str().expect("utf-8")],
            out,
        );
        wait_for("the server's pathname", || path.exists());
        let mut sock = UnixStream::connect(&path).expect("connect");
        sock.set_read_timeout(Some(LIMIT)).expect("timeout");
        sock.write_all(b"hello\n").expect("write");
        let mut back = [0u8; 6];
        sock.read_exact(&mut back).expect("the echo");
        s.check_alive(&format!("unixstrserv01 with stdout {out:?}"));
        let _ = std::fs::remove_file(&path);

        let path = temp_path(&format!("srv-dg-{out:?}"));
        let me = temp_path(&format!("cli-dg-{out:?}"));
        let s = Running::start(
            "unixdgserv01",
            &["--path", path.to_str().expect("utf-8")],
            out,
        );
        wait_for("the server's pathname", || path.exists());
        let sock = UnixDatagram::bind(&me).expect("bind");
        sock.set_read_timeout(Some(LIMIT)).expect("timeout");
        sock.send_to(b"hello\n", &path).expect("send");
        let mut back = [0u8; 6];
        sock.recv(&mut back).expect("the echo");
        s.check_alive(&format!("unixdgserv01 with stdout {out:?}"));
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&me);
    }
}

/// Start `name` with descriptors 3 to 1100 open (copies of /dev/null), so that its first
/// socket is 1101: past FD_SETSIZE (1024), which select cannot watch.
fn with_1100_descriptors(name: &str, args: &[String]) -> Output {
    let null = File::open("/dev/null").expect("/dev/null");
    let fd = null.as_raw_fd();
    let mut command = cmd(name);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec the closure calls only setrlimit(2), dup2(2) and fcntl(2),
    // which are async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: 2048,
                rlim_max: 2048,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            for target in 3..=1100 {
                if target != fd && libc::dup2(fd, target) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // The original is close-on-exec, as std opens every file: keep it open too.
            if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().expect("the program starts");
    output_within(child, &format!("{name} to end"))
}

#[test]
fn select_programs_refuse_a_descriptor_past_fd_setsize_with_one_line() {
    let server = Server::start("tcpserv04", &[]);
    let client = strings(&["127.0.0.1", "--port", &server.port.to_string()]);
    let local = strings(&["--bind", "127.0.0.1", "--port", "0"]);
    for (name, args) in [
        ("tcpservselect01", &local),
        ("tcpservselect02", &local),
        ("tcpcli_select01", &client),
        ("tcpcli_select02", &client),
    ] {
        let output = with_1100_descriptors(name, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(
            stderr, "select cannot watch descriptor 1101: FD_SETSIZE is 1024\n",
            "{name}"
        );
    }
}

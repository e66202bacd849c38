//! The runner, `cargo xtask`: every lesson's scenario passes; mistakes a user can make get one
//! line and the documented exit status; and nothing a scenario starts outlives the run, whether
//! it passes, fails, times out, or is interrupted.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{bin, listeners};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use predicates::prelude::*;

fn xtask() -> Command {
    let mut c = Command::new(bin("xtask"));
    c.timeout(Duration::from_secs(60));
    // The runner then names its network namespaces, which must all be gone after it.
    c.env("XTASK_TEST_SHOW_NAMESPACES", "1");
    c
}

/// The port a run used, from its header line `... servers listen on 127.0.0.1:PORT.`; none for
/// a lesson without servers, whose header names no port.
fn port_of(stdout: &str) -> Option<u16> {
    stdout
        .lines()
        .find_map(|l| l.split_once("listen on 127.0.0.1:").map(|(_, p)| p))
        .and_then(|p| p.trim_end_matches('.').parse().ok())
}

/// The run's network namespaces, as the runner names them under XTASK_TEST_SHOW_NAMESPACES.
fn namespaces_of(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("namespaces: "))
        .map(|l| l.split_whitespace().map(|n| format!("net:[{n}]")).collect())
        .unwrap_or_default()
}

/// No process is in one of `namespaces`, and no descriptor holds one: the kernel has freed
/// them, and every veth and bridge in them.
///
/// The kernel reuses a freed namespace's inode number, so a runner that is still playing
/// (another test's) may hold or run programs in a namespace with one of these numbers: those
/// are told apart by their ancestry. A process left over from this run has lost its runner.
fn assert_namespaces_gone(namespaces: &[String]) {
    let comm = |pid: i32| std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let ppid = |pid: i32| {
        procfs::process::Process::new(pid)
            .and_then(|p| p.stat())
            .map_or(0, |s| s.ppid)
    };
    let under_a_live_runner = |mut pid: i32| {
        while pid > 1 {
            if comm(pid).trim() == "xtask" {
                return true;
            }
            pid = ppid(pid);
        }
        false
    };
    for proc in procfs::process::all_processes().expect("/proc").flatten() {
        let pid = proc.pid;
        if under_a_live_runner(pid) {
            continue;
        }
        let links = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .chain(std::iter::once(PathBuf::from(format!(
                "/proc/{pid}/ns/net"
            ))));
        for link in links {
            let target = std::fs::read_link(&link).unwrap_or_default();
            let target = target.to_string_lossy();
            assert!(
                !namespaces.iter().any(|n| *n == target),
                "{target} outlived the run: {} ({})",
                link.display(),
                comm(pid).trim()
            );
        }
    }
}

/// The pids the runner reported starting: `[name, pid N]`.
fn started_pids(stdout: &str) -> Vec<i32> {
    stdout
        .split(", pid ")
        .skip(1)
        .filter_map(|rest| rest.split(']').next()?.parse().ok())
        .collect()
}

/// Nothing of the run is left: no process it started, none with its port on the command line,
/// no socket listening on its port.
fn assert_nothing_left(stdout: &str) {
    for pid in started_pids(stdout) {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "pid {pid} outlived the run"
        );
    }
    let namespaces = namespaces_of(stdout);
    if !namespaces.is_empty() {
        // In namespaces of its own, the run's port is not the machine's: other runs use the
        // same one at the same time. What must be gone is the namespaces.
        assert_namespaces_gone(&namespaces);
        return;
    }
    let Some(port) = port_of(stdout) else {
        return;
    };
    let needle = format!("--port {port}");
    for proc in procfs::process::all_processes().expect("/proc").flatten() {
        let cmdline = proc.cmdline().unwrap_or_default().join(" ");
        assert!(
            !cmdline.contains(&needle),
            "left running: pid {} {cmdline}",
            proc.pid
        );
    }
    for pid in started_pids(stdout) {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "pid {pid} outlived the run"
        );
    }
    assert_eq!(listeners(port), 0, "a socket still listens on port {port}");
}

#[test]
fn every_lesson_passes_and_leaves_nothing_behind() {
    let lessons = common::lessons();
    assert!(lessons.len() >= 3, "found the lessons: {lessons:?}");
    for lesson in lessons {
        let report = TempFile(std::env::temp_dir().join(format!(
            "unp-lab-test-report.{}.{lesson}.json",
            std::process::id()
        )));
        let out = xtask()
            .args(["run", &lesson, "--port", "0", "--report"])
            .arg(&report.0)
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{lesson}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The outcome as data: the report, not the printed marks.
        let report = xtask::play::Report::read(&report.0).expect("a report");
        assert_eq!(report.outcome, "passed", "{lesson}: {stdout}");
        assert_eq!(report.first_failure().map(|(s, _)| s), None, "{lesson}");
        let (held, made) = report.tally();
        assert!(held == made && made > 0, "{lesson}: {held} of {made}");
        assert_nothing_left(&stdout);
    }
}

#[test]
fn list_shows_every_lesson_in_course_order() {
    let out = xtask().arg("list").output().expect("list");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let order: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    let mut expected = common::lessons();
    assert_eq!(order.len(), expected.len(), "{text}");
    expected.retain(|l| l.starts_with("ch5-"));
    let ch5: Vec<&str> = order
        .iter()
        .copied()
        .filter(|l| l.starts_with("ch5-"))
        .collect();
    assert_eq!(
        ch5[..4],
        [
            "ch5-fork-server",
            "ch5-zombie",
            "ch5-signals",
            "ch5-sigchld"
        ],
        "{text}"
    );
    // A lesson on §4.2-4.10 comes first: it starts before §4.3.
    assert_eq!(
        order[..2],
        ["ch4-elementary", "ch4-connect-errors"],
        "{text}"
    );
    // Numbered as the notes are: 1 to the number of lessons.
    let numbers: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    let expected: Vec<String> = (1..=order.len()).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected, "{text}");
}

#[test]
fn an_unknown_lesson_gets_the_list_and_exit_2() {
    xtask()
        .args(["run", "ch99-nothing"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("no lesson named `ch99-nothing`; the lessons are:")
                .and(predicate::str::contains("ch5-sigchld")),
        );
}

/// Every lesson names the lines it teaches, with the change that undoes each (issue 14): a new
/// lesson without `[[guard]]`s fails here. `cargo xtask guard` (in CI) then makes each change.
#[test]
fn every_lesson_lists_its_guarded_lines() {
    let out = xtask().args(["guard", "--list"]).assert().success();
    let listed = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for lesson in common::lessons() {
        assert!(
            listed.lines().any(|l| l.starts_with(&format!("{lesson} "))),
            "{lesson} lists no [[guard]] in its scenario; guard --list printed:\n{listed}"
        );
    }
    xtask()
        .args(["guard", "ch99-nothing"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no lesson named `ch99-nothing`"));
}

#[test]
fn a_mistyped_lesson_gets_did_you_mean_and_exit_2() {
    xtask()
        .args(["run", "ch5-sigchild"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "no lesson named `ch5-sigchild`; did you mean ch5-sigchld?",
        ));
}

/// A scenario file of this test's own, in a folder no other test uses.
fn scenario_file(body: &str) -> TempFile {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("unp-lab-{}-{n}.toml", std::process::id()));
    let text = format!("[lesson]\ntitle = \"t\"\nsection = \"5.8\"\nsummary = \"s\"\n\n{body}");
    std::fs::write(&path, text).expect("write the scenario");
    TempFile(path)
}

/// A file of this test's own, removed when the test ends, whether it passes or fails.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl std::ops::Deref for TempFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempFile {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempFile {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

/// Run a scenario file that must fail (exit 1), remove it, and return what the runner printed.
fn run_failing(path: &Path) -> String {
    let out = xtask()
        .args(["run", "ch5-sigchld", "--port", "0", "--scenario"])
        .arg(path)
        .output()
        .expect("run");
    std::fs::remove_file(path).expect("remove");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    stdout
}

const SERVER_STEP: &str = r#"
[[step]]
say = "start"
start = "tcpserv04 --bind {host} --port {port}"
as = "serv"
wait = [{ printed = "listening on", by = "serv" }]
"#;

const FIVE_CLIENTS_STEP: &str = r#"
[[step]]
say = "five"
start = "tcpcli04 {host} --port {port}"
as = "cli"
wait = [{ children = 5, of = "serv" }]
"#;

#[test]
fn a_malformed_scenario_gets_one_line_naming_file_step_and_mistake() {
    let cases = [
        (
            format!("{SERVER_STEP}strat = \"x\"\n"),
            "step 1: line",
            "unknown field `strat`",
        ),
        (
            format!("{SERVER_STEP}type = \"x\"\nto = \"serv\"\n"),
            "step 1:",
            "one action per step",
        ),
        (
            format!("{SERVER_STEP}\n[[step]]\nsay = \"t\"\ntype = \"x\"\nto = \"nobody\"\n"),
            "step 2:",
            "`nobody` is not a program",
        ),
        (
            format!("{SERVER_STEP}expect = [{{ tcp = \"LISTENING\" }}]\n"),
            "step 1:",
            "`LISTENING` is not a TCP state",
        ),
        (
            format!("{SERVER_STEP}\n[[step]]\nsay = \"t\"\nsignal = \"SIGFOO\"\nto = \"serv\"\n"),
            "step 2:",
            "`SIGFOO` is not a signal",
        ),
        (
            format!("{SERVER_STEP}expect = [{{ zombies = 1 }}]\n"),
            "step 1:",
            "needs `of = NAME`",
        ),
        (
            format!("{SERVER_STEP}expect = [{{ running = \"serv\", count = 2 }}]\n"),
            "step 1:",
            "`count` does not go with `running`",
        ),
        (
            "[[step]\nsay = \"x\"\n".to_string(),
            "line 6",
            "unclosed array table",
        ),
        (
            "[[step]]\nsay = \"x\"\nstart = \"nosuchprogram\"\n".to_string(),
            "step 1:",
            "no lesson has a program `nosuchprogram`",
        ),
        (
            format!("{SERVER_STEP}expect = [{{ counter = \"Udp.InDatagrams + \", min = 1 }}]\n"),
            "step 1:",
            "is not GROUP.NAME (as Udp.InDatagrams) or a sum of them",
        ),
        (String::new(), "", "no [[step]]"),
    ];
    for (body, step, mistake) in cases {
        let path = scenario_file(&body);
        let out = xtask()
            .args(["run", "ch5-sigchld", "--scenario"])
            .arg(&path)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        std::fs::remove_file(&path).expect("remove the scenario");
        assert_eq!(out.status.code(), Some(2), "{mistake}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(&*path.to_string_lossy()),
            "names the file: {stderr}"
        );
        assert!(stderr.contains(step), "names {step:?}: {stderr}");
        assert!(stderr.contains(mistake), "says {mistake:?}: {stderr}");
    }
}

#[test]
fn a_failed_expectation_says_what_it_saw_exits_1_and_cleans_up() {
    let path = scenario_file(&format!(
        "{SERVER_STEP}{FIVE_CLIENTS_STEP}{}",
        r#"expect = [{ zombies = 3, of = "serv" }]

[[step]]
say = "never reached"
close = "cli"
"#
    ));
    let stdout = run_failing(&path);
    assert!(
        stdout.contains("✗ expected: serv has 3 zombie children; saw: no zombie child"),
        "{stdout}"
    );
    assert!(stdout.contains("✗ step 2 of 3 failed"), "{stdout}");
    assert!(
        !stdout.contains("never reached"),
        "the run stops at the failed step"
    );
    assert_nothing_left(&stdout);
}

#[test]
fn a_step_that_times_out_says_what_it_waited_for() {
    let path = scenario_file(&format!(
        "{SERVER_STEP}{}",
        r#"
[[step]]
say = "wait"
wait = [{ printed = "never", by = "serv" }]
timeout = 0.3
"#
    ));
    let stdout = run_failing(&path);
    assert!(
        stdout.contains(
            "✗ expected: serv printed \"never\"; saw: no such line (still, after waiting 0.3s)"
        ),
        "{stdout}"
    );
    assert_nothing_left(&stdout);
}

#[test]
fn a_port_in_use_is_one_line_and_exit_1() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port();
    xtask()
        .args([
            "run",
            "ch5-fork-server",
            "--host-network",
            "--port",
            &port.to_string(),
        ])
        .assert()
        .code(1)
        .stderr(format!(
            "error: port {port} is in use on 127.0.0.1: {}\n",
            "choose another with --port, or --port 0 for any"
        ));
}

/// A packet expectation fails when the packet is not on the wire, and says what was.
#[test]
fn a_packet_that_never_comes_fails_the_check_and_lists_what_came() {
    let path = scenario_file(
        r#"
[[step]]
say = "Start the server."
start = "tcpserv04 --bind {host} --port {port}"
as = "serv"
wait = [{ printed = "listening on", by = "serv" }]

[[step]]
say = "Connect: a handshake, and no RST."
start = "tcpcli01 {host} --port {port}"
as = "cli"
wait = [{ tcp = "ESTABLISHED", count = 2 }, { packet = "SYN-ACK", side = "server", count = 1 }]
expect = [{ packet = "RST", side = "server" }]
"#,
    );
    let stdout = run_failing(&path);
    assert!(
        stdout.contains("✗ expected: a RST on the wire from the server's port; saw: 0 such;"),
        "{stdout}"
    );
    assert!(stdout.contains("SYN, SYN-ACK, ACK"), "{stdout}");
    assert!(
        stdout.contains("Flags [S.]"),
        "the step's packets are shown: {stdout}"
    );
}

/// The descriptor and signal views: checks on them hold against the kernel, and a false
/// claim fails with what was seen.
#[test]
fn descriptor_and_signal_checks_hold_and_fail_as_the_kernel_says() {
    let steps = r#"
[[step]]
say = "Start the server: one listening socket; SIGCHLD caught, SIGPIPE ignored (Rust's start)."
start = "tcpserv04 --bind {host} --port {port}"
as = "serv"
wait = [{ printed = "listening on", by = "serv" }]
show = ["fds", "signals"]
expect = [
  { fds = 1, of = "serv", tcp = "LISTEN" },
  { sig = "SIGCHLD", of = "serv", is = "caught" },
  { sig = "SIGPIPE", of = "serv", is = "ignored" },
  { sig = "SIGINT", of = "serv", is = "default" },
]

[[step]]
say = "Connect: the child's socket is held once, by the child alone."
start = "tcpcli01 {host} --port {port}"
as = "cli"
wait = [{ tcp = "ESTABLISHED", count = 2 }, { children = 1, of = "serv" }]
show = ["fds"]
expect = [{ refs = 1, tcp = "ESTABLISHED", side = "server" }, { fds = 1, of = "cli" }]
"#;
    let path = scenario_file(steps);
    let out = xtask()
        .args(["run", "ch5-sigchld", "--scenario"])
        .arg(&path)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("COMMAND") && stdout.contains("(LISTEN)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PENDING") && stdout.contains("CHLD"),
        "{stdout}"
    );
    let wrong = scenario_file(&steps.replace("{ refs = 1,", "{ refs = 2,"));
    let stdout = run_failing(&wrong);
    assert!(
        stdout.contains("is held by 2 descriptors; saw: descriptors per socket: 1"),
        "{stdout}"
    );
}

/// `state` with `wchan` checks where in the kernel a process sleeps, as ps's WCHAN shows it:
/// a server asleep in accept is not asleep in select, nor in a write.
#[test]
fn a_state_check_names_the_kernel_function_a_process_sleeps_in() {
    let steps = format!(
        "{SERVER_STEP}{}",
        r#"
[[step]]
say = "asleep in accept"
wait = [{ state = "S", of = "serv", wchan = "inet_csk_accept" }]
timeout = 1
"#
    );
    let path = scenario_file(&steps);
    let out = xtask()
        .args(["run", "ch5-sigchld", "--scenario"])
        .arg(&path)
        .output()
        .expect("run");
    std::fs::remove_file(&path).expect("remove");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("is in state S, asleep in inet_csk_accept"),
        "{stdout}"
    );
    let wrong = scenario_file(&steps.replace("inet_csk_accept", "do_select"));
    let stdout = run_failing(&wrong);
    assert!(
        stdout.contains("asleep in do_select; saw: state S in inet_csk_accept (still"),
        "{stdout}"
    );
}

/// A wait on a program that has already ended ends at once, and says why.
#[test]
fn a_wait_on_a_program_that_has_ended_gives_up_at_once() {
    let path = scenario_file(
        r#"
[[step]]
say = "A client with no server fails at once: waiting 30 s for its echo would be pointless."
start = "tcpcli01 {host} --port {port}"
as = "cli"
timeout = 30
wait = [{ printed = "hello", by = "cli" }]
"#,
    );
    let started = Instant::now();
    let stdout = run_failing(&path);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it waited: {stdout}"
    );
    assert!(
        stdout.contains(
            "✗ expected: cli printed \"hello\"; saw: no such line \
             (cli had already exited with status 1)"
        ),
        "{stdout}"
    );
}

/// A narration that names a packet without a check of it is a mistake in the scenario.
#[test]
fn a_narration_naming_a_packet_needs_a_packet_check() {
    let path = scenario_file(
        r#"
[[step]]
say = "Start the server; no FIN yet."
start = "tcpserv04 --bind {host} --port {port}"
"#,
    );
    xtask()
        .args(["run", "ch5-sigchld", "--scenario"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::ends_with(
            "step 1: the narration names a FIN, but no `packet = \"FIN\"` condition checks it\n",
        ));
}

/// `--pcap FILE` writes the run's packets as a classic pcap file: read back, it holds the
/// handshake and the RST of ch5-sigpipe.
#[test]
fn pcap_holds_the_runs_packets() {
    let path = std::env::temp_dir().join(format!("unp-lab-{}.pcap", std::process::id()));
    let out = xtask()
        .args(["run", "ch5-sigpipe", "--pcap"])
        .arg(&path)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let file = std::fs::File::open(&path).expect("the pcap file");
    let mut reader = pcap_file::pcap::PcapReader::new(file).expect("a pcap header");
    assert_eq!(
        reader.header().datalink,
        pcap_file::DataLink::ETHERNET,
        "Ethernet frames"
    );
    let mut rsts = 0;
    let mut frames = 0;
    while let Some(packet) = reader.next_packet() {
        let packet = packet.expect("a whole packet");
        frames += 1;
        let sliced = etherparse::SlicedPacket::from_ethernet(&packet.data).expect("parses");
        if let Some(etherparse::TransportSlice::Tcp(tcp)) = sliced.transport {
            rsts += usize::from(tcp.rst());
        }
    }
    let _ = std::fs::remove_file(&path);
    assert!(
        stdout.contains(&format!("{frames} packets written to")),
        "{stdout}"
    );
    assert_eq!(rsts, 2, "one RST in §5.12, one in §5.13");
}

/// `--packets diagram` draws the step's segments as arrows between the endpoints' columns.
#[test]
fn the_diagram_view_draws_the_rst_as_an_arrow() {
    let out = xtask()
        .args(["run", "ch5-sigpipe", "--packets", "diagram"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("|<--") && stdout.contains(" RST "),
        "{stdout}"
    );
    assert!(!stdout.contains("Flags ["), "no tcpdump lines: {stdout}");
    assert!(stdout.lines().all(|l| l.chars().count() <= 100), "{stdout}");
}

/// Without root, the runner makes its namespaces inside a user namespace of its own. Run as
/// root (as CI is), the test plays a lesson with hosts as user nobody; `CARGO=true` stands for
/// the build, which the test's own build has done.
#[test]
fn without_root_the_run_has_its_namespaces_all_the_same() {
    use std::os::unix::process::CommandExt;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can start the runner as another user");
        return;
    }
    let mut cmd = StdCommand::new(bin("xtask"));
    cmd.args(["run", "ch5-host-reboot"])
        .env("CARGO", "true")
        .env("XTASK_TEST_SHOW_NAMESPACES", "1")
        .uid(65534)
        .gid(65534)
        .stdin(Stdio::null());
    let out = match cmd.output() {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!(
                "skipped: user nobody cannot reach {}",
                bin("xtask").display()
            );
            return;
        }
        other => other.expect("run as nobody"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("Permission denied") {
        eprintln!("skipped: user nobody cannot read the workspace: {stderr}");
        return;
    }
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("Hosts: client 192.0.2.1, server 192.0.2.2"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ all"), "{stdout}");
    assert_nothing_left(&stdout);
}

/// In the run's own namespaces, a port the machine uses is free: the run does not see it.
#[test]
fn a_port_in_use_on_the_machine_is_free_in_the_run() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port().to_string();
    let out = xtask()
        .args(["run", "ch5-fork-server", "--port", &port])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("listening on 127.0.0.1:{port}")),
        "{stdout}"
    );
    assert_nothing_left(&stdout);
}

/// Where namespaces cannot be made, the run says so in one line and goes on on the machine's
/// network, reporting packet checks as not run; under CI=true that fallback is an error.
#[test]
fn without_namespaces_the_run_falls_back_and_says_what_is_lost() {
    let path = scenario_file(
        r#"
[[step]]
say = "Start a server: listening sends no packet."
start = "tcpserv04 --bind {host} --port {port}"
as = "serv"
wait = [{ printed = "listening on", by = "serv" }]
expect = [{ packet = "SYN", count = 0 }]
"#,
    );
    let out = xtask()
        .args(["run", "ch5-sigchld", "--scenario"])
        .arg(&path)
        .env("XTASK_TEST_NO_NAMESPACES", "1")
        .env_remove("CI")
        .output()
        .expect("run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("note: cannot make network namespaces here"),
        "{stderr}"
    );
    assert!(stdout.contains("On this machine's own network"), "{stdout}");
    assert!(stdout.contains("- not run: no SYN on the wire"), "{stdout}");
    assert!(
        !stdout.contains("✓ no SYN"),
        "a check that was not run passed: {stdout}"
    );
    xtask()
        .args(["run", "ch5-sigchld", "--scenario"])
        .arg(&path)
        .env("XTASK_TEST_NO_NAMESPACES", "1")
        .env("CI", "true")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("CI=true refuses to fall back"));
}

/// Start a run whose last step waits for something that never comes, send `sig` once it is
/// waiting, and check that it stops at once with status 130 and leaves nothing behind.
fn interrupt_with(sig: Signal) {
    let mut run = Started::until(
        r#"
[[step]]
say = "stop"
signal = "SIGSTOP"
to = "serv"
wait = [{ state = "T", of = "serv" }]

[[step]]
say = "forever"
wait = [{ printed = "never", by = "serv" }]
timeout = 60
"#,
        "Step 4/4",
    );
    let started = Instant::now();
    kill(Pid::from_raw(run.child.id() as i32), sig).expect("signal the runner");
    let status = run.end();
    let stdout = &run.stdout;
    assert_eq!(status.code(), Some(130), "{sig}: {stdout}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{sig}: stopped at once"
    );
    assert!(stdout.contains("interrupted"), "{stdout}");
    assert_nothing_left(stdout);
}

/// A run of ch5-sigchld's tcpserv04 with five clients, then `steps`, read up to `header`.
struct Started {
    child: std::process::Child,
    lines: BufReader<std::process::ChildStdout>,
    stdout: String,
    _scenario: TempFile,
}

impl Started {
    fn until(steps: &str, header: &str) -> Started {
        let scenario = scenario_file(&format!("{SERVER_STEP}{FIVE_CLIENTS_STEP}{steps}"));
        let mut child = StdCommand::new(bin("xtask"))
            .env("XTASK_TEST_SHOW_NAMESPACES", "1")
            .args(["run", "ch5-sigchld", "--port", "0", "--scenario"])
            .arg(&scenario.0)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the runner");
        let mut stdout = String::new();
        let mut lines = BufReader::new(child.stdout.take().expect("piped"));
        while !stdout.contains(header) {
            let mut line = String::new();
            assert!(
                lines.read_line(&mut line).expect("read") > 0,
                "the runner ended early:\n{stdout}"
            );
            stdout.push_str(&line);
        }
        Started {
            child,
            lines,
            stdout,
            _scenario: scenario,
        }
    }

    /// Wait for the command to end, and read the rest of what it printed.
    fn end(&mut self) -> std::process::ExitStatus {
        let status = common::wait_within(&mut self.child, "the runner to end", common::LIMIT);
        let mut rest = String::new();
        while self.lines.read_line(&mut rest).expect("read") > 0 {}
        self.stdout.push_str(&rest);
        status
    }
}

#[test]
fn sigint_mid_run_kills_and_reaps_everything() {
    interrupt_with(Signal::SIGINT);
}

#[test]
fn sigterm_mid_run_kills_and_reaps_everything() {
    interrupt_with(Signal::SIGTERM);
}

#[test]
fn sighup_mid_run_kills_and_reaps_everything() {
    interrupt_with(Signal::SIGHUP);
}

/// A run whose server has forked five children that stay, waiting for ever in its last step.
fn run_with_forked_children() -> Started {
    let forever =
        "\n[[step]]\nsay = \"forever\"\nwait = [{ printed = \"never\", by = \"serv\" }]\n";
    Started::until(&format!("{forever}timeout = 60\n"), "Step 3/3")
}

/// The runner's own process: the child of the command's process (its keeper) named xtask.
fn runner_of(keeper: i32) -> i32 {
    procfs::process::all_processes()
        .expect("/proc")
        .flatten()
        .find(|p| {
            p.stat()
                .is_ok_and(|s| s.ppid == keeper && s.comm == "xtask")
        })
        .map(|p| p.pid)
        .expect("the keeper has a runner")
}

/// SIGKILL gives the runner no chance to clean up; PDEATHSIG reaches only its own children,
/// not the children they forked. The keeper it was forked from kills and reaps the rest.
#[test]
fn sigkill_of_the_runner_after_a_fork_leaves_nothing() {
    let mut run = run_with_forked_children();
    let runner = runner_of(run.child.id() as i32);
    kill(Pid::from_raw(runner), Signal::SIGKILL).expect("SIGKILL the runner");
    let status = run.end();
    let stdout = &run.stdout;
    assert_eq!(
        status.code(),
        Some(128 + 9),
        "exits as the runner did: {stdout}"
    );
    assert_eq!(started_pids(stdout).len(), 2, "{stdout}");
    assert_nothing_left(stdout);
}

/// SIGKILL of the command's own process (the keeper): the runner is told by PDEATHSIG and
/// cleans up as after SIGTERM.
#[test]
fn sigkill_of_the_command_leaves_nothing() {
    let mut run = run_with_forked_children();
    let runner = runner_of(run.child.id() as i32);
    run.child.kill().expect("SIGKILL the command");
    run.end();
    // The runner, orphaned, comes to this test process (a subreaper) to be reaped: it has
    // ended when it is a zombie, or gone.
    let ended = || {
        let stat = std::fs::read_to_string(format!("/proc/{runner}/stat")).unwrap_or_default();
        stat.rsplit_once(')')
            .is_none_or(|(_, rest)| rest.trim_start().starts_with('Z'))
    };
    let deadline = Instant::now() + common::LIMIT;
    while !ended() {
        assert!(Instant::now() < deadline, "the runner outlived its keeper");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = nix::sys::wait::waitpid(Pid::from_raw(runner), None);
    assert_nothing_left(&run.stdout);
}

/// Start `lesson --step`, press Enter until step `k`'s header shows, then send `sig`.
fn interrupt_at_step(lesson: &str, k: usize, sig: Signal) -> (Option<i32>, String) {
    use std::io::{Read, Write};
    let mut child = StdCommand::new(bin("xtask"))
        .env("XTASK_TEST_SHOW_NAMESPACES", "1")
        .args(["run", lesson, "--step", "--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the runner");
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = child.stdout.take().expect("piped");
    let mut seen = String::new();
    let mut step = 1;
    let mut buf = [0u8; 4096];
    loop {
        let prompt = format!("Step {step}/");
        let at_prompt = seen
            .rfind(&prompt)
            .is_some_and(|i| seen[i..].contains("q: quit]"));
        if at_prompt && step == k {
            break;
        }
        if at_prompt {
            stdin.write_all(b"\n").expect("Enter");
            step += 1;
            continue;
        }
        let n = stdout.read(&mut buf).expect("read");
        assert!(n > 0, "the runner ended before step {k}:\n{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    kill(Pid::from_raw(child.id() as i32), sig).expect("signal");
    let status = common::wait_within(&mut child, "the runner to end at the signal", common::LIMIT);
    let _ = stdout.read_to_string(&mut seen);
    (status.code(), seen)
}

#[test]
fn interrupted_at_any_step_of_a_lesson_nothing_is_left() {
    for lesson in ["ch5-fork-server", "ch5-sigpipe"] {
        let steps = if lesson == "ch5-fork-server" { 7 } else { 9 };
        for k in 1..=steps {
            let sig = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP][k % 3];
            let (code, seen) = interrupt_at_step(lesson, k, sig);
            assert_eq!(code, Some(130), "{lesson} step {k}, {sig}:\n{seen}");
            assert_nothing_left(&seen);
        }
    }
}

#[test]
fn a_panic_mid_run_still_kills_and_reaps_everything() {
    let out = xtask()
        .args(["run", "ch5-sigchld", "--port", "0"])
        .env("XTASK_TEST_PANIC_AT_STEP", "19")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(101), "a panic: {stdout}");
    assert!(
        stdout.contains("Step 18/") && !stdout.contains("held"),
        "{stdout}"
    );
    assert_nothing_left(&stdout);
}

#[test]
fn eight_scenarios_run_at_once() {
    let lessons = common::lessons();
    let runs: Vec<_> = (0..8)
        .map(|i| {
            let lesson = lessons[i % lessons.len()].clone();
            std::thread::spawn(move || {
                let out = xtask()
                    .args(["run", &lesson])
                    .timeout(Duration::from_secs(120))
                    .output()
                    .expect("run");
                (lesson, out)
            })
        })
        .collect();
    for run in runs {
        let (lesson, out) = run.join().expect("thread");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{lesson}:\n{stdout}");
        // Each run has its own namespaces, so each has the book's port to itself: a server
        // listens on it (`:9877` in a table), or, in a lesson with no server (ch4-connect-errors),
        // the packets go to it (`.9877:` in a tcpdump line). A lesson without servers
        // (ch5-signals, ch15-unix-domain) announces no port, and uses none.
        let no_servers = stdout.contains("One host, its loopback only.\n");
        assert!(
            no_servers || stdout.contains(":9877") || stdout.contains(".9877:"),
            "{lesson} did not use port 9877:\n{stdout}"
        );
        assert_nothing_left(&stdout);
    }
}

#[test]
fn a_lesson_that_does_not_build_is_one_line_and_exit_1() {
    // A cargo that fails stands for a lesson with a compile error.
    xtask()
        .args(["run", "ch5-sigchld", "--port", "0"])
        .env("CARGO", "false")
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: cargo could not build ch5-sigchld",
        ));
}

/// `{tmp}` is a folder of the run's own: programs on it find each other's files (a Unix-domain
/// socket's), two runs at once never share it, and it is gone when the run ends. In stable mode
/// it reads the same on every machine.
#[test]
fn tmp_is_the_runs_own_folder_and_goes_with_the_run() {
    let path = scenario_file(
        r#"
[[step]]
say = "A server binds a pathname in the run's folder."
start = "unixstrserv01 --path {tmp}/unix.str"
as = "serv"
wait = [{ printed = "bound to", by = "serv" }, { unix = "LISTENING", count = 1 }]

[[step]]
say = "A client finds it there."
start = "unixstrcli01 --path {tmp}/unix.str"
as = "cli"
wait = [{ unix = "CONNECTED", count = 2 }]
"#,
    );
    let out = xtask()
        .args(["run", "ch5-sigchld", "--scenario"])
        .arg(&path)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    let bound = stdout
        .lines()
        .find_map(|l| l.split("bound to ").nth(1))
        .expect("the server's line")
        .trim()
        .to_string();
    // The Unix table marks its rows as the others do: the listener is new in the first step.
    let new_listener = stdout
        .lines()
        .any(|l| l.trim_start().starts_with("+ unix") && l.contains("LISTENING"));
    assert!(new_listener, "{stdout}");
    assert!(!stdout.contains("(no socket to show)"), "{stdout}");
    let dir = Path::new(&bound).parent().expect("a folder").to_path_buf();
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    assert!(name.starts_with("unp-lab."), "{bound}");
    assert!(!dir.exists(), "{} is left after the run", dir.display());

    let out = xtask()
        .args(["run", "ch5-sigchld", "--stable", "--scenario"])
        .arg(&path)
        .output()
        .expect("run");
    std::fs::remove_file(&path).expect("remove");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("bound to /tmp/unp-lab.NNNNNNN/unix.str"),
        "{stdout}"
    );
    let real = stdout
        .split("unp-lab.")
        .skip(1)
        .any(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    assert!(!real, "the real folder shows in stable mode: {stdout}");
}

/// A student who edits a lesson's taught line must see what the edit does: a guard whose line
/// is no longer in the code is one line of note, never a reason to refuse the run.
#[test]
fn a_guarded_line_that_was_edited_is_a_note_and_the_run_goes_on() {
    let path = scenario_file(&format!(
        "{SERVER_STEP}{}",
        r#"
[[guard]]
file = "src/bin/tcpserv04.rs"
line = "a line a student has rewritten"
change = "anything else"
why = "for the test"
"#
    ));
    let out = xtask()
        .args(["run", "ch5-sigchld", "--port", "0", "--scenario"])
        .arg(&path)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("guard 1: `a line a student has rewritten` is not in src/bin/tcpserv04.rs"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

/// `--keep-going` plays the steps after a failed one, with their checks; the run still fails.
#[test]
fn keep_going_plays_the_rest_after_a_failed_step() {
    let path = scenario_file(&format!(
        "{SERVER_STEP}{}",
        r#"
[[step]]
say = "a claim that does not hold"
expect = [{ zombies = 3, of = "serv" }]

[[step]]
say = "the step after it"
expect = [{ running = "serv" }]
"#
    ));
    let report = TempFile(path.with_extension("json"));
    let out = xtask()
        .args([
            "run",
            "ch5-sigchld",
            "--port",
            "0",
            "--keep-going",
            "--scenario",
        ])
        .arg(&path)
        .arg("--report")
        .arg(&report.0)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("Step 3/3") && stdout.contains("✓ serv is still running"),
        "{stdout}"
    );
    assert!(stdout.contains("step(s) 2 of 3 failed"), "{stdout}");
    let report = xtask::play::Report::read(&report.0).expect("a report");
    assert_eq!(report.steps.len(), 3);
    assert_eq!(report.first_failed_step(), Some(2));
}

/// `--from` past the last step is a usage mistake that says how many steps there are.
#[test]
fn from_past_the_last_step_says_how_many_there_are() {
    xtask()
        .args(["run", "ch5-zombie", "--from", "99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--from 99: the lesson has 3 steps",
        ));
}

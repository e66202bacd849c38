//! The scenario engine: plays a lesson's steps one by one. For each step it prints the
//! narration and the action, does the action, waits for the step's conditions, then prints what
//! the programs said, the ps and netstat tables, and each check, ✓ or ✗.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::kernel::{Signals, Snapshot, SockRow, Sockets};
use crate::net::lab::Lab;
use crate::net::ns::HostSpec;
use crate::scenario::{Action, Cond, Scenario, Side, SigIs, Step, View as Show};
use crate::show::Printer;
use crate::show::term::OneKey;
use crate::supervise::{Ending, INTERRUPTED, Programs};

/// How a run ended.
pub enum Outcome {
    Passed,
    Failed,
    Interrupted,
    /// `q` at a `--step` prompt.
    Quit,
    /// `r`, `b` or `j` at a `--step` prompt: play the scenario again from the start, showing
    /// it from this step on (new programs, new namespaces).
    Restart(usize),
}

/// Where the scenario runs: the lesson's programs, the hosts and the port they use.
pub struct Setup<'a> {
    pub bins: &'a Path,
    pub hosts: &'a [HostSpec],
    pub port: u16,
    /// `--step`: wait for Enter before each step.
    pub step_by_step: bool,
    /// Placeholders for PIDs, ports and timings (for the course notes).
    pub stable: bool,
    /// `--pcap FILE`: write every packet of the run there at the end.
    pub pcap: Option<&'a Path>,
    /// `--from N`: show (and prompt for) steps from N on; play the ones before unseen.
    pub from: usize,
    pub packets: PacketView,
}

/// `--packets`: how a step's packets are shown.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum PacketView {
    /// One line per packet, as tcpdump prints it: every field, for any number of connections.
    Lines,
    /// Arrows between the endpoints' columns (at most four; more fall back to lines).
    Diagram,
    /// No packets (the packet checks are still made).
    None,
}

/// What the engine carries from step to step.
struct Run<'a> {
    setup: &'a Setup<'a>,
    progs: Programs,
    /// The run's own network; None on the machine's own network (`--host-network`).
    lab: Option<Lab>,
    /// On the machine's own network: sockets already on the port when the run began (an
    /// earlier run's TIME_WAIT), which are not this run's.
    before: Vec<SockRow>,
    /// How many frames had been captured when the step began: the step's packets follow.
    step_frames: usize,
    /// Numbers each connection's sequence numbers from its first, as tcpdump does.
    tcpdump: crate::wire::Tcpdump,
}

/// How often conditions are checked while a step waits.
const POLL: Duration = Duration::from_millis(5);

/// `{tmp}`: the run's own folder, named after the runner's pid so that runs at the same time
/// never share it. Programs on every host see the same file system, so a file one makes (a
/// Unix-domain socket's) is where another finds it; the folder and all in it go when the run
/// ends. Always in /tmp, as the book's paths are, and the pid written with 7 digits (pid_max
/// is at most 4194304), so that a path's length, which a program may print, is the same in
/// every run.
pub fn run_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/tmp/unp-lab.{:07}", std::process::id()))
}

pub fn play<W: Write>(
    scenario: &Scenario,
    setup: &Setup,
    lab: Option<Lab>,
    p: &mut Printer<W>,
) -> Outcome {
    let started = Instant::now();
    let before = match lab {
        Some(_) => Vec::new(),
        None => Snapshot::read(&Default::default(), Sockets::Ports(&[setup.port])).socks,
    };
    if !before.is_empty() && !setup.stable {
        let n = before.len();
        p.line(&format!(
            "({n} socket(s) an earlier run left on this port are not shown.)"
        ));
    }
    let mut run = Run {
        setup,
        progs: Programs::new(),
        lab,
        before,
        step_frames: 0,
        tcpdump: Default::default(),
    };
    // Whatever an earlier play of this run (a --step replay) left in the run's folder is gone.
    let _ = std::fs::remove_dir_all(run_dir());
    let mut outcome = steps(scenario, &mut run, p, started);
    if let (Some(path), Some(lab)) = (setup.pcap, &run.lab) {
        let frames = lab.capture.frames();
        match crate::wire::write_pcap(path, lab.capture.started, &frames) {
            Ok(()) => p.line(&format!(
                "{} packets written to {}",
                frames.len(),
                path.display()
            )),
            Err(e) => {
                p.line(&format!("error: cannot write {}: {e}", path.display()));
                outcome = Outcome::Failed;
            }
        }
    }
    // Every program is ended and reaped first, so that none is left writing in the folder.
    drop(run);
    let _ = std::fs::remove_dir_all(run_dir());
    outcome
}

/// Play every step; stop at the first that fails.
fn steps<W: Write>(
    scenario: &Scenario,
    run: &mut Run,
    p: &mut Printer<W>,
    started: Instant,
) -> Outcome {
    let setup = run.setup;
    let total = scenario.steps.len();
    let mut checks = 0;
    if setup.from > 1 {
        let last = (setup.from - 1).min(total);
        p.line(&format!(
            "\n(Steps 1 to {last} are played without being shown; their checks are made.)"
        ));
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        // `--from N`: the steps before N are played as they must be, to reach N's state, but
        // neither shown nor prompted for.
        let shown = i + 1 >= setup.from;
        p.mute(!shown);
        if shown {
            p.step_header(i + 1, total, &step.say);
        }
        if setup.step_by_step && shown {
            match prompt(i + 1) {
                Prompt::Go => {}
                Prompt::Quit => {
                    p.line(&format!(
                        "\nstopped before step {}: every program of the scenario is ended.",
                        i + 1
                    ));
                    return Outcome::Quit;
                }
                Prompt::Interrupted => return interrupted(p),
                Prompt::Restart(n) => {
                    let n = n.clamp(1, total);
                    p.line(&format!("\nplaying the run again, up to step {n}..."));
                    return Outcome::Restart(n);
                }
            }
        }
        // A test hook: the tests prove that a panic, too, kills and reaps every program.
        if std::env::var("XTASK_TEST_PANIC_AT_STEP").is_ok_and(|n| n == (i + 1).to_string()) {
            panic!("XTASK_TEST_PANIC_AT_STEP={}", i + 1);
        }
        let mark = run.progs.log.lock().map_or(0, |l| l.len());
        run.step_frames = run.frames_now();
        let mut failures = Vec::new();
        if let Err(e) = run.act(step, p) {
            failures.push(e);
        }
        let (mut view, waited) = if failures.is_empty() {
            match run.wait(step) {
                Ok(r) => r,
                Err(Interrupted) => return interrupted(p),
            }
        } else {
            (run.view(), Vec::new())
        };
        // A transcript must read the same every run: the step's last packets (a delayed ACK
        // comes up to 40 ms late) belong to it, not to the next step, so let the wire go quiet.
        if setup.stable && run.lab.is_some() && run.settle() {
            view = run.view();
        }
        let snap = &view.snap;
        p.learn(snap);
        let packets = run.packet_lines(view.frames, setup.stable);
        let progs = &run.progs;
        if step.quiet || !shown {
            p.remember(snap);
        } else {
            p.output(&progs.log.lock().unwrap_or_else(|e| e.into_inner())[mark..]);
            p.packets(&packets);
            p.state(snap);
            if step.show.contains(&Show::Fds) {
                p.fds(snap);
            }
            if step.show.contains(&Show::Signals) {
                p.signals(snap);
            }
        }
        if !shown && !failures.is_empty() {
            p.mute(false);
            p.step_header(i + 1, total, &step.say);
        }
        for msg in &failures {
            p.check(false, msg);
        }
        for (cond, result) in step.wait.iter().zip(&waited) {
            report(p, cond, result, run, &mut failures);
        }
        for cond in &step.expect {
            let result = eval(cond, &view, run);
            report(p, cond, &result, run, &mut failures);
        }
        checks += step.wait.len() + step.expect.len();
        if !failures.is_empty() {
            let text = format!("✗ step {} of {total} failed; the run stops here.", i + 1);
            p.summary(false, &text, 0.0);
            return Outcome::Failed;
        }
    }
    let text = format!("✓ all {checks} checks held, {total} steps in {{secs}}s.");
    p.summary(true, &text, started.elapsed().as_secs_f64());
    Outcome::Passed
}

fn interrupted<W: Write>(p: &mut Printer<W>) -> Outcome {
    p.line("\ninterrupted: stopping every program of the scenario");
    Outcome::Interrupted
}

/// `j`: ask which step to jump to; anything but a number comes back to this step.
fn jump(here: usize) -> Prompt {
    print!("  jump to step: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(n) if n > 0 => match line.trim().parse::<usize>() {
            Ok(step) if step > 0 => Prompt::Restart(step),
            _ => Prompt::Restart(here),
        },
        _ => Prompt::Quit,
    }
}

enum Prompt {
    Go,
    Quit,
    Interrupted,
    /// Replay the run up to this step (r: this one again, b: the one before, j: any).
    Restart(usize),
}

/// `--step`: wait for a key (run the step) or q (quit). On a terminal one key is enough, with
/// no Enter, and keys typed while the previous step ran are thrown away first, so that one
/// impatient key never runs two steps. Standard input is read with read(2), so that Ctrl-C,
/// whose handler does not restart it, ends the wait at once.
fn prompt(step: usize) -> Prompt {
    // One-key mode first, which discards what was typed ahead; then the prompt, so that a key
    // pressed once the prompt shows is never discarded.
    let keys = OneKey::start();
    if keys.is_some() {
        print!("  [Enter: run this step, q: quit, r: replay up to here, b: back, j: jump] ");
    } else {
        print!("  [Enter: run this step, q: quit] ");
    }
    let _ = std::io::stdout().flush();
    if let Some(_keys) = keys {
        let mut byte = [0u8; 1];
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Prompt::Interrupted;
            }
            match nix::unistd::read(std::io::stdin(), &mut byte) {
                Ok(0) => return Prompt::Quit,
                Ok(_) => {
                    println!();
                    return match byte[0] {
                        b'q' | b'Q' => Prompt::Quit,
                        b'r' => Prompt::Restart(step),
                        b'b' => Prompt::Restart(step.saturating_sub(1).max(1)),
                        b'j' => {
                            drop(_keys); // the number is typed as a line, with Enter
                            jump(step)
                        }
                        _ => Prompt::Go,
                    };
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return Prompt::Quit,
            }
        }
    }
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Prompt::Interrupted;
        }
        match nix::unistd::read(std::io::stdin(), &mut byte) {
            Ok(0) => return Prompt::Quit, // no more input: nobody can press Enter
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return Prompt::Quit,
        }
    }
    if String::from_utf8_lossy(&line)
        .trim()
        .eq_ignore_ascii_case("q")
    {
        Prompt::Quit
    } else {
        Prompt::Go
    }
}

fn report<W: Write>(
    p: &mut Printer<W>,
    cond: &Cond,
    result: &Result<(), String>,
    run: &Run,
    failures: &mut Vec<String>,
) {
    let what = describe(cond, &run.progs);
    if matches!(cond, Cond::Packet { .. } | Cond::Counter { .. }) && run.lab.is_none() {
        p.line(&format!(
            "  - not run: {what} (no capture on the machine's own network)"
        ));
        return;
    }
    match result {
        Ok(()) => p.check(true, &what),
        Err(seen) => {
            let msg = format!("expected: {what}; saw: {seen}");
            p.check(false, &msg);
            failures.push(msg);
        }
    }
}

struct Interrupted;

impl Run<'_> {
    /// Do the step's action and print it.
    fn act<W: Write>(&mut self, step: &Step, p: &mut Printer<W>) -> Result<(), String> {
        let setup = self.setup;
        match &step.action {
            Action::None => Ok(()),
            Action::Start {
                names,
                program,
                args,
                host,
            } => {
                let args: Vec<String> = args.iter().map(|a| self.fill(a, host)).collect();
                let line = std::iter::once(program.as_str()).chain(args.iter().map(String::as_str));
                let line = line.collect::<Vec<_>>().join(" ");
                let ns = match &self.lab {
                    Some(lab) => Some(lab.ns_fd(host).ok_or(format!(
                        "cannot start {program} on {host}: the host is down"
                    ))?),
                    None => None,
                };
                let path = setup.bins.join(program);
                for name in names {
                    let pid = self.progs.start(name, &path, &args, host, ns)?;
                    let prompt = if setup.hosts.len() > 1 {
                        format!("{host}$ {line} &")
                    } else {
                        format!("$ {line} &")
                    };
                    p.action(&prompt, Some((name, pid)));
                }
                Ok(())
            }
            Action::Crash { host } => {
                p.action(
                    &format!("{host} crashes: its cable is pulled and its processes vanish"),
                    None,
                );
                self.crash(host)
            }
            Action::Reboot { host } => {
                p.action(
                    &format!("{host} reboots: a new kernel, the same addresses"),
                    None,
                );
                if self.lab.as_ref().is_some_and(|l| l.is_up(host)) {
                    self.crash(host)?;
                }
                let lab = self.lab.as_mut().ok_or("reboot needs the run's hosts")?;
                lab.reboot(host).map_err(|e| format!("reboot {host}: {e}"))
            }
            Action::Shutdown { host } => self.shutdown(host, p),
            Action::Route { host, route } => {
                let lab = self.lab.as_ref().ok_or("route needs the run's hosts")?;
                p.action(&format!("{host}# route add {}", show_route(route)), None);
                lab.net
                    .add_route(host, route)
                    .map_err(|e| format!("route on {host}: {e}"))
            }
            Action::Type { to, line, repeat } => {
                let lines: Vec<String> = (1..=*repeat)
                    .map(|n| line.replace("{n}", &n.to_string()))
                    .collect();
                let shown = match lines.as_slice() {
                    [one] if one.is_empty() => "(just Enter)".to_string(),
                    [one] => one.clone(),
                    [first, .., last] => format!("{first} ... {last} ({} lines)", lines.len()),
                    [] => String::new(),
                };
                for name in to {
                    p.action(&format!("type into {name}: {shown}"), None);
                    self.progs.type_lines(name, &lines)?;
                }
                Ok(())
            }
            Action::Close { names } => {
                for name in names {
                    let what = format!("close {name}'s standard input (EOF, like Ctrl-D)");
                    p.action(&what, None);
                    self.progs.close_stdin(name);
                }
                Ok(())
            }
            Action::Signal {
                to,
                signal,
                children,
            } => {
                for name in to {
                    self.signal(name, *signal, *children, p)?;
                }
                Ok(())
            }
        }
    }

    /// `{port}`, `{host}` (the address of `host`, where the program runs), `{NAME}` (the
    /// address of host NAME) and `{tmp}` (the run's folder, made when first named) in a
    /// program's argument.
    fn fill(&self, arg: &str, host: &str) -> String {
        let mut arg = arg.replace("{port}", &self.setup.port.to_string());
        if arg.contains("{tmp}") {
            let dir = run_dir();
            // Made once, left to the programs; a failure shows as theirs (ENOENT at bind).
            let _ = std::fs::create_dir_all(&dir);
            arg = arg.replace("{tmp}", &dir.to_string_lossy());
        }
        for h in self.setup.hosts {
            let addr = h.addr.to_string();
            if h.name == host {
                arg = arg.replace("{host}", &addr);
            }
            arg = arg.replace(&format!("{{{}}}", h.name), &addr);
        }
        arg
    }

    /// The host stops dead: cut off first, so that nothing its dying processes' sockets would
    /// send (FIN, RST) leaves it; then every process on it is killed, as a power cut would.
    fn crash(&mut self, host: &str) -> Result<(), String> {
        let lab = self.lab.as_mut().ok_or("crash needs the run's hosts")?;
        lab.crash(host).map_err(|e| format!("crash {host}: {e}"))?;
        self.progs.signal_host(host, Signal::SIGKILL);
        Ok(())
    }

    /// Shut the host down as init does (§5.16): SIGTERM to every process, a pause for them to
    /// end, then SIGKILL to whatever is left. The host's kernel keeps running, so the dying
    /// processes' connections are closed properly: a FIN goes out for each.
    fn shutdown<W: Write>(&mut self, host: &str, p: &mut Printer<W>) -> Result<(), String> {
        p.action(
            &format!("{host}# shutdown: SIGTERM to every process, then SIGKILL"),
            None,
        );
        self.progs.signal_host(host, Signal::SIGTERM);
        // init waits a few seconds for the processes to end; so does this, no longer than it
        // must: until every one of them has ended.
        let deadline = Instant::now() + Duration::from_secs(5);
        let pgids: Vec<i32> = self
            .progs
            .list
            .iter()
            .filter(|g| g.host == host)
            .map(|g| g.pid)
            .collect();
        // The groups with a process still alive. One that has died but is not reaped yet (a
        // zombie) has ended, and needs no SIGKILL.
        let mut alive: Vec<i32>;
        loop {
            let snap = self.view().snap;
            alive = pgids
                .iter()
                .copied()
                .filter(|g| snap.procs.iter().any(|q| q.pgid == *g && q.state != 'Z'))
                .collect();
            if alive.is_empty() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(POLL);
        }
        if !alive.is_empty() {
            for g in &alive {
                let _ = nix::sys::signal::killpg(Pid::from_raw(*g), Signal::SIGKILL);
            }
            let n = alive.len();
            p.action(
                &format!("{host}: SIGKILL to the {n} group(s) still running"),
                None,
            );
        }
        Ok(())
    }

    /// Wait until no packet has been captured for a while (at most 2 s in all), so that the
    /// packets a step causes are all shown with it. Returns whether any more came.
    fn settle(&mut self) -> bool {
        const QUIET: Duration = Duration::from_millis(120);
        let first = self.frames_now();
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut last = (first, Instant::now());
        while Instant::now() < deadline && last.1.elapsed() < QUIET {
            std::thread::sleep(POLL);
            let n = self.frames_now();
            if n != last.0 {
                last = (n, Instant::now());
            }
        }
        last.0 != first
    }

    /// The step's packets, one tcpdump line each, up to the `upto`th frame captured.
    fn packet_lines(&mut self, upto: usize, stable: bool) -> Vec<String> {
        let Some(lab) = &self.lab else {
            return Vec::new();
        };
        let frames = lab.capture.frames();
        let step = &frames[self.step_frames.min(upto)..upto];
        // The line view numbers sequences from each connection's start, so it sees every frame
        // even when it shows none.
        let lines: Vec<String> = step.iter().map(|f| self.tcpdump.line(f, stable)).collect();
        match self.setup.packets {
            PacketView::Lines => lines,
            PacketView::Diagram if !step.is_empty() => crate::wire::diagram(step, stable, 76),
            PacketView::Diagram | PacketView::None => Vec::new(),
        }
    }

    /// How many frames have been captured so far (none on the machine's own network).
    fn frames_now(&self) -> usize {
        self.lab.as_ref().map_or(0, |l| l.capture.frames().len())
    }

    /// Send `signal` to the program `name`, or to each of its running children.
    fn signal<W: Write>(
        &mut self,
        name: &str,
        signal: Signal,
        children: bool,
        p: &mut Printer<W>,
    ) -> Result<(), String> {
        let target = self.progs.get(name).pid;
        let pids: Vec<i32> = if children {
            let snap = self.view().snap;
            snap.children(target)
                .filter(|c| c.state != 'Z')
                .map(|c| c.pid)
                .collect()
        } else {
            vec![target]
        };
        if pids.is_empty() {
            return Err(format!("{name} has no running child to send {signal} to"));
        }
        let whom = if children {
            format!("{name}'s children")
        } else {
            name.to_string()
        };
        p.kill(&signal.as_str()[3..], &pids, &whom);
        for pid in pids {
            kill(Pid::from_raw(pid), signal).map_err(|e| format!("kill {pid}: {e}"))?;
        }
        Ok(())
    }

    /// Poll until every `wait` condition holds, or the step's timeout passes.
    /// Returns the state in which they held (or the last one seen) and each condition's result.
    fn wait(&mut self, step: &Step) -> Result<(View, Vec<Result<(), String>>), Interrupted> {
        let deadline = Instant::now() + step.timeout;
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(Interrupted);
            }
            let view = self.view();
            let results: Vec<_> = step.wait.iter().map(|c| eval(c, &view, self)).collect();
            if results.iter().all(Result::is_ok) {
                return Ok((view, results));
            }
            // A condition about a program that has ended can never come to hold: say so now
            // rather than sit out the timeout.
            let failed = step.wait.iter().zip(&results).filter(|(_, r)| r.is_err());
            let why: Vec<String> = failed
                .filter_map(|(c, _)| hopeless(c, &view, &self.progs))
                .collect();
            if let Some(why) = why.first() {
                let results = results
                    .into_iter()
                    .map(|r| r.map_err(|seen| format!("{seen} ({why})")))
                    .collect();
                return Ok((view, results));
            }
            if Instant::now() >= deadline {
                let secs = step.timeout.as_secs_f64();
                let results = results
                    .into_iter()
                    .map(|r| r.map_err(|seen| format!("{seen} (still, after waiting {secs}s)")))
                    .collect();
                return Ok((view, results));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The state at one moment, in an order that keeps it consistent: reap what has ended,
    /// note whose output is complete, note how much output there is, and only then read /proc.
    /// So a line counted as printed was printed before /proc was read, and a check on a line
    /// never sees a state older than the line. Packets are read last, for the opposite reason:
    /// what a state shows happened has put its packets on the wire.
    fn view(&mut self) -> View {
        self.progs.reap();
        let done = self
            .progs
            .list
            .iter()
            .filter(|p| p.output_done())
            .map(|p| p.pid)
            .collect();
        let log_len = self.progs.log.lock().map_or(0, |l| l.len());
        let snap = match &self.lab {
            Some(lab) => Snapshot::read(&self.progs.pgids, Sockets::Hosts(&lab.views())),
            None => Snapshot::read(&self.progs.pgids, Sockets::Ports(&[self.setup.port]))
                .without(&self.before),
        };
        // The packets after the tables: a connection the tables show ESTABLISHED has sent its
        // handshake by then, so a check on the state and one on its packets agree.
        let frames = self.frames_now();
        View {
            snap,
            log_len,
            done,
            frames,
        }
    }
}

/// What conditions are checked against: /proc, and the output logged before it was read.
struct View {
    snap: Snapshot,
    /// How many lines of output had been logged.
    log_len: usize,
    /// The programs whose output had been read to the end.
    done: HashSet<i32>,
    /// How many frames had been captured, read after the socket tables.
    frames: usize,
}

/// Check one condition against the state. `Err` says what was seen instead.
fn eval(cond: &Cond, view: &View, run: &Run) -> Result<(), String> {
    let progs = &run.progs;
    let port = run.setup.port;
    let snap = &view.snap;
    let holds = |ok: bool, seen: String| if ok { Ok(()) } else { Err(seen) };
    let count_ok = |n: usize, want: Option<usize>| want.map_or(n > 0, |w| n == w);
    match cond {
        Cond::Printed { by, text, count } => {
            let log = progs.log.lock().unwrap_or_else(|e| e.into_inner());
            let lines = |who: &String| {
                let mine = log[..view.log_len]
                    .iter()
                    .filter(|l| &l.who == who && !l.note);
                mine.filter(|l| l.text.contains(text.as_str())).count()
            };
            let seen: Vec<String> = by
                .iter()
                .filter(|who| !count_ok(lines(who), *count))
                .map(|who| {
                    let n = lines(who);
                    if by.len() == 1 {
                        n_of(n, "such line", "such lines")
                    } else {
                        format!("{n} from {who}")
                    }
                })
                .collect();
            holds(seen.is_empty(), seen.join(", "))
        }
        Cond::State { of, state, wchan } => match snap.proc(progs.get(of).pid) {
            Some(p) => match wchan {
                None => holds(p.state == *state, format!("state {}", p.state)),
                // The compiler may have renamed the function: poll_schedule_timeout.constprop.0
                Some(w) => holds(
                    p.state == *state && p.wchan.split('.').next() == Some(w.as_str()),
                    format!("state {} in {}", p.state, p.wchan),
                ),
            },
            None => Err(format!("no process {of}")),
        },
        Cond::Zombies { of, n } => {
            let z = snap
                .children(progs.get(of).pid)
                .filter(|p| p.state == 'Z')
                .count();
            holds(z == *n, n_of(z, "zombie child", "zombie children"))
        }
        Cond::Children { of, n, stat } => {
            let c = snap
                .children(progs.get(of).pid)
                .filter(|p| p.state != 'Z' && stat.is_none_or(|s| p.state == s))
                .count();
            holds(c == *n, n_of(c, "such child", "such children"))
        }
        Cond::Exited { who, code, signal } => {
            let prog = progs.get(who);
            // Ended means reaped, and (unless a process it forked still holds its output open)
            // everything it printed has been read, so that checks on its output see all of it.
            let holders = snap
                .procs
                .iter()
                .any(|p| p.pgid == prog.pid && p.state != 'Z');
            match prog.ending {
                Some(ending) if view.done.contains(&prog.pid) || holders => {
                    let want = code.map(Ending::Code).or(signal.map(Ending::Signal));
                    holds(want.is_none_or(|w| w == ending), format!("{who} {ending}"))
                }
                _ => Err(format!("{who} still running")),
            }
        }
        Cond::Running { who } => match progs.get(who).ending {
            None => Ok(()),
            Some(ending) => Err(format!("{who} {ending}")),
        },
        Cond::Tcp {
            state,
            side,
            recvq,
            count,
        } => {
            let n = snap
                .socks
                .iter()
                .filter(|s| s.proto.starts_with("tcp") && s.state == state)
                .filter(|s| on_side(s, *side, port))
                .filter(|s| recvq.is_none_or(|q| s.recv_q == q))
                .count();
            let q = recvq.map_or(String::new(), |q| format!(" with Recv-Q {q}"));
            let seen = format!("{} in {state}{q}", n_of(n, "TCP socket", "TCP sockets"));
            holds(count_ok(n, *count), seen)
        }
        Cond::Packet {
            kind,
            from,
            to,
            side,
            count,
        } => {
            let Some(lab) = &run.lab else {
                return Ok(()); // not run: `report` says so
            };
            let addr = |h: &Option<String>| {
                h.as_ref()
                    .and_then(|h| run.setup.hosts.iter().find(|x| &x.name == h))
                    .map(|x| x.addr)
            };
            let frames = lab.capture.frames();
            let step = &frames[run.step_frames.min(view.frames)..view.frames];
            let want = crate::wire::Kind::from_name(kind).expect("kinds were checked");
            let seen: Vec<_> = step
                .iter()
                .filter_map(crate::wire::summarize)
                .filter(|s| s.matches(want))
                .filter(|s| addr(from).is_none_or(|a| s.src == std::net::IpAddr::V4(a)))
                .filter(|s| addr(to).is_none_or(|a| s.dst == std::net::IpAddr::V4(a)))
                .filter(|s| match side {
                    None => true,
                    Some(Side::Server) => s.src_port == Some(port),
                    Some(Side::Client) => s.dst_port == Some(port),
                })
                .collect();
            let n = seen.len();
            let kinds: Vec<String> = step
                .iter()
                .filter_map(crate::wire::summarize)
                .map(|s| s.kind().name().to_string())
                .collect();
            let all = match kinds.len() {
                0 => "no packet at all in this step".to_string(),
                k => format!("the step's {k} packets were {}", kinds.join(", ")),
            };
            holds(count_ok(n, *count), format!("{n} such; {all}"))
        }
        Cond::Fds { of, n, state, side } => {
            let Some(proc) = snap.proc(progs.get(of).pid) else {
                return Err(format!("no process {of}"));
            };
            let mine = proc
                .fds
                .iter()
                .filter(|f| matches!(f.kind.as_str(), "TCP" | "UDP" | "unix" | "sock"))
                .filter(|f| match state {
                    None => true,
                    Some(st) => snap
                        .socks
                        .iter()
                        .any(|s| s.inode == f.node && s.state == st && on_side(s, *side, port)),
                })
                .count();
            holds(
                mine == *n,
                n_of(mine, "such descriptor", "such descriptors"),
            )
        }
        Cond::Refs { n, state, side } => {
            let refs: Vec<usize> = snap
                .socks
                .iter()
                .filter(|s| s.proto.starts_with("tcp") && s.state == state)
                .filter(|s| on_side(s, *side, port))
                .map(|s| snap.refs(s.inode))
                .collect();
            let shown: Vec<String> = refs.iter().map(usize::to_string).collect();
            let seen = match shown.len() {
                0 => "no such socket".to_string(),
                _ => format!("descriptors per socket: {}", shown.join(", ")),
            };
            holds(!refs.is_empty() && refs.iter().all(|r| r == n), seen)
        }
        Cond::Sig {
            of,
            signal,
            is,
            not,
        } => {
            let Some(proc) = snap.proc(progs.get(of).pid) else {
                return Err(format!("no process {of}"));
            };
            let g = proc.signals;
            let no = *signal as i32;
            let yes = match is {
                SigIs::Pending => Signals::has(g.pending, no),
                SigIs::Blocked => Signals::has(g.blocked, no),
                SigIs::Ignored => Signals::has(g.ignored, no),
                SigIs::Caught => Signals::has(g.caught, no),
                SigIs::Default => !Signals::has(g.ignored, no) && !Signals::has(g.caught, no),
            };
            let seen = format!(
                "pending {}, blocked {}, ignored {}, caught {}",
                Signals::names(g.pending),
                Signals::names(g.blocked),
                Signals::names(g.ignored),
                Signals::names(g.caught)
            );
            holds(yes != *not, seen)
        }
        Cond::Orphans { n } => {
            let o = &progs.orphans;
            let list: Vec<String> = o.iter().map(|p| format!("pid {p}")).collect();
            holds(o.len() == *n, format!("{} ({})", o.len(), list.join(", ")))
        }
        Cond::Unix { state, count } => {
            let n = snap
                .unix
                .iter()
                .filter(|u| state == "any" || u.state == state)
                .count();
            holds(
                count_ok(n, *count),
                n_of(n, "such Unix socket", "such Unix sockets"),
            )
        }
        Cond::Counter {
            name,
            host,
            min,
            max,
        } => {
            let Some(lab) = &run.lab else {
                return Ok(()); // not run: `report` says so
            };
            let counters = lab.counters(host).map_err(|e| e.to_string())?;
            let v = crate::net::lab::counter_sum(&counters, name)
                .map_err(|missing| format!("{host} has no counter {missing}"))?;
            holds(
                min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m),
                format!("{v}"),
            )
        }
        Cond::Udp { n } => {
            let u = snap
                .socks
                .iter()
                .filter(|s| s.proto.starts_with("udp"))
                .count();
            holds(u == *n, n_of(u, "UDP socket", "UDP sockets"))
        }
    }
}

/// The condition in words, as a claim about the state, for the ✓ and ✗ lines.
fn describe(cond: &Cond, progs: &Programs) -> String {
    match cond {
        Cond::Printed {
            by,
            text,
            count: None,
        } => format!("{} printed {text:?}", who(by)),
        Cond::Printed {
            by,
            text,
            count: Some(n),
        } => {
            format!(
                "{} printed {} containing {text:?}",
                who(by),
                n_of(*n, "line", "lines")
            )
        }
        Cond::State { of, state, wchan } => {
            let pid = progs.get(of).pid;
            let asleep = wchan
                .as_ref()
                .map_or(String::new(), |w| format!(", asleep in {w}"));
            format!("{of} (pid {pid}) is in state {state}{asleep}")
        }
        Cond::Zombies { of, n } => {
            format!("{of} has {}", n_of(*n, "zombie child", "zombie children"))
        }
        Cond::Children { of, n, stat: None } => {
            format!("{of} has {}", n_of(*n, "running child", "running children"))
        }
        Cond::Children {
            of,
            n,
            stat: Some(s),
        } => {
            format!("{of} has {} in state {s}", n_of(*n, "child", "children"))
        }
        Cond::Exited {
            who, code: Some(c), ..
        } => format!("{who} exited with status {c}"),
        Cond::Exited {
            who,
            signal: Some(s),
            ..
        } => format!("{who} was killed by {s}"),
        Cond::Exited { who, .. } => format!("{who} has ended"),
        Cond::Running { who } => format!("{who} is still running"),
        Cond::Tcp {
            state,
            side,
            recvq,
            count,
        } => {
            let side = match side {
                None => "",
                Some(Side::Server) => " on the server's side",
                Some(Side::Client) => " on the client's side",
            };
            let n = count.map_or("a TCP socket".to_string(), |n| {
                n_of(n, "TCP socket", "TCP sockets")
            });
            let q = recvq.map_or(String::new(), |q| format!(" with Recv-Q {q}"));
            format!("{n} in {state}{side}{q}")
        }
        Cond::Udp { n } => n_of(*n, "UDP socket", "UDP sockets"),
        Cond::Fds { of, n, state, side } => {
            let what = match state {
                None => "sockets".to_string(),
                Some(st) => format!("TCP sockets in {st}{}", side_words(*side)),
            };
            format!(
                "{of} holds {} on {what}",
                n_of(*n, "descriptor", "descriptors")
            )
        }
        Cond::Refs { n, state, side } => format!(
            "each TCP socket in {state}{} is held by {}",
            side_words(*side),
            n_of(*n, "descriptor", "descriptors")
        ),
        Cond::Sig {
            of,
            signal,
            is,
            not,
        } => {
            let word = match is {
                SigIs::Pending => "pending",
                SigIs::Blocked => "blocked",
                SigIs::Ignored => "ignored",
                SigIs::Caught => "caught",
                SigIs::Default => "at its default action",
            };
            let not = if *not { "not " } else { "" };
            format!("{signal} is {not}{word} in {of}")
        }
        Cond::Orphans { n } => format!(
            "the runner has reaped {} its programs did not wait for",
            n_of(*n, "child", "children")
        ),
        Cond::Unix { state, count } => {
            let n = count.map_or("a Unix socket".to_string(), |n| {
                n_of(n, "Unix socket", "Unix sockets")
            });
            if state == "any" {
                n
            } else {
                format!("{n} {state}")
            }
        }
        Cond::Counter {
            name,
            host,
            min,
            max,
        } => match (min, max) {
            (Some(a), Some(b)) => format!("{host}'s {name} is between {a} and {b}"),
            (Some(a), None) => format!("{host}'s {name} is at least {a}"),
            (None, Some(b)) => format!("{host}'s {name} is at most {b}"),
            (None, None) => format!("{host}'s {name}"),
        },
        Cond::Packet {
            kind,
            from,
            to,
            side,
            count,
        } => {
            // "data" names what a segment carries; the others name the segment.
            let one = if kind == "data" {
                "data segment".to_string()
            } else {
                kind.clone()
            };
            let what = match count {
                None => format!("a {one}"),
                Some(0) => format!("no {one}"),
                Some(1) => format!("1 {one}"),
                Some(n) => format!("{n} {one}s"),
            };
            let mut text = format!("{what} on the wire");
            if let Some(h) = from {
                text += &format!(" from {h}");
            }
            if let Some(h) = to {
                text += &format!(" to {h}");
            }
            match side {
                Some(Side::Server) => text += " from the server's port",
                Some(Side::Client) => text += " to the server's port",
                None => {}
            }
            text
        }
    }
}

/// A count in words: `no zombie child`, `1 zombie child`, `3 zombie children`.
fn n_of(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {one}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// Why a condition that does not hold never will: the program it is about has ended (and,
/// for its output, all it printed has been read). A wait on it ends at once and says so.
fn hopeless(cond: &Cond, view: &View, progs: &Programs) -> Option<String> {
    let ended = |name: &String| {
        let p = progs.get(name);
        p.ending.map(|e| format!("{name} had already {e}"))
    };
    match cond {
        Cond::Printed { by, .. } => {
            let all_done = by.iter().all(|b| view.done.contains(&progs.get(b).pid));
            let endings: Option<Vec<String>> = by.iter().map(ended).collect();
            endings.filter(|_| all_done).map(|e| e.join(", "))
        }
        Cond::State { of, .. }
        | Cond::Fds { of, .. }
        | Cond::Sig { of, .. }
        | Cond::Children { of, .. }
        | Cond::Zombies { of, .. } => ended(of),
        Cond::Running { who } => ended(who),
        // Ended the wrong way, with all its output read (until then it only looks ended).
        Cond::Exited { who, .. } if view.done.contains(&progs.get(who).pid) => ended(who),
        _ => None,
    }
}

/// Whether the socket is on `side` of the connection (either, when None).
fn on_side(s: &SockRow, side: Option<Side>, port: u16) -> bool {
    match side {
        None => true,
        Some(Side::Server) => s.local.port() == port,
        Some(Side::Client) => s.foreign.port() == port,
    }
}

/// " on the server's side", for a condition's words.
fn side_words(side: Option<Side>) -> &'static str {
    match side {
        None => "",
        Some(Side::Server) => " on the server's side",
        Some(Side::Client) => " on the client's side",
    }
}

/// A route as `ip route` writes it.
fn show_route(r: &crate::net::ns::Route) -> String {
    use crate::net::ns::RouteKind;
    let to = format!("{}/{}", r.to, r.prefix);
    match r.how {
        RouteKind::Via(gw) => format!("{to} via {gw}"),
        RouteKind::Unreachable => format!("unreachable {to}"),
        RouteKind::Blackhole => format!("blackhole {to}"),
    }
}

/// One name, or `a, b and c each`.
fn who(names: &[String]) -> String {
    match names {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last} each", rest.join(", ")),
        [] => String::new(),
    }
}

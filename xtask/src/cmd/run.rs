//! `cargo xtask run <lesson>`: build the lesson's programs, make the run's hosts (network
//! namespaces of its own), and play its scenario.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cargo::{self, BuildError};
use crate::lessons;
use crate::net;
use crate::net::lab::Lab;
use crate::play::{self, Outcome, Setup};
use crate::scenario::{Action, Scenario};
use crate::show::{ColorChoice, Printer};
use crate::supervise;

#[derive(clap::Args)]
pub struct Args {
    /// The lesson to play, for example ch5-sigchld (`cargo xtask list` shows them all)
    lesson: String,
    /// The port the scenario's servers use: 9877, the book's SERV_PORT, which is always free
    /// in the run's own namespaces (with --host-network: 9877 when free, else any free port;
    /// 0 asks for any free port)
    #[arg(long)]
    port: Option<u16>,
    /// Run on this machine's own network instead of namespaces of the run's own, so that `ss`
    /// and `tcpdump` beside it see the programs: free ports, one host, no packet capture
    #[arg(long)]
    host_network: bool,
    /// How each step's packets are shown: tcpdump's lines, a time-sequence diagram in the
    /// style of the book's Figure 2.5, or not at all
    /// (default: lines, or the diagram on a terminal narrower than 100 columns, where the
    /// lines would be cut)
    #[arg(long, value_enum)]
    packets: Option<play::PacketView>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces
    /// it), always or never
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
    /// Write every packet of the run to FILE, a pcap file for `tcpdump -r` or Wireshark
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Play this scenario file instead of the lesson's own
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Wait for a key before each step, for walking a class through it: Enter (or any key)
    /// runs the step, q quits, r replays the run up to this step, b goes back one step, j jumps
    /// to a step (its number typed, then Enter); keys typed while a step runs are discarded
    #[arg(long)]
    step: bool,
    /// Start showing at step N: the steps before it are played, unseen, to reach its state
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    from: u16,
    /// Print PIDs, ports and timings as placeholders, so that transcripts compare equal
    #[arg(long, hide = true)]
    stable: bool,
}

/// On the machine's own network, the scenarios run on the loopback address, so that nothing
/// leaves the machine.
const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Exit status when a lesson cannot be played here at all (it needs namespaces).
const NOT_RUN: u8 = 3;

pub fn run(args: Args) -> ExitCode {
    let (names, scenario) = match lesson(&args) {
        Ok(found) => found,
        Err(code) => return code,
    };
    supervise::take_charge();
    let bins = match packages(&scenario).map(|p| cargo::build_lessons(&p)) {
        Ok(Ok(dir)) => dir,
        Ok(Err(BuildError::Interrupted)) => {
            eprintln!("interrupted");
            return ExitCode::from(130);
        }
        Ok(Err(e)) => return fail(&e.to_string()),
        Err(e) => {
            eprintln!("error: {}: {e}", scenario_path(&args).display());
            return ExitCode::from(2);
        }
    };
    inherit_nothing();
    // The programs create files (a Unix-domain socket's): with the same umask on every machine
    // their permissions, which a lesson shows, are the same. 022 is the usual default.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let lab = match network(&args, &scenario) {
        Ok(lab) => lab,
        Err(code) => return code,
    };
    let port = match (&lab, args.port) {
        (Some(_), None | Some(0)) => unp::SERV_PORT,
        (Some(_), Some(p)) => p,
        (None, asked) => match choose_port(asked) {
            Ok(p) => p,
            Err(e) => return fail(&e),
        },
    };
    let mut printer = Printer::<std::io::Stdout>::stdout(args.stable, port, args.color);
    printer.run_dir(&play::run_dir());
    announce(&mut printer, &args, &scenario, lab.as_ref(), port);
    let setup = Setup {
        bins: &bins,
        hosts: &scenario.hosts,
        port,
        step_by_step: args.step,
        stable: args.stable,
        pcap: args.pcap.as_deref(),
        from: usize::from(args.from),
        packets: args.packets.unwrap_or(match printer.width() {
            Some(w) if w < 100 => play::PacketView::Diagram,
            _ => play::PacketView::Lines,
        }),
    };
    let outcome = play_until_done(&scenario, setup, lab, &mut printer);
    // The course goes on: say which lesson comes next (not for a scenario file of one's own).
    if matches!(outcome, Ok(Outcome::Passed)) && args.scenario.is_none() {
        let next = names.iter().skip_while(|n| **n != args.lesson).nth(1);
        match next {
            Some(next) => printer.line(&format!("Next: cargo xtask run {next}")),
            None => printer.line("That was the last lesson of the course."),
        }
    }
    match outcome {
        Ok(Outcome::Passed | Outcome::Quit) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Ok(Outcome::Restart(_)) => unreachable!("a restart plays the scenario again"),
        Err(e) => fail(&e),
    }
}

/// The lessons' names in course order, and the scenario to play: the lesson's own, or the file
/// `--scenario` names. An unknown lesson or a scenario with an error is exit 2.
fn lesson(args: &Args) -> Result<(Vec<String>, Scenario), ExitCode> {
    let all = lessons::all();
    let names: Vec<String> = all.iter().map(|(l, _)| l.name.clone()).collect();
    let (_, own) = match lessons::find(&args.lesson, &names) {
        Ok(i) => all
            .into_iter()
            .nth(i)
            .expect("find gives an index of the list"),
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let loaded = match &args.scenario {
        Some(path) => Scenario::load(path),
        None => own,
    };
    match loaded {
        Ok(s) => Ok((names, s)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// The scenario file played: `--scenario`'s, or the lesson's own.
fn scenario_path(args: &Args) -> PathBuf {
    match &args.scenario {
        Some(path) => path.clone(),
        None => lessons::root()
            .join("crates")
            .join(&args.lesson)
            .join("scenario.toml"),
    }
}

/// The run's own network, or None for the machine's own (`--host-network`, or where
/// namespaces cannot be made and the lesson needs no hosts of its own).
fn network(args: &Args, scenario: &Scenario) -> Result<Option<Lab>, ExitCode> {
    if args.host_network && scenario.networked() {
        eprintln!(
            "not run: {} has hosts of its own, which need the run's namespaces",
            args.lesson
        );
        return Err(ExitCode::from(NOT_RUN));
    }
    if args.host_network {
        return Ok(None);
    }
    match net::own_namespaces().and_then(|()| Lab::build(&scenario.hosts)) {
        Ok(lab) => Ok(Some(lab)),
        Err(e) => {
            let why = net::may_fall_back(&e).map_err(|refused| fail(&refused))?;
            if scenario.networked() {
                eprintln!("not run: {} needs hosts of its own, and {why}", args.lesson);
                return Err(ExitCode::from(NOT_RUN));
            }
            eprintln!(
                "note: {why}: running on this machine's network instead (a free port, \
                 no packet capture: packet checks are not run)"
            );
            Ok(None)
        }
    }
}

/// Whether the lesson has servers: whether any program it starts is given the port. A lesson
/// without (ch5-signals, ch5-zombie) is told nothing of ports or sockets it does not have.
fn serves(scenario: &Scenario) -> bool {
    scenario.steps.iter().any(|step| match &step.action {
        Action::Start { args, .. } => args.iter().any(|a| a.contains("{port}")),
        _ => false,
    })
}

/// The run's first lines: the lesson, where it runs, and the port its servers use.
fn announce<W: std::io::Write>(
    p: &mut Printer<W>,
    args: &Args,
    scenario: &Scenario,
    lab: Option<&Lab>,
    port: u16,
) {
    let s = &scenario.lesson;
    p.line(&format!(
        "{} · {} · UNP §{}",
        args.lesson, s.title, s.section
    ));
    let shown = if args.stable { unp::SERV_PORT } else { port };
    let servers = serves(scenario);
    p.has_servers(servers);
    let listen = match servers {
        true => format!("; servers listen on {HOST}:{shown}."),
        false => ".".to_string(),
    };
    match lab {
        Some(_) if scenario.networked() => {
            let hosts: Vec<String> = scenario
                .hosts
                .iter()
                .map(|h| format!("{} {}", h.name, h.addr))
                .collect();
            let hosts = hosts.join(", ");
            p.line(&format!(
                "Hosts: {hosts}, on a switch; servers use port {shown}."
            ));
        }
        Some(_) => p.line(&format!("One host, its loopback only{listen}")),
        None => p.line(&format!("On this machine's own network{listen}")),
    }
    if let Some(lab) = lab.filter(|_| !args.stable) {
        let pid = std::process::id();
        p.line(&format!(
            "(The run's own network namespaces; to watch: cargo xtask watch --run {pid})"
        ));
        // A test hook: the tests check that none of these namespaces outlives the run.
        if std::env::var_os("XTASK_TEST_SHOW_NAMESPACES").is_some() {
            p.line(&format!("namespaces: {}", lab.namespaces().join(" ")));
        }
    }
    p.show_hosts(scenario.hosts.len() > 1);
}

/// Play the scenario; `--step`'s r, b and j play it again from the start, in new namespaces,
/// and show it from the step asked for.
fn play_until_done<W: std::io::Write>(
    scenario: &Scenario,
    mut setup: Setup,
    mut lab: Option<Lab>,
    printer: &mut Printer<W>,
) -> Result<Outcome, String> {
    let in_namespaces = lab.is_some();
    loop {
        let outcome = play::play(scenario, &setup, lab.take(), printer);
        let Outcome::Restart(n) = outcome else {
            return Ok(outcome);
        };
        setup.from = n;
        if in_namespaces {
            let new = Lab::build(&scenario.hosts);
            lab = Some(new.map_err(|e| format!("cannot make the run's namespaces again: {e}"))?);
        }
    }
}

/// Mark every descriptor beyond 0, 1 and 2 close-on-exec. The runner inherits some from
/// whoever started it (cargo's jobserver pipe, for one); without this, every program would
/// inherit them too, and the descriptor tables students read would list them.
pub fn inherit_nothing() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC closes nothing; it only sets a flag on
    // descriptors, so no Rust object is left holding a closed descriptor.
    let _ = unsafe { libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as i32) };
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// The packages that build the programs the scenario starts.
fn packages(scenario: &Scenario) -> Result<Vec<String>, String> {
    let mut packages = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Action::Start { program, .. } = &step.action {
            let Some(p) = lessons::package_of(program) else {
                return Err(format!(
                    "step {}: no lesson has a program `{program}`",
                    i + 1
                ));
            };
            if !packages.contains(&p) {
                packages.push(p);
            }
        }
    }
    Ok(packages)
}

/// The book's port when it is free (and no port was asked for), the asked-for port, or any
/// free one for `--port 0`. A port is free when both TCP and UDP can bind it.
fn choose_port(asked: Option<u16>) -> Result<u16, String> {
    let free = |port: u16| {
        let addr = SocketAddrV4::new(HOST, port);
        let tcp = TcpListener::bind(addr).ok()?;
        let port = tcp.local_addr().ok()?.port();
        UdpSocket::bind(SocketAddrV4::new(HOST, port)).ok()?;
        Some(port)
    };
    match asked {
        None => free(unp::SERV_PORT)
            .or_else(|| free(0))
            .ok_or("no free port on 127.0.0.1".into()),
        Some(0) => free(0).ok_or("no free port on 127.0.0.1".into()),
        Some(p) => free(p).ok_or(format!(
            "port {p} is in use on {HOST}: choose another with --port, or --port 0 for any"
        )),
    }
}

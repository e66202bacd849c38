//! `cargo xtask run <lesson>`: build the lesson's programs, make the run's hosts (network
//! namespaces of its own), and play its scenario.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cargo::{self, BuildError, Held};
use crate::lessons;
use crate::net::{self, lab::Lab};
use crate::play::{self, Outcome, Report, Setup};
use crate::scenario::{Action, Scenario};
use crate::show::{ColorChoice, Printer};
use crate::supervise;

#[derive(clap::Args)]
pub struct Args {
    /// The lesson to play, for example ch5-sigchld (`cargo xtask list` shows them all)
    lesson: String,
    #[command(flatten)]
    pub play: PlayArgs,
    /// The port the scenario's servers use: 9877, the book's SERV_PORT, which is always free
    /// in the run's own namespaces (with --host-network: 9877 when free, else any free port;
    /// 0 asks for any free port)
    #[arg(long)]
    port: Option<u16>,
    /// Run on this machine's own network instead of namespaces of the run's own, so that `ss`
    /// and `tcpdump` beside it see the programs: free ports, one host, no packet capture
    #[arg(long, conflicts_with_all = ["pcap", "program"])]
    host_network: bool,
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
    /// Write the run as one self-contained HTML page to FILE: each step's narration, output,
    /// tables and checks, its packets as a time-sequence diagram, and the process figure of
    /// the key steps (the arrow keys step through it)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the pictures of the lesson's key steps (`picture = true`) to DIR as SVG files
    /// (what `cargo xtask notes` puts beside the notes)
    #[arg(long, value_name = "DIR", hide = true)]
    pictures: Option<PathBuf>,
}

/// What `run` and `check` share: how the run is played and shown.
#[derive(clap::Args, Clone)]
pub struct PlayArgs {
    /// Play the scenario with the executable PATH wherever it starts the program NAME (the
    /// book's C programs, your own): started the book's way, with no options (repeatable)
    #[arg(long, value_name = "NAME=PATH", value_parser = program_arg)]
    pub program: Vec<(String, PathBuf)>,
    /// After a failed step, play the rest anyway (their checks are reported; the run still
    /// exits 1)
    #[arg(long)]
    pub keep_going: bool,
    /// How each step's packets are shown: tcpdump's lines, a time-sequence diagram in the
    /// style of the book's Figure 2.5, or not at all
    /// (default: lines where they fit the terminal, else the diagram)
    #[arg(long, value_enum)]
    pub packets: Option<play::PacketView>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces
    /// it), always or never
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
    /// Write every packet of the run to FILE, a pcap file for `tcpdump -r` or Wireshark
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Write the run's steps and checks to FILE as JSON (what each claimed, what it saw)
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `NAME=PATH`: PATH must be an executable file.
pub fn program_arg(text: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = text
        .split_once('=')
        .ok_or("give NAME=PATH, for example tcpserv04=./tcpserv04")?;
    let path = PathBuf::from(path);
    let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("{} is not an executable file", path.display()));
    }
    let path = std::fs::canonicalize(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((name.to_string(), path))
}

/// Exit status when a lesson cannot be played here at all (it needs namespaces).
const NOT_RUN: u8 = 3;

pub fn run(args: Args) -> ExitCode {
    supervise::keep(&crate::cargo::held_base(&crate::cargo::bin_dir()));
    let (lesson, scenario) = match find(&args.lesson, args.scenario.as_deref()) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if usize::from(args.from) > scenario.steps.len() {
        let total = scenario.steps.len();
        eprintln!("error: --from {}: the lesson has {total} steps", args.from);
        return ExitCode::from(2);
    }
    let dir = lesson.scenario.parent().unwrap_or(Path::new("."));
    for problem in scenario.guard_problems(dir) {
        // A student who changed a taught line must see what the change does: `guard` and
        // `notes --check` hold the lessons to their guards, a run only says so.
        eprintln!("note: {}: {problem}", lesson.scenario.display());
    }
    let file = args.scenario.as_deref().unwrap_or(&lesson.scenario);
    let bins = match prepare(&scenario, file, &args.play) {
        Ok(bins) => bins,
        Err(code) => return code,
    };
    let show = Show {
        lesson: &args.lesson,
        stable: args.stable,
        next: args.scenario.is_none(),
    };
    let wants_pictures = args.html.is_some() || args.pictures.is_some();
    let how = How {
        port: args.port,
        host_network: args.host_network,
        step: args.step,
        from: usize::from(args.from),
        namespaces_only: false,
        steps: wants_pictures.then(Default::default),
    };
    let (outcome, report) = match play_lesson(&scenario, &bins.dir, &args.play, &how, &show) {
        Ok(played) => played,
        Err(code) => return code,
    };
    let steps = how.steps.map(|s| s.take()).unwrap_or_default();
    let written = write_pictures(&args, &scenario, &steps, &report).map_err(|e| fail(&e));
    match written {
        Ok(()) => exit_code(outcome),
        Err(code) => code,
    }
}

/// The lesson by name, and its scenario (or the one in `file`). Err: the exit code, said.
pub fn find(name: &str, file: Option<&Path>) -> Result<(lessons::Lesson, Scenario), ExitCode> {
    let all = lessons::all();
    let names: Vec<String> = all.iter().map(|(l, _)| l.name.clone()).collect();
    let i = lessons::find(name, &names).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let Some((lesson, loaded)) = all.into_iter().nth(i) else {
        return Err(ExitCode::from(2));
    };
    let loaded = match file {
        Some(path) => Scenario::load(path),
        None => loaded,
    };
    match loaded {
        Ok(s) => Ok((lesson, s)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// `--html FILE` and `--pictures DIR`: the run as a page, and its key steps' pictures.
fn write_pictures(
    args: &Args,
    scenario: &Scenario,
    steps: &[crate::picture::StepData],
    report: &Report,
) -> Result<(), String> {
    if let Some(path) = &args.html {
        let page = crate::picture::Page {
            lesson: &args.lesson,
            title: &scenario.lesson.title,
            section: &scenario.lesson.section,
            steps,
            report,
            stable: args.stable,
        };
        let html = crate::picture::page(&page);
        std::fs::write(path, html).map_err(|e| format!("--html {}: {e}", path.display()))?;
        if !args.stable {
            println!("The run as a page: {}", path.display());
        }
    }
    if let Some(dir) = &args.pictures {
        let shown = |e: std::io::Error| format!("--pictures {}: {e}", dir.display());
        std::fs::create_dir_all(dir).map_err(shown)?;
        for (name, svg) in crate::picture::key_pictures(&args.lesson, steps, args.stable) {
            std::fs::write(dir.join(name), svg).map_err(shown)?;
        }
    }
    Ok(())
}

/// Check what can be checked before anything is built, then build the scenario's programs,
/// and hold them for the run.
pub fn prepare(scenario: &Scenario, file: &Path, args: &PlayArgs) -> Result<Held, ExitCode> {
    supervise::take_charge();
    supervise::remove_stale_run_dirs();
    supervise::remove_stale(&cargo::held_base(&cargo::bin_dir()));
    if let Some(path) = &args.pcap {
        // Said now, not after the whole lesson has played.
        if let Err(e) = std::fs::File::create(path) {
            eprintln!("error: --pcap {}: {e}", path.display());
            return Err(ExitCode::from(2));
        }
    }
    let packages = packages(scenario).map_err(|e| {
        eprintln!("error: {}: {e}", file.display());
        ExitCode::from(2)
    })?;
    let bins = match cargo::build_lessons(&packages) {
        Ok(dir) => dir,
        Err(BuildError::Interrupted) => {
            eprintln!("interrupted");
            return Err(ExitCode::from(130));
        }
        Err(e) => return Err(fail(&e.to_string())),
    };
    Held::new(&bins, &programs(&packages))
        .map_err(|e| fail(&format!("cannot hold the programs for the run: {e}")))
}

/// Every program of the packages: those the scenario starts, and those they run in turn
/// (stepserv execs getpeer from its own folder).
fn programs(packages: &[String]) -> Vec<String> {
    let crates = lessons::root().join("crates");
    let bins = packages.iter().flat_map(|p| {
        let dir = std::fs::read_dir(crates.join(p).join("src/bin"));
        dir.into_iter().flatten().flatten()
    });
    let names = bins.filter_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.strip_suffix(".rs").map(String::from)
    });
    names.collect()
}

/// How the lesson is shown.
pub struct Show<'a> {
    pub lesson: &'a str,
    pub stable: bool,
    /// Say which lesson comes next when it passes (not for a scenario file of one's own).
    pub next: bool,
}

/// Where and how it is played.
#[derive(Default)]
pub struct How {
    pub port: Option<u16>,
    pub host_network: bool,
    pub step: bool,
    pub from: usize,
    /// Refuse to run on the machine's own network where namespaces cannot be made (`check`:
    /// a student's program must reach nothing outside the run).
    pub namespaces_only: bool,
    /// Keep each step's data for the pictures (`--html`, `--pictures`).
    pub steps: Option<std::rc::Rc<std::cell::RefCell<Vec<crate::picture::StepData>>>>,
}

/// Make the run's network, play the scenario (again from the start on `--step`'s r, b and j),
/// and write the report where asked. Err: the exit code of a run that could not be made.
pub fn play_lesson(
    scenario: &Scenario,
    bins: &Path,
    args: &PlayArgs,
    how: &How,
    show: &Show,
) -> Result<(Outcome, Report), ExitCode> {
    play_with(scenario, (bins, &[]), args, how, show)
}

/// `play_lesson` with programs of one's own (`check`): `programs` is the folder of the
/// lesson's builds and the programs to take from elsewhere, started as the lesson's are.
pub fn play_with(
    scenario: &Scenario,
    programs: (&Path, &[(String, PathBuf)]),
    args: &PlayArgs,
    how: &How,
    show: &Show,
) -> Result<(Outcome, Report), ExitCode> {
    let (bins, own) = programs;
    inherit_nothing();
    // The programs create files (a Unix-domain socket's): with the same umask on every machine
    // their permissions, which a lesson shows, are the same. 022 is the usual default.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let mut lab = network(scenario, how, show.lesson)?;
    let port = match (&lab, how.port) {
        (Some(_), None | Some(0)) => unp::SERV_PORT,
        (Some(_), Some(p)) => p,
        (None, asked) => choose_port(asked).map_err(|e| fail(&e))?,
    };
    let mut printer =
        Printer::<crate::show::term::Paged>::stdout(show.stable, port, args.color, how.step);
    printer.run_dir(&supervise::run_dir());
    header(&mut printer, scenario, lab.as_ref(), port, show);
    let mut setup = Setup {
        bins,
        replaced: &args.program,
        own,
        hosts: &scenario.hosts,
        port,
        step_by_step: how.step,
        stable: show.stable,
        pcap: args.pcap.as_deref(),
        from: how.from.max(1),
        packets: args.packets,
        keep_going: args.keep_going,
        live: !show.stable && std::io::IsTerminal::is_terminal(&std::io::stdout()),
        steps: how.steps.as_deref(),
    };
    printer.show_hosts(scenario.hosts.len() > 1);
    let in_namespaces = lab.is_some();
    let (outcome, report) = loop {
        let (outcome, mut report) = play::play(scenario, &setup, lab.take(), &mut printer);
        if let (Outcome::Restart(_), Some(steps)) = (outcome, &how.steps) {
            steps.borrow_mut().clear(); // played again from the start
        }
        let Outcome::Restart(n) = outcome else {
            report.lesson = show.lesson.to_string();
            break (outcome, report);
        };
        setup.from = n;
        if in_namespaces {
            let again = Lab::build(&scenario.hosts);
            lab =
                Some(again.map_err(|e| fail(&format!("cannot make the run's hosts again: {e}")))?);
        }
    };
    if outcome == Outcome::Passed && show.next {
        let names: Vec<String> = lessons::all().into_iter().map(|(l, _)| l.name).collect();
        match names.iter().skip_while(|n| **n != show.lesson).nth(1) {
            Some(next) => printer.line(&format!("Next: cargo xtask run {next}")),
            None => printer.line("That was the last lesson of the course."),
        }
    }
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report).unwrap_or_default();
        std::fs::write(path, json + "\n")
            .map_err(|e| fail(&format!("--report {}: {e}", path.display())))?;
    }
    Ok((outcome, report))
}

/// The run's own hosts, or None on the machine's own network (asked for, or where namespaces
/// cannot be made and the lesson can do without).
fn network(scenario: &Scenario, how: &How, lesson: &str) -> Result<Option<Lab>, ExitCode> {
    if how.host_network {
        if scenario.networked() {
            eprintln!("not run: {lesson} has hosts of its own, which need the run's namespaces");
            return Err(ExitCode::from(NOT_RUN));
        }
        return Ok(None);
    }
    match net::own_namespaces().and_then(|()| Lab::build(&scenario.hosts)) {
        Ok(lab) => Ok(Some(lab)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("error: {lesson}'s scenario: {e}");
            Err(ExitCode::from(2))
        }
        Err(e) => {
            let why = net::may_fall_back(&e).map_err(|refused| fail(&refused))?;
            if how.namespaces_only {
                return Err(fail(&format!(
                    "{why}; a check runs only in namespaces of its own"
                )));
            }
            if scenario.networked() {
                eprintln!("not run: {lesson} needs hosts of its own, and {why}");
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

/// The lesson's title line and where it runs.
fn header<W: std::io::Write>(
    printer: &mut Printer<W>,
    scenario: &Scenario,
    lab: Option<&Lab>,
    port: u16,
    show: &Show,
) {
    let s = &scenario.lesson;
    printer.line(&format!(
        "{} · {} · UNP §{}",
        show.lesson, s.title, s.section
    ));
    let shown = if show.stable { unp::SERV_PORT } else { port };
    let host = Ipv4Addr::LOCALHOST;
    let servers = serves(scenario);
    printer.has_servers(servers);
    let listen = match servers {
        true => format!("; servers listen on {host}:{shown}."),
        false => ".".to_string(),
    };
    match lab {
        Some(_) if scenario.networked() => {
            let hosts: Vec<String> = scenario
                .hosts
                .iter()
                .map(|h| format!("{} {}", h.name, h.addr))
                .collect();
            printer.line(&format!(
                "Hosts: {}, on a switch; servers use port {shown}.",
                hosts.join(", ")
            ));
        }
        Some(_) => printer.line(&format!("One host, its loopback only{listen}")),
        None => printer.line(&format!("On this machine's own network{listen}")),
    }
    if let Some(lab) = lab.filter(|_| !show.stable) {
        let pid = std::process::id();
        printer.line(&format!(
            "(The run's own network namespaces; to watch: cargo xtask watch --run {pid})"
        ));
        // A test hook: the tests check that none of these namespaces outlives the run.
        if std::env::var_os("XTASK_TEST_SHOW_NAMESPACES").is_some() {
            printer.line(&format!("namespaces: {}", lab.namespaces().join(" ")));
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

/// The exit status of a run that was played: 0 passed (or quit at a prompt), 1 failed or not
/// played, 130 interrupted.
pub fn exit_code(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Passed | Outcome::Quit | Outcome::Restart(_) => ExitCode::SUCCESS,
        Outcome::Failed | Outcome::NotPlayed => ExitCode::FAILURE,
        Outcome::Interrupted => ExitCode::from(130),
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

pub fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// The packages that build the programs the scenario starts.
pub fn packages(scenario: &Scenario) -> Result<Vec<String>, String> {
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
    const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
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

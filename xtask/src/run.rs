//! `cargo xtask run <lesson>`: build the lesson's programs and play its scenario.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::engine::{self, Outcome, Setup};
use crate::lessons;
use crate::programs;
use crate::render::Printer;
use crate::scenario::{Action, Scenario};

#[derive(clap::Args)]
pub struct Args {
    /// The lesson to play, for example ch5-sigchld (`cargo xtask list` shows them all)
    lesson: String,
    /// The port the scenario's servers use: 9877 (the book's SERV_PORT) when free, else any
    /// free port; 0 asks for any free port
    #[arg(long)]
    port: Option<u16>,
    /// Play this scenario file instead of the lesson's own
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Wait for Enter before each step (q quits), for walking a class through it
    #[arg(long)]
    step: bool,
    /// Print PIDs, ports and timings as placeholders, so that transcripts compare equal
    #[arg(long, hide = true)]
    stable: bool,
}

/// The scenarios run on the loopback address, so that nothing leaves the machine.
const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

pub fn run(args: Args) -> ExitCode {
    let Some(lesson) = lessons::all()
        .into_iter()
        .find(|(l, _)| l.name == args.lesson)
    else {
        eprintln!(
            "error: no lesson named `{}`; the lessons are:\n{}",
            args.lesson,
            lessons::list()
        );
        return ExitCode::from(2);
    };
    let loaded = match &args.scenario {
        Some(path) => Scenario::load(path),
        None => lesson.1,
    };
    let scenario = match loaded {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let packages = match packages(&scenario) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: {}: {e}",
                args.scenario
                    .as_ref()
                    .unwrap_or(&lesson.0.scenario)
                    .display()
            );
            return ExitCode::from(2);
        }
    };
    programs::take_charge();
    let bins = match lessons::build(&packages) {
        Ok(dir) => dir,
        Err(e) => return fail(&e),
    };
    let port = match choose_port(args.port) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let s = &scenario.lesson;
    println!("{} · {} · UNP §{}", args.lesson, s.title, s.section);
    let shown = if args.stable { unp::SERV_PORT } else { port };
    println!("Servers listen on {HOST}:{shown}.");
    let host = HOST.to_string();
    let setup = Setup {
        bins: &bins,
        host: &host,
        port,
        step_by_step: args.step,
        stable: args.stable,
    };
    let mut printer = Printer::<std::io::Stdout>::stdout(args.stable, port);
    match engine::play(&scenario, &setup, &mut printer) {
        Outcome::Passed | Outcome::Quit => ExitCode::SUCCESS,
        Outcome::Failed => ExitCode::FAILURE,
        Outcome::Interrupted => ExitCode::from(130),
    }
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

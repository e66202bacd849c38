//! One bench run: build the servers, decide where they run, then rounds of every design, in
//! an order that rotates from round to round, so that a slow moment of the machine (two cores
//! shared with others) falls on every design in turn.
//!
//! Each run of a design starts its server in a network namespace of its own (only its
//! loopback: nothing leaves the machine, and TIME_WAITs of one run never crowd the next), or,
//! where no namespace can be made, on 127.0.0.1; drives it through every phase; kills it.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use xtask::net::ns::{HostSpec, Net};

use crate::args::{Args, Plan};
use crate::design::{self, Design};
use crate::load::conn::{conn_rate, latency, ready};
use crate::load::held::held;
use crate::load::stream::throughput;
use crate::load::{Kind, Target, interrupted, percentile};
use crate::report::{self, Network, Report, RunResult};
use crate::server::Server;
use crate::usage::{Sampler, cpu_ticks, wait_reaped};

/// Where the servers run, and what they run with.
struct Setting {
    bins: PathBuf,
    nofile: u64,
    network: Network,
}

pub fn run(args: Args) -> ExitCode {
    let plan = Plan::new(&args);
    xtask::supervise::take_charge();
    let started = Instant::now();
    let (designs, setting) = match prepare(&args) {
        Ok(ready) => ready,
        Err(e) => return fail(&e),
    };
    eprintln!(
        "bench: {} rounds, N = {} clients, phases of {:.1} s, every wait at most {} s; {}",
        plan.rounds,
        plan.clients,
        plan.phase.as_secs_f64(),
        plan.timeout.as_secs(),
        setting.network.words()
    );
    let results = rounds(&designs, &plan, &setting);
    if interrupted() {
        eprintln!("bench: interrupted; every server is killed and reaped");
        return ExitCode::from(130);
    }
    let report = Report {
        plan,
        network: setting.network,
        designs,
        results,
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    eprintln!("bench: done in {:.1} s", report.seconds);
    verdict(&report)
}

/// The designs, built; the descriptor limits; the network.
fn prepare(args: &Args) -> Result<(Vec<Design>, Setting), String> {
    let mut designs = design::course();
    if args.c_servers {
        let out = xtask::cargo::bin_dir().join("bench-c");
        eprintln!("bench: cc -O2 of the C servers into {}", out.display());
        designs.extend(crate::cservers::designs(&out)?);
    }
    for (name, path) in &args.servers {
        if designs.iter().any(|d| d.name == *name) {
            return Err(format!(
                "--server {name}: there is a row of that name already"
            ));
        }
        designs.push(Design::path(name, path.clone()));
    }
    for d in designs.iter().filter(|d| !d.built()) {
        eprintln!(
            "bench: {} ({}): not built yet: no crate of this workspace has src/bin/{}.rs; \
             its row stays empty",
            d.name, d.program, d.program
        );
    }
    let bins = build(&designs)?;
    // As the runner does: descriptors this process inherited (cargo's jobserver pipe) are not
    // passed on to the servers, where they would take places in select's fd_set.
    xtask::cmd::run::inherit_nothing();
    let nofile = raise_nofile().map_err(|e| format!("getrlimit(RLIMIT_NOFILE): {e}"))?;
    let network = match namespaces_here() {
        Ok(()) => Network::Namespaces,
        Err(e) => {
            let why = xtask::net::may_fall_back(&e)?;
            eprintln!("bench: note: {why}: the servers listen on 127.0.0.1");
            Network::Loopback
        }
    };
    let setting = Setting {
        bins,
        nofile,
        network,
    };
    Ok((designs, setting))
}

/// Every round of every design built: results[design][round].
fn rounds(designs: &[Design], plan: &Plan, setting: &Setting) -> Vec<Vec<Option<RunResult>>> {
    let built: Vec<usize> = (0..designs.len()).filter(|&i| designs[i].built()).collect();
    let mut results = vec![vec![None; plan.rounds]; designs.len()];
    for round in 0..plan.rounds {
        for k in 0..built.len() {
            let i = built[(round + k) % built.len()];
            let d = &designs[i];
            eprint!(
                "round {}/{} · {:<9} ({}):",
                round + 1,
                plan.rounds,
                d.name,
                d.program
            );
            let t = Instant::now();
            let r = measure(d, plan, setting);
            eprintln!(" {:.1} s", t.elapsed().as_secs_f64());
            if let Some(f) = r.failure.as_ref().filter(|_| !interrupted()) {
                eprintln!("  {}: {f}", d.name);
            }
            results[i][round] = Some(r);
            if interrupted() {
                return results;
            }
        }
    }
    results
}

/// Exit 1 when an echo came back wrong or a server could not be measured.
fn verdict(report: &Report) -> ExitCode {
    let corrupt: u64 = report
        .all_errors()
        .map(|e| e.count[Kind::Corrupt as usize])
        .sum();
    if corrupt > 0 {
        return fail(&format!(
            "{corrupt} echoes came back different from what was sent"
        ));
    }
    if report.all_runs().any(|r| r.failure.is_some()) {
        return fail("a server could not be measured (see above)");
    }
    ExitCode::SUCCESS
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// Build the workspace programs among the designs in release; return the folder they are in.
fn build(designs: &[Design]) -> Result<PathBuf, String> {
    let bins: Vec<(String, String)> = designs
        .iter()
        .filter_map(|d| Some((d.package()?.to_string(), d.program.clone())))
        .collect();
    let t = Instant::now();
    eprint!("bench: cargo build --release of the servers...");
    let dir = xtask::cargo::build_release(&bins).map_err(|e| e.to_string())?;
    eprintln!(" {:.1} s", t.elapsed().as_secs_f64());
    Ok(dir)
}

/// Raise this process's descriptor limit to its hard limit (the load client holds every
/// connection of the "held" phase), and return the soft limit as it was: the servers get
/// that one, the limit they would have if started from the same shell.
fn raise_nofile() -> nix::Result<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    Ok(soft)
}

/// Whether namespaces can be made: without root, the bench first enters a user namespace of
/// its own (which must happen while the process has one thread: before any client runs).
fn namespaces_here() -> io::Result<()> {
    xtask::net::own_namespaces()?;
    drop(host_net()?);
    Ok(())
}

/// One host with only its loopback, for one run of one design. A wide range of ephemeral
/// ports, as a load test needs: each connection the client closes first leaves a TIME_WAIT.
fn host_net() -> io::Result<Net> {
    Net::build(&[HostSpec {
        name: "bench".into(),
        addr: Ipv4Addr::LOCALHOST,
        sysctls: vec![("net.ipv4.ip_local_port_range".into(), "1024 65535".into())],
        routes: Vec::new(),
    }])
}

/// Run one design once: start its server, drive it through every phase, kill it.
fn measure(d: &Design, plan: &Plan, setting: &Setting) -> RunResult {
    let mut r = RunResult::default();
    let net = match setting.network {
        Network::Namespaces => match host_net() {
            Ok(net) => Some(net),
            Err(e) => {
                r.failure = Some(format!("cannot make its network namespace: {e}"));
                return r;
            }
        },
        Network::Loopback => None,
    };
    let ns = net
        .as_ref()
        .and_then(|n| n.hosts.first())
        .and_then(|h| h.ns.as_ref())
        .map(|ns| ns.raw_fd());
    let mut server = match Server::start(d, &setting.bins, ns, setting.nofile) {
        Ok(s) => s,
        Err(e) => {
            r.failure = Some(e);
            return r;
        }
    };
    let t = Target {
        addr: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, server.port)),
        ns,
        timeout: plan.timeout,
    };
    let sampler = Sampler::start(server.pid());
    if let Err(e) = phases(&t, plan, &mut server, &sampler, &mut r) {
        let said = server.said();
        r.failure = Some(match server.ended() {
            Some(end) => format!("{e}: the server {end}{said}"),
            None => format!("{e}{said}"),
        });
    }
    let (procs, memory) = sampler.finish();
    r.values[report::PROCS] = Some(procs as f64);
    r.values[report::MEM] = Some(memory as f64);
    drop(server);
    drop(net);
    r
}

/// The phases of one run, in order; an error when the server stops answering.
fn phases(
    t: &Target,
    plan: &Plan,
    server: &mut Server,
    sampler: &Sampler,
    r: &mut RunResult,
) -> Result<(), String> {
    connections(t, plan, server.pid(), r)?;
    ready(t)?;
    eprint!(" RTT");
    let (mut rtts, errors) = latency(t, plan.phase);
    rtts.sort_by(f64::total_cmp);
    r.values[report::RTT_50] = percentile(&rtts, 0.50);
    r.values[report::RTT_99] = percentile(&rtts, 0.99);
    r.errors.push(("RTT", errors));
    for (phase, clients, m) in [
        ("MB/s 1", 1, report::MB_1),
        ("MB/s N", plan.clients, report::MB_N),
    ] {
        ready(t)?;
        eprint!(" {}", if clients == 1 { phase } else { "N" });
        let p = throughput(t, clients, plan.phase);
        r.values[m] = Some(p.mb_per_s());
        r.errors.push((phase, p.errors));
    }
    ready(t)?;
    eprint!(" held");
    let mark = server.stderr_lines();
    sampler.pause();
    let h = held(t, plan.held_cap, plan.held_time, || sampler.sample_now());
    r.values[report::HELD] = Some(h.held as f64);
    let mut stop = h.stop;
    if let Some(end) = server.ended() {
        stop += &format!(" (the server {end})");
    }
    stop += &server.said_since(mark);
    r.held_stop = Some(stop);
    r.errors.push(("held", h.errors));
    Ok(())
}

/// The connection-rate phases, 1 client then N, and the server's CPU time per connection.
fn connections(t: &Target, plan: &Plan, pid: i32, r: &mut RunResult) -> Result<(), String> {
    ready(t)?;
    let cpu0 = cpu_ticks(pid)?;
    eprint!(" conn/s 1");
    let c1 = conn_rate(t, 1, plan.phase);
    eprint!(" N");
    let cn = conn_rate(t, plan.clients, plan.phase);
    // The fork server's children count in its cutime and cstime once it has reaped them.
    wait_reaped(pid, Duration::from_secs(3));
    let cpu1 = cpu_ticks(pid)?;
    let conns = c1.connects + cn.connects;
    let seconds = (cpu1 - cpu0) as f64 / procfs::ticks_per_second() as f64;
    r.values[report::CONN_1] = Some(c1.conns_per_s());
    r.values[report::CONN_N] = Some(cn.conns_per_s());
    r.values[report::CPU] = (conns > 0).then(|| seconds * 1e6 / conns as f64);
    r.errors.push(("conn/s 1", c1.errors));
    r.errors.push(("conn/s N", cn.errors));
    Ok(())
}

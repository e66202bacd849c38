//! The bench's command line, and the plan it makes of it: how many rounds, how many clients,
//! how long each phase sends, and the longest any single wait may take.

use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Parser)]
#[command(
    name = "cargo xtask bench",
    bin_name = "cargo xtask bench",
    about = "Measure the server designs side by side, as the book's Figure 30.1 (ratios to fork)"
)]
pub struct Args {
    /// A short run (3 rounds of short phases, under a minute): a smoke test, not for reading
    #[arg(long)]
    pub quick: bool,
    /// Print the results as JSON on standard output (progress still goes to standard error)
    #[arg(long)]
    pub json: bool,
    /// How many rounds (default 5; 3 with --quick)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=50))]
    pub rounds: Option<u16>,
    /// N, the concurrent clients of the "N clients" columns (default 50)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=200))]
    pub clients: Option<u16>,
    /// The most clients the "held" column opens (default 2000; 1100 with --quick)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=30000))]
    pub held_cap: Option<u32>,
    /// Measure the echo server PATH too, as the row NAME: started with no options, the book's
    /// way (port 9877, the wildcard address). A row NAME-c is compared with the row (or the
    /// workspace program) NAME, as C against Rust.
    #[arg(long = "server", value_name = "NAME=PATH", value_parser = parse_server)]
    pub servers: Vec<(String, PathBuf)>,
    /// Build the bench's own C echo servers (xtask/bench/c/, with cc -O2) and measure each
    /// beside its Rust counterpart (adding tcpserv01, the fork server that never reaps)
    #[arg(long)]
    pub c_servers: bool,
}

/// `NAME=PATH`: a row's name (letters, digits, `-`, `_`, `.`) and an executable.
fn parse_server(text: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = text
        .split_once('=')
        .ok_or("expected NAME=PATH, such as tcpserv04-c=./tcpserv04")?;
    let fine = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if name.is_empty() || name.len() > 24 || !name.chars().all(fine) {
        return Err(format!(
            "`{name}`: a NAME is 1 to 24 letters, digits, `-`, `_` or `.`"
        ));
    }
    if path.is_empty() {
        return Err("the PATH after `=` is empty".into());
    }
    Ok((name.to_string(), PathBuf::from(path)))
}

/// How long and how hard: the full run, or `--quick`.
#[derive(Clone, Copy)]
pub struct Plan {
    pub quick: bool,
    pub rounds: usize,
    pub clients: usize,
    /// How long each timed phase sends.
    pub phase: Duration,
    /// The longest any single wait may take (a connect, a read, a write): beyond it, a timeout.
    pub timeout: Duration,
    /// The most clients the "held" phase opens, and how long it may take.
    pub held_cap: usize,
    pub held_time: Duration,
}

impl Plan {
    pub fn new(args: &Args) -> Plan {
        let quick = args.quick;
        Plan {
            quick,
            rounds: usize::from(args.rounds.unwrap_or(if quick { 3 } else { 5 })),
            clients: usize::from(args.clients.unwrap_or(50)),
            phase: Duration::from_millis(if quick { 200 } else { 1000 }),
            timeout: Duration::from_secs(1),
            // Past FD_SETSIZE (1024), so that select's limit shows; --quick just past it.
            held_cap: args
                .held_cap
                .map_or(if quick { 1100 } else { 2000 }, |c| c as usize),
            held_time: Duration::from_secs(if quick { 4 } else { 10 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn a_server_is_a_name_and_a_path() {
        let args = Args::try_parse_from([
            "bench",
            "--quick",
            "--server",
            "tcpserv04-c=/tmp/tcpserv04",
            "--server=x=./a=b",
        ])
        .expect("parses");
        assert_eq!(args.servers[0].0, "tcpserv04-c");
        assert_eq!(args.servers[1], ("x".into(), PathBuf::from("./a=b")));
        for bad in ["noequals", "=path", "a b=path", "name="] {
            assert!(parse_server(bad).is_err(), "{bad}");
        }
        assert_eq!(Plan::new(&args).rounds, 3);
    }
}

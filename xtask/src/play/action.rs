//! A step's action: start programs, type into them, close their input, signal them, and
//! crash, reboot, shut down or route a host.

use std::io::Write;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Run;
use super::wait::{Fit, POLL};
use crate::cond::Cond;
use crate::net::ns::{Route, RouteKind};
use crate::scenario::{Action, Step};
use crate::show::Printer;
use crate::supervise::run_dir;

impl Run<'_> {
    /// Do the step's action and print it.
    pub(super) fn act<W: Write>(&mut self, step: &Step, p: &mut Printer<W>) -> Result<(), String> {
        match &step.action {
            Action::None => Ok(()),
            Action::Start {
                names,
                program,
                args,
                host,
            } => self.start(names, program, args, host, p),
            Action::Crash { host } => {
                let what = format!("{host} crashes: its cable is pulled and its processes vanish");
                p.action(&what, None);
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
            Action::Type { to, line, repeat } => self.type_lines(to, line, *repeat, p),
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
            } => to
                .iter()
                .try_for_each(|name| self.signal(name, *signal, *children, p)),
        }
    }

    /// Start a copy of `program` for each name, on `host`. A program put in the lesson's place
    /// is started the book's way: without the lesson's options (see `book_args`).
    fn start<W: Write>(
        &mut self,
        names: &[String],
        program: &str,
        args: &[String],
        host: &str,
        p: &mut Printer<W>,
    ) -> Result<(), String> {
        let setup = self.setup;
        let replaced = setup.is_replaced(program);
        let args: Vec<String> = match replaced {
            true => book_args(args).unwrap_or_default(),
            false => args.to_vec(),
        };
        let args: Vec<String> = args.iter().map(|a| self.fill(a, host)).collect();
        let shown = std::iter::once(program.to_string()).chain(args.iter().cloned());
        let line = shown.collect::<Vec<_>>().join(" ");
        let ns = match &self.lab {
            Some(lab) => Some(lab.ns_fd(host).ok_or(format!(
                "cannot start {program} on {host}: the host is down"
            ))?),
            None => None,
        };
        let path = setup.path_of(program);
        for name in names {
            self.programs.push((name.clone(), program.to_string()));
            let pid = self.progs.start(name, (&path, &args), host, ns, replaced)?;
            let prompt = match setup.hosts.len() > 1 {
                true => format!("{host}$ {line} &"),
                false => format!("$ {line} &"),
            };
            p.action(&prompt, Some((name, pid)));
            if replaced {
                p.line(&format!(
                    "  ({program} is {}, put in the lesson's place)",
                    path.display()
                ));
            }
        }
        Ok(())
    }

    /// Why the step cannot be played with the programs put in the lessons' places: it starts
    /// one with an option only the lesson's program has.
    pub(super) fn not_playable(&self, step: &Step) -> Option<String> {
        let Action::Start { program, args, .. } = &step.action else {
            return None;
        };
        if !self.setup.is_replaced(program) {
            return None;
        }
        book_args(args).err().map(|option| {
            format!(
                "{program} is started with `{option}`, an option only the lesson's {program} has"
            )
        })
    }

    /// The conditions as they are checked with the programs run: one on the output of a
    /// program put in a lesson's place in the form that holds for any program, when it has one.
    pub(super) fn fit_conditions<'a>(&self, conds: &'a [Cond]) -> Vec<Fit<'a>> {
        let replaced = |name: &str| {
            let program = self.programs.iter().find(|(n, _)| n == name);
            program.is_some_and(|(_, p)| self.setup.is_replaced(p))
        };
        conds
            .iter()
            .map(|c| match c.rests_on_output() {
                Some(by) if by.iter().any(|n| replaced(n)) => match c.for_any_program() {
                    Some(instead) => Fit::Instead(instead),
                    None => Fit::Same(c),
                },
                _ => Fit::Same(c),
            })
            .collect()
    }

    /// `type = LINE` into each program, `repeat` times (`{n}` counts them).
    fn type_lines<W: Write>(
        &mut self,
        to: &[String],
        line: &str,
        repeat: usize,
        p: &mut Printer<W>,
    ) -> Result<(), String> {
        let lines: Vec<String> = (1..=repeat)
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

    /// `{port}`, `{host}` (the address of `host`, where the program runs), `{NAME}` (the
    /// address of host NAME) and `{tmp}` (the run's folder, made when first named) in a
    /// program's argument.
    pub(super) fn fill(&self, arg: &str, host: &str) -> String {
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
        let groups = self.progs.list.iter().filter(|g| g.host == host);
        let pgids: Vec<i32> = groups.map(|g| g.pid).collect();
        // The groups with a process still alive. One that has died but is not reaped yet (a
        // zombie) has ended, and needs no SIGKILL.
        let alive = loop {
            let snap = self.view().snap;
            let alive: Vec<i32> = pgids
                .iter()
                .copied()
                .filter(|g| snap.procs.iter().any(|q| q.pgid == *g && q.state != 'Z'))
                .collect();
            if alive.is_empty() || Instant::now() >= deadline {
                break alive;
            }
            std::thread::sleep(POLL);
        };
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

    /// Send `signal` to the program `name`, or to each of its running children.
    fn signal<W: Write>(
        &mut self,
        name: &str,
        signal: Signal,
        children: bool,
        p: &mut Printer<W>,
    ) -> Result<(), String> {
        let target = self
            .progs
            .find(name)
            .ok_or(format!("{name} was never started"))?
            .pid;
        let pids: Vec<i32> = match children {
            true => {
                let snap = self.view().snap;
                let alive = snap.children(target).filter(|c| c.state != 'Z');
                alive.map(|c| c.pid).collect()
            }
            false => vec![target],
        };
        if pids.is_empty() {
            return Err(format!("{name} has no running child to send {signal} to"));
        }
        let whom = match children {
            true => format!("{name}'s children"),
            false => name.to_string(),
        };
        p.kill(&signal.as_str()[3..], &pids, &whom);
        for pid in pids {
            kill(Pid::from_raw(pid), signal).map_err(|e| format!("kill {pid}: {e}"))?;
        }
        Ok(())
    }
}

/// A program's arguments as the book's program takes them: its operands alone (a client's
/// server address). `--port` and `--bind` are dropped: in the run's own namespaces the port
/// is the book's 9877 and the wildcard address the run's own. Any other option is one only
/// the lesson's program has: Err names it.
fn book_args(args: &[String]) -> Result<Vec<String>, String> {
    let mut kept = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--port" | "--bind" => {
                words.next();
            }
            w if w.starts_with("--port=") || w.starts_with("--bind=") => {}
            w if w.starts_with('-') => return Err(w.to_string()),
            _ => kept.push(word.clone()),
        }
    }
    Ok(kept)
}

/// A route as `ip route` writes it.
fn show_route(r: &Route) -> String {
    let to = format!("{}/{}", r.to, r.prefix);
    match r.how {
        RouteKind::Via(gw) => format!("{to} via {gw}"),
        RouteKind::Unreachable => format!("unreachable {to}"),
        RouteKind::Blackhole => format!("blackhole {to}"),
    }
}

#[cfg(test)]
mod tests {
    use super::book_args;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_book_way_keeps_operands_and_drops_port_and_bind() {
        assert_eq!(book_args(&words("--port {port}")), Ok(vec![]));
        assert_eq!(
            book_args(&words("{server} --port {port}")),
            Ok(words("{server}"))
        );
        assert_eq!(book_args(&words("--bind {host} --port=9877")), Ok(vec![]));
        assert_eq!(
            book_args(&words("--port {port} --no-restart")),
            Err("--no-restart".into())
        );
    }
}

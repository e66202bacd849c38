//! The kernel's view of a scenario after each step: its processes, as `ps` shows them, read
//! from /proc (with the `procfs` crate), and its sockets, as `netstat` shows them, read from the
//! kernel's socket tables (see sockdiag.rs for why not from /proc/net/tcp).
//!
//! Nothing here runs ps, netstat or ss: the tables are built from what those tools read,
//! filtered to the scenario's process groups and ports.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use procfs::process::{FDTarget, Process};

pub mod sockdiag;

use self::sockdiag::{Diag, Sock, TCP_STATE_NAMES, tcp_state_name};

/// Where a snapshot's sockets come from.
pub enum Sockets<'a> {
    /// The machine's own network: the sockets on these ports, or held by the processes.
    Ports(&'a [u16]),
    /// The run's hosts, each a network namespace of its own, all of whose sockets are the
    /// run's: its name, a sock_diag socket opened inside it, and the namespace's inode.
    Hosts(&'a [HostView<'a>]),
}

/// A host of the run, as the state reader sees it.
pub struct HostView<'a> {
    pub name: &'a str,
    pub diag: &'a Diag,
    pub ns_inode: u64,
}

/// One row of the ps-style table.
#[derive(Clone, Debug)]
pub struct ProcRow {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    /// The state letter of /proc/PID/stat: R running, S sleeping, T stopped, Z zombie, ...
    pub state: char,
    /// The kernel function the process sleeps in (/proc/PID/wchan), or "-".
    pub wchan: String,
    pub command: String,
    /// The run's host (network namespace) it runs on; empty on the machine's own network.
    pub host: String,
    /// Its open descriptors, as lsof lists them.
    pub fds: Vec<FdRow>,
    /// Its signals: pending, blocked, ignored, caught (/proc/PID/status).
    pub signals: Signals,
}

/// One open descriptor of a process, in lsof's terms.
#[derive(Clone, Debug)]
pub struct FdRow {
    pub fd: i32,
    /// TCP, UDP, unix, pipe, file, ...
    pub kind: String,
    /// The socket's or pipe's inode (lsof's NODE): two descriptors with the same NODE refer to
    /// the same socket, as after fork.
    pub node: u64,
    /// What it refers to: a socket's addresses and state, a file's path.
    pub name: String,
}

/// A process's signal masks, each a set of signal numbers (bit N-1 for signal N).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Signals {
    /// Sent to this thread and not yet delivered (SigPnd), or to the process (ShdPnd).
    pub pending: u64,
    /// Pending for the thread alone (SigPnd): raise(3), pthread_kill, a fault.
    pub sigpnd: u64,
    /// Pending for the process (ShdPnd): what kill(2) sends, taken by whichever thread can.
    pub shdpnd: u64,
    pub blocked: u64,
    pub ignored: u64,
    pub caught: u64,
}

impl ProcRow {
    /// The program's name, lsof's COMMAND: the first word of ps's.
    pub fn program(&self) -> &str {
        self.command.split_whitespace().next().unwrap_or("")
    }
}

impl Signals {
    /// Whether signal `signo` is in `set`.
    pub fn has(set: u64, signo: i32) -> bool {
        (1..=64).contains(&signo) && set & (1 << (signo - 1)) != 0
    }

    /// The names of the signals in `set`, without the SIG prefix: `INT CHLD`.
    pub fn names(set: u64) -> String {
        let names: Vec<&str> = (1..=64)
            .filter(|&n| Signals::has(set, n))
            .map(|n| nix::sys::signal::Signal::try_from(n).map_or("RT", |s| &s.as_str()[3..]))
            .collect();
        if names.is_empty() {
            "-".to_string()
        } else {
            names.join(" ")
        }
    }
}

/// One AF_UNIX socket, as `netstat -x` shows it.
#[derive(Clone, Debug)]
pub struct UnixRow {
    /// STREAM, DGRAM or SEQPACKET.
    pub kind: &'static str,
    /// LISTENING, CONNECTED, or empty, as netstat says.
    pub state: &'static str,
    pub inode: u64,
    /// The inode of the socket at the other end, 0 if none.
    pub peer: u64,
    pub path: String,
    pub recv_q: u32,
    pub send_q: u32,
    pub owner: Option<(i32, String)>,
    pub host: String,
}

/// One row of the netstat-style table.
#[derive(Clone, Debug)]
pub struct SockRow {
    pub proto: &'static str,
    pub recv_q: u32,
    pub send_q: u32,
    pub local: SocketAddr,
    pub foreign: SocketAddr,
    /// TCP's state name (LISTEN, ESTABLISHED, TIME_WAIT, ...); empty for UDP, which has none.
    pub state: &'static str,
    /// Who holds the socket: `PID/program`, or "-" when no process does (TIME_WAIT).
    pub owner: Option<(i32, String)>,
    /// The kernel's number for the socket (see sockdiag.rs), 0 if unknown.
    pub cookie: u64,
    /// The run's host whose kernel holds it; empty on the machine's own network.
    pub host: String,
    /// The inode descriptors name it by (socket:[inode]); 0 when no process holds it.
    pub inode: u64,
}

impl SockRow {
    /// The same socket. Addresses alone are not enough: Linux lets a new connection take over
    /// the addresses of one in TIME_WAIT (on loopback, net.ipv4.tcp_tw_reuse = 2), and the new
    /// one, once closed, is in TIME_WAIT with the same addresses again: it is this run's, not
    /// one an earlier run left (tests/sockdiag.rs shows the kernel doing it).
    fn same(&self, other: &SockRow) -> bool {
        if self.cookie != 0 && other.cookie != 0 {
            return self.cookie == other.cookie;
        }
        (self.proto, self.local, self.foreign, self.state)
            == (other.proto, other.local, other.foreign, other.state)
    }
}

/// What /proc said at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub procs: Vec<ProcRow>,
    pub socks: Vec<SockRow>,
    /// Unix-domain sockets of the run (held by its processes, or in its namespaces).
    pub unix: Vec<UnixRow>,
}

impl Snapshot {
    /// Read the processes in `pgids` and the sockets `where` says.
    pub fn read(pgids: &HashSet<i32>, sockets: Sockets) -> Snapshot {
        Snapshot::read_where(sockets, |all| {
            all.iter()
                .filter(|(_, s)| pgids.contains(&s.pgrp))
                .map(|(_, s)| s.pid)
                .collect()
        })
    }

    /// `cargo xtask watch`: the process `root` and the processes holding a socket on `port`,
    /// with all their descendants, and the sockets on `port` or held by those processes.
    /// `known`: processes seen in earlier frames, kept while they exist, so that a zombie whose
    /// parent died (and which init adopted, outside the tree) still shows.
    pub fn watch(root: Option<i32>, port: Option<u16>, known: &HashSet<i32>) -> Snapshot {
        let ports: Vec<u16> = port.into_iter().collect();
        Snapshot::read_where(Sockets::Ports(&ports), |all| {
            let mut chosen: HashSet<i32> = root.into_iter().collect();
            chosen.extend(all.iter().map(|(_, s)| s.pid).filter(|p| known.contains(p)));
            if !ports.is_empty() {
                let on_port: HashSet<u64> = socket_inodes_on(&ports);
                for (proc, stat) in all {
                    let fds = proc.fd().into_iter().flatten().flatten();
                    if fds
                        .into_iter()
                        .any(|fd| matches!(fd.target, FDTarget::Socket(i) if on_port.contains(&i)))
                    {
                        chosen.insert(stat.pid);
                    }
                }
            }
            // Add children until no process is added: the whole trees.
            loop {
                let before = chosen.len();
                for (_, stat) in all {
                    if chosen.contains(&stat.ppid) {
                        chosen.insert(stat.pid);
                    }
                }
                if chosen.len() == before {
                    return chosen;
                }
            }
        })
    }

    /// `cargo xtask watch --run PID`: the runner's descendants and its hosts' sockets.
    pub fn watch_run(runner: i32, hosts: &[HostView]) -> Snapshot {
        Snapshot::read_where(Sockets::Hosts(hosts), |all| {
            let mut chosen: HashSet<i32> = HashSet::new();
            loop {
                let before = chosen.len();
                for (_, stat) in all {
                    if stat.ppid == runner || chosen.contains(&stat.ppid) {
                        chosen.insert(stat.pid);
                    }
                }
                if chosen.len() == before {
                    return chosen;
                }
            }
        })
    }

    /// Read every process, keep those `select` picks, and the sockets `sockets` says.
    fn read_where(
        sockets: Sockets,
        select: impl FnOnce(&[(Process, procfs::process::Stat)]) -> HashSet<i32>,
    ) -> Snapshot {
        // A process may end while we read it: whatever fails to read is simply skipped.
        let all: Vec<(Process, procfs::process::Stat)> = procfs::process::all_processes()
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|p| p.stat().ok().map(|s| (p, s)))
            .collect();
        let chosen = select(&all);
        let mut procs = Vec::new();
        let mut inodes: HashMap<u64, (i32, String)> = HashMap::new();
        for (proc, stat) in all.iter().filter(|(_, s)| chosen.contains(&s.pid)) {
            let mut fds = Vec::new();
            if let Ok(list) = proc.fd() {
                for fd in list.flatten() {
                    if let FDTarget::Socket(inode) = fd.target {
                        inodes.entry(inode).or_insert((stat.pid, stat.comm.clone()));
                    }
                    fds.push(fd_row(fd.fd, &fd.target));
                }
            }
            fds.sort_by_key(|f| f.fd);
            procs.push(ProcRow {
                pid: stat.pid,
                ppid: stat.ppid,
                pgid: stat.pgrp,
                state: stat.state,
                wchan: wchan_of(proc),
                command: command_of(proc, &stat.comm, stat.state),
                host: match &sockets {
                    Sockets::Ports(_) => String::new(),
                    Sockets::Hosts(hosts) => host_of(stat.pid, hosts),
                },
                fds,
                signals: signals_of(proc),
            });
        }
        let procs = tree_order(procs);
        let (socks, unix) = match sockets {
            Sockets::Ports(ports) => {
                let unix = Diag::open()
                    .and_then(|d| d.dump_unix())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|u| inodes.contains_key(&u.inode))
                    .map(|u| unix_row(u, "", &inodes))
                    .collect();
                (read_sockets(all_sockets(""), ports, &inodes), unix)
            }
            Sockets::Hosts(hosts) => {
                let mut socks = Vec::new();
                let mut unix = Vec::new();
                for h in hosts {
                    let theirs = dump_all(h.diag, h.name);
                    socks.extend(read_sockets(theirs, &[], &inodes));
                    let mine = h.diag.dump_unix().unwrap_or_default();
                    unix.extend(mine.into_iter().map(|u| unix_row(u, h.name, &inodes)));
                }
                (socks, unix)
            }
        };
        let mut snap = Snapshot { procs, socks, unix };
        snap.name_sockets();
        snap
    }

    /// Leave out the sockets that are also in `before`: those an earlier run left in TIME_WAIT
    /// on the same port are not this scenario's.
    pub fn without(mut self, before: &[SockRow]) -> Snapshot {
        self.socks.retain(|s| !before.iter().any(|b| b.same(s)));
        self
    }

    /// Whether anything a ps or netstat table shows differs.
    pub fn differs(&self, other: &Snapshot) -> bool {
        let procs = |s: &Snapshot| -> Vec<(i32, char)> {
            s.procs.iter().map(|p| (p.pid, p.state)).collect()
        };
        let socks = |s: &Snapshot| -> Vec<(SocketAddr, SocketAddr, &str, u32, u32)> {
            s.socks
                .iter()
                .map(|k| (k.local, k.foreign, k.state, k.recv_q, k.send_q))
                .collect()
        };
        procs(self) != procs(other) || socks(self) != socks(other)
    }

    /// Give each socket descriptor lsof's NAME: its addresses and state from the tables.
    fn name_sockets(&mut self) {
        let by_inode: HashMap<u64, String> = self
            .socks
            .iter()
            .filter(|s| s.inode != 0)
            .map(|s| {
                let state = if s.state.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", s.state)
                };
                // lsof's form: `local->foreign`, or the local address alone when there is no
                // peer (a listening or unconnected socket).
                let name = if s.foreign.port() == 0 {
                    format!("{}{state}", s.local)
                } else {
                    format!("{}->{}{state}", s.local, s.foreign)
                };
                (s.inode, name)
            })
            .collect();
        let kinds: HashMap<u64, &'static str> = self
            .socks
            .iter()
            .map(|s| {
                (
                    s.inode,
                    if s.proto.starts_with("tcp") {
                        "TCP"
                    } else {
                        "UDP"
                    },
                )
            })
            .collect();
        let unix: HashMap<u64, String> = self
            .unix
            .iter()
            .map(|u| {
                (
                    u.inode,
                    format!("{} {} {}", u.path, u.kind, u.state)
                        .trim()
                        .to_string(),
                )
            })
            .collect();
        for p in &mut self.procs {
            for f in &mut p.fds {
                if f.kind != "sock" {
                    continue;
                }
                if let Some(name) = by_inode.get(&f.node) {
                    f.name = name.clone();
                    f.kind = kinds.get(&f.node).copied().unwrap_or("sock").to_string();
                } else if let Some(name) = unix.get(&f.node) {
                    f.name = name.clone();
                    f.kind = "unix".to_string();
                }
            }
        }
    }

    /// How many descriptors of the scenario's processes refer to the socket or pipe `node`.
    pub fn refs(&self, node: u64) -> usize {
        self.procs
            .iter()
            .flat_map(|p| &p.fds)
            .filter(|f| f.node == node && node != 0)
            .count()
    }

    pub fn proc(&self, pid: i32) -> Option<&ProcRow> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    pub fn children(&self, pid: i32) -> impl Iterator<Item = &ProcRow> {
        self.procs.iter().filter(move |p| p.ppid == pid)
    }
}

/// Each process followed by its children, as `ps f` lists them: the top processes by PID (the
/// runner starts them one after another), children by PID (their parent forked them one after
/// another). Unlike plain PID order, this does not depend on how the forks of two processes
/// running at once interleaved.
fn tree_order(mut procs: Vec<ProcRow>) -> Vec<ProcRow> {
    procs.sort_by_key(|p| p.pid);
    let pids: HashSet<i32> = procs.iter().map(|p| p.pid).collect();
    let mut out = Vec::with_capacity(procs.len());
    let mut stack: Vec<i32> = procs
        .iter()
        .filter(|p| !pids.contains(&p.ppid))
        .map(|p| p.pid)
        .rev()
        .collect();
    while let Some(pid) = stack.pop() {
        if let Some(row) = procs.iter().find(|p| p.pid == pid) {
            out.push(row.clone());
        }
        stack.extend(procs.iter().filter(|p| p.ppid == pid).map(|p| p.pid).rev());
    }
    out
}

/// ps's COMMAND: the command line with the program's directory dropped; a zombie has none
/// left, and ps shows `[name] <defunct>`.
fn command_of(proc: &Process, comm: &str, state: char) -> String {
    let argv = proc.cmdline().unwrap_or_default();
    if state == 'Z' || argv.is_empty() {
        return format!("[{comm}] <defunct>");
    }
    let mut words = argv.into_iter();
    let program = words.next().unwrap_or_default();
    let program = program.rsplit('/').next().unwrap_or_default().to_string();
    std::iter::once(program)
        .chain(words)
        .collect::<Vec<_>>()
        .join(" ")
}

fn wchan_of(proc: &Process) -> String {
    match proc.wchan() {
        Ok(w) if !w.is_empty() && w != "0" => w,
        _ => "-".to_string(),
    }
}

/// The inodes of the TCP and UDP sockets with either end on one of `ports`.
fn socket_inodes_on(ports: &[u16]) -> HashSet<u64> {
    all_sockets("")
        .into_iter()
        .map(|(_, _, s)| s)
        .filter(|s| {
            s.inode != 0 && (ports.contains(&s.local.port()) || ports.contains(&s.remote.port()))
        })
        .map(|s| s.inode)
        .collect()
}

/// A descriptor as lsof shows it; a socket's NAME is filled in once the tables are read.
fn fd_row(fd: i32, target: &FDTarget) -> FdRow {
    let (kind, node, name) = match target {
        FDTarget::Socket(inode) => ("sock", *inode, String::new()),
        FDTarget::Pipe(inode) => ("pipe", *inode, format!("pipe:[{inode}]")),
        FDTarget::Path(path) => ("file", 0, path.display().to_string()),
        FDTarget::Net(inode) => ("net", *inode, format!("net:[{inode}]")),
        FDTarget::AnonInode(what) => ("anon", 0, what.clone()),
        FDTarget::MemFD(what) => ("memfd", 0, what.clone()),
        FDTarget::Other(what, inode) => ("other", *inode, what.clone()),
        FDTarget::Unknown(what, inode) => ("other", 0, format!("{what}:[{inode}]")),
    };
    FdRow {
        fd,
        kind: kind.to_string(),
        node,
        name,
    }
}

/// The process's signal masks; all empty if /proc/PID/status cannot be read (it has ended).
fn signals_of(proc: &Process) -> Signals {
    match proc.status() {
        Ok(s) => Signals {
            pending: s.sigpnd | s.shdpnd,
            sigpnd: s.sigpnd,
            shdpnd: s.shdpnd,
            blocked: s.sigblk,
            ignored: s.sigign,
            caught: s.sigcgt,
        },
        Err(_) => Signals::default(),
    }
}

/// A Unix socket as netstat -x shows it.
fn unix_row(u: sockdiag::UnixSock, host: &str, inodes: &HashMap<u64, (i32, String)>) -> UnixRow {
    UnixRow {
        kind: match i32::from(u.kind) {
            libc::SOCK_STREAM => "STREAM",
            libc::SOCK_DGRAM => "DGRAM",
            libc::SOCK_SEQPACKET => "SEQPACKET",
            _ => "?",
        },
        state: match tcp_state_name(u.state) {
            "LISTEN" => "LISTENING",
            "ESTABLISHED" => "CONNECTED",
            _ => "",
        },
        inode: u.inode,
        peer: u.peer,
        path: u.path.unwrap_or_default(),
        recv_q: u.recv_q,
        send_q: u.send_q,
        owner: inodes.get(&u.inode).cloned(),
        host: host.to_string(),
    }
}

/// The host a process runs on, by the network namespace /proc/PID/ns/net names.
fn host_of(pid: i32, hosts: &[HostView]) -> String {
    let link = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap_or_default();
    let link = link.to_string_lossy();
    let inode = link
        .trim_start_matches("net:[")
        .trim_end_matches(']')
        .parse::<u64>()
        .unwrap_or(0);
    hosts
        .iter()
        .find(|h| h.ns_inode == inode)
        .map_or("?".to_string(), |h| h.name.to_string())
}

/// The sockets to show: on the run's hosts, all of them (`ports` empty); on the machine's own
/// network, those on `ports` or held by the scenario's processes.
fn read_sockets(
    all: Vec<(&'static str, String, Sock)>,
    ports: &[u16],
    inodes: &HashMap<u64, (i32, String)>,
) -> Vec<SockRow> {
    let mut socks: Vec<SockRow> = all
        .into_iter()
        .filter(|(_, _, s)| {
            ports.is_empty()
                || inodes.contains_key(&s.inode)
                || ports.contains(&s.local.port())
                || ports.contains(&s.remote.port())
        })
        .map(|(proto, host, s)| {
            let tcp = proto.starts_with("tcp");
            let state = match (tcp, tcp_state_name(s.state)) {
                (true, name) => name,
                // netstat leaves UDP's state blank unless the socket is connected.
                (false, "ESTABLISHED") => "ESTABLISHED",
                (false, _) => "",
            };
            SockRow {
                proto,
                recv_q: s.recv_q,
                // netstat shows a listening socket's Send-Q as 0; the kernel's table has the
                // backlog's limit there.
                send_q: if state == "LISTEN" { 0 } else { s.send_q },
                local: s.local,
                foreign: s.remote,
                state,
                owner: inodes.get(&s.inode).cloned(),
                cookie: s.cookie,
                host,
                inode: s.inode,
            }
        })
        .collect();
    // Listening sockets first, then by address: the order netstat users expect.
    socks.sort_by_key(|s| (s.proto, s.state != "LISTEN", s.local, s.foreign));
    socks
}

/// The TCP and UDP tables, IPv4 and IPv6, each with netstat's name for its protocol.
const TABLES: [(&str, i32, i32); 4] = [
    ("tcp", libc::AF_INET, libc::IPPROTO_TCP),
    ("tcp6", libc::AF_INET6, libc::IPPROTO_TCP),
    ("udp", libc::AF_INET, libc::IPPROTO_UDP),
    ("udp6", libc::AF_INET6, libc::IPPROTO_UDP),
];

/// Every TCP and UDP socket of the runner's own network namespace.
fn all_sockets(host: &str) -> Vec<(&'static str, String, Sock)> {
    let mut all = Vec::new();
    for (proto, family, protocol) in TABLES {
        let socks = sockdiag::dump(family, protocol).unwrap_or_else(|_| from_proc_net(proto));
        all.extend(socks.into_iter().map(|s| (proto, host.to_string(), s)));
    }
    all
}

/// Every TCP and UDP socket of one of the run's hosts. A kernel without sock_diag for a
/// protocol has no /proc/net to fall back on here that the runner could read per namespace
/// without entering it, so such a table is left empty (it has not been seen on any kernel
/// that can make namespaces).
fn dump_all(diag: &Diag, host: &str) -> Vec<(&'static str, String, Sock)> {
    let mut all = Vec::new();
    for (proto, family, protocol) in TABLES {
        let socks = diag.dump(family, protocol).unwrap_or_default();
        all.extend(socks.into_iter().map(|s| (proto, host.to_string(), s)));
    }
    all
}

/// Where the kernel cannot answer a sock_diag dump (a kernel built without it, a diag module
/// that is not loaded), read netstat's file instead, at the risk sockdiag.rs describes.
fn from_proc_net(proto: &str) -> Vec<Sock> {
    use procfs::net::{tcp, tcp6, udp, udp6};
    // TCP's and UDP's entries are two types with the same fields: one macro reads both.
    macro_rules! socks {
        ($entries:expr) => {
            $entries
                .unwrap_or_default()
                .into_iter()
                .map(|e| Sock {
                    local: e.local_address,
                    remote: e.remote_address,
                    state: e.state.to_u8(),
                    recv_q: e.rx_queue,
                    send_q: e.tx_queue,
                    inode: e.inode,
                    cookie: 0,
                })
                .collect()
        };
    }
    match proto {
        "tcp" => socks!(tcp()),
        "tcp6" => socks!(tcp6()),
        "udp" => socks!(udp()),
        _ => socks!(udp6()),
    }
}

/// Every TCP state name a scenario may wait for or expect: all but the empty name of state 0
/// and the second SYN_RECV (state 12).
pub fn tcp_states() -> &'static [&'static str] {
    &TCP_STATE_NAMES[1..12]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fallback reads the same socket as the dump does, with the same inode and state.
    #[test]
    fn proc_net_and_sock_diag_agree_on_a_listening_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let find = |socks: Vec<Sock>| {
            let mut found: Vec<Sock> = socks.into_iter().filter(|s| s.local == addr).collect();
            assert_eq!(found.len(), 1, "{found:?}");
            let s = found.remove(0);
            (s.local, s.remote, tcp_state_name(s.state), s.inode)
        };
        let dumped = find(sockdiag::dump(libc::AF_INET, libc::IPPROTO_TCP).expect("dump"));
        assert_eq!(dumped, find(from_proc_net("tcp")));
        assert_eq!(dumped.2, "LISTEN");
        assert_ne!(dumped.3, 0);
    }
}

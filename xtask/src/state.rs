//! The kernel's view of a scenario, read from /proc (with the `procfs` crate) after each step:
//! its processes, as `ps` shows them, and its sockets, as `netstat` shows them.
//!
//! Nothing here runs ps, netstat or ss: the tables are built from the same files those tools
//! read, filtered to the scenario's process groups and ports.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use procfs::net::{TcpState, UdpState};
use procfs::process::{FDTarget, Process};

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
}

impl SockRow {
    fn same(&self, other: &SockRow) -> bool {
        (self.proto, self.local, self.foreign, self.state)
            == (other.proto, other.local, other.foreign, other.state)
    }
}

/// What /proc said at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub procs: Vec<ProcRow>,
    pub socks: Vec<SockRow>,
}

impl Snapshot {
    /// Read the processes in `pgids` and the sockets on `ports` or held by those processes.
    pub fn read(pgids: &HashSet<i32>, ports: &[u16]) -> Snapshot {
        Snapshot::read_where(ports, |all| {
            all.iter()
                .filter(|(_, s)| pgids.contains(&s.pgrp))
                .map(|(_, s)| s.pid)
                .collect()
        })
    }

    /// `cargo xtask watch`: the process `root` and the processes holding a socket on `port`,
    /// with all their descendants, and the sockets on `port` or held by those processes.
    pub fn watch(root: Option<i32>, port: Option<u16>) -> Snapshot {
        let ports: Vec<u16> = port.into_iter().collect();
        Snapshot::read_where(&ports, |all| {
            let mut chosen: HashSet<i32> = root.into_iter().collect();
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

    /// Read every process, keep those `select` picks, and the sockets on `ports` or theirs.
    fn read_where(
        ports: &[u16],
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
            if let Ok(fds) = proc.fd() {
                for fd in fds.flatten() {
                    if let FDTarget::Socket(inode) = fd.target {
                        inodes.entry(inode).or_insert((stat.pid, stat.comm.clone()));
                    }
                }
            }
            procs.push(ProcRow {
                pid: stat.pid,
                ppid: stat.ppid,
                pgid: stat.pgrp,
                state: stat.state,
                wchan: wchan_of(proc),
                command: command_of(proc, &stat.comm, stat.state),
            });
        }
        let procs = tree_order(procs);
        let socks = read_sockets(ports, &inodes);
        Snapshot { procs, socks }
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

/// The inodes of the TCP and UDP sockets whose local port is one of `ports`.
fn socket_inodes_on(ports: &[u16]) -> HashSet<u64> {
    let tcp = procfs::net::tcp().unwrap_or_default().into_iter();
    let tcp6 = procfs::net::tcp6().unwrap_or_default().into_iter();
    let udp = procfs::net::udp().unwrap_or_default().into_iter();
    let udp6 = procfs::net::udp6().unwrap_or_default().into_iter();
    let tcp = tcp
        .chain(tcp6)
        .map(|e| (e.local_address.port(), e.remote_address.port(), e.inode));
    let udp = udp
        .chain(udp6)
        .map(|e| (e.local_address.port(), e.remote_address.port(), e.inode));
    tcp.chain(udp)
        .filter(|(local, remote, inode)| {
            *inode != 0 && (ports.contains(local) || ports.contains(remote))
        })
        .map(|(_, _, inode)| inode)
        .collect()
}

fn read_sockets(ports: &[u16], inodes: &HashMap<u64, (i32, String)>) -> Vec<SockRow> {
    let ours = |local: &SocketAddr, remote: &SocketAddr, inode: u64| {
        inodes.contains_key(&inode)
            || ports.contains(&local.port())
            || ports.contains(&remote.port())
    };
    let owner = |inode: u64| inodes.get(&inode).cloned();
    let mut socks = Vec::new();
    let tcp = procfs::net::tcp().unwrap_or_default();
    let tcp6 = procfs::net::tcp6().unwrap_or_default();
    for e in tcp.into_iter().chain(tcp6) {
        if ours(&e.local_address, &e.remote_address, e.inode) {
            socks.push(SockRow {
                proto: if e.local_address.is_ipv4() {
                    "tcp"
                } else {
                    "tcp6"
                },
                recv_q: e.rx_queue,
                send_q: e.tx_queue,
                local: e.local_address,
                foreign: e.remote_address,
                state: tcp_state_name(&e.state),
                owner: owner(e.inode),
            });
        }
    }
    let udp = procfs::net::udp().unwrap_or_default();
    let udp6 = procfs::net::udp6().unwrap_or_default();
    for e in udp.into_iter().chain(udp6) {
        if ours(&e.local_address, &e.remote_address, e.inode) {
            socks.push(SockRow {
                proto: if e.local_address.is_ipv4() {
                    "udp"
                } else {
                    "udp6"
                },
                recv_q: e.rx_queue,
                send_q: e.tx_queue,
                local: e.local_address,
                foreign: e.remote_address,
                // netstat leaves UDP's state blank unless the socket is connected.
                state: if matches!(e.state, UdpState::Established) {
                    "ESTABLISHED"
                } else {
                    ""
                },
                owner: owner(e.inode),
            });
        }
    }
    // Listening sockets first, then by address: the order netstat users expect.
    socks.sort_by_key(|s| (s.proto, s.state != "LISTEN", s.local, s.foreign));
    socks
}

/// The state names netstat prints.
pub fn tcp_state_name(state: &TcpState) -> &'static str {
    match state {
        TcpState::Established => "ESTABLISHED",
        TcpState::SynSent => "SYN_SENT",
        TcpState::SynRecv | TcpState::NewSynRecv => "SYN_RECV",
        TcpState::FinWait1 => "FIN_WAIT1",
        TcpState::FinWait2 => "FIN_WAIT2",
        TcpState::TimeWait => "TIME_WAIT",
        TcpState::Close => "CLOSE",
        TcpState::CloseWait => "CLOSE_WAIT",
        TcpState::LastAck => "LAST_ACK",
        TcpState::Listen => "LISTEN",
        TcpState::Closing => "CLOSING",
    }
}

/// Every name `tcp_state_name` can return, for checking scenario files.
pub const TCP_STATES: &[&str] = &[
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
];

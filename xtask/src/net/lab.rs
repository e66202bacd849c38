//! The run's network as the engine uses it: the hosts' namespaces (netns.rs), a socket-table
//! reader inside each (sockdiag.rs), and the packet capture on all of them (capture.rs).
//! Crashing and rebooting a host keeps the three in step.

use std::io;

use crate::kernel::HostView;
use crate::kernel::sockdiag::Diag;
use crate::net::capture::Capture;
use crate::net::ns::{HostSpec, Net};

pub struct Lab {
    pub net: Net,
    pub capture: Capture,
    /// A sock_diag socket in each host that is up.
    diags: Vec<(String, Diag)>,
}

impl Lab {
    /// Make the hosts, and start capturing on them before anything runs.
    pub fn build(hosts: &[HostSpec]) -> io::Result<Lab> {
        let net = Net::build(hosts)?;
        let mut lab = Lab {
            net,
            capture: Capture::start(),
            diags: Vec::new(),
        };
        for h in hosts {
            lab.attach(&h.name)?;
        }
        Ok(lab)
    }

    /// Read the sockets and capture the packets of host `name`, which has just come up.
    fn attach(&mut self, name: &str) -> io::Result<()> {
        let host = self
            .net
            .host(name)
            .ok_or_else(|| io::Error::other(format!("no host {name}")))?;
        let ns = host
            .ns
            .as_ref()
            .ok_or_else(|| io::Error::other(format!("{name} is down")))?;
        let diag = ns.run(Diag::open)?;
        // XTASK_NO_CAPTURE measures what capture costs a run (the README gives the figure).
        if std::env::var_os("XTASK_NO_CAPTURE").is_none() {
            self.capture.add(name, ns)?;
        }
        self.diags.push((name.to_string(), diag));
        Ok(())
    }

    /// The host stops dead (see Net::crash). Its sockets here are closed too: they hold its
    /// namespace, which must go with its last process.
    pub fn crash(&mut self, name: &str) -> io::Result<()> {
        self.net.crash(name)?;
        self.capture.remove(name);
        self.diags.retain(|(h, _)| h != name);
        Ok(())
    }

    /// The host comes back, a new kernel with the same addresses.
    pub fn reboot(&mut self, name: &str) -> io::Result<()> {
        if self.is_up(name) {
            self.crash(name)?;
        }
        self.net.boot(name)?;
        self.attach(name)
    }

    pub fn is_up(&self, name: &str) -> bool {
        self.net.host(name).is_some_and(|h| h.ns.is_some())
    }

    /// The kernel's counters of host `name`'s network stack, as /proc/net/snmp (and netstat)
    /// has them in its namespace: `Udp.InDatagrams`, `Tcp.RetransSegs`, ...
    pub fn counters(&self, name: &str) -> io::Result<std::collections::HashMap<String, u64>> {
        let ns = self
            .net
            .host(name)
            .and_then(|h| h.ns.as_ref())
            .ok_or_else(|| io::Error::other(format!("{name} is down")))?;
        let text = ns.run(|| std::fs::read_to_string("/proc/thread-self/net/snmp"))?;
        Ok(parse_snmp(&text))
    }

    /// The namespace descriptor a program started on `name` enters.
    pub fn ns_fd(&self, name: &str) -> Option<std::os::fd::RawFd> {
        self.net.host(name)?.ns.as_ref().map(|ns| ns.raw_fd())
    }

    /// The inodes of every namespace the run holds (for the tests' check that none is left).
    pub fn namespaces(&self) -> Vec<String> {
        self.net.inodes().iter().map(u64::to_string).collect()
    }

    /// What the state reader needs of each host that is up.
    pub fn views(&self) -> Vec<HostView<'_>> {
        self.diags
            .iter()
            .filter_map(|(name, diag)| {
                let ns = self.net.host(name)?.ns.as_ref()?;
                Some(HostView {
                    name,
                    diag,
                    ns_inode: ns.inode,
                })
            })
            .collect()
    }
}

/// /proc/net/snmp: for each group, a line of names and a line of values, both `Group: ...`.
fn parse_snmp(text: &str) -> std::collections::HashMap<String, u64> {
    let mut counters = std::collections::HashMap::new();
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.chunks(2) {
        let [names, values] = pair else { continue };
        let (Some((group, names)), Some((_, values))) =
            (names.split_once(':'), values.split_once(':'))
        else {
            continue;
        };
        for (n, v) in names.split_whitespace().zip(values.split_whitespace()) {
            if let Ok(v) = v.parse::<i64>() {
                counters.insert(format!("{group}.{n}"), v.max(0) as u64);
            }
        }
    }
    counters
}

/// The value of `expr`, one counter (`Udp.InDatagrams`) or a sum of them (`Udp.InDatagrams +
/// Udp.RcvbufErrors`); `Err` names the first counter the host does not have.
pub fn counter_sum(
    counters: &std::collections::HashMap<String, u64>,
    expr: &str,
) -> Result<u64, String> {
    expr.split('+').map(str::trim).try_fold(0u64, |sum, name| {
        let v = counters.get(name).ok_or_else(|| name.to_string())?;
        Ok(sum + v)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_counter_sum_adds_its_counters_and_names_a_missing_one() {
        let c = super::parse_snmp("Udp: InDatagrams RcvbufErrors\nUdp: 12 766\n");
        assert_eq!(super::counter_sum(&c, "Udp.InDatagrams"), Ok(12));
        assert_eq!(
            super::counter_sum(&c, "Udp.InDatagrams + Udp.RcvbufErrors"),
            Ok(778)
        );
        assert_eq!(
            super::counter_sum(&c, "Udp.InDatagrams + Udp.NoPorts"),
            Err("Udp.NoPorts".to_string())
        );
    }

    #[test]
    fn snmp_pairs_names_with_values() {
        let text = "Udp: InDatagrams NoPorts RcvbufErrors\nUdp: 12 3 766\n";
        let c = super::parse_snmp(text);
        assert_eq!(c["Udp.InDatagrams"], 12);
        assert_eq!(c["Udp.RcvbufErrors"], 766);
    }
}

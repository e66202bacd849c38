//! The run's own network: one network namespace per host, joined by an Ethernet switch.
//!
//! A network namespace is a copy of the kernel's network stack: its own interfaces, addresses,
//! routes, sockets and port numbers. Every run gets fresh ones, so every run's server listens
//! on the book's port 9877, however many runs share the machine, and no run sees another.
//!
//! A lesson without hosts runs on one host, `host`, that has only its loopback interface. A
//! lesson that declares hosts gets one namespace per host, each with an interface `eth0` on
//! 192.0.2.0/24 (TEST-NET-1, for documentation), plugged by a veth pair into a bridge (the
//! switch) that lives in a namespace of its own. No namespace has a route out of the run, so no
//! packet leaves it. Each host knows the others' Ethernet addresses from the start (permanent
//! neighbour entries, as `arp -s` makes), so no ARP request clutters the packets, and a host
//! that has crashed is still sent to, as the book's figures show, rather than given up on
//! when ARP fails.
//!
//! Namespaces are made without `ip`: a thread calls unshare(CLONE_NEWNET) and opens
//! /proc/thread-self/ns/net, and links, addresses, routes and neighbours are made over netlink
//! (NETLINK_ROUTE) with the rust-netlink crates. Nothing is named in /var/run/netns: a namespace
//! lives while the runner holds its descriptor or a process runs in it, so when the runner
//! exits, and its programs are killed, every namespace, veth and bridge of the run goes too.

use std::fs::File;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use nix::sched::{CloneFlags, setns, unshare};

/// One network namespace, held open by its descriptor.
pub struct Ns {
    fd: OwnedFd,
    /// The namespace's inode: /proc/PID/ns/net of a process in it says `net:[inode]`.
    pub inode: u64,
}

impl Ns {
    /// A new, empty network namespace (only a loopback interface, down).
    pub fn new() -> io::Result<Ns> {
        // unshare changes the namespace of the calling thread only: a thread of its own makes
        // the namespace and hands back a descriptor for it, and the runner stays where it was.
        std::thread::spawn(|| {
            unshare(CloneFlags::CLONE_NEWNET)?;
            Ns::open("/proc/thread-self/ns/net")
        })
        .join()
        .map_err(|_| io::Error::other("the thread making a namespace panicked"))?
    }

    /// The namespace a descriptor or /proc link names.
    pub fn open(path: &str) -> io::Result<Ns> {
        let file = File::open(path)?;
        let inode = file.metadata()?.ino();
        Ok(Ns {
            fd: file.into(),
            inode,
        })
    }

    /// Run `f` on a thread that has entered the namespace: sockets it opens belong to the
    /// namespace for good, and /proc/sys/net/ it reads and writes is the namespace's.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
        std::thread::scope(|s| {
            s.spawn(|| {
                setns(self.fd.as_fd(), CloneFlags::CLONE_NEWNET)?;
                f()
            })
            .join()
            .map_err(|_| io::Error::other("a thread inside a namespace panicked"))?
        })
    }

    /// The descriptor, for a child to setns(2) into between fork and exec.
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Enter the namespace `fd` (a child, between fork and exec: setns is a plain system call).
pub fn enter(fd: RawFd) -> io::Result<()> {
    // SAFETY: `fd` is the runner's open namespace descriptor, which the forked child inherited
    // (it is closed only at exec, by O_CLOEXEC), so it is valid for this call.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    setns(fd, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// Enter a user namespace of our own, mapping our uid and gid to themselves: in it the runner
/// holds the capabilities to make network namespaces, without being root. Programs it starts
/// keep the caller's uid and no capability. Must be called while the process has one thread.
pub fn own_user_namespace() -> io::Result<()> {
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    unshare(CloneFlags::CLONE_NEWUSER)?;
    // setgroups must be denied before an unprivileged process may write its gid_map.
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    Ok(())
}

/// A host as the scenario declares it.
#[derive(Clone, Debug)]
pub struct HostSpec {
    pub name: String,
    /// Its address: 127.0.0.1 for the one host of a lesson without hosts.
    pub addr: Ipv4Addr,
    /// Settings of its own kernel, such as net.ipv4.tcp_retries2 = 3.
    pub sysctls: Vec<(String, String)>,
    /// Routes beyond the link's own: `192.0.2.200 via 192.0.2.254`, `... unreachable`.
    pub routes: Vec<Route>,
}

/// A route: where to, and what to do with what is sent there.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub to: Ipv4Addr,
    pub prefix: u8,
    pub how: RouteKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RouteKind {
    /// Send it to this router.
    Via(Ipv4Addr),
    /// Refuse it: the sender gets EHOSTUNREACH, and a forwarded packet an ICMP host unreachable.
    Unreachable,
    /// Drop it without a word.
    Blackhole,
}

impl std::str::FromStr for Route {
    type Err = String;

    /// `ADDR[/PREFIX] via ROUTER`, `ADDR[/PREFIX] unreachable` or `ADDR[/PREFIX] blackhole`.
    fn from_str(s: &str) -> Result<Route, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let bad = || {
            format!(
                "route `{s}` is not `ADDR[/N] via ROUTER`, `ADDR[/N] unreachable` or `... blackhole`"
            )
        };
        let (to, prefix) = match words.first().map(|w| w.split_once('/')) {
            Some(Some((a, n))) => (a, n.parse().map_err(|_| bad())?),
            Some(None) => (words[0], 32),
            None => return Err(bad()),
        };
        let to = in_run(to)?;
        // The route stays inside the run's /24, and names a network, not a host within one:
        // the kernel refuses 192.0.2.5/24 (host bits set) with EINVAL.
        if !(24..=32).contains(&prefix) {
            return Err(format!(
                "route `{s}`: the prefix must be 24 to 32, inside the run"
            ));
        }
        let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
        if u32::from(to) & !mask != 0 {
            let net = Ipv4Addr::from(u32::from(to) & mask);
            return Err(format!(
                "route `{s}`: {to}/{prefix} has host bits set; the network is {net}/{prefix}"
            ));
        }
        let how = match words[1..] {
            ["via", router] => RouteKind::Via(in_run(router)?),
            ["unreachable"] => RouteKind::Unreachable,
            ["blackhole"] => RouteKind::Blackhole,
            _ => return Err(bad()),
        };
        Ok(Route { to, prefix, how })
    }
}

/// The run's addresses: TEST-NET-1, 192.0.2.0/24. Nothing else may be a host or a route.
pub const NET: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 0);

/// An address of the run's network, or a one-line error saying why not.
pub fn in_run(text: &str) -> Result<Ipv4Addr, String> {
    let addr: Ipv4Addr = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 address"))?;
    if addr.octets()[..3] != NET.octets()[..3] {
        return Err(format!(
            "`{addr}` is outside the run's network 192.0.2.0/24: no traffic may leave the run"
        ));
    }
    Ok(addr)
}

/// A host of the run. `ns` is None while it is crashed.
pub struct Host {
    pub spec: HostSpec,
    pub ns: Option<Ns>,
}

/// The run's network: its hosts, and the switch that joins them (when there are several).
pub struct Net {
    pub hosts: Vec<Host>,
    switch: Option<Ns>,
}

/// The bridge in the switch's namespace.
const BRIDGE: &str = "switch";

impl Net {
    /// Make every host's namespace, and, for declared hosts, the switch and their links.
    pub fn build(specs: &[HostSpec]) -> io::Result<Net> {
        let lan = specs.iter().any(|h| !h.addr.is_loopback());
        let switch = if lan {
            let ns = Ns::new()?;
            ns.run(|| {
                quiet_ipv6()?;
                let rtnl = Rtnl::open()?;
                rtnl.add_bridge(BRIDGE)?;
                rtnl.set_up(index(BRIDGE)?)
            })?;
            Some(ns)
        } else {
            None
        };
        let mut net = Net {
            hosts: Vec::new(),
            switch,
        };
        for spec in specs {
            let ns = net.make_host(spec)?;
            net.hosts.push(Host {
                spec: spec.clone(),
                ns: Some(ns),
            });
        }
        for i in 0..net.hosts.len() {
            net.learn_neighbours(i)?;
        }
        Ok(net)
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.spec.name == name)
    }

    fn index_of(&self, name: &str) -> io::Result<usize> {
        self.hosts
            .iter()
            .position(|h| h.spec.name == name)
            .ok_or_else(|| io::Error::other(format!("no host named {name}")))
    }

    /// A host's namespace: lo up, its settings, and on a LAN its eth0 plugged into the switch.
    fn make_host(&self, spec: &HostSpec) -> io::Result<Ns> {
        let ns = Ns::new()?;
        let switch = self.switch.as_ref();
        let switch_fd = switch.map(Ns::raw_fd);
        ns.run(|| {
            quiet_ipv6()?;
            for (key, value) in &spec.sysctls {
                // A setting the kernel does not have or refuses is the scenario's mistake.
                sysctl(key, value).map_err(|e| mistake(&spec.name, e))?;
            }
            let rtnl = Rtnl::open()?;
            rtnl.set_up(index("lo")?)?;
            if let Some(switch_fd) = switch_fd {
                // One request makes both ends: eth0 here, its peer (named after the host) in
                // the switch's namespace.
                rtnl.add_veth("eth0", mac(spec.addr), &spec.name, switch_fd)?;
                let eth0 = index("eth0")?;
                rtnl.add_address(eth0, spec.addr, 24)?;
                rtnl.set_up(eth0)?;
                for route in &spec.routes {
                    rtnl.add_route(route).map_err(|e| mistake(&spec.name, e))?;
                }
            }
            Ok(())
        })?;
        if let Some(switch) = switch {
            let port = spec.name.clone();
            switch.run(move || {
                let rtnl = Rtnl::open()?;
                let port = index(&port)?;
                rtnl.set_master(port, index(BRIDGE)?)?;
                rtnl.set_up(port)
            })?;
        }
        Ok(ns)
    }

    /// Tell host `i` every other host's Ethernet address, once and for all.
    fn learn_neighbours(&self, i: usize) -> io::Result<()> {
        let Some(ns) = &self.hosts[i].ns else {
            return Ok(());
        };
        if self.switch.is_none() {
            return Ok(());
        }
        let others: Vec<Ipv4Addr> = self
            .hosts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, h)| h.spec.addr)
            .collect();
        ns.run(|| {
            let rtnl = Rtnl::open()?;
            let eth0 = index("eth0")?;
            for addr in &others {
                rtnl.add_neighbour(eth0, *addr, mac(*addr))?;
            }
            Ok(())
        })
    }

    /// The host is cut off from the switch at once: its cable is pulled, so nothing more leaves
    /// or reaches it. The caller then kills its processes; once they are reaped, and the
    /// descriptor dropped here is the last reference, the kernel frees the namespace with every
    /// connection in it.
    pub fn crash(&mut self, name: &str) -> io::Result<()> {
        let i = self.index_of(name)?;
        if let Some(switch) = &self.switch {
            let port = name.to_string();
            switch.run(move || Rtnl::open()?.del_link(index(&port)?))?;
        }
        self.hosts[i].ns = None;
        Ok(())
    }

    /// A crashed host comes back: a new namespace with the same address and Ethernet address,
    /// and no memory of any connection.
    pub fn boot(&mut self, name: &str) -> io::Result<()> {
        let i = self.index_of(name)?;
        let ns = self.make_host(&self.hosts[i].spec)?;
        self.hosts[i].ns = Some(ns);
        self.learn_neighbours(i)
    }

    /// The inodes of the run's namespaces: the switch's and every host's that is up.
    pub fn inodes(&self) -> Vec<u64> {
        let hosts = self.hosts.iter().filter_map(|h| h.ns.as_ref());
        self.switch.iter().chain(hosts).map(|ns| ns.inode).collect()
    }

    /// Add a route on a running host.
    pub fn add_route(&self, name: &str, route: &Route) -> io::Result<()> {
        let i = self.index_of(name)?;
        let ns = self.hosts[i]
            .ns
            .as_ref()
            .ok_or_else(|| io::Error::other(format!("{name} is down")))?;
        let route = route.clone();
        ns.run(move || Rtnl::open()?.add_route(&route))
    }
}

/// A host's Ethernet address, made from its IPv4 address so that it is the same every run and
/// after a reboot: 02:00 (locally administered) followed by the four bytes of the address.
fn mac(addr: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = addr.octets();
    [0x02, 0x00, a, b, c, d]
}

/// Turn IPv6 off on the interfaces made from now on: it would announce itself on every new
/// link (router solicitations, duplicate address detection), packets no lesson is about.
fn quiet_ipv6() -> io::Result<()> {
    sysctl("net.ipv6.conf.default.disable_ipv6", "1")
}

/// Write a setting of the calling thread's network namespace (/proc/sys/net is per namespace).
fn sysctl(key: &str, value: &str) -> io::Result<()> {
    let path = format!("/proc/sys/{}", key.replace('.', "/"));
    std::fs::write(&path, value).map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::NotFound => "this kernel has no such setting".to_string(),
            io::ErrorKind::InvalidInput => format!("the kernel refuses the value {value}"),
            _ => e.to_string(),
        };
        io::Error::new(e.kind(), format!("sysctl `{key}` = {value}: {why}"))
    })
}

/// A host's setting or route the kernel refused: a mistake of the scenario's, not the
/// machine's (`ErrorKind::InvalidInput` tells the runner so: exit 2, not "cannot make").
fn mistake(host: &str, e: io::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("host `{host}`: {e}"))
}

/// An interface's index by name, in the calling thread's namespace.
fn index(name: &str) -> io::Result<u32> {
    nix::net::if_::if_nametoindex(name)
        .map_err(|e| io::Error::new(io::Error::from(e).kind(), format!("interface {name}: {e}")))
}

/// A NETLINK_ROUTE socket: the kernel's interface for links, addresses, routes, neighbours.
struct Rtnl(Socket);

impl Rtnl {
    fn open() -> io::Result<Rtnl> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        Ok(Rtnl(socket))
    }

    /// Send one request and wait for the kernel's acknowledgement (or its errno).
    fn request(&self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        // The request by name: its Debug form is a dump no reader wants in an error.
        let what = match &msg {
            RouteNetlinkMessage::NewLink(_) => "a new link",
            RouteNetlinkMessage::SetLink(_) => "a link's settings",
            RouteNetlinkMessage::DelLink(_) => "a link's removal",
            RouteNetlinkMessage::NewAddress(_) => "a new address",
            RouteNetlinkMessage::NewRoute(_) => "a new route",
            RouteNetlinkMessage::NewNeighbour(_) => "a new neighbour",
            _ => "a request",
        };
        let mut msg = NetlinkMessage::from(msg);
        msg.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        msg.finalize();
        let mut buf = vec![0; msg.buffer_len()];
        msg.serialize(&mut buf);
        self.0.send(&buf, 0)?;
        let mut reply = Vec::with_capacity(8192);
        self.0.recv(&mut reply, 0)?;
        let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&reply)
            .map_err(|e| io::Error::other(format!("netlink reply: {e}")))?;
        match reply.payload {
            NetlinkPayload::Error(e) if e.code.is_some() => Err(io::Error::new(
                e.to_io().kind(),
                format!("netlink refused {what}: {}", e.to_io()),
            )),
            _ => Ok(()),
        }
    }

    fn new_link(&self, link: LinkMessage) -> io::Result<()> {
        let msg = RouteNetlinkMessage::NewLink(link);
        self.request(msg, NLM_F_CREATE | NLM_F_EXCL)
    }

    fn add_bridge(&self, name: &str) -> io::Result<()> {
        let mut link = LinkMessage::default();
        link.attributes = vec![
            LinkAttribute::IfName(name.into()),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Bridge)]),
        ];
        self.new_link(link)
    }

    /// A veth pair: `name` here, with Ethernet address `mac`; `peer` in namespace `peer_ns`.
    fn add_veth(&self, name: &str, mac: [u8; 6], peer: &str, peer_ns: RawFd) -> io::Result<()> {
        let mut other = LinkMessage::default();
        other.attributes = vec![
            LinkAttribute::IfName(peer.into()),
            LinkAttribute::NetNsFd(peer_ns),
        ];
        let mut link = LinkMessage::default();
        link.attributes = vec![
            LinkAttribute::IfName(name.into()),
            LinkAttribute::Address(mac.to_vec()),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(other))),
            ]),
        ];
        self.new_link(link)
    }

    fn set_link(&self, index: u32, attributes: Vec<LinkAttribute>, up: bool) -> io::Result<()> {
        let mut link = LinkMessage::default();
        link.header.index = index;
        if up {
            link.header.flags = LinkFlags::Up;
            link.header.change_mask = LinkFlags::Up;
        }
        link.attributes = attributes;
        self.request(RouteNetlinkMessage::SetLink(link), 0)
    }

    fn set_up(&self, index: u32) -> io::Result<()> {
        self.set_link(index, Vec::new(), true)
    }

    fn set_master(&self, index: u32, bridge: u32) -> io::Result<()> {
        self.set_link(index, vec![LinkAttribute::Controller(bridge)], false)
    }

    fn del_link(&self, index: u32) -> io::Result<()> {
        let mut link = LinkMessage::default();
        link.header.index = index;
        self.request(RouteNetlinkMessage::DelLink(link), 0)
    }

    fn add_address(&self, index: u32, addr: Ipv4Addr, prefix: u8) -> io::Result<()> {
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.prefix_len = prefix;
        msg.header.index = index;
        msg.attributes = vec![
            AddressAttribute::Local(addr.into()),
            AddressAttribute::Address(addr.into()),
        ];
        self.request(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn add_route(&self, route: &Route) -> io::Result<()> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.destination_prefix_length = route.prefix;
        msg.header.table = netlink_packet_route::route::RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Static;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = match route.how {
            RouteKind::Via(_) => RouteType::Unicast,
            RouteKind::Unreachable => RouteType::Unreachable,
            RouteKind::Blackhole => RouteType::BlackHole,
        };
        msg.attributes = vec![RouteAttribute::Destination(RouteAddress::Inet(route.to))];
        if let RouteKind::Via(router) = route.how {
            msg.attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet(router)));
        }
        self.request(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn add_neighbour(&self, index: u32, addr: Ipv4Addr, mac: [u8; 6]) -> io::Result<()> {
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.ifindex = index;
        msg.header.state = NeighbourState::Permanent;
        msg.attributes = vec![
            NeighbourAttribute::Destination(NeighbourAddress::Inet(addr)),
            NeighbourAttribute::LinkLayerAddress(mac.to_vec()),
        ];
        self.request(
            RouteNetlinkMessage::NewNeighbour(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_and_stay_inside_the_run() {
        let r: Route = "192.0.2.200 via 192.0.2.254".parse().unwrap();
        assert_eq!(r.how, RouteKind::Via(Ipv4Addr::new(192, 0, 2, 254)));
        assert_eq!(r.prefix, 32);
        let r: Route = "192.0.2.128/25 unreachable".parse().unwrap();
        assert_eq!((r.prefix, r.how), (25, RouteKind::Unreachable));
        assert!("10.0.0.1 blackhole".parse::<Route>().is_err());
        assert!("192.0.2.9 via 8.8.8.8".parse::<Route>().is_err());
        assert!("192.0.2.9 sideways".parse::<Route>().is_err());
        let host_bits = "192.0.2.5/24 unreachable".parse::<Route>().unwrap_err();
        assert!(
            host_bits.contains("the network is 192.0.2.0/24"),
            "{host_bits}"
        );
        assert!("192.0.2.0/16 unreachable".parse::<Route>().is_err());
    }
}

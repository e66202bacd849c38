//! What the wire showed, in the forms students read: a summary of each captured frame (for
//! `packet` expectations), tcpdump's one-line format, a time-sequence diagram in the style of
//! Stevens' Figure 2.5, and a classic pcap file that `tcpdump -r` and Wireshark open.
//!
//! Everything here is pure: frames go in, text or a file comes out; the capture and the engine
//! live elsewhere. Headers are read through etherparse's slices and the file is written by
//! pcap-file, so no field is ever picked out of the bytes by hand.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, SystemTime};

use etherparse::{
    ArpOperation, ArpPacketSlice, Icmpv4Slice, Icmpv4Type, Icmpv6Slice, Icmpv6Type, IpNumber,
    LaxNetSlice, LaxSlicedPacket, NetSlice, SlicedPacket, TcpSlice, TransportSlice, icmpv4, icmpv6,
};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, PcapError, TsResolution};

/// One frame captured on an interface of the run.
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub struct Frame {
    /// When the kernel captured it, since the run began.
    pub time: std::time::Duration,
    /// The run's name for the host (network namespace) it was captured on, e.g. "client".
    pub host: String,
    /// The interface it was captured on ("lo", "eth0").
    pub iface: String,
    /// The whole frame from its Ethernet header on (loopback frames have an all-zero one).
    pub data: Vec<u8>,
}

/// The protocol a frame carries, as far as the lessons care.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    Arp,
    Other,
}

/// The TCP flags tcpdump shows. ECE and CWR are left out: no lesson uses ECN.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub urg: bool,
}

impl TcpFlags {
    fn of(tcp: &TcpSlice) -> TcpFlags {
        TcpFlags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            psh: tcp.psh(),
            urg: tcp.urg(),
        }
    }

    /// The flags as tcpdump writes them between brackets: its letters in its order
    /// (F S R P . U), so a SYN-ACK is `S.` and a FIN-ACK `F.`; `none` when no flag is set.
    pub fn tcpdump(&self) -> String {
        let letters = [
            (self.fin, 'F'),
            (self.syn, 'S'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ack, '.'),
            (self.urg, 'U'),
        ];
        let text: String = letters
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect();
        if text.is_empty() {
            "none".to_string()
        } else {
            text
        }
    }
}

/// The TCP header fields the lessons talk about.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    /// The window as sent, not scaled: tcpdump shows it so too.
    pub window: u16,
}

/// What an ICMP "destination unreachable" says could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreachable {
    Port,
    Host,
    Net,
}

/// The start of the datagram an ICMP error quotes: the datagram the error answers.
#[allow(dead_code)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quoted {
    pub proto: Proto,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
}

/// An ICMP (v4 or v6) message.
#[allow(dead_code)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpInfo {
    pub type_u8: u8,
    pub code_u8: u8,
    /// Type and code in words, e.g. "port unreachable", "echo request".
    pub words: &'static str,
    pub unreachable: Option<Unreachable>,
    /// For errors: the header of the datagram that caused them.
    pub quoted: Option<Quoted>,
    /// For echo requests and replies (ping): their identifier and sequence number.
    pub echo: Option<(u16, u16)>,
    /// The whole ICMP message, header included, as tcpdump's "length".
    pub len: usize,
}

/// An ARP message over Ethernet for IPv4 (the summary's src and dst hold its IP addresses).
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpInfo {
    pub request: bool,
    pub sender_mac: [u8; 6],
}

/// What one frame carried, in the terms the lessons use.
#[allow(dead_code)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub proto: Proto,
    /// The sender's address (for ARP the sender's protocol address).
    pub src: IpAddr,
    /// The receiver's address (for ARP the address asked about).
    pub dst: IpAddr,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub tcp: Option<TcpInfo>,
    /// Bytes of data after the TCP or UDP header (for ICMP after its 8-byte header, for ARP
    /// the ARP message, for other IP protocols the IP payload).
    pub payload_len: usize,
    pub icmp: Option<IcmpInfo>,
    pub arp: Option<ArpInfo>,
}

/// What a `packet` expectation can ask for. A segment can be several kinds at once (a FIN
/// carrying data is both `Fin` and `Data`); `Summary::kind` names the most telling one and
/// `Summary::matches` answers for each.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// SYN without ACK: a connect() starting the handshake.
    Syn,
    SynAck,
    /// FIN set, with or without ACK or data.
    Fin,
    Rst,
    /// A pure ACK: no SYN, FIN or RST and no data.
    Ack,
    /// A TCP segment carrying data.
    Data,
    Udp,
    IcmpPortUnreachable,
    IcmpHostUnreachable,
    IcmpNetUnreachable,
    /// Named "ICMP": as an expectation it matches any ICMP message.
    IcmpOther,
    Arp,
    Other,
}

/// The names scenario files use for the kinds, in the order `Kind` lists them.
const KIND_NAMES: [(Kind, &str); 13] = [
    (Kind::Syn, "SYN"),
    (Kind::SynAck, "SYN-ACK"),
    (Kind::Fin, "FIN"),
    (Kind::Rst, "RST"),
    (Kind::Ack, "ACK"),
    (Kind::Data, "data"),
    (Kind::Udp, "UDP"),
    (Kind::IcmpPortUnreachable, "ICMP port unreachable"),
    (Kind::IcmpHostUnreachable, "ICMP host unreachable"),
    (Kind::IcmpNetUnreachable, "ICMP net unreachable"),
    (Kind::IcmpOther, "ICMP"),
    (Kind::Arp, "ARP"),
    (Kind::Other, "other"),
];

#[allow(dead_code)]
impl Kind {
    /// The kind a scenario names, e.g. "RST" or "ICMP port unreachable" (case ignored).
    pub fn from_name(name: &str) -> Option<Kind> {
        let name = name.trim();
        KIND_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(kind, _)| *kind)
    }

    /// The name a scenario uses for this kind.
    pub fn name(self) -> &'static str {
        KIND_NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("other", |(_, n)| n)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[allow(dead_code)]
impl Summary {
    /// The most telling kind of this frame: a reset ends everything, a SYN opens, a FIN
    /// closes, and only then does it matter whether data rode along.
    pub fn kind(&self) -> Kind {
        match self.proto {
            Proto::Tcp => self.tcp_kind(),
            Proto::Udp => Kind::Udp,
            Proto::Icmp | Proto::Icmp6 => match self.icmp.as_ref().and_then(|i| i.unreachable) {
                Some(Unreachable::Port) => Kind::IcmpPortUnreachable,
                Some(Unreachable::Host) => Kind::IcmpHostUnreachable,
                Some(Unreachable::Net) => Kind::IcmpNetUnreachable,
                None => Kind::IcmpOther,
            },
            Proto::Arp => Kind::Arp,
            Proto::Other => Kind::Other,
        }
    }

    fn tcp_kind(&self) -> Kind {
        let Some(tcp) = &self.tcp else {
            return Kind::Other;
        };
        let f = tcp.flags;
        if f.rst {
            Kind::Rst
        } else if f.syn && f.ack {
            Kind::SynAck
        } else if f.syn {
            Kind::Syn
        } else if f.fin {
            Kind::Fin
        } else if self.payload_len > 0 {
            Kind::Data
        } else if f.ack {
            Kind::Ack
        } else {
            Kind::Other
        }
    }

    /// Whether this frame is of `kind`, which it can be besides its `kind()`: a FIN-ACK
    /// matches `Fin`, a FIN with data matches `Fin` and `Data`, any ICMP matches "ICMP".
    pub fn matches(&self, kind: Kind) -> bool {
        let flags = self.tcp.map(|t| t.flags);
        let has = |test: fn(TcpFlags) -> bool| flags.is_some_and(test);
        match kind {
            Kind::Syn => has(|f| f.syn && !f.ack),
            Kind::SynAck => has(|f| f.syn && f.ack),
            Kind::Fin => has(|f| f.fin),
            Kind::Rst => has(|f| f.rst),
            Kind::Ack => has(|f| f.ack && !f.syn && !f.fin && !f.rst) && self.payload_len == 0,
            Kind::Data => flags.is_some() && self.payload_len > 0,
            Kind::IcmpOther => self.icmp.is_some(),
            other => self.kind() == other,
        }
    }
}

/// Reads a frame's headers; `None` when it is neither IP nor ARP or is cut short.
pub fn summarize(f: &Frame) -> Option<Summary> {
    let packet = SlicedPacket::from_ethernet(&f.data).ok()?;
    let transport = packet.transport.as_ref();
    match packet.net.as_ref()? {
        NetSlice::Arp(arp) => summarize_arp(arp),
        NetSlice::Ipv4(ip) => {
            let header = ip.header();
            let (src, dst) = (
                header.source_addr().into(),
                header.destination_addr().into(),
            );
            Some(summarize_ip(
                src,
                dst,
                ip.payload().payload.len(),
                transport,
            ))
        }
        NetSlice::Ipv6(ip) => {
            let header = ip.header();
            let (src, dst) = (
                header.source_addr().into(),
                header.destination_addr().into(),
            );
            Some(summarize_ip(
                src,
                dst,
                ip.payload().payload.len(),
                transport,
            ))
        }
    }
}

fn summarize_arp(arp: &ArpPacketSlice) -> Option<Summary> {
    // Only ARP for IPv4 over Ethernet exists in a run; anything else is not worth a line.
    let arp4 = arp.to_packet().try_eth_ipv4().ok()?;
    Some(Summary {
        proto: Proto::Arp,
        src: Ipv4Addr::from(arp4.sender_ipv4).into(),
        dst: Ipv4Addr::from(arp4.target_ipv4).into(),
        src_port: None,
        dst_port: None,
        tcp: None,
        payload_len: arp.slice().len(),
        icmp: None,
        arp: Some(ArpInfo {
            request: arp4.operation == ArpOperation::REQUEST,
            sender_mac: arp4.sender_mac,
        }),
    })
}

fn summarize_ip(
    src: IpAddr,
    dst: IpAddr,
    ip_payload_len: usize,
    transport: Option<&TransportSlice>,
) -> Summary {
    let mut s = Summary {
        proto: Proto::Other,
        src,
        dst,
        src_port: None,
        dst_port: None,
        tcp: None,
        payload_len: ip_payload_len,
        icmp: None,
        arp: None,
    };
    match transport {
        Some(TransportSlice::Tcp(tcp)) => {
            s.proto = Proto::Tcp;
            (s.src_port, s.dst_port) = (Some(tcp.source_port()), Some(tcp.destination_port()));
            s.payload_len = tcp.payload().len();
            s.tcp = Some(TcpInfo {
                flags: TcpFlags::of(tcp),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                window: tcp.window_size(),
            });
        }
        Some(TransportSlice::Udp(udp)) => {
            s.proto = Proto::Udp;
            (s.src_port, s.dst_port) = (Some(udp.source_port()), Some(udp.destination_port()));
            s.payload_len = udp.payload().len();
        }
        Some(TransportSlice::Icmpv4(icmp)) => {
            s.proto = Proto::Icmp;
            s.payload_len = icmp.payload().len();
            s.icmp = Some(icmpv4_info(icmp));
        }
        Some(TransportSlice::Icmpv6(icmp)) => {
            s.proto = Proto::Icmp6;
            s.payload_len = icmp.payload().len();
            s.icmp = Some(icmpv6_info(icmp));
        }
        _ => {}
    }
    s
}

fn icmpv4_info(icmp: &Icmpv4Slice) -> IcmpInfo {
    use icmpv4::DestUnreachableHeader as Code;
    let icmp_type = icmp.icmp_type();
    let (words, unreachable) = match &icmp_type {
        Icmpv4Type::EchoReply(_) => ("echo reply", None),
        Icmpv4Type::EchoRequest(_) => ("echo request", None),
        Icmpv4Type::DestinationUnreachable(Code::Port) => {
            ("port unreachable", Some(Unreachable::Port))
        }
        Icmpv4Type::DestinationUnreachable(Code::Host) => {
            ("host unreachable", Some(Unreachable::Host))
        }
        Icmpv4Type::DestinationUnreachable(Code::Network) => {
            ("net unreachable", Some(Unreachable::Net))
        }
        Icmpv4Type::DestinationUnreachable(Code::Protocol) => ("protocol unreachable", None),
        Icmpv4Type::DestinationUnreachable(_) => ("destination unreachable", None),
        Icmpv4Type::TimeExceeded(_) => ("time exceeded in-transit", None),
        Icmpv4Type::Redirect(_) => ("redirect", None),
        Icmpv4Type::ParameterProblem(_) => ("parameter problem", None),
        _ => ("unknown type", None),
    };
    let echo = match &icmp_type {
        Icmpv4Type::EchoRequest(h) | Icmpv4Type::EchoReply(h) => Some((h.id, h.seq)),
        _ => None,
    };
    // Only errors quote a datagram; an echo's payload is just data.
    let is_error = matches!(
        icmp_type,
        Icmpv4Type::DestinationUnreachable(_)
            | Icmpv4Type::TimeExceeded(_)
            | Icmpv4Type::ParameterProblem(_)
    );
    IcmpInfo {
        type_u8: icmp.type_u8(),
        code_u8: icmp.code_u8(),
        words,
        unreachable,
        quoted: if is_error {
            quoted(icmp.payload())
        } else {
            None
        },
        echo,
        len: icmp.slice().len(),
    }
}

fn icmpv6_info(icmp: &Icmpv6Slice) -> IcmpInfo {
    use icmpv6::DestUnreachableCode as Code;
    let icmp_type = icmp.icmp_type();
    let (words, unreachable) = match icmp_type {
        Icmpv6Type::DestinationUnreachable(Code::Port) => {
            ("port unreachable", Some(Unreachable::Port))
        }
        Icmpv6Type::DestinationUnreachable(Code::Address) => {
            ("address unreachable", Some(Unreachable::Host))
        }
        Icmpv6Type::DestinationUnreachable(Code::NoRoute) => ("no route", Some(Unreachable::Net)),
        Icmpv6Type::DestinationUnreachable(_) => ("destination unreachable", None),
        Icmpv6Type::PacketTooBig { .. } => ("packet too big", None),
        Icmpv6Type::TimeExceeded(_) => ("time exceeded in-transit", None),
        Icmpv6Type::ParameterProblem(_) => ("parameter problem", None),
        Icmpv6Type::EchoRequest(_) => ("echo request", None),
        Icmpv6Type::EchoReply(_) => ("echo reply", None),
        Icmpv6Type::RouterSolicitation => ("router solicitation", None),
        Icmpv6Type::RouterAdvertisement(_) => ("router advertisement", None),
        Icmpv6Type::NeighborSolicitation => ("neighbor solicitation", None),
        Icmpv6Type::NeighborAdvertisement(_) => ("neighbor advertisement", None),
        _ => ("unknown type", None),
    };
    let echo = match &icmp_type {
        Icmpv6Type::EchoRequest(h) | Icmpv6Type::EchoReply(h) => Some((h.id, h.seq)),
        _ => None,
    };
    let is_error = matches!(
        icmp_type,
        Icmpv6Type::DestinationUnreachable(_)
            | Icmpv6Type::PacketTooBig { .. }
            | Icmpv6Type::TimeExceeded(_)
            | Icmpv6Type::ParameterProblem(_)
    );
    IcmpInfo {
        type_u8: icmp.type_u8(),
        code_u8: icmp.code_u8(),
        words,
        unreachable,
        quoted: if is_error {
            quoted(icmp.payload())
        } else {
            None
        },
        echo,
        len: icmp.slice().len(),
    }
}

/// Reads the datagram an ICMP error quotes. It is sliced laxly because a router may quote
/// only the IP header and 8 bytes (RFC 792), so the IP length in it promises more than is
/// there. A TCP header cut at 8 bytes loses its ports; Linux quotes far more, so it does not.
fn quoted(datagram: &[u8]) -> Option<Quoted> {
    let packet = LaxSlicedPacket::from_ip(datagram).ok()?;
    let (src, dst, ip_number) = match packet.net.as_ref()? {
        LaxNetSlice::Ipv4(ip) => {
            let header = ip.header();
            (
                header.source_addr().into(),
                header.destination_addr().into(),
                ip.payload().ip_number,
            )
        }
        LaxNetSlice::Ipv6(ip) => {
            let header = ip.header();
            (
                header.source_addr().into(),
                header.destination_addr().into(),
                ip.payload().ip_number,
            )
        }
        LaxNetSlice::Arp(_) => return None,
    };
    let ports = match &packet.transport {
        Some(TransportSlice::Tcp(tcp)) => Some((tcp.source_port(), tcp.destination_port())),
        Some(TransportSlice::Udp(udp)) => Some((udp.source_port(), udp.destination_port())),
        _ => None,
    };
    Some(Quoted {
        proto: proto_of(ip_number),
        src,
        dst,
        src_port: ports.map(|(s, _)| s),
        dst_port: ports.map(|(_, d)| d),
    })
}

fn proto_of(ip_number: IpNumber) -> Proto {
    match ip_number {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        IpNumber::ICMP => Proto::Icmp,
        IpNumber::IPV6_ICMP => Proto::Icmp6,
        _ => Proto::Other,
    }
}

/// tcpdump's line format, with the per-connection state its relative sequence numbers need.
/// Keep one for a whole run, so a step's segments are numbered as the run's earlier ones.
#[derive(Debug, Default)]
pub struct Tcpdump {
    /// Keyed by the connection's two endpoints, the lower first; index 0 of the arrays below
    /// is the lower endpoint's side.
    conns: HashMap<(SocketAddr, SocketAddr), Conn>,
}

#[derive(Debug, Default)]
struct Conn {
    /// What tcpdump subtracts from the numbers each side sends, once it has them.
    base: Option<[u32; 2]>,
    /// Each side's initial sequence number, from its SYN, for the stable ISN forms.
    isn: [Option<u32>; 2],
}

#[allow(dead_code)]
impl Tcpdump {
    pub fn new() -> Tcpdump {
        Tcpdump::default()
    }

    /// One frame as tcpdump prints it by default, with the time since the run began. In
    /// `stable` mode the time reads `N.NNNNNN` and absolute sequence numbers read `ISN`,
    /// `ISN+1`, ..., so two runs print the same text (bar the ephemeral ports).
    pub fn line(&mut self, f: &Frame, stable: bool) -> String {
        let time = time_text(f.time, stable);
        match summarize(f) {
            Some(s) => format!("{time} {}", self.describe(&s, stable)),
            None => format!("{time} frame not IP or ARP, length {}", f.data.len()),
        }
    }

    fn describe(&mut self, s: &Summary, stable: bool) -> String {
        if let Some(arp) = &s.arp {
            return arp_text(s, arp);
        }
        let ip = if s.src.is_ipv4() { "IP" } else { "IP6" };
        let (src, dst) = (addr_text(s.src, s.src_port), addr_text(s.dst, s.dst_port));
        let body = if let Some(tcp) = &s.tcp {
            self.tcp_text(s, tcp, stable)
        } else if let Some(icmp) = &s.icmp {
            icmp_text(s.proto, icmp)
        } else if s.proto == Proto::Udp {
            format!("UDP, length {}", s.payload_len)
        } else {
            format!("ip-proto, length {}", s.payload_len)
        };
        format!("{ip} {src} > {dst}: {body}")
    }

    fn tcp_text(&mut self, s: &Summary, tcp: &TcpInfo, stable: bool) -> String {
        let src = SocketAddr::new(s.src, s.src_port.unwrap_or(0));
        let dst = SocketAddr::new(s.dst, s.dst_port.unwrap_or(0));
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let (me, peer) = if src == key.0 { (0, 1) } else { (1, 0) };
        let conn = self.conns.entry(key).or_default();
        let f = tcp.flags;
        if f.syn {
            conn.isn[me] = Some(tcp.seq);
        }
        // As tcpdump does: only segments carrying an ACK are numbered relatively. The first
        // of a connection (and every SYN-ACK) sets both sides' bases and is shown absolute,
        // so the SYN and SYN-ACK show absolute numbers and the handshake's ACK shows `ack 1`.
        let mut relative = false;
        if f.ack {
            match conn.base {
                Some(_) if !f.syn => relative = true,
                _ => {
                    let mut base = [0; 2];
                    base[me] = tcp.seq;
                    base[peer] = tcp.ack.wrapping_sub(1);
                    conn.base = Some(base);
                }
            }
        }
        let show = |n: u32, side: usize| match conn.base {
            Some(base) if relative => n.wrapping_sub(base[side]).to_string(),
            _ if stable => isn_text(n, conn.isn[side]),
            _ => n.to_string(),
        };
        let len = s.payload_len as u32;
        let mut text = format!("Flags [{}]", f.tcpdump());
        if len > 0 {
            let end = tcp.seq.wrapping_add(len);
            let _ = write!(text, ", seq {}:{}", show(tcp.seq, me), show(end, me));
        } else if f.syn || f.fin || f.rst {
            let _ = write!(text, ", seq {}", show(tcp.seq, me));
        }
        if f.ack {
            let _ = write!(text, ", ack {}", show(tcp.ack, peer));
        }
        // tcpdump prints the TCP options here (mss, sackOK, TS val, wscale). They are left
        // out: the timestamps change every run and chapters 4-8 need none of them.
        let _ = write!(text, ", win {}, length {len}", tcp.window);
        text
    }
}

/// An absolute sequence number as an offset from its side's ISN. Without a SYN to learn the
/// ISN from, 0 stays 0 (a reset answering a SYN carries it) and anything else is `ISN?`.
fn isn_text(n: u32, isn: Option<u32>) -> String {
    match isn.map(|isn| n.wrapping_sub(isn)) {
        Some(0) => "ISN".to_string(),
        Some(offset) => format!("ISN+{offset}"),
        None if n == 0 => "0".to_string(),
        None => "ISN?".to_string(),
    }
}

fn time_text(time: Duration, stable: bool) -> String {
    if stable {
        "N.NNNNNN".to_string()
    } else {
        format!("{}.{:06}", time.as_secs(), time.subsec_micros())
    }
}

/// tcpdump writes an address and port as `192.0.2.1.9877`, for IPv6 as `::1.9877`.
fn addr_text(ip: IpAddr, port: Option<u16>) -> String {
    match port {
        Some(port) => format!("{ip}.{port}"),
        None => ip.to_string(),
    }
}

fn icmp_text(proto: Proto, icmp: &IcmpInfo) -> String {
    let body = match (proto, icmp.unreachable, &icmp.quoted) {
        (Proto::Icmp, Some(Unreachable::Port), Some(q)) => {
            format!(
                "ICMP {} {} port {} unreachable",
                q.dst,
                proto_word(q.proto),
                port_text(q)
            )
        }
        (Proto::Icmp, Some(Unreachable::Host), Some(q)) => {
            format!("ICMP host {} unreachable", q.dst)
        }
        (Proto::Icmp, Some(Unreachable::Net), Some(q)) => format!("ICMP net {} unreachable", q.dst),
        (Proto::Icmp, _, _) => format!("ICMP {}", icmp.words),
        (_, Some(Unreachable::Port), Some(q)) => format!(
            "ICMP6, destination unreachable, unreachable port, {} {} port {}",
            q.dst,
            proto_word(q.proto),
            port_text(q)
        ),
        (_, Some(Unreachable::Host), Some(q)) => {
            format!(
                "ICMP6, destination unreachable, unreachable address {}",
                q.dst
            )
        }
        (_, Some(Unreachable::Net), Some(q)) => {
            format!(
                "ICMP6, destination unreachable, unreachable route {}",
                q.dst
            )
        }
        _ => format!("ICMP6, {}", icmp.words),
    };
    match icmp.echo {
        Some((id, seq)) => format!("{body}, id {id}, seq {seq}, length {}", icmp.len),
        None => format!("{body}, length {}", icmp.len),
    }
}

fn proto_word(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
        _ => "ip",
    }
}

fn port_text(q: &Quoted) -> String {
    q.dst_port
        .map_or_else(|| "?".to_string(), |port| port.to_string())
}

fn arp_text(s: &Summary, arp: &ArpInfo) -> String {
    if arp.request {
        format!(
            "ARP, Request who-has {} tell {}, length {}",
            s.dst, s.src, s.payload_len
        )
    } else {
        let mac: Vec<String> = arp.sender_mac.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "ARP, Reply {} is-at {}, length {}",
            s.src,
            mac.join(":"),
            s.payload_len
        )
    }
}

/// More endpoints than this and the columns get too narrow to label an arrow in 80 columns.
const MAX_COLUMNS: usize = 4;
/// The time takes the first columns of every arrow line ("123.456789").
const TIME_WIDTH: usize = 10;
/// Room kept between the time and the first column, and after the last column.
const MARGIN: usize = 3;
/// Narrower than this and not even two columns with a short label fit.
const MIN_WIDTH: usize = 40;

/// A time-sequence diagram of one step's frames, in the style of Stevens' Figure 2.5: one
/// column per endpoint (IP:port), one arrow per segment. Falls back to tcpdump lines when
/// there are more than four endpoints. No line is longer than `width` (at least 40).
#[allow(dead_code)]
pub fn diagram(frames: &[Frame], stable: bool, width: usize) -> Vec<String> {
    diagram_with_states(frames, &[], stable, width)
}

/// `diagram`, ending with each endpoint's TCP state (as the engine's socket table has it)
/// under its column. States of endpoints that have no column are left out.
#[allow(dead_code)]
pub fn diagram_with_states(
    frames: &[Frame],
    states: &[(SocketAddr, String)],
    stable: bool,
    width: usize,
) -> Vec<String> {
    let arrows = arrows(frames);
    let columns = columns(&arrows);
    if columns.len() > MAX_COLUMNS {
        let mut tcpdump = Tcpdump::new();
        return frames.iter().map(|f| tcpdump.line(f, stable)).collect();
    }
    let width = width.max(MIN_WIDTH);
    let xs = column_positions(columns.len(), width);
    let names: Vec<(usize, String)> = columns
        .iter()
        .zip(&xs)
        .map(|(end, x)| (*x, endpoint_name(*end)))
        .collect();
    let mut lines = label_rows(&names, width);
    lines.push(rails(&xs, width));
    for arrow in &arrows {
        lines.push(arrow_line(arrow, &columns, &xs, stable, width));
    }
    let under: Vec<(usize, String)> = states
        .iter()
        .filter_map(|(end, state)| {
            let column = columns.iter().position(|c| c == end)?;
            Some((xs[column], state.clone()))
        })
        .collect();
    if !under.is_empty() {
        lines.push(rails(&xs, width));
        lines.extend(label_rows(&under, width));
    }
    lines
}

/// One arrow of the diagram: who sent to whom, and what to write on it.
struct Arrow {
    time: Duration,
    from: SocketAddr,
    to: SocketAddr,
    /// Flags, sequence and acknowledgment numbers, e.g. "SYN,ACK seq 0 ack 1".
    label: String,
    /// Only the flags, for arrows too short for the whole label, e.g. "SYN,ACK".
    short: String,
}

fn arrows(frames: &[Frame]) -> Vec<Arrow> {
    // Sequence numbers are shown from the sender's ISN (a SYN is 0, the first data byte 1),
    // as Stevens counts them. A connection whose SYN is not among these frames gets no
    // numbers: absolute ones are random and too long for an arrow.
    let mut isns: HashMap<SocketAddr, u32> = HashMap::new();
    let mut arrows = Vec::new();
    for frame in frames {
        let Some(s) = summarize(frame) else { continue };
        let Some((from, to)) = ends(&s) else { continue };
        let (label, short) = match &s.tcp {
            Some(tcp) => tcp_labels(&s, tcp, &mut isns, from, to),
            None => (other_label(&s), other_label(&s)),
        };
        arrows.push(Arrow {
            time: frame.time,
            from,
            to,
            label,
            short,
        });
    }
    arrows
}

fn tcp_labels(
    s: &Summary,
    tcp: &TcpInfo,
    isns: &mut HashMap<SocketAddr, u32>,
    from: SocketAddr,
    to: SocketAddr,
) -> (String, String) {
    let f = tcp.flags;
    if f.syn {
        isns.insert(from, tcp.seq);
    }
    let short = tcp_words(f, s.payload_len);
    let mut label = short.clone();
    if s.payload_len > 0 || f.syn || f.fin || f.rst {
        if let Some(isn) = isns.get(&from) {
            let _ = write!(label, " seq {}", tcp.seq.wrapping_sub(*isn));
        }
    }
    if f.ack {
        if let Some(isn) = isns.get(&to) {
            let _ = write!(label, " ack {}", tcp.ack.wrapping_sub(*isn));
        }
    }
    (label, short)
}

/// The flags in words: SYN, FIN and RST by name, then "data N" when data rides along, or
/// ACK when it does not. PSH is left out: Linux sets it on nearly every data segment.
fn tcp_words(f: TcpFlags, payload_len: usize) -> String {
    let mut words: Vec<String> = Vec::new();
    for (on, word) in [(f.syn, "SYN"), (f.fin, "FIN"), (f.rst, "RST")] {
        if on {
            words.push(word.to_string());
        }
    }
    if payload_len > 0 {
        words.push(format!("data {payload_len}"));
    } else if f.ack {
        words.push("ACK".to_string());
    }
    if words.is_empty() {
        "none".to_string()
    } else {
        words.join(",")
    }
}

fn other_label(s: &Summary) -> String {
    match (&s.icmp, s.proto) {
        (Some(icmp), _) => format!("ICMP {}", icmp.words),
        (None, Proto::Udp) => format!("UDP {}", s.payload_len),
        _ => "IP".to_string(),
    }
}

/// The columns an arrow runs between; ARP and other non-TCP/UDP/ICMP frames belong to no
/// connection and are left to the tcpdump view.
fn ends(s: &Summary) -> Option<(SocketAddr, SocketAddr)> {
    let host = |ip: IpAddr| SocketAddr::new(ip, 0);
    match s.proto {
        Proto::Tcp | Proto::Udp => Some((
            SocketAddr::new(s.src, s.src_port?),
            SocketAddr::new(s.dst, s.dst_port?),
        )),
        Proto::Icmp | Proto::Icmp6 => {
            // An ICMP error goes in the columns of the datagram it answers: from where that
            // datagram was going back to where it came from, when those are its own ends.
            let Some(q) = s.icmp.as_ref().and_then(|i| i.quoted.as_ref()) else {
                return Some((host(s.src), host(s.dst)));
            };
            let from = match q.dst_port {
                Some(port) if q.dst == s.src => SocketAddr::new(q.dst, port),
                _ => host(s.src),
            };
            let to = match q.src_port {
                Some(port) if q.src == s.dst => SocketAddr::new(q.src, port),
                _ => host(s.dst),
            };
            Some((from, to))
        }
        Proto::Arp | Proto::Other => None,
    }
}

/// The endpoints in the order they first appear, so the one that connects is on the left.
fn columns(arrows: &[Arrow]) -> Vec<SocketAddr> {
    let mut columns = Vec::new();
    for arrow in arrows {
        for end in [arrow.from, arrow.to] {
            if !columns.contains(&end) {
                columns.push(end);
            }
        }
    }
    columns
}

/// A column's heading: IP:port, or the IP alone for a host's ICMP (port 0 on no wire).
fn endpoint_name(end: SocketAddr) -> String {
    if end.port() == 0 {
        end.ip().to_string()
    } else {
        end.to_string()
    }
}

fn column_positions(n: usize, width: usize) -> Vec<usize> {
    let first = TIME_WIDTH + 1 + MARGIN;
    let last = width - 1 - MARGIN;
    if n <= 1 {
        return vec![(first + last) / 2];
    }
    (0..n)
        .map(|i| first + i * (last - first) / (n - 1))
        .collect()
}

/// A line with only the columns' vertical bars.
fn rails(xs: &[usize], width: usize) -> String {
    to_line(rails_row(xs, width))
}

fn rails_row(xs: &[usize], width: usize) -> Vec<char> {
    let mut row = vec![' '; width];
    for &x in xs {
        row[x] = '|';
    }
    row
}

/// Writes `text` into `row` from `start`, dropping what would pass the end of the line.
fn put(row: &mut [char], start: usize, text: &str) {
    for (cell, c) in row.iter_mut().skip(start).zip(text.chars()) {
        *cell = c;
    }
}

fn to_line(row: Vec<char>) -> String {
    row.into_iter().collect::<String>().trim_end().to_string()
}

/// Texts centred on their columns; a text that would touch one already placed goes on a
/// further line, so long IPv6 names or states never run into each other.
fn label_rows(items: &[(usize, String)], width: usize) -> Vec<String> {
    let mut rows: Vec<Vec<char>> = Vec::new();
    for (x, text) in items {
        let text: String = text.chars().take(width).collect();
        let len = text.chars().count();
        let start = x.saturating_sub(len / 2).min(width - len);
        // One blank cell each side keeps neighbouring texts apart.
        let span = start.saturating_sub(1)..(start + len + 1).min(width);
        let free = |row: &Vec<char>| row[span.clone()].iter().all(|c| *c == ' ');
        let index = match rows.iter().position(free) {
            Some(index) => index,
            None => {
                rows.push(vec![' '; width]);
                rows.len() - 1
            }
        };
        put(&mut rows[index], start, &text);
    }
    rows.into_iter().map(to_line).collect()
}

fn arrow_line(
    arrow: &Arrow,
    columns: &[SocketAddr],
    xs: &[usize],
    stable: bool,
    width: usize,
) -> String {
    let mut row = rails_row(xs, width);
    put(
        &mut row,
        0,
        &format!("{:>TIME_WIDTH$}", time_text(arrow.time, stable)),
    );
    let column = |end: SocketAddr| columns.iter().position(|c| *c == end).unwrap_or(0);
    let (a, b) = (xs[column(arrow.from)], xs[column(arrow.to)]);
    if a == b {
        // A frame from an endpoint to itself has no arrow to draw; say what it was beside it.
        put(&mut row, a + 2, &arrow.label);
        return to_line(row);
    }
    let (lo, hi) = (a.min(b), a.max(b));
    // The arrow runs over any columns between its ends, as on a ladder diagram.
    for cell in &mut row[lo + 1..hi] {
        *cell = '-';
    }
    if b > a {
        row[hi - 1] = '>';
    } else {
        row[lo + 1] = '<';
    }
    // Keep two cells of shaft at each end, and a space each side of the label.
    let room = (hi - lo - 1).saturating_sub(4 + 2);
    let label = fit(&arrow.label, &arrow.short, room);
    if !label.is_empty() {
        let text = format!(" {label} ");
        let start = lo + 1 + (hi - lo - 1 - text.chars().count()) / 2;
        put(&mut row, start, &text);
    }
    to_line(row)
}

/// The whole label if it fits, else the flags alone, else as much of them as fits.
fn fit(label: &str, short: &str, room: usize) -> String {
    if label.chars().count() <= room {
        label.to_string()
    } else {
        short.chars().take(room).collect()
    }
}

/// Large enough for any frame on lo (MTU 65536) or a GSO burst; tcpdump's default too.
const SNAPLEN: u32 = 262_144;

/// Writes the frames as a classic pcap file (not pcapng) of Ethernet frames with microsecond
/// timestamps (`started` + each frame's time), which `tcpdump -r` and Wireshark open.
#[allow(dead_code)]
pub fn write_pcap(path: &Path, started: SystemTime, frames: &[Frame]) -> io::Result<()> {
    let epoch = started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(io::Error::other)?;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ts_resolution: TsResolution::MicroSecond,
        snaplen: SNAPLEN,
        ..PcapHeader::default()
    };
    let file = BufWriter::new(File::create(path)?);
    let mut writer = PcapWriter::with_header(file, header).map_err(pcap_error)?;
    for frame in frames {
        let len = u32::try_from(frame.data.len()).map_err(io::Error::other)?;
        let packet = PcapPacket::new(epoch + frame.time, len, &frame.data);
        writer.write_packet(&packet).map_err(pcap_error)?;
    }
    writer.into_writer().flush()
}

/// Hands an I/O error back as it was, so the caller sees "No space left on device" and not
/// a pcap-file wrapper around it.
fn pcap_error(error: PcapError) -> io::Error {
    match error {
        PcapError::IoError(error) => error,
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{ArpEthIpv4Packet, PacketBuilder};
    use pcap_file::pcap::PcapReader;

    const CLIENT: [u8; 4] = [192, 0, 2, 1];
    const SERVER: [u8; 4] = [192, 0, 2, 2];
    const CPORT: u16 = 45678;
    const SPORT: u16 = 9877;
    const CISN: u32 = 1_234_567;
    const SISN: u32 = 7_654_321;

    fn frame(micros: u64, data: Vec<u8>) -> Frame {
        Frame {
            time: Duration::from_micros(micros),
            host: "client".to_string(),
            iface: "eth0".to_string(),
            data,
        }
    }

    /// A TCP segment; `flags` holds tcpdump's letters (S, F, R, P) and `ack` sets ACK.
    #[allow(clippy::too_many_arguments)]
    fn tcp(
        micros: u64,
        from: ([u8; 4], u16),
        to: ([u8; 4], u16),
        flags: &str,
        seq: u32,
        ack: Option<u32>,
        window: u16,
        payload: &[u8],
    ) -> Frame {
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(from.0, to.0, 64)
            .tcp(from.1, to.1, seq, window);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        if flags.contains('R') {
            b = b.rst();
        }
        if flags.contains('P') {
            b = b.psh();
        }
        if let Some(ack) = ack {
            b = b.ack(ack);
        }
        let mut data = Vec::new();
        b.write(&mut data, payload).unwrap();
        frame(micros, data)
    }

    const C: ([u8; 4], u16) = (CLIENT, CPORT);
    const S: ([u8; 4], u16) = (SERVER, SPORT);

    /// A connection's life: handshake, "hello\n" and its echo, the client's close.
    fn conversation() -> Vec<Frame> {
        vec![
            tcp(123, C, S, "S", CISN, None, 64240, b""),
            tcp(160, S, C, "S", SISN, Some(CISN + 1), 65160, b""),
            tcp(190, C, S, "", CISN + 1, Some(SISN + 1), 502, b""),
            tcp(1000, C, S, "P", CISN + 1, Some(SISN + 1), 502, b"hello\n"),
            tcp(1030, S, C, "", SISN + 1, Some(CISN + 7), 509, b""),
            tcp(1100, S, C, "P", SISN + 1, Some(CISN + 7), 509, b"hello\n"),
            tcp(2000, C, S, "F", CISN + 7, Some(SISN + 7), 502, b""),
            tcp(2050, S, C, "F", SISN + 7, Some(CISN + 8), 509, b""),
            tcp(2080, C, S, "", CISN + 8, Some(SISN + 8), 502, b""),
        ]
    }

    fn lines(frames: &[Frame], stable: bool) -> Vec<String> {
        let mut tcpdump = Tcpdump::new();
        frames.iter().map(|f| tcpdump.line(f, stable)).collect()
    }

    /// A UDP datagram to a closed port and the ICMP port unreachable answering it.
    fn udp_and_port_unreachable() -> Vec<Frame> {
        let mut datagram = Vec::new();
        PacketBuilder::ipv4(CLIENT, SERVER, 64)
            .udp(CPORT, SPORT)
            .write(&mut datagram, b"hello")
            .unwrap();
        // The Ethernet headers are all zero, as on lo.
        let mut icmp = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(SERVER, CLIENT, 64)
            .icmpv4(Icmpv4Type::DestinationUnreachable(
                icmpv4::DestUnreachableHeader::Port,
            ))
            .write(&mut icmp, &datagram)
            .unwrap();
        let udp = {
            let mut data = Vec::new();
            PacketBuilder::ethernet2([0; 6], [0; 6])
                .ipv4(CLIENT, SERVER, 64)
                .udp(CPORT, SPORT)
                .write(&mut data, b"hello")
                .unwrap();
            data
        };
        vec![frame(10, udp), frame(40, icmp)]
    }

    #[test]
    fn tcpdump_numbers_a_connection_as_tcpdump_does() {
        let expected = [
            "0.000123 IP 192.0.2.1.45678 > 192.0.2.2.9877: Flags [S], seq 1234567, win 64240, \
             length 0",
            "0.000160 IP 192.0.2.2.9877 > 192.0.2.1.45678: Flags [S.], seq 7654321, \
             ack 1234568, win 65160, length 0",
            "0.000190 IP 192.0.2.1.45678 > 192.0.2.2.9877: Flags [.], ack 1, win 502, length 0",
            "0.001000 IP 192.0.2.1.45678 > 192.0.2.2.9877: Flags [P.], seq 1:7, ack 1, win 502, \
             length 6",
            "0.001030 IP 192.0.2.2.9877 > 192.0.2.1.45678: Flags [.], ack 7, win 509, length 0",
            "0.001100 IP 192.0.2.2.9877 > 192.0.2.1.45678: Flags [P.], seq 1:7, ack 7, win 509, \
             length 6",
            "0.002000 IP 192.0.2.1.45678 > 192.0.2.2.9877: Flags [F.], seq 7, ack 7, win 502, \
             length 0",
            "0.002050 IP 192.0.2.2.9877 > 192.0.2.1.45678: Flags [F.], seq 7, ack 8, win 509, \
             length 0",
            "0.002080 IP 192.0.2.1.45678 > 192.0.2.2.9877: Flags [.], ack 8, win 502, length 0",
        ];
        assert_eq!(lines(&conversation(), false), expected);
    }

    #[test]
    fn stable_lines_hide_the_time_and_the_isns() {
        let lines = lines(&conversation()[..4], true);
        assert_eq!(
            lines[0],
            "N.NNNNNN IP 192.0.2.1.45678 > 192.0.2.2.9877: Flags [S], seq ISN, win 64240, length 0"
        );
        assert!(
            lines[1].contains("Flags [S.], seq ISN, ack ISN+1, win 65160"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].contains("Flags [.], ack 1, win 502"),
            "{}",
            lines[2]
        );
        assert!(lines[3].contains("seq 1:7, ack 1"), "{}", lines[3]);
    }

    #[test]
    fn resets_are_shown_absolute_for_a_refused_connect_and_relative_after_the_handshake() {
        let refused = [
            tcp(100, C, S, "S", CISN, None, 64240, b""),
            tcp(130, S, C, "R", 0, Some(CISN + 1), 0, b""),
        ];
        let refused_lines = lines(&refused, false);
        assert_eq!(
            refused_lines[1],
            "0.000130 IP 192.0.2.2.9877 > 192.0.2.1.45678: Flags [R.], seq 0, ack 1234568, \
             win 0, length 0"
        );
        assert!(lines(&refused, true)[1].contains("seq 0, ack ISN+1,"));

        let mut aborted = conversation()[..4].to_vec();
        aborted.push(tcp(1500, S, C, "R", SISN + 1, Some(CISN + 6), 512, b""));
        assert_eq!(
            lines(&aborted, false)[4],
            "0.001500 IP 192.0.2.2.9877 > 192.0.2.1.45678: Flags [R.], seq 1, ack 6, win 512, \
             length 0"
        );
    }

    #[test]
    fn udp_and_icmp_port_unreachable() {
        let frames = udp_and_port_unreachable();
        assert_eq!(
            lines(&frames, false),
            [
                "0.000010 IP 192.0.2.1.45678 > 192.0.2.2.9877: UDP, length 5",
                "0.000040 IP 192.0.2.2 > 192.0.2.1: ICMP 192.0.2.2 udp port 9877 unreachable, \
                 length 41",
            ]
        );
        let icmp = summarize(&frames[1]).unwrap();
        assert_eq!(icmp.kind(), Kind::IcmpPortUnreachable);
        assert!(icmp.matches(Kind::from_name("ICMP").unwrap()));
        assert!(!icmp.matches(Kind::Udp));
        let quoted = icmp.icmp.unwrap().quoted.unwrap();
        assert_eq!(quoted.proto, Proto::Udp);
        assert_eq!(
            (quoted.src, quoted.src_port),
            (IpAddr::from(CLIENT), Some(CPORT))
        );
        assert_eq!(
            (quoted.dst, quoted.dst_port),
            (IpAddr::from(SERVER), Some(SPORT))
        );
    }

    #[test]
    fn a_router_says_a_host_is_unreachable_quoting_only_part_of_the_datagram() {
        let mut datagram = Vec::new();
        PacketBuilder::ipv4(CLIENT, [192, 0, 2, 200], 64)
            .tcp(CPORT, SPORT, CISN, 64240)
            .syn()
            .write(&mut datagram, b"")
            .unwrap();
        // RFC 792 asks only for the IP header and 8 bytes; the quote promises more.
        datagram.truncate(20 + 8);
        let mut data = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([192, 0, 2, 254], CLIENT, 64)
            .icmpv4(Icmpv4Type::DestinationUnreachable(
                icmpv4::DestUnreachableHeader::Host,
            ))
            .write(&mut data, &datagram)
            .unwrap();
        let f = frame(5, data);
        assert_eq!(
            Tcpdump::new().line(&f, true),
            "N.NNNNNN IP 192.0.2.254 > 192.0.2.1: ICMP host 192.0.2.200 unreachable, length 36"
        );
        assert_eq!(summarize(&f).unwrap().kind(), Kind::IcmpHostUnreachable);
    }

    #[test]
    fn arp_request_and_reply() {
        let arp = |operation, sender_mac, sender_ipv4, target_ipv4| {
            let packet = ArpEthIpv4Packet {
                operation,
                sender_mac,
                sender_ipv4,
                target_mac: [0; 6],
                target_ipv4,
            };
            let mut data = Vec::new();
            PacketBuilder::ethernet2(sender_mac, [0xff; 6])
                .arp(packet.into())
                .write(&mut data)
                .unwrap();
            frame(0, data)
        };
        let mac = [2, 0, 0, 0, 0, 2];
        let request = arp(ArpOperation::REQUEST, [2, 0, 0, 0, 0, 1], CLIENT, SERVER);
        let reply = arp(ArpOperation::REPLY, mac, SERVER, CLIENT);
        assert_eq!(
            lines(&[request.clone(), reply], false),
            [
                "0.000000 ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28",
                "0.000000 ARP, Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 28",
            ]
        );
        assert_eq!(summarize(&request).unwrap().kind(), Kind::Arp);
    }

    #[test]
    fn ipv6_segments_say_ip6() {
        let mut data = Vec::new();
        let lo: [u8; 16] = std::net::Ipv6Addr::LOCALHOST.octets();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv6(lo, lo, 64)
            .tcp(CPORT, SPORT, CISN, 65476)
            .syn()
            .write(&mut data, b"")
            .unwrap();
        assert_eq!(
            Tcpdump::new().line(&frame(7, data), false),
            "0.000007 IP6 ::1.45678 > ::1.9877: Flags [S], seq 1234567, win 65476, length 0"
        );
    }

    #[test]
    fn kinds_and_their_names() {
        let frames = conversation();
        let kinds: Vec<Kind> = frames
            .iter()
            .map(|f| summarize(f).unwrap().kind())
            .collect();
        use Kind::*;
        assert_eq!(kinds, [Syn, SynAck, Ack, Data, Ack, Data, Fin, Fin, Ack]);
        let fin_ack = summarize(&frames[6]).unwrap();
        assert!(fin_ack.matches(Fin) && !fin_ack.matches(Ack) && !fin_ack.matches(Data));
        let fin_data = summarize(&tcp(0, C, S, "FP", CISN + 1, Some(SISN + 1), 502, b"bye\n"));
        let fin_data = fin_data.unwrap();
        assert!(fin_data.matches(Fin) && fin_data.matches(Data));
        assert!(!summarize(&frames[1]).unwrap().matches(Syn));
        for (kind, name) in KIND_NAMES {
            assert_eq!(Kind::from_name(name), Some(kind));
            assert_eq!(kind.name(), name);
        }
        assert_eq!(Kind::from_name("rst"), Some(Rst));
        assert_eq!(Kind::from_name("SYN-ACK"), Some(SynAck));
        assert_eq!(
            Kind::from_name("ICMP port unreachable"),
            Some(IcmpPortUnreachable)
        );
        assert_eq!(Kind::from_name("bogus"), None);
    }

    #[test]
    fn summary_fields() {
        let s = summarize(&conversation()[3]).unwrap();
        assert_eq!((s.src, s.src_port), (IpAddr::from(CLIENT), Some(CPORT)));
        assert_eq!((s.dst, s.dst_port), (IpAddr::from(SERVER), Some(SPORT)));
        let tcp = s.tcp.unwrap();
        assert_eq!((tcp.seq, tcp.ack, tcp.window), (CISN + 1, SISN + 1, 502));
        assert_eq!(tcp.flags.tcpdump(), "P.");
        assert_eq!(s.payload_len, 6);
        assert!(summarize(&frame(0, vec![0; 10])).is_none());
    }

    #[test]
    fn diagram_draws_the_conversation_within_80_columns() {
        let frames = conversation();
        let client: SocketAddr = "192.0.2.1:45678".parse().unwrap();
        let server: SocketAddr = "192.0.2.2:9877".parse().unwrap();
        let states = [
            (client, "TIME_WAIT".to_string()),
            (server, "CLOSED".to_string()),
            ("0.0.0.0:9877".parse().unwrap(), "LISTEN".to_string()),
        ];
        let lines = diagram_with_states(&frames, &states, true, 80);
        for line in &lines {
            assert!(line.chars().count() <= 80, "too long: {line:?}");
            println!("{line}");
        }
        assert!(lines[0].contains("192.0.2.1:45678") && lines[0].contains("192.0.2.2:9877"));
        let arrow = |i: usize| lines[2 + i].as_str();
        assert!(arrow(0).starts_with("  N.NNNNNN"));
        assert!(arrow(0).contains("- SYN seq 0 -") && arrow(0).contains("->|"));
        assert!(arrow(1).contains("|<-") && arrow(1).contains(" SYN,ACK seq 0 ack 1 "));
        assert!(arrow(2).contains(" ACK ack 1 "));
        assert!(arrow(3).contains(" data 6 seq 1 ack 1 "));
        assert!(arrow(6).contains(" FIN,ACK seq 7 ack 7 "));
        let last = lines.last().unwrap();
        assert!(last.contains("TIME_WAIT") && last.contains("CLOSED"));
        assert!(!lines.iter().any(|l| l.contains("LISTEN")));
    }

    #[test]
    fn diagram_puts_an_icmp_error_between_the_datagrams_ends() {
        let lines = diagram(&udp_and_port_unreachable(), false, 80);
        assert!(lines[2].contains(" UDP 5 ") && lines[2].contains("->|"));
        assert!(lines[3].contains("|<-") && lines[3].contains(" ICMP port unreachable "));
    }

    #[test]
    fn diagram_without_the_handshake_shows_flags_only() {
        let lines = diagram(&conversation()[6..], false, 80);
        assert!(lines[2].contains(" FIN,ACK -"), "{}", lines[2]);
    }

    #[test]
    fn narrow_arrows_keep_the_flags_and_many_endpoints_fall_back_to_tcpdump() {
        let port = |p: u16| ([192, 0, 2, 9], p);
        // Three clients and a server: four columns, the most a diagram draws.
        let frames: Vec<Frame> = (0..3)
            .map(|i| tcp(i, port(1000 + i as u16), S, "S", CISN, None, 64240, b""))
            .collect();
        let lines = diagram(&frames, false, 80);
        assert!(lines.iter().all(|l| l.chars().count() <= 80));
        assert!(
            lines.iter().filter(|l| l.contains("SYN")).count() == 3,
            "{lines:#?}"
        );
        let mut many = frames.clone();
        many.push(tcp(9, port(2000), S, "S", CISN, None, 64240, b""));
        assert_eq!(diagram(&many, false, 80), super::tests::lines(&many, false));
    }

    #[test]
    fn pcap_round_trip() {
        let frames = conversation();
        let path = std::env::temp_dir().join(format!("wire-test-{}.pcap", std::process::id()));
        let started = SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        write_pcap(&path, started, &frames).unwrap();
        let mut reader = PcapReader::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.header().datalink, DataLink::ETHERNET);
        assert_eq!(reader.header().ts_resolution, TsResolution::MicroSecond);
        let mut read = Vec::new();
        while let Some(packet) = reader.next_packet() {
            let packet = packet.unwrap();
            read.push((packet.timestamp, packet.data.into_owned()));
        }
        std::fs::remove_file(&path).unwrap();
        let expected: Vec<(Duration, Vec<u8>)> = frames
            .iter()
            .map(|f| {
                (
                    Duration::from_micros(1_700_000_000_123_456) + f.time,
                    f.data.clone(),
                )
            })
            .collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn a_ping_is_icmp_but_no_unreachable() {
        let mut data = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(CLIENT, SERVER, 64)
            .icmpv4_echo_request(7, 1)
            .write(&mut data, &[0; 56])
            .unwrap();
        let ping = frame(400, data);
        assert_eq!(
            Tcpdump::new().line(&ping, false),
            "0.000400 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 7, seq 1, length 64"
        );
        let s = summarize(&ping).unwrap();
        assert_eq!(s.kind(), Kind::IcmpOther);
        assert!(s.matches(Kind::IcmpOther) && !s.matches(Kind::IcmpPortUnreachable));
        assert_eq!(s.icmp.unwrap().quoted, None);
    }
}

//! tcpdump's one-line format (`tcpdump -n` with its default verbosity): a frame as a student
//! would read it in tcpdump beside the run, with relative sequence numbers per connection.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::frame::{ArpInfo, Frame, Summary, TcpInfo, Undecoded, decode};
use super::icmp::{IcmpInfo, Quoted, Unreachable};
use super::proto::Proto;

/// tcpdump's line format, with the per-connection state its relative sequence numbers need.
/// Keep one for a whole run, so a step's segments are numbered as the run's earlier ones.
#[derive(Debug, Default)]
pub struct Tcpdump {
    /// Keyed by the connection's two endpoints, the lower first; index 0 of the arrays below
    /// is the lower endpoint's side.
    conns: HashMap<(SocketAddr, SocketAddr), Conn>,
    /// Times are shown from here (the step's start, since the capture began), so that a
    /// step's retransmissions read 0.2, 0.6, 1.4 whatever came before it.
    pub origin: Duration,
}

#[derive(Debug, Default)]
struct Conn {
    /// What tcpdump subtracts from the numbers each side sends, once it has them.
    base: Option<[u32; 2]>,
    /// Each side's initial sequence number, from its SYN, for the stable ISN forms.
    isn: [Option<u32>; 2],
}

impl Tcpdump {
    /// One frame as tcpdump prints it by default, with the time since `origin`. In
    /// `stable` mode the time reads `N.NNNNNN` and absolute sequence numbers read `ISN`,
    /// `ISN+1`, ..., so two runs print the same text (bar the ephemeral ports).
    pub fn line(&mut self, f: &Frame, stable: bool) -> String {
        let time = time_text(f.time.saturating_sub(self.origin), stable);
        let (len, host, iface) = (f.data.len(), &f.host, &f.iface);
        // A frame that cannot be read still gets its line, saying where it was captured, so a
        // garbled frame is seen rather than silently missing.
        match decode(f) {
            Ok(s) => format!("{time} {}", self.describe(&s, stable)),
            Err(Undecoded::Foreign(what)) => {
                format!("{time} frame on {host} {iface}: {what}, length {len}")
            }
            Err(Undecoded::Malformed(what)) => {
                format!("{time} malformed frame on {host} {iface}: {what}, length {len}")
            }
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
        } else {
            match s.proto {
                Proto::Udp => format!("UDP, length {}", s.payload_len),
                // As `tcpdump -n`: a protocol it does not read by its number, with the length;
                // a later fragment by its protocol's number alone (its length is the IP one).
                Proto::Fragment(number) => format!("ip-proto-{number}"),
                Proto::Other(number) => format!("ip-proto-{number} {}", s.payload_len),
                _ => format!("length {}", s.payload_len),
            }
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

pub(super) fn time_text(time: Duration, stable: bool) -> String {
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

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use etherparse::{
        ArpEthIpv4Packet, ArpOperation, EtherType, Icmpv4Type, IpNumber, PacketBuilder, icmpv4,
    };

    use super::*;
    use crate::wire::testing::*;
    use crate::wire::{Kind, Proto, summarize};

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
        assert!(icmp.matches("ICMP".parse::<Kind>().unwrap()));
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
            Tcpdump::default().line(&f, true),
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
            Tcpdump::default().line(&frame(7, data), false),
            "0.000007 IP6 ::1.45678 > ::1.9877: Flags [S], seq 1234567, win 65476, length 0"
        );
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
            Tcpdump::default().line(&ping, false),
            "0.000400 IP 192.0.2.1 > 192.0.2.2: ICMP echo request, id 7, seq 1, length 64"
        );
        let s = summarize(&ping).unwrap();
        assert_eq!(s.kind(), Kind::Icmp);
        assert!(s.matches(Kind::Icmp) && !s.matches(Kind::IcmpPortUnreachable));
        assert_eq!(s.icmp.unwrap().quoted, None);
    }

    #[test]
    fn fragments_print_as_tcpdump_n_prints_them() {
        assert_eq!(
            lines(&fragmented_udp(), false),
            [
                "0.000010 IP 192.0.2.1.45678 > 192.0.2.2.9877: UDP, length 3000",
                "0.000011 IP 192.0.2.1 > 192.0.2.2: ip-proto-17",
                "0.000012 IP 192.0.2.1 > 192.0.2.2: ip-proto-17",
            ]
        );
        let gre = frame(5, fragment(IpNumber::GRE, 0, false, &[0; 12]));
        assert_eq!(
            Tcpdump::default().line(&gre, false),
            "0.000005 IP 192.0.2.1 > 192.0.2.2: ip-proto-47 12"
        );
    }

    #[test]
    fn a_malformed_frame_gets_a_line_that_says_so_and_where_it_was_seen() {
        let mut cut = conversation()[3].data.clone();
        cut.truncate(40);
        assert_eq!(
            Tcpdump::default().line(&frame(1000, cut), false),
            "0.001000 malformed frame on client eth0: IPv4 packet cut short (26 of 46 bytes), \
             length 40"
        );
        assert_eq!(
            Tcpdump::default().line(&frame(0, vec![0xff; 3]), true),
            "N.NNNNNN malformed frame on client eth0: Ethernet 2 header cut short (3 of 14 bytes), \
             length 3"
        );
        let lldp = frame(0, ethernet(EtherType(0x88cc), &[0; 46]));
        assert_eq!(
            Tcpdump::default().line(&lldp, true),
            "N.NNNNNN frame on client eth0: not IP or ARP (ethertype 0x88cc), length 60"
        );
    }

    #[test]
    fn a_malformed_frame_between_segments_leaves_the_numbering_alone() {
        let mut frames = conversation()[..4].to_vec();
        let mut cut = frames[3].data.clone();
        cut.truncate(50);
        frames.insert(3, frame(500, cut));
        let lines = lines(&frames, false);
        assert!(lines[3].contains("malformed frame"), "{}", lines[3]);
        assert!(lines[4].contains("seq 1:7, ack 1,"), "{}", lines[4]);
    }
}

//! ICMP messages (v4 and v6) in words: what an error says could not be reached, the datagram
//! it quotes, and a ping's identifier and sequence number.

use std::net::IpAddr;

use etherparse::{
    Icmpv4Slice, Icmpv4Type, Icmpv6Slice, Icmpv6Type, LaxNetSlice, LaxSlicedPacket, TransportSlice,
    icmpv4, icmpv6,
};

use super::proto::{Proto, proto_of};

/// What an ICMP "destination unreachable" says could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreachable {
    Port,
    Host,
    Net,
}

/// The start of the datagram an ICMP error quotes: the datagram the error answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quoted {
    pub proto: Proto,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
}

/// An ICMP (v4 or v6) message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpInfo {
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

pub(super) fn icmpv4_info(icmp: &Icmpv4Slice) -> IcmpInfo {
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

pub(super) fn icmpv6_info(icmp: &Icmpv6Slice) -> IcmpInfo {
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

//! A captured frame and what it carried: the frame as the capture hands it over, and its
//! decoding into a `Summary` (addresses, ports, TCP flags and numbers, ICMP and ARP messages)
//! in the terms the lessons use.
//!
//! Headers are read through etherparse's slices, so no field is ever picked out of the bytes
//! by hand.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use etherparse::err::packet::SliceError;
use etherparse::{
    ArpOperation, ArpPacketSlice, Icmpv4Slice, Icmpv6Slice, IpNumber, IpPayloadSlice,
    Ipv6ExtensionSlice, NetSlice, SlicedPacket, TcpSlice, TransportSlice, UdpHeader, UdpSlice,
};

use super::icmp::{IcmpInfo, icmpv4_info, icmpv6_info};
use super::proto::Proto;

/// One frame captured on an interface of the run.
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

/// The TCP flags tcpdump shows. ECE and CWR are left out: no lesson uses ECN.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    /// The window as sent, not scaled: tcpdump shows it so too.
    pub window: u16,
}

/// An ARP message over Ethernet for IPv4 (the summary's src and dst hold its IP addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpInfo {
    pub request: bool,
    pub sender_mac: [u8; 6],
}

/// What one frame carried, in the terms the lessons use.
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
    /// the ARP message, for other IP protocols and later fragments the IP payload). For the
    /// first fragment of a UDP datagram, the whole datagram's data, as its header says.
    pub payload_len: usize,
    pub icmp: Option<IcmpInfo>,
    pub arp: Option<ArpInfo>,
}

/// Why a frame has no `Summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undecoded {
    /// A well-formed frame of a protocol the lessons never use, in words ("not IP or ARP
    /// (ethertype 0x88cc)").
    Foreign(String),
    /// A frame cut short, or with a header that contradicts itself: what is wrong, in words
    /// ("TCP header cut short (12 of 20 bytes)").
    Malformed(String),
}

/// Reads a frame's headers; `None` when it is neither IP nor ARP or is malformed.
pub fn summarize(f: &Frame) -> Option<Summary> {
    decode(f).ok()
}

/// Reads a frame's headers, or says why it cannot: no byte of any frame, however cut or
/// garbled, makes it panic.
pub fn decode(f: &Frame) -> Result<Summary, Undecoded> {
    let packet = SlicedPacket::from_ethernet(&f.data)
        .map_err(|error| Undecoded::Malformed(malformed(&error)))?;
    let Some(net) = packet.net.as_ref() else {
        let ether_type = packet.payload_ether_type().map_or(0, |t| t.0);
        return Err(Undecoded::Foreign(format!(
            "not IP or ARP (ethertype 0x{ether_type:04x})"
        )));
    };
    let transport = packet.transport.as_ref();
    match net {
        NetSlice::Arp(arp) => decode_arp(arp),
        NetSlice::Ipv4(ip) => {
            let header = ip.header();
            let ends = (
                header.source_addr().into(),
                header.destination_addr().into(),
            );
            let first = header.fragments_offset().value() == 0;
            Ok(decode_ip(ends, ip.payload(), first, transport))
        }
        NetSlice::Ipv6(ip) => {
            let header = ip.header();
            let ends = (
                header.source_addr().into(),
                header.destination_addr().into(),
            );
            // The offset is in the fragment header, one of the extension headers.
            let first = !ip.extensions().clone().into_iter().any(|ext| match ext {
                Ipv6ExtensionSlice::Fragment(frag) => frag.fragment_offset().value() != 0,
                _ => false,
            });
            Ok(decode_ip(ends, ip.payload(), first, transport))
        }
    }
}

/// What etherparse found wrong, in a few words for a tcpdump line: which header, and how
/// much of it was there.
fn malformed(error: &SliceError) -> String {
    let header = match error {
        SliceError::Len(len) => {
            return format!(
                "{} cut short ({} of {} bytes)",
                len.layer, len.len, len.required_len
            );
        }
        SliceError::LinuxSll(_) => "Linux cooked header",
        SliceError::Macsec(_) => "MACsec header",
        SliceError::Ip(_) => "IP header",
        SliceError::Ipv4(_) => "IPv4 header",
        SliceError::Ipv6(_) => "IPv6 header",
        SliceError::Ipv4Exts(_) => "IPv4 extension header",
        SliceError::Ipv6Exts(_) => "IPv6 extension header",
        SliceError::Tcp(_) => "TCP header",
    };
    format!("bad {header}")
}

fn decode_arp(arp: &ArpPacketSlice) -> Result<Summary, Undecoded> {
    // Only ARP for IPv4 over Ethernet exists in a run; anything else is not worth a line.
    let Ok(arp4) = arp.to_packet().try_eth_ipv4() else {
        return Err(Undecoded::Foreign(
            "ARP, not for IPv4 over Ethernet".to_string(),
        ));
    };
    Ok(Summary {
        arp: Some(ArpInfo {
            request: arp4.operation == ArpOperation::REQUEST,
            sender_mac: arp4.sender_mac,
        }),
        ..Summary::new(
            Proto::Arp,
            (
                Ipv4Addr::from(arp4.sender_ipv4).into(),
                Ipv4Addr::from(arp4.target_ipv4).into(),
            ),
            arp.slice().len(),
        )
    })
}

/// An IP datagram, or a fragment of one. etherparse reads no transport header in a fragment,
/// so the first fragment's is read here, as tcpdump does; a later fragment has none.
fn decode_ip(
    ends: (IpAddr, IpAddr),
    payload: &IpPayloadSlice,
    first: bool,
    transport: Option<&TransportSlice>,
) -> Summary {
    let number = payload.ip_number.0;
    let mut s = Summary::new(Proto::Other(number), ends, payload.payload.len());
    if !payload.fragmented {
        read_transport(&mut s, transport);
    } else if first {
        read_transport(&mut s, first_fragment_transport(payload).as_ref());
        // A UDP datagram's length is in its header; the fragment holds only part of it.
        if let (Proto::Udp, Ok(udp)) = (s.proto, UdpSlice::from_slice_lax(payload.payload)) {
            s.payload_len = usize::from(udp.length()).saturating_sub(UdpHeader::LEN);
        }
    } else {
        s.proto = Proto::Fragment(number);
    }
    s
}

/// The transport header at the start of a first fragment, read as much as it is there.
fn first_fragment_transport<'a>(payload: &IpPayloadSlice<'a>) -> Option<TransportSlice<'a>> {
    let data = payload.payload;
    match payload.ip_number {
        IpNumber::TCP => TcpSlice::from_slice(data).ok().map(TransportSlice::Tcp),
        IpNumber::UDP => UdpSlice::from_slice_lax(data).ok().map(TransportSlice::Udp),
        IpNumber::ICMP => Icmpv4Slice::from_slice(data)
            .ok()
            .map(TransportSlice::Icmpv4),
        IpNumber::IPV6_ICMP => Icmpv6Slice::from_slice(data)
            .ok()
            .map(TransportSlice::Icmpv6),
        _ => None,
    }
}

fn read_transport(s: &mut Summary, transport: Option<&TransportSlice>) {
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
        // IGMP and the rest stay `Other`, shown by their protocol number.
        _ => {}
    }
}

impl Summary {
    /// The two ends a frame runs between, as a diagram draws it: sender and receiver with their
    /// ports; an ICMP error between the ends of the datagram it answers, when those are its own
    /// ends. None for ARP and other frames that belong to no connection.
    pub fn ends(&self) -> Option<(SocketAddr, SocketAddr)> {
        let host = |ip: IpAddr| SocketAddr::new(ip, 0);
        match self.proto {
            Proto::Tcp | Proto::Udp => Some((
                SocketAddr::new(self.src, self.src_port?),
                SocketAddr::new(self.dst, self.dst_port?),
            )),
            Proto::Icmp | Proto::Icmp6 => {
                // An ICMP error goes in the columns of the datagram it answers: from where that
                // datagram was going back to where it came from, when those are its own ends.
                let Some(q) = self.icmp.as_ref().and_then(|i| i.quoted.as_ref()) else {
                    return Some((host(self.src), host(self.dst)));
                };
                let from = match q.dst_port {
                    Some(port) if q.dst == self.src => SocketAddr::new(q.dst, port),
                    _ => host(self.src),
                };
                let to = match q.src_port {
                    Some(port) if q.src == self.dst => SocketAddr::new(q.src, port),
                    _ => host(self.dst),
                };
                Some((from, to))
            }
            Proto::Arp | Proto::Other(_) | Proto::Fragment(_) => None,
        }
    }

    /// A summary of a frame with no ports, TCP, ICMP or ARP details yet.
    fn new(proto: Proto, (src, dst): (IpAddr, IpAddr), payload_len: usize) -> Summary {
        Summary {
            proto,
            src,
            dst,
            src_port: None,
            dst_port: None,
            tcp: None,
            payload_len,
            icmp: None,
            arp: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use etherparse::EtherType;

    use super::*;
    use crate::wire::testing::*;

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
    fn a_udp_datagram_is_read_with_its_ports_and_length() {
        let s = decode(&udp_and_port_unreachable()[0]).unwrap();
        assert_eq!(s.proto, Proto::Udp);
        assert_eq!((s.src_port, s.dst_port), (Some(CPORT), Some(SPORT)));
        assert_eq!(s.payload_len, b"hello".len());
        assert_eq!((s.tcp, s.icmp, s.arp), (None, None, None));
    }

    #[test]
    fn the_first_fragment_carries_the_ports_and_the_whole_datagrams_length() {
        let frames = fragmented_udp();
        let first = decode(&frames[0]).unwrap();
        assert_eq!(first.proto, Proto::Udp);
        assert_eq!((first.src_port, first.dst_port), (Some(CPORT), Some(SPORT)));
        assert_eq!(first.payload_len, 3000);
        for later in &frames[1..] {
            let s = decode(later).unwrap();
            assert_eq!(s.proto, Proto::Fragment(17));
            assert_eq!((s.src_port, s.dst_port), (None, None));
            assert_eq!((s.src, s.dst), (IpAddr::from(CLIENT), IpAddr::from(SERVER)));
        }
    }

    #[test]
    fn a_protocol_the_lessons_do_not_read_is_kept_by_its_number() {
        let s = decode(&frame(0, fragment(IpNumber::GRE, 0, false, &[0; 12]))).unwrap();
        assert_eq!((s.proto, s.payload_len), (Proto::Other(47), 12));
    }

    #[test]
    fn cut_frames_say_which_header_was_cut_and_by_how_much() {
        let malformed = |data: Vec<u8>| match decode(&frame(0, data)) {
            Err(Undecoded::Malformed(what)) => what,
            other => panic!("not malformed: {other:?}"),
        };
        assert_eq!(
            malformed(vec![0; 10]),
            "Ethernet 2 header cut short (10 of 14 bytes)"
        );
        let mut syn = conversation()[0].data.clone();
        syn.truncate(14 + 20 + 12);
        assert_eq!(malformed(syn), "IPv4 packet cut short (32 of 40 bytes)");
        let short_tcp = fragment(IpNumber::TCP, 0, false, &[0; 12]);
        assert_eq!(
            malformed(short_tcp),
            "TCP header cut short (12 of 20 bytes)"
        );
        // Version 1 in the version field: no IPv4 header at all.
        assert_eq!(
            malformed(ethernet(EtherType::IPV4, &[0x15; 40])),
            "bad IPv4 header"
        );
    }

    #[test]
    fn a_frame_of_another_protocol_is_foreign_not_malformed() {
        let lldp = ethernet(EtherType(0x88cc), &[0; 46]);
        assert_eq!(
            decode(&frame(0, lldp)),
            Err(Undecoded::Foreign(
                "not IP or ARP (ethertype 0x88cc)".to_string()
            ))
        );
    }
}

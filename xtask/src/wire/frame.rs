//! A captured frame and what it carried: the frame as the capture hands it over, and its
//! decoding into a `Summary` (addresses, ports, TCP flags and numbers, ICMP and ARP messages)
//! in the terms the lessons use.
//!
//! Headers are read through etherparse's slices, so no field is ever picked out of the bytes
//! by hand.

use std::net::{IpAddr, Ipv4Addr};

use etherparse::{
    ArpOperation, ArpPacketSlice, IpNumber, NetSlice, SlicedPacket, TcpSlice, TransportSlice,
};

use super::icmp::{IcmpInfo, icmpv4_info, icmpv6_info};

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

/// The protocol a frame carries, as far as the lessons care.
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
    /// the ARP message, for other IP protocols the IP payload).
    pub payload_len: usize,
    pub icmp: Option<IcmpInfo>,
    pub arp: Option<ArpInfo>,
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

pub(super) fn proto_of(ip_number: IpNumber) -> Proto {
    match ip_number {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        IpNumber::ICMP => Proto::Icmp,
        IpNumber::IPV6_ICMP => Proto::Icmp6,
        _ => Proto::Other,
    }
}

#[cfg(test)]
mod tests {
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
}

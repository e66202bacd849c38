//! Hand-built frames for the wire's tests, made with etherparse's builder: a client and a
//! server, a whole TCP conversation, a UDP datagram and the ICMP error answering it, a UDP
//! datagram too big for one frame, and frames of no protocol the lessons read.

use std::time::Duration;

use etherparse::{
    ArpEthIpv4Packet, ArpOperation, EtherType, Ethernet2Header, Icmpv4Type, IpFragOffset, IpNumber,
    Ipv4Header, PacketBuilder, UdpHeader, icmpv4,
};

use super::{Frame, Tcpdump};

pub(crate) const CLIENT: [u8; 4] = [192, 0, 2, 1];
pub(crate) const SERVER: [u8; 4] = [192, 0, 2, 2];
pub(crate) const CPORT: u16 = 45678;
pub(crate) const SPORT: u16 = 9877;
pub(crate) const CISN: u32 = 1_234_567;
pub(crate) const SISN: u32 = 7_654_321;

pub(crate) fn frame(micros: u64, data: Vec<u8>) -> Frame {
    Frame {
        time: Duration::from_micros(micros),
        host: "client".to_string(),
        iface: "eth0".to_string(),
        data,
    }
}

/// A TCP segment; `flags` holds tcpdump's letters (S, F, R, P) and `ack` sets ACK.
#[allow(
    clippy::too_many_arguments,
    reason = "a segment is written as tcpdump reads it: time, ends, flags, numbers, window, data"
)]
pub(crate) fn tcp(
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

pub(crate) const C: ([u8; 4], u16) = (CLIENT, CPORT);
pub(crate) const S: ([u8; 4], u16) = (SERVER, SPORT);

/// A connection's life: handshake, "hello\n" and its echo, the client's close.
pub(crate) fn conversation() -> Vec<Frame> {
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

pub(crate) fn lines(frames: &[Frame], stable: bool) -> Vec<String> {
    let mut tcpdump = Tcpdump::default();
    frames.iter().map(|f| tcpdump.line(f, stable)).collect()
}

/// A UDP datagram to a closed port and the ICMP port unreachable answering it.
pub(crate) fn udp_and_port_unreachable() -> Vec<Frame> {
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

/// An Ethernet frame (all-zero addresses, as on lo) of `ether_type` carrying `payload`.
pub(crate) fn ethernet(ether_type: EtherType, payload: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    Ethernet2Header {
        source: [0; 6],
        destination: [0; 6],
        ether_type,
    }
    .write(&mut data)
    .unwrap();
    data.extend_from_slice(payload);
    data
}

/// One IPv4 fragment from the client to the server of a datagram of protocol `ip_number`:
/// `payload` is its part of the datagram, starting `offset` bytes in (a multiple of 8).
pub(crate) fn fragment(ip_number: IpNumber, offset: u16, more: bool, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).unwrap();
    let mut ip = Ipv4Header::new(len, 64, ip_number, CLIENT, SERVER).unwrap();
    ip.identification = 4242;
    ip.more_fragments = more;
    ip.fragment_offset = IpFragOffset::try_new(offset / 8).unwrap();
    let mut data = Vec::new();
    ip.write(&mut data).unwrap();
    data.extend_from_slice(payload);
    ethernet(EtherType::IPV4, &data)
}

/// A UDP datagram of 3000 bytes from the client to the server, cut in three fragments as on
/// an Ethernet of MTU 1500: 1480 bytes of datagram (its header and 1472 of data), 1480, 48.
pub(crate) fn fragmented_udp() -> Vec<Frame> {
    let data = [7u8; 3000];
    let mut datagram = Vec::new();
    UdpHeader::without_ipv4_checksum(CPORT, SPORT, data.len())
        .unwrap()
        .write(&mut datagram)
        .unwrap();
    datagram.extend_from_slice(&data);
    let parts = [
        (0, 1480, true),
        (1480, 2960, true),
        (2960, datagram.len(), false),
    ];
    parts
        .iter()
        .zip(10..)
        .map(|((start, end, more), micros)| {
            let offset = u16::try_from(*start).unwrap();
            frame(
                micros,
                fragment(IpNumber::UDP, offset, *more, &datagram[*start..*end]),
            )
        })
        .collect()
}

/// One frame of each other kind a run shows: an ARP request, a ping, an IPv6 SYN, and a
/// router's ICMP host unreachable quoting only the IP header and 8 bytes of a SYN.
pub(crate) fn others() -> Vec<Frame> {
    let mut arp = Vec::new();
    let request = ArpEthIpv4Packet {
        operation: ArpOperation::REQUEST,
        sender_mac: [2, 0, 0, 0, 0, 1],
        sender_ipv4: CLIENT,
        target_mac: [0; 6],
        target_ipv4: SERVER,
    };
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [0xff; 6])
        .arp(request.into())
        .write(&mut arp)
        .unwrap();
    let mut ping = Vec::new();
    PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv4(CLIENT, SERVER, 64)
        .icmpv4_echo_request(7, 1)
        .write(&mut ping, &[0; 56])
        .unwrap();
    let lo = std::net::Ipv6Addr::LOCALHOST.octets();
    let mut syn6 = Vec::new();
    PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv6(lo, lo, 64)
        .tcp(CPORT, SPORT, CISN, 65476)
        .syn()
        .write(&mut syn6, b"")
        .unwrap();
    let mut quoted = Vec::new();
    PacketBuilder::ipv4(CLIENT, [192, 0, 2, 200], 64)
        .tcp(CPORT, SPORT, CISN, 64240)
        .syn()
        .write(&mut quoted, b"")
        .unwrap();
    quoted.truncate(20 + 8);
    let mut unreachable = Vec::new();
    PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv4([192, 0, 2, 254], CLIENT, 64)
        .icmpv4(Icmpv4Type::DestinationUnreachable(
            icmpv4::DestUnreachableHeader::Host,
        ))
        .write(&mut unreachable, &quoted)
        .unwrap();
    [arp, ping, syn6, unreachable]
        .into_iter()
        .map(|data| frame(0, data))
        .collect()
}

//! Hostile input never panics: the decoder, the tcpdump line and the diagram are fed arbitrary
//! bytes and real frames cut short or garbled, and must give every frame a line of its own.
//!
//! Random bytes seldom get past the Ethernet header, so most cases start from the hand-built
//! frames of `testing` (TCP, UDP, ICMP, ARP, IPv6, fragments) and cut or overwrite them: that
//! is what reaches the IP, TCP and ICMP readers with lengths and fields that disagree.

use proptest::prelude::*;

use super::testing::*;
use super::{Frame, Tcpdump, decode, diagram};

/// Every hand-built frame the tests know, as seeds for garbling.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Frame> = conversation();
    seeds.extend(udp_and_port_unreachable());
    seeds.extend(fragmented_udp());
    seeds.extend(others());
    seeds.into_iter().map(|f| f.data).collect()
}

/// One seed, cut at `cut` (a fraction of its length) and with some bytes overwritten.
fn garbled() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds();
    let n = seeds.len();
    (
        0..n,
        0.0..=1.0f64,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
    )
        .prop_map(move |(i, cut, writes)| {
            let mut data = seeds[i].clone();
            data.truncate((data.len() as f64 * cut).round() as usize);
            if !data.is_empty() {
                for (at, byte) in writes {
                    let at = at.index(data.len());
                    data[at] = byte;
                }
            }
            data
        })
}

/// A frame's bytes: half of the time anything at all, half of the time a garbled real one.
fn any_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..120), garbled()]
}

/// The frames a step could hold, in time order as the capture hands them over.
fn frames(data: Vec<Vec<u8>>) -> Vec<Frame> {
    data.into_iter()
        .zip(0..)
        .map(|(data, micros)| frame(micros * 10, data))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_frame_decodes_or_says_why(data in any_frame()) {
        let f = frame(0, data);
        let _ = decode(&f);
        let line = Tcpdump::default().line(&f, false);
        prop_assert!(line.starts_with("0.000000 "), "{line}");
        prop_assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn every_frame_of_a_step_gets_its_line_and_the_diagram_stays_in_its_width(
        data in prop::collection::vec(any_frame(), 0..12),
        width in 0usize..120,
    ) {
        let frames = frames(data);
        let mut tcpdump = Tcpdump::default();
        let lines: Vec<String> = frames.iter().map(|f| tcpdump.line(f, true)).collect();
        prop_assert_eq!(lines.len(), frames.len());
        let drawn = diagram(&frames, true, width);
        // More than four endpoints fall back to the tcpdump lines, which have no width.
        if drawn != lines {
            for line in drawn {
                prop_assert!(line.chars().count() <= width.max(40), "{line:?}");
            }
        }
    }
}

//! The time-sequence diagram's layout, checked without a browser: an arrow per packet, labels
//! that never overlap, states where they change, breaks for long waits, RSTs and
//! retransmissions told apart.

use super::*;
use crate::picture::overlapping;
use crate::wire::testing::{C, CISN, S, SISN, conversation, tcp, udp_and_port_unreachable};

fn layout(frames: &[Frame]) -> TimelineLayout {
    let none = Snapshot::default();
    let mut names = Names::new(true);
    timeline_layout(
        frames,
        (&none, &none),
        &mut Numbering::default(),
        &mut names,
    )
    .unwrap()
}

#[test]
fn an_arrow_per_packet_and_no_label_over_another() {
    let frames = conversation();
    let l = layout(&frames);
    assert_eq!(l.arrows.len(), frames.len());
    assert_eq!(overlapping(&l.labels()), Vec::<(String, String)>::new());
    // Time goes down: each arrow starts below the one before.
    assert!(l.arrows.windows(2).all(|w| w[1].from.1 > w[0].from.1));
}

#[test]
fn the_handshake_reads_as_figure_2_5() {
    let l = layout(&conversation());
    let labels: Vec<&str> = l.arrows.iter().map(|a| a.label.text.as_str()).collect();
    assert_eq!(labels[0], "SYN seq 0");
    assert_eq!(labels[1], "SYN,ACK seq 0 ack 1");
    assert_eq!(labels[2], "ACK ack 1");
    assert_eq!(labels[3], "data seq 1:7 ack 1, 6 bytes");
    let states: Vec<&str> = l
        .notes
        .iter()
        .filter(|n| n.class == "state")
        .map(|n| n.text.as_str())
        .collect();
    for state in [
        "SYN_SENT",
        "SYN_RCVD",
        "ESTABLISHED",
        "FIN_WAIT_1",
        "CLOSE_WAIT",
    ] {
        assert!(states.contains(&state), "{state} missing from {states:?}");
    }
    assert!(states.contains(&"TIME_WAIT"), "{states:?}");
    assert!(states.contains(&"CLOSED"), "{states:?}");
}

/// A lost line: sent, then sent again after waits that double, as ch5-host-crash shows.
#[test]
fn retransmissions_stand_out_and_long_waits_are_broken_with_growing_gaps() {
    let mut frames = conversation()[..3].to_vec();
    let mut at = 1_000_000;
    let mut wait = 200_000;
    for _ in 0..6 {
        frames.push(tcp(at, C, S, "P", CISN + 1, Some(SISN + 1), 502, b"lost\n"));
        at += wait;
        wait *= 2;
    }
    let l = layout(&frames);
    let again = l.arrows.iter().filter(|a| a.class.contains("retx")).count();
    assert_eq!(again, 5);
    let ys: Vec<f64> = l.arrows[3..].iter().map(|a| a.from.1).collect();
    let gaps: Vec<f64> = ys.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.windows(2).all(|g| g[1] > g[0]),
        "gaps must grow: {gaps:?}"
    );
    assert!(!l.breaks.is_empty(), "waits over a second are broken");
    assert_eq!(overlapping(&l.labels()), Vec::<(String, String)>::new());
}

#[test]
fn a_reset_and_an_icmp_error_are_marked() {
    let mut frames = conversation()[..3].to_vec();
    frames.push(tcp(5000, S, C, "R", SISN + 1, None, 0, b""));
    let l = layout(&frames);
    assert!(l.arrows[3].class.contains("rst"));
    assert!(l.arrows[3].label.text.starts_with("RST"));
    let l = layout(&udp_and_port_unreachable());
    assert!(l.arrows.iter().any(|a| a.class.contains("icmp")));
}

#[test]
fn the_svg_has_an_arrow_element_per_packet() {
    let none = Snapshot::default();
    let frames = conversation();
    let mut names = Names::new(true);
    let svg = timeline(
        &frames,
        (&none, &none),
        &mut Numbering::default(),
        &mut names,
    )
    .unwrap();
    assert_eq!(svg.matches("<line class=\"arrow").count(), frames.len());
    assert!(svg.starts_with("<svg"));
}

#[test]
fn the_structure_leaves_out_times_coordinates_and_placeholder_numbers() {
    let none = Snapshot::default();
    let mut frames = conversation();
    let draw = |frames: &[Frame]| {
        let mut names = Names::new(true);
        let n = &mut Numbering::default();
        crate::picture::structure(&timeline(frames, (&none, &none), n, &mut names).unwrap())
    };
    let first = draw(&frames);
    for f in &mut frames {
        f.time *= 3;
    }
    assert_eq!(draw(&frames), first);
    assert!(first.iter().all(|e| !e.contains("x1=")));
    frames.pop();
    assert_ne!(draw(&frames[..6]), first);
}

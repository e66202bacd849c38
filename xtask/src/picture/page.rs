//! A run as one self-contained HTML page (`cargo xtask run LESSON --html FILE`): each step's
//! narration, action, output, its packets as a time-sequence diagram, the process figure on
//! the steps that ask for it, the ps and netstat tables (rows new, gone and changed since the
//! step before marked +, - and ~, in colour and as the symbol), and the checks.
//!
//! Nothing is fetched: the style sheet and the script are in the page, the fonts are the
//! reader's own. The arrow keys (or j and k) go from step to step, for presenting in class;
//! the page prints one step after another; it follows the reader's light or dark theme.
//! Opened with `#selftest`, the page checks its own pictures (arrows against packets, labels
//! that overlap, errors) and writes what it found into the page, for the browser tests.

use std::fmt::Write as _;

use super::{Names, Numbering, StepData, processes, timeline};
use crate::kernel::Snapshot;
use crate::play::{Report, Verdict};

/// What the page is made from.
pub struct Page<'a> {
    pub lesson: &'a str,
    /// The lesson's title and its section of the book.
    pub title: &'a str,
    pub section: &'a str,
    pub steps: &'a [StepData],
    pub report: &'a Report,
    /// PIDs and ephemeral ports as placeholders.
    pub stable: bool,
}

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The whole page, as HTML.
pub fn page(p: &Page) -> String {
    let mut html = String::new();
    let title = format!("{} · {} · UNP §{}", p.lesson, p.title, p.section);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<header><h1>{}</h1>\n\
         <p class=\"hint\">← → (or j, k): step by step · Home, End: first and last step</p>\n\
         <p class=\"outcome\">The run {}.</p></header>\n<main>\n",
        esc(&title),
        esc(&title),
        esc(&p.report.outcome)
    );
    let mut numbering = Numbering::default();
    let mut names = Names::new(p.stable);
    let empty = Snapshot::default();
    for (i, step) in p.steps.iter().enumerate() {
        let before = if i == 0 { &empty } else { &p.steps[i - 1].snap };
        let pictures = (&mut numbering, &mut names);
        html.push_str(&section(p, step, before, pictures));
    }
    let _ = write!(
        html,
        "</main>\n<pre id=\"selftest\" hidden></pre>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    html
}

/// One step's section.
fn section(
    p: &Page,
    step: &StepData,
    before: &Snapshot,
    (numbering, names): (&mut Numbering, &mut Names),
) -> String {
    let total = p.steps.len();
    let timeline = timeline(&step.frames, (before, &step.snap), numbering, names);
    let drawn = timeline.as_ref().map_or(0, |_| drawable(&step.frames));
    let mut html = format!(
        "<section class=\"step\" id=\"step-{n}\" data-packets=\"{drawn}\">\n\
         <h2>Step {n} of {total}</h2>\n",
        n = step.n
    );
    for para in step.say.split("\n\n") {
        let _ = writeln!(html, "<p class=\"say\">{}</p>", esc(para));
    }
    for action in &step.action {
        let _ = writeln!(html, "<p class=\"action\"><code>{}</code></p>", esc(action));
    }
    if !step.output.is_empty() {
        html.push_str("<pre class=\"output\">");
        for (who, line) in &step.output {
            let _ = writeln!(html, "<b>{}</b> | {}", esc(who), esc(line));
        }
        html.push_str("</pre>\n");
    }
    let mut figures = String::new();
    if let Some(svg) = timeline {
        let caption = format!("The step's {drawn} packets, time going down.");
        figures.push_str(&figure(&svg, &caption));
    }
    if step.picture {
        if let Some(svg) = processes(&step.snap, names) {
            let caption = "The processes and their sockets after the step, as in §4.8's figures.";
            figures.push_str(&figure(&svg, caption));
        }
    }
    if !figures.is_empty() {
        let _ = writeln!(html, "<div class=\"figures\">{figures}</div>");
    }
    html.push_str(&tables(before, &step.snap, names));
    html.push_str(&checks(p.report, step.n));
    html.push_str("</section>\n");
    html
}

/// How many of the frames the diagram draws an arrow for (not ARP, nor what cannot be read).
pub fn drawable(frames: &[crate::wire::Frame]) -> usize {
    use crate::wire::{Proto, summarize};
    let drawn = |f: &&crate::wire::Frame| {
        summarize(f).is_some_and(|s| {
            matches!(
                s.proto,
                Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmp6
            )
        })
    };
    frames.iter().filter(drawn).count()
}

fn figure(svg: &str, caption: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
        esc(caption)
    )
}

/// The step's checks, ✓ or ✗, from the run's report.
fn checks(report: &Report, n: usize) -> String {
    let Some(step) = report.steps.iter().find(|s| s.step == n) else {
        return String::new();
    };
    let mut html = String::from("<ul class=\"checks\">\n");
    if let Some(why) = &step.not_played {
        let _ = writeln!(html, "<li class=\"failed\">not played: {}</li>", esc(why));
    }
    for c in &step.checks {
        let (class, mark) = match c.verdict {
            Verdict::Held => ("held", "✓"),
            Verdict::Failed => ("failed", "✗"),
            Verdict::NotRun => ("notrun", "–"),
        };
        let _ = writeln!(
            html,
            "<li class=\"{class}\"><span class=\"mark\">{mark}</span> {}</li>",
            esc(&c.words())
        );
    }
    html.push_str("</ul>\n");
    html
}

/// The ps and netstat tables, each row marked against the step before.
fn tables(before: &Snapshot, now: &Snapshot, names: &mut Names) -> String {
    let mut procs = Vec::new();
    for p in &now.procs {
        let old = before.procs.iter().find(|o| o.pid == p.pid);
        let mark = match old {
            None => Mark::New,
            Some(o) if (o.state, &o.command) != (p.state, &p.command) => Mark::Changed,
            Some(_) => Mark::Same,
        };
        procs.push((mark, proc_cells(p, names)));
    }
    for p in before
        .procs
        .iter()
        .filter(|o| !now.procs.iter().any(|p| p.pid == o.pid))
    {
        procs.push((Mark::Gone, proc_cells(p, names)));
    }
    let mut socks = Vec::new();
    let same = |a: &crate::kernel::SockRow, b: &crate::kernel::SockRow| {
        (a.proto, a.local, a.foreign, a.inode) == (b.proto, b.local, b.foreign, b.inode)
    };
    for s in &now.socks {
        let mark = match before.socks.iter().find(|o| same(o, s)) {
            None => Mark::New,
            Some(o) if o.state != s.state => Mark::Changed,
            Some(_) => Mark::Same,
        };
        socks.push((mark, sock_cells(s, names)));
    }
    for s in before
        .socks
        .iter()
        .filter(|o| !now.socks.iter().any(|s| same(o, s)))
    {
        socks.push((Mark::Gone, sock_cells(s, names)));
    }
    let ps = ["PID", "PPID", "STAT", "WCHAN", "COMMAND"];
    let netstat = [
        "Proto",
        "Recv-Q",
        "Send-Q",
        "Local",
        "Foreign",
        "State",
        "PID/Program",
    ];
    let mut html = String::from("<div class=\"tables\">\n");
    if !procs.is_empty() {
        html.push_str(&table(&ps, &procs));
    }
    if !socks.is_empty() {
        html.push_str(&table(&netstat, &socks));
    }
    html.push_str("</div>\n");
    html
}

#[derive(Clone, Copy)]
enum Mark {
    New,
    Gone,
    Changed,
    Same,
}

fn proc_cells(p: &crate::kernel::ProcRow, names: &mut Names) -> Vec<String> {
    vec![
        names.pid(p.pid),
        names.pid(p.ppid),
        p.state.to_string(),
        p.wchan.clone(),
        p.command.clone(),
    ]
}

fn sock_cells(s: &crate::kernel::SockRow, names: &mut Names) -> Vec<String> {
    let owner = match &s.owner {
        Some((pid, program)) => format!("{}/{program}", names.pid(*pid)),
        None => "-".to_string(),
    };
    vec![
        s.proto.to_string(),
        s.recv_q.to_string(),
        s.send_q.to_string(),
        names.addr(s.local),
        names.addr(s.foreign),
        s.state.to_string(),
        owner,
    ]
}

fn table(head: &[&str], rows: &[(Mark, Vec<String>)]) -> String {
    let mut html = String::from("<table>\n<thead><tr><th class=\"mark\"></th>");
    for h in head {
        let _ = write!(html, "<th>{h}</th>");
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for (mark, cells) in rows {
        let (class, symbol, title) = match mark {
            Mark::New => ("new", "+", "new since the step before"),
            Mark::Gone => ("gone", "-", "gone since the step before"),
            Mark::Changed => ("changed", "~", "changed since the step before"),
            Mark::Same => ("same", "", ""),
        };
        let _ = write!(
            html,
            "<tr class=\"{class}\"><td class=\"mark\" title=\"{title}\">{symbol}</td>"
        );
        for c in cells {
            let _ = write!(html, "<td>{}</td>", esc(c));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// Text made safe to put in HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! Writing the pictures: the few SVG elements they are made of (text, lines, boxes, circles),
//! built with the `svg` crate, which escapes text and writes attributes, and the one style sheet
//! every picture carries, with a light and a dark theme (prefers-color-scheme) and print rules.
//!
//! The layout (timeline.rs, processes.rs) decides where things go; this file only writes them.
//! Every element gets a class, which the style sheet colours and the browser tests count.

use svg::Document;
use svg::node::element::{
    Circle, Definitions, Group, Line, Marker, Path, Rectangle, Style, Text, Title,
};

/// The font every picture is written in: a monospace one from the reader's machine, so that no
/// font is fetched and widths can be estimated from the number of characters.
pub const FONT_SIZE: f64 = 13.0;
/// The width of one character at `FONT_SIZE` (monospace fonts are about 0.6 em wide).
pub const CHAR_WIDTH: f64 = 7.9;

/// The estimated width of a line of text: what the layout reserves for it.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// The colours as CSS variables, so that the light and the dark theme differ in one place.
const STYLE: &str = "
svg.unp { --fg: #1b1b1b; --muted: #5c5c5c; --rail: #8a8a8a; --bg: #ffffff; --syn: #1f5fbf;
  --data: #1b1b1b; --fin: #6a3fb5; --rst: #c4161c; --icmp: #b35900; --retx: #a0522d;
  --box: #f4f4f4; --zombie: #9a9a9a; --conn: #2e7d32;
  font-family: ui-monospace, DejaVu Sans Mono, Menlo, Consolas, monospace; font-size: 13px; }
@media (prefers-color-scheme: dark) {
  svg.unp { --fg: #e8e8e8; --muted: #b0b0b0; --rail: #8c8c8c; --bg: #161616; --syn: #7fb2ff;
    --data: #e8e8e8; --fin: #c7a6ff; --rst: #ff6b6b; --icmp: #ffab57; --retx: #e3a36f;
    --box: #262626; --zombie: #8a8a8a; --conn: #7ed67f; }
}
svg.unp .bg { fill: var(--bg); }
svg.unp text { fill: var(--fg); }
svg.unp text.muted, svg.unp text.wchan, svg.unp text.time,
  svg.unp text.fdname { fill: var(--muted); }
svg.unp text.state { fill: var(--conn); font-style: italic; }
svg.unp .rail { stroke: var(--rail); stroke-width: 1.5; }
svg.unp .break { stroke: var(--rail); fill: var(--bg); stroke-width: 1.5; }
svg.unp line.arrow { stroke: var(--data); stroke-width: 1.6; }
svg.unp line.arrow.syn { stroke: var(--syn); }
svg.unp line.arrow.fin { stroke: var(--fin); }
svg.unp line.arrow.rst { stroke: var(--rst); stroke-width: 3; }
svg.unp line.arrow.icmp { stroke: var(--icmp); stroke-width: 2.5; stroke-dasharray: 7 4; }
svg.unp line.arrow.retx { stroke: var(--retx); stroke-dasharray: 5 4; }
svg.unp text.label.rst, svg.unp text.label.icmp { font-weight: bold; }
svg.unp text.label.rst { fill: var(--rst); }
svg.unp text.label.icmp { fill: var(--icmp); }
svg.unp text.label.retx { fill: var(--retx); }
svg.unp .head { fill: var(--fg); }
svg.unp rect.proc { fill: var(--box); stroke: var(--fg); stroke-width: 1.5; }
svg.unp rect.proc.zombie { stroke: var(--zombie); stroke-dasharray: 6 4; }
svg.unp text.zombie { fill: var(--zombie); }
svg.unp circle.sock { fill: var(--bg); stroke: var(--fg); stroke-width: 2; }
svg.unp line.conn { stroke: var(--conn); stroke-width: 2.5; }
svg.unp line.fork { stroke: var(--muted); stroke-width: 1.2; stroke-dasharray: 3 3; }
";

/// A picture of `width` by `height`, with its title (read aloud by screen readers, shown as a
/// tooltip), the style sheet, the arrow heads, and `body`. `kind` is a class of its own
/// ("timeline", "processes") that the page and the browser tests find it by.
pub fn document(kind: &str, title: &str, size: (f64, f64), body: Group) -> String {
    let (width, height) = (size.0.ceil(), size.1.ceil());
    let doc = Document::new()
        .set("class", format!("unp {kind}"))
        .set("viewBox", (0, 0, width, height))
        .set("width", width)
        .set("height", height)
        .set("role", "img")
        .add(Title::new(title))
        .add(Style::new(STYLE))
        .add(heads())
        .add(rect("bg", (0.0, 0.0), (width, height)))
        .add(body);
    doc.to_string()
}

/// Arrow heads, one per colour: an SVG marker takes its colour from its own fill, not from
/// the line that uses it.
fn heads() -> Definitions {
    let mut defs = Definitions::new();
    for kind in ["plain", "syn", "fin", "rst", "icmp", "retx"] {
        let colour = match kind {
            "plain" => "var(--data)".to_string(),
            other => format!("var(--{other})"),
        };
        let head = Path::new()
            .set("d", "M0,0 L10,5 L0,10 z")
            .set("style", format!("fill: {colour}"));
        defs = defs.add(
            Marker::new()
                .set("id", format!("head-{kind}"))
                .set("viewBox", (0, 0, 10, 10))
                .set("refX", 10)
                .set("refY", 5)
                // In the picture's units, so that a thick line (an RST) keeps a head of the
                // same size as the others.
                .set("markerUnits", "userSpaceOnUse")
                .set("markerWidth", 11)
                .set("markerHeight", 11)
                .set("orient", "auto-start-reverse")
                .add(head),
        );
    }
    defs
}

/// Text starting (or, with `anchor` "middle" or "end", centred or ending) at `at`, on the
/// baseline.
pub fn text(class: &str, at: (f64, f64), anchor: &str, content: &str) -> Text {
    Text::new(content)
        .set("class", class)
        .set("x", round(at.0))
        .set("y", round(at.1))
        .set("text-anchor", anchor)
}

/// A line from `a` to `b`.
pub fn line(class: &str, a: (f64, f64), b: (f64, f64)) -> Line {
    Line::new()
        .set("class", class)
        .set("x1", round(a.0))
        .set("y1", round(a.1))
        .set("x2", round(b.0))
        .set("y2", round(b.1))
}

/// An arrow from `a` to `b`, its head one of `heads()`'s.
pub fn arrow(class: &str, head: &str, a: (f64, f64), b: (f64, f64)) -> Line {
    line(class, a, b).set("marker-end", format!("url(#head-{head})"))
}

pub fn rect(class: &str, at: (f64, f64), size: (f64, f64)) -> Rectangle {
    Rectangle::new()
        .set("class", class)
        .set("x", round(at.0))
        .set("y", round(at.1))
        .set("width", round(size.0))
        .set("height", round(size.1))
        .set("rx", 4)
}

pub fn circle(class: &str, at: (f64, f64), r: f64) -> Circle {
    Circle::new()
        .set("class", class)
        .set("cx", round(at.0))
        .set("cy", round(at.1))
        .set("r", r)
}

/// A zigzag across a rail at `x` from `y` down `h`: time left out there.
pub fn zigzag(x: f64, y: f64, h: f64) -> Path {
    let (a, b) = (round(y + h / 3.0), round(y + 2.0 * h / 3.0));
    let d = format!(
        "M{x0},{y0} L{x1},{a} L{x2},{b} L{x0},{y1}",
        x0 = round(x),
        x1 = round(x + 7.0),
        x2 = round(x - 7.0),
        y0 = round(y),
        y1 = round(y + h)
    );
    Path::new().set("class", "break").set("d", d)
}

/// Coordinates to a tenth of a pixel: shorter files, and the same file from the same layout.
fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A picture's structure: each element's name, class and text, in order, without coordinates
/// or the times written on it. Two runs of a lesson draw the same structure; what differs from
/// run to run (when a packet left, to the millisecond) is left out. Pure ACKs are left out
/// too, since a delayed ACK falls into one step or the next, and the rest are sorted: two
/// connections closing at once interleave either way.
pub fn structure(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in svg.split('<').skip(1) {
        let (tag, rest) = piece.split_once('>').unwrap_or((piece, ""));
        let name = tag.split_whitespace().next().unwrap_or("");
        if name.starts_with('/') || name == "style" || name == "title" {
            continue;
        }
        let class = attr(tag, "class").unwrap_or_default();
        let varies = ["time", " ack", "wchan", "timewait"]
            .iter()
            .any(|c| class.contains(c));
        if varies || class == "bg" {
            continue;
        }
        out.push(unnumber(&format!("{name}.{class} {}", rest.trim())));
    }
    out.sort();
    out
}

/// Placeholders without their numbers (p3 as pN, e2 as eN): which process or ephemeral port
/// was seen first differs between runs when several start at once.
fn unnumber(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let digits = chars[i + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1 + digits);
        if matches!(c, 'p' | 'e')
            && digits > 0
            && before.is_some_and(|b| matches!(b, ':' | ' ' | '('))
            && !after.is_some_and(|a| a.is_ascii_alphanumeric())
        {
            out.push(c);
            out.push('N');
            i += 1 + digits;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

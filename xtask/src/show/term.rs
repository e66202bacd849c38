//! The terminal: whether to colour (one policy for every command), the palette, how wide the
//! terminal is, and its one-key mode.
//!
//! Colour is decided by anstream, as clap and most tools decide it: `--color always|never`
//! wins; otherwise NO_COLOR (set and not empty) means none (no-color.org), CLICOLOR_FORCE
//! means colour even into a pipe, TERM=dumb means none, and else colour only on a terminal.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};

/// `--color`: auto (the conventions above), always or never.
#[derive(Clone, Copy, Debug, PartialEq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour what goes to standard output, by `choice` and the conventions.
pub fn wants_colour(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // anstream colours a dumb terminal when CI is set; the convention says no colour there
        // unless CLICOLOR_FORCE asks for it.
        ColorChoice::Auto if dumb() && !forced() => false,
        ColorChoice::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

fn dumb() -> bool {
    std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

fn forced() -> bool {
    std::env::var("CLICOLOR_FORCE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The styles of everything the runner colours, in one place. Each reads on a light projector
/// as well as on a dark terminal: the normal (not bright) red, green and magenta, and bold;
/// never yellow or cyan, which fade on white.
pub mod palette {
    use super::*;

    /// A row that is new since the previous step; a check that held; a line a diff adds.
    pub const NEW: Style = AnsiColor::Green.on_default();
    /// A row that is gone; a check that failed; a line a diff removes.
    pub const GONE: Style = AnsiColor::Red.on_default();
    /// A row whose STAT or TCP state changed.
    pub const CHANGED: Style = AnsiColor::Magenta.on_default();
    /// Headings: a step's, a table's header row, a diff's file names.
    pub const HEADING: Style = Style::new().bold();
    /// A diff's `@@` hunk line.
    pub const HUNK: Style = AnsiColor::Magenta.on_default();
}

/// `text` in `style` when `on`, as it is otherwise.
pub fn paint(on: bool, style: Style, text: &str) -> String {
    if on && style != Style::new() {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// The width to fit: COLUMNS when set to a number (the shell sets it for a terminal, and a
/// user can set it for a projector), else the terminal's own; none when not on a terminal.
pub fn width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    {
        return Some(n.max(40));
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let size = winsize()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col).max(40))
}

/// The terminal in one-key mode (no line editing, no echo) while it exists; as it was after.
/// Ctrl-C still sends SIGINT (ISIG stays on). None when standard input is not a terminal.
pub struct OneKey {
    saved: nix::sys::termios::Termios,
}

impl OneKey {
    pub fn start() -> Option<OneKey> {
        use nix::sys::termios::{FlushArg, LocalFlags, SetArg, tcflush, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO);
        raw.control_chars[nix::libc::VMIN] = 1;
        raw.control_chars[nix::libc::VTIME] = 0;
        // TCSAFLUSH: keys typed while the last step ran are discarded, not taken as answers.
        tcsetattr(&stdin, SetArg::TCSAFLUSH, &raw).ok()?;
        let _ = tcflush(&stdin, FlushArg::TCIFLUSH);
        Some(OneKey { saved })
    }
}

impl Drop for OneKey {
    fn drop(&mut self) {
        let stdin = std::io::stdin();
        let _ =
            nix::sys::termios::tcsetattr(&stdin, nix::sys::termios::SetArg::TCSANOW, &self.saved);
    }
}

/// How many lines have been written since the step began, for [`Paged`].
static PAGE_LINES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Set while a step waits: a page is never turned then, since a key not pressed would eat the
/// step's timeout. The lines still count, and the page turns after.
static PAGES_HELD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Hold the pages (while a step waits) or let them turn again.
pub fn hold_pages(on: bool) {
    PAGES_HELD.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// A step begins a page: its narration stays on the screen until a key is pressed.
pub fn new_page() {
    PAGE_LINES.store(0, std::sync::atomic::Ordering::SeqCst);
}

/// Standard output that pages at a terminal's height: `--step` at a projector, where a step's
/// tables would otherwise scroll its narration off the screen before anyone read it. When a
/// page is full it says `-- more --` and waits for a key. Without a height it only writes.
pub struct Paged {
    out: std::io::Stdout,
    height: Option<usize>,
}

impl Paged {
    /// Paged at the terminal's height when `on` and both ends are a terminal.
    pub fn stdout(on: bool) -> Paged {
        let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
        let height = if on && tty { rows() } else { None };
        Paged {
            out: std::io::stdout(),
            height,
        }
    }

    /// Wait for a key when the page is full; the prompt is erased after it.
    fn turn(&mut self) -> std::io::Result<()> {
        let Some(height) = self.height else {
            return Ok(());
        };
        let held = PAGES_HELD.load(std::sync::atomic::Ordering::SeqCst);
        if held || PAGE_LINES.load(std::sync::atomic::Ordering::SeqCst) + 2 < height {
            return Ok(());
        }
        let keys = OneKey::start();
        self.out.write_all(b"  -- more: press a key --")?;
        self.out.flush()?;
        let mut byte = [0u8; 1];
        let _ = keys
            .as_ref()
            .map(|_| nix::unistd::read(std::io::stdin(), &mut byte));
        self.out.write_all(b"\r\x1b[2K")?;
        new_page();
        Ok(())
    }
}

impl Write for Paged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A line at a time, so that a page ends between lines.
        let Some(end) = buf.iter().position(|&b| b == b'\n') else {
            return self.out.write(buf);
        };
        self.turn()?;
        self.out.write_all(&buf[..=end])?;
        PAGE_LINES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(end + 1)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The terminal's height in rows: LINES when set, else the terminal's own.
fn rows() -> Option<usize> {
    if let Some(n) = std::env::var("LINES")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    {
        return Some(n.max(10));
    }
    let size = winsize()?;
    (size.ws_row > 0).then_some(usize::from(size.ws_row).max(10))
}

/// The terminal's size, from the terminal on standard output.
fn winsize() -> Option<nix::libc::winsize> {
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one struct winsize to the pointer, which points at `size`.
    let ok = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut size) } == 0;
    ok.then_some(size)
}

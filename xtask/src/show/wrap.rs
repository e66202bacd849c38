//! Fitting text to the terminal: long lines cut with `…`, narrations refilled.

use std::io::Write;

use super::Printer;

impl<W: Write> Printer<W> {
    /// `line` cut to the width, with `…` where it was cut.
    pub(super) fn fit(&self, line: &str) -> String {
        match self.width {
            Some(w) if line.chars().count() > w => {
                let kept: String = line.chars().take(w.saturating_sub(1)).collect();
                format!("{kept}…")
            }
            _ => line.to_string(),
        }
    }

    /// Whether the packet lines fit the width as they are (indented as [`Printer::packets`]
    /// prints them), so that tcpdump's lines are shown whole and the diagram only where they
    /// would be cut: by the lines' real width, not a fixed threshold.
    pub fn fits(&self, lines: &[String]) -> bool {
        let width = self.width.unwrap_or(usize::MAX);
        lines.iter().all(|l| 2 + l.chars().count() <= width)
    }
}

/// A narration's paragraphs (blank-line separated) refilled to `width` columns. A formula
/// (`0.2 + 0.4 + 0.8 + 1.6 = 3 s`) is kept on one line when it fits one: a reader adds it up.
pub(super) fn rewrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push(String::new());
        }
        let mut line = String::new();
        for span in spans(para) {
            // A span wider than a line is broken between its words after all.
            let words = match span.chars().count() > width {
                true => span.split(' ').map(String::from).collect(),
                false => vec![span],
            };
            for word in words {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                    out.push(std::mem::take(&mut line));
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&word);
            }
        }
        out.push(line);
    }
    out
}

/// The words of `para`, those of a formula joined into one span: an operator (`+`, `=`, `×`,
/// ...) binds the words on both sides, and a unit binds the number before it (`3 s`).
fn spans(para: &str) -> Vec<String> {
    let operator = |w: &str| {
        let w = w
            .trim_start_matches('(')
            .trim_end_matches([')', ',', ';', '.']);
        [
            "+", "-", "−", "=", "≈", "×", "*", "/", "<", ">", "≤", "≥", "→",
        ]
        .contains(&w)
    };
    let unit = |w: &str| {
        let w = w.trim_end_matches([')', ',', ';', '.', ':']);
        ["s", "ms", "µs", "us", "ns", "%", "B", "KB", "MB", "GB"].contains(&w)
    };
    let number = |w: &str| {
        w.trim_start_matches('(')
            .starts_with(|c: char| c.is_ascii_digit())
    };
    let mut spans: Vec<String> = Vec::new();
    let mut glue = false;
    for word in para.split_whitespace() {
        let after_number = spans.last().is_some_and(|s| {
            let last = s.rsplit(' ').next().unwrap_or(s);
            number(last) && !last.ends_with([',', ';', '.', ':'])
        });
        match spans.last_mut() {
            Some(last) if glue || operator(word) || (unit(word) && after_number) => {
                last.push(' ');
                last.push_str(word);
            }
            _ => spans.push(word.to_string()),
        }
        glue = operator(word);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_stays_on_one_line() {
        let text = "It would take (0.2 + 0.4 + 0.8 + 1.6 = 3 s); the first timeout after it ends";
        for width in 31..60 {
            let lines = rewrap(text, width);
            let whole = lines
                .iter()
                .any(|l| l.contains("(0.2 + 0.4 + 0.8 + 1.6 = 3 s);"));
            assert!(whole, "{width}: {lines:?}");
            assert!(
                lines.iter().all(|l| l.chars().count() <= width),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn words_wrap_as_before_and_a_long_formula_is_broken_after_all() {
        let lines = rewrap("one two three four\n\nfive", 9);
        assert_eq!(lines, ["one two", "three", "four", "", "five"]);
        let lines = rewrap("1 + 2 + 3 + 4 + 5 + 6", 10);
        assert!(lines.iter().all(|l| l.chars().count() <= 10), "{lines:?}");
        assert_eq!(lines.join(" "), "1 + 2 + 3 + 4 + 5 + 6");
    }
}

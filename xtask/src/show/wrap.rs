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
}

/// A narration's paragraphs (blank-line separated) refilled to `width` columns.
pub(super) fn rewrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push(String::new());
        }
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

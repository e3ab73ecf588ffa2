//! Writing HTML so that nothing from a client can become markup.
//!
//! `Html` has two ways in: `raw` takes only `&'static str`, the page's own
//! markup written in this crate, and every other string goes through
//! `text`, which escapes `&`, `<`, `>`, `"` and `'` (OWASP's rule for text
//! and quoted attribute values). A value that came from a request (an app's
//! name, website, client_id, an agent) cannot reach `raw`: the type system
//! refuses a `String` there. Attributes are always written in double
//! quotes.

use core::fmt::Write;

#[derive(Default)]
pub struct Html {
    out: String,
}

impl Html {
    pub fn with_capacity(n: usize) -> Html {
        Html {
            out: String::with_capacity(n),
        }
    }

    /// The page's own markup.
    pub fn raw(&mut self, s: &'static str) -> &mut Html {
        self.out.push_str(s);
        self
    }

    /// Any text, escaped for an element's content or a quoted attribute.
    pub fn text(&mut self, s: &str) -> &mut Html {
        escape_into(&mut self.out, s);
        self
    }

    /// A count with thousands separators (`1,234,567`).
    pub fn num(&mut self, n: u64) -> &mut Html {
        self.out.push_str(&grouped(n));
        self
    }

    /// `<tag class="...">text</tag>` for the page's own tags and classes.
    pub fn el(&mut self, tag: &'static str, class: &'static str, text: &str) -> &mut Html {
        let _ = write!(self.out, "<{tag}");
        if !class.is_empty() {
            let _ = write!(self.out, " class=\"{class}\"");
        }
        self.out.push('>');
        self.text(text);
        let _ = write!(self.out, "</{tag}>");
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Appends `s` with `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// `1234567` as `1,234,567`, as the page's script writes it too.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `part / whole` as a percentage with one decimal (`97.3 %`), or `–`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_string();
    }
    let tenths = (part as u128 * 1000 + whole as u128 / 2) / whole as u128;
    format!("{}.{} %", tenths / 10, tenths % 10)
}

//! An answer of the gate as HTML: the very bytes the journal digested, laid out as a record or
//! a table, in the reader's language.
//!
//! Pages do not pick fields out of the views themselves: they show the answer the gate sent
//! (its JSON, the bytes whose digest the journal entry holds), so a page can show nothing the
//! API would not have sent the same caller. Field names are labelled from the catalogue
//! (`field-<name>`); instants are shown as Brussels wall-clock time, days and numbers in the
//! locale's form, and an EAN links to its access point's page.

use serde_json::Value;

use crate::i18n::Texts;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The label of field `name`: its message, else the name with spaces.
pub fn label(t: &Texts, name: &str) -> String {
    let id = format!("field-{}", name.replace('_', "-"));
    if t.has(&id) { t.get(&id) } else { name.replace('_', " ") }
}

/// An answer as HTML.
pub fn answer(t: &Texts, value: &Value) -> String {
    let mut out = String::new();
    block(t, value, &mut out);
    out
}

fn block(t: &Texts, value: &Value, out: &mut String) {
    match value {
        Value::Object(map) if map.is_empty() => {
            out.push_str(&format!("<p>{}</p>", esc(&t.get("answer-empty"))))
        }
        Value::Object(map) => {
            out.push_str("<dl class=\"record\">");
            for (name, v) in map {
                out.push_str(&format!("<dt>{}</dt><dd>", esc(&label(t, name))));
                field(t, name, v, out);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
        Value::Array(items) if items.is_empty() => {
            out.push_str(&format!("<p class=\"empty\">{}</p>", esc(&t.get("answer-none"))))
        }
        Value::Array(items) => {
            if let Some(columns) = columns(items) {
                table(t, items, &columns, out);
            } else {
                out.push_str("<ul>");
                for item in items {
                    out.push_str("<li>");
                    block(t, item, out);
                    out.push_str("</li>");
                }
                out.push_str("</ul>");
            }
        }
        scalar => out.push_str(&inline(t, scalar)),
    }
}

/// Fields whose numbers are codes, not quantities: shown as they are, never grouped
/// (a postcode of 4000 is not "4 000").
const CODES: [&str; 8] =
    ["postal_code", "postcode", "number", "year", "index", "sequence", "size", "version"];

fn field(t: &Texts, name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Number(n) if CODES.contains(&name) => out.push_str(&esc(&n.to_string())),
        Value::String(s) if name == "channel" => out.push_str(&esc(&channel(t, s))),
        _ => block(t, value, out),
    }
}

/// A metering channel's name in the reader's language.
pub fn channel(t: &Texts, name: &str) -> String {
    let id = format!("channel-{name}");
    if t.has(&id) { t.get(&id) } else { name.to_owned() }
}

/// The columns of an array of objects, in first-seen order; `None` when the items are not
/// all objects.
fn columns(items: &[Value]) -> Option<Vec<String>> {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        let Value::Object(map) = item else { return None };
        for name in map.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    Some(columns)
}

fn table(t: &Texts, items: &[Value], columns: &[String], out: &mut String) {
    out.push_str("<div class=\"scroll\"><table><thead><tr>");
    for c in columns {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(&label(t, c))));
    }
    out.push_str("</tr></thead><tbody>");
    for item in items {
        out.push_str("<tr>");
        for c in columns {
            out.push_str("<td>");
            match item.get(c) {
                Some(v) => field(t, c, v, out),
                None => out.push('—'),
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// A scalar as inline HTML.
pub fn inline(t: &Texts, value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(b) => esc(&t.get(if *b { "answer-yes" } else { "answer-no" })),
        Value::Number(n) => match n.as_i64() {
            Some(i) => esc(&t.int(i)),
            None => esc(&n.to_string()),
        },
        Value::String(s) => text(t, s),
        other => esc(&other.to_string()),
    }
}

fn text(t: &Texts, s: &str) -> String {
    if s.len() == 18 && s.bytes().all(|b| b.is_ascii_digit()) {
        return format!("<a href=\"/ui/access-points?ean={s}\">{s}</a>");
    }
    if s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') {
        if let Ok(at) = s.parse::<jiff::Timestamp>() {
            return format!("<time datetime=\"{}\">{}</time>", esc(s), esc(&t.instant(at)));
        }
    }
    if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        if let Ok(day) = s.parse::<jiff::civil::Date>() {
            return format!("<time datetime=\"{s}\">{}</time>", esc(&t.date(day)));
        }
    }
    if s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return format!("<code class=\"hash\">{s}</code>");
    }
    esc(s)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::i18n::{Catalogues, Locale};

    fn fr() -> Texts {
        Texts::new(Locale::Fr, Arc::new(Catalogues::load().expect("catalogues")))
    }

    #[test]
    fn text_is_escaped_everywhere_it_lands() {
        let html = answer(&fr(), &json!({"<b>": "<script>alert(1)</script>", "list": ["a\"b"]}));
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;") && html.contains("a&quot;b"), "{html}");
    }

    #[test]
    fn instants_days_numbers_and_eans_take_the_readers_form() {
        let html = answer(
            &fr(),
            &json!({"at": "2026-12-07T17:05:00Z", "day": "2026-03-29", "n": 12345, "ean": "541448000000000011", "postal_code": 4000}),
        );
        assert!(html.contains("<dd>4000</dd>"), "a postcode is a code: {html}");
        assert!(html.contains("7 déc. 2026 18:05"), "{html}");
        assert!(html.contains("29 mars 2026"), "{html}");
        assert!(html.contains("12\u{202f}345"), "{html}");
        assert!(html.contains("href=\"/ui/access-points?ean=541448000000000011\""), "{html}");
    }

    #[test]
    fn arrays_of_records_are_tables_with_a_header_per_field() {
        let html = answer(&fr(), &json!([{"a": 1, "b": true}, {"a": 2, "c": null}]));
        assert_eq!(html.matches("<th scope=\"col\">").count(), 3, "{html}");
        assert_eq!(html.matches("<tr>").count(), 3, "{html}");
        assert!(html.contains("<td>—</td>"), "{html}");
    }
}

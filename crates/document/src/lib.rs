//! Cloison's documents (R4, R8): typeset by an embedded engine (Typst) with the fonts shipped
//! in the binary, so a document looks the same on every installation and needs nothing from
//! the machine; and every one carries its confidentiality label and the journal index of its
//! issue, where a person sees it (a PDF's footer on every page, a CSV's first line) and where a
//! program reads it (the same line, `key: value` fields).
//!
//! Content is never spliced into the markup: every value reaches Typst as a string literal,
//! escaped, so a name or an address cannot change the document's layout or smuggle markup.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The label every document carries (R8), shared with the exports and the answers.
pub use domain::label::{Confidentiality, Label};

/// One occupancy period shown in a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Its first instant, as printed.
    pub from: String,
    /// Its end, as printed (`open` when it runs on).
    pub to: String,
}

/// One month of consumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// Which month (its first local day and the next month's, as printed).
    pub from: String,
    /// Its end.
    pub to: String,
    /// The channel (offtake, injection, gas).
    pub channel: String,
    /// The energy in Wh, absent when no interval of it is usable.
    pub wh: Option<i64>,
}

/// A network user's consumption history, as sent (R4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// The access point.
    pub ean: String,
    /// Whom the history is about (party id).
    pub customer: String,
    /// To whom it goes: the shipping address lines, or the mandated party.
    pub addressee: Vec<String>,
    /// The occupancy periods it covers, and nothing else.
    pub periods: Vec<Period>,
    /// The months inside them.
    pub months: Vec<Month>,
    /// When it was issued, as printed.
    pub issued: String,
    /// Its label.
    pub label: Label,
}

/// Why a document could not be typeset: our failure (a template or font defect), never the
/// caller's input.
#[derive(Debug, thiserror::Error)]
#[error("document: {0}")]
pub struct DocumentError(String);

/// A Typst string literal holding `text`, escaped.
fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl History {
    /// The Typst source of the PDF.
    fn markup(&self) -> String {
        let mut m = String::new();
        m.push_str(&format!(
            "#set document(title: {})\n#set text(font: \"Libertinus Serif\", size: 10pt, lang: \"en\")\n\
             #set page(paper: \"a4\", margin: 2cm, footer: align(center, text(size: 8pt, {})))\n",
            lit(&format!("Consumption history {}", self.ean)),
            lit(&self.label.line())
        ));
        m.push_str(&format!("= #{}\n\n", lit("Consumption history")));
        for line in &self.addressee {
            m.push_str(&format!("#{} \\\n", lit(line)));
        }
        m.push_str(&format!(
            "\n#{}\n\n#{}\n\n#{}\n\n",
            lit(&format!("Access point {}, network user {}", self.ean, self.customer)),
            lit(&format!("Issued {}", self.issued)),
            lit("Occupancy periods covered (nothing outside them is shown):")
        ));
        for p in &self.periods {
            m.push_str(&format!("- #{}\n", lit(&format!("{} to {}", p.from, p.to))));
        }
        m.push_str("\n#table(columns: 4, [*From*], [*To*], [*Channel*], [*kWh*],\n");
        for month in &self.months {
            let kwh = month.wh.map_or_else(|| "-".to_owned(), |wh| format!("{:.1}", wh as f64 / 1000.0));
            m.push_str(&format!(
                "  [#{}], [#{}], [#{}], [#{}],\n",
                lit(&month.from),
                lit(&month.to),
                lit(&month.channel),
                lit(&kwh)
            ));
        }
        m.push_str(")\n");
        m
    }

    /// The PDF, typeset with the shipped fonts; its label in the footer of every page.
    pub fn pdf(&self) -> Result<Vec<u8>, DocumentError> {
        let world = Page::new(self.markup());
        let document = typst::compile::<PagedDocument>(&world).output.map_err(|errors| {
            DocumentError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
        })?;
        typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| {
            DocumentError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; "))
        })
    }

    /// The CSV: the label as its first line (`# label: …; journal: N`), then one row a month.
    pub fn csv(&self) -> String {
        let field = |text: &str| {
            if text.contains([',', '"', '\n']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text.to_owned()
            }
        };
        let mut out = format!("# {}\n", self.label.line());
        out.push_str("ean,customer,from,to,channel,wh\n");
        for month in &self.months {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                field(&self.ean),
                field(&self.customer),
                field(&month.from),
                field(&month.to),
                field(&month.channel),
                month.wh.map(|wh| wh.to_string()).unwrap_or_default()
            ));
        }
        out
    }
}

/// The shipped fonts, parsed once.
fn fonts() -> &'static (LazyHash<FontBook>, Vec<Font>) {
    static FONTS: OnceLock<(LazyHash<FontBook>, Vec<Font>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
        (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

/// The world one document is typeset in: its one source, the shipped fonts, no files, no
/// clock (a document states its own issue time).
struct Page {
    source: Source,
}

impl Page {
    fn new(markup: String) -> Page {
        Page { source: Source::new(FileId::new(None, VirtualPath::new("document.typ")), markup) }
    }
}

impl World for Page {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().0
    }

    fn main(&self) -> FileId {
        self.source.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.source.id() {
            Ok(self.source.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().1.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        History {
            ean: "541448000000000017".into(),
            customer: "nu-x".into(),
            addressee: vec!["Xavier \"X\" Dumont".into(), "Rue de Fer 12".into(), "5000 Namur".into()],
            periods: vec![Period { from: "2025-01-01".into(), to: "2025-07-01".into() }],
            months: vec![
                Month {
                    from: "2025-01-01".into(),
                    to: "2025-02-01".into(),
                    channel: "offtake".into(),
                    wh: Some(312_400),
                },
                Month {
                    from: "2025-02-01".into(),
                    to: "2025-03-01".into(),
                    channel: "offtake".into(),
                    wh: None,
                },
            ],
            issued: "2026-12-07T10:00:00+01:00".into(),
            label: Label { confidentiality: Confidentiality::PersonalData, journal_index: 4711 },
        }
    }

    #[test]
    fn the_pdf_carries_its_content_and_its_label_in_text_a_reader_extracts() {
        let pdf = history().pdf().expect("typeset");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = pdf_extract::extract_text_from_mem(&pdf).expect("text");
        for expected in [
            "Consumption history",
            "541448000000000017",
            "Rue de Fer 12",
            "2025-01-01 to 2025-07-01",
            "312.4",
            "label: CONFIDENTIAL - personal data; journal: 4711",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text:?}");
        }
    }

    #[test]
    fn markup_in_the_data_stays_text() {
        let mut h = history();
        h.addressee = vec!["#set page(fill: red) = Owned \" \\".into()];
        let text = pdf_extract::extract_text_from_mem(&h.pdf().expect("typeset")).expect("text");
        assert!(text.contains("#set page(fill: red) = Owned"), "{text}");
    }

    #[test]
    fn the_csv_opens_with_its_label() {
        let csv = history().csv();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("# label: CONFIDENTIAL - personal data; journal: 4711"));
        assert_eq!(lines.next(), Some("ean,customer,from,to,channel,wh"));
        assert_eq!(lines.next(), Some("541448000000000017,nu-x,2025-01-01,2025-02-01,offtake,312400"));
        assert_eq!(lines.next(), Some("541448000000000017,nu-x,2025-02-01,2025-03-01,offtake,"));
    }
}

//! The one diagnostic type every stage converts its errors into, and the one
//! place that renders it (through codespan-reporting).
//!
//! Consumes stage errors (as [`Diagnostic`]s) and a [`SourceMap`]; produces
//! rustc-style text: a short lowercase title, the primary label under the
//! offending span with `file:line:col`, secondary labels at related sites,
//! and `help:` lines saying how to fix it. Colour only on a terminal.

use crate::source::{SourceMap, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::{self, termcolor};
use std::io::IsTerminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub title: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(title: impl Into<String>, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            title: title.into(),
            primary: Label { span, message: message.into() },
            secondary: Vec::new(),
            help: Vec::new(),
        }
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn to_codespan(&self) -> cs::Diagnostic<usize> {
        let severity = match self.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let label = |style, l: &Label| {
            cs::Label::new(style, l.span.file.0 as usize, l.span.range()).with_message(l.message.clone())
        };
        let mut labels = vec![label(cs::LabelStyle::Primary, &self.primary)];
        labels.extend(self.secondary.iter().map(|l| label(cs::LabelStyle::Secondary, l)));
        cs::Diagnostic::new(severity)
            .with_message(self.title.clone())
            .with_labels(labels)
            .with_notes(self.help.iter().map(|h| format!("help: {h}")).collect())
    }
}

/// Phrases as English alternatives: "`a`", "one of `a` or `b`", "one of
/// `a`, `b`, ... and 3 more" (at most eight named). Shared by every
/// language's "expected ..." messages.
pub fn one_of(mut phrases: Vec<String>) -> String {
    match phrases.len() {
        0 => "nothing more".to_owned(),
        1 => phrases.remove(0),
        n if n > 8 => format!("one of {} and {} more", phrases[..8].join(", "), n - 8),
        _ => {
            let last = phrases.pop().unwrap_or_default();
            format!("one of {} or {last}", phrases.join(", "))
        }
    }
}

/// Whether rendered output carries ANSI colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// Colour when standard error is a terminal.
    Auto,
    Never,
}

/// Renders diagnostics as text, exactly as the CLI prints them without colour.
pub fn render_to_string(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut buffer = termcolor::NoColor::new(Vec::new());
    emit_all(&mut buffer, sources, diagnostics);
    String::from_utf8_lossy(&buffer.into_inner()).into_owned()
}

/// Prints diagnostics on standard error.
pub fn print(sources: &SourceMap, diagnostics: &[Diagnostic], colour: Colour) {
    let choice = match colour {
        Colour::Auto if std::io::stderr().is_terminal() => termcolor::ColorChoice::Auto,
        _ => termcolor::ColorChoice::Never,
    };
    let stream = termcolor::StandardStream::stderr(choice);
    let mut lock = stream.lock();
    emit_all(&mut lock, sources, diagnostics);
}

fn emit_all(out: &mut dyn termcolor::WriteColor, sources: &SourceMap, diagnostics: &[Diagnostic]) {
    let config = term::Config::default();
    for diagnostic in diagnostics {
        // Writing to a closed pipe or a full disk is the only failure here;
        // there is nowhere better to report it.
        let _ = term::emit(out, &config, sources.files(), &diagnostic.to_codespan());
    }
}

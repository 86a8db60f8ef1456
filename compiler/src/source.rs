//! Source files and spans.
//!
//! Consumes file names and text; produces [`FileId`]s and [`Span`]s that every
//! later stage carries, and that [`crate::diagnostics`] turns back into
//! `file:line:col` when it renders.

use codespan_reporting::files::{Files, SimpleFiles};
use std::ops::Range;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, start: to_u32(range.start), end: to_u32(range.end) }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn to_u32(offset: usize) -> u32 {
    // Source files are read whole into memory; `SourceMap::add` refuses files
    // of 4 GiB or more, so every offset fits.
    u32::try_from(offset).unwrap_or_else(|_| unreachable!("bug: offset {offset} beyond a 4 GiB source file"))
}

/// All source files of one compilation, by [`FileId`].
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    count: u32,
}

/// A file too large for 32-bit spans.
#[derive(Debug)]
pub struct FileTooLarge;

impl Default for SourceMap {
    fn default() -> SourceMap {
        SourceMap { files: SimpleFiles::new(), count: 0 }
    }
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> Result<FileId, FileTooLarge> {
        let text = text.into();
        if u32::try_from(text.len()).is_err() {
            return Err(FileTooLarge);
        }
        let id = self.files.add(name.into(), text);
        debug_assert_eq!(id, self.count as usize);
        self.count += 1;
        Ok(FileId(self.count - 1))
    }

    /// The first file added: the root of a program the loader loaded.
    pub fn root(&self) -> Option<FileId> {
        (self.count > 0).then_some(FileId(0))
    }

    pub fn name(&self, file: FileId) -> &str {
        self.file(file).name()
    }

    pub fn text(&self, file: FileId) -> &str {
        self.file(file).source()
    }

    /// 1-based line and column of a byte offset, as editors count them.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let index = file.0 as usize;
        let offset = offset as usize;
        let line = self.files.line_index(index, offset).unwrap_or(0);
        let col = self.files.column_number(index, line, offset).unwrap_or(1);
        (line + 1, col)
    }

    pub(crate) fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }

    fn file(&self, file: FileId) -> &codespan_reporting::files::SimpleFile<String, String> {
        self.files.get(file.0 as usize).unwrap_or_else(|_| unreachable!("bug: {file:?} is not in this source map"))
    }
}

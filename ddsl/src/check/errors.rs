//! Layout errors as data, and their wording as diagnostics.

use cdsl::diagnostics::Diagnostic;
use cdsl::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError {
    pub kind: LayoutErrorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutErrorKind {
    Duplicate {
        what: &'static str,
        name: String,
        first: Span,
    },
    UnknownName {
        name: String,
        suggestion: Option<String>,
    },
    /// A name defined later than the global item that reads it.
    GlobalDefinedLater {
        name: String,
        defined: Span,
    },
    /// A length, selector or offset reading a field that is decoded later.
    LaterField {
        role: &'static str,
        name: String,
        defined: Span,
    },
    UnknownType {
        name: String,
        suggestion: Option<String>,
    },
    UnknownPointerTarget {
        name: String,
        suggestion: Option<String>,
    },
    UnknownConversion {
        name: String,
        suggestion: Option<String>,
    },
    UnknownField {
        owner: String,
        name: String,
        suggestion: Option<String>,
    },
    UnknownFunction {
        name: String,
    },
    UnknownSpace {
        name: String,
        suggestion: Option<String>,
    },
    /// `links` names a field that is not an integer.
    LinksNotInteger {
        owner: String,
        name: String,
    },

    WrongArity {
        name: String,
        expected: usize,
        found: usize,
    },
    NotANumber {
        what: String,
    },
    NotIndexable {
        what: String,
    },
    ItOutsidePointer,
    NoByteOrder {
        width: &'static str,
    },
    TwoByteOrders {
        first: Span,
    },
    Overlap {
        field: String,
        offset: u64,
        other: String,
        other_start: u64,
        other_end: u64,
        other_span: Span,
    },
    Gap {
        field: String,
        offset: u64,
        cursor: u64,
    },
    OffsetNotFixed {
        field: String,
    },
    SizeTooSmall {
        name: String,
        declared: u64,
        used: u64,
    },
    SizeNotCovered {
        name: String,
        declared: u64,
        used: u64,
    },
    BitsOverflow {
        used: u64,
        width: u64,
    },
    ZeroWidthBits,
    MaskTooWide {
        mask: u64,
        width: &'static str,
    },
    ZeroMask,
    MagicNotConstant,
    MagicTooWide {
        value: u64,
        width: &'static str,
    },
    MagicOnNonInteger,
    UnknownChecksum {
        name: String,
    },
    ChecksumWidth {
        algorithm: String,
        bytes: u64,
    },
    PointerNotInteger,
    FillNotLast,
    FillWithoutSize,
    FillSizeFromFields,
    ContainsItself {
        name: String,
    },
    UnknownMark {
        name: String,
    },
    RootNotStruct,
    EmptySelect,
    DuplicateArmLabel {
        value: u64,
        first: Span,
    },
    ArmLabelNotConstant,
}

/// The marks generic tools understand.
pub const MARKS: &[&str] = &["directory", "entry", "inode", "name", "file_data", "file_size", "file_type", "symlink"];

impl LayoutError {
    pub fn new(kind: LayoutErrorKind, span: Span) -> LayoutError {
        LayoutError { kind, span }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        use LayoutErrorKind::*;
        let span = self.span;
        let err = |title: String, label: String| Diagnostic::error(title, span, label);
        match &self.kind {
            Duplicate { what, name, first } => {
                err(format!("{what} `{name}` is defined twice"), "defined again here".into())
                    .with_secondary(*first, "first defined here")
                    .with_help(format!("rename one of the two {what}s"))
            }
            UnknownName { name, suggestion } => suggest(
                err(format!("unknown name `{name}`"), "not a field above, a `const` or a `root`".into()),
                suggestion,
                "names in scope are the fields before this one, constants, roots and (in `when`) `it`",
            ),
            GlobalDefinedLater { name, defined } => {
                err(format!("`{name}` is used before it is defined"), "used here".into())
                    .with_secondary(*defined, "defined later, here")
                    .with_help("constants, conversions and roots may only use names defined above them")
            }
            LaterField { role, name, defined } => {
                err(format!("{role} refers to `{name}`, which comes later"), "read before it is decoded".into())
                    .with_secondary(*defined, format!("`{name}` is decoded here, after"))
                    .with_help(format!("a {role} can only use fields before it; move `{name}` above"))
            }
            UnknownType { name, suggestion } => suggest(
                err(format!("unknown type `{name}`"), "no struct of this name".into()),
                suggestion,
                "types are u8, u16, u32, u64, arrays `[T; n]`, `select` and the structs of this file",
            ),
            UnknownPointerTarget { name, suggestion } => suggest(
                err(format!("pointer to unknown type `{name}`"), "no struct of this name".into()),
                suggestion,
                "a pointer's target is a struct declared in this file",
            ),
            UnknownConversion { name, suggestion } => suggest(
                err(format!("unknown address conversion `{name}`"), "no `addr` of this name".into()),
                suggestion,
                "declare it as `addr name(n) = <byte address of n>;`",
            ),
            UnknownField { owner, name, suggestion } => {
                suggest(err(format!("`{owner}` has no field `{name}`"), "no such field".into()), suggestion, "")
            }
            UnknownSpace { name, suggestion } => suggest(
                err(format!("unknown space `{name}`"), "no `space` of this name".into()),
                suggestion,
                "declare the units as `space name: first .. end;`",
            ),
            LinksNotInteger { owner, name } => {
                err(format!("`{owner}.{name}` is not an integer field"), "a link count must be an integer".into())
            }
            UnknownFunction { name } => err(format!("unknown function `{name}`"), "not a function".into()).with_help(
                "the functions are `div_ceil(a, b)`, `min(a, b)`, `max(a, b)`, `is_power(x, b)` and `addr` conversions",
            ),
            WrongArity { name, expected, found } => err(
                format!("`{name}` takes {expected} argument{}, not {found}", plural(*expected)),
                "wrong number of arguments".into(),
            ),
            NotANumber { what } => err(format!("{what} is not a number"), "a number is needed here".into())
                .with_help("name one of its integer fields, e.g. `sb.s_magic`"),
            NotIndexable { what } => err(format!("{what} is not an array"), "cannot be indexed".into()),
            ItOutsidePointer => err("`it` outside a pointer's `when`".to_owned(), "no pointer value here".into())
                .with_help("`it` is the value of the pointer field, in `-> T via f when <condition>`"),
            NoByteOrder { width } => err(format!("`{width}` field has no byte order"), "little or big endian?".into())
                .with_help(format!("write `{width} le` or `{width} be`, or put `endian le;` at the top of the file")),
            TwoByteOrders { first } => err("the byte order is declared twice".to_owned(), "declared again here".into())
                .with_secondary(*first, "first declared here")
                .with_help("keep one `endian` item; write `u32 be` on single fields that differ"),
            Overlap { field, offset, other, other_start, other_end, other_span } => err(
                format!("field `{field}` at offset {offset} overlaps field `{other}`"),
                format!("declared at offset {offset}"),
            )
            .with_secondary(*other_span, format!("`{other}` takes bytes {other_start}..{other_end}"))
            .with_help(format!(
                "`{field}` can start at offset {other_end} at the earliest; fix the offset or a size above"
            )),
            Gap { field, offset, cursor } => err(
                format!("{} unaccounted byte{} before field `{field}`", offset - cursor, plural_u(offset - cursor)),
                format!("declared at offset {offset}, but the fields above end at {cursor}"),
            )
            .with_help(format!("add `pad {};` before `{field}`, or fix the offset", offset - cursor)),
            OffsetNotFixed { field } => err(
                format!("the offset of `{field}` depends on the image"),
                "a member above has a size computed from the image".into(),
            )
            .with_help("remove the `@ offset`, or give the members above fixed sizes"),
            SizeTooSmall { name, declared, used } => err(
                format!("the fields of `{name}` take {used} bytes, more than its declared size {declared}"),
                "declared size".into(),
            )
            .with_help("a field is too large or the `size` clause is wrong"),
            SizeNotCovered { name, declared, used } => err(
                format!("the fields of `{name}` take {used} bytes, but its declared size is {declared}"),
                "sizes do not add up".into(),
            )
            .with_help(format!("add `pad {};` at the end, or fix the `size` clause", declared - used)),
            BitsOverflow { used, width } => {
                err(format!("bit fields take {used} bits, more than the {width} of their word"), "too many bits".into())
                    .with_help("widen the word (e.g. `u32 bits`) or narrow a bit field")
            }
            ZeroWidthBits => err("a bit field needs at least one bit".to_owned(), "zero bits".into()),
            MaskTooWide { mask, width } => {
                err(format!("flag mask {mask:#x} does not fit in `{width}`"), "mask too wide".into())
            }
            ZeroMask => err("a flag mask needs at least one bit".to_owned(), "zero mask".into()),
            MagicNotConstant => err("a magic value must be a constant".to_owned(), "computed from the image".into())
                .with_help("write a literal such as `= 0xEF53`, or use `assert` for a computed check"),
            MagicTooWide { value, width } => {
                err(format!("magic value {value:#x} does not fit in `{width}`"), "can never match".into())
            }
            UnknownChecksum { name } => err(format!("unknown checksum `{name}`"), "not an algorithm DDSL knows".into())
                .with_help("the checksums are `crc32c` and `crc16`"),
            ChecksumWidth { algorithm, bytes } => err(
                format!("a `{algorithm}` checksum needs a field of {bytes} bytes"),
                "not an integer of that width".into(),
            )
            .with_help(format!("declare the field as `u{}`", bytes * 8)),
            MagicOnNonInteger => err("only integer fields can have a magic value".to_owned(), "not an integer".into())
                .with_help("use `assert` to check structures and arrays"),
            PointerNotInteger => err("only integer fields can be pointers".to_owned(), "not an integer".into())
                .with_help("a pointer field holds a block number or address: `u32 -> T via block`"),
            FillNotLast => err("an array filling its structure must be the last member".to_owned(), "`..` here".into())
                .with_help("move it to the end, or give it a length"),
            FillWithoutSize => err("`[T; ..]` needs the structure's size".to_owned(), "fills up to what?".into())
                .with_help("add a `size` clause to the struct, e.g. `struct DirBlock size block_size`"),
            FillSizeFromFields => err(
                "`[T; ..]` needs a size known before the fields are read".to_owned(),
                "the struct's size depends on its own fields".into(),
            )
            .with_help("compute the size from constants and roots only"),
            ContainsItself { name } => err(format!("struct `{name}` contains itself"), "infinitely large".into())
                .with_help("store a pointer (`u32 -> T via f`) instead of the structure"),
            UnknownMark { name } => err(format!("unknown mark `{name}`"), "generic tools do not know it".into())
                .with_help(format!("the marks are {}", MARKS.join(", "))),
            RootNotStruct => err("a root must be a struct or an array of structs".to_owned(), "not a struct".into()),
            EmptySelect => err("a `select` needs at least one arm".to_owned(), "no arms".into())
                .with_help("add `_ => raw: [u8; n];` for the default"),
            DuplicateArmLabel { value, first } => {
                err(format!("two arms select {value}"), "selects it again".into()).with_secondary(*first, "first here")
            }
            ArmLabelNotConstant => {
                err("an arm's label must be a constant".to_owned(), "computed from the image".into())
            }
        }
    }
}

fn suggest(diagnostic: Diagnostic, suggestion: &Option<String>, otherwise: &str) -> Diagnostic {
    match suggestion {
        Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
        None if !otherwise.is_empty() => diagnostic.with_help(otherwise.to_owned()),
        None => diagnostic,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn plural_u(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The closest of `candidates` to `name`, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current.push((previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn typos_find_their_name() {
        assert_eq!(closest("s_magc", ["s_magic", "s_state"]), Some("s_magic".to_owned()));
        assert_eq!(closest("zzz", ["s_magic"]), None);
    }
}

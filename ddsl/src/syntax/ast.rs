//! The surface AST of a DDSL layout. Every node carries a [`Span`].

use cdsl::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One `.ddsl` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `endian le;` — the byte order of integer fields that do not name one.
    Endian {
        endian: Endian,
        span: Span,
    },
    /// `const block_size = 1024 << sb.s_log_block_size;`
    Const(ConstDef),
    /// `addr block(n) = n * block_size;` — an address conversion.
    Addr(AddrDef),
    /// `root sb: Superblock at 1024;` — a structure at a fixed place.
    Root(RootDef),
    Struct(StructDef),
    /// `space blocks: lo .. hi;` — numbered units pointers may own or refer to.
    Space(SpaceDef),
    /// `reserve blocks: start count n for g in lo .. hi when cond;` — units
    /// the layout itself uses (superblock copies, reserved inodes).
    Reserve(ReserveDef),
    /// `bitmap blocks: first count n at addr for g in lo .. hi;` — bit i at
    /// `addr` is set iff unit `first + i` is used.
    Bitmap(BitmapDef),
    /// `links inodes: Inode.i_links_count via inode when cond;` — the number
    /// of `refs` pointers to unit `it` equals that field of the struct at `via(it)`.
    Links(LinksDef),
    /// `free blocks: sb.s_free_blocks_count;` or, per group, `free blocks:
    /// gdt[g].bg_free_blocks_count in first count n for g in lo .. hi;` —
    /// the value equals the number of units of the space (in the range)
    /// that nothing uses.
    Free(FreeDef),
}

/// `for g in lo .. hi`: the item holds for each `g` in the half-open range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForEach {
    pub var: Ident,
    pub from: Expr,
    pub to: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceDef {
    pub name: Ident,
    pub from: Expr,
    pub to: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReserveDef {
    pub space: Ident,
    pub start: Expr,
    pub count: Option<Expr>,
    pub each: Option<ForEach>,
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitmapDef {
    pub space: Ident,
    pub first: Expr,
    pub count: Expr,
    pub at: Expr,
    pub each: Option<ForEach>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeDef {
    pub space: Ident,
    pub value: Expr,
    /// `in first count n`: only units `first .. first + n` are counted.
    pub range: Option<(Expr, Expr)>,
    pub each: Option<ForEach>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinksDef {
    pub space: Ident,
    pub ty: Ident,
    pub field: Ident,
    pub via: Ident,
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstDef {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrDef {
    pub name: Ident,
    pub param: Ident,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootDef {
    pub name: Ident,
    pub ty: Type,
    pub at: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    pub name: Ident,
    /// `size e`: the structure takes `e` bytes; what its fields leave is padding.
    pub size: Option<Expr>,
    pub marks: Vec<Ident>,
    pub members: Vec<Member>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    Field(Box<Field>),
    /// `pad e;` — `e` bytes nobody reads.
    Pad {
        len: Expr,
        span: Span,
    },
    /// `assert e, "message";`
    Assert {
        cond: Expr,
        message: Option<String>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Ident,
    /// `name @ 56: ...` — the offset the author expects; the checker compares.
    pub offset: Option<(u64, Span)>,
    pub ty: Type,
    /// `= 0xEF53` — a magic constant checked on decode.
    pub magic: Option<Expr>,
    pub pointer: Option<Pointer>,
    /// `checksum crc32c(0 .. 28)` — the field holds that checksum of the
    /// struct's bytes `lo .. hi` (its own bytes counted as zeros).
    pub checksum: Option<ChecksumDef>,
    pub marks: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecksumDef {
    pub algorithm: Ident,
    pub from: Expr,
    pub to: Expr,
    pub span: Span,
}

/// `-> Target via conversion when condition owns space count n`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    pub target: Ident,
    pub via: Option<Ident>,
    pub when: Option<Expr>,
    pub claim: Option<Claim>,
    pub span: Span,
}

/// `owns blocks count n` or `refs inodes`: a live pointer's value is a unit
/// of a `space`. An owned unit has exactly one owner; references are counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub owns: bool,
    pub space: Ident,
    /// `count n`: the units `it .. it + n` (owners only); one without it.
    pub count: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    U8,
    U16,
    U32,
    U64,
}

impl Width {
    pub fn bytes(self) -> u64 {
        match self {
            Width::U8 => 1,
            Width::U16 => 2,
            Width::U32 => 4,
            Width::U64 => 8,
        }
    }

    pub fn bits(self) -> u64 {
        self.bytes() * 8
    }

    pub fn max(self) -> u64 {
        match self {
            Width::U64 => u64::MAX,
            other => (1u64 << other.bits()) - 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Width::U8 => "u8",
            Width::U16 => "u16",
            Width::U32 => "u32",
            Width::U64 => "u64",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Type {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeKind {
    /// `u32`, `u16 be`; `sub` names its bits or flags, if any.
    Int { width: Width, endian: Option<Endian>, sub: SubFields },
    /// `[T; len]` or `[T; ..]` (as many as fit in the enclosing structure).
    Array { elem: Box<Type>, len: Length },
    /// A structure by name.
    Named(Ident),
    /// `select (e) { 1 => a: T; _ => b: U; }` — a tagged union.
    Select { selector: Expr, arms: Vec<Arm> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubFields {
    None,
    /// `bits { lo: 4; hi: 12; }`, least significant first.
    Bits(Vec<BitField>),
    /// `flags { ... }` (unknown bits are fine) or `features { ... }` (an
    /// unknown or `unsupported` bit set stops decoding: "unsupported feature").
    Flags {
        gate: bool,
        flags: Vec<Flag>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitField {
    pub name: Ident,
    pub width: u64,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: Ident,
    pub mask: u64,
    pub unsupported: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Length {
    Expr(Expr),
    Fill(Span),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arm {
    /// `None` is the default arm `_`.
    pub label: Option<Expr>,
    pub name: Ident,
    pub ty: Type,
    /// `mark symlink`: what generic tools should make of the arm.
    pub marks: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Int(u64),
    Name(String),
    /// The value of the pointer field a `when` or `via` applies to.
    It,
    Member(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Complement,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitOr,
    BitXor,
    BitAnd,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// Every name this expression reads, with its span (not member names).
    pub fn names(&self, out: &mut Vec<(String, Span)>) {
        match &self.kind {
            ExprKind::Int(_) | ExprKind::It => {}
            ExprKind::Name(n) => out.push((n.clone(), self.span)),
            ExprKind::Member(e, _) | ExprKind::Unary(_, e) => e.names(out),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                a.names(out);
                b.names(out);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| a.names(out)),
        }
    }
}

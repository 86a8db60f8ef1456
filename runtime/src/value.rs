//! Runtime values, shared by both semantics.
//!
//! Value semantics represents a boxed record or word array as a value
//! (`Record`, `Array`); update semantics as a pointer (`Ptr`) into a
//! [`crate::store::Heap`]. Everything else is the same in both.

use std::fmt;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A word of 8, 16, 32 or 64 bits.
    Word {
        bits: u8,
        value: u64,
    },
    Bool(bool),
    Str(Rc<str>),
    Unit,
    /// The world, threaded linearly; it carries nothing the program can see.
    SysState,
    Tuple(Rc<[Value]>),
    /// A record's fields in declaration order; `None` is a taken field.
    Record(Rc<[Field]>),
    Variant(Rc<str>, Rc<Value>),
    /// A top-level function instance, by name.
    Function(Rc<str>),
    /// A word array (value semantics).
    Array(Rc<[Value]>),
    /// A heap object (update semantics): slot and generation.
    Ptr(Ptr),
}

/// A record field: its name, and its value unless taken.
pub type Field = (Rc<str>, Option<Value>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ptr {
    pub slot: u32,
    pub generation: u32,
}

impl Value {
    pub fn word(bits: u8, value: u64) -> Value {
        Value::Word { bits, value: truncate(bits, value) }
    }

    pub fn as_word(&self) -> Option<u64> {
        match self {
            Value::Word { value, .. } => Some(*value),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(items.into())
    }

    pub fn variant(tag: &str, payload: Value) -> Value {
        Value::Variant(tag.into(), Rc::new(payload))
    }
}

/// Keeps the low `bits` bits: word arithmetic wraps, as in C.
pub fn truncate(bits: u8, value: u64) -> u64 {
    if bits >= 64 {
        value
    } else {
        value & ((1u64 << bits) - 1)
    }
}

/// Values print in CDSL's literal syntax where there is one.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Word { value, .. } => write!(f, "{value}"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Unit => f.write_str("()"),
            Value::SysState => f.write_str("<SysState>"),
            Value::Tuple(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Value::Record(fields) => {
                f.write_str("#{")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match value {
                        Some(v) => write!(f, "{name} = {v}")?,
                        None => write!(f, "{name} = <taken>")?,
                    }
                }
                f.write_str("}")
            }
            Value::Variant(tag, payload) => match payload.as_ref() {
                Value::Unit => f.write_str(tag),
                Value::Variant(_, inner) if **inner != Value::Unit => write!(f, "{tag} ({payload})"),
                p => write!(f, "{tag} {p}"),
            },
            Value::Function(name) => write!(f, "<function {name}>"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Ptr(p) => write!(f, "<object {}.{}>", p.slot, p.generation),
        }
    }
}

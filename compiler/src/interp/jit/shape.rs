//! Values as native loop code sees them: every value of a supported type
//! is a fixed number of 64-bit scalars, its *flat* form, and every word
//! array a buffer of plain words.
//!
//! Words and booleans are one scalar each (a word kept truncated to its
//! width), unit none; tuples and unboxed records are their parts one after
//! another (a taken field keeps its place, so taking and putting never move
//! anything); a variant is its tag's position among the alternatives
//! followed by *every* alternative's payload, so that one layout serves all
//! tags; a word array is its buffer's address and its length; the system
//! state is nothing at all. Anything else — boxed records, strings,
//! functions, other abstract types — is not
//! supported, and a loop that needs it is left to the interpreter.

use super::JitError;
use crate::typeck::types::{Prim, Ty};
use cdsl_runtime::{Store, Value};
use std::rc::Rc;

#[derive(Clone, Debug)]
pub(super) enum Shape {
    Word(u8),
    Bool,
    Unit,
    /// The world: nothing the program can see, so no scalars.
    SysState,
    /// A word array of words of this many bits.
    Array(u8),
    Tuple(Vec<Shape>),
    /// Fields in declaration order, each with whether it is taken.
    Record(Vec<(Rc<str>, bool, Shape)>),
    /// Alternatives in tag order.
    Variant(Vec<(Rc<str>, Shape)>),
}

impl Shape {
    pub(super) fn of(ty: &Ty) -> Result<Shape, JitError> {
        Ok(match ty {
            Ty::Prim(Prim::Bool) => Shape::Bool,
            Ty::Prim(p) if p.is_word() => Shape::Word(p.bits() as u8),
            Ty::Unit => Shape::Unit,
            Ty::Abstract { name, args, .. } if name == "SysState" && args.is_empty() => Shape::SysState,
            Ty::Tuple(items) => Shape::Tuple(items.iter().map(Shape::of).collect::<Result<_, _>>()?),
            Ty::Record { fields, boxed: false, .. } => Shape::Record(
                fields
                    .iter()
                    .map(|(name, field)| Ok((Rc::from(name.as_str()), field.taken, Shape::of(&field.ty)?)))
                    .collect::<Result<_, JitError>>()?,
            ),
            Ty::Variant(alts) => {
                Shape::Variant(
                    alts.iter()
                        .map(|(tag, payload)| Ok((Rc::from(tag.as_str()), Shape::of(payload)?)))
                        .collect::<Result<_, JitError>>()?,
                )
            }
            Ty::Abstract { name, args, .. } if name == "WordArray" && args.len() == 1 => match &args[0] {
                Ty::Prim(p) if p.is_word() => Shape::Array(p.bits() as u8),
                other => return Err(JitError::unsupported(format!("a word array of {other}"))),
            },
            other => return Err(JitError::unsupported(format!("a value of type {other}"))),
        })
    }

    /// Scalars in the flat form.
    pub(super) fn width(&self) -> usize {
        match self {
            Shape::Word(_) | Shape::Bool => 1,
            Shape::Unit | Shape::SysState => 0,
            Shape::Array(_) => 2,
            Shape::Tuple(items) => items.iter().map(Shape::width).sum(),
            Shape::Record(fields) => fields.iter().map(|(_, _, s)| s.width()).sum(),
            Shape::Variant(alts) => 1 + alts.iter().map(|(_, s)| s.width()).sum::<usize>(),
        }
    }

    /// The parts of a tuple, record or variant, each with where its flat
    /// form starts in the whole's.
    pub(super) fn parts(&self) -> Vec<(usize, &Shape)> {
        let (start, shapes): (usize, Vec<&Shape>) = match self {
            Shape::Tuple(items) => (0, items.iter().collect()),
            Shape::Record(fields) => (0, fields.iter().map(|(_, _, s)| s).collect()),
            Shape::Variant(alts) => (1, alts.iter().map(|(_, s)| s).collect()),
            _ => (0, Vec::new()),
        };
        let mut at = start;
        shapes
            .into_iter()
            .map(|shape| {
                at += shape.width();
                (at - shape.width(), shape)
            })
            .collect()
    }

    /// Whether values of the two shapes are laid out alike (taken flags
    /// aside, which do not change a layout).
    pub(super) fn same_layout(&self, other: &Shape) -> bool {
        match (self, other) {
            (Shape::Word(a), Shape::Word(b)) | (Shape::Array(a), Shape::Array(b)) => a == b,
            (Shape::Bool, Shape::Bool) | (Shape::Unit, Shape::Unit) | (Shape::SysState, Shape::SysState) => true,
            (Shape::Tuple(a), Shape::Tuple(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_layout(y)),
            (Shape::Record(a), Shape::Record(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((n, _, x), (m, _, y))| n == m && x.same_layout(y))
            }
            (Shape::Variant(a), Shape::Variant(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((n, x), (m, y))| n == m && x.same_layout(y))
            }
            _ => false,
        }
    }
}

/// The words of the arrays in `value`: what copying it in and out costs.
pub(super) fn array_words(shape: &Shape, value: &Value, store: &dyn Store) -> Result<u64, JitError> {
    let fault = |f: cdsl_runtime::Fault| JitError::bug(f.to_string());
    Ok(match (shape, value) {
        (Shape::Array(_), array) => store.array_len(array).map_err(fault)? as u64,
        (Shape::Tuple(shapes), Value::Tuple(items)) => {
            let mut words = 0;
            for (shape, item) in shapes.iter().zip(items.iter()) {
                words += array_words(shape, item, store)?;
            }
            words
        }
        (Shape::Record(shapes), Value::Record(fields)) => {
            let mut words = 0;
            for ((_, _, shape), (_, field)) in shapes.iter().zip(fields.iter()) {
                if let Some(value) = field {
                    words += array_words(shape, value, store)?;
                }
            }
            words
        }
        (Shape::Variant(alts), Value::Variant(tag, payload)) => match alts.iter().find(|(t, _)| t == tag) {
            Some((_, shape)) => array_words(shape, payload, store)?,
            None => 0,
        },
        _ => 0,
    })
}

/// The word arrays of one native loop run: copied out of the store into
/// plain words (with one zero word past the end, which out-of-range reads
/// land on) for the run, and the writable ones copied back after it.
#[derive(Default)]
pub(super) struct Buffers {
    list: Vec<Buffer>,
}

struct Buffer {
    /// The array's value, for writable ones until it is given back.
    array: Option<Value>,
    bits: u8,
    words: Vec<u64>,
}

impl Buffers {
    /// Appends `value`'s flat form to `out`, copying the words of its
    /// arrays; `writable` arrays are kept to be written back.
    pub(super) fn flatten(
        &mut self,
        shape: &Shape,
        value: Value,
        writable: bool,
        store: &dyn Store,
        out: &mut Vec<u64>,
    ) -> Result<(), JitError> {
        match (shape, value) {
            (Shape::Word(_), Value::Word { value, .. }) => out.push(value),
            (Shape::Bool, Value::Bool(b)) => out.push(u64::from(b)),
            (Shape::Unit, Value::Unit) | (Shape::SysState, Value::SysState) => {}
            (Shape::Tuple(shapes), Value::Tuple(items)) if shapes.len() == items.len() => {
                for (shape, item) in shapes.iter().zip(items.iter()) {
                    self.flatten(shape, item.clone(), writable, store, out)?;
                }
            }
            (Shape::Record(shapes), Value::Record(fields)) if shapes.len() == fields.len() => {
                for ((_, _, shape), (_, field)) in shapes.iter().zip(fields.iter()) {
                    match field {
                        Some(value) => self.flatten(shape, value.clone(), writable, store, out)?,
                        None => out.extend(std::iter::repeat_n(0, shape.width())),
                    }
                }
            }
            (Shape::Variant(alts), Value::Variant(tag, payload)) => {
                let Some(position) = alts.iter().position(|(t, _)| *t == tag) else {
                    return Err(JitError::bug(format!("no alternative `{tag}`")));
                };
                out.push(position as u64);
                let mut payload = Some(Rc::unwrap_or_clone(payload));
                for (i, (_, shape)) in alts.iter().enumerate() {
                    match payload.take_if(|_| i == position) {
                        Some(value) => self.flatten(shape, value, writable, store, out)?,
                        None => out.extend(std::iter::repeat_n(0, shape.width())),
                    }
                }
            }
            (Shape::Array(bits), array) => {
                let words = words_of(*bits, store.array_slice(&array).map_err(|f| JitError::bug(f.to_string()))?)?;
                out.extend([words.as_ptr() as u64, (words.len() - 1) as u64]);
                self.list.push(Buffer { array: writable.then_some(array), bits: *bits, words });
            }
            (shape, value) => return Err(JitError::bug(format!("{value} where a {shape:?} was expected"))),
        }
        Ok(())
    }

    /// The value whose flat form is `flat`, its arrays written back.
    pub(super) fn rebuild(&mut self, shape: &Shape, flat: &[u64], store: &mut dyn Store) -> Result<Value, JitError> {
        Ok(match shape {
            Shape::Word(bits) => Value::word(*bits, flat[0]),
            Shape::Bool => Value::Bool(flat[0] != 0),
            Shape::Unit => Value::Unit,
            Shape::SysState => Value::SysState,
            Shape::Tuple(_) => Value::tuple(
                shape
                    .parts()
                    .into_iter()
                    .map(|(at, part)| self.rebuild(part, &flat[at..], store))
                    .collect::<Result<_, _>>()?,
            ),
            Shape::Record(fields) => Value::Record(
                fields
                    .iter()
                    .zip(shape.parts())
                    .map(|((name, taken, _), (at, part))| {
                        let value = if *taken { None } else { Some(self.rebuild(part, &flat[at..], store)?) };
                        Ok((name.clone(), value))
                    })
                    .collect::<Result<Vec<_>, JitError>>()?
                    .into(),
            ),
            Shape::Variant(alts) => {
                let position = flat[0] as usize;
                let (Some((tag, _)), Some((at, part))) = (alts.get(position), shape.parts().get(position).copied())
                else {
                    return Err(JitError::bug(format!("tag {position} of {} alternatives", alts.len())));
                };
                Value::Variant(tag.clone(), Rc::new(self.rebuild(part, &flat[at..], store)?))
            }
            Shape::Array(_) => self.give_back(flat[0], store)?,
        })
    }

    /// Checks that every writable array went back to the store: a linear
    /// array the loop lost would be a bug.
    pub(super) fn all_given_back(&self) -> Result<(), JitError> {
        match self.list.iter().any(|b| b.array.is_some()) {
            true => Err(JitError::bug("an array the loop did not give back")),
            false => Ok(()),
        }
    }

    /// The writable array whose buffer is at `address`, its words written
    /// back into the store.
    fn give_back(&mut self, address: u64, store: &mut dyn Store) -> Result<Value, JitError> {
        let Some(buffer) = self.list.iter_mut().find(|b| b.words.as_ptr() as u64 == address && b.array.is_some())
        else {
            return Err(JitError::bug("an array the loop was not given, or given back twice"));
        };
        let Some(mut array) = buffer.array.take() else { unreachable!("checked just above") };
        let elements = store.array_mut(&mut array).map_err(|f| JitError::bug(f.to_string()))?;
        for (element, word) in elements.iter_mut().zip(&buffer.words) {
            *element = Value::Word { bits: buffer.bits, value: *word };
        }
        Ok(array)
    }
}

/// The elements of a word array as plain words, and a zero past the end.
fn words_of(bits: u8, elements: &[Value]) -> Result<Vec<u64>, JitError> {
    let mut words = Vec::with_capacity(elements.len() + 1);
    for element in elements {
        match element {
            Value::Word { bits: b, value } if *b == bits => words.push(*value),
            other => return Err(JitError::bug(format!("{other} in an array of U{bits}"))),
        }
    }
    words.push(0);
    Ok(words)
}

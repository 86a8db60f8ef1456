//! Where boxed values live: the one difference between the two semantics.
//!
//! [`ValueStore`] keeps boxed records and arrays as immutable values — `put`
//! builds a new record, as the proofs see it. [`Heap`] keeps them as objects
//! behind pointers — `put` writes in place, objects are freed explicitly —
//! and checks every access: a use after free, a double free, a field taken
//! twice or read while taken, and (at the end of a run) a leak are reported
//! as [`Fault`]s, which a well-typed program can never cause.

use crate::value::{Field, Ptr, Value};
use std::fmt;
use std::rc::Rc;

/// An access the type system should have made impossible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    UseAfterFree(Ptr),
    DoubleFree(Ptr),
    DanglingPointer(Ptr),
    FieldTakenTwice(String),
    FieldReadWhileTaken(String),
    NoSuchField(String),
    NotARecord(String),
    NotAnArray(String),
    Leak(Vec<Ptr>),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::UseAfterFree(p) => write!(f, "use after free of object {}.{}", p.slot, p.generation),
            Fault::DoubleFree(p) => write!(f, "double free of object {}.{}", p.slot, p.generation),
            Fault::DanglingPointer(p) => write!(f, "dangling pointer {}.{}", p.slot, p.generation),
            Fault::FieldTakenTwice(field) => write!(f, "field `{field}` taken twice"),
            Fault::FieldReadWhileTaken(field) => write!(f, "field `{field}` read while taken"),
            Fault::NoSuchField(field) => write!(f, "no field `{field}`"),
            Fault::NotARecord(v) => write!(f, "expected a record, found {v}"),
            Fault::NotAnArray(v) => write!(f, "expected a word array, found {v}"),
            Fault::Leak(ptrs) => {
                let list: Vec<String> = ptrs.iter().map(|p| format!("{}.{}", p.slot, p.generation)).collect();
                write!(f, "{} object(s) leaked at the end of the run: {}", ptrs.len(), list.join(", "))
            }
        }
    }
}

/// The operations on boxed values both semantics implement.
pub trait Store {
    /// A new boxed record with every field taken.
    fn alloc_record(&mut self, fields: &[Rc<str>]) -> Value;
    fn free(&mut self, value: &Value) -> Result<(), Fault>;
    /// Takes field `index` (named `field`; fields are in the order of the
    /// record's type): its value, and the record without it.
    fn take(&mut self, record: Value, index: usize, field: &str) -> Result<(Value, Value), Fault>;
    fn put(&mut self, record: Value, index: usize, field: &str, value: Value) -> Result<Value, Fault>;
    /// Reads a field of a shared view.
    fn member(&self, record: &Value, index: usize, field: &str) -> Result<Value, Fault>;
    fn new_array(&mut self, items: Vec<Value>) -> Value;
    fn array_len(&self, array: &Value) -> Result<usize, Fault>;
    /// Element `index`, or `None` out of range.
    fn array_get(&self, array: &Value, index: usize) -> Result<Option<Value>, Fault>;
    /// Replaces element `index` (in range): in place on the heap; as a new
    /// value — shared storage copied only if still shared — otherwise.
    fn array_set(&mut self, array: Value, index: usize, value: Value) -> Result<Value, Fault>;
    /// All elements, for whole-array operations.
    fn array(&self, array: &Value) -> Result<Rc<[Value]>, Fault>;
    /// The elements, borrowed: reading part of a large array costs that part.
    fn array_slice<'a>(&'a self, array: &'a Value) -> Result<&'a [Value], Fault>;
    /// Replaces the elements from `at` on with `items` (all in range), in
    /// place where the array is not shared.
    fn array_write(&mut self, array: Value, at: usize, items: &[Value]) -> Result<Value, Fault>;
    fn set_array(&mut self, array: Value, items: Vec<Value>) -> Result<Value, Fault>;
    /// The elements, to change in place (a value-semantics array is first
    /// made unshared, as `array_set` would).
    fn array_mut<'a>(&'a mut self, array: &'a mut Value) -> Result<&'a mut [Value], Fault>;
    /// The value as value semantics sees it: objects read out of the heap.
    fn read_back(&self, value: &Value) -> Result<Value, Fault>;
}

/// Value semantics: boxed things are plain values.
#[derive(Default)]
pub struct ValueStore;

fn record_fields(record: Value) -> Result<Rc<[Field]>, Fault> {
    match record {
        Value::Record(fields) => Ok(fields),
        other => Err(Fault::NotARecord(other.to_string())),
    }
}

/// Field `index`, checked to be the one named `field`.
fn checked(fields: &[Field], index: usize, field: &str) -> Result<usize, Fault> {
    match fields.get(index) {
        Some((name, _)) if &**name == field => Ok(index),
        _ => Err(Fault::NoSuchField(field.to_owned())),
    }
}

/// The fields to change in place: the record's own when nothing else
/// shares them (a linear record always), else a copy — so value semantics
/// costs no copy where update semantics would write in place.
fn unique<T: Clone>(items: &mut Rc<[T]>) -> &mut [T] {
    if Rc::get_mut(items).is_none() {
        *items = items.iter().cloned().collect();
    }
    Rc::get_mut(items).expect("bug: a fresh copy is unique")
}

/// Copies `items` over `elements` from `at`, as far as `elements` reaches.
fn write_range(elements: &mut [Value], at: usize, items: &[Value]) {
    if let Some(target) = elements.get_mut(at..) {
        target.iter_mut().zip(items).for_each(|(slot, item)| *slot = item.clone());
    }
}

/// Takes a field out of a record value (shared by both stores for unboxed
/// records, which are values in either semantics).
pub fn take_field(record: Value, index: usize, field: &str) -> Result<(Value, Value), Fault> {
    let mut fields = record_fields(record)?;
    let index = checked(&fields, index, field)?;
    let value = unique(&mut fields)[index].1.take().ok_or_else(|| Fault::FieldTakenTwice(field.to_owned()))?;
    Ok((value, Value::Record(fields)))
}

pub fn put_field(record: Value, index: usize, field: &str, value: Value) -> Result<Value, Fault> {
    let mut fields = record_fields(record)?;
    let index = checked(&fields, index, field)?;
    unique(&mut fields)[index].1 = Some(value);
    Ok(Value::Record(fields))
}

pub fn member_field(record: &Value, index: usize, field: &str) -> Result<Value, Fault> {
    let Value::Record(fields) = record else { return Err(Fault::NotARecord(record.to_string())) };
    let index = checked(fields, index, field)?;
    fields[index].1.clone().ok_or_else(|| Fault::FieldReadWhileTaken(field.to_owned()))
}

impl Store for ValueStore {
    fn alloc_record(&mut self, fields: &[Rc<str>]) -> Value {
        Value::Record(fields.iter().map(|n| (n.clone(), None)).collect())
    }

    fn free(&mut self, _: &Value) -> Result<(), Fault> {
        Ok(())
    }

    fn take(&mut self, record: Value, index: usize, field: &str) -> Result<(Value, Value), Fault> {
        take_field(record, index, field)
    }

    fn put(&mut self, record: Value, index: usize, field: &str, value: Value) -> Result<Value, Fault> {
        put_field(record, index, field, value)
    }

    fn member(&self, record: &Value, index: usize, field: &str) -> Result<Value, Fault> {
        member_field(record, index, field)
    }

    fn new_array(&mut self, items: Vec<Value>) -> Value {
        Value::Array(items.into())
    }

    fn array(&self, array: &Value) -> Result<Rc<[Value]>, Fault> {
        match array {
            Value::Array(items) => Ok(items.clone()),
            other => Err(Fault::NotAnArray(other.to_string())),
        }
    }

    fn array_len(&self, array: &Value) -> Result<usize, Fault> {
        Ok(self.array_slice(array)?.len())
    }

    fn array_slice<'a>(&'a self, array: &'a Value) -> Result<&'a [Value], Fault> {
        match array {
            Value::Array(items) => Ok(items),
            other => Err(Fault::NotAnArray(other.to_string())),
        }
    }

    fn array_write(&mut self, array: Value, at: usize, items: &[Value]) -> Result<Value, Fault> {
        let Value::Array(mut elements) = array else { return Err(Fault::NotAnArray(array.to_string())) };
        write_range(unique(&mut elements), at, items);
        Ok(Value::Array(elements))
    }

    fn array_get(&self, array: &Value, index: usize) -> Result<Option<Value>, Fault> {
        match array {
            Value::Array(items) => Ok(items.get(index).cloned()),
            other => Err(Fault::NotAnArray(other.to_string())),
        }
    }

    fn array_set(&mut self, array: Value, index: usize, value: Value) -> Result<Value, Fault> {
        let Value::Array(mut items) = array else { return Err(Fault::NotAnArray(array.to_string())) };
        if let Some(slot) = unique(&mut items).get_mut(index) {
            *slot = value;
        }
        Ok(Value::Array(items))
    }

    fn set_array(&mut self, _: Value, items: Vec<Value>) -> Result<Value, Fault> {
        Ok(Value::Array(items.into()))
    }

    fn array_mut<'a>(&'a mut self, array: &'a mut Value) -> Result<&'a mut [Value], Fault> {
        match array {
            Value::Array(items) => Ok(unique(items)),
            other => Err(Fault::NotAnArray(other.to_string())),
        }
    }

    fn read_back(&self, value: &Value) -> Result<Value, Fault> {
        Ok(value.clone())
    }
}

enum Object {
    Record(Vec<Field>),
    Array(Vec<Value>),
}

struct Slot {
    generation: u32,
    object: Option<Object>,
}

/// Update semantics: boxed things are objects behind checked pointers.
#[derive(Default)]
pub struct Heap {
    slots: Vec<Slot>,
    /// Slots free for reuse (with a new generation, so old pointers dangle).
    free_slots: Vec<u32>,
}

impl Heap {
    fn alloc(&mut self, object: Object) -> Value {
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                s.generation += 1;
                s.object = Some(object);
                slot
            }
            None => {
                self.slots.push(Slot { generation: 0, object: Some(object) });
                (self.slots.len() - 1) as u32
            }
        };
        Value::Ptr(Ptr { slot, generation: self.slots[slot as usize].generation })
    }

    fn object(&self, value: &Value) -> Result<&Object, Fault> {
        let Value::Ptr(p) = value else { return Err(Fault::NotARecord(value.to_string())) };
        let slot = self.slots.get(p.slot as usize).ok_or(Fault::DanglingPointer(*p))?;
        match (&slot.object, slot.generation == p.generation) {
            (Some(object), true) => Ok(object),
            (None, true) => Err(Fault::UseAfterFree(*p)),
            (_, false) => Err(Fault::DanglingPointer(*p)),
        }
    }

    fn object_mut(&mut self, value: &Value) -> Result<&mut Object, Fault> {
        self.object(value)?;
        let Value::Ptr(p) = value else { unreachable!("bug: checked to be a pointer just above") };
        self.slots[p.slot as usize].object.as_mut().ok_or(Fault::UseAfterFree(*p))
    }

    fn fields_mut(&mut self, record: &Value) -> Result<&mut Vec<Field>, Fault> {
        match self.object_mut(record)? {
            Object::Record(fields) => Ok(fields),
            Object::Array(_) => Err(Fault::NotARecord("a word array".to_owned())),
        }
    }

    fn elements(&self, array: &Value) -> Result<&[Value], Fault> {
        match self.object(array)? {
            Object::Array(items) => Ok(items),
            Object::Record(_) => Err(Fault::NotAnArray("a record".to_owned())),
        }
    }

    /// Objects still allocated that `roots` do not reach.
    pub fn leaks(&self, roots: &[Value]) -> Vec<Ptr> {
        let mut reachable = vec![false; self.slots.len()];
        let mut stack: Vec<Value> = roots.to_vec();
        while let Some(value) = stack.pop() {
            match value {
                Value::Ptr(p) => {
                    let index = p.slot as usize;
                    if index < reachable.len() && !reachable[index] {
                        reachable[index] = true;
                        match self.slots[index].object.as_ref() {
                            Some(Object::Record(fields)) => stack.extend(fields.iter().filter_map(|(_, v)| v.clone())),
                            Some(Object::Array(items)) => stack.extend(items.iter().cloned()),
                            None => {}
                        }
                    }
                }
                Value::Tuple(items) | Value::Array(items) => stack.extend(items.iter().cloned()),
                Value::Record(fields) => stack.extend(fields.iter().filter_map(|(_, v)| v.clone())),
                Value::Variant(_, payload) => stack.push((*payload).clone()),
                _ => {}
            }
        }
        self.slots
            .iter()
            .enumerate()
            .filter(|(i, s)| s.object.is_some() && !reachable[*i])
            .map(|(i, s)| Ptr { slot: i as u32, generation: s.generation })
            .collect()
    }

    /// How many objects are allocated.
    pub fn live(&self) -> usize {
        self.slots.iter().filter(|s| s.object.is_some()).count()
    }
}

impl Store for Heap {
    fn alloc_record(&mut self, fields: &[Rc<str>]) -> Value {
        self.alloc(Object::Record(fields.iter().map(|n| (n.clone(), None)).collect()))
    }

    fn free(&mut self, value: &Value) -> Result<(), Fault> {
        let Value::Ptr(p) = value else { return Err(Fault::NotARecord(value.to_string())) };
        let slot = self.slots.get_mut(p.slot as usize).ok_or(Fault::DanglingPointer(*p))?;
        if slot.generation != p.generation {
            return Err(Fault::DanglingPointer(*p));
        }
        if slot.object.take().is_none() {
            return Err(Fault::DoubleFree(*p));
        }
        self.free_slots.push(p.slot);
        Ok(())
    }

    fn take(&mut self, record: Value, index: usize, field: &str) -> Result<(Value, Value), Fault> {
        if !matches!(record, Value::Ptr(_)) {
            return take_field(record, index, field);
        }
        let fields = self.fields_mut(&record)?;
        let index = checked(fields, index, field)?;
        let value = fields[index].1.take().ok_or_else(|| Fault::FieldTakenTwice(field.to_owned()))?;
        Ok((value, record))
    }

    fn put(&mut self, record: Value, index: usize, field: &str, value: Value) -> Result<Value, Fault> {
        if !matches!(record, Value::Ptr(_)) {
            return put_field(record, index, field, value);
        }
        let fields = self.fields_mut(&record)?;
        let index = checked(fields, index, field)?;
        fields[index].1 = Some(value);
        Ok(record)
    }

    fn member(&self, record: &Value, index: usize, field: &str) -> Result<Value, Fault> {
        if !matches!(record, Value::Ptr(_)) {
            return member_field(record, index, field);
        }
        match self.object(record)? {
            Object::Record(fields) => {
                let index = checked(fields, index, field)?;
                fields[index].1.clone().ok_or_else(|| Fault::FieldReadWhileTaken(field.to_owned()))
            }
            Object::Array(_) => Err(Fault::NotARecord("a word array".to_owned())),
        }
    }

    fn new_array(&mut self, items: Vec<Value>) -> Value {
        self.alloc(Object::Array(items))
    }

    fn array(&self, array: &Value) -> Result<Rc<[Value]>, Fault> {
        Ok(self.elements(array)?.to_vec().into())
    }

    fn array_len(&self, array: &Value) -> Result<usize, Fault> {
        Ok(self.elements(array)?.len())
    }

    fn array_slice<'a>(&'a self, array: &'a Value) -> Result<&'a [Value], Fault> {
        self.elements(array)
    }

    fn array_write(&mut self, array: Value, at: usize, items: &[Value]) -> Result<Value, Fault> {
        match self.object_mut(&array)? {
            Object::Array(elements) => write_range(elements, at, items),
            Object::Record(_) => return Err(Fault::NotAnArray("a record".to_owned())),
        }
        Ok(array)
    }

    fn array_get(&self, array: &Value, index: usize) -> Result<Option<Value>, Fault> {
        Ok(self.elements(array)?.get(index).cloned())
    }

    fn array_set(&mut self, array: Value, index: usize, value: Value) -> Result<Value, Fault> {
        match self.object_mut(&array)? {
            Object::Array(items) => {
                if let Some(slot) = items.get_mut(index) {
                    *slot = value;
                }
            }
            Object::Record(_) => return Err(Fault::NotAnArray("a record".to_owned())),
        }
        Ok(array)
    }

    fn set_array(&mut self, array: Value, items: Vec<Value>) -> Result<Value, Fault> {
        match self.object_mut(&array)? {
            Object::Array(old) => *old = items,
            Object::Record(_) => return Err(Fault::NotAnArray("a record".to_owned())),
        }
        Ok(array)
    }

    fn array_mut<'a>(&'a mut self, array: &'a mut Value) -> Result<&'a mut [Value], Fault> {
        match self.object_mut(array)? {
            Object::Array(items) => Ok(items),
            Object::Record(_) => Err(Fault::NotAnArray("a record".to_owned())),
        }
    }

    fn read_back(&self, value: &Value) -> Result<Value, Fault> {
        Ok(match value {
            Value::Ptr(_) => match self.object(value)? {
                Object::Record(fields) => Value::Record(
                    fields
                        .iter()
                        .map(|(n, v)| Ok((n.clone(), v.as_ref().map(|v| self.read_back(v)).transpose()?)))
                        .collect::<Result<Vec<_>, Fault>>()?
                        .into(),
                ),
                Object::Array(items) => {
                    Value::Array(items.iter().map(|v| self.read_back(v)).collect::<Result<Vec<_>, _>>()?.into())
                }
            },
            Value::Tuple(items) => {
                Value::Tuple(items.iter().map(|v| self.read_back(v)).collect::<Result<Vec<_>, _>>()?.into())
            }
            Value::Record(fields) => Value::Record(
                fields
                    .iter()
                    .map(|(n, v)| Ok((n.clone(), v.as_ref().map(|v| self.read_back(v)).transpose()?)))
                    .collect::<Result<Vec<_>, Fault>>()?
                    .into(),
            ),
            Value::Variant(tag, payload) => Value::Variant(tag.clone(), Rc::new(self.read_back(payload)?)),
            other => other.clone(),
        })
    }
}

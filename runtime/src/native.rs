//! The native runtime of the Rust backend: what generated Rust calls.
//!
//! The Rust backend (`cdsl::backend::rust`) copies this file, unchanged,
//! into every program it generates as `mod cdsl_rt { .. }`, so a generated
//! module needs no crate but `std`; it is also compiled here, as
//! `cdsl_runtime::native`, so that it is built, linted and tested like the
//! rest of the runtime. It must therefore stay self-contained: no `crate::`
//! paths, nothing outside `std`.
//!
//! Each function implements the update semantics of its counterpart in
//! `library.rs` (word arrays, `seq32`/`seq64`) with the same rules: a word
//! array is a `Vec` moved through the program, read-only views are slices;
//! out-of-range reads give the element type's zero, out-of-range writes
//! give the array back as an error, copies and loop ranges are clipped to
//! the array. Word arithmetic follows the interpreters: wrapping, `x / 0 ==
//! x % 0 == 0`, shifts by the width or more give 0. [`Show`] prints values
//! in the interpreters' `Value` display format.
#![forbid(unsafe_code)]
#![allow(dead_code)]

use std::fmt::Write as _;

/// The state of the world, threaded linearly; it carries nothing.
pub struct SysState;

/// Arrays larger than this fail to allocate (as in `library::MAX_ARRAY_LEN`).
pub const MAX_ARRAY_LEN: u64 = 1 << 24;

/// A taken field was read: the type checker promised this cannot happen.
#[cold]
pub fn taken_field() -> ! {
    panic!("bug: a taken field was read (the type checker should have rejected the program)")
}

/// Moves a field's value out, leaving it taken.
pub fn take<T>(field: &mut Option<T>) -> T {
    match field.take() {
        Some(value) => value,
        None => taken_field(),
    }
}

/// A present field, by reference.
pub fn present<T>(field: &Option<T>) -> &T {
    match field {
        Some(value) => value,
        None => taken_field(),
    }
}

/// A present field, by value.
pub fn present_owned<T>(field: Option<T>) -> T {
    match field {
        Some(value) => value,
        None => taken_field(),
    }
}

/// An abstract function with no native implementation was called.
#[cold]
pub fn unimplemented(name: &str, detail: &str) -> ! {
    panic!("no native implementation of abstract function `{name}`: {detail}")
}

// ---------------------------------------------------------------- words

/// The word types, with the interpreters' arithmetic.
pub trait Word: Copy + PartialOrd {
    const BITS: u32;
    fn to_u64(self) -> u64;
    fn div0(self, by: Self) -> Self;
    fn rem0(self, by: Self) -> Self;
    fn shl0(self, by: u32) -> Self;
    fn shr0(self, by: u32) -> Self;
    fn zero() -> Self;
}

macro_rules! word {
    ($($t:ty),*) => {$(
        impl Word for $t {
            const BITS: u32 = <$t>::BITS;
            fn to_u64(self) -> u64 {
                self as u64
            }
            fn div0(self, by: Self) -> Self {
                self.checked_div(by).unwrap_or(0)
            }
            fn rem0(self, by: Self) -> Self {
                self.checked_rem(by).unwrap_or(0)
            }
            fn shl0(self, by: u32) -> Self {
                self << by
            }
            fn shr0(self, by: u32) -> Self {
                self >> by
            }
            fn zero() -> Self {
                0
            }
        }
    )*};
}
word!(u8, u16, u32, u64);

/// `x / y`, 0 when `y` is 0.
pub fn div<W: Word>(x: W, y: W) -> W {
    x.div0(y)
}

/// `x % y`, 0 when `y` is 0.
pub fn rem<W: Word>(x: W, y: W) -> W {
    x.rem0(y)
}

/// `x << y`, 0 when `y` is the width or more.
pub fn shl<W: Word>(x: W, y: W) -> W {
    if y.to_u64() >= u64::from(W::BITS) {
        W::zero()
    } else {
        x.shl0(y.to_u64() as u32)
    }
}

/// `x >> y`, 0 when `y` is the width or more.
pub fn shr<W: Word>(x: W, y: W) -> W {
    if y.to_u64() >= u64::from(W::BITS) {
        W::zero()
    } else {
        x.shr0(y.to_u64() as u32)
    }
}

// ---------------------------------------------------------- word arrays

/// `wordarray_create`: `len` zeros, or `None` above [`MAX_ARRAY_LEN`].
pub fn wordarray_create<T: Clone>(len: u32, zero: T) -> Option<Vec<T>> {
    if u64::from(len) > MAX_ARRAY_LEN {
        None
    } else {
        Some(vec![zero; len as usize])
    }
}

pub fn wordarray_length<T>(array: &[T]) -> u32 {
    array.len() as u32
}

/// Element `index`, or `zero` out of range.
pub fn wordarray_get<T: Clone>(array: &[T], index: u32, zero: T) -> T {
    array.get(index as usize).cloned().unwrap_or(zero)
}

/// Replaces element `index` in place; out of range gives the array back as `Err`.
pub fn wordarray_put<T>(mut array: Vec<T>, index: u32, value: T) -> Result<Vec<T>, Vec<T>> {
    match array.get_mut(index as usize) {
        Some(slot) => {
            *slot = value;
            Ok(array)
        }
        None => Err(array),
    }
}

/// Copies `len` elements from `src[src_off..]` to `dst[dst_off..]`, clipped to both.
pub fn wordarray_copy<T: Clone>(mut dst: Vec<T>, src: &[T], dst_off: u32, src_off: u32, len: u32) -> Vec<T> {
    let (dst_off, src_off) = (dst_off as usize, src_off as usize);
    if dst_off < dst.len() && src_off < src.len() {
        let n = (len as usize).min(dst.len() - dst_off).min(src.len() - src_off);
        dst[dst_off..dst_off + n].clone_from_slice(&src[src_off..src_off + n]);
    }
    dst
}

/// The `[frm, to)` range of a fold or map, clipped to an array of `len`.
pub fn clip(frm: u32, to: u32, len: usize) -> std::ops::Range<usize> {
    let frm = (frm as usize).min(len);
    let to = (to as usize).min(len);
    frm..to.max(frm)
}

pub fn wordarray_fold<T: Clone, A>(array: &[T], frm: u32, to: u32, mut acc: A, mut f: impl FnMut(T, A) -> A) -> A {
    for element in &array[clip(frm, to, array.len())] {
        acc = f(element.clone(), acc);
    }
    acc
}

pub fn wordarray_map<T: Clone, A>(
    mut array: Vec<T>,
    frm: u32,
    to: u32,
    mut acc: A,
    mut f: impl FnMut(T, A) -> (T, A),
) -> (Vec<T>, A) {
    let range = clip(frm, to, array.len());
    for element in &mut array[range] {
        let (next, next_acc) = f(element.clone(), acc);
        *element = next;
        acc = next_acc;
    }
    (array, acc)
}

// ---------------------------------------------------------------- loops

/// `seq32`: `f` for idx = frm, frm + step, ... while idx < to (step 0 is 1).
pub fn seq32<A>(frm: u32, to: u32, step: u32, acc: A, f: impl FnMut(A, u32) -> A) -> A {
    let mut f = f;
    let step = step.max(1);
    let (mut idx, mut acc) = (frm, acc);
    while idx < to {
        acc = f(acc, idx);
        match idx.checked_add(step) {
            Some(next) => idx = next,
            None => break,
        }
    }
    acc
}

/// `seq64`: as [`seq32`] over 64-bit indices.
pub fn seq64<A>(frm: u64, to: u64, step: u64, acc: A, f: impl FnMut(A, u64) -> A) -> A {
    let mut f = f;
    let step = step.max(1);
    let (mut idx, mut acc) = (frm, acc);
    while idx < to {
        acc = f(acc, idx);
        match idx.checked_add(step) {
            Some(next) => idx = next,
            None => break,
        }
    }
    acc
}

// ---------------------------------------------------------------- printing

/// Printing in the interpreters' `Value` display format.
pub trait Show {
    fn show(&self, out: &mut String);
    /// Whether this is a variant whose payload is not `()`: such a value
    /// is parenthesised when it is itself a payload.
    fn nested_variant(&self) -> bool {
        false
    }
}

/// `value`, displayed.
pub fn show<T: Show + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.show(&mut out);
    out
}

macro_rules! show_word {
    ($($t:ty),*) => {$(
        impl Show for $t {
            fn show(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
show_word!(u8, u16, u32, u64);

impl Show for bool {
    fn show(&self, out: &mut String) {
        out.push_str(if *self { "True" } else { "False" });
    }
}

impl Show for &str {
    fn show(&self, out: &mut String) {
        let _ = write!(out, "{self:?}");
    }
}

impl Show for () {
    fn show(&self, out: &mut String) {
        out.push_str("()");
    }
}

impl Show for SysState {
    fn show(&self, out: &mut String) {
        out.push_str("<SysState>");
    }
}

impl<T: Show> Show for Vec<T> {
    fn show(&self, out: &mut String) {
        self.as_slice().show(out);
    }
}

impl<T: Show> Show for [T] {
    fn show(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            item.show(out);
        }
        out.push(']');
    }
}

impl<T: Show + ?Sized> Show for Box<T> {
    fn show(&self, out: &mut String) {
        (**self).show(out);
    }
    fn nested_variant(&self) -> bool {
        (**self).nested_variant()
    }
}

impl<T: Show + ?Sized> Show for &T {
    fn show(&self, out: &mut String) {
        (**self).show(out);
    }
    fn nested_variant(&self) -> bool {
        (**self).nested_variant()
    }
}

/// A record field: `None` is a taken field.
impl<T: Show> Show for Option<T> {
    fn show(&self, out: &mut String) {
        match self {
            Some(value) => value.show(out),
            None => out.push_str("<taken>"),
        }
    }
}

macro_rules! show_tuple {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: Show),+> Show for ($($t,)+) {
            fn show(&self, out: &mut String) {
                out.push('(');
                $(
                    if $i > 0 {
                        out.push_str(", ");
                    }
                    self.$i.show(out);
                )+
                out.push(')');
            }
        }
    )*};
}
show_tuple! {
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
}

/// A record, as `#{name = value, ..}`.
pub fn show_record(out: &mut String, fields: &[(&str, &dyn Show)]) {
    out.push_str("#{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push_str(" = ");
        value.show(out);
    }
    out.push('}');
}

/// A variant with a payload other than `()`.
pub fn show_variant(out: &mut String, tag: &str, payload: &dyn Show) {
    out.push_str(tag);
    if payload.nested_variant() {
        out.push_str(" (");
        payload.show(out);
        out.push(')');
    } else {
        out.push(' ');
        payload.show(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_the_interpreters() {
        assert_eq!(div(7u8, 0), 0);
        assert_eq!(rem(7u64, 0), 0);
        assert_eq!(shl(1u16, 16), 0);
        assert_eq!(shl(1u16, 15), 0x8000);
        assert_eq!(shr(u32::MAX, 40), 0);
        assert_eq!(shl(0x81u8, 1), 2);
    }

    #[test]
    fn arrays_clip_and_fail_softly() {
        let array = wordarray_create(4, 0u32).expect("small");
        assert!(wordarray_create(u32::MAX, 0u8).is_none());
        let array = wordarray_put(array, 1, 9).expect("in range");
        let array = wordarray_put(array, 4, 9).expect_err("out of range");
        assert_eq!(wordarray_get(&array, 1, 0), 9);
        assert_eq!(wordarray_get(&array, 7, 5), 5);
        let copied = wordarray_copy(vec![1u32; 3], &array, 2, 1, 10);
        assert_eq!(copied, vec![1, 1, 9]);
        let (mapped, n) = wordarray_map(array, 0, 9, 0u32, |e, acc| (e + 1, acc + 1));
        assert_eq!((mapped, n), (vec![1, 10, 1, 1], 4));
        assert_eq!(wordarray_fold(&[1u32, 2, 3], 1, 2, 0, |e, acc| acc + e), 2);
    }

    #[test]
    fn loops_stop_at_overflow() {
        assert_eq!(seq32(0, 10, 0, 0u32, |acc, _| acc + 1), 10);
        assert_eq!(seq32(u32::MAX - 1, u32::MAX, 5, 0u32, |acc, i| acc + i), u32::MAX - 1);
        assert_eq!(
            seq64(3, 10, 3, Vec::new(), |mut acc, i| {
                acc.push(i);
                acc
            }),
            vec![3, 6, 9]
        );
    }

    #[test]
    fn values_print_like_the_interpreters() {
        struct Some3;
        impl Show for Some3 {
            fn show(&self, out: &mut String) {
                show_variant(out, "Some", &3u32);
            }
            fn nested_variant(&self) -> bool {
                true
            }
        }
        let mut out = String::new();
        show_variant(&mut out, "Ok", &Some3);
        assert_eq!(out, "Ok (Some 3)");
        assert_eq!(show(&(true, "a\"b", (), vec![1u8, 2])), "(True, \"a\\\"b\", (), [1, 2])");
        let mut record = String::new();
        show_record(&mut record, &[("x", &1u32), ("y", &None::<u32>)]);
        assert_eq!(record, "#{x = 1, y = <taken>}");
    }
}

//! Text rendering of decoded values, as `ddsl dump` prints them.
//!
//! Consumes [`RootValue`]s and [`Fault`]s; produces one line per field,
//! indented by nesting: integers in decimal, pointers with their target type
//! and byte address, byte arrays as text when they read as text and as hex
//! otherwise.

use crate::decode::{Fault, RootValue, Value};
use std::fmt::Write;

/// Byte arrays longer than this are summarised, not printed.
const MAX_BYTES_SHOWN: usize = 64;

pub fn roots(roots: &[RootValue]) -> String {
    let mut out = String::new();
    for root in roots {
        let at = root.offset.map_or_else(|| "?".to_owned(), |o| o.to_string());
        let _ = write!(out, "{} @ {at}:", root.name);
        value(&mut out, &root.value, 0);
    }
    out
}

pub fn faults(faults: &[Fault]) -> String {
    faults.iter().map(|f| format!("fault: {f}\n")).collect()
}

fn value(out: &mut String, v: &Value, depth: usize) {
    let indent = "  ".repeat(depth + 1);
    match v {
        Value::Int(n) => {
            let _ = writeln!(out, " {n}");
        }
        Value::Pointer { raw, target: Some(t), .. } => {
            let _ = writeln!(out, " {raw} -> {} @ {}", t.ty, t.addr);
        }
        Value::Pointer { raw, target: None, .. } => {
            let _ = writeln!(out, " {raw}");
        }
        Value::Bytes(bytes) => {
            let _ = writeln!(out, " {}", bytes_text(bytes));
        }
        Value::Missing => out.push_str(" <unreadable>\n"),
        Value::Variant { arm, value: inner } => {
            let _ = write!(out, " {arm}:");
            value(out, inner, depth);
        }
        Value::Array(items) => {
            if items.iter().all(|i| matches!(i, Value::Int(_))) {
                let numbers: Vec<String> = items.iter().filter_map(Value::as_int).map(|n| n.to_string()).collect();
                let _ = writeln!(out, " [{}]", numbers.join(", "));
                return;
            }
            let _ = writeln!(out, " [{} items]", items.len());
            for (i, item) in items.iter().enumerate() {
                let _ = write!(out, "{indent}[{i}]");
                value(out, item, depth + 1);
            }
        }
        Value::Struct(s) => {
            let size = s.size.map_or_else(|| "?".to_owned(), |n| n.to_string());
            let _ = writeln!(out, " {} at byte {} ({size} bytes)", s.name, s.offset);
            for (name, field) in &s.fields {
                let _ = write!(out, "{indent}{name} =");
                value(out, field, depth + 1);
            }
        }
    }
}

/// Text if the bytes are printable ASCII padded with NULs, hex otherwise.
fn bytes_text(bytes: &[u8]) -> String {
    let text_len = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let (text, rest) = bytes.split_at(text_len);
    if rest.iter().all(|b| *b == 0) && text.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return format!("{:?}", String::from_utf8_lossy(text));
    }
    if bytes.len() > MAX_BYTES_SHOWN {
        return format!("<{} bytes>", bytes.len());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::bytes_text;

    #[test]
    fn bytes_read_as_text_or_hex() {
        assert_eq!(bytes_text(b"lost+found\0\0"), "\"lost+found\"");
        assert_eq!(bytes_text(&[0x2e, 0xdf, 0]), "2e df 00");
        assert_eq!(bytes_text(&[0; 4]), "\"\"");
    }
}

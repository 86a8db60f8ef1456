//! The C encoders and printers: `Foo_encode` computes magic and length
//! fields, checks feature gates, asserts, `select` arms and sizes in the
//! Rust generator's order (so both report the same first error), then
//! writes; `Foo_print` lists every field as the Rust `fields()` does.

use super::emit::{big, gate, ident, int_ty, max_of, Gen};
use crate::gen::rust::{Kind, SelectArm, Size};
use crate::syntax::ast::*;

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

impl Gen<'_, '_> {
    pub(super) fn encode(&self, c: &mut String) {
        let name = self.plan.name;
        let fixed = self.plan.fixed_len;
        w!(c, "");
        w!(c, "int {name}_encode(const {name} *in, uint8_t *bytes, size_t len, ddsl_error *err) {{");
        w!(c, "    if ({name}_encode_at(in, bytes, len, 0, err)) return ddsl_or_path(err, \"{name}\");");
        w!(c, "    return 0;");
        w!(c, "}}");
        w!(c, "");
        w!(c, "static int {name}_encode_at(const {name} *in, uint8_t *bytes, size_t len, size_t base, ddsl_error *err) {{");
        w!(c, "    uint64_t var = 0, used, size;");
        w!(c, "    (void)in;");
        for m in &self.plan.members {
            let (off, f) = (m.offset, m.name);
            match &m.kind {
                Kind::Int { width, sub, .. } => {
                    let ty = int_ty(*width);
                    if let Some(magic) = m.magic {
                        w!(c, "    {ty} f_{f} = ({ty})UINT64_C({magic:#x});");
                    } else if m.checksum.is_some() {
                        w!(c, "    {ty} f_{f} = 0; /* computed last */");
                    } else if self.plan.derived.contains(f) {
                        let array = ident(self.derived_array(f));
                        let max = max_of(*width);
                        w!(c, "    if ((uint64_t)in->{array}_count > UINT64_C({max})) return ddsl_fail(err, base + {off}, \"{f}\", DDSL_VALUE_TOO_LARGE, in->{array}_count, UINT64_C({max}), NULL, NULL);");
                        w!(c, "    {ty} f_{f} = ({ty})in->{array}_count;");
                    } else {
                        w!(c, "    {ty} f_{f} = in->{};", ident(f));
                        if let SubFields::Flags { gate: true, flags } = sub {
                            gate(c, f, flags, off);
                        }
                    }
                }
                Kind::VarArray { len, .. } => {
                    let field = ident(f);
                    w!(c, "    {{");
                    w!(c, "        ddsl_v want = {};", self.expr(len));
                    w!(c, "        if (!want.ok) return ddsl_fail(err, base + {off}, \"{f}\", DDSL_ARITHMETIC, 0, 0, NULL, NULL);");
                    w!(c, "        if ((uint64_t)in->{field}_count != want.v) return ddsl_fail(err, base + {off}, \"{f}\", DDSL_LENGTH_MISMATCH, want.v, in->{field}_count, NULL, NULL);");
                    w!(c, "        var = in->{field}_count;");
                    w!(c, "    }}");
                }
                Kind::Fill { .. } => {
                    // The elements tile the rest of the buffer (checked as they are written).
                    w!(c, "    var = len > base + {off} ? (uint64_t)(len - (base + {off})) : 0;");
                }
                _ => {}
            }
        }
        self.asserts(c);
        for m in &self.plan.members {
            if let Kind::Select { .. } = &m.kind {
                let value = format!("in->{}", ident(m.name));
                self.check_arm(c, &m.kind, &value, m.offset, m.name, &format!("{name}_{}", m.name), "    ");
            }
        }
        w!(c, "    used = UINT64_C({fixed}) + var;");
        match &self.plan.size {
            Size::Computed(size) => {
                w!(c, "    {{");
                w!(c, "        ddsl_v s = {};", self.expr(size));
                w!(c, "        if (!s.ok) return ddsl_fail(err, base, \"\", DDSL_ARITHMETIC, 0, 0, NULL, NULL);");
                w!(c, "        if (s.v < used) return ddsl_fail(err, base, \"\", DDSL_SIZE_TOO_SMALL, s.v, used, NULL, NULL);");
                w!(c, "        size = s.v;");
                w!(c, "    }}");
            }
            Size::Fields | Size::Stride => w!(c, "    size = used;"),
        }
        w!(c, "    if (!ddsl_fits(len, base, size)) return ddsl_fail(err, base, \"\", DDSL_BUFFER_TOO_SMALL, size, len > base ? len - base : 0, NULL, NULL);");
        for m in &self.plan.members {
            let at = format!("base + {}", m.offset);
            let value = match &m.kind {
                Kind::Int { .. } => format!("f_{}", m.name),
                _ => format!("in->{}", ident(m.name)),
            };
            self.encode_kind(c, &m.kind, &value, &at, m.name, &format!("{name}_{}", m.name), "    ");
        }
        self.checksums(c, true, "size");
        w!(c, "    return 0;");
        w!(c, "}}");
    }

    /// Fails when a select holds an arm its selector does not choose.
    #[allow(clippy::too_many_arguments)]
    fn check_arm(&self, c: &mut String, kind: &Kind<'_>, value: &str, off: u64, path: &str, ty: &str, ind: &str) {
        let Kind::Select { selector, arms, .. } = kind else { return };
        w!(c, "{ind}{{");
        w!(c, "{ind}    const char *expected = NULL;");
        w!(c, "{ind}    ddsl_v sel = {};", self.expr(selector));
        w!(
            c,
            "{ind}    if (!sel.ok) return ddsl_fail(err, base + {off}, \"{path}\", DDSL_ARITHMETIC, 0, 0, NULL, NULL);"
        );
        let mut chain = String::new();
        for arm in arms.iter().filter(|a| a.label.is_some()) {
            let label = arm.label.unwrap_or_default();
            chain.push_str(&format!("if (sel.v == UINT64_C({label:#x})) expected = \"{}\"; else ", arm.name));
        }
        let default = arms.iter().find(|a| a.label.is_none()).map_or("NULL".to_string(), |a| format!("\"{}\"", a.name));
        w!(c, "{ind}    {chain}expected = {default};");
        w!(c, "{ind}    if (expected == NULL || strcmp(expected, {ty}_arm_name({value}.arm)) != 0)");
        w!(c, "{ind}        return ddsl_fail(err, base + {off}, \"{path}\", DDSL_WRONG_ARM, 0, 0, {ty}_arm_name({value}.arm), expected);");
        for arm in arms {
            if let Kind::Select { .. } = &arm.kind {
                let inner = format!("{value}.as.{}", ident(arm.name));
                w!(c, "{ind}    if ({value}.arm == {ty}_ARM_{}) {{", arm.name);
                let (p, t) = (format!("{path}.{}", arm.name), format!("{ty}_{}", arm.name));
                self.check_arm(c, &arm.kind, &inner, off, &p, &t, &format!("{ind}        "));
                w!(c, "{ind}    }}");
            }
        }
        w!(c, "{ind}}}");
    }

    /// Writes `value` as `kind` at byte `at` of `bytes`.
    #[allow(clippy::too_many_arguments)]
    fn encode_kind(&self, c: &mut String, kind: &Kind<'_>, value: &str, at: &str, path: &str, ty: &str, ind: &str) {
        match kind {
            Kind::Fill { elem, size_field } => self.encode_fill(c, value, at, path, elem, *size_field),
            Kind::Int { width, endian, .. } => {
                w!(c, "{ind}ddsl_wr(bytes + {at}, {}, {}, {value});", width.bytes(), big(*endian))
            }
            Kind::Array { width: Width::U8, len, .. } => w!(c, "{ind}memcpy(bytes + {at}, {value}, {len});"),
            Kind::Array { width, endian, len } => {
                let wb = width.bytes();
                w!(c, "{ind}{{ size_t i; for (i = 0; i < {len}; i++) ddsl_wr(bytes + {at} + i * {wb}, {wb}, {}, {value}[i]); }}", big(*endian));
            }
            Kind::VarArray { .. } => {
                w!(c, "{ind}if ({value}_count) memcpy(bytes + {at}, {value}, {value}_count);")
            }
            Kind::Struct { name, .. } => {
                w!(
                    c,
                    "{ind}if ({name}_encode_at(&{value}, bytes, len, {at}, err)) return ddsl_within(err, \"{path}\");"
                )
            }
            Kind::Select { arms, .. } => {
                w!(c, "{ind}switch ({value}.arm) {{");
                for arm in arms {
                    w!(c, "{ind}case {ty}_ARM_{}:", arm.name);
                    let inner = format!("{value}.as.{}", ident(arm.name));
                    let (p, t) = (format!("{path}.{}", arm.name), format!("{ty}_{}", arm.name));
                    self.encode_kind(c, &arm.kind, &inner, at, &p, &t, &format!("{ind}    "));
                    w!(c, "{ind}    break;");
                }
                w!(c, "{ind}default: break;");
                w!(c, "{ind}}}");
            }
        }
    }

    /// Writes the elements of `[elem; ..]` from `at` to the end of the
    /// buffer, the last one's size field computed to reach it exactly.
    fn encode_fill(
        &self,
        c: &mut String,
        value: &str,
        at: &str,
        path: &str,
        elem: &str,
        size_field: Option<(&str, Width)>,
    ) {
        w!(c, "    {{");
        w!(c, "        size_t start = {at}, at = start, i, n = {value}_count;");
        w!(c, "        char name[64];");
        w!(c, "        for (i = 0; i < n; i++) {{");
        w!(c, "            uint64_t size;");
        w!(c, "            snprintf(name, sizeof name, \"{path}[%lu]\", (unsigned long)i);");
        match size_field {
            Some((f, width)) => {
                let (fi, ty, max) = (ident(f), int_ty(width), max_of(width));
                w!(c, "            if (i + 1 == n) {{");
                w!(c, "                {elem} last = {value}[i];");
                w!(c, "                size_t rest = len > at ? len - at : 0;");
                w!(c, "                if ((uint64_t)rest > UINT64_C({max})) {{");
                w!(c, "                    snprintf(name, sizeof name, \"{path}[%lu].{f}\", (unsigned long)i);");
                w!(c, "                    return ddsl_fail(err, at, name, DDSL_VALUE_TOO_LARGE, rest, UINT64_C({max}), NULL, NULL);");
                w!(c, "                }}");
                w!(c, "                last.{fi} = ({ty})rest;");
                w!(
                    c,
                    "                if ({elem}_encode_at(&last, bytes, len, at, err)) return ddsl_within(err, name);"
                );
                w!(c, "                size = rest;");
                w!(c, "            }} else {{");
                w!(c, "                if ({elem}_encode_at(&{value}[i], bytes, len, at, err)) return ddsl_within(err, name);");
                w!(c, "                size = {value}[i].{fi};");
                w!(c, "            }}");
            }
            None => {
                w!(c, "            if ({elem}_encode_at(&{value}[i], bytes, len, at, err)) return ddsl_within(err, name);");
                w!(c, "            size = {elem}_FIXED_LEN;");
            }
        }
        w!(c, "            at = size > len - at ? len : at + (size_t)size;");
        w!(c, "        }}");
        w!(c, "        if (at != len) return ddsl_fail(err, start, \"{path}\", DDSL_NOT_TILED, at - start, len - start, NULL, NULL);");
        w!(c, "    }}");
    }

    pub(super) fn print(&self, c: &mut String) {
        let name = self.plan.name;
        w!(c, "");
        w!(c, "void {name}_print(const {name} *x, FILE *out, const char *prefix) {{");
        w!(c, "    size_t i;");
        w!(c, "    char sub[512];");
        w!(c, "    (void)x; (void)i; (void)sub;");
        // Checksums are not listed (as in the Rust `fields()`).
        for m in self.plan.members.iter().filter(|m| m.checksum.is_none()) {
            let f = m.name;
            if let Some(magic) = m.magic {
                w!(c, "    fprintf(out, \"%s{f} = %llu\\n\", prefix, (unsigned long long)UINT64_C({magic:#x}));");
            } else if self.plan.derived.contains(f) {
                let array = ident(self.derived_array(f));
                w!(c, "    fprintf(out, \"%s{f} = %llu\\n\", prefix, (unsigned long long)x->{array}_count);");
            } else {
                let value = format!("x->{}", ident(f));
                self.print_kind(c, &m.kind, &value, f, &format!("{name}_{f}"), "    ");
            }
        }
        w!(c, "}}");
    }

    fn print_kind(&self, c: &mut String, kind: &Kind<'_>, value: &str, path: &str, ty: &str, ind: &str) {
        let list = |c: &mut String, n: &str| {
            w!(c, "{ind}fprintf(out, \"%s{path} = [\", prefix);");
            w!(c, "{ind}for (i = 0; i < {n}; i++) fprintf(out, i ? \", %llu\" : \"%llu\", (unsigned long long){value}[i]);");
            w!(c, "{ind}fprintf(out, \"]\\n\");");
        };
        match kind {
            Kind::Int { .. } => {
                w!(c, "{ind}fprintf(out, \"%s{path} = %llu\\n\", prefix, (unsigned long long){value});")
            }
            Kind::Array { len, .. } => list(c, &len.to_string()),
            Kind::VarArray { .. } => list(c, &format!("{value}_count")),
            Kind::Fill { elem, .. } => {
                w!(c, "{ind}for (i = 0; i < {value}_count; i++) {{");
                w!(c, "{ind}    snprintf(sub, sizeof sub, \"%s{path}[%lu].\", prefix, (unsigned long)i);");
                w!(c, "{ind}    {elem}_print(&{value}[i], out, sub);");
                w!(c, "{ind}}}");
            }
            Kind::Struct { name, .. } => {
                w!(c, "{ind}snprintf(sub, sizeof sub, \"%s{path}.\", prefix);");
                w!(c, "{ind}{name}_print(&{value}, out, sub);");
            }
            Kind::Select { arms, .. } => {
                w!(c, "{ind}switch ({value}.arm) {{");
                for arm in arms {
                    self.print_arm(c, arm, value, path, ty, ind);
                }
                w!(c, "{ind}default: break;");
                w!(c, "{ind}}}");
            }
        }
    }

    fn print_arm(&self, c: &mut String, arm: &SelectArm<'_>, value: &str, path: &str, ty: &str, ind: &str) {
        w!(c, "{ind}case {ty}_ARM_{}: {{", arm.name);
        let inner = format!("{value}.as.{}", ident(arm.name));
        let (p, t) = (format!("{path}.{}", arm.name), format!("{ty}_{}", arm.name));
        self.print_kind(c, &arm.kind, &inner, &p, &t, &format!("{ind}    "));
        w!(c, "{ind}    break;");
        w!(c, "{ind}}}");
    }
}

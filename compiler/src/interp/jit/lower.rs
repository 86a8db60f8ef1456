//! A bounded loop and its step function, lowered to one Cranelift function.
//!
//! The step function is inlined into the loop body, and every function it
//! calls into it in turn (CDSL has no recursion, so inlining ends). Each
//! expression lowers to its flat form (`shape.rs`): a list of SSA values,
//! all `i64`. Branches join in a block with one parameter per scalar. Word
//! operations are those of the interpreters (`ops.rs`): results truncated
//! to the width, division and remainder by zero give zero, shifts by the
//! width or more give zero.
//!
//! The function takes one pointer, to its *io words*: `frm`, `to`, then
//! `step` (seq) or the array's address and length (map, fold), the fuel
//! used and the fuel left, then the accumulator's flat form, then the
//! observer's. It writes the final accumulator back over the first.
//!
//! Loops the step function calls, with their step function named, are
//! lowered in place the same way: nested loops.

use super::shape::Shape;
use super::{JitError, LoopKind};
use crate::core::ir::{self, CaseArm, Expr, ExprKind};
use crate::interp::compile::size;
use crate::interp::Compiled;
use crate::syntax::ast::{BinOp, Lit, UnOp};
use crate::typeck::types::Ty;
use cdsl_runtime::library::NARROWING_CASTS;
use cdsl_runtime::value::truncate;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::I64;
use cranelift_codegen::ir::{AbiParam, Block, BlockArg, Function, InstBuilder, MemFlagsData, Value as Ssa};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Words of the io block before the accumulator.
pub(super) const HEADER: usize = 6;
/// The io word counting the fuel the run used: each inlined call adds its
/// function's size, as each interpreted call is charged.
pub(super) const FUEL_USED: usize = 4;
/// The io word holding the fuel left when the run began.
pub(super) const FUEL_LIMIT: usize = 5;

/// The runtime library's functions native code implements, besides loops.
const RUNTIME_OWN: [&str; 9] = [
    "wordarray_get",
    "wordarray_put",
    "wordarray_length",
    "u16_to_u8",
    "u32_to_u8",
    "u32_to_u16",
    "u64_to_u8",
    "u64_to_u16",
    "u64_to_u32",
];

/// Calls inlined one inside another at most; deeper is left to the
/// interpreter.
const MAX_DEPTH: usize = 32;

/// Expression nodes lowered at most, counting every inlined copy.
const MAX_NODES: usize = 50_000;

type Flat = Vec<Ssa>;

/// Variables in scope: name, flat form, type; innermost last.
type Env<'a> = Vec<(&'a str, Flat, &'a Ty)>;

/// What lowering a loop found out: the shapes of its accumulator and
/// observer, and the fuel one step costs at most (the sizes of every
/// function inlined, taken or not).
pub(super) struct Lowered {
    pub acc: Shape,
    pub obsv: Shape,
    /// The bits of the array's elements (map, fold).
    pub elem: u8,
    pub cost: u64,
    /// The runtime library's functions the code implements itself.
    pub uses: Vec<&'static str>,
}

/// Lowers the loop of `kind` over step function `step` into `func`, whose
/// signature it sets.
pub(super) fn lower_loop(
    compiled: &Compiled,
    kind: LoopKind,
    step: &ir::Function,
    func: &mut Function,
    target: TargetFrontendConfig,
) -> Result<Lowered, JitError> {
    let (Some((_, param)), Some(_)) = (&step.param, &step.body) else {
        return Err(JitError::unsupported("a step function without a body"));
    };
    let field = |name: &str| {
        param.field(name).map(|f| &f.ty).ok_or_else(|| JitError::bug(format!("a step record without `{name}`")))
    };
    let (acc, obsv) = (Shape::of(field("acc")?)?, Shape::of(field("obsv")?)?);
    let result = Shape::of(&step.result)?;
    let elem = match kind {
        LoopKind::Seq => 0,
        LoopKind::Map | LoopKind::Fold => match Shape::of(field("elem")?)? {
            Shape::Word(bits) => bits,
            _ => return Err(JitError::unsupported("an array of other than words")),
        },
    };
    let expected = match kind {
        LoopKind::Map => Shape::Tuple(vec![Shape::Word(elem), acc.clone()]),
        LoopKind::Seq | LoopKind::Fold => acc.clone(),
    };
    if !result.same_layout(&expected) {
        return Err(JitError::bug("a step function whose result is not its accumulator"));
    }

    func.signature.params.push(AbiParam::new(I64));
    let mut context = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(func, &mut context);
    let mut lower = Lower {
        compiled,
        b: &mut b,
        io: None,
        fuel_limit: None,
        depth: 0,
        nodes: 0,
        cost: 0,
        uses: kind.names().to_vec(),
    };
    lower.loop_body(kind, step, &acc, &obsv)?;
    let (cost, uses) = (lower.cost, lower.uses);
    b.seal_all_blocks();
    b.finalize(target);
    Ok(Lowered { acc, obsv, elem, cost, uses })
}

struct Lower<'a, 'b, 'f> {
    compiled: &'a Compiled,
    b: &'b mut FunctionBuilder<'f>,
    /// The io words' address, once the entry block has it.
    io: Option<Ssa>,
    fuel_limit: Option<Ssa>,
    depth: usize,
    nodes: usize,
    /// Fuel of one step: the body sizes of every function inlined.
    cost: u64,
    uses: Vec<&'static str>,
}

fn args(flat: &[Ssa]) -> Vec<BlockArg> {
    flat.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl<'a> Lower<'a, '_, '_> {
    /// A block taking `width` scalars.
    fn block(&mut self, width: usize) -> (Block, Flat) {
        let block = self.b.create_block();
        let params = (0..width).map(|_| self.b.append_block_param(block, I64)).collect();
        (block, params)
    }

    fn constant(&mut self, n: u64) -> Ssa {
        self.b.ins().iconst(I64, n as i64)
    }

    fn load(&mut self, address: Ssa, word: usize) -> Ssa {
        self.b.ins().load(I64, MemFlagsData::trusted(), address, (word * 8) as i32)
    }

    /// The io words in, the loop, the accumulator out.
    fn loop_body(&mut self, kind: LoopKind, step: &'a ir::Function, acc: &Shape, obsv: &Shape) -> Result<(), JitError> {
        let (entry, io) = self.block(1);
        let io = io[0];
        self.b.switch_to_block(entry);
        self.io = Some(io);
        self.fuel_limit = Some(self.load(io, FUEL_LIMIT));
        let [frm, to, x] = [0, 1, 2].map(|w| self.load(io, w));
        let start = self.loaded(io, HEADER, acc.width());
        let observer = self.loaded(io, HEADER + acc.width(), obsv.width());
        let last = self.emit_loop(kind, step, [frm, to, x], start, observer)?;
        for (i, value) in last.iter().enumerate() {
            self.b.ins().store(MemFlagsData::trusted(), *value, io, ((HEADER + i) * 8) as i32);
        }
        self.b.ins().return_(&[]);
        Ok(())
    }

    /// A loop of `kind` calling `step` for idx from `frm` while below `to`
    /// (`x` is the step, or the array's address), threading `acc`: the
    /// accumulator after it. A map stores each element the step gives.
    /// Before each step the fuel used is checked against the limit; past
    /// it, the function returns at once, and the caller finds it out of
    /// fuel.
    fn emit_loop(
        &mut self,
        kind: LoopKind,
        step: &'a ir::Function,
        [frm, to, x]: [Ssa; 3],
        acc: Flat,
        observer: Flat,
    ) -> Result<Flat, JitError> {
        let width = acc.len();
        let (head, carried) = self.block(1 + width);
        let (check, _) = self.block(0);
        let (body, _) = self.block(0);
        let (exit, last) = self.block(width);
        let (out_of_fuel, _) = self.block(0);
        self.b.ins().jump(head, &args(&[&[frm][..], &acc].concat()));

        self.b.switch_to_block(head);
        let (idx, acc_now) = (carried[0], carried[1..].to_vec());
        let (io, limit) = (self.io.ok_or_else(|| JitError::bug("no io words"))?, self.fuel_limit.unwrap_or(idx));
        let used = self.load(io, FUEL_USED);
        let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, used, limit);
        self.b.ins().brif(over, out_of_fuel, &[], check, &[]);

        self.b.switch_to_block(out_of_fuel);
        self.b.ins().return_(&[]);

        self.b.switch_to_block(check);
        let going = self.b.ins().icmp(IntCC::UnsignedLessThan, idx, to);
        self.b.ins().brif(going, body, &[], exit, &args(&acc_now));

        self.b.switch_to_block(body);
        let element = match kind {
            LoopKind::Seq => None,
            LoopKind::Map | LoopKind::Fold => Some(self.element_address(x, idx)),
        };
        let elem = match element {
            Some(address) => vec![self.b.ins().load(I64, MemFlagsData::trusted(), address, 0)],
            None => Vec::new(),
        };
        let param = self.step_record(step, &acc_now, &observer, idx, &elem)?;
        let result = self.inline(step, param)?;
        let next_acc = match (kind, element) {
            (LoopKind::Map, Some(address)) => {
                self.b.ins().store(MemFlagsData::trusted(), result[0], address, 0);
                result[1..].to_vec()
            }
            _ => result,
        };
        match kind {
            LoopKind::Seq => {
                // `idx + step` past the largest word ends the loop.
                let (next, overflow) = self.b.ins().uadd_overflow(idx, x);
                self.b.ins().brif(overflow, exit, &args(&next_acc), head, &args(&[&[next][..], &next_acc].concat()));
            }
            LoopKind::Map | LoopKind::Fold => {
                let next = self.b.ins().iadd_imm_u(idx, 1);
                self.b.ins().jump(head, &args(&[&[next][..], &next_acc].concat()));
            }
        }
        self.b.switch_to_block(exit);
        Ok(last)
    }

    /// A loop called inside a step function, with its argument record
    /// written out and its step function named (`seq32 #{.., f = g, ..}`):
    /// lowered in place, like the outer one. Its result, laid out as the
    /// loop function's result type.
    fn nested_loop(&mut self, kind: LoopKind, arg: &'a Expr, env: &mut Env<'a>) -> Result<Flat, JitError> {
        let ExprKind::Struct(fields) = &arg.kind else {
            return Err(JitError::unsupported("a loop whose argument is not written out"));
        };
        let Some((_, ExprKind::Global(step_name))) = fields.iter().find(|(n, _)| n == "f").map(|(n, e)| (n, &e.kind))
        else {
            return Err(JitError::unsupported("a loop whose step function is not named"));
        };
        let step = self.function(step_name)?;
        let Some((_, step_param)) = &step.param else {
            return Err(JitError::bug("a step function without a parameter"));
        };
        // The fields, in the order written, each as the step function or the
        // loop function expects it.
        let mut values: Vec<(&str, Flat)> = Vec::new();
        for (name, value) in fields.iter().filter(|(n, _)| n != "f") {
            let expected = match name.as_str() {
                "acc" | "obsv" => step_param.field(name).map(|f| &f.ty),
                _ => arg.ty.field(name).map(|f| &f.ty),
            };
            let expected = expected.ok_or_else(|| JitError::bug(format!("a loop argument `{name}`")))?;
            values.push((name.as_str(), self.typed(value, expected, env)?));
        }
        let field = |name: &str| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| JitError::bug(format!("a loop without `{name}`")))
        };
        let (frm, to, acc, obsv) = (field("frm")?[0], field("to")?[0], field("acc")?, field("obsv")?);
        match kind {
            LoopKind::Seq => {
                let step_by = field("step")?[0];
                let one = self.constant(1);
                let is_zero = self.b.ins().icmp_imm_u(IntCC::Equal, step_by, 0);
                let step_by = self.b.ins().select(is_zero, one, step_by);
                self.emit_loop(kind, step, [frm, to, step_by], acc, obsv)
            }
            LoopKind::Map | LoopKind::Fold => {
                let array = field("arr")?;
                let [address, len] = array[..] else {
                    return Err(JitError::bug("a loop array of other than two words"));
                };
                // The range clipped to the array, as the library clips it.
                let frm = self.b.ins().umin(frm, len);
                let to = self.b.ins().umin(to, len);
                let to = self.b.ins().umax(to, frm);
                let acc = self.emit_loop(kind, step, [frm, to, address], acc, obsv)?;
                Ok(match kind {
                    LoopKind::Map => [&array[..], &acc].concat(),
                    _ => acc,
                })
            }
        }
    }

    fn loaded(&mut self, io: Ssa, from: usize, width: usize) -> Flat {
        (from..from + width).map(|w| self.load(io, w)).collect()
    }

    fn element_address(&mut self, base: Ssa, index: Ssa) -> Ssa {
        let offset = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, offset)
    }

    /// The step function's argument: its record's fields in their order.
    fn step_record(
        &mut self,
        step: &ir::Function,
        acc: &[Ssa],
        obsv: &[Ssa],
        idx: Ssa,
        elem: &[Ssa],
    ) -> Result<Flat, JitError> {
        let Some((_, Ty::Record { fields, .. })) = &step.param else {
            return Err(JitError::bug("a step function not taking a record"));
        };
        let mut flat = Vec::new();
        for (name, _) in fields.iter() {
            match name.as_str() {
                "acc" => flat.extend_from_slice(acc),
                "obsv" => flat.extend_from_slice(obsv),
                "idx" => flat.push(idx),
                "elem" => flat.extend_from_slice(elem),
                other => return Err(JitError::bug(format!("a step record with field `{other}`"))),
            }
        }
        Ok(flat)
    }

    /// A call of `function` on `arg`, inlined; its result has the
    /// function's result type.
    fn inline(&mut self, function: &'a ir::Function, arg: Flat) -> Result<Flat, JitError> {
        let Some(body) = &function.body else { return self.abstract_call(function, arg) };
        if self.depth >= MAX_DEPTH {
            return Err(JitError::unsupported("calls nested too deep to inline"));
        }
        self.charge(size(body));
        self.depth += 1;
        let mut env: Env<'a> = Vec::new();
        if let Some((name, ty)) = &function.param {
            env.push((name.as_str(), arg, ty));
        }
        let result = self.typed(body, &function.result, &mut env);
        self.depth -= 1;
        result
    }

    /// Adds `fuel` to the fuel used, as an interpreted call is charged.
    fn charge(&mut self, fuel: u64) {
        self.cost += fuel;
        if let Some(io) = self.io {
            let used = self.load(io, FUEL_USED);
            let used = self.b.ins().iadd_imm_u(used, fuel as i64);
            self.b.ins().store(MemFlagsData::trusted(), used, io, (FUEL_USED * 8) as i32);
        }
    }

    /// The runtime library's functions that native code implements itself.
    fn abstract_call(&mut self, function: &ir::Function, arg: Flat) -> Result<Flat, JitError> {
        let name = function.source_name.as_str();
        if let Some(own) = RUNTIME_OWN.iter().find(|n| **n == name) {
            self.uses.push(own);
        }
        match (name, arg.as_slice()) {
            ("wordarray_get", [address, len, index]) => {
                // Out of range reads the zero word past the end.
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, *index, *len);
                let at = self.b.ins().select(inside, *index, *len);
                let element = self.element_address(*address, at);
                Ok(vec![self.b.ins().load(I64, MemFlagsData::trusted(), element, 0)])
            }
            ("wordarray_put", [address, len, index, value]) => {
                // Out of range writes zero over the zero past the end.
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, *index, *len);
                let at = self.b.ins().select(inside, *index, *len);
                let zero = self.constant(0);
                let written = self.b.ins().select(inside, *value, zero);
                let element = self.element_address(*address, at);
                self.b.ins().store(MemFlagsData::trusted(), written, element, 0);
                let Shape::Variant(alts) = Shape::of(&function.result)? else {
                    return Err(JitError::bug("wordarray_put not returning a variant"));
                };
                let position = |tag: &str| alts.iter().position(|(t, _)| &**t == tag).unwrap_or(0) as u64;
                let (success, error) = (self.constant(position("Success")), self.constant(position("Error")));
                let tag = self.b.ins().select(inside, success, error);
                Ok(vec![tag, *address, *len, *address, *len])
            }
            ("wordarray_length", [_, len]) => Ok(vec![*len]),
            (_, [word]) if NARROWING_CASTS.iter().any(|(n, _, _)| *n == name) => {
                let bits = NARROWING_CASTS.iter().find(|(n, _, _)| *n == name).map_or(64, |(_, _, b)| *b);
                Ok(vec![self.mask(*word, bits)])
            }
            _ => Err(JitError::unsupported(format!("the abstract function `{name}`"))),
        }
    }

    fn mask(&mut self, value: Ssa, bits: u8) -> Ssa {
        if bits >= 64 {
            value
        } else {
            self.b.ins().band_imm_u(value, ((1u64 << bits) - 1) as i64)
        }
    }

    /// `e`'s value, laid out as its type says.
    fn expr(&mut self, e: &'a Expr, env: &mut Env<'a>) -> Result<Flat, JitError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(JitError::unsupported("a step function too large to inline"));
        }
        let (flat, natural) = self.node(e, env)?;
        if *natural == e.ty {
            return Ok(flat);
        }
        self.convert(flat, &Shape::of(natural)?, &Shape::of(&e.ty)?)
    }

    /// `e`'s value, and the type it is laid out as: a variable's, a callee's
    /// result's or a field's type may have fewer alternatives in its
    /// variants than the type the checker gave `e`.
    fn node(&mut self, e: &'a Expr, env: &mut Env<'a>) -> Result<(Flat, &'a Ty), JitError> {
        let own = |flat: Flat| (flat, &e.ty);
        Ok(match &e.kind {
            ExprKind::Var(x) => lookup(env, x)?,
            ExprKind::Global(name) => {
                let function = self.function(name)?;
                if function.param.is_some() {
                    return Err(JitError::unsupported("a function used as a value"));
                }
                (self.inline(function, Vec::new())?, &function.result)
            }
            ExprKind::Lit(lit) => own(self.literal(lit, &e.ty)?),
            ExprKind::Unit => own(Vec::new()),
            ExprKind::Tuple(items) => {
                let Ty::Tuple(types) = &e.ty else { return Err(JitError::bug("a tuple of non-tuple type")) };
                let mut flat = Vec::new();
                for (item, ty) in items.iter().zip(types.iter()) {
                    flat.extend(self.typed(item, ty, env)?);
                }
                own(flat)
            }
            ExprKind::Struct(fields) => own(self.record(&e.ty, fields, env)?),
            ExprKind::Con { tag, payload } => own(self.con(&e.ty, tag, payload, env)?),
            ExprKind::App(f, a) => {
                let ExprKind::Global(name) = &f.kind else {
                    return Err(JitError::unsupported("a call through a function value"));
                };
                let function = self.function(name)?;
                if let Some(kind) = LoopKind::of(&function.source_name).filter(|_| function.body.is_none()) {
                    self.uses.extend(kind.names());
                    return Ok((self.nested_loop(kind, a, env)?, &function.result));
                }
                let arg = match &function.param {
                    Some((_, param)) if function.body.is_some() => self.typed(a, param, env)?,
                    _ => self.expr(a, env)?,
                };
                (self.inline(function, arg)?, &function.result)
            }
            ExprKind::Unary(op, a) => {
                let a = self.scalar(a, env)?;
                own(vec![match op {
                    UnOp::Not => self.b.ins().bxor_imm_u(a, 1),
                    UnOp::Complement => {
                        let flipped = self.b.ins().bnot(a);
                        self.mask(flipped, word_bits(&e.ty))
                    }
                }])
            }
            ExprKind::Binary(op, a, b) => {
                let bits = word_bits(&a.ty);
                let (x, y) = (self.scalar(a, env)?, self.scalar(b, env)?);
                own(vec![self.binary(*op, bits, x, y)])
            }
            // Words are kept truncated, so widening changes nothing.
            ExprKind::Upcast(a) => own(self.expr(a, env)?),
            ExprKind::If { cond, then, els } => {
                let cond = self.scalar(cond, env)?;
                let (then_block, _) = self.block(0);
                let (else_block, _) = self.block(0);
                self.b.ins().brif(cond, then_block, &[], else_block, &[]);
                own(self.join(&e.ty, [(then_block, &**then), (else_block, &**els)], env)?)
            }
            ExprKind::Let { var, value, body } | ExprKind::LetBang { var, value, body, .. } => {
                let value_flat = self.expr(value, env)?;
                (self.scoped(env, vec![(var.as_str(), value_flat, &value.ty)], body)?, &body.ty)
            }
            ExprKind::Split { vars, value, body } => {
                let flat = self.expr(value, env)?;
                let Ty::Tuple(items) = &value.ty else { return Err(JitError::bug("splitting a non-tuple")) };
                let shape = Shape::of(&value.ty)?;
                let bound = vars
                    .iter()
                    .zip(items.iter())
                    .zip(shape.parts())
                    .map(|((var, ty), (at, part))| (var.as_str(), flat[at..at + part.width()].to_vec(), ty))
                    .collect();
                (self.scoped(env, bound, body)?, &body.ty)
            }
            ExprKind::Case { scrutinee, arms } => own(self.case(&e.ty, scrutinee, arms, env)?),
            ExprKind::Member(record, field) => {
                let flat = self.expr(record, env)?;
                let (at, width, ty) = field_slot(&record.ty, field)?;
                (flat[at..at + width].to_vec(), ty)
            }
            ExprKind::Take { record, field, var, rest, body } => {
                let flat = self.expr(record, env)?;
                let (at, width, ty) = field_slot(&record.ty, field)?;
                let value = flat[at..at + width].to_vec();
                (self.scoped(env, vec![(var.as_str(), value, ty), (rest.as_str(), flat, &record.ty)], body)?, &body.ty)
            }
            ExprKind::Put { record, field, value } => {
                let mut flat = self.expr(record, env)?;
                let (at, width, ty) = field_slot(&record.ty, field)?;
                let value = self.typed(value, ty, env)?;
                if value.len() != width {
                    return Err(JitError::bug(format!("a put of {} scalars into {width}", value.len())));
                }
                flat.splice(at..at + width, value);
                (flat, &record.ty)
            }
        })
    }

    fn function(&self, name: &str) -> Result<&'a ir::Function, JitError> {
        self.compiled.ir(name).ok_or_else(|| JitError::bug(format!("no function instance `{name}`")))
    }

    /// `e`'s value as a value of type `to`, which may have more
    /// alternatives in its variants than `e`'s own type: a variant value
    /// is accepted where a wider one is expected.
    fn typed(&mut self, e: &'a Expr, to: &Ty, env: &mut Env<'a>) -> Result<Flat, JitError> {
        let flat = self.expr(e, env)?;
        if e.ty == *to {
            return Ok(flat);
        }
        self.convert(flat, &Shape::of(&e.ty)?, &Shape::of(to)?)
    }

    fn convert(&mut self, flat: Flat, from: &Shape, to: &Shape) -> Result<Flat, JitError> {
        if from.same_layout(to) {
            return Ok(flat);
        }
        let cannot = || JitError::bug(format!("a {from:?} where a {to:?} was expected"));
        let mut out = Vec::new();
        match (from, to) {
            (Shape::Variant(from_alts), Shape::Variant(to_alts)) => {
                // The tag renumbered, each payload moved to its new place.
                let mut tag = self.constant(0);
                for (p, (name, _)) in from_alts.iter().enumerate() {
                    let q = to_alts.iter().position(|(n, _)| n == name).ok_or_else(cannot)?;
                    let is_p = self.b.ins().icmp_imm_u(IntCC::Equal, flat[0], p as i64);
                    let renumbered = self.constant(q as u64);
                    tag = self.b.ins().select(is_p, renumbered, tag);
                }
                out.push(tag);
                let from_parts = from.parts();
                for ((name, to_part), _) in to_alts.iter().zip(to.parts()) {
                    match from_alts.iter().position(|(n, _)| n == name) {
                        Some(p) => {
                            let (at, from_part) = from_parts[p];
                            let payload = flat[at..at + from_part.width()].to_vec();
                            out.extend(self.convert(payload, from_part, to_part)?);
                        }
                        None => {
                            let zero = self.constant(0);
                            out.extend(std::iter::repeat_n(zero, to_part.width()));
                        }
                    }
                }
            }
            (Shape::Tuple(_), Shape::Tuple(_)) | (Shape::Record(_), Shape::Record(_)) => {
                let (from_parts, to_parts) = (from.parts(), to.parts());
                if from_parts.len() != to_parts.len() {
                    return Err(cannot());
                }
                for ((at, from_part), (_, to_part)) in from_parts.into_iter().zip(to_parts) {
                    out.extend(self.convert(flat[at..at + from_part.width()].to_vec(), from_part, to_part)?);
                }
            }
            _ => return Err(cannot()),
        }
        Ok(out)
    }

    /// An expression of one scalar: a word or a boolean.
    fn scalar(&mut self, e: &'a Expr, env: &mut Env<'a>) -> Result<Ssa, JitError> {
        match self.expr(e, env)?.as_slice() {
            [value] => Ok(*value),
            other => Err(JitError::bug(format!("{} scalars where a word was expected", other.len()))),
        }
    }

    /// `body` with `bound` in scope.
    fn scoped(&mut self, env: &mut Env<'a>, bound: Env<'a>, body: &'a Expr) -> Result<Flat, JitError> {
        let mark = env.len();
        env.extend(bound);
        let result = self.expr(body, env);
        env.truncate(mark);
        result
    }

    /// Two branches of type `ty`, each lowered in its block, meeting in
    /// one block whose parameters are the result.
    fn join(&mut self, ty: &Ty, branches: [(Block, &'a Expr); 2], env: &mut Env<'a>) -> Result<Flat, JitError> {
        let width = Shape::of(ty)?.width();
        let (merge, result) = self.block(width);
        for (block, body) in branches {
            self.b.switch_to_block(block);
            let value = self.typed(body, ty, env)?;
            self.jump_with(merge, width, &value)?;
        }
        self.b.switch_to_block(merge);
        Ok(result)
    }

    /// Jumps to `merge` with a branch's `value` of `width` scalars.
    fn jump_with(&mut self, merge: Block, width: usize, value: &[Ssa]) -> Result<(), JitError> {
        if value.len() != width {
            return Err(JitError::bug(format!("a branch of {} scalars joining {width}", value.len())));
        }
        self.b.ins().jump(merge, &args(value));
        Ok(())
    }

    fn case(&mut self, ty: &Ty, scrutinee: &str, arms: &'a [CaseArm], env: &mut Env<'a>) -> Result<Flat, JitError> {
        let (flat, scrutinee_ty) = lookup(env, scrutinee)?;
        let shape = Shape::of(scrutinee_ty)?;
        let (Shape::Variant(alts), Ty::Variant(alt_types)) = (&shape, scrutinee_ty) else {
            return Err(JitError::bug("a case on a non-variant"));
        };
        let parts = shape.parts();
        // Each arm's block, and its payload's place and type.
        let mut targets = Vec::new();
        for arm in arms {
            let Some(position) = alts.iter().position(|(tag, _)| **tag == arm.tag) else {
                return Err(JitError::bug(format!("an arm for `{}`, not an alternative", arm.tag)));
            };
            let Some(payload_ty) = alt_types.get(&arm.tag) else { return Err(JitError::bug("an unknown tag")) };
            targets.push((self.block(0).0, position, payload_ty));
        }
        for (i, (block, position, _)) in targets.iter().enumerate() {
            if i + 1 == targets.len() {
                self.b.ins().jump(*block, &[]);
            } else {
                let next = self.block(0).0;
                let matches = self.b.ins().icmp_imm_u(IntCC::Equal, flat[0], *position as i64);
                self.b.ins().brif(matches, *block, &[], next, &[]);
                self.b.switch_to_block(next);
            }
        }
        let width = Shape::of(ty)?.width();
        let (merge, result) = self.block(width);
        for (arm, (block, position, payload_ty)) in arms.iter().zip(targets) {
            self.b.switch_to_block(block);
            let (at, part) = parts[position];
            let payload = flat[at..at + part.width()].to_vec();
            let mark = env.len();
            env.push((arm.payload.as_str(), payload, payload_ty));
            let value = self.typed(&arm.body, ty, env)?;
            env.truncate(mark);
            self.jump_with(merge, width, &value)?;
        }
        self.b.switch_to_block(merge);
        Ok(result)
    }

    fn literal(&mut self, lit: &Lit, ty: &Ty) -> Result<Flat, JitError> {
        let n = match lit {
            Lit::Int(n) => truncate(word_bits(ty), *n),
            Lit::Bool(b) => u64::from(*b),
            Lit::Char(c) => u64::from(*c) & 0xff,
            Lit::String(_) => return Err(JitError::unsupported("a string")),
        };
        Ok(vec![self.constant(n)])
    }

    /// An unboxed record literal: its fields in the type's order.
    fn record(&mut self, ty: &Ty, fields: &'a [(String, Expr)], env: &mut Env<'a>) -> Result<Flat, JitError> {
        let mut values: Vec<(&str, Flat)> = Vec::new();
        for (name, value) in fields {
            let field_ty = ty.field(name).map_or(&value.ty, |f| &f.ty);
            values.push((name.as_str(), self.typed(value, field_ty, env)?));
        }
        let Shape::Record(shapes) = Shape::of(ty)? else { return Err(JitError::bug("a record of non-record type")) };
        let mut flat = Vec::new();
        for (name, _, shape) in &shapes {
            match values.iter().position(|(n, _)| *n == &**name) {
                Some(i) => flat.extend(std::mem::take(&mut values[i].1)),
                None => {
                    let zero = self.constant(0);
                    flat.extend(std::iter::repeat_n(zero, shape.width()));
                }
            }
        }
        Ok(flat)
    }

    /// A variant value: its tag's position, its payload in its place, and
    /// zeros for the other alternatives.
    fn con(&mut self, ty: &Ty, tag: &str, payload: &'a Expr, env: &mut Env<'a>) -> Result<Flat, JitError> {
        let payload = match ty {
            Ty::Variant(alts) => match alts.get(tag) {
                Some(payload_ty) => self.typed(payload, payload_ty, env)?,
                None => return Err(JitError::bug(format!("no alternative `{tag}`"))),
            },
            _ => return Err(JitError::bug("a variant of non-variant type")),
        };
        let Shape::Variant(alts) = Shape::of(ty)? else { return Err(JitError::bug("a variant of non-variant type")) };
        let Some(position) = alts.iter().position(|(t, _)| &**t == tag) else {
            return Err(JitError::bug(format!("no alternative `{tag}`")));
        };
        let zero = self.constant(0);
        let mut flat = vec![self.constant(position as u64)];
        for (i, (_, shape)) in alts.iter().enumerate() {
            if i == position {
                flat.extend_from_slice(&payload);
            } else {
                flat.extend(std::iter::repeat_n(zero, shape.width()));
            }
        }
        Ok(flat)
    }

    /// A binary operator on two scalars (`bits` wide, when words).
    fn binary(&mut self, op: BinOp, bits: u8, x: Ssa, y: Ssa) -> Ssa {
        let compared = |cc: IntCC, lower: &mut Self| {
            let flag = lower.b.ins().icmp(cc, x, y);
            lower.b.ins().uextend(I64, flag)
        };
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul => {
                let wide = match op {
                    BinOp::Add => self.b.ins().iadd(x, y),
                    BinOp::Sub => self.b.ins().isub(x, y),
                    _ => self.b.ins().imul(x, y),
                };
                self.mask(wide, bits)
            }
            BinOp::Div | BinOp::Mod => {
                let (zero, one) = (self.constant(0), self.constant(1));
                let by_zero = self.b.ins().icmp_imm_u(IntCC::Equal, y, 0);
                let divisor = self.b.ins().select(by_zero, one, y);
                let quotient =
                    if op == BinOp::Div { self.b.ins().udiv(x, divisor) } else { self.b.ins().urem(x, divisor) };
                self.b.ins().select(by_zero, zero, quotient)
            }
            BinOp::BitAnd | BinOp::And => self.b.ins().band(x, y),
            BinOp::BitOr | BinOp::Or => self.b.ins().bor(x, y),
            BinOp::BitXor => self.b.ins().bxor(x, y),
            BinOp::Shl | BinOp::Shr => {
                let zero = self.constant(0);
                let too_far = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, y, i64::from(bits));
                let shifted = if op == BinOp::Shl { self.b.ins().ishl(x, y) } else { self.b.ins().ushr(x, y) };
                let shifted = self.mask(shifted, bits);
                self.b.ins().select(too_far, zero, shifted)
            }
            BinOp::Eq => compared(IntCC::Equal, self),
            BinOp::Ne => compared(IntCC::NotEqual, self),
            BinOp::Lt => compared(IntCC::UnsignedLessThan, self),
            BinOp::Gt => compared(IntCC::UnsignedGreaterThan, self),
            BinOp::Le => compared(IntCC::UnsignedLessThanOrEqual, self),
            BinOp::Ge => compared(IntCC::UnsignedGreaterThanOrEqual, self),
        }
    }
}

fn lookup<'a>(env: &Env<'a>, name: &str) -> Result<(Flat, &'a Ty), JitError> {
    env.iter()
        .rev()
        .find(|(n, _, _)| *n == name)
        .map(|(_, flat, ty)| (flat.clone(), *ty))
        .ok_or_else(|| JitError::bug(format!("unbound variable `{name}`")))
}

/// Where field `field` of an unboxed record of type `ty` sits in its flat
/// form: start, width, and the field's type.
fn field_slot<'t>(ty: &'t Ty, field: &str) -> Result<(usize, usize, &'t Ty), JitError> {
    let shape = Shape::of(ty)?;
    let (Shape::Record(fields), Ty::Record { fields: types, .. }) = (&shape, ty) else {
        return Err(JitError::bug("a field of a non-record"));
    };
    let Some(index) = fields.iter().position(|(n, _, _)| &**n == field) else {
        return Err(JitError::bug(format!("no field `{field}`")));
    };
    let (at, part) = shape.parts()[index];
    Ok((at, part.width(), &types[index].1.ty))
}

fn word_bits(ty: &Ty) -> u8 {
    super::super::ops::word_bits(ty)
}

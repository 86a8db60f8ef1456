//! The interpreter engines: the ext2 program's CDSL source run on the
//! update-semantics interpreter (a checked heap: a use after free, a double
//! free or a leak in any call is reported as an engine failure) or the
//! value-semantics one, with the device's abstract functions registered in
//! the interpreters' library.
//!
//! The source is read from this checkout (`fs-examples/ext2/ext2.cdsl`) when
//! mounting. The device is a `Value::SysState` token in the program; the
//! device itself lives in a thread-local beside the interpreter, because
//! library functions are plain `fn`s. The interpreters' values are not
//! `Send`, so they run on a worker thread of their own ([`Remote`]).

use super::{Calls, Change, Ext2, Now, Owner, Place, RawAttr, Totals};
use crate::device::{self, Dev};
use crate::ops::Ops;
use cdsl::core::ir;
use cdsl::interp::{Compiled, Interpreter};
use cdsl_runtime::library::{Context, RuntimeError};
use cdsl_runtime::{Heap, Library, Store, Value, ValueStore};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::mpsc;

/// The interpreter thread's stack (reserved, not committed, until used).
const INTERP_STACK: usize = 1 << 30;

/// Where the program's source is.
const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ext2/ext2.cdsl");

/// Mounts on an interpreter running on a worker thread.
pub fn mount(dev: Dev, update: bool, image: &Path, read_only: bool) -> Result<Box<dyn Ops + Send>, String> {
    let remote = Remote::start(dev, update)?;
    Ext2::mount(remote, image, read_only)
}

/// Loads, checks and lowers the ext2 program.
fn load() -> Result<ir::Program, String> {
    let mut sources = cdsl::source::SourceMap::new();
    let (program, errors) = cdsl::syntax::loader::load(&mut sources, Path::new(SOURCE))
        .map_err(|e| format!("cannot read `{}`: {}", e.path.display(), e.reason))?;
    if !errors.is_empty() {
        return Err(format!("`{SOURCE}` has {} syntax error(s): run `cdsl check` on it", errors.len()));
    }
    let typed = cdsl::typeck::check_loaded(&program)
        .map_err(|errors| format!("`{SOURCE}` has {} type error(s): run `cdsl check` on it", errors.len()))?;
    Ok(cdsl::core::lower::lower(&typed))
}

thread_local! {
    /// The device of the interpreter on this thread.
    static DEVICE: RefCell<Option<Dev>> = const { RefCell::new(None) };
}

/// Runs `f` on the device, threading it through as the CDSL functions do.
fn with_dev<T>(f: impl FnOnce(Dev) -> (Dev, T)) -> Result<T, RuntimeError> {
    DEVICE.with(|slot| {
        let dev = slot.borrow_mut().take().ok_or_else(|| RuntimeError::Nested("no device is open".to_owned()))?;
        let (dev, out) = f(dev);
        *slot.borrow_mut() = Some(dev);
        Ok(out)
    })
}

fn bad(name: &str, detail: String) -> RuntimeError {
    RuntimeError::BadArgument { function: name.to_owned(), detail }
}

fn args<'v>(name: &str, arg: &'v Value, n: usize) -> Result<&'v [Value], RuntimeError> {
    match arg {
        Value::Tuple(items) if items.len() == n => Ok(items),
        other => Err(bad(name, format!("{other} where a {n}-tuple was expected"))),
    }
}

fn word(name: &str, v: &Value) -> Result<u32, RuntimeError> {
    v.as_word().map(|w| w as u32).ok_or_else(|| bad(name, format!("{v} where a word was expected")))
}

fn bytes(name: &str, store: &dyn Store, v: &Value) -> Result<Vec<u8>, RuntimeError> {
    byte_range(name, store, v, 0, usize::MAX)
}

/// Up to `n` bytes of a byte array from `off` (clipped to the array): what
/// an operation on part of a large buffer reads, so it costs that part.
fn byte_range(name: &str, store: &dyn Store, v: &Value, off: usize, n: usize) -> Result<Vec<u8>, RuntimeError> {
    let elements = store.array_slice(v)?;
    let elements = elements.get(off..).unwrap_or_default();
    elements[..n.min(elements.len())]
        .iter()
        .map(|b| b.as_word().map(|b| b as u8).ok_or_else(|| bad(name, format!("element {b}"))))
        .collect()
}

fn byte_values(bytes: Vec<u8>) -> Vec<Value> {
    bytes.into_iter().map(|b| Value::word(8, u64::from(b))).collect()
}

fn array(store: &mut dyn Store, bytes: Vec<u8>) -> Value {
    store.new_array(byte_values(bytes))
}

fn u32v(v: u32) -> Value {
    Value::word(32, u64::from(v))
}

/// `(Dev!, blk, off) -> U32` and `(Dev, blk, off, v) -> Dev`, by width.
fn dev_get(name: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 3)?;
    let (n, off) = (word(name, &a[1])?, word(name, &a[2])?);
    let f = match name {
        "dev_le8" => device::dev_le8,
        "dev_le16" => device::dev_le16,
        _ => device::dev_le32,
    };
    with_dev(|dev| {
        let v = f((&dev, n, off));
        (dev, u32v(v))
    })
}

fn dev_set(name: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 4)?;
    let (n, off, v) = (word(name, &a[1])?, word(name, &a[2])?, word(name, &a[3])?);
    let f = match name {
        "dev_set8" => device::dev_set8,
        "dev_set16" => device::dev_set16,
        _ => device::dev_set32,
    };
    with_dev(|dev| (f((dev, n, off, v)), Value::SysState))
}

fn dev_block_size(_: &str, _: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    with_dev(|dev| {
        let bs = device::dev_block_size(&dev);
        (dev, u32v(bs))
    })
}

fn dev_first_clear(name: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 4)?;
    let (n, from, to) = (word(name, &a[1])?, word(name, &a[2])?, word(name, &a[3])?);
    with_dev(|dev| {
        let bit = device::dev_first_clear((&dev, n, from, to));
        (dev, u32v(bit))
    })
}

fn dev_read(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let n = word(name, &args(name, &arg, 2)?[1])?;
    let block = with_dev(|dev| device::dev_read((dev, n)))?;
    Ok(Value::tuple(vec![Value::SysState, array(cx.store, block)]))
}

/// Reads the part of the block that lands in the buffer — `len` bytes
/// clipped to both, as `device::dev_read_into` clips — into a scratch
/// buffer, and writes just those into the array.
fn dev_read_into(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 6)?;
    let (n, dst, src, len) = (word(name, &a[1])?, word(name, &a[3])?, word(name, &a[4])?, word(name, &a[5])?);
    let buf_len = cx.store.array_len(&a[2])?;
    let part = with_dev(|dev| {
        let room =
            (buf_len.saturating_sub(dst as usize)).min(device::dev_block_size(&dev).saturating_sub(src) as usize);
        let count = (len as usize).min(room) as u32;
        let part = device::dev_read_into((&dev, n, vec![0; count as usize], 0, src, count));
        (dev, part)
    })?;
    Ok(cx.store.array_write(a[2].clone(), dst as usize, &byte_values(part))?)
}

fn dev_write(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 3)?;
    let buf = bytes(name, cx.store, &a[2])?;
    cx.store.free(&a[2])?;
    let n = word(name, &a[1])?;
    with_dev(|dev| (device::dev_write((dev, n, buf)), Value::SysState))
}

fn dev_write_from(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 6)?;
    let (n, dst, src, len) = (word(name, &a[1])?, word(name, &a[3])?, word(name, &a[4])?, word(name, &a[5])?);
    // Only the bytes the copy reads: the device clips `len` to them.
    let part = byte_range(name, cx.store, &a[2], src as usize, len as usize)?;
    with_dev(|dev| (device::dev_write_from((dev, n, &part, dst, 0, len)), Value::SysState))
}

fn dev_zero(name: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 4)?;
    let (n, off, len) = (word(name, &a[1])?, word(name, &a[2])?, word(name, &a[3])?);
    with_dev(|dev| (device::dev_zero((dev, n, off, len)), Value::SysState))
}

fn buf_new(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let len = word(name, &args(name, &arg, 2)?[1])?;
    let (_, buf) = with_dev(|dev| {
        let (dev, buf) = device::buf_new((dev, len));
        (dev, ((), buf))
    })?;
    Ok(Value::tuple(vec![Value::SysState, array(cx.store, buf)]))
}

fn buf_free(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    cx.store.free(&args(name, &arg, 2)?[1])?;
    Ok(Value::SysState)
}

fn buf_get(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 2)?;
    let off = word(name, &a[1])?;
    let width = match name {
        "le8" => 1,
        "le16" => 2,
        _ => 4,
    };
    // The word's bytes only; a word past the end reads as 0, as on the device.
    let part = byte_range(name, cx.store, &a[0], off as usize, width)?;
    Ok(u32v(match name {
        "le8" => device::le8((&part, 0)),
        "le16" => device::le16((&part, 0)),
        _ => device::le32((&part, 0)),
    }))
}

fn buf_set(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 3)?;
    let (off, v) = (word(name, &a[1])?, word(name, &a[2])?);
    let width = match name {
        "set8" => 1,
        "set16" => 2,
        _ => 4,
    };
    let mut array = a[0].clone();
    let len = cx.store.array_len(&array)?;
    for i in 0..width {
        let at = off as usize + i;
        if off as usize + width > len {
            break;
        }
        array = cx.store.array_set(array, at, Value::word(8, u64::from(v >> (8 * i) & 0xFF)))?;
    }
    Ok(array)
}

fn buf_eq(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let a = args(name, &arg, 5)?;
    let (xo, yo, n) = (word(name, &a[1])?, word(name, &a[3])?, word(name, &a[4])?);
    let x = byte_range(name, cx.store, &a[0], xo as usize, n as usize)?;
    let y = byte_range(name, cx.store, &a[2], yo as usize, n as usize)?;
    Ok(Value::Bool(device::buf_eq((&x, 0, &y, 0, n))))
}

fn low32(name: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    let v = arg.as_word().ok_or_else(|| bad(name, format!("{arg} where a word was expected")))?;
    Ok(u32v(v as u32))
}

/// The runtime's library with the device's functions added.
fn library() -> Library {
    let mut library = Library::default();
    for name in ["dev_le8", "dev_le16", "dev_le32"] {
        library.register(name, dev_get);
    }
    for name in ["dev_set8", "dev_set16", "dev_set32"] {
        library.register(name, dev_set);
    }
    for name in ["le8", "le16", "le32"] {
        library.register(name, buf_get);
    }
    for name in ["set8", "set16", "set32"] {
        library.register(name, buf_set);
    }
    library.register("dev_block_size", dev_block_size);
    library.register("dev_first_clear", dev_first_clear);
    library.register("dev_read", dev_read);
    library.register("dev_read_into", dev_read_into);
    library.register("dev_write", dev_write);
    library.register("dev_write_from", dev_write_from);
    library.register("dev_zero", dev_zero);
    library.register("buf_new", buf_new);
    library.register("buf_free", buf_free);
    library.register("buf_eq", buf_eq);
    library.register("low32", low32);
    library
}

/// An argument: a word, a buffer, or a record built by a CDSL constructor.
enum Arg {
    Word(u32),
    Wide(u64),
    Bytes(Vec<u8>),
    Now(Now),
    Change(Change),
}

/// The interpreter side, on the worker thread.
struct Interp {
    /// Compiled once at mount, function by function as operations need them.
    program: Rc<Compiled>,
    library: Library,
    update: bool,
}

/// Reads fields out of a result read back into value form.
fn items(v: &Value) -> Result<&[Value], String> {
    match v {
        Value::Tuple(items) => Ok(items),
        other => Err(format!("bug: the program returned {other} where a tuple was expected")),
    }
}

fn w(v: &Value) -> Result<u32, String> {
    v.as_word().map(|w| w as u32).ok_or_else(|| format!("bug: {v} where a word was expected"))
}

fn field<'v>(record: &'v Value, name: &str) -> Result<&'v Value, String> {
    match record {
        Value::Record(fields) => fields
            .iter()
            .find(|(n, _)| &**n == name)
            .and_then(|(_, v)| v.as_ref())
            .ok_or_else(|| format!("bug: no field `{name}` in {record}")),
        other => Err(format!("bug: {other} where a record was expected")),
    }
}

fn fw(record: &Value, name: &str) -> Result<u32, String> {
    w(field(record, name)?)
}

fn buffer(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::Array(items) => items.iter().map(|b| w(b).map(|b| b as u8)).collect(),
        other => Err(format!("bug: {other} where a byte array was expected")),
    }
}

impl Interp {
    /// Calls `entry` on `(Dev, args..)` and gives the result read back;
    /// in update semantics, anything the call leaves allocated is a bug.
    fn call(&mut self, entry: &str, args: Vec<Arg>) -> Result<Value, String> {
        let mut heap = Heap::default();
        let mut values = ValueStore;
        let store: &mut dyn Store = if self.update { &mut heap } else { &mut values };
        let mut inputs = Vec::new();
        let mut arg = vec![Value::SysState];
        for a in args {
            arg.push(match a {
                Arg::Word(v) => u32v(v),
                Arg::Wide(v) => Value::word(64, v),
                Arg::Bytes(b) => {
                    let v = array(store, b);
                    inputs.push(v.clone());
                    v
                }
                Arg::Now((secs, nsecs)) => self.construct("now_of", vec![Value::word(64, secs), u32v(nsecs)], store)?,
                Arg::Change(c) => {
                    let parts = [c.mask, c.mode, c.uid, c.gid].map(u32v).into_iter();
                    let (a, m) = (c.atime, c.mtime);
                    let rest = [Value::word(64, a.0), u32v(a.1), Value::word(64, m.0), u32v(m.1)];
                    let all = parts.chain([Value::word(64, c.size)]).chain(rest).collect();
                    self.construct("change_of", all, store)?
                }
            });
        }
        let arg = if arg.len() == 1 { Value::SysState } else { Value::tuple(arg) };
        let result = Interpreter::on(self.program.clone(), &self.library)
            .call(entry, arg, store)
            .map_err(|e| format!("the {} interpreter failed: {e}", if self.update { "update" } else { "value" }))?;
        if self.update {
            let mut roots = inputs.clone();
            roots.push(result.clone());
            let leaks = heap.leaks(&roots);
            if !leaks.is_empty() {
                return Err(format!("bug: `{entry}` leaked {} heap object(s)", leaks.len()));
            }
        }
        let store: &dyn Store = if self.update { &heap } else { &values };
        let result = store.read_back(&result).map_err(|f| f.to_string())?;
        match DEVICE.with(|slot| slot.borrow().as_ref().and_then(Dev::take_error)) {
            Some(message) => Err(format!("I/O error: {message}")),
            None => Ok(result),
        }
    }

    fn construct(&self, f: &str, parts: Vec<Value>, store: &mut dyn Store) -> Result<Value, String> {
        Interpreter::on(self.program.clone(), &self.library)
            .call(f, Value::tuple(parts), store)
            .map_err(|e| e.to_string())
    }

    /// A result `(Dev, err, ino)` or `(Dev, err, n)`.
    fn err_word(&mut self, entry: &str, args: Vec<Arg>) -> Result<(u32, u32), String> {
        let r = self.call(entry, args)?;
        let r = items(&r)?;
        Ok((w(&r[1])?, w(&r[2])?))
    }

    fn err_only(&mut self, entry: &str, args: Vec<Arg>) -> Result<u32, String> {
        let r = self.call(entry, args)?;
        w(&items(&r)?[1])
    }

    fn err_bytes(&mut self, entry: &str, args: Vec<Arg>) -> Result<(u32, Vec<u8>), String> {
        let r = self.call(entry, args)?;
        let r = items(&r)?;
        Ok((w(&r[1])?, buffer(&r[2])?))
    }
}

fn owned(name: &[u8]) -> Arg {
    Arg::Bytes(name.to_vec())
}

impl Calls for Interp {
    fn check(&mut self) -> Result<(u32, u32, bool), String> {
        let r = self.call("ext2_check", vec![])?;
        let r = items(&r)?;
        Ok((w(&r[1])?, w(&r[2])?, r[3].as_bool().unwrap_or(true)))
    }

    fn getattr(&mut self, ino: u32) -> Result<(u32, RawAttr), String> {
        let r = self.call("ext2_getattr", vec![Arg::Word(ino)])?;
        let r = items(&r)?;
        let a = &r[2];
        let pair = |s: &str, ns: &str| -> Result<(u64, u32), String> {
            let secs = field(a, s)?;
            Ok((secs.as_word().ok_or_else(|| format!("bug: {secs} where a word was expected"))?, fw(a, ns)?))
        };
        let raw = RawAttr {
            mode: fw(a, "mode")?,
            uid: fw(a, "uid")?,
            gid: fw(a, "gid")?,
            size: field(a, "size")?.as_word().unwrap_or(0),
            links: fw(a, "links")?,
            sectors: fw(a, "sectors")?,
            atime: pair("atime", "atime_ns")?,
            mtime: pair("mtime", "mtime_ns")?,
            ctime: pair("ctime", "ctime_ns")?,
            rdev: fw(a, "rdev")?,
        };
        Ok((w(&r[1])?, raw))
    }

    fn lookup(&mut self, parent: u32, name: &[u8]) -> Result<(u32, u32), String> {
        self.err_word("ext2_lookup", vec![Arg::Word(parent), owned(name)])
    }

    fn readdir(&mut self, dir: u32, pos: u32) -> Result<(u32, Vec<u8>, u32, u32, u32), String> {
        let r = self.call("ext2_readdir", vec![Arg::Word(dir), Arg::Word(pos)])?;
        let r = items(&r)?;
        Ok((w(&r[1])?, buffer(&r[2])?, w(&r[3])?, w(&r[4])?, w(&r[5])?))
    }

    fn read(&mut self, ino: u32, off: u64, count: u32) -> Result<(u32, Vec<u8>), String> {
        self.err_bytes("ext2_read", vec![Arg::Word(ino), Arg::Wide(off), Arg::Word(count)])
    }

    fn write(&mut self, ino: u32, off: u64, data: &[u8], now: Now) -> Result<(u32, u32), String> {
        self.err_word("ext2_write", vec![Arg::Word(ino), Arg::Wide(off), owned(data), Arg::Now(now)])
    }

    fn mknod(&mut self, at: Place<'_>, mode: u32, rdev: u32, o: Owner, now: Now) -> Result<(u32, u32), String> {
        let args = [Arg::Word(at.dir), owned(at.name), Arg::Word(mode), Arg::Word(rdev)];
        self.err_word(
            "ext2_mknod",
            args.into_iter().chain([Arg::Word(o.uid), Arg::Word(o.gid), Arg::Now(now)]).collect(),
        )
    }

    fn mkdir(&mut self, at: Place<'_>, mode: u32, o: Owner, now: Now) -> Result<(u32, u32), String> {
        let args =
            vec![Arg::Word(at.dir), owned(at.name), Arg::Word(mode), Arg::Word(o.uid), Arg::Word(o.gid), Arg::Now(now)];
        self.err_word("ext2_mkdir", args)
    }

    fn symlink(&mut self, at: Place<'_>, target: &[u8], o: Owner, now: Now) -> Result<(u32, u32), String> {
        let args =
            vec![Arg::Word(at.dir), owned(at.name), owned(target), Arg::Word(o.uid), Arg::Word(o.gid), Arg::Now(now)];
        self.err_word("ext2_symlink", args)
    }

    fn readlink(&mut self, ino: u32) -> Result<(u32, Vec<u8>), String> {
        self.err_bytes("ext2_readlink", vec![Arg::Word(ino)])
    }

    fn link(&mut self, ino: u32, parent: u32, name: &[u8], now: Now) -> Result<u32, String> {
        self.err_only("ext2_link", vec![Arg::Word(ino), Arg::Word(parent), owned(name), Arg::Now(now)])
    }

    fn unlink(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String> {
        self.err_word("ext2_unlink", vec![Arg::Word(parent), owned(name), Arg::Now(now)])
    }

    fn rmdir(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String> {
        self.err_word("ext2_rmdir", vec![Arg::Word(parent), owned(name), Arg::Now(now)])
    }

    fn rename(&mut self, from: Place<'_>, to: Place<'_>, now: Now) -> Result<(u32, u32), String> {
        let args = vec![Arg::Word(from.dir), owned(from.name), Arg::Word(to.dir), owned(to.name), Arg::Now(now)];
        self.err_word("ext2_rename", args)
    }

    fn evict(&mut self, ino: u32, now: Now) -> Result<u32, String> {
        self.err_only("ext2_evict", vec![Arg::Word(ino), Arg::Now(now)])
    }

    fn setattr(&mut self, ino: u32, change: Change, now: Now) -> Result<u32, String> {
        self.err_only("ext2_setattr", vec![Arg::Word(ino), Arg::Change(change), Arg::Now(now)])
    }

    fn statfs(&mut self) -> Result<(u32, Totals), String> {
        let r = self.call("ext2_statfs", vec![])?;
        let r = items(&r)?;
        let t = &r[2];
        let totals = Totals {
            blocks: fw(t, "blocks")?,
            free: fw(t, "free")?,
            reserved: fw(t, "reserved")?,
            inodes: fw(t, "inodes")?,
            free_inodes: fw(t, "free_inodes")?,
            bs: fw(t, "bs")?,
        };
        Ok((w(&r[1])?, totals))
    }

    fn sync(&mut self) -> Result<(), String> {
        DEVICE.with(|slot| match slot.borrow().as_ref() {
            Some(dev) => dev.sync().map_err(|e| format!("sync failed: {e}")),
            None => Err("no device is open".to_owned()),
        })
    }

    fn flush(&mut self) -> Result<(), String> {
        DEVICE.with(|slot| match slot.borrow().as_ref() {
            Some(dev) => dev.write_back().map_err(|e| format!("writing back the cache failed: {e}")),
            None => Err("no device is open".to_owned()),
        })
    }
}

type Job = Box<dyn FnOnce(&mut Interp) + Send>;

/// [`Calls`] forwarded to the interpreter on its worker thread.
pub struct Remote {
    jobs: mpsc::Sender<Job>,
}

impl Remote {
    fn start(dev: Dev, update: bool) -> Result<Remote, String> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::channel::<Result<(), String>>();
        std::thread::Builder::new()
            .name("cdslfs-interp".to_owned())
            // The interpreters walk the program recursively, and a long
            // directory scan nests deeply: a small stack overflows.
            .stack_size(INTERP_STACK)
            .spawn(move || {
                let mut interp = match load() {
                    Ok(program) => Interp { program: Rc::new(Compiled::new(&program)), library: library(), update },
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                DEVICE.with(|slot| *slot.borrow_mut() = Some(dev));
                let _ = ready.send(Ok(()));
                for job in inbox {
                    job(&mut interp);
                }
            })
            .map_err(|e| format!("cannot start the interpreter thread: {e}"))?;
        started.recv().map_err(|_| "the interpreter thread died while starting".to_owned())??;
        Ok(Remote { jobs })
    }

    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Interp) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let (reply, answer) = mpsc::channel();
        self.jobs
            .send(Box::new(move |interp| {
                let _ = reply.send(f(interp));
            }))
            .map_err(|_| "the interpreter thread has stopped".to_owned())?;
        answer.recv().map_err(|_| "the interpreter thread stopped during a call".to_owned())?
    }
}

impl Calls for Remote {
    fn check(&mut self) -> Result<(u32, u32, bool), String> {
        self.run(|i| i.check())
    }
    fn getattr(&mut self, ino: u32) -> Result<(u32, RawAttr), String> {
        self.run(move |i| i.getattr(ino))
    }
    fn lookup(&mut self, parent: u32, name: &[u8]) -> Result<(u32, u32), String> {
        let name = name.to_vec();
        self.run(move |i| i.lookup(parent, &name))
    }
    fn readdir(&mut self, dir: u32, pos: u32) -> Result<(u32, Vec<u8>, u32, u32, u32), String> {
        self.run(move |i| i.readdir(dir, pos))
    }
    fn read(&mut self, ino: u32, off: u64, count: u32) -> Result<(u32, Vec<u8>), String> {
        self.run(move |i| i.read(ino, off, count))
    }
    fn write(&mut self, ino: u32, off: u64, data: &[u8], now: Now) -> Result<(u32, u32), String> {
        let data = data.to_vec();
        self.run(move |i| i.write(ino, off, &data, now))
    }
    fn mknod(&mut self, at: Place<'_>, mode: u32, rdev: u32, o: Owner, now: Now) -> Result<(u32, u32), String> {
        let (dir, name) = (at.dir, at.name.to_vec());
        self.run(move |i| i.mknod(Place { dir, name: &name }, mode, rdev, o, now))
    }
    fn mkdir(&mut self, at: Place<'_>, mode: u32, o: Owner, now: Now) -> Result<(u32, u32), String> {
        let (dir, name) = (at.dir, at.name.to_vec());
        self.run(move |i| i.mkdir(Place { dir, name: &name }, mode, o, now))
    }
    fn symlink(&mut self, at: Place<'_>, target: &[u8], o: Owner, now: Now) -> Result<(u32, u32), String> {
        let (dir, name, target) = (at.dir, at.name.to_vec(), target.to_vec());
        self.run(move |i| i.symlink(Place { dir, name: &name }, &target, o, now))
    }
    fn readlink(&mut self, ino: u32) -> Result<(u32, Vec<u8>), String> {
        self.run(move |i| i.readlink(ino))
    }
    fn link(&mut self, ino: u32, parent: u32, name: &[u8], now: Now) -> Result<u32, String> {
        let name = name.to_vec();
        self.run(move |i| i.link(ino, parent, &name, now))
    }
    fn unlink(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String> {
        let name = name.to_vec();
        self.run(move |i| i.unlink(parent, &name, now))
    }
    fn rmdir(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String> {
        let name = name.to_vec();
        self.run(move |i| i.rmdir(parent, &name, now))
    }
    fn rename(&mut self, from: Place<'_>, to: Place<'_>, now: Now) -> Result<(u32, u32), String> {
        let (from_dir, from_name, to_dir, to_name) = (from.dir, from.name.to_vec(), to.dir, to.name.to_vec());
        self.run(move |i| {
            i.rename(Place { dir: from_dir, name: &from_name }, Place { dir: to_dir, name: &to_name }, now)
        })
    }
    fn evict(&mut self, ino: u32, now: Now) -> Result<u32, String> {
        self.run(move |i| i.evict(ino, now))
    }
    fn setattr(&mut self, ino: u32, change: Change, now: Now) -> Result<u32, String> {
        self.run(move |i| i.setattr(ino, change, now))
    }
    fn statfs(&mut self) -> Result<(u32, Totals), String> {
        self.run(|i| i.statfs())
    }
    fn sync(&mut self) -> Result<(), String> {
        self.run(|i| i.sync())
    }
    fn flush(&mut self) -> Result<(), String> {
        self.run(|i| i.flush())
    }
}

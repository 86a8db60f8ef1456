//! The reference model against ext2's rules: an errno table, then link
//! counts, inode numbering, readdir offsets, block accounting and sizes.
use super::*;

const NOW: Time = Time { secs: 1_700_000_000, nsecs: 5 };
const ME: Caller = Caller { uid: 1000, gid: 1000, now: NOW };

/// One step of a scenario, on slash-separated paths from the root.
#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Mkdir(&'a str),
    Create(&'a str),
    Write(&'a str, u64, &'a [u8]),
    Truncate(&'a str, u64),
    Unlink(&'a str),
    Rmdir(&'a str),
    Rename(&'a str, &'a str),
    Link(&'a str, &'a str),
    Symlink(&'a str, &'a [u8]),
    Readlink(&'a str),
    Read(&'a str),
    Readdir(&'a str),
    Lookup(&'a str),
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn resolve(m: &mut Model, path: &str) -> Result<Ino, Errno> {
    let mut ino = ROOT;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        ino = m.lookup(ino, part.as_bytes())?.ino;
    }
    Ok(ino)
}

fn run(m: &mut Model, step: Step) -> Result<(), Errno> {
    use Step::*;
    let parent_of = |m: &mut Model, p: &str| resolve(m, split(p).0).map(|d| (d, split(p).1.as_bytes().to_vec()));
    match step {
        Mkdir(p) => parent_of(m, p).and_then(|(d, n)| m.mkdir(d, &n, 0o755, ME)).map(drop),
        Create(p) => parent_of(m, p).and_then(|(d, n)| m.mknod(d, &n, 0o100644, 0, ME)).map(drop),
        Write(p, off, data) => resolve(m, p).and_then(|i| m.write(i, off, data, ME)).map(drop),
        Truncate(p, size) => {
            resolve(m, p).and_then(|i| m.setattr(i, &SetAttr { size: Some(size), ..SetAttr::default() }, ME)).map(drop)
        }
        Unlink(p) => parent_of(m, p).and_then(|(d, n)| m.unlink(d, &n, ME)),
        Rmdir(p) => parent_of(m, p).and_then(|(d, n)| m.rmdir(d, &n, ME)),
        Rename(a, b) => {
            let (pa, na) = parent_of(m, a)?;
            let (pb, nb) = parent_of(m, b)?;
            m.rename(pa, &na, pb, &nb, ME)
        }
        Link(a, b) => {
            let i = resolve(m, a)?;
            parent_of(m, b).and_then(|(d, n)| m.link(i, d, &n, ME)).map(drop)
        }
        Symlink(p, target) => parent_of(m, p).and_then(|(d, n)| m.symlink(d, &n, target, ME)).map(drop),
        Readlink(p) => resolve(m, p).and_then(|i| m.readlink(i)).map(drop),
        Read(p) => resolve(m, p).and_then(|i| m.read(i, 0, 10)).map(drop),
        Readdir(p) => resolve(m, p).and_then(|i| m.readdir(i, 0, 10)).map(drop),
        Lookup(p) => resolve(m, p).map(drop),
    }
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

/// What a case is called, its set-up, its step and that step's result.
type Case<'a> = (&'a str, Vec<Step<'a>>, Step<'a>, Result<(), Errno>);

/// Each case: set-up steps that must succeed, then one step and its result.
#[test]
fn errno_table() {
    use Step::*;
    let name255 = long(255);
    let name256 = long(256);
    let target_block = vec![b'a'; 1024];
    let target_fits = vec![b'a'; 1023];
    let max = max_file_size(1024);
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("mkdir over a dir", vec![Mkdir("a")], Mkdir("a"), Err(Errno::EEXIST)),
        ("mkdir over a file", vec![Create("a")], Mkdir("a"), Err(Errno::EEXIST)),
        ("create over a file", vec![Create("a")], Create("a"), Err(Errno::EEXIST)),
        ("mkdir under a file", vec![Create("f")], Mkdir("f/a"), Err(Errno::ENOTDIR)),
        ("mkdir under nothing", vec![], Mkdir("no/a"), Err(Errno::ENOENT)),
        ("mkdir dot", vec![], Mkdir("."), Err(Errno::EEXIST)),
        ("name of 255 bytes", vec![], Create(&name255), Ok(())),
        ("name of 256 bytes", vec![], Create(&name256), Err(Errno::ENAMETOOLONG)),
        ("mkdir of 256 bytes", vec![], Mkdir(&name256), Err(Errno::ENAMETOOLONG)),
        ("lookup of 256 bytes", vec![], Lookup(&name256), Err(Errno::ENAMETOOLONG)),
        ("lookup missing", vec![], Lookup("a"), Err(Errno::ENOENT)),
        ("lookup under a file", vec![Create("f")], Lookup("f/a"), Err(Errno::ENOTDIR)),
        ("unlink a dir", vec![Mkdir("d")], Unlink("d"), Err(Errno::EISDIR)),
        ("unlink missing", vec![], Unlink("a"), Err(Errno::ENOENT)),
        ("unlink dot", vec![Mkdir("d")], Unlink("d/."), Err(Errno::EISDIR)),
        ("rmdir dot", vec![Mkdir("d")], Rmdir("d/."), Err(Errno::EINVAL)),
        ("rmdir a file", vec![Create("f")], Rmdir("f"), Err(Errno::ENOTDIR)),
        ("rmdir non-empty", vec![Mkdir("d"), Create("d/f")], Rmdir("d"), Err(Errno::ENOTEMPTY)),
        ("rmdir with a subdir", vec![Mkdir("d"), Mkdir("d/e")], Rmdir("d"), Err(Errno::ENOTEMPTY)),
        ("rmdir emptied", vec![Mkdir("d"), Create("d/f"), Unlink("d/f")], Rmdir("d"), Ok(())),
        ("rmdir dotdot", vec![Mkdir("d")], Rmdir("d/.."), Err(Errno::ENOTEMPTY)),
        ("rename dot", vec![Mkdir("d")], Rename("d/.", "e"), Err(Errno::EINVAL)),
        ("rename missing", vec![], Rename("a", "b"), Err(Errno::ENOENT)),
        ("rename into missing dir", vec![Create("a")], Rename("a", "no/b"), Err(Errno::ENOENT)),
        ("rename file over file", vec![Create("a"), Create("b")], Rename("a", "b"), Ok(())),
        ("rename file over dir", vec![Create("a"), Mkdir("b")], Rename("a", "b"), Err(Errno::EISDIR)),
        ("rename dir over file", vec![Mkdir("a"), Create("b")], Rename("a", "b"), Err(Errno::ENOTDIR)),
        ("rename dir over empty dir", vec![Mkdir("a"), Mkdir("b")], Rename("a", "b"), Ok(())),
        ("rename dir over full dir", vec![Mkdir("a"), Mkdir("b"), Create("b/f")], Rename("a", "b"), Err(Errno::ENOTEMPTY)),
        ("rename dir into itself", vec![Mkdir("a")], Rename("a", "a/b"), Err(Errno::EINVAL)),
        ("rename dir into its subtree", vec![Mkdir("a"), Mkdir("a/b")], Rename("a", "a/b/c"), Err(Errno::EINVAL)),
        ("rename dir over its parent", vec![Mkdir("a"), Mkdir("a/b")], Rename("a/b", "a"), Err(Errno::ENOTEMPTY)),
        ("rename to a long name", vec![Create("a")], Rename("a", &name256), Err(Errno::ENAMETOOLONG)),
        ("rename onto itself", vec![Create("a")], Rename("a", "a"), Ok(())),
        ("rename onto another link", vec![Create("a"), Link("a", "b")], Rename("a", "b"), Ok(())),
        ("rename to dotdot", vec![Create("a")], Rename("a", ".."), Err(Errno::EINVAL)),
        ("link a dir", vec![Mkdir("d")], Link("d", "e"), Err(Errno::EPERM)),
        ("link over a name", vec![Create("a"), Create("b")], Link("a", "b"), Err(Errno::EEXIST)),
        ("link missing", vec![], Link("a", "b"), Err(Errno::ENOENT)),
        ("symlink to nothing", vec![], Symlink("s", b""), Err(Errno::ENOENT)),
        ("symlink target of a block", vec![], Symlink("s", &target_block), Err(Errno::ENAMETOOLONG)),
        ("symlink target of a block less one", vec![], Symlink("s", &target_fits), Ok(())),
        ("symlink over a name", vec![Create("s")], Symlink("s", b"t"), Err(Errno::EEXIST)),
        ("readlink a file", vec![Create("f")], Readlink("f"), Err(Errno::EINVAL)),
        ("read a dir", vec![Mkdir("d")], Read("d"), Err(Errno::EISDIR)),
        ("write a dir", vec![Mkdir("d")], Write("d", 0, b"x"), Err(Errno::EISDIR)),
        ("readdir a file", vec![Create("f")], Readdir("f"), Err(Errno::ENOTDIR)),
        ("write ending at the limit", vec![Create("f")], Write("f", max - 1, b"x"), Ok(())),
        ("write past the limit", vec![Create("f")], Write("f", max - 1, b"xy"), Err(Errno::EFBIG)),
        ("write at the limit", vec![Create("f")], Write("f", max, b"x"), Err(Errno::EFBIG)),
        ("truncate to the limit", vec![Create("f")], Truncate("f", max), Ok(())),
        ("truncate past the limit", vec![Create("f")], Truncate("f", max + 1), Err(Errno::EFBIG)),
        ("truncate a dir", vec![Mkdir("d")], Truncate("d", 0), Err(Errno::EISDIR)),
    ];
    let mut failures = Vec::new();
    for (what, setup, step, expected) in cases {
        let mut m = Model::new(1024);
        for s in &setup {
            run(&mut m, *s).unwrap_or_else(|e| panic!("{what}: set-up {s:?} failed: {e}"));
        }
        let got = run(&mut m, step);
        if got != expected {
            failures.push(format!("{what}: {step:?} gave {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn attr(m: &mut Model, path: &str) -> Attr {
    let ino = resolve(m, path).unwrap();
    m.getattr(ino).unwrap()
}

#[test]
fn fresh_model_is_a_fresh_mke2fs_image() {
    for (bs, lf_blocks) in [(1024, 12), (2048, 8), (4096, 4)] {
        let mut m = Model::new(bs);
        let root = m.getattr(ROOT).unwrap();
        assert_eq!((root.nlink, root.perm, root.size, root.kind), (3, 0o755, bs as u64, Kind::Dir));
        let lf = attr(&mut m, "lost+found");
        assert_eq!((lf.ino, lf.nlink, lf.perm, lf.size), (LOST_FOUND, 2, 0o700, lf_blocks * bs as u64));
        assert_eq!(lf.blocks, lf_blocks * bs as u64 / 512);
        let names: Vec<_> = m.readdir(ROOT, 0, 100).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, [&b"."[..], b"..", b"lost+found"]);
        let t = Time { secs: 1_234, nsecs: 0 };
        let mut m = m.with_fresh_times(t);
        let lf = m.getattr(LOST_FOUND).unwrap();
        assert_eq!([lf.atime, lf.mtime, lf.ctime, m.getattr(ROOT).unwrap().mtime], [t; 4]);
    }
}

#[test]
fn inodes_are_the_lowest_free_from_eleven() {
    let mut m = Model::new(1024);
    for name in ["a", "b", "c"] {
        run(&mut m, Step::Create(name)).unwrap();
    }
    assert_eq!([attr(&mut m, "a").ino, attr(&mut m, "b").ino, attr(&mut m, "c").ino], [12, 13, 14]);
    run(&mut m, Step::Unlink("a")).unwrap();
    run(&mut m, Step::Mkdir("d")).unwrap();
    assert_eq!(attr(&mut m, "d").ino, 12);
    run(&mut m, Step::Create("e")).unwrap();
    assert_eq!(attr(&mut m, "e").ino, 15);
}

#[test]
fn directory_link_counts_and_dotdot_follow_renames() {
    let mut m = Model::new(1024);
    for s in [Step::Mkdir("a"), Step::Mkdir("a/b"), Step::Mkdir("c"), Step::Create("a/f")] {
        run(&mut m, s).unwrap();
    }
    let nlinks = |m: &mut Model| ["", "a", "a/b", "c"].map(|p| attr(m, p).nlink);
    assert_eq!(nlinks(&mut m), [5, 3, 2, 2]);
    run(&mut m, Step::Rename("a/b", "c/b")).unwrap();
    assert_eq!(["", "a", "c"].map(|p| attr(&mut m, p).nlink), [5, 2, 3]);
    assert_eq!(attr(&mut m, "c/b/..").ino, attr(&mut m, "c").ino);
    assert_eq!(attr(&mut m, "c/b").nlink, 2);
    // Over an empty directory in another parent: the target goes, counts stay exact.
    run(&mut m, Step::Mkdir("a/e")).unwrap();
    run(&mut m, Step::Rename("c/b", "a/e")).unwrap();
    assert_eq!(["", "a", "c"].map(|p| attr(&mut m, p).nlink), [5, 3, 2]);
    assert_eq!(attr(&mut m, "a/e/..").ino, attr(&mut m, "a").ino);
    // Removing a directory drops its parent's count.
    run(&mut m, Step::Rmdir("a/e")).unwrap();
    assert_eq!(attr(&mut m, "a").nlink, 2);
}

#[test]
fn rename_over_a_file_frees_its_last_link_only() {
    let mut m = Model::new(1024);
    for s in [Step::Create("a"), Step::Write("a", 0, b"new"), Step::Create("b"), Step::Write("b", 0, b"old")] {
        run(&mut m, s).unwrap();
    }
    let old = attr(&mut m, "b").ino;
    run(&mut m, Step::Link("b", "keep")).unwrap();
    run(&mut m, Step::Rename("a", "b")).unwrap();
    let b = attr(&mut m, "b").ino;
    assert_eq!(m.read(b, 0, 10).unwrap(), b"new");
    assert_eq!(m.getattr(old).unwrap().nlink, 1, "the other link keeps it");
    run(&mut m, Step::Create("c")).unwrap();
    run(&mut m, Step::Rename("c", "keep")).unwrap();
    assert_eq!(m.getattr(old), Err(Errno::ENOENT), "its last link gone, the inode is free");
    assert_eq!(run(&mut m, Step::Lookup("a")), Err(Errno::ENOENT));
}

fn names(m: &mut Model, dir: Ino) -> Vec<Vec<u8>> {
    m.readdir(dir, 0, usize::MAX).unwrap().into_iter().map(|e| e.name).collect()
}

#[test]
fn readdir_pages_give_the_whole_listing() {
    let mut m = Model::new(1024);
    for i in 0..300 {
        run(&mut m, Step::Create(&format!("file-{i:03}"))).unwrap();
    }
    let all = m.readdir(ROOT, 0, usize::MAX).unwrap();
    assert_eq!(all.len(), 303);
    for page in [1, 7, 64] {
        let (mut offset, mut got) = (0, Vec::new());
        loop {
            let chunk = m.readdir(ROOT, offset, page).unwrap();
            let Some(last) = chunk.last() else { break };
            offset = last.next;
            got.extend(chunk);
        }
        assert_eq!(got, all, "pages of {page}");
    }
}

#[test]
fn readdir_offsets_survive_concurrent_changes() {
    let mut m = Model::new(1024);
    for i in 0..200 {
        run(&mut m, Step::Create(&format!("f{i}"))).unwrap();
    }
    let first = m.readdir(ROOT, 0, 100).unwrap();
    let offset = first.last().unwrap().next;
    let seen: BTreeSet<Vec<u8>> = first.iter().map(|e| e.name.clone()).collect();
    // Remove every third entry (seen and unseen), add new ones.
    for i in (0..200).step_by(3) {
        run(&mut m, Step::Unlink(&format!("f{i}"))).unwrap();
    }
    for i in 0..50 {
        run(&mut m, Step::Create(&format!("new{i}"))).unwrap();
    }
    let rest: Vec<Vec<u8>> = {
        let (mut offset, mut out) = (offset, Vec::new());
        loop {
            let chunk = m.readdir(ROOT, offset, 10).unwrap();
            let Some(last) = chunk.last() else { break };
            offset = last.next;
            out.extend(chunk.into_iter().map(|e| e.name));
        }
        out
    };
    let rest_set: BTreeSet<_> = rest.iter().cloned().collect();
    assert_eq!(rest.len(), rest_set.len(), "no entry twice in the rest");
    assert!(seen.is_disjoint(&rest_set), "no entry seen before comes again");
    // Every entry there throughout shows up exactly once.
    for i in (0..200).filter(|i| i % 3 != 0) {
        let name = format!("f{i}").into_bytes();
        assert!(seen.contains(&name) ^ rest_set.contains(&name), "f{i} seen once");
    }
    // Removed entries not yet read are not listed.
    for i in (0..200).step_by(3) {
        assert!(!rest_set.contains(format!("f{i}").as_bytes()), "f{i} was removed");
    }
}

#[test]
fn directories_grow_by_blocks_and_reuse_freed_records() {
    let mut m = Model::new(1024);
    run(&mut m, Step::Mkdir("d")).unwrap();
    let d = attr(&mut m, "d").ino;
    // 24-byte records (16-byte names): 42 fit in the first block beside . and ..
    let name = |i: usize| format!("d/{i:016}");
    let mut i = 0;
    while attr(&mut m, "d").size == 1024 {
        run(&mut m, Step::Create(&name(i))).unwrap();
        i += 1;
    }
    assert_eq!(i, (1024 - 12 - 12) / 24 + 1, "the first entry that does not fit starts block 1");
    assert_eq!(attr(&mut m, "d").blocks, 4);
    for j in 0..i {
        run(&mut m, Step::Unlink(&name(j))).unwrap();
    }
    assert_eq!(attr(&mut m, "d").size, 2048, "directories never shrink");
    assert_eq!(names(&mut m, d), [&b"."[..], b".."]);
    run(&mut m, Step::Rmdir("d")).unwrap();
}

#[test]
fn files_through_direct_indirect_double_and_triple_blocks() {
    let bs = 1024u64;
    let ppb = bs / 4;
    let mut m = Model::new(bs as u32);
    run(&mut m, Step::Create("f")).unwrap();
    let f = attr(&mut m, "f").ino;
    // One block written in each range: data block plus the indirect ones above it.
    let cases = [(0, 1), (NDIR, 2), (NDIR + ppb, 3), (NDIR + ppb + ppb * ppb, 4)];
    let mut expected_blocks = 0;
    for (block, cost) in cases {
        let data = format!("block {block}").into_bytes();
        m.write(f, block * bs + 100, &data, ME).unwrap();
        expected_blocks += cost;
        let a = m.getattr(f).unwrap();
        assert_eq!(a.blocks, expected_blocks * 2, "after block {block}");
        assert_eq!(a.size, block * bs + 100 + data.len() as u64);
    }
    for (block, _) in cases {
        let data = format!("block {block}").into_bytes();
        let got = m.read(f, block * bs + 98, data.len() as u32 + 4).unwrap();
        assert_eq!(&got[..2], &[0, 0], "hole before block {block}'s data");
        assert_eq!(&got[2..2 + data.len()], data.as_slice());
    }
    // Holes read as zeros.
    assert_eq!(m.read(f, 5 * bs, 10).unwrap(), vec![0; 10]);
    // Truncating into the double-indirect range frees the triple branch.
    let cut = (NDIR + ppb + 1) * bs;
    m.setattr(f, &SetAttr { size: Some(cut), ..SetAttr::default() }, ME).unwrap();
    assert_eq!(m.getattr(f).unwrap().blocks, (1 + 2 + 3) * 2);
    // The tail of a cut block reads back as zeros once the file grows again.
    m.setattr(f, &SetAttr { size: Some(104), ..SetAttr::default() }, ME).unwrap();
    m.setattr(f, &SetAttr { size: Some(200), ..SetAttr::default() }, ME).unwrap();
    let got = m.read(f, 98, 20).unwrap();
    assert_eq!(&got[..6], &[0, 0, b'b', b'l', b'o', b'c']);
    assert_eq!(&got[6..], &[0; 14]);
}

/// Blocks a dense file of `n` blocks uses, by counting: its data, and
/// per range the indirect blocks that address it.
fn dense_usage(n: u64, ppb: u64) -> u64 {
    let mut meta = 0;
    let mut rest = n.saturating_sub(NDIR);
    let single = rest.min(ppb);
    meta += (single > 0) as u64;
    rest -= single;
    let double = rest.min(ppb * ppb);
    meta += (double > 0) as u64 + double.div_ceil(ppb);
    rest -= double;
    meta += (rest > 0) as u64 + rest.div_ceil(ppb * ppb) + rest.div_ceil(ppb);
    n + meta
}

#[test]
fn tree_blocks_counts_like_dense_usage() {
    let ppb = 256;
    for n in [0, 1, 12, 13, 268, 269, 270, 524, 525, 66_000, 65_804, 65_805] {
        assert_eq!(tree_blocks(0..n, 1024), dense_usage(n, ppb), "{n} blocks");
    }
}

#[test]
fn max_file_size_is_the_block_tree_or_the_sector_count() {
    // 1 KiB blocks: the block tree is the limit.
    assert_eq!(max_file_size(1024), (12 + 256 + 256 * 256 + 256 * 256 * 256) * 1024);
    // Larger blocks: the largest dense file whose sectors fit in 32 bits.
    for bs in [2048u64, 4096] {
        let ppb = bs / 4;
        let tree = 12 + ppb + ppb * ppb + ppb * ppb * ppb;
        let n = max_file_size(bs as u32) / bs;
        // The sector budget in blocks; Linux sets aside the indirect blocks a
        // budget-sized dense file would need and keeps the rest for data.
        let budget = ((1u64 << 32) - 1) / (bs / 512);
        if dense_usage(tree, ppb) <= budget {
            assert_eq!(n, tree, "{bs}: the block tree");
        } else {
            assert_eq!(n, budget - (dense_usage(budget, ppb) - budget), "{bs}: the sector budget");
            assert!(dense_usage(n, ppb) * (bs / 512) < 1 << 32, "{bs}: fits in i_blocks");
        }
    }
}

#[test]
fn statfs_counts_blocks_and_inodes_and_gets_them_back() {
    let mut m = Model::new(1024);
    let before = m.statfs().unwrap();
    run(&mut m, Step::Mkdir("d")).unwrap();
    run(&mut m, Step::Create("d/f")).unwrap();
    run(&mut m, Step::Write("d/f", 0, &vec![7; 20 * 1024])).unwrap();
    run(&mut m, Step::Symlink("d/long", &[b'x'; 100])).unwrap();
    run(&mut m, Step::Symlink("d/short", b"f")).unwrap();
    let during = m.statfs().unwrap();
    // d: 1 block; f: 20 data + 1 indirect; the slow symlink 1.
    assert_eq!(before.bfree - during.bfree, 1 + 21 + 1);
    assert_eq!(before.ffree - during.ffree, 4);
    assert_eq!(attr(&mut m, "d/short").blocks, 0, "a fast symlink lives in the inode");
    for s in [Step::Unlink("d/f"), Step::Unlink("d/long"), Step::Unlink("d/short"), Step::Rmdir("d")] {
        run(&mut m, s).unwrap();
    }
    assert_eq!(m.statfs().unwrap(), before);
}

#[test]
fn out_of_space_changes_nothing() {
    let cap = Capacity { blocks: 100, free_blocks: 10, reserved_blocks: 2, inodes: 16, free_inodes: 3 };
    let mut m = Model::with_capacity(1024, cap);
    assert_eq!(m.statfs().unwrap().bavail, 8);
    run(&mut m, Step::Create("f")).unwrap();
    assert_eq!(run(&mut m, Step::Write("f", 0, &[1; 11 * 1024])), Err(Errno::ENOSPC));
    assert_eq!(attr(&mut m, "f").size, 0);
    run(&mut m, Step::Write("f", 0, &[1; 10 * 1024])).unwrap();
    assert_eq!(run(&mut m, Step::Mkdir("d")), Err(Errno::ENOSPC), "no block for a directory");
    run(&mut m, Step::Create("g")).unwrap();
    run(&mut m, Step::Create("h")).unwrap();
    assert_eq!(run(&mut m, Step::Create("i")), Err(Errno::ENOSPC), "no inode left");
    run(&mut m, Step::Unlink("f")).unwrap();
    run(&mut m, Step::Create("i")).unwrap();
}

#[test]
fn times_follow_ext2() {
    let mut m = Model::new(1024);
    let later = |secs| Caller { now: Time { secs, nsecs: 0 }, ..ME };
    let f = m.mknod(ROOT, b"f", 0o100600, 0, later(10)).unwrap();
    assert_eq!((f.atime.secs, f.mtime.secs, f.ctime.secs, f.uid, f.gid), (10, 10, 10, 1000, 1000));
    assert_eq!(m.getattr(ROOT).unwrap().mtime.secs, 10);
    m.write(f.ino, 0, b"x", later(20)).unwrap();
    let a = m.getattr(f.ino).unwrap();
    assert_eq!((a.atime.secs, a.mtime.secs, a.ctime.secs), (10, 20, 20));
    let a = m.setattr(f.ino, &SetAttr { mode: Some(0o4755), ..SetAttr::default() }, later(30)).unwrap();
    assert_eq!((a.perm, a.mtime.secs, a.ctime.secs), (0o4755, 20, 30));
    let explicit = SetAttr { size: Some(0), mtime: Some(Time { secs: 5, nsecs: 7 }), ..SetAttr::default() };
    let a = m.setattr(f.ino, &explicit, later(40)).unwrap();
    assert_eq!((a.size, a.mtime, a.ctime.secs), (0, Time { secs: 5, nsecs: 7 }, 40));
    m.rename(ROOT, b"f", ROOT, b"g", later(50)).unwrap();
    assert_eq!((m.getattr(f.ino).unwrap().ctime.secs, m.getattr(ROOT).unwrap().mtime.secs), (50, 50));
}

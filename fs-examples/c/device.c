/* The block device and byte primitives of ext2/device.cdsl for the C
 * engine, at the types the generated ext2.h gives them: the C twin of
 * src/device.rs, with the same semantics.
 *
 * The device is an image file behind a write-back block cache. Reads that
 * miss load the block and the few after it; file data not in the cache is
 * read straight into the caller's buffer; writes only touch the cache, and
 * dirty blocks reach the file (runs of them in one write) on device_sync or
 * when the cache grows past its bound. An I/O error, or an access to a
 * block beyond the image, is recorded and taken by the caller after the
 * operation (device_take_error), which turns it into EIO: the CDSL program
 * never sees a failed read (a failed read gives zeros, or leaves the
 * destination as it was).
 *
 * Ownership follows the CDSL signatures: a `Buf` argument is consumed (freed
 * or handed back), a `Buf!` one is only borrowed. */
#define _POSIX_C_SOURCE 200809L

#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Dirty or clean blocks kept before the cache is written back and emptied. */
#define CACHE_BLOCKS 32768u
/* Slots of the cache's hash table: a power of two, about half full at most
 * (a read-ahead may take the cache a little past its bound). */
#define CACHE_SLOTS (2u * CACHE_BLOCKS)


/* Blocks read at once on a miss: sequential reads are the common case. */
#define READ_AHEAD 32u
/* The most bytes written back in one write. */
#define WRITE_RUN ((size_t)1 << 20)

/* The largest buffer `buf_new` makes (as `wordarray_create`'s bound). */
#define MAX_BUF CDSL_MAX_ARRAY_LEN

struct dv_slot {
    uint8_t *data; /* NULL: a free slot */
    uint32_t n;
    bool dirty;
};

struct Abs_Dev {
    int fd;
    uint32_t block_size;
    /* Blocks in the image file. */
    uint64_t blocks;
    struct dv_slot *slots;
    uint32_t cached;
    bool failed;
    char error[256];
};

/* ------------------------------------------------------------ errors */

static void dv_fail(struct Abs_Dev *dev, const char *format, ...) {
    if (dev->failed) return;
    dev->failed = true;
    va_list args;
    va_start(args, format);
    vsnprintf(dev->error, sizeof dev->error, format, args);
    va_end(args);
}

bool device_take_error(struct Abs_Dev *dev, char *message, size_t message_len) {
    if (!dev->failed) return false;
    snprintf(message, message_len, "%s", dev->error);
    dev->failed = false;
    return true;
}

/* ------------------------------------------------------------ file I/O */

/* Reads exactly `len` bytes at `at`; 0, or an errno (EIO at end of file). */
static int dv_read_exact(int fd, uint8_t *buf, size_t len, uint64_t at) {
    while (len > 0) {
        ssize_t got = pread(fd, buf, len, (off_t)at);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return errno;
        if (got == 0) return EIO;
        buf += got;
        len -= (size_t)got;
        at += (uint64_t)got;
    }
    return 0;
}

static int dv_write_all(int fd, const uint8_t *buf, size_t len, uint64_t at) {
    while (len > 0) {
        ssize_t put = pwrite(fd, buf, len, (off_t)at);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) return errno;
        if (put == 0) return EIO;
        buf += put;
        len -= (size_t)put;
        at += (uint64_t)put;
    }
    return 0;
}

/* ------------------------------------------------------------ the cache */

static uint32_t dv_slot_of(uint32_t n) { return (uint32_t)(n * UINT32_C(2654435761)) & (CACHE_SLOTS - 1); }

/* The slot holding block `n`, or the free slot where it would go. */
static struct dv_slot *dv_find(struct Abs_Dev *dev, uint32_t n) {
    uint32_t i = dv_slot_of(n);
    while (dev->slots[i].data != NULL && dev->slots[i].n != n) i = (i + 1) & (CACHE_SLOTS - 1);
    return &dev->slots[i];
}

static int dv_by_block(const void *a, const void *b) {
    uint32_t x = (*(struct dv_slot *const *)a)->n, y = (*(struct dv_slot *const *)b)->n;
    return x < y ? -1 : x > y;
}

/* Writes the dirty blocks back in block order, runs of consecutive blocks
 * in one write each; 0 or an errno. As in Rust, the dirty set is taken
 * first: after an error, none is dirty any more. */
static int dv_write_back(struct Abs_Dev *dev) {
    struct dv_slot **dirty = malloc(((size_t)dev->cached + 1) * sizeof *dirty);
    uint8_t *run = malloc(WRITE_RUN);
    if (dirty == NULL || run == NULL) {
        free(dirty);
        free(run);
        return ENOMEM;
    }
    size_t count = 0;
    for (uint32_t i = 0; i < CACHE_SLOTS; i++) {
        if (dev->slots[i].data != NULL && dev->slots[i].dirty) {
            dev->slots[i].dirty = false;
            dirty[count++] = &dev->slots[i];
        }
    }
    qsort(dirty, count, sizeof *dirty, dv_by_block);
    int error = 0;
    size_t bs = dev->block_size, run_len = 0;
    uint32_t run_start = 0;
    for (size_t i = 0; i < count && error == 0; i++) {
        uint32_t n = dirty[i]->n;
        if (run_len > 0 && (n != run_start + run_len / bs || run_len + bs > WRITE_RUN)) {
            error = dv_write_all(dev->fd, run, run_len, (uint64_t)run_start * bs);
            run_len = 0;
        }
        if (run_len == 0) run_start = n;
        memcpy(run + run_len, dirty[i]->data, bs);
        run_len += bs;
    }
    if (error == 0 && run_len > 0) error = dv_write_all(dev->fd, run, run_len, (uint64_t)run_start * bs);
    free(run);
    free(dirty);
    return error;
}

static void dv_clear(struct Abs_Dev *dev) {
    for (uint32_t i = 0; i < CACHE_SLOTS; i++) {
        free(dev->slots[i].data);
        dev->slots[i].data = NULL;
        dev->slots[i].dirty = false;
    }
    dev->cached = 0;
}

/* Caches `data` (taken) as block `n`, which is not cached. */
static void dv_insert(struct Abs_Dev *dev, uint32_t n, uint8_t *data) {
    struct dv_slot *at = dv_find(dev, n);
    at->data = data;
    at->n = n;
    at->dirty = false;
    dev->cached++;
}

/* Loads block `n` and the blocks after it (up to READ_AHEAD, within the
 * image) in one read; blocks already cached are kept as they are. */
static int dv_read_ahead(struct Abs_Dev *dev, uint32_t n) {
    size_t bs = dev->block_size;
    uint64_t left = dev->blocks - n;
    uint32_t count = left < READ_AHEAD ? (uint32_t)left : READ_AHEAD;
    uint8_t *bytes = malloc(count * bs);
    if (bytes == NULL) return ENOMEM;
    int error = dv_read_exact(dev->fd, bytes, count * bs, (uint64_t)n * bs);
    for (uint32_t i = 0; i < count && error == 0; i++) {
        if (dv_find(dev, n + i)->data != NULL) continue;
        uint8_t *block = malloc(bs);
        if (block == NULL) {
            error = ENOMEM;
            break;
        }
        memcpy(block, bytes + i * bs, bs);
        dv_insert(dev, n + i, block);
    }
    free(bytes);
    return error;
}

/* Block `n`'s cached bytes, loaded first (or zeroed, when `fresh`), or NULL
 * (recording why) for a block outside the image or one that cannot be read. */
static uint8_t *dv_block(struct Abs_Dev *dev, uint32_t n, bool fresh) {
    if ((uint64_t)n >= dev->blocks) {
        dv_fail(dev, "block %" PRIu32 " is beyond the image (%" PRIu64 " blocks)", n, dev->blocks);
        return NULL;
    }
    struct dv_slot *at = dv_find(dev, n);
    if (at->data != NULL) return at->data;
    if (dev->cached >= CACHE_BLOCKS) {
        int error = dv_write_back(dev);
        if (error != 0) {
            dv_fail(dev, "writing back the cache: %s", strerror(error));
            return NULL;
        }
        dv_clear(dev);
    }
    if (fresh) {
        uint8_t *data = calloc(1, dev->block_size);
        if (data == NULL) {
            dv_fail(dev, "block %" PRIu32 ": out of memory", n);
            return NULL;
        }
        dv_insert(dev, n, data);
        return data;
    }
    int error = dv_read_ahead(dev, n);
    if (error != 0) {
        dv_fail(dev, "reading block %" PRIu32 ": %s", n, strerror(error));
        return NULL;
    }
    return dv_find(dev, n)->data;
}

/* Reads part of block `n` from the file into `buf` when the block is not
 * cached (so the file holds its latest contents); false when it is cached
 * or the range does not fit, for the caller to go through the cache. */
static bool dv_read_direct(struct Abs_Dev *dev, uint32_t n, cdsl_wordarray *buf, uint32_t dst_off, uint32_t src_off,
                           uint32_t len) {
    bool fits = (uint64_t)src_off + len <= dev->block_size && (uint64_t)dst_off + len <= buf->len;
    if (!fits || (uint64_t)n >= dev->blocks || dv_find(dev, n)->data != NULL) return false;
    uint64_t at = (uint64_t)n * dev->block_size + src_off;
    int error = dv_read_exact(dev->fd, (uint8_t *)buf->data + dst_off, len, at);
    if (error != 0) dv_fail(dev, "reading block %" PRIu32 ": %s", n, strerror(error));
    return true;
}

/* Block `n` to be changed: marked dirty (NULL as `block` gives it). */
static uint8_t *dv_modify(struct Abs_Dev *dev, uint32_t n, bool fresh) {
    uint8_t *data = dv_block(dev, n, fresh);
    if (data != NULL) dv_find(dev, n)->dirty = true;
    return data;
}

/* ------------------------------------------------------------ the device */

struct Abs_Dev *device_open(const char *path, uint32_t block_size, bool read_only, char *why, size_t why_len) {
    if (block_size < 1024 || block_size > 65536 || (block_size & (block_size - 1)) != 0) {
        snprintf(why, why_len, "block size %" PRIu32 " is not supported", block_size);
        return NULL;
    }
    int fd = open(path, read_only ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        snprintf(why, why_len, "cannot open `%s`: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_len, "`%s`: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    struct Abs_Dev *dev = calloc(1, sizeof *dev);
    struct dv_slot *slots = calloc(CACHE_SLOTS, sizeof *slots);
    if (dev == NULL || slots == NULL) {
        snprintf(why, why_len, "out of memory");
        free(dev);
        free(slots);
        close(fd);
        return NULL;
    }
    dev->fd = fd;
    dev->block_size = block_size;
    dev->blocks = (uint64_t)st.st_size / block_size;
    dev->slots = slots;
    return dev;
}

bool device_sync(struct Abs_Dev *dev, char *why, size_t why_len) {
    int error = dv_write_back(dev);
    if (error == 0 && fsync(dev->fd) != 0) error = errno;
    if (error != 0) snprintf(why, why_len, "%s", strerror(error));
    return error == 0;
}

bool device_write_back(struct Abs_Dev *dev, char *why, size_t why_len) {
    int error = dv_write_back(dev);
    if (error != 0) snprintf(why, why_len, "%s", strerror(error));
    return error == 0;
}

void device_close(struct Abs_Dev *dev) {
    dv_clear(dev);
    free(dev->slots);
    close(dev->fd);
    free(dev);
}

/* ------------------------------------------------------------ bytes */

/* Whether [off, off + width) lies inside `len` bytes. */
static bool dv_inside(uint32_t len, uint32_t off, uint64_t width) { return (uint64_t)off + width <= len; }

static uint32_t dv_le(const uint8_t *bytes, uint32_t len, uint32_t off, uint32_t width) {
    if (!dv_inside(len, off, width)) return 0;
    uint32_t v = 0;
    for (uint32_t i = width; i > 0; i--) v = v << 8 | bytes[off + i - 1];
    return v;
}

static void dv_put_le(uint8_t *bytes, uint32_t len, uint32_t off, uint32_t width, uint32_t v) {
    if (!dv_inside(len, off, width)) return;
    for (uint32_t i = 0; i < width; i++) bytes[off + i] = (uint8_t)(v >> (8 * i));
}

/* Copies `n` bytes from `src[src_off..]` to `dst[dst_off..]`, clipped to both. */
static void dv_copy(uint8_t *dst, uint32_t dst_len, uint32_t dst_off, const uint8_t *src, uint32_t src_len,
                 uint32_t src_off, uint32_t n) {
    if (dst_off >= dst_len || src_off >= src_len) return;
    if (n > dst_len - dst_off) n = dst_len - dst_off;
    if (n > src_len - src_off) n = src_len - src_off;
    memmove(dst + dst_off, src + src_off, n);
}

static uint8_t *dv_bytes(cdsl_wordarray *buf) { return (uint8_t *)buf->data; }

static cdsl_wordarray *dv_new_buf(uint32_t len) {
    cdsl_wordarray *buf = cdsl_wordarray_create(len > MAX_BUF ? MAX_BUF : len, 1);
    if (buf == NULL) {
        fputs("cdslfs-c: out of memory\n", stderr);
        abort();
    }
    return buf;
}

/* ------------------------------------------------------------ the CDSL functions */

uint32_t dev_block_size(struct Abs_Dev *dev) { return dev->block_size; }

static uint32_t dv_get(struct Abs_Dev *dev, uint32_t n, uint32_t off, uint32_t width) {
    const uint8_t *b = dv_block(dev, n, false);
    return b == NULL ? 0 : dv_le(b, dev->block_size, off, width);
}

static struct Abs_Dev *dv_set(struct Abs_Dev *dev, uint32_t n, uint32_t off, uint32_t width, uint32_t v) {
    uint8_t *b = dv_modify(dev, n, false);
    if (b != NULL) dv_put_le(b, dev->block_size, off, width, v);
    return dev;
}

uint32_t dev_le8(Tup3_ef17360d arg) { return dv_get(arg.p0, arg.p1, arg.p2, 1); }
uint32_t dev_le16(Tup3_ef17360d arg) { return dv_get(arg.p0, arg.p1, arg.p2, 2); }
uint32_t dev_le32(Tup3_ef17360d arg) { return dv_get(arg.p0, arg.p1, arg.p2, 4); }
struct Abs_Dev *dev_set8(Tup4_328bad03 arg) { return dv_set(arg.p0, arg.p1, arg.p2, 1, arg.p3); }
struct Abs_Dev *dev_set16(Tup4_328bad03 arg) { return dv_set(arg.p0, arg.p1, arg.p2, 2, arg.p3); }
struct Abs_Dev *dev_set32(Tup4_328bad03 arg) { return dv_set(arg.p0, arg.p1, arg.p2, 4, arg.p3); }

/* (dev, n, from, to) */
uint32_t dev_first_clear(Tup4_328bad03 arg) {
    uint32_t from = arg.p2, to = arg.p3;
    const uint8_t *bits = dv_block(arg.p0, arg.p1, false);
    if (bits == NULL) return to;
    uint64_t all = (uint64_t)arg.p0->block_size * 8;
    uint32_t to_bit = (uint64_t)to < all ? to : (uint32_t)all;
    uint32_t bit = from;
    while (bit < to_bit) {
        uint8_t byte = bits[bit / 8];
        if (bit % 8 == 0 && byte == 0xFF) {
            bit += 8;
            continue;
        }
        if ((byte & (1u << (bit % 8))) == 0) return bit;
        bit++;
    }
    return to;
}

/* (dev, n) -> (dev, a copy of block n, zeros when it cannot be read) */
Tup2_23c5ab53 dev_read(Tup2_fae5dee3 arg) {
    struct Abs_Dev *dev = arg.p0;
    cdsl_wordarray *buf = dv_new_buf(dev->block_size);
    const uint8_t *b = dv_block(dev, arg.p1, false);
    if (b != NULL) memcpy(dv_bytes(buf), b, dev->block_size);
    Tup2_23c5ab53 out;
    out.p0 = dev;
    out.p1 = buf;
    return out;
}

/* (dev!, n, buf, dst_off, src_off, len) -> buf */
cdsl_wordarray *dev_read_into(Tup6_a908be3b arg) {
    struct Abs_Dev *dev = arg.p0;
    cdsl_wordarray *buf = arg.p2;
    /* File data not in the cache is read straight into the buffer: caching
     * it would only push metadata out. */
    if (!dv_read_direct(dev, arg.p1, buf, arg.p3, arg.p4, arg.p5)) {
        const uint8_t *b = dv_block(dev, arg.p1, false);
        if (b != NULL) dv_copy(dv_bytes(buf), buf->len, arg.p3, b, dev->block_size, arg.p4, arg.p5);
    }
    return buf;
}

/* (dev, n, buf): writes buf (consumed) to block n. */
struct Abs_Dev *dev_write(Tup3_3cd6dac5 arg) {
    struct Abs_Dev *dev = arg.p0;
    cdsl_wordarray *buf = arg.p2;
    uint8_t *b = dv_modify(dev, arg.p1, true);
    if (b != NULL) dv_copy(b, dev->block_size, 0, dv_bytes(buf), buf->len, 0, buf->len);
    cdsl_wordarray_free(buf);
    return dev;
}

/* (dev, n, buf!, dst_off, src_off, len) */
struct Abs_Dev *dev_write_from(Tup6_a908be3b arg) {
    struct Abs_Dev *dev = arg.p0;
    const cdsl_wordarray *buf = arg.p2;
    bool whole = arg.p3 == 0 && arg.p5 == dev->block_size;
    uint8_t *b = dv_modify(dev, arg.p1, whole);
    if (b != NULL) dv_copy(b, dev->block_size, arg.p3, (const uint8_t *)buf->data, buf->len, arg.p4, arg.p5);
    return dev;
}

/* (dev, n, off, len) */
struct Abs_Dev *dev_zero(Tup4_328bad03 arg) {
    struct Abs_Dev *dev = arg.p0;
    uint32_t off = arg.p2, len = arg.p3, size = dev->block_size;
    bool whole = off == 0 && len >= size;
    uint8_t *b = dv_modify(dev, arg.p1, whole);
    if (b != NULL && off <= size) memset(b + off, 0, len < size - off ? len : size - off);
    return dev;
}

/* (dev, len) -> (dev, len zeros, at most 2^24) */
Tup2_23c5ab53 buf_new(Tup2_fae5dee3 arg) {
    Tup2_23c5ab53 out;
    out.p0 = arg.p0;
    out.p1 = dv_new_buf(arg.p1);
    return out;
}

struct Abs_Dev *buf_free(Tup2_23c5ab53 arg) {
    cdsl_wordarray_free(arg.p1);
    return arg.p0;
}

uint32_t le8(Tup2_7af4708c arg) { return dv_le(dv_bytes(arg.p0), arg.p0->len, arg.p1, 1); }
uint32_t le16(Tup2_7af4708c arg) { return dv_le(dv_bytes(arg.p0), arg.p0->len, arg.p1, 2); }
uint32_t le32(Tup2_7af4708c arg) { return dv_le(dv_bytes(arg.p0), arg.p0->len, arg.p1, 4); }

cdsl_wordarray *set8(Tup3_82f88714 arg) {
    dv_put_le(dv_bytes(arg.p0), arg.p0->len, arg.p1, 1, arg.p2);
    return arg.p0;
}

cdsl_wordarray *set16(Tup3_82f88714 arg) {
    dv_put_le(dv_bytes(arg.p0), arg.p0->len, arg.p1, 2, arg.p2);
    return arg.p0;
}

cdsl_wordarray *set32(Tup3_82f88714 arg) {
    dv_put_le(dv_bytes(arg.p0), arg.p0->len, arg.p1, 4, arg.p2);
    return arg.p0;
}

/* (a!, aoff, b!, boff, n): memcmp of two ranges, false if either is out. */
bool buf_eq(Tup5_3945b7ae arg) {
    if (!dv_inside(arg.p0->len, arg.p1, arg.p4) || !dv_inside(arg.p2->len, arg.p3, arg.p4)) return false;
    return arg.p4 == 0 || memcmp(dv_bytes(arg.p0) + arg.p1, dv_bytes(arg.p2) + arg.p3, arg.p4) == 0;
}

uint32_t low32(uint64_t v) { return (uint32_t)v; }

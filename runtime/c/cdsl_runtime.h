/* The C runtime of the cdsl C backend (`cdsl build --emit c`).
 *
 * C99. Implements, for generated C, the update semantics of the abstract
 * functions in runtime/cdsl/prelude.cdsl (runtime/src/library.rs is the
 * model): word arrays, allocation of boxed records, and printing values in
 * the interpreters' `Value` display format. Word arithmetic follows the
 * interpreters: wrapping, x / 0 == x % 0 == 0, shifting by the width or
 * more gives 0. `seq32`/`seq64` and array fold/map are loops the backend
 * writes into each instance (their step functions take generated records),
 * over the ranges `cdsl_clip` computes.
 */
#ifndef CDSL_RUNTIME_H
#define CDSL_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define CDSL_NORETURN __attribute__((noreturn))
#else
#define CDSL_NORETURN
#endif

/* `()` and `SysState` carry no information. */
typedef uint8_t cdsl_unit;
typedef uint8_t cdsl_SysState;

/* ------------------------------------------------------------- words */

/* N: width; W: the unsigned type the operation is done in (at least
 * `unsigned int`, so no promotion to a signed `int` can overflow). */
#define CDSL_WORD_OPS(N, W)                                                                  \
    static inline uint##N##_t cdsl_add_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (uint##N##_t)((W)a + (W)b);                                                 \
    }                                                                                      \
    static inline uint##N##_t cdsl_sub_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (uint##N##_t)((W)a - (W)b);                                                 \
    }                                                                                      \
    static inline uint##N##_t cdsl_mul_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (uint##N##_t)((W)a * (W)b);                                                 \
    }                                                                                      \
    static inline uint##N##_t cdsl_div_u##N(uint##N##_t a, uint##N##_t b) {               \
        return b == 0 ? 0 : (uint##N##_t)((W)a / (W)b);                                    \
    }                                                                                      \
    static inline uint##N##_t cdsl_mod_u##N(uint##N##_t a, uint##N##_t b) {               \
        return b == 0 ? 0 : (uint##N##_t)((W)a % (W)b);                                    \
    }                                                                                      \
    static inline uint##N##_t cdsl_shl_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (W)b >= (W)N ? 0 : (uint##N##_t)((W)a << b);                                \
    }                                                                                      \
    static inline uint##N##_t cdsl_shr_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (W)b >= (W)N ? 0 : (uint##N##_t)((W)a >> b);                                \
    }                                                                                      \
    static inline uint##N##_t cdsl_not_u##N(uint##N##_t a) { return (uint##N##_t) ~(W)a; } \
    static inline uint##N##_t cdsl_and_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (uint##N##_t)((W)a & (W)b);                                                 \
    }                                                                                      \
    static inline uint##N##_t cdsl_or_u##N(uint##N##_t a, uint##N##_t b) {                \
        return (uint##N##_t)((W)a | (W)b);                                                 \
    }                                                                                      \
    static inline uint##N##_t cdsl_xor_u##N(uint##N##_t a, uint##N##_t b) {               \
        return (uint##N##_t)((W)a ^ (W)b);                                                 \
    }                                                                                      \
    static inline bool cdsl_eq_u##N(uint##N##_t a, uint##N##_t b) { return a == b; }       \
    static inline bool cdsl_ne_u##N(uint##N##_t a, uint##N##_t b) { return a != b; }       \
    static inline bool cdsl_lt_u##N(uint##N##_t a, uint##N##_t b) { return a < b; }        \
    static inline bool cdsl_gt_u##N(uint##N##_t a, uint##N##_t b) { return a > b; }        \
    static inline bool cdsl_le_u##N(uint##N##_t a, uint##N##_t b) { return a <= b; }       \
    static inline bool cdsl_ge_u##N(uint##N##_t a, uint##N##_t b) { return a >= b; }

CDSL_WORD_OPS(8, unsigned int)
CDSL_WORD_OPS(16, unsigned int)
CDSL_WORD_OPS(32, uint32_t)
CDSL_WORD_OPS(64, uint64_t)

/* Comparisons go through functions so that comparing constants (which
 * generated code does) draws no -Wtautological-compare or -Wtype-limits. */
static inline bool cdsl_eq_bool(bool a, bool b) { return a == b; }
static inline bool cdsl_ne_bool(bool a, bool b) { return a != b; }
static inline bool cdsl_and_bool(bool a, bool b) { return a & b; }
static inline bool cdsl_or_bool(bool a, bool b) { return a | b; }

/* -------------------------------------------------------- allocation */

/* Zeroed memory for a boxed record (every field taken); aborts when the
 * machine is out of memory, as the interpreters' allocators never fail. */
void *cdsl_alloc(size_t size);
void cdsl_free(void *object);

/* An abstract function with no C implementation was called. */
CDSL_NORETURN void cdsl_unimplemented(const char *name, const char *why);

/* ------------------------------------------------------- word arrays */

#define CDSL_MAX_ARRAY_LEN (UINT32_C(1) << 24)

/* `WordArray a`: `len` elements of one C type, zero-initialised. */
typedef struct cdsl_wordarray {
    uint32_t len;
    void *data;
} cdsl_wordarray;

/* NULL above CDSL_MAX_ARRAY_LEN elements. */
cdsl_wordarray *cdsl_wordarray_create(uint32_t len, size_t element_size);
void cdsl_wordarray_free(cdsl_wordarray *array);
static inline uint32_t cdsl_wordarray_length(const cdsl_wordarray *array) { return array->len; }
/* Element `i` as a `T` lvalue (unchecked: callers check `i < len`). */
#define CDSL_WORDARRAY_AT(T, array, i) (((T *)(array)->data)[i])
/* `wordarray_get`/`wordarray_put` on arrays of words: out of range, `get`
 * gives 0 and `put` changes nothing and returns false (the `Error` case).
 * Arrays of other plain elements use CDSL_WORDARRAY_AT in generated code. */
#define CDSL_WORDARRAY_ACCESS(N)                                                                      \
    static inline uint##N##_t cdsl_wordarray_get_u##N(const cdsl_wordarray *array, uint32_t i) {    \
        return i < array->len ? CDSL_WORDARRAY_AT(uint##N##_t, array, i) : 0;                        \
    }                                                                                               \
    static inline bool cdsl_wordarray_put_u##N(cdsl_wordarray *array, uint32_t i, uint##N##_t v) { \
        if (i >= array->len) return false;                                                          \
        CDSL_WORDARRAY_AT(uint##N##_t, array, i) = v;                                               \
        return true;                                                                                \
    }

CDSL_WORDARRAY_ACCESS(8)
CDSL_WORDARRAY_ACCESS(16)
CDSL_WORDARRAY_ACCESS(32)
CDSL_WORDARRAY_ACCESS(64)

/* Copies min(len, dst->len - dst_off, src->len - src_off) elements; nothing
 * when an offset is out of range. */
void cdsl_wordarray_copy(cdsl_wordarray *dst, const cdsl_wordarray *src, uint32_t dst_off, uint32_t src_off,
                         uint32_t len, size_t element_size);
/* The range [*lo, *hi) of [frm, to) inside [0, len) (fold and map). */
static inline void cdsl_clip(uint32_t frm, uint32_t to, uint32_t len, uint32_t *lo, uint32_t *hi) {
    *lo = frm < len ? frm : len;
    *hi = to < len ? to : len;
    if (*hi < *lo) *hi = *lo;
}

/* ---------------------------------------------------------- printing */

/* A growing text buffer. */
typedef struct cdsl_buf {
    char *data;
    size_t len;
    size_t cap;
} cdsl_buf;

void cdsl_buf_init(cdsl_buf *out);
void cdsl_buf_puts(cdsl_buf *out, const char *text);
/* Writes the buffer and a newline to stdout and releases it. */
void cdsl_buf_println(cdsl_buf *out);
void cdsl_show_word(cdsl_buf *out, uint64_t value);
void cdsl_show_bool(cdsl_buf *out, bool value);
/* A string literal as Rust's `{:?}` writes it. */
void cdsl_show_string(cdsl_buf *out, const char *text);

#endif

/* The C runtime of the cdsl C backend: see cdsl_runtime.h. */
#include "cdsl_runtime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void *cdsl_alloc(size_t size) {
    void *object = calloc(1, size == 0 ? 1 : size);
    if (object == NULL) {
        fputs("cdsl: out of memory\n", stderr);
        abort();
    }
    return object;
}

void cdsl_free(void *object) { free(object); }

void cdsl_unimplemented(const char *name, const char *why) {
    fprintf(stderr, "no C implementation of abstract function `%s`: %s\n", name, why);
    abort();
}

cdsl_wordarray *cdsl_wordarray_create(uint32_t len, size_t element_size) {
    if (len > CDSL_MAX_ARRAY_LEN) return NULL;
    cdsl_wordarray *array = cdsl_alloc(sizeof *array);
    array->len = len;
    array->data = cdsl_alloc((size_t)len * element_size);
    return array;
}

void cdsl_wordarray_free(cdsl_wordarray *array) {
    if (array == NULL) return;
    free(array->data);
    free(array);
}

void cdsl_wordarray_copy(cdsl_wordarray *dst, const cdsl_wordarray *src, uint32_t dst_off, uint32_t src_off,
                         uint32_t len, size_t element_size) {
    if (dst_off >= dst->len || src_off >= src->len) return;
    uint32_t n = len;
    if (n > dst->len - dst_off) n = dst->len - dst_off;
    if (n > src->len - src_off) n = src->len - src_off;
    memmove((char *)dst->data + (size_t)dst_off * element_size,
            (const char *)src->data + (size_t)src_off * element_size, (size_t)n * element_size);
}

void cdsl_buf_init(cdsl_buf *out) {
    out->data = NULL;
    out->len = 0;
    out->cap = 0;
}

void cdsl_buf_puts(cdsl_buf *out, const char *text) {
    size_t n = strlen(text);
    if (out->len + n + 1 > out->cap) {
        size_t cap = out->cap == 0 ? 64 : out->cap;
        while (out->len + n + 1 > cap) cap *= 2;
        char *data = realloc(out->data, cap);
        if (data == NULL) {
            fputs("cdsl: out of memory\n", stderr);
            abort();
        }
        out->data = data;
        out->cap = cap;
    }
    memcpy(out->data + out->len, text, n + 1);
    out->len += n;
}

void cdsl_buf_println(cdsl_buf *out) {
    if (out->data != NULL) fputs(out->data, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(out->data);
    cdsl_buf_init(out);
}

void cdsl_show_word(cdsl_buf *out, uint64_t value) {
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, value);
    cdsl_buf_puts(out, text);
}

void cdsl_show_bool(cdsl_buf *out, bool value) { cdsl_buf_puts(out, value ? "True" : "False"); }

void cdsl_show_string(cdsl_buf *out, const char *text) {
    char one[16];
    cdsl_buf_puts(out, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c != 0; c++) {
        switch (*c) {
        case '"': cdsl_buf_puts(out, "\\\""); break;
        case '\\': cdsl_buf_puts(out, "\\\\"); break;
        case '\n': cdsl_buf_puts(out, "\\n"); break;
        case '\r': cdsl_buf_puts(out, "\\r"); break;
        case '\t': cdsl_buf_puts(out, "\\t"); break;
        default:
            if (*c < 0x20 || *c == 0x7f) {
                snprintf(one, sizeof one, "\\u{%x}", (unsigned)*c);
            } else {
                one[0] = (char)*c;
                one[1] = 0;
            }
            cdsl_buf_puts(out, one);
        }
    }
    cdsl_buf_puts(out, "\"");
}

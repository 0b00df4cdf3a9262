/*
 * fuzz_chunked.c -- libFuzzer target for the chunked decoder (RFC 9112
 * section 7.1).
 *
 * The input is a chunked body (plus whatever follows).  It is decoded whole,
 * in pieces cut at points derived from the data (taking chunk data directly
 * through pool_chunked_consumed_data on some runs), and one byte at a time.
 * Every run must yield the same body bytes, the same result and, at the end
 * of the body, the same count of consumed bytes; every slice the decoder
 * hands out must lie inside the piece it was given.  Pieces are exact-size
 * heap copies, so AddressSanitizer sees any read past `len`.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Icsrc tests/fuzz/fuzz_chunked.c csrc/pool_http.c
 */
#include "pool_http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int rc;
    unsigned char *out; /* decoded body; at most size bytes */
    size_t outlen;
    size_t total;
} result;

static uint64_t fnv1a(const uint8_t *d, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= d[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void setup(pool_chunked *c, uint64_t cfg)
{
    static const size_t lines[8] = {0, 0, 0, 0, 0, 1, 8, 40};
    static const size_t trailers[8] = {0, 0, 0, 0, 0, 1, 12, 100};
    pool_chunked_init(c);
    if (lines[cfg & 7])
        c->max_line = lines[cfg & 7] - 1;
    if (trailers[(cfg >> 3) & 7])
        c->max_trailer_size = trailers[(cfg >> 3) & 7] - 1;
}

static void append(result *r, size_t cap, const char *src, size_t n)
{
    if (r->outlen + n > cap)
        abort(); /* more body than input: impossible */
    memcpy(r->out + r->outlen, src, n);
    r->outlen += n;
}

/* Pieces end at cuts[0..n-1] (non-decreasing) and at size. */
static void run(const uint8_t *data, size_t size, uint64_t cfg, const size_t *cuts, size_t n,
                int direct, result *r)
{
    pool_chunked c;
    size_t s, start = 0;

    setup(&c, cfg);
    r->rc = POOL_NEED_MORE;
    r->outlen = 0;
    r->total = 0;
    for (s = 0; s <= n; s++) {
        size_t end = s < n ? cuts[s] : size;
        size_t len = end - start, off = 0;
        char *b = (char *)malloc(len ? len : 1);
        if (len)
            memcpy(b, data + start, len);
        for (;;) {
            size_t cons, doff, dlen;
            int rc;
            if (direct && c.remaining > 0 && off < len) {
                size_t take = len - off;
                if ((uint64_t)take > c.remaining)
                    take = (size_t)c.remaining;
                append(r, size, b + off, take);
                pool_chunked_consumed_data(&c, take);
                off += take;
                continue;
            }
            rc = pool_chunked_feed(&c, b + off, len - off, &cons, &doff, &dlen);
            if (cons > len - off)
                abort();
            if (rc == POOL_CHUNK_DATA) {
                if (dlen == 0 || doff + dlen != cons)
                    abort();
                append(r, size, b + off + doff, dlen);
                off += cons;
                continue;
            }
            if (rc == POOL_NEED_MORE) {
                if (cons != len - off)
                    abort();
                break;
            }
            free(b);
            r->rc = rc;
            if (rc == POOL_CHUNK_DONE) {
                if (!c.done)
                    abort();
                r->total = start + off + cons;
            } else if (rc > 0 || pool_strerror(rc) == NULL) {
                abort();
            }
            return;
        }
        free(b);
        start = end;
    }
}

static int same(const result *a, const result *b)
{
    return a->rc == b->rc && a->total == b->total && a->outlen == b->outlen
           && (a->outlen == 0 || memcmp(a->out, b->out, a->outlen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t hash = fnv1a(data, size);
    unsigned char *o1 = (unsigned char *)malloc(size + 1);
    unsigned char *o2 = (unsigned char *)malloc(size + 1);
    result whole = {0, o1, 0, 0}, other = {0, o2, 0, 0};
    size_t cuts[3], i, *bytes;

    run(data, size, hash, NULL, 0, 0, &whole);
    if (whole.rc == POOL_CHUNK_DONE && whole.total > size)
        abort();

    for (i = 0; i < 3; i++)
        cuts[i] = (size_t)((hash >> (16 + 12 * i)) % (size + 1));
    /* sort three */
    if (cuts[0] > cuts[1]) { size_t t = cuts[0]; cuts[0] = cuts[1]; cuts[1] = t; }
    if (cuts[1] > cuts[2]) { size_t t = cuts[1]; cuts[1] = cuts[2]; cuts[2] = t; }
    if (cuts[0] > cuts[1]) { size_t t = cuts[0]; cuts[0] = cuts[1]; cuts[1] = t; }
    run(data, size, hash, cuts, 3, (int)((hash >> 6) & 1), &other);
    if (!same(&whole, &other))
        abort();

    bytes = (size_t *)malloc(sizeof(size_t) * (size + 1));
    for (i = 0; i + 1 < size; i++)
        bytes[i] = i + 1;
    run(data, size, hash, bytes, size ? size - 1 : 0, (int)((hash >> 7) & 1), &other);
    if (!same(&whole, &other))
        abort();

    free(bytes);
    free(o1);
    free(o2);
    return 0;
}

/*
 * fuzz_head.c -- libFuzzer target for pool_parse_head and pool_body_framing.
 *
 * The input is one response head (plus whatever follows).  It is parsed
 * whole, as two growing prefixes split at a point derived from the data, and
 * one byte at a time; all three must give the same answer (RFC 9112 framing
 * cannot depend on how TCP cut the bytes), every offset must stay inside the
 * input, and nothing may read past the bytes given (each run uses an
 * exact-size heap copy, so AddressSanitizer sees any over-read).
 *
 * Limits are usually the defaults; a hash of the input sometimes picks small
 * ones so the limit paths are fuzzed too.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Icsrc tests/fuzz/fuzz_head.c csrc/pool_http.c
 */
#include "pool_http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXH 128

typedef struct {
    long rc;
    int minor, status;
    size_t reason_off, reason_len, nh;
    unsigned flags;
    uint64_t cl;
    pool_header h[MAXH];
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

static void setup(pool_head_parser *p, uint64_t cfg)
{
    static const size_t head_sizes[8] = {0, 0, 0, 0, 0, 16, 64, 300};
    static const size_t header_counts[8] = {0, 0, 0, 0, 0, 1, 3, 20};
    pool_head_init(p);
    if (head_sizes[cfg & 7])
        p->max_head_size = head_sizes[cfg & 7];
    if (header_counts[(cfg >> 3) & 7])
        p->max_headers = header_counts[(cfg >> 3) & 7];
}

static void collect(const pool_head_parser *p, const pool_header *h, long rc, result *r)
{
    memset(r, 0, sizeof(*r));
    r->rc = rc;
    if (rc > 0) {
        r->minor = p->minor_version;
        r->status = p->status;
        r->reason_off = p->reason_off;
        r->reason_len = p->reason_len;
        r->nh = p->num_headers;
        r->flags = p->flags;
        r->cl = p->content_length;
        memcpy(r->h, h, sizeof(pool_header) * p->num_headers);
    }
}

/* Feed prefixes of length cuts[0..n-1], then size; stop at the first answer. */
static void run(const uint8_t *data, size_t size, uint64_t cfg, const size_t *cuts, size_t n,
                result *r)
{
    pool_head_parser p;
    pool_header h[MAXH];
    size_t i;
    long rc = 0;

    setup(&p, cfg);
    for (i = 0; i <= n; i++) {
        size_t k = i < n ? cuts[i] : size;
        char *b = (char *)malloc(k ? k : 1);
        if (k)
            memcpy(b, data, k);
        rc = pool_parse_head(&p, b, k, h);
        free(b);
        if (rc != 0) {
            if (rc > 0 && (size_t)rc > k)
                abort();
            break;
        }
        if (p.scanned > k)
            abort();
    }
    collect(&p, h, rc, r);
}

static int same(const result *a, const result *b)
{
    if (a->rc != b->rc)
        return 0;
    if (a->rc <= 0)
        return 1;
    return a->minor == b->minor && a->status == b->status && a->reason_off == b->reason_off
           && a->reason_len == b->reason_len && a->nh == b->nh && a->flags == b->flags
           && a->cl == b->cl && memcmp(a->h, b->h, sizeof(pool_header) * a->nh) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t hash = fnv1a(data, size);
    result whole, split, drip;
    size_t cut[1];
    pool_head_parser p;
    pool_header h[MAXH];
    size_t i;

    run(data, size, hash, NULL, 0, &whole);
    cut[0] = (size_t)((hash >> 8) % (size + 1));
    run(data, size, hash, cut, 1, &split);
    if (!same(&whole, &split))
        abort();

    /* One byte at a time on one growing buffer: linear thanks to p.scanned,
     * so this stays cheap even for inputs near the head limit. */
    {
        char *b = (char *)malloc(size ? size : 1);
        long rc = 0;
        if (size)
            memcpy(b, data, size);
        setup(&p, hash);
        for (i = 0; i <= size; i++) {
            rc = pool_parse_head(&p, b, i, h);
            if (rc != 0)
                break;
        }
        if (rc > 0 && (size_t)rc != i)
            abort(); /* a head is complete exactly at its last byte */
        collect(&p, h, rc, &drip);
        free(b);
    }
    if (!same(&whole, &drip))
        abort();

    if (whole.rc > 0) {
        size_t end = (size_t)whole.rc;
        int wc = -1, fr, rwh;
        setup(&p, hash);
        if (whole.minor != 0 && whole.minor != 1)
            abort();
        if (whole.status < 100 || whole.status > 999)
            abort();
        if (whole.reason_off + whole.reason_len > end || whole.nh > p.max_headers)
            abort();
        for (i = 0; i < whole.nh; i++) {
            const pool_header *x = &whole.h[i];
            if (x->name_len == 0 || x->name_off + x->name_len > end
                || x->value_off + x->value_len > end || x->value_off < x->name_off + x->name_len)
                abort();
        }
        /* framing needs the parser state: parse again and ask */
        if (pool_parse_head(&p, (const char *)data, size, h) != whole.rc)
            abort();
        for (rwh = 0; rwh < 2; rwh++) {
            fr = pool_body_framing(&p, rwh, &wc);
            if (wc != 0 && wc != 1)
                abort();
            if (fr != POOL_E_CL_AND_TE && (fr < POOL_FRAMING_NONE || fr > POOL_FRAMING_CLOSE))
                abort();
            if (fr == POOL_FRAMING_CLOSE && !wc)
                abort();
            if (fr == POOL_E_CL_AND_TE
                && (p.flags & (POOL_HAS_CONTENT_LENGTH | POOL_HAS_TRANSFER_ENCODING))
                       != (POOL_HAS_CONTENT_LENGTH | POOL_HAS_TRANSFER_ENCODING))
                abort();
        }
    } else if (whole.rc < 0 && pool_strerror((int)whole.rc) == NULL) {
        abort();
    }
    return 0;
}

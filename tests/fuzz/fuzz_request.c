/*
 * fuzz_request.c -- libFuzzer target for the request-head checks and writers
 * (pool_check_*, pool_put_*, pool_serialize_request).
 *
 * Input layout: byte 0 is a separator, byte 1 picks the buffer sizes, and the
 * rest, split at the separator, is method, target, then name/value pairs (an
 * unpaired last name gets an empty value).  Since the separator is whatever
 * byte 0 is, every byte value reaches every piece across inputs.  Each piece
 * is an exact-size heap copy and every output buffer is exactly cap bytes,
 * so AddressSanitizer sees any access out of bounds.
 *
 * Asserted (abort on failure):
 * - each pool_check_* agrees with the grammar written out below (tchar,
 *   VCHAR, field bytes), not with pool_http.c's table;
 * - pool_serialize_request refuses with the code of the first bad piece in
 *   the order method, target, name, value, ..., and then wrote nothing; with
 *   a buffer too small it asks for exactly the head's size and writes
 *   nothing; otherwise it writes exactly that many bytes;
 * - pool_put_* piece by piece, growing the buffer on POOL_NEED_ROOM, gives
 *   the same answer and the same bytes;
 * - an accepted head holds CR and LF only as the CRLF ending each line, no
 *   NUL, and no empty line before the last; a splitter written here gives
 *   back the method, the target, "HTTP/1.1" and every name and value
 *   exactly;
 * - the same field lines behind a status line go through pool_parse_head
 *   (the response side of the same table) as the same number of fields
 *   with the same names and OWS-trimmed values, or fail only on the
 *   Content-Length / Transfer-Encoding value rules, never on syntax.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Icsrc tests/fuzz/fuzz_request.c csrc/pool_http.c
 */
#include "pool_http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 64

typedef struct {
    char *p;
    size_t n;
} piece;

/* ------------------------------------------------ the grammar, written out */

static int is_tchar(unsigned char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    size_t i;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    for (i = 0; i < sizeof extra - 1; i++)
        if (c == (unsigned char)extra[i])
            return 1;
    return 0;
}

static int is_vchar(unsigned char c)
{
    return c >= 0x21 && c <= 0x7E;
}

static int is_field_byte(unsigned char c)
{
    return c == 0x09 || (c >= 0x20 && c <= 0x7E) || c >= 0x80;
}

static int all(const piece *s, int (*ok)(unsigned char), int empty_ok)
{
    size_t i;
    if (s->n == 0)
        return empty_ok;
    for (i = 0; i < s->n; i++)
        if (!ok((unsigned char)s->p[i]))
            return 0;
    return 1;
}

/* ----------------------------------------------------------------- helpers */

static piece copy_piece(const uint8_t *d, size_t n)
{
    piece s;
    s.p = (char *)malloc(n ? n : 1);
    s.n = n;
    if (n)
        memcpy(s.p, d, n);
    return s;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Does the parser's error code come from a value rule of Content-Length or
 * Transfer-Encoding (RFC 9110 section 8.6, RFC 9112 section 6.1), which a
 * well-formed field line may still break? */
static int framing_value_error(long rc)
{
    return rc == POOL_E_BAD_CONTENT_LENGTH || rc == POOL_E_CONFLICTING_CONTENT_LENGTH
           || rc == POOL_E_BAD_TRANSFER_ENCODING;
}

/* Split the accepted head into lines at CRLF and check it against the input,
 * without any of pool_http.c. */
static void check_head_text(const char *h, size_t len, const piece *m, const piece *t,
                            const piece *names, const piece *values, size_t nf)
{
    size_t i, line = 0, start = 0, crlf = 0;
    for (i = 0; i < len; i++) {
        if (h[i] == '\0')
            abort();
        if (h[i] == '\r' && (i + 1 >= len || h[i + 1] != '\n'))
            abort(); /* a CR that does not end a line */
        if (h[i] == '\n' && (i == 0 || h[i - 1] != '\r'))
            abort(); /* an LF that does not end a line */
    }
    if (len < 4 || memcmp(h + len - 4, "\r\n\r\n", 4) != 0)
        abort();
    for (i = 0; i + 1 < len; i++) {
        size_t ll;
        const char *l;
        if (h[i] != '\r')
            continue;
        crlf++;
        l = h + start;
        ll = i - start;
        if (line == 0) {
            /* method SP target SP HTTP/1.1: neither may hold SP */
            if (ll != m->n + 1 + t->n + 9 || memcmp(l, m->p, m->n) != 0 || l[m->n] != ' '
                || memcmp(l + m->n + 1, t->p, t->n) != 0
                || memcmp(l + m->n + 1 + t->n, " HTTP/1.1", 9) != 0
                || memchr(l, ' ', m->n) != NULL || memchr(l + m->n + 1, ' ', t->n) != NULL)
                abort();
        } else if (line <= nf) {
            /* name ":" SP value, the name up to the first colon */
            const piece *nm = &names[line - 1], *v = &values[line - 1];
            const char *colon = (const char *)memchr(l, ':', ll);
            if (!colon || (size_t)(colon - l) != nm->n || memcmp(l, nm->p, nm->n) != 0
                || ll != nm->n + 2 + v->n || colon[1] != ' ' || memcmp(colon + 2, v->p, v->n) != 0)
                abort();
        } else if (line == nf + 1) {
            if (ll != 0 || i + 2 != len)
                abort(); /* the blank line, and it is the last */
        }
        if (line <= nf && ll == 0)
            abort(); /* an empty line before the end */
        line++;
        start = i + 2;
    }
    if (line != nf + 2 || crlf != nf + 2)
        abort();
}

/* The field lines of the head, behind a status line, through the response
 * parser: same fields, or a framing value error. */
static void check_reparse(const char *h, size_t len, size_t line1, const piece *names,
                          const piece *values, size_t nf)
{
    static const char status[] = "HTTP/1.1 200 OK\r\n";
    size_t sl = sizeof status - 1, rest = len - line1, i;
    size_t total = sl + rest;
    char *b = (char *)malloc(total);
    pool_head_parser p;
    pool_header hd[MAXF];
    long rc;

    memcpy(b, status, sl);
    memcpy(b + sl, h + line1, rest);
    pool_head_init(&p);
    p.max_head_size = total;
    p.max_headers = nf ? nf : 1;
    rc = pool_parse_head(&p, b, total, hd);
    if (rc > 0) {
        if ((size_t)rc != total || p.num_headers != nf)
            abort();
        for (i = 0; i < nf; i++) {
            const piece *v = &values[i];
            size_t a = 0, z = v->n;
            while (a < z && is_ows(v->p[a]))
                a++;
            while (z > a && is_ows(v->p[z - 1]))
                z--;
            if (hd[i].name_len != names[i].n || memcmp(b + hd[i].name_off, names[i].p, names[i].n) != 0
                || hd[i].value_len != z - a || memcmp(b + hd[i].value_off, v->p + a, z - a) != 0)
                abort();
        }
    } else if (!framing_value_error(rc)) {
        abort(); /* 0 (incomplete) or a syntax error: what we send, we would refuse */
    }
    free(b);
}

#define PAD 0xA5

/* 1 when b[from:to] still holds PAD: nothing was written there. */
static int untouched(const char *b, size_t from, size_t to)
{
    size_t i;
    for (i = from; i < to; i++)
        if ((unsigned char)b[i] != PAD)
            return 0;
    return 1;
}

/* pool_put_* piece by piece, starting at cap0 and growing to exactly the
 * asked size on POOL_NEED_ROOM.  Returns the first refusal, or 0 with
 * *out / *outlen the head (to free). */
static int put_all(size_t cap0, const piece *m, const piece *t, const piece *names,
                   const piece *values, size_t nf, char **out, size_t *outlen)
{
    pool_writer w;
    char *buf = cap0 ? (char *)malloc(cap0) : NULL;
    size_t step;
    int rc = 0;

    if (cap0)
        memset(buf, PAD, cap0);
    pool_writer_init(&w, buf, cap0);
    for (step = 0; step < nf + 2; step++) {
        for (;;) {
            size_t before = w.len;
            if (step == 0)
                rc = pool_put_request_line(&w, m->p, m->n, t->p, t->n);
            else if (step <= nf)
                rc = pool_put_field(&w, names[step - 1].p, names[step - 1].n, values[step - 1].p,
                                    values[step - 1].n);
            else
                rc = pool_put_head_end(&w);
            if (rc != POOL_NEED_ROOM) {
                if (rc != 0 && (w.len != before || !untouched(w.buf, w.len, w.cap)))
                    abort(); /* a refused piece wrote something */
                break;
            }
            if (w.len != before || w.need <= w.cap || w.need <= w.len
                || !untouched(w.buf, w.len, w.cap))
                abort();
            {
                /* grow to exactly the asked size: a fresh block, so any
                 * write past it is caught */
                char *nb = (char *)malloc(w.need);
                memset(nb, PAD, w.need);
                if (w.len)
                    memcpy(nb, w.buf, w.len);
                free(w.buf);
                w.buf = nb;
                w.cap = w.need;
            }
        }
        if (rc != 0)
            break;
        if (w.len > w.cap || !untouched(w.buf, w.len, w.cap))
            abort();
    }
    if (rc != 0) {
        free(w.buf);
        *out = NULL;
        *outlen = 0;
        return rc;
    }
    *out = w.buf;
    *outlen = w.len;
    return 0;
}

/* A check answers 0 exactly when the grammar accepts, else its own code. */
static void check_one(int (*fn)(const char *, size_t), const piece *s,
                      int (*ok)(unsigned char), int empty_ok, int code)
{
    if (fn(s->p, s->n) != (all(s, ok, empty_ok) ? 0 : code))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    piece parts[2 + 2 * MAXF];
    piece names[MAXF], values[MAXF];
    size_t np = 0, nf, i, start, expect_len;
    int expect = 0, rc;
    uint8_t sep, cfg;
    pool_field fields[MAXF];
    pool_writer w;
    char *buf, *inc;
    size_t cap, inclen;

    if (size < 2)
        return 0;
    sep = data[0];
    cfg = data[1];
    start = 2;
    for (i = 2; i <= size && np < sizeof parts / sizeof parts[0]; i++) {
        if (i == size || data[i] == sep) {
            parts[np++] = copy_piece(data + start, i - start);
            start = i + 1;
        }
    }
    if (np < 2)
        parts[np++] = copy_piece(data, 0); /* an empty target */
    nf = (np - 1) / 2;
    for (i = 0; i < nf; i++) {
        names[i] = parts[2 + 2 * i];
        if (3 + 2 * i < np) {
            values[i] = parts[3 + 2 * i];
        } else {
            values[i] = copy_piece(data, 0);
            parts[np++] = values[i]; /* freed with the rest */
        }
        fields[i].name = names[i].p;
        fields[i].name_len = names[i].n;
        fields[i].value = values[i].p;
        fields[i].value_len = values[i].n;
    }

    /* each check against the grammar */
    check_one(pool_check_method, &parts[0], is_tchar, 0, POOL_E_BAD_METHOD);
    check_one(pool_check_target, &parts[1], is_vchar, 0, POOL_E_BAD_TARGET);
    for (i = 0; i < nf; i++) {
        check_one(pool_check_field_name, &names[i], is_tchar, 0, POOL_E_BAD_FIELD_NAME);
        check_one(pool_check_field_value, &values[i], is_field_byte, 1, POOL_E_BAD_FIELD_VALUE);
    }

    /* the first refusal, in order, and the size of an accepted head */
    if (!all(&parts[0], is_tchar, 0))
        expect = POOL_E_BAD_METHOD;
    else if (!all(&parts[1], is_vchar, 0))
        expect = POOL_E_BAD_TARGET;
    for (i = 0; i < nf && expect == 0; i++) {
        if (!all(&names[i], is_tchar, 0))
            expect = POOL_E_BAD_FIELD_NAME;
        else if (!all(&values[i], is_field_byte, 1))
            expect = POOL_E_BAD_FIELD_VALUE;
    }
    expect_len = parts[0].n + parts[1].n + 12 + 2;
    for (i = 0; i < nf; i++)
        expect_len += names[i].n + values[i].n + 4;

    /* one shot, into a buffer of exactly cap bytes */
    switch (cfg & 3) {
    case 0:
        cap = 0;
        break;
    case 1:
        cap = expect_len - 1;
        break;
    case 2:
        cap = expect_len;
        break;
    default:
        cap = (size_t)(cfg >> 2) * 7;
        break;
    }
    buf = cap ? (char *)malloc(cap) : NULL;
    if (cap)
        memset(buf, PAD, cap);
    pool_writer_init(&w, buf, cap);
    rc = pool_serialize_request(&w, parts[0].p, parts[0].n, parts[1].p, parts[1].n, fields, nf);
    if (expect != 0) {
        if (rc != expect || w.len != 0)
            abort();
    } else if (cap < expect_len) {
        if (rc != POOL_NEED_ROOM || w.need != expect_len || w.len != 0)
            abort();
    } else if (rc != 0 || w.len != expect_len) {
        abort();
    }
    if (!untouched(buf, w.len, cap))
        abort(); /* nothing refused produced output, nothing went past the head */
    if (rc == POOL_NEED_ROOM) {
        free(buf);
        cap = w.need;
        buf = (char *)malloc(cap);
        pool_writer_init(&w, buf, cap);
        rc = pool_serialize_request(&w, parts[0].p, parts[0].n, parts[1].p, parts[1].n, fields, nf);
        if (rc != 0 || w.len != expect_len)
            abort();
    }

    /* piece by piece: the same answer, the same bytes */
    rc = put_all((size_t)(cfg >> 4) * 5, &parts[0], &parts[1], names, values, nf, &inc, &inclen);
    if (rc != expect)
        abort();
    if (expect == 0) {
        if (inclen != expect_len || memcmp(inc, buf, inclen) != 0)
            abort();
        check_head_text(buf, expect_len, &parts[0], &parts[1], names, values, nf);
        check_reparse(buf, expect_len, parts[0].n + parts[1].n + 12, names, values, nf);
    }
    free(inc);
    free(buf);
    if (pool_strerror(expect) == NULL)
        abort();

    for (i = 0; i < np; i++)
        free(parts[i].p);
    return 0;
}

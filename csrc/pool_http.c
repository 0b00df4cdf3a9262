/*
 * pool_http.c -- HTTP/1.1 response-head parser, chunked-body decoder, and
 * request-head checks and writer.
 *
 * Implements csrc/pool_http.h; the rules are those of docs/wire.md, which
 * follow RFC 9112 sections 2.2 (line endings), 3 (request line), 4 (status
 * line), 5 (field lines), 6 (message body framing) and 7.1 (chunked coding),
 * and RFC 9110 sections 5.5 (field values), 5.6.2 (tokens) and 8.6
 * (Content-Length).
 *
 * Safety rules this file keeps: no allocation, no mutable global state, every
 * read of buf[i] is preceded by a proof that i < len, sizes are accumulated in
 * uint64_t and checked against POOL_MAX_BODY_LENGTH before they can overflow;
 * a writer adds lengths only through add_size (refusing a sum past SIZE_MAX)
 * and copies only after room() has shown that the piece fits in buf[len:cap].
 *
 * Speed: the head is searched for its blank line with memchr, resuming where
 * the previous call stopped, and parsed in one pass only once it is complete;
 * byte classes come from one 256-entry table, so the inner loops are a load
 * and a test per byte.
 */
#include "pool_http.h"

#include <limits.h>
#include <string.h>

/* ------------------------------------------------------------ byte classes */

/* One table for both directions: the response parser and chunked decoder
 * read it, and so do the request-head checks (pool_check_*), so what is sent
 * and what is accepted follow the same character rules. */
#define CC_TOKEN 1 /* tchar, RFC 9110 section 5.6.2: a method, a field name */
#define CC_VALUE 2 /* field-vchar, SP or HTAB (RFC 9110 section 5.5); also
                    * the bytes allowed in a reason phrase and a chunk-ext */
#define CC_HEX 4   /* HEXDIG */
#define CC_VCHAR 8 /* VCHAR, 0x21-0x7E: a request-target byte (RFC 9112
                    * section 3.2; no SP, CTL, DEL or non-ASCII) */

static const unsigned char cclass[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0, /* 0x00 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x10 */
     2, 11, 10, 11, 11, 11, 11, 11, 10, 10, 11, 11, 10, 11, 11, 10, /* 0x20 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 10, 10, 10, 10, 10, 10, /* 0x30 */
    10, 15, 15, 15, 15, 15, 15, 11, 11, 11, 11, 11, 11, 11, 11, 11, /* 0x40 */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 10, 11, 11, /* 0x50 */
    11, 15, 15, 15, 15, 15, 15, 11, 11, 11, 11, 11, 11, 11, 11, 11, /* 0x60 */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 11, 10, 11,  0, /* 0x70 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0x80 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0x90 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0xa0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0xb0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0xc0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0xd0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0xe0 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2, /* 0xf0 */
};

#define CLASS(ch) (cclass[(unsigned char)(ch)])
#define IS_OWS(ch) ((ch) == ' ' || (ch) == '\t')

/* The first offset in [i, end) whose byte is not CC_VALUE (a CTL other than
 * HTAB, or DEL), or end.  Eight bytes at a time while none of them is below
 * 0x20 or equal to 0x7F (a test that is exact for "any such byte"); the word
 * that holds one, HTAB included, and the tail go through the table.  memcpy
 * keeps the unaligned load defined. */
static size_t scan_value(const char *buf, size_t i, size_t end)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - i >= 8) {
        uint64_t x, y;
        memcpy(&x, buf + i, 8);
        y = x ^ (ones * 0x7F);
        if (((x - ones * 0x20) & ~x & highs) | ((y - ones) & ~y & highs))
            break;
        i += 8;
    }
    while (i < end && (CLASS(buf[i]) & CC_VALUE))
        i++;
    return i;
}

/* The first offset in [i, end) whose byte is not CC_VCHAR (below 0x21, DEL,
 * or 0x80 and up), or end.  Eight bytes at a time while none of them is such
 * a byte (each of the three tests is exact for "any such byte"), then the
 * table, as scan_value. */
static size_t scan_vchar(const char *buf, size_t i, size_t end)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - i >= 8) {
        uint64_t x, y;
        memcpy(&x, buf + i, 8);
        y = x ^ (ones * 0x7F);
        if ((x | ((x - ones * 0x21) & ~x) | ((y - ones) & ~y)) & highs)
            break;
        i += 8;
    }
    while (i < end && (CLASS(buf[i]) & CC_VCHAR))
        i++;
    return i;
}

/* ASCII-only lowercase: header names and codings are compared without the
 * locale, and only letters fold (RFC 9110 section 5.1). */
static int eq_lower(const char *s, size_t n, const char *lower_lit, size_t lit_len)
{
    size_t i;
    if (n != lit_len)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + ('a' - 'A'));
        if (ch != (unsigned char)lower_lit[i])
            return 0;
    }
    return 1;
}

#define EQ_LIT(s, n, lit) eq_lower((s), (n), lit, sizeof(lit) - 1)

/* One element of a comma-separated list in b[*pos:end], OWS trimmed, as
 * [*es, *ee).  Advances *pos past the comma; returns 1 if a comma ended the
 * element (so another element, possibly empty, follows), 0 at the end. */
static int list_next(const char *b, size_t *pos, size_t end, size_t *es, size_t *ee)
{
    size_t a = *pos, z;
    const char *comma = a < end ? (const char *)memchr(b + a, ',', end - a) : NULL;
    size_t stop = comma ? (size_t)(comma - b) : end;
    z = stop;
    while (a < z && IS_OWS(b[a]))
        a++;
    while (z > a && IS_OWS(b[z - 1]))
        z--;
    *es = a;
    *ee = z;
    *pos = comma ? stop + 1 : end;
    return comma != NULL;
}

/* ------------------------------------------------------------ head parsing */

void pool_head_init(pool_head_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->max_head_size = POOL_DEFAULT_MAX_HEAD_SIZE;
    p->max_headers = POOL_DEFAULT_MAX_HEADERS;
}

int pool_parse_content_length(const char *s, size_t len, uint64_t *out)
{
    size_t pos = 0, es, ee, i;
    uint64_t first = 0;
    int have = 0, more;

    do {
        uint64_t v = 0;
        more = list_next(s, &pos, len, &es, &ee);
        if (es == ee)
            return POOL_E_BAD_CONTENT_LENGTH;
        for (i = es; i < ee; i++) {
            unsigned d = (unsigned)((unsigned char)s[i]) - (unsigned)'0';
            if (d > 9)
                return POOL_E_BAD_CONTENT_LENGTH;
            /* v * 10 + d <= MAX  <=>  v <= (MAX - d) / 10 */
            if (v > (POOL_MAX_BODY_LENGTH - d) / 10)
                return POOL_E_BAD_CONTENT_LENGTH;
            v = v * 10 + d;
        }
        if (!have) {
            first = v;
            have = 1;
        } else if (v != first) {
            return POOL_E_CONFLICTING_CONTENT_LENGTH;
        }
    } while (more);
    *out = first;
    return 1;
}

/* The status line, buf[0:ce) with its line ending removed (RFC 9112 section 4):
 * "HTTP/1." DIGIT SP 3DIGIT [ SP reason ].  Anything else, including a bare
 * CR, is POOL_E_BAD_STATUS_LINE: one code for one line keeps the mapping to
 * InvalidStatusLine exact. */
static long parse_status_line(pool_head_parser *p, const char *buf, size_t ce)
{
    size_t i, rs, re;
    if (ce < 12 || memcmp(buf, "HTTP/1.", 7) != 0) {
        p->error_off = 0;
        return POOL_E_BAD_STATUS_LINE;
    }
    if ((buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' || buf[9] < '1' || buf[9] > '9'
        || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9') {
        p->error_off = 7;
        return POOL_E_BAD_STATUS_LINE;
    }
    p->minor_version = buf[7] - '0';
    p->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    rs = re = 12;
    if (ce > 12) {
        if (buf[12] != ' ') {
            p->error_off = 12;
            return POOL_E_BAD_STATUS_LINE;
        }
        i = scan_value(buf, 13, ce);
        if (i < ce) {
            p->error_off = i;
            return POOL_E_BAD_STATUS_LINE;
        }
        /* The reason is kept as sent, spaces included. */
        rs = 13;
        re = ce;
    }
    p->reason_off = rs;
    p->reason_len = re - rs;
    return 1;
}

/* A header line buf[s:ce) (non-empty, line ending removed) failed the fast
 * path at q.  Work out which rule it broke, in the documented order:
 * obs-fold, bare CR, no colon, bad name. */
static long header_line_error(pool_head_parser *p, const char *buf, size_t s, size_t ce, size_t q)
{
    const char *hit;
    if (IS_OWS(buf[s])) {
        p->error_off = s;
        return POOL_E_OBS_FOLD;
    }
    hit = (const char *)memchr(buf + s, '\r', ce - s);
    if (hit) {
        p->error_off = (size_t)(hit - buf);
        return POOL_E_BAD_LINE_ENDING;
    }
    hit = (const char *)memchr(buf + s, ':', ce - s);
    if (!hit) {
        p->error_off = ce;
        return POOL_E_NO_COLON;
    }
    p->error_off = q;
    return POOL_E_BAD_HEADER_NAME;
}

/* A field line starting at s in the complete head buf[0:end) broke a rule;
 * find its end and report the first rule it broke, in the documented order:
 * obs-fold, bare CR, no colon, bad name, then a CTL in the value. */
static long field_line_error(pool_head_parser *p, const char *buf, size_t s, size_t end)
{
    const char *lf = (const char *)memchr(buf + s, '\n', end - s);
    size_t le = lf ? (size_t)(lf - buf) : end, ce, q, v;
    const char *cr;
    ce = (le > s && buf[le - 1] == '\r') ? le - 1 : le;
    q = s;
    while (q < ce && (CLASS(buf[q]) & CC_TOKEN))
        q++;
    if (q == s || q == ce || buf[q] != ':')
        return header_line_error(p, buf, s, ce, q);
    v = q + 1;
    while (v < ce && (CLASS(buf[v]) & CC_VALUE))
        v++;
    cr = (const char *)memchr(buf + s, '\r', ce - s);
    p->error_off = cr ? (size_t)(cr - buf) : v;
    return cr ? POOL_E_BAD_LINE_ENDING : POOL_E_BAD_HEADER_VALUE;
}

/* Transfer-Encoding state across all TE fields of one head. */
typedef struct {
    int chunked_seen;
} te_state;

static long note_transfer_encoding(pool_head_parser *p, te_state *te, const char *buf,
                                   size_t vs, size_t ve)
{
    size_t pos = vs, es, ee;
    int more, codings = 0;
    p->flags |= POOL_HAS_TRANSFER_ENCODING;
    do {
        more = list_next(buf, &pos, ve, &es, &ee);
        if (es == ee)
            continue; /* empty list elements are ignored (RFC 9110 section 5.6.1) */
        codings++;
        /* Once chunked has been seen, any further coding means chunked is
         * not last (or is there twice): a smuggling shape, refused at once. */
        if (te->chunked_seen) {
            p->flags &= ~(unsigned)POOL_TE_CHUNKED_FINAL;
            p->error_off = es;
            return POOL_E_BAD_TRANSFER_ENCODING;
        }
        if (EQ_LIT(buf + es, ee - es, "chunked")) {
            te->chunked_seen = 1;
            p->flags |= POOL_TE_CHUNKED_FINAL;
        }
    } while (more);
    if (codings == 0) {
        p->error_off = vs;
        return POOL_E_BAD_TRANSFER_ENCODING;
    }
    return 1;
}

static void note_connection(pool_head_parser *p, const char *buf, size_t vs, size_t ve)
{
    size_t pos = vs, es, ee;
    int more;
    do {
        more = list_next(buf, &pos, ve, &es, &ee);
        if (EQ_LIT(buf + es, ee - es, "close"))
            p->flags |= POOL_CONN_CLOSE;
        else if (EQ_LIT(buf + es, ee - es, "keep-alive"))
            p->flags |= POOL_CONN_KEEP_ALIVE;
        else if (EQ_LIT(buf + es, ee - es, "upgrade"))
            p->flags |= POOL_CONN_UPGRADE;
    } while (more);
}

/* Parse a head from buf[0:end) up to its blank line; return the head's length
 * (through the blank line's LF) or an error code.  Called either with end
 * just past the blank line that the search in pool_parse_head found, or with
 * end at the limit of what is buffered, as a first try that is discarded on
 * any failure: then "error" may also mean "no blank line yet".  On a good
 * head both find the same blank line, since good lines hold no CR or LF but
 * their line end, so each LF the line scans reach is the next one in buf. */
static long parse_complete_head(pool_head_parser *p, const char *buf, size_t end,
                                pool_header *headers)
{
    const char *lf = (const char *)memchr(buf, '\n', end);
    size_t le, ce, pos;
    long r;
    te_state te = {0};

    p->num_headers = 0;
    p->flags = 0;
    p->content_length = 0;
    if (!lf) /* cannot happen: end was found at an LF */
        return POOL_E_BAD_STATUS_LINE;
    le = (size_t)(lf - buf);
    ce = (le > 0 && buf[le - 1] == '\r') ? le - 1 : le;
    r = parse_status_line(p, buf, ce);
    if (r < 0)
        return r;

    pos = le + 1;
    for (;;) {
        size_t s = pos, q, vs, v, ve;
        /* One pass per line: the name runs to the colon, the value to its
         * first non-value byte, which on a good line is the line end; so the
         * line end is found without a separate search.  Every scan stops
         * before end: buf[end - 1] is an LF, neither token nor value. */
        if (s >= end) { /* cannot happen: the blank line ends the head */
            p->error_off = pos;
            return POOL_E_BAD_LINE_ENDING;
        }
        if (buf[s] == '\n')
            return (long)(s + 1); /* the blank line */
        if (buf[s] == '\r' && s + 1 < end && buf[s + 1] == '\n')
            return (long)(s + 2);

        q = s;
        while (q < end && (CLASS(buf[q]) & CC_TOKEN))
            q++;
        vs = q + 1;
        if (q == s || q >= end || buf[q] != ':')
            return field_line_error(p, buf, s, end);
        while (vs < end && IS_OWS(buf[vs]))
            vs++;
        v = scan_value(buf, vs, end);
        if (v < end && buf[v] == '\n') {
            le = ce = v;
        } else if (v + 1 < end && buf[v] == '\r' && buf[v + 1] == '\n') {
            ce = v;
            le = v + 1;
        } else {
            return field_line_error(p, buf, s, end);
        }
        ve = ce;
        while (ve > vs && IS_OWS(buf[ve - 1]))
            ve--;

        if (p->num_headers >= p->max_headers) {
            p->error_off = s;
            return POOL_E_TOO_MANY_HEADERS;
        }
        headers[p->num_headers].name_off = s;
        headers[p->num_headers].name_len = q - s;
        headers[p->num_headers].value_off = vs;
        headers[p->num_headers].value_len = ve - vs;
        p->num_headers++;

        /* Only three names matter to framing; the length check rejects
         * almost every other header before any byte comparison. */
        switch (q - s) {
        case 14:
            if (EQ_LIT(buf + s, 14, "content-length")) {
                uint64_t n;
                int rc = pool_parse_content_length(buf + vs, ve - vs, &n);
                if (rc < 0) {
                    p->error_off = vs;
                    return rc;
                }
                if (!(p->flags & POOL_HAS_CONTENT_LENGTH)) {
                    p->flags |= POOL_HAS_CONTENT_LENGTH;
                    p->content_length = n;
                } else if (n != p->content_length) {
                    p->error_off = vs;
                    return POOL_E_CONFLICTING_CONTENT_LENGTH;
                }
            }
            break;
        case 17:
            if (EQ_LIT(buf + s, 17, "transfer-encoding")) {
                r = note_transfer_encoding(p, &te, buf, vs, ve);
                if (r < 0)
                    return r;
            }
            break;
        case 10:
            if (EQ_LIT(buf + s, 10, "connection"))
                note_connection(p, buf, vs, ve);
            break;
        default:
            break;
        }
        pos = le + 1;
    }
}

long pool_parse_head(pool_head_parser *p, const char *buf, size_t len, pool_header *headers)
{
    /* The blank line's LF must sit below max_head_size, so the search never
     * looks further: a head that is not complete by then is too large,
     * whatever follows. */
    size_t max = p->max_head_size < (size_t)LONG_MAX ? p->max_head_size : (size_t)LONG_MAX;
    size_t lim = len < max ? len : max;
    size_t i = p->scanned;

    if (i == 0 && lim > 0) {
        /* Most heads arrive whole: parse at once, finding the blank line on
         * the way, and skip the search.  Any failure, an incomplete head
         * included, restores the parser and falls through to the search,
         * which then answers exactly as if this try had not been made.  Only
         * the first call tries, so a dripped head still costs O(n). */
        pool_head_parser saved = *p;
        long r = parse_complete_head(p, buf, lim, headers);
        if (r > 0) {
            p->scanned = (size_t)r - 1; /* on the final LF, as below */
            return r;
        }
        *p = saved;
    }

    while (i < lim) {
        const char *lf = (const char *)memchr(buf + i, '\n', lim - i);
        size_t k;
        if (!lf) {
            i = lim;
            break;
        }
        k = (size_t)(lf - buf);
        /* An LF ends the head when it follows an LF, optionally with one CR
         * between: CRLFCRLF, LFLF, CRLFLF or LFCRLF.  An empty first line
         * is not skipped: it is an empty status line, rejected once the
         * head is complete. */
        if (k >= 1 && (buf[k - 1] == '\n' || (k >= 2 && buf[k - 1] == '\r' && buf[k - 2] == '\n'))) {
            /* Stay on this LF, so a repeated call gives the same answer. */
            p->scanned = k;
            return parse_complete_head(p, buf, k + 1, headers);
        }
        i = k + 1;
    }
    if (i > p->scanned)
        p->scanned = i;
    /* (The result is a long, so a head can't be longer than LONG_MAX.) */
    if (len > max) {
        p->error_off = max;
        return POOL_E_HEAD_TOO_LARGE;
    }
    return POOL_NEED_MORE;
}

int pool_body_framing(const pool_head_parser *p, int request_was_head, int *will_close)
{
    unsigned f = p->flags;
    int framing, wc = 0;

    if ((f & POOL_HAS_CONTENT_LENGTH) && (f & POOL_HAS_TRANSFER_ENCODING)) {
        if (will_close)
            *will_close = 1;
        return POOL_E_CL_AND_TE;
    }
    if (request_was_head || (p->status >= 100 && p->status < 200) || p->status == 204
        || p->status == 304)
        framing = POOL_FRAMING_NONE;
    else if (f & POOL_HAS_TRANSFER_ENCODING)
        framing = (f & POOL_TE_CHUNKED_FINAL) ? POOL_FRAMING_CHUNKED : POOL_FRAMING_CLOSE;
    else if (f & POOL_HAS_CONTENT_LENGTH)
        framing = p->content_length == 0 ? POOL_FRAMING_NONE : POOL_FRAMING_LENGTH;
    else
        framing = POOL_FRAMING_CLOSE;

    if (f & POOL_CONN_CLOSE)
        wc = 1;
    if (p->minor_version == 0 && !(f & POOL_CONN_KEEP_ALIVE))
        wc = 1;
    if (framing == POOL_FRAMING_CLOSE || p->status == 101)
        wc = 1;
    /* RFC 9112 section 6.1: an HTTP/1.0 recipient of Transfer-Encoding
     * cannot trust the framing for the next message. */
    if ((f & POOL_HAS_TRANSFER_ENCODING) && p->minor_version == 0)
        wc = 1;
    if (will_close)
        *will_close = wc;
    return framing;
}

/* --------------------------------------------------------- chunked decoding */

enum {
    CS_SIZE_START = 0, /* first byte of a chunk-size line */
    CS_SIZE,           /* more hex digits */
    CS_SIZE_OWS,       /* OWS after the digits: ';' or the line end may follow */
    CS_EXT,            /* after ';': chunk extensions to the line end */
    CS_SIZE_LF,        /* CR seen at the end of the size line */
    CS_DATA,           /* c->remaining bytes of chunk data */
    CS_DATA_END,       /* CRLF or LF after chunk data */
    CS_DATA_LF,        /* CR seen after chunk data */
    CS_TR_START,       /* first byte of a trailer line (or of the final empty line) */
    CS_TR_NAME,        /* trailer field name */
    CS_TR_VALUE,       /* after the colon */
    CS_TR_VALUE_LF,    /* CR seen at the end of a trailer field line */
    CS_TR_END_LF,      /* CR seen at the start of the final empty line */
    CS_DONE,
    CS_ERROR           /* the error code is kept in saw_cr */
};

void pool_chunked_init(pool_chunked *c)
{
    memset(c, 0, sizeof(*c));
    c->max_line = POOL_DEFAULT_MAX_CHUNK_LINE;
    c->max_trailer_size = POOL_DEFAULT_MAX_TRAILER_SIZE;
    c->state = CS_SIZE_START;
}

void pool_chunked_consumed_data(pool_chunked *c, uint64_t n)
{
    if (c->state != CS_DATA)
        return;
    if (n > c->remaining)
        n = c->remaining;
    c->remaining -= n;
    if (c->remaining == 0)
        c->state = CS_DATA_END;
}

static int chunk_fail(pool_chunked *c, int code)
{
    c->state = CS_ERROR;
    c->saw_cr = code;
    return code;
}

int pool_chunked_feed(pool_chunked *c, const char *buf, size_t len, size_t *consumed,
                      size_t *data_off, size_t *data_len)
{
    size_t i = 0;

    *consumed = 0;
    *data_off = 0;
    *data_len = 0;
    if (c->state == CS_ERROR)
        return c->saw_cr;
    if (c->state == CS_DONE)
        return POOL_CHUNK_DONE;

    while (i < len) {
        unsigned char ch;
        if (c->state == CS_DATA) {
            size_t n;
            if (c->remaining == 0) {
                c->state = CS_DATA_END;
                continue;
            }
            n = len - i;
            if ((uint64_t)n > c->remaining)
                n = (size_t)c->remaining;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CS_DATA_END;
            *data_off = i;
            *data_len = n;
            *consumed = i + n;
            return POOL_CHUNK_DATA;
        }

        /* Fast path for the common framing between two chunks: the CRLF
         * after chunk data, then a size line of hex digits and CRLF, all in
         * buf.  It takes only what the byte-wise machine below would accept
         * with the same result (at most 15 digits, a non-zero size, the
         * whole line within max_line); anything else goes byte by byte. */
        if (c->state == CS_DATA_END && len - i >= 2 && buf[i] == '\r' && buf[i + 1] == '\n') {
            i += 2;
            c->state = CS_SIZE_START;
            continue;
        }
        if (c->state == CS_SIZE_START) {
            size_t j = i;
            uint64_t v = 0;
            while (j < len && j - i < 15 && (CLASS(buf[j]) & CC_HEX)) {
                unsigned char d = (unsigned char)buf[j];
                v = (v << 4) | (d <= '9' ? (unsigned)(d - '0') : (unsigned)((d | 0x20) - 'a' + 10));
                j++;
            }
            if (v != 0 && len - j >= 2 && buf[j] == '\r' && buf[j + 1] == '\n'
                && j + 2 - i <= c->max_line) {
                i = j + 2;
                c->line_len = 0;
                c->chunk_size = 0;
                c->remaining = v;
                c->state = CS_DATA;
                continue;
            }
        }

        ch = (unsigned char)buf[i++];
        /* Every byte of a size line, its CR and LF included, counts towards
         * max_line; every byte after the last-chunk line, the final empty
         * line included, towards max_trailer_size.  A byte first counts,
         * then is checked, so the limit error does not depend on what the
         * byte is. */
        if (c->state <= CS_SIZE_LF) {
            if (++c->line_len > c->max_line)
                return chunk_fail(c, POOL_E_CHUNK_LINE_TOO_LONG);
        } else if (c->state >= CS_TR_START && c->state <= CS_TR_END_LF) {
            if (++c->trailer_size > c->max_trailer_size)
                return chunk_fail(c, POOL_E_TRAILER_TOO_LARGE);
        }
        switch (c->state) {
        case CS_SIZE_START:
        case CS_SIZE:
        case CS_SIZE_OWS:
        case CS_EXT:
            if (CLASS(ch) & CC_HEX) {
                if (c->state == CS_SIZE_START || c->state == CS_SIZE) {
                    unsigned d = ch <= '9' ? (unsigned)(ch - '0') : (unsigned)((ch | 0x20) - 'a' + 10);
                    /* At most 15 significant hex digits: 16**15 - 1 is below
                     * POOL_MAX_BODY_LENGTH, so the sum can never overflow. */
                    if (c->chunk_size >> 56)
                        return chunk_fail(c, POOL_E_BAD_CHUNK_SIZE);
                    c->chunk_size = (c->chunk_size << 4) | d;
                    c->state = CS_SIZE;
                    break;
                }
                if (c->state == CS_EXT)
                    break;
                return chunk_fail(c, POOL_E_BAD_CHUNK_EXT); /* "5 5" */
            }
            if (c->state == CS_SIZE_START)
                return chunk_fail(c, POOL_E_BAD_CHUNK_SIZE); /* empty, sign, SP, "x" */
            if (c->state == CS_EXT) {
                if (ch == '\r')
                    c->state = CS_SIZE_LF;
                else if (ch == '\n')
                    goto size_line_done;
                else if (!(CLASS(ch) & CC_VALUE))
                    return chunk_fail(c, POOL_E_BAD_CHUNK_EXT);
                break;
            }
            /* CS_SIZE or CS_SIZE_OWS */
            if (IS_OWS(ch))
                c->state = CS_SIZE_OWS;
            else if (ch == ';')
                c->state = CS_EXT;
            else if (ch == '\r')
                c->state = CS_SIZE_LF;
            else if (ch == '\n')
                goto size_line_done;
            else
                return chunk_fail(c, POOL_E_BAD_CHUNK_EXT); /* "0x10", "5z" */
            break;
        case CS_SIZE_LF:
            if (ch != '\n')
                return chunk_fail(c, POOL_E_BAD_CHUNK_EXT); /* bare CR */
        size_line_done:
            c->line_len = 0;
            if (c->chunk_size == 0) {
                c->trailer_size = 0;
                c->state = CS_TR_START;
            } else {
                c->remaining = c->chunk_size;
                c->chunk_size = 0;
                c->state = CS_DATA;
            }
            break;
        case CS_DATA_END:
            if (ch == '\r')
                c->state = CS_DATA_LF;
            else if (ch == '\n')
                c->state = CS_SIZE_START;
            else
                return chunk_fail(c, POOL_E_BAD_CHUNK_END);
            break;
        case CS_DATA_LF:
            if (ch != '\n')
                return chunk_fail(c, POOL_E_BAD_CHUNK_END);
            c->state = CS_SIZE_START;
            break;
        case CS_TR_START:
        case CS_TR_NAME:
        case CS_TR_VALUE:
            if (c->state == CS_TR_VALUE) {
                if (CLASS(ch) & CC_VALUE)
                    break;
                if (ch == '\r')
                    c->state = CS_TR_VALUE_LF;
                else if (ch == '\n')
                    c->state = CS_TR_START;
                else
                    return chunk_fail(c, POOL_E_BAD_TRAILER);
                break;
            }
            if (CLASS(ch) & CC_TOKEN) {
                c->state = CS_TR_NAME;
                break;
            }
            if (c->state == CS_TR_NAME) {
                if (ch != ':')
                    return chunk_fail(c, POOL_E_BAD_TRAILER); /* no colon, SP in name */
                c->state = CS_TR_VALUE;
                break;
            }
            /* CS_TR_START */
            if (ch == '\r') {
                c->state = CS_TR_END_LF;
                break;
            }
            if (ch == '\n')
                goto body_done;
            return chunk_fail(c, POOL_E_BAD_TRAILER); /* obs-fold, empty name */
        case CS_TR_VALUE_LF:
            if (ch != '\n')
                return chunk_fail(c, POOL_E_BAD_TRAILER);
            c->state = CS_TR_START;
            break;
        case CS_TR_END_LF:
            if (ch != '\n')
                return chunk_fail(c, POOL_E_BAD_TRAILER);
        body_done:
            c->state = CS_DONE;
            c->done = 1;
            *consumed = i;
            return POOL_CHUNK_DONE;
        default:
            return chunk_fail(c, POOL_E_BAD_CHUNK_SIZE); /* corrupted state */
        }
    }
    *consumed = len;
    return POOL_NEED_MORE;
}

/* ------------------------------------------------------------ request head */

/* 1 when s[0:len] is non-empty and every byte has the class bit. */
static int all_in_class(const char *s, size_t len, unsigned bit)
{
    size_t i;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if (!(CLASS(s[i]) & bit))
            return 0;
    return 1;
}

int pool_check_method(const char *s, size_t len)
{
    return all_in_class(s, len, CC_TOKEN) ? 0 : POOL_E_BAD_METHOD;
}

int pool_check_target(const char *s, size_t len)
{
    /* Targets run to hundreds of bytes (query strings): a word at a time. */
    return (len != 0 && scan_vchar(s, 0, len) == len) ? 0 : POOL_E_BAD_TARGET;
}

int pool_check_field_name(const char *s, size_t len)
{
    return all_in_class(s, len, CC_TOKEN) ? 0 : POOL_E_BAD_FIELD_NAME;
}

int pool_check_field_value(const char *s, size_t len)
{
    /* The response parser's value scan: same table, eight bytes at a time. */
    return (len == 0 || scan_value(s, 0, len) == len) ? 0 : POOL_E_BAD_FIELD_VALUE;
}

void pool_writer_init(pool_writer *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->need = 0;
}

/* *acc += n, unless that would pass SIZE_MAX: then 0 and *acc unchanged. */
static int add_size(size_t *acc, size_t n)
{
    if (n > SIZE_MAX - *acc)
        return 0;
    *acc += n;
    return 1;
}

/* Whether n more bytes fit in w->buf[len:cap]: 0 if they do, else
 * POOL_NEED_ROOM with w->need set, or POOL_E_REQUEST_TOO_LARGE. */
static int room(pool_writer *w, size_t n)
{
    size_t need = w->len;
    if (w->len <= w->cap && n <= w->cap - w->len)
        return 0;
    if (!add_size(&need, n))
        return POOL_E_REQUEST_TOO_LARGE;
    w->need = need;
    return POOL_NEED_ROOM;
}

/* d[0:n] = s[0:n]; returns d + n.  Only called on room() shown to be there. */
static char *emit(char *d, const char *s, size_t n)
{
    if (n)
        memcpy(d, s, n);
    return d + n;
}

#define REQUEST_LINE_EXTRA 12 /* SP, SP "HTTP/1.1" CRLF */
#define FIELD_LINE_EXTRA 4    /* ":" SP, CRLF */

/* The length of a request line or field line, or 0 when it passes SIZE_MAX
 * (a real line is never shorter than its fixed bytes, so 0 is free). */
static size_t line_size(size_t a, size_t b, size_t extra)
{
    size_t n = extra;
    if (!add_size(&n, a) || !add_size(&n, b))
        return 0;
    return n;
}

static char *emit_request_line(char *d, const char *m, size_t ml, const char *t, size_t tl)
{
    d = emit(d, m, ml);
    *d++ = ' ';
    d = emit(d, t, tl);
    return emit(d, " HTTP/1.1\r\n", 11);
}

static char *emit_field(char *d, const char *n, size_t nl, const char *v, size_t vl)
{
    d = emit(d, n, nl);
    *d++ = ':';
    *d++ = ' ';
    d = emit(d, v, vl);
    *d++ = '\r';
    *d++ = '\n';
    return d;
}

int pool_put_request_line(pool_writer *w, const char *method, size_t method_len,
                          const char *target, size_t target_len)
{
    size_t n;
    int r = pool_check_method(method, method_len);
    if (r == 0)
        r = pool_check_target(target, target_len);
    if (r != 0)
        return r;
    n = line_size(method_len, target_len, REQUEST_LINE_EXTRA);
    if (n == 0)
        return POOL_E_REQUEST_TOO_LARGE;
    r = room(w, n);
    if (r != 0)
        return r;
    emit_request_line(w->buf + w->len, method, method_len, target, target_len);
    w->len += n;
    return 0;
}

int pool_put_field(pool_writer *w, const char *name, size_t name_len, const char *value,
                   size_t value_len)
{
    size_t n;
    int r = pool_check_field_name(name, name_len);
    if (r == 0)
        r = pool_check_field_value(value, value_len);
    if (r != 0)
        return r;
    n = line_size(name_len, value_len, FIELD_LINE_EXTRA);
    if (n == 0)
        return POOL_E_REQUEST_TOO_LARGE;
    r = room(w, n);
    if (r != 0)
        return r;
    emit_field(w->buf + w->len, name, name_len, value, value_len);
    w->len += n;
    return 0;
}

int pool_put_head_end(pool_writer *w)
{
    int r = room(w, 2);
    if (r != 0)
        return r;
    emit(w->buf + w->len, "\r\n", 2);
    w->len += 2;
    return 0;
}

int pool_serialize_request(pool_writer *w, const char *method, size_t method_len,
                           const char *target, size_t target_len,
                           const pool_field *fields, size_t nfields)
{
    size_t total, i, n;
    char *d;
    int r = pool_check_method(method, method_len);
    if (r == 0)
        r = pool_check_target(target, target_len);
    if (r != 0)
        return r;
    total = line_size(method_len, target_len, REQUEST_LINE_EXTRA);
    if (total == 0)
        return POOL_E_REQUEST_TOO_LARGE;
    for (i = 0; i < nfields; i++) {
        const pool_field *f = &fields[i];
        r = pool_check_field_name(f->name, f->name_len);
        if (r == 0)
            r = pool_check_field_value(f->value, f->value_len);
        if (r != 0)
            return r;
        n = line_size(f->name_len, f->value_len, FIELD_LINE_EXTRA);
        if (n == 0 || !add_size(&total, n))
            return POOL_E_REQUEST_TOO_LARGE;
    }
    if (!add_size(&total, 2))
        return POOL_E_REQUEST_TOO_LARGE;
    r = room(w, total);
    if (r != 0)
        return r;
    d = emit_request_line(w->buf + w->len, method, method_len, target, target_len);
    for (i = 0; i < nfields; i++)
        d = emit_field(d, fields[i].name, fields[i].name_len, fields[i].value, fields[i].value_len);
    emit(d, "\r\n", 2);
    w->len += total;
    return 0;
}

/* ------------------------------------------------------------------ errors */

const char *pool_strerror(int code)
{
    switch (code) {
    case POOL_NEED_MORE:
        return "need more data";
    case POOL_E_HEAD_TOO_LARGE:
        return "response head too large";
    case POOL_E_TOO_MANY_HEADERS:
        return "too many response header fields";
    case POOL_E_BAD_STATUS_LINE:
        return "invalid status line";
    case POOL_E_BAD_HEADER_NAME:
        return "invalid header field name";
    case POOL_E_NO_COLON:
        return "header field line without a colon";
    case POOL_E_BAD_HEADER_VALUE:
        return "control character in header field value";
    case POOL_E_OBS_FOLD:
        return "obsolete line folding in header field";
    case POOL_E_BAD_LINE_ENDING:
        return "bare CR in response head";
    case POOL_E_BAD_CONTENT_LENGTH:
        return "invalid Content-Length value";
    case POOL_E_CONFLICTING_CONTENT_LENGTH:
        return "conflicting Content-Length values";
    case POOL_E_CL_AND_TE:
        return "both Content-Length and Transfer-Encoding present";
    case POOL_E_BAD_TRANSFER_ENCODING:
        return "invalid Transfer-Encoding: chunked not last, repeated, or no coding";
    case POOL_E_BAD_CHUNK_SIZE:
        return "invalid chunk size";
    case POOL_E_BAD_CHUNK_EXT:
        return "invalid chunk size line after the size";
    case POOL_E_BAD_CHUNK_END:
        return "chunk data not followed by CRLF";
    case POOL_E_CHUNK_LINE_TOO_LONG:
        return "chunk size line too long";
    case POOL_E_BAD_TRAILER:
        return "invalid trailer field line";
    case POOL_E_TRAILER_TOO_LARGE:
        return "trailer section too large";
    case POOL_E_BAD_METHOD:
        return "invalid request method: empty, or a byte that is not a token character";
    case POOL_E_BAD_TARGET:
        return "invalid request target: empty, or SP, a control, DEL or non-ASCII byte";
    case POOL_E_BAD_FIELD_NAME:
        return "invalid request header field name: empty, or a byte that is not a token character";
    case POOL_E_BAD_FIELD_VALUE:
        return "control character other than HTAB in request header field value";
    case POOL_E_REQUEST_TOO_LARGE:
        return "request head larger than the address space";
    default:
        return code > 0 ? "no error" : "unknown error";
    }
}

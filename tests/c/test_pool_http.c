/*
 * test_pool_http.c -- table-driven tests of the C wire core (csrc/pool_http.c).
 *
 * Every head case runs whole, as growing prefixes one byte at a time (the way a
 * slow server delivers it), and at random split points; every chunked case
 * runs whole, in one-byte slices, and in random slices (half of them taking
 * chunk data "directly" through pool_chunked_consumed_data).  All runs of a
 * case must agree with each other and with the table.
 *
 * Under AddressSanitizer the bytes the parser has not been given yet are
 * poisoned, so a read past `len` aborts the run instead of passing by luck.
 *
 * The request-head checks (pool_check_*) are held against predicates written
 * here from the RFC grammar, for every byte value at every position of short
 * inputs (exact-size heap copies, so an over-read aborts); the writers
 * (pool_put_*, pool_serialize_request) for their bytes, their order of
 * refusals, and for never touching memory past cap (poisoned).
 *
 * Build: cc -std=c99 -Icsrc tests/c/test_pool_http.c csrc/pool_http.c
 * Output: one line per failure, then "N passed, N failed"; exit status 1 on
 * any failure.
 */
#include "pool_http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static int passed, failed;

static void check(int ok, const char *what, const char *name, const char *mode)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s [%s]: %s\n", name, mode, what);
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Knobs are stored +1 so that 0 in the table means "the default". */
#define KNOB(x) ((size_t)(x) + 1)
/* Expected framing is stored +1 (0 = not checked); errors are stored as is. */
#define F_NONE (POOL_FRAMING_NONE + 1)
#define F_LENGTH (POOL_FRAMING_LENGTH + 1)
#define F_CHUNKED (POOL_FRAMING_CHUNKED + 1)
#define F_CLOSE (POOL_FRAMING_CLOSE + 1)
#define W_KEEP 1
#define W_CLOSE 2
#define OK 0x7FFFFFFFL /* expected result: the head is the whole input */
#define IN(s) .in = (s), .inlen = sizeof(s) - 1

/* =================================================================== heads */

typedef struct {
    const char *name;
    const char *in;
    size_t inlen;
    long expect; /* OK, a byte count, 0 (need more) or an error code */
    size_t max_head_size, max_headers; /* KNOB() or 0 */
    int minor, status;
    const char *reason;   /* NULL: not checked */
    const char *hdrs;     /* "name=value\n" per header; NULL: not checked */
    long nh;              /* -1: not checked */
    unsigned flags;
    uint64_t cl;
    int fr_get, wc_get;   /* framing for a GET; will_close */
    int fr_head, wc_head; /* framing for a HEAD */
} head_case;

#define MAXH 128

typedef struct {
    long rc;
    size_t at; /* prefix length that produced rc */
    int minor, status;
    size_t reason_off, reason_len, nh;
    unsigned flags;
    uint64_t cl;
    size_t error_off;
    pool_header h[MAXH];
} head_out;

#define CL_HDR POOL_HAS_CONTENT_LENGTH
#define TE_HDR POOL_HAS_TRANSFER_ENCODING
#define TE_CH (POOL_HAS_TRANSFER_ENCODING | POOL_TE_CHUNKED_FINAL)

static const head_case head_cases[] = {
    /* ---- good heads: line endings, status line, reason */
    {"crlf basic", IN("HTTP/1.1 200 OK\r\n\r\n"), OK, 0, 0, 1, 200, "OK", "", 0, 0, 0,
     F_CLOSE, W_CLOSE, F_NONE, W_KEEP},
    {"lf only", IN("HTTP/1.1 200 OK\nServer: x\n\n"), OK, 0, 0, 1, 200, "OK", "Server=x\n", 1, 0,
     0, F_CLOSE, W_CLOSE, 0, 0},
    {"crlf then lf end", IN("HTTP/1.1 200 OK\r\nA: b\r\n\n"), OK, 0, 0, 1, 200, "OK", "A=b\n", 1,
     0, 0, 0, 0, 0, 0},
    {"lf then crlf end", IN("HTTP/1.1 200 OK\nA: b\n\r\n"), OK, 0, 0, 1, 200, "OK", "A=b\n", 1, 0,
     0, 0, 0, 0, 0},
    {"lfcrlf right after status", IN("HTTP/1.1 200 OK\n\r\n"), OK, 0, 0, 1, 200, "OK", "", 0, 0, 0,
     0, 0, 0, 0},
    {"mixed line endings", IN("HTTP/1.1 200 OK\nA: 1\r\nB: 2\nC: 3\r\n\r\n"), OK, 0, 0, 1, 200,
     "OK", "A=1\nB=2\nC=3\n", 3, 0, 0, 0, 0, 0, 0},
    {"no reason", IN("HTTP/1.1 204\r\n\r\n"), OK, 0, 0, 1, 204, "", "", 0, 0, 0, F_NONE, W_KEEP,
     F_NONE, W_KEEP},
    {"empty reason after SP", IN("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"), OK, 0, 0, 1, 200,
     "", "Content-Length=0\n", 1, CL_HDR, 0, F_NONE, W_KEEP, F_NONE, W_KEEP},
    {"reason with HTAB and obs-text", IN("HTTP/1.1 404 Not \tFound \xff\r\n\r\n"), OK, 0, 0, 1, 404,
     "Not \tFound \xff", "", 0, 0, 0, 0, 0, 0, 0},
    {"reason kept as sent", IN("HTTP/1.1 200   All  good \t\r\n\r\n"), OK, 0, 0, 1, 200, "  All  good \t",
     "", 0, 0, 0, 0, 0, 0, 0},
    {"status 100 min", IN("HTTP/1.1 100 Continue\r\n\r\n"), OK, 0, 0, 1, 100, "Continue", "", 0, 0,
     0, F_NONE, W_KEEP, F_NONE, W_KEEP},
    {"status 999 max", IN("HTTP/1.1 999 Odd\r\n\r\n"), OK, 0, 0, 1, 999, "Odd", "", 0, 0, 0,
     F_CLOSE, W_CLOSE, F_NONE, W_KEEP},
    {"head then body bytes", IN("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"), 38, 0, 0, 1,
     200, "OK", "Content-Length=3\n", 1, CL_HDR, 3, F_LENGTH, W_KEEP, F_NONE, W_KEEP},
    {"head then next head bytes", IN("HTTP/1.1 204 No Content\n\nHTTP/1.1 200 OK\n\n"), 25, 0, 0,
     1, 204, "No Content", "", 0, 0, 0, F_NONE, W_KEEP, 0, 0},

    /* ---- good field lines */
    {"value OWS trimmed", IN("HTTP/1.1 200 OK\r\nX-A:   padded \t \r\nX-B:\tx\r\n\r\n"), OK, 0, 0,
     1, 200, "OK", "X-A=padded\nX-B=x\n", 2, 0, 0, 0, 0, 0, 0},
    {"empty values", IN("HTTP/1.1 200 OK\r\nX-E:\r\nX-F:   \r\n\r\n"), OK, 0, 0, 1, 200, "OK",
     "X-E=\nX-F=\n", 2, 0, 0, 0, 0, 0, 0},
    {"inner spaces obs-text colon in value",
     IN("HTTP/1.1 200 OK\r\nX: a \t b\x80\xff: c=d\r\n\r\n"), OK, 0, 0, 1, 200, "OK",
     "X=a \t b\x80\xff: c=d\n", 1, 0, 0, 0, 0, 0, 0},
    {"every tchar in a name", IN("HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"), OK, 0, 0,
     1, 200, "OK", "!#$%&'*+-.^_`|~09azAZ=v\n", 1, 0, 0, 0, 0, 0, 0},
    {"names keep their case", IN("HTTP/1.1 200 OK\r\nX-MiXeD: Val\r\n\r\n"), OK, 0, 0, 1, 200, "OK",
     "X-MiXeD=Val\n", 1, 0, 0, 0, 0, 0, 0},
    {"lookalike names ignored",
     IN("HTTP/1.1 200 OK\r\nContent-Lengtx: zz\r\nTransfer-Encodinx: ,\r\nConnectiox: close\r\n"
        "Content-Length: 4\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 4, CL_HDR, 4, F_LENGTH, W_KEEP, 0, 0},

    /* ---- Content-Length */
    {"content-length any case", IN("HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 7\r\n\r\n"), OK, 0, 0, 1,
     200, "OK", NULL, 1, CL_HDR, 7, F_LENGTH, W_KEEP, F_NONE, W_KEEP},
    {"content-length list of equal values", IN("HTTP/1.1 200 OK\r\nContent-Length: 5 ,5,\t5\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", "Content-Length=5 ,5,\t5\n", 1, CL_HDR, 5, F_LENGTH, W_KEEP, 0, 0},
    {"content-length repeated fields equal numerically",
     IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 005\r\n\r\n"), OK, 0, 0, 1, 200,
     "OK", NULL, 2, CL_HDR, 5, F_LENGTH, W_KEEP, 0, 0},
    {"content-length OWS", IN("HTTP/1.1 200 OK\r\nContent-Length: \t42 \t\r\n\r\n"), OK, 0, 0, 1,
     200, "OK", "Content-Length=42\n", 1, CL_HDR, 42, F_LENGTH, W_KEEP, 0, 0},
    {"content-length 2**62-1", IN("HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387903\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 1, CL_HDR, 4611686018427387903ULL, F_LENGTH, W_KEEP, 0, 0},
    {"content-length many leading zeros",
     IN("HTTP/1.1 200 OK\r\nContent-Length: 000000000000000000000000012\r\n\r\n"), OK, 0, 0, 1,
     200, "OK", NULL, 1, CL_HDR, 12, F_LENGTH, W_KEEP, 0, 0},
    {"content-length 0 is no body", IN("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), OK, 0, 0, 1,
     200, "OK", NULL, 1, CL_HDR, 0, F_NONE, W_KEEP, F_NONE, W_KEEP},

    /* ---- Transfer-Encoding */
    {"chunked", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), OK, 0, 0, 1, 200, "OK",
     NULL, 1, TE_CH, 0, F_CHUNKED, W_KEEP, F_NONE, W_KEEP},
    {"te list, chunked last, any case", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip , CHUNKED\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 1, TE_CH, 0, F_CHUNKED, W_KEEP, 0, 0},
    {"te accumulated over fields",
     IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: Chunked\r\n\r\n"), OK, 0, 0,
     1, 200, "OK", NULL, 2, TE_CH, 0, F_CHUNKED, W_KEEP, 0, 0},
    {"te empty elements ignored", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: , gzip,,chunked , \r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 1, TE_CH, 0, F_CHUNKED, W_KEEP, 0, 0},
    {"te not chunked is read until close", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 1, TE_HDR, 0, F_CLOSE, W_CLOSE, F_NONE, W_KEEP},
    {"te chunked with parameter is another coding",
     IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n"), OK, 0, 0, 1, 200, "OK", NULL, 1,
     TE_HDR, 0, F_CLOSE, W_CLOSE, 0, 0},
    {"te on http/1.0 closes", IN("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"),
     OK, 0, 0, 0, 200, "OK", NULL, 2, TE_CH | POOL_CONN_KEEP_ALIVE, 0, F_CHUNKED, W_CLOSE, F_NONE,
     W_CLOSE},
    {"cl and te parse, framing refuses",
     IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), OK, 0, 0, 1,
     200, "OK", NULL, 2, CL_HDR | TE_CH, 5, POOL_E_CL_AND_TE, W_CLOSE, POOL_E_CL_AND_TE, W_CLOSE},
    {"cl and te refused even on 304",
     IN("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), OK,
     0, 0, 1, 304, "Not Modified", NULL, 2, CL_HDR | TE_CH, 0, POOL_E_CL_AND_TE, W_CLOSE,
     POOL_E_CL_AND_TE, W_CLOSE},

    /* ---- Connection, versions, no-body statuses */
    {"http/1.0 closes by default", IN("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"), 38, 0, 0,
     0, 200, "OK", NULL, 1, CL_HDR, 5, F_LENGTH, W_CLOSE, F_NONE, W_CLOSE},
    {"http/1.0 keep-alive", IN("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\n\r\n"),
     OK, 0, 0, 0, 200, "OK", NULL, 2, CL_HDR | POOL_CONN_KEEP_ALIVE, 5, F_LENGTH, W_KEEP, F_NONE,
     W_KEEP},
    {"http/1.0 content-length 0", IN("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), OK, 0, 0, 0,
     200, "OK", NULL, 1, CL_HDR, 0, F_NONE, W_CLOSE, 0, 0},
    {"connection close", IN("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n"), OK,
     0, 0, 1, 200, "OK", NULL, 2, CL_HDR | POOL_CONN_CLOSE, 1, F_LENGTH, W_CLOSE, F_NONE, W_CLOSE},
    {"connection list any case", IN("HTTP/1.1 200 OK\r\nConnection: foo , CLOSE\r\nContent-Length: 1\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 2, CL_HDR | POOL_CONN_CLOSE, 1, F_LENGTH, W_CLOSE, 0, 0},
    {"connection tokens are exact", IN("HTTP/1.1 200 OK\r\nConnection: close-ish, xclose\r\nContent-Length: 1\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 2, CL_HDR, 1, F_LENGTH, W_KEEP, 0, 0},
    {"connection keep-alive, upgrade", IN("HTTP/1.1 200 OK\r\nConnection: keep-alive,\tUpgrade\r\nConnection:\r\nContent-Length: 1\r\n\r\n"),
     OK, 0, 0, 1, 200, "OK", NULL, 3, CL_HDR | POOL_CONN_KEEP_ALIVE | POOL_CONN_UPGRADE, 1,
     F_LENGTH, W_KEEP, 0, 0},
    {"101 switching protocols", IN("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
     OK, 0, 0, 1, 101, "Switching Protocols", NULL, 2, POOL_CONN_UPGRADE, 0, F_NONE, W_CLOSE, F_NONE,
     W_CLOSE},
    {"103 early hints", IN("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"), OK, 0,
     0, 1, 103, "Early Hints", "Link=</a.css>; rel=preload\n", 1, 0, 0, F_NONE, W_KEEP, 0, 0},
    {"204 with chunked has no body", IN("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"),
     OK, 0, 0, 1, 204, NULL, NULL, 1, TE_CH, 0, F_NONE, W_KEEP, 0, 0},
    {"304 with content-length has no body", IN("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n"),
     OK, 0, 0, 1, 304, NULL, NULL, 1, CL_HDR, 100, F_NONE, W_KEEP, F_NONE, W_KEEP},
    {"response to HEAD", IN("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), OK, 0, 0, 1, 200, "OK",
     NULL, 1, CL_HDR, 100, F_LENGTH, W_KEEP, F_NONE, W_KEEP},

    /* ---- limits that are met exactly */
    {"max_headers exactly", IN("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"), OK, 0, KNOB(2), 1, 200,
     "OK", "A=1\nB=2\n", 2, 0, 0, 0, 0, 0, 0},
    {"max_headers 0 and no headers", IN("HTTP/1.1 200 OK\r\n\r\n"), OK, 0, KNOB(0), 1, 200, "OK", "",
     0, 0, 0, 0, 0, 0, 0},
    {"head exactly max_head_size", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), OK, KNOB(25), 0, 1, 200,
     "OK", "A=1\n", 1, 0, 0, 0, 0, 0, 0},
    {"head fits, body beyond max_head_size", IN("HTTP/1.1 200 OK\r\n\r\nbodybodybodybodybody"), 19,
     KNOB(19), 0, 1, 200, "OK", "", 0, 0, 0, 0, 0, 0, 0},

    /* ---- need more */
    {"empty input", IN(""), 0, 0, 0, 0, 0, NULL, NULL, -1, 0, 0, 0, 0, 0, 0},
    {"status line only", IN("HTTP/1.1 200 OK\r\n"), 0, 0, 0, 0, 0, NULL, NULL, -1, 0, 0, 0, 0, 0, 0},
    {"blank line half there", IN("HTTP/1.1 200 OK\r\nA: b\r\n\r"), 0, 0, 0, 0, 0, NULL, NULL, -1, 0,
     0, 0, 0, 0, 0},
    {"errors wait for the whole head", IN("HTTP/9.9 ??? \x01\r\nX"), 0, 0, 0, 0, 0, NULL, NULL, -1, 0,
     0, 0, 0, 0, 0},
    {"leading empty line waits for the blank line", IN("\r\nHTTP/1.1 200 OK\r\n"), 0, 0, 0, 0, 0, NULL,
     NULL, -1, 0, 0, 0, 0, 0, 0},
    {"incomplete head exactly max_head_size", IN("HTTP/1.1 200 OK\r\nA: 1\r\n"), 0, KNOB(23), 0, 0, 0,
     NULL, NULL, -1, 0, 0, 0, 0, 0, 0},

    /* ---- status line errors */
    {"http/2.0", IN("HTTP/2.0 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"http/1.2", IN("HTTP/1.2 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"two-digit status", IN("HTTP/1.1 20 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"four-digit status", IN("HTTP/1.1 2000 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"status below 100", IN("HTTP/1.1 099 Low\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"lowercase http", IN("http/1.1 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"leading whitespace", IN(" HTTP/1.1 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"two spaces before status", IN("HTTP/1.1  200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"tab before status", IN("HTTP/1.1\t200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"no space after status", IN("HTTP/1.1 200OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"status with letter", IN("HTTP/1.1 2x0 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"control byte in reason", IN("HTTP/1.1 200 O\x01K\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"NUL in reason", IN("HTTP/1.1 200 O\0K\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"bare CR in status line", IN("HTTP/1.1 200 OK\r\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"leading CRLF", IN("\r\nHTTP/1.1 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"leading LF", IN("\nHTTP/1.1 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"only blank lines", IN("\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"lf lf", IN("\n\nHTTP/1.1 200 OK\r\n\r\n"), POOL_E_BAD_STATUS_LINE},
    {"http/0.9 body", IN("<html>\n\n</html>"), POOL_E_BAD_STATUS_LINE},
    {"truncated version", IN("HTTP/1.\r\n\r\n"), POOL_E_BAD_STATUS_LINE},

    /* ---- header line errors */
    {"no colon", IN("HTTP/1.1 200 OK\r\nFoo\r\n\r\n"), POOL_E_NO_COLON},
    {"no colon with space", IN("HTTP/1.1 200 OK\r\nFoo bar\r\n\r\n"), POOL_E_NO_COLON},
    {"space before colon", IN("HTTP/1.1 200 OK\r\nFoo : bar\r\n\r\n"), POOL_E_BAD_HEADER_NAME},
    {"tab before colon", IN("HTTP/1.1 200 OK\r\nFoo\t: bar\r\n\r\n"), POOL_E_BAD_HEADER_NAME},
    {"empty name", IN("HTTP/1.1 200 OK\r\n: bar\r\n\r\n"), POOL_E_BAD_HEADER_NAME},
    {"non-token in name", IN("HTTP/1.1 200 OK\r\nFo@o: bar\r\n\r\n"), POOL_E_BAD_HEADER_NAME},
    {"obs-text in name", IN("HTTP/1.1 200 OK\r\nF\xe9: bar\r\n\r\n"), POOL_E_BAD_HEADER_NAME},
    {"obs-fold space", IN("HTTP/1.1 200 OK\r\nFoo: bar\r\n baz\r\n\r\n"), POOL_E_OBS_FOLD},
    {"obs-fold tab first line", IN("HTTP/1.1 200 OK\r\n\tFoo: bar\r\n\r\n"), POOL_E_OBS_FOLD},
    {"NUL in value", IN("HTTP/1.1 200 OK\r\nFoo: b\0ar\r\n\r\n"), POOL_E_BAD_HEADER_VALUE},
    {"ESC in value", IN("HTTP/1.1 200 OK\r\nFoo: b\x1b[0m\r\n\r\n"), POOL_E_BAD_HEADER_VALUE},
    {"DEL in value", IN("HTTP/1.1 200 OK\r\nFoo: b\x7f\r\n\r\n"), POOL_E_BAD_HEADER_VALUE},
    {"vertical tab in value", IN("HTTP/1.1 200 OK\r\nFoo: \x0b\r\n\r\n"), POOL_E_BAD_HEADER_VALUE},
    {"bare CR in value", IN("HTTP/1.1 200 OK\r\nFoo: bar\rbaz\r\n\r\n"), POOL_E_BAD_LINE_ENDING},
    {"bare CR wins over bad name", IN("HTTP/1.1 200 OK\r\nF o\r: x\r\n\r\n"), POOL_E_BAD_LINE_ENDING},
    {"obs-fold wins over bare CR", IN("HTTP/1.1 200 OK\r\n Foo\r: x\r\n\r\n"), POOL_E_OBS_FOLD},
    {"whitespace-only line", IN("HTTP/1.1 200 OK\r\n \r\n\r\n"), POOL_E_OBS_FOLD},
    {"CR CR LF line", IN("HTTP/1.1 200 OK\r\n\r\r\n\r\n"), POOL_E_BAD_LINE_ENDING},
    {"first bad line wins", IN("HTTP/1.1 200 OK\r\nNo colon\r\nA: \x01\r\n\r\n"), POOL_E_NO_COLON},

    /* ---- limits */
    {"too many headers", IN("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), POOL_E_TOO_MANY_HEADERS,
     0, KNOB(2)},
    {"too many wins over a later bad line", IN("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n:\r\n\r\n"),
     POOL_E_TOO_MANY_HEADERS, 0, KNOB(2)},
    {"max_headers 0", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), POOL_E_TOO_MANY_HEADERS, 0, KNOB(0)},
    {"head too large, incomplete", IN("HTTP/1.1 200 OK\r\nA: 12"), POOL_E_HEAD_TOO_LARGE, KNOB(21)},
    {"head too large, complete", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), POOL_E_HEAD_TOO_LARGE, KNOB(24)},
    {"head too large, no LF at all", IN("HTTP/1.1 200 OK this line never ends ...."), POOL_E_HEAD_TOO_LARGE,
     KNOB(16)},
    {"max_head_size 0", IN("H"), POOL_E_HEAD_TOO_LARGE, KNOB(0)},

    /* ---- Content-Length errors */
    {"cl negative", IN("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl plus sign", IN("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl inner space", IN("HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl underscore", IN("HTTP/1.1 200 OK\r\nContent-Length: 1_000\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl hex", IN("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl empty", IN("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl empty list element", IN("HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl leading comma", IN("HTTP/1.1 200 OK\r\nContent-Length: ,5\r\n\r\n"), POOL_E_BAD_CONTENT_LENGTH},
    {"cl 2**62", IN("HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387904\r\n\r\n"),
     POOL_E_BAD_CONTENT_LENGTH},
    {"cl 2**64 wraps", IN("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551621\r\n\r\n"),
     POOL_E_BAD_CONTENT_LENGTH},
    {"cl list differs", IN("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"),
     POOL_E_CONFLICTING_CONTENT_LENGTH},
    {"cl fields differ", IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
     POOL_E_CONFLICTING_CONTENT_LENGTH},
    {"cl second field malformed", IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: five\r\n\r\n"),
     POOL_E_BAD_CONTENT_LENGTH},
    {"cl conflict before malformed", IN("HTTP/1.1 200 OK\r\nContent-Length: 5, 6, x\r\n\r\n"),
     POOL_E_CONFLICTING_CONTENT_LENGTH},
    {"cl error on 304 too", IN("HTTP/1.1 304 Not Modified\r\nContent-Length: abc\r\n\r\n"),
     POOL_E_BAD_CONTENT_LENGTH},

    /* ---- Transfer-Encoding errors */
    {"te chunked not last", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
     POOL_E_BAD_TRANSFER_ENCODING},
    {"te chunked twice", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
     POOL_E_BAD_TRANSFER_ENCODING},
    {"te chunked twice over fields",
     IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: CHUNKED\r\n\r\n"),
     POOL_E_BAD_TRANSFER_ENCODING},
    {"te later field after chunked", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
     POOL_E_BAD_TRANSFER_ENCODING},
    {"te empty field", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding:   \r\n\r\n"), POOL_E_BAD_TRANSFER_ENCODING},
    {"te only commas", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: , ,\r\n\r\n"), POOL_E_BAD_TRANSFER_ENCODING},
    {"te empty field after chunked", IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n"),
     POOL_E_BAD_TRANSFER_ENCODING},
    {"te error on 204 too", IN("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked, x\r\n\r\n"),
     POOL_E_BAD_TRANSFER_ENCODING},
};

typedef struct {
    char *buf;    /* exactly inlen bytes (1 if empty); bytes not yet given are poisoned */
    size_t given; /* bytes copied in so far */
} drip_buf;

static void drip_open(drip_buf *d, size_t n)
{
    d->buf = (char *)malloc(n ? n : 1);
    /* Filler that would change the answer if the parser peeked at it. */
    memset(d->buf, '\n', n ? n : 1);
    POISON(d->buf, n ? n : 1);
    d->given = 0;
}

static void drip_grow(drip_buf *d, const char *src, size_t upto)
{
    if (upto > d->given) {
        UNPOISON(d->buf + d->given, upto - d->given);
        memcpy(d->buf + d->given, src + d->given, upto - d->given);
        d->given = upto;
    }
}

static void drip_close(drip_buf *d)
{
    UNPOISON(d->buf, d->given ? d->given : 1);
    free(d->buf);
}

static void head_setup(pool_head_parser *p, const head_case *tc)
{
    pool_head_init(p);
    if (tc->max_head_size)
        p->max_head_size = tc->max_head_size - 1;
    if (tc->max_headers)
        p->max_headers = tc->max_headers - 1;
}

static void head_collect(const pool_head_parser *p, const pool_header *h, long rc, size_t at, head_out *o)
{
    memset(o, 0, sizeof(*o));
    o->rc = rc;
    o->at = at;
    if (rc < 0)
        o->error_off = p->error_off;
    if (rc > 0) {
        o->minor = p->minor_version;
        o->status = p->status;
        o->reason_off = p->reason_off;
        o->reason_len = p->reason_len;
        o->nh = p->num_headers;
        o->flags = p->flags;
        o->cl = p->content_length;
        memcpy(o->h, h, sizeof(pool_header) * (p->num_headers < MAXH ? p->num_headers : MAXH));
    }
}

/* Feed the growing prefixes cuts[0] < cuts[1] < ... and then the whole input
 * to one parser, stopping at the first non-zero answer. */
static void head_run(const head_case *tc, const size_t *cuts, size_t ncuts, head_out *o,
                     const char *mode, int check_scanned)
{
    pool_head_parser p;
    pool_header h[MAXH];
    drip_buf d;
    size_t i;
    long rc = 0;

    head_setup(&p, tc);
    drip_open(&d, tc->inlen);
    for (i = 0; i <= ncuts; i++) {
        size_t k = i < ncuts ? cuts[i] : tc->inlen;
        drip_grow(&d, tc->in, k);
        rc = pool_parse_head(&p, d.buf, k, h);
        if (rc != 0) {
            head_collect(&p, h, rc, k, o);
            if (rc > 0 && (size_t)rc > k)
                check(0, "result beyond the bytes given", tc->name, mode);
            drip_close(&d);
            return;
        }
        /* Linear time: a "need more" answer must have searched every byte
         * it may search, so the next call starts where this one ended. */
        if (check_scanned) {
            size_t lim = k < p.max_head_size ? k : p.max_head_size;
            if (p.scanned != lim)
                check(0, "scanned does not cover the input", tc->name, mode);
        }
    }
    head_collect(&p, h, rc, tc->inlen, o);
    drip_close(&d);
}

static int head_same(const head_out *a, const head_out *b)
{
    size_t i;
    if (a->rc != b->rc)
        return 0;
    if (a->rc <= 0)
        return 1;
    if (a->minor != b->minor || a->status != b->status || a->reason_off != b->reason_off
        || a->reason_len != b->reason_len || a->nh != b->nh || a->flags != b->flags || a->cl != b->cl)
        return 0;
    for (i = 0; i < a->nh && i < MAXH; i++)
        if (memcmp(&a->h[i], &b->h[i], sizeof(pool_header)) != 0)
            return 0;
    return 1;
}

static void head_check_table(const head_case *tc, const head_out *o)
{
    const char *n = tc->name;
    long want = tc->expect == OK ? (long)tc->inlen : tc->expect;
    char msg[160];

    snprintf(msg, sizeof msg, "result %ld, expected %ld (%s)", o->rc, want, pool_strerror((int)o->rc));
    check(o->rc == want, msg, n, "whole");
    if (o->rc < 0)
        check(o->error_off <= tc->inlen, "error_off inside the input", n, "whole");
    if (o->rc <= 0 || o->rc != want)
        return;
    check(o->minor == tc->minor, "minor version", n, "whole");
    check(o->status == tc->status, "status", n, "whole");
    check(o->reason_off + o->reason_len <= (size_t)o->rc, "reason inside the head", n, "whole");
    if (tc->reason)
        check(o->reason_len == strlen(tc->reason)
                  && memcmp(tc->in + o->reason_off, tc->reason, o->reason_len) == 0,
              "reason", n, "whole");
    if (tc->nh >= 0)
        check(o->nh == (size_t)tc->nh, "number of headers", n, "whole");
    check(o->flags == tc->flags, "flags", n, "whole");
    if (o->flags & POOL_HAS_CONTENT_LENGTH)
        check(o->cl == tc->cl, "content_length", n, "whole");
    if (tc->hdrs) {
        char got[1024];
        size_t used = 0, i;
        for (i = 0; i < o->nh && i < MAXH; i++) {
            const pool_header *h = &o->h[i];
            if (used + h->name_len + h->value_len + 2 >= sizeof got)
                break;
            memcpy(got + used, tc->in + h->name_off, h->name_len);
            used += h->name_len;
            got[used++] = '=';
            memcpy(got + used, tc->in + h->value_off, h->value_len);
            used += h->value_len;
            got[used++] = '\n';
        }
        check(used == strlen(tc->hdrs) && memcmp(got, tc->hdrs, used) == 0, "headers", n, "whole");
    }
    {
        size_t i;
        int inside = 1;
        for (i = 0; i < o->nh && i < MAXH; i++)
            if (o->h[i].name_off + o->h[i].name_len > (size_t)o->rc
                || o->h[i].value_off + o->h[i].value_len > (size_t)o->rc)
                inside = 0;
        check(inside, "header slices inside the head", n, "whole");
    }
}

static void head_check_framing(const head_case *tc)
{
    pool_head_parser p;
    pool_header h[MAXH];
    long rc;
    int wc = -1, fr;

    if (!tc->fr_get && !tc->fr_head)
        return;
    head_setup(&p, tc);
    rc = pool_parse_head(&p, tc->in, tc->inlen, h);
    if (rc <= 0)
        return; /* already reported */
    if (tc->fr_get) {
        fr = pool_body_framing(&p, 0, &wc);
        check(fr == (tc->fr_get < 0 ? tc->fr_get : tc->fr_get - 1), "framing (GET)", tc->name, "framing");
        if (tc->wc_get)
            check(wc == (tc->wc_get == W_CLOSE), "will_close (GET)", tc->name, "framing");
    }
    if (tc->fr_head) {
        fr = pool_body_framing(&p, 1, &wc);
        check(fr == (tc->fr_head < 0 ? tc->fr_head : tc->fr_head - 1), "framing (HEAD)", tc->name,
              "framing");
        if (tc->wc_head)
            check(wc == (tc->wc_head == W_CLOSE), "will_close (HEAD)", tc->name, "framing");
    }
}

static void run_head_case(const head_case *tc)
{
    head_out whole, other;
    size_t cuts[4096];
    size_t i, t;

    head_run(tc, NULL, 0, &whole, "whole", 0);
    head_check_table(tc, &whole);
    head_check_framing(tc);

    /* one byte at a time: prefixes 0, 1, 2, ... */
    {
        pool_head_parser p;
        pool_header h[MAXH];
        drip_buf d;
        long rc = 0;
        size_t k;
        head_setup(&p, tc);
        drip_open(&d, tc->inlen);
        for (k = 0; k <= tc->inlen; k++) {
            drip_grow(&d, tc->in, k);
            rc = pool_parse_head(&p, d.buf, k, h);
            if (rc != 0)
                break;
            if (p.scanned != (k < p.max_head_size ? k : p.max_head_size)) {
                check(0, "scanned does not cover the input", tc->name, "bytewise");
                break;
            }
        }
        head_collect(&p, h, rc, k > tc->inlen ? tc->inlen : k, &other);
        drip_close(&d);
        check(head_same(&whole, &other), "differs from whole", tc->name, "bytewise");
        if (rc > 0)
            check(other.at == (size_t)rc, "head reported before or after its last byte", tc->name,
                  "bytewise");
    }

    /* 200 random splits, one to three cut points each */
    for (t = 0; t < 200; t++) {
        size_t n = 1 + (size_t)(rng() % 3);
        for (i = 0; i < n; i++)
            cuts[i] = (size_t)(rng() % (tc->inlen + 1));
        qsort(cuts, n, sizeof cuts[0], cmp_size);
        head_run(tc, cuts, n, &other, "split", 1);
        if (!head_same(&whole, &other)) {
            char msg[96];
            snprintf(msg, sizeof msg, "differs from whole (cut at %zu, rc %ld vs %ld)", cuts[0],
                     other.rc, whole.rc);
            check(0, msg, tc->name, "split");
            break;
        }
    }
    check(t == 200, "all random splits agree", tc->name, "split");
}

/* ================================================================= chunked */

typedef struct {
    const char *name;
    const char *in;
    size_t inlen;
    int expect;          /* POOL_CHUNK_DONE, POOL_NEED_MORE or an error */
    const char *out;     /* decoded body (up to the error, if any) */
    size_t outlen;
    long total;          /* DONE: bytes that belonged to the body; -1: all of in */
    size_t max_line, max_trailer; /* KNOB() or 0 */
} chunk_case;

#define OUT(s) .out = (s), .outlen = sizeof(s) - 1

static const chunk_case chunk_cases[] = {
    /* ---- good bodies */
    {"one chunk", IN("5\r\nhello\r\n0\r\n\r\n"), POOL_CHUNK_DONE, OUT("hello"), -1},
    {"lf only", IN("5\nhello\n0\n\n"), POOL_CHUNK_DONE, OUT("hello"), -1},
    {"mixed crlf and lf", IN("5\r\nhello\n6\nworld!\r\n0\n\r\n"), POOL_CHUNK_DONE, OUT("helloworld!"), -1},
    {"several chunks", IN("3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n"), POOL_CHUNK_DONE,
     OUT("abcdefgh"), -1},
    {"hex sizes any case", IN("A\r\n0123456789\r\na\r\nabcdefghij\r\nF\r\n0123456789ABCDE\r\n0\r\n\r\n"),
     POOL_CHUNK_DONE, OUT("0123456789abcdefghij0123456789ABCDE"), -1},
    {"leading zeros", IN("0005\r\nhello\r\n0000\r\n\r\n"), POOL_CHUNK_DONE, OUT("hello"), -1},
    {"many leading zeros", IN("00000000000000000000001\r\nx\r\n0\r\n\r\n"), POOL_CHUNK_DONE, OUT("x"), -1},
    {"extensions", IN("5;foo=bar\r\nhello\r\n0;last\r\n\r\n"), POOL_CHUNK_DONE, OUT("hello"), -1},
    {"extension with BWS and quotes", IN("5 ;a=\"b c\"\r\nhello\r\n5\t; x ;y=z\r\nworld\r\n0\r\n\r\n"),
     POOL_CHUNK_DONE, OUT("helloworld"), -1},
    {"extension with obs-text and tab", IN("5;\x80\xff\tq\r\nhello\r\n0\r\n\r\n"), POOL_CHUNK_DONE,
     OUT("hello"), -1},
    {"OWS before line end", IN("5  \r\nhello\r\n0\t\r\n\r\n"), POOL_CHUNK_DONE, OUT("hello"), -1},
    {"empty body", IN("0\r\n\r\n"), POOL_CHUNK_DONE, OUT(""), -1},
    {"crlf then lf at the end", IN("0\r\n\n"), POOL_CHUNK_DONE, OUT(""), -1},
    {"trailers", IN("5\r\nhello\r\n0\r\nX-Sum: abc\r\nY:\r\nZ: a \t\x80 b\r\n\r\n"), POOL_CHUNK_DONE,
     OUT("hello"), -1},
    {"trailers lf only", IN("1\nx\n0\nX-T: v\nY: w\n\n"), POOL_CHUNK_DONE, OUT("x"), -1},
    {"bytes after the body are not consumed", IN("3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
     POOL_CHUNK_DONE, OUT("abc"), 13},
    {"data holding CRLFs and NULs", IN("6\r\n\r\n\0\r\n\n\r\n0\r\n\r\n"), POOL_CHUNK_DONE,
     OUT("\r\n\0\r\n\n"), -1},
    {"size line exactly max_line, CRLF counted", IN("5;aaaaaa\r\nhello\r\n0\r\n\r\n"), POOL_CHUNK_DONE,
     OUT("hello"), -1, KNOB(10)},
    {"trailers exactly max_trailer_size", IN("0\r\nX: abc\r\nY: d\r\n\r\n"), POOL_CHUNK_DONE, OUT(""),
     -1, 0, KNOB(16)},
    {"empty line exactly max_trailer_size", IN("0\r\n\r\n"), POOL_CHUNK_DONE, OUT(""), -1, 0, KNOB(2)},

    /* ---- need more */
    {"nothing yet", IN(""), POOL_NEED_MORE, OUT(""), 0},
    {"inside a size line", IN("1f"), POOL_NEED_MORE, OUT(""), 0},
    {"inside data", IN("5\r\nhel"), POOL_NEED_MORE, OUT("hel"), 0},
    {"before data CRLF", IN("5\r\nhello\r"), POOL_NEED_MORE, OUT("hello"), 0},
    {"inside trailers", IN("0\r\nX: y\r\n"), POOL_NEED_MORE, OUT(""), 0},
    {"last chunk without the empty line", IN("2\r\nab\r\n0\r\n"), POOL_NEED_MORE, OUT("ab"), 0},
    {"15 hex digits", IN("fffffffffffffff\r\nabc"), POOL_NEED_MORE, OUT("abc"), 0},

    /* ---- chunk size errors */
    {"not hex", IN("x\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"empty size", IN("\r\nhello"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"empty size lf", IN("\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"leading space", IN(" 5\r\nhello\r\n0\r\n\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"minus sign", IN("-5\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"plus sign", IN("+5\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"only an extension", IN(";x\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"16 significant hex digits", IN("1000000000000000\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"2**64 would wrap", IN("10000000000000005\r\nhello"), POOL_E_BAD_CHUNK_SIZE, OUT(""), 0},
    {"bad size after good chunk", IN("3\r\nabc\r\nzz\r\n"), POOL_E_BAD_CHUNK_SIZE, OUT("abc"), 0},

    /* ---- junk after the size, extensions */
    {"0x prefix", IN("0x5\r\nhello"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"letter after size", IN("5z\r\nhello"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"space inside size", IN("5 5\r\n"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"CTL in extension", IN("5;a\x01" "b\r\nhello"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"DEL in extension", IN("5;\x7f\r\n"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"NUL after size", IN("5\0\r\n"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"bare CR after size", IN("5\rhello"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},
    {"bare CR in extension", IN("5;a\rb\r\n"), POOL_E_BAD_CHUNK_EXT, OUT(""), 0},

    /* ---- end of chunk data */
    {"data too long", IN("5\r\nhelloX\r\n0\r\n\r\n"), POOL_E_BAD_CHUNK_END, OUT("hello"), 0},
    {"CR then junk after data", IN("5\r\nhello\rX"), POOL_E_BAD_CHUNK_END, OUT("hello"), 0},
    {"CR CR after data", IN("5\r\nhello\r\r\n"), POOL_E_BAD_CHUNK_END, OUT("hello"), 0},

    /* ---- limits */
    {"size line too long", IN("5;aaaaaaa\r\nhello"), POOL_E_CHUNK_LINE_TOO_LONG, OUT(""), 0, KNOB(10)},
    {"the LF is one byte too many", IN("5;aaaaaa\r\nhello"), POOL_E_CHUNK_LINE_TOO_LONG, OUT(""), 0, KNOB(9)},
    {"limit counted before the byte is checked", IN("5;aaaaa\x01"), POOL_E_CHUNK_LINE_TOO_LONG, OUT(""), 0,
     KNOB(7)},
    {"endless zeros", IN("000000000000000000000000000000000000000"), POOL_E_CHUNK_LINE_TOO_LONG,
     OUT(""), 0, KNOB(32)},
    {"max_line 0", IN("5\r\nhello"), POOL_E_CHUNK_LINE_TOO_LONG, OUT(""), 0, KNOB(0)},
    {"later size line too long", IN("1\r\na\r\n1;xxxxxxxxxxxxxxxxxxxxxxxxx\r\nb\r\n"),
     POOL_E_CHUNK_LINE_TOO_LONG, OUT("a"), 0, KNOB(16)},
    {"trailers too large", IN("0\r\nX: abc\r\nY: de\r\n\r\n"), POOL_E_TRAILER_TOO_LARGE, OUT(""), 0, 0,
     KNOB(16)},
    {"the final empty line counts", IN("0\r\n\r\n"), POOL_E_TRAILER_TOO_LARGE, OUT(""), 0, 0, KNOB(1)},
    {"max_trailer_size 0", IN("0\r\n\n"), POOL_E_TRAILER_TOO_LARGE, OUT(""), 0, 0, KNOB(0)},
    {"trailer with max_trailer_size 0", IN("0\r\nX: y\r\n\r\n"), POOL_E_TRAILER_TOO_LARGE, OUT(""), 0,
     0, KNOB(0)},

    /* ---- trailer errors */
    {"trailer without colon", IN("0\r\nX-No-Colon\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"trailer space in name", IN("0\r\nBad Name: x\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"trailer empty name", IN("0\r\n: x\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"trailer obs-fold", IN("0\r\nX: a\r\n  b\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"trailer CTL in value", IN("0\r\nX: a\x01\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"trailer bare CR in value", IN("0\r\nX: a\rb\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"bare CR instead of the empty line", IN("0\r\n\rX"), POOL_E_BAD_TRAILER, OUT(""), 0},
    {"trailer CR CR LF", IN("0\r\nX: a\r\r\n\r\n"), POOL_E_BAD_TRAILER, OUT(""), 0},
};

typedef struct {
    int rc;
    char data[512];
    size_t dlen;
    size_t total; /* DONE: bytes of input that belonged to the body */
} chunk_out;

/* Feed in[0:cuts[0]], in[cuts[0]:cuts[1]], ... in[cuts[n-1]:inlen] as separate
 * exact-size heap buffers.  With `direct`, chunk data the decoder announced
 * through c.remaining is taken without calling pool_chunked_feed. */
static void chunk_run(const chunk_case *tc, const size_t *cuts, size_t ncuts, int direct,
                      chunk_out *o, const char *mode)
{
    pool_chunked c;
    size_t s, start = 0;

    pool_chunked_init(&c);
    if (tc->max_line)
        c.max_line = tc->max_line - 1;
    if (tc->max_trailer)
        c.max_trailer_size = tc->max_trailer - 1;
    memset(o, 0, sizeof(*o));

    for (s = 0; s <= ncuts; s++) {
        size_t end = s < ncuts ? cuts[s] : tc->inlen;
        size_t n = end - start, off = 0;
        char *b = (char *)malloc(n ? n : 1);
        if (n)
            memcpy(b, tc->in + start, n);
        for (;;) {
            size_t cons = 99999, doff = 99999, dlen = 99999;
            int rc;
            if (direct && c.remaining > 0 && off < n) {
                size_t take = n - off;
                if ((uint64_t)take > c.remaining)
                    take = (size_t)c.remaining;
                if (o->dlen + take <= sizeof o->data)
                    memcpy(o->data + o->dlen, b + off, take);
                o->dlen += take;
                pool_chunked_consumed_data(&c, take);
                off += take;
                continue;
            }
            rc = pool_chunked_feed(&c, b + off, n - off, &cons, &doff, &dlen);
            if (cons > n - off) {
                check(0, "consumed beyond the input", tc->name, mode);
                rc = -999;
            }
            if (rc == POOL_CHUNK_DATA) {
                if (dlen == 0 || doff + dlen != cons) {
                    check(0, "bad data slice", tc->name, mode);
                    o->rc = -999;
                    free(b);
                    return;
                }
                if (o->dlen + dlen <= sizeof o->data)
                    memcpy(o->data + o->dlen, b + off + doff, dlen);
                o->dlen += dlen;
                off += cons;
                continue;
            }
            if (rc == POOL_NEED_MORE) {
                if (cons != n - off || dlen != 0)
                    check(0, "need more without consuming everything", tc->name, mode);
                break;
            }
            o->rc = rc;
            if (rc == POOL_CHUNK_DONE) {
                o->total = start + off + cons;
                check(c.done == 1, "done flag", tc->name, mode);
                /* a finished decoder stays finished and takes nothing more */
                rc = pool_chunked_feed(&c, b, n, &cons, &doff, &dlen);
                check(rc == POOL_CHUNK_DONE && cons == 0, "feed after done", tc->name, mode);
            } else {
                /* an error sticks */
                int again = pool_chunked_feed(&c, b, n, &cons, &doff, &dlen);
                check(again == rc, "error is sticky", tc->name, mode);
            }
            free(b);
            return;
        }
        free(b);
        start = end;
    }
    o->rc = POOL_NEED_MORE;
    o->total = 0;
}

static int chunk_same(const chunk_out *a, const chunk_out *b)
{
    return a->rc == b->rc && a->dlen == b->dlen && a->total == b->total
           && memcmp(a->data, b->data, a->dlen < sizeof a->data ? a->dlen : sizeof a->data) == 0;
}

static void run_chunk_case(const chunk_case *tc)
{
    chunk_out whole, other;
    size_t cuts[4096];
    size_t i, t;
    char msg[128];

    chunk_run(tc, NULL, 0, 0, &whole, "whole");
    snprintf(msg, sizeof msg, "result %d, expected %d (%s)", whole.rc, tc->expect, pool_strerror(whole.rc));
    check(whole.rc == tc->expect, msg, tc->name, "whole");
    check(whole.dlen == tc->outlen && memcmp(whole.data, tc->out, tc->outlen) == 0, "decoded data",
          tc->name, "whole");
    if (tc->expect == POOL_CHUNK_DONE)
        check(whole.total == (tc->total < 0 ? tc->inlen : (size_t)tc->total), "consumed at done",
              tc->name, "whole");

    /* one-byte slices, with and without direct data */
    for (i = 0; i + 1 < tc->inlen && i < 4096; i++)
        cuts[i] = i + 1;
    chunk_run(tc, cuts, i, 0, &other, "bytewise");
    check(chunk_same(&whole, &other), "differs from whole", tc->name, "bytewise");
    chunk_run(tc, cuts, i, 1, &other, "bytewise-direct");
    check(chunk_same(&whole, &other), "differs from whole", tc->name, "bytewise-direct");

    for (t = 0; t < 200; t++) {
        size_t n = 1 + (size_t)(rng() % 8);
        for (i = 0; i < n; i++)
            cuts[i] = (size_t)(rng() % (tc->inlen + 1));
        qsort(cuts, n, sizeof cuts[0], cmp_size);
        chunk_run(tc, cuts, n, (int)(t & 1), &other, "split");
        if (!chunk_same(&whole, &other)) {
            snprintf(msg, sizeof msg, "differs from whole (first cut %zu, rc %d vs %d)", cuts[0],
                     other.rc, whole.rc);
            check(0, msg, tc->name, "split");
            break;
        }
    }
    check(t == 200, "all random splits agree", tc->name, "split");
}

/* ============================================================ other checks */

static void test_parse_content_length(void)
{
    static const struct {
        const char *s;
        int rc;
        uint64_t v;
    } t[] = {
        {"0", 1, 0},
        {"123", 1, 123},
        {" 7 ", 1, 7},
        {"7,7, 07", 1, 7},
        {"4611686018427387903", 1, 4611686018427387903ULL},
        {"4611686018427387904", POOL_E_BAD_CONTENT_LENGTH, 0},
        {"", POOL_E_BAD_CONTENT_LENGTH, 0},
        {" ", POOL_E_BAD_CONTENT_LENGTH, 0},
        {"1,", POOL_E_BAD_CONTENT_LENGTH, 0},
        {"1,,1", POOL_E_BAD_CONTENT_LENGTH, 0},
        {"1e3", POOL_E_BAD_CONTENT_LENGTH, 0},
        {"1, 2", POOL_E_CONFLICTING_CONTENT_LENGTH, 0},
        {"2,1,x", POOL_E_CONFLICTING_CONTENT_LENGTH, 0},
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint64_t v = 12345;
        int rc = pool_parse_content_length(t[i].s, strlen(t[i].s), &v);
        check(rc == t[i].rc && (rc != 1 || v == t[i].v), t[i].s, "pool_parse_content_length", "direct");
    }
    /* not NUL-terminated: the parser must stop at len */
    {
        char *b = (char *)malloc(2);
        uint64_t v = 0;
        memcpy(b, "42", 2);
        check(pool_parse_content_length(b, 2, &v) == 1 && v == 42, "exact buffer",
              "pool_parse_content_length", "direct");
        free(b);
    }
}

/* The tables must exercise every error code at least once. */
static void test_every_code_in_tables(const int *codes, size_t ncodes)
{
    size_t i, j;
    for (i = 0; i < ncodes; i++) {
        int seen = 0;
        if (codes[i] == POOL_NEED_MORE)
            continue;
        for (j = 0; j < sizeof head_cases / sizeof head_cases[0]; j++)
            if (head_cases[j].expect == codes[i] || head_cases[j].fr_get == codes[i])
                seen = 1;
        for (j = 0; j < sizeof chunk_cases / sizeof chunk_cases[0]; j++)
            if (chunk_cases[j].expect == codes[i])
                seen = 1;
        check(seen, pool_strerror(codes[i]), "every error code has a case", "table");
    }
}

static void test_strerror(void)
{
    /* Response-side codes first: each of them has a case in the tables
     * above; the request-side ones (from REQUEST_CODES on) are covered by
     * test_request_checks and test_writers. */
    enum { REQUEST_CODES = 19 };
    static const int codes[] = {
        POOL_NEED_MORE, POOL_E_HEAD_TOO_LARGE, POOL_E_TOO_MANY_HEADERS, POOL_E_BAD_STATUS_LINE,
        POOL_E_BAD_HEADER_NAME, POOL_E_NO_COLON, POOL_E_BAD_HEADER_VALUE, POOL_E_OBS_FOLD,
        POOL_E_BAD_LINE_ENDING, POOL_E_BAD_CONTENT_LENGTH, POOL_E_CONFLICTING_CONTENT_LENGTH,
        POOL_E_CL_AND_TE, POOL_E_BAD_TRANSFER_ENCODING, POOL_E_BAD_CHUNK_SIZE, POOL_E_BAD_CHUNK_EXT,
        POOL_E_BAD_CHUNK_END, POOL_E_CHUNK_LINE_TOO_LONG, POOL_E_BAD_TRAILER,
        POOL_E_TRAILER_TOO_LARGE,
        POOL_E_BAD_METHOD, POOL_E_BAD_TARGET, POOL_E_BAD_FIELD_NAME, POOL_E_BAD_FIELD_VALUE,
        POOL_E_REQUEST_TOO_LARGE};
    size_t i, j;
    int distinct = 1;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
        for (j = 0; j < i; j++)
            if (strcmp(pool_strerror(codes[i]), pool_strerror(codes[j])) == 0)
                distinct = 0;
    check(distinct, "every code has its own message", "strerror", "direct");
    check(strcmp(pool_strerror(-12345), "unknown error") == 0, "unknown code", "strerror", "direct");
    check(strcmp(pool_strerror(POOL_NEED_ROOM), "no error") == 0, "POOL_NEED_ROOM is no error",
          "strerror", "direct");
    check(codes[REQUEST_CODES] == POOL_E_BAD_METHOD, "request codes follow the response codes",
          "strerror", "direct");
    test_every_code_in_tables(codes, REQUEST_CODES);
}

/* A head as large as the default limit, dripped one byte at a time, must cost
 * O(n): p->scanned moves forward with every call (checked per call), and the
 * whole drip takes a small fraction of a second. */
static void test_slow_drip_large_head(void)
{
    static char head[POOL_DEFAULT_MAX_HEAD_SIZE];
    pool_head_parser p;
    pool_header h[POOL_DEFAULT_MAX_HEADERS];
    size_t n = 0, i, k;
    long rc = 0;
    int scanned_ok = 1;
    clock_t t0;

    n += (size_t)sprintf(head, "HTTP/1.1 200 OK\r\n");
    for (i = 0; i < 99; i++) {
        n += (size_t)sprintf(head + n, "X-Filler-%02u: ", (unsigned)i);
        memset(head + n, 'v', 600);
        n += 600;
        head[n++] = '\r';
        head[n++] = '\n';
    }
    head[n++] = '\r';
    head[n++] = '\n';

    pool_head_init(&p);
    t0 = clock();
    for (k = 0; k <= n; k++) {
        rc = pool_parse_head(&p, head, k, h);
        if (rc != 0)
            break;
        if (p.scanned != k)
            scanned_ok = 0;
    }
    check(rc == (long)n && p.num_headers == 99, "large dripped head parses", "drip 60 KiB", "bytewise");
    check(scanned_ok, "scanned follows the input", "drip 60 KiB", "bytewise");
    check((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "dripping 60 KiB takes under 2 s",
          "drip 60 KiB", "bytewise");

    /* A complete 100-header head passes at the default limit; one more field fails. */
    pool_head_init(&p);
    n = (size_t)sprintf(head, "HTTP/1.1 200 OK\r\n");
    for (i = 0; i < 100; i++)
        n += (size_t)sprintf(head + n, "H%u: v\r\n", (unsigned)i);
    n += (size_t)sprintf(head + n, "\r\n");
    check(pool_parse_head(&p, head, n, h) == (long)n && p.num_headers == 100, "100 headers pass",
          "default max_headers", "whole");
    pool_head_init(&p);
    n = (size_t)sprintf(head, "HTTP/1.1 200 OK\r\n");
    for (i = 0; i < 101; i++)
        n += (size_t)sprintf(head + n, "H%u: v\r\n", (unsigned)i);
    n += (size_t)sprintf(head + n, "\r\n");
    check(pool_parse_head(&p, head, n, h) == POOL_E_TOO_MANY_HEADERS, "101 headers fail",
          "default max_headers", "whole");
}

/* Head-size limit: with more than max_head_size bytes buffered, the parser
 * answers without looking past the limit (the tail is poisoned). */
static void test_head_limit_bounded(void)
{
    pool_head_parser p;
    pool_header h[4];
    char *b = (char *)malloc(200);
    long rc;
    memset(b, 'a', 200);
    memcpy(b, "HTTP/1.1 200 OK\r\nX: ", 20);
    POISON(b + 64, 136);
    pool_head_init(&p);
    p.max_head_size = 64;
    p.max_headers = 4;
    rc = pool_parse_head(&p, b, 200, h);
    check(rc == POOL_E_HEAD_TOO_LARGE, "too large without reading past the limit", "head limit", "whole");
    UNPOISON(b + 64, 136);
    free(b);
}

/* Taking data directly: the decoder tracks c.remaining exactly. */
static void test_chunked_direct(void)
{
    pool_chunked c;
    size_t cons, doff, dlen;
    int rc;
    static const char in[] = "a\r\n0123";
    pool_chunked_init(&c);
    rc = pool_chunked_feed(&c, in, sizeof in - 1, &cons, &doff, &dlen);
    check(rc == POOL_CHUNK_DATA && doff == 3 && dlen == 4 && cons == 7 && c.remaining == 6,
          "first slice", "direct data", "direct");
    pool_chunked_consumed_data(&c, 100); /* more than remaining: clamped */
    check(c.remaining == 0, "clamped", "direct data", "direct");
    rc = pool_chunked_feed(&c, "\r\n0\r\n\r\n", 7, &cons, &doff, &dlen);
    check(rc == POOL_CHUNK_DONE && cons == 7, "ends after direct data", "direct data", "direct");
}

/* ============================================================ request head */

/* The grammar, written out independently of pool_http.c's table. */
static int is_tchar(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c != 0 && strchr("!#$%&'*+-.^_`|~", (int)c) != NULL);
}

static int is_vchar(unsigned c)
{
    return c >= 0x21 && c <= 0x7E;
}

static int is_value_byte(unsigned c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

typedef int (*check_fn)(const char *, size_t);

typedef struct {
    const char *name;
    check_fn fn;
    int (*byte_ok)(unsigned);
    int empty_ok;
    int code;
} request_check;

static const request_check request_checks[] = {
    {"pool_check_method", pool_check_method, is_tchar, 0, POOL_E_BAD_METHOD},
    {"pool_check_target", pool_check_target, is_vchar, 0, POOL_E_BAD_TARGET},
    {"pool_check_field_name", pool_check_field_name, is_tchar, 0, POOL_E_BAD_FIELD_NAME},
    {"pool_check_field_value", pool_check_field_value, is_value_byte, 1, POOL_E_BAD_FIELD_VALUE},
};

/* The expected answer for s[0:n]. */
static int request_expect(const request_check *rc, const unsigned char *s, size_t n)
{
    size_t i;
    if (n == 0)
        return rc->empty_ok ? 0 : rc->code;
    for (i = 0; i < n; i++)
        if (!rc->byte_ok(s[i]))
            return rc->code;
    return 0;
}

/* Run the check on an exact-size heap copy, so ASan sees any over-read. */
static int request_run(const request_check *rc, const unsigned char *s, size_t n)
{
    char *b = (char *)malloc(n ? n : 1);
    int r;
    if (n)
        memcpy(b, s, n);
    r = rc->fn(n ? b : NULL, n);
    free(b);
    return r;
}

/* Every byte 0..255 at every position of inputs of 1..20 bytes whose other
 * bytes are good (covering the word-at-a-time scans: first, middle and last
 * byte of a word, and the tail after the last whole word); two bad bytes in
 * one word; the empty input; random inputs over a biased alphabet. */
static void test_request_checks(void)
{
    size_t k;
    for (k = 0; k < sizeof request_checks / sizeof request_checks[0]; k++) {
        const request_check *rc = &request_checks[k];
        unsigned char s[40];
        unsigned b, b2;
        size_t n, pos, i;
        long bad = 0, accepted = 0, refused = 0;
        char what[160] = "";

        if (rc->fn(NULL, 0) != (rc->empty_ok ? 0 : rc->code) || rc->fn("", 0) != rc->fn(NULL, 0))
            check(0, "empty input", rc->name, "direct");
        else
            check(1, "empty input", rc->name, "direct");

        for (b = 0; b < 256; b++) {
            for (n = 1; n <= 20; n++) {
                for (pos = 0; pos < n; pos++) {
                    int want, got;
                    memset(s, 'a', n);
                    s[pos] = (unsigned char)b;
                    want = request_expect(rc, s, n);
                    got = request_run(rc, s, n);
                    if (got != want) {
                        if (!bad)
                            snprintf(what, sizeof what, "byte 0x%02x at %zu of %zu: got %d, want %d",
                                     b, pos, n, got, want);
                        bad++;
                    }
                    if (want == 0)
                        accepted++;
                    else
                        refused++;
                }
            }
        }
        check(bad == 0, bad ? what : "every byte at every position", rc->name, "bytes");
        check(accepted > 0 && refused > 0, "some accepted, some refused", rc->name, "bytes");

        /* Two bytes in one 8-byte word: borrows between bytes in the word
         * tests must not hide a bad byte or invent one. */
        bad = 0;
        for (b = 0; b < 256; b++) {
            for (b2 = 0; b2 < 256; b2 += 1) {
                int want, got;
                memset(s, 'a', 16);
                s[3] = (unsigned char)b;
                s[4] = (unsigned char)b2;
                want = request_expect(rc, s, 16);
                got = request_run(rc, s, 16);
                if (got != want) {
                    if (!bad)
                        snprintf(what, sizeof what, "bytes 0x%02x 0x%02x: got %d, want %d", b, b2,
                                 got, want);
                    bad++;
                }
            }
        }
        check(bad == 0, bad ? what : "every pair of adjacent bytes", rc->name, "pairs");

        /* Random inputs: mostly good bytes, a few of anything. */
        bad = 0;
        for (i = 0; i < 20000; i++) {
            int want, got;
            size_t j;
            n = (size_t)(rng() % 40);
            for (j = 0; j < n; j++) {
                uint64_t x = rng();
                s[j] = (x & 31) == 0 ? (unsigned char)(x >> 8) : (unsigned char)("aZ09-~!\t ."[(x >> 8) % 10]);
            }
            want = request_expect(rc, s, n);
            got = request_run(rc, s, n);
            if (got != want)
                bad++;
        }
        check(bad == 0, "random inputs", rc->name, "random");
    }

    /* Boundaries named in the grammar. */
    check(pool_check_method("GET", 3) == 0 && pool_check_method("M-SEARCH", 8) == 0
              && pool_check_method("x!#$%&'*+.^_`|~9", 16) == 0,
          "token methods", "pool_check_method", "direct");
    check(pool_check_method("GE T", 4) == POOL_E_BAD_METHOD && pool_check_method("GET/", 4) < 0
              && pool_check_method("G(T", 3) < 0 && pool_check_method("GET\0", 4) < 0,
          "non-token methods", "pool_check_method", "direct");
    check(pool_check_target("*", 1) == 0 && pool_check_target("!", 1) == 0
              && pool_check_target("~", 1) == 0 && pool_check_target("/%20a~!$&'()*+,;=:@?#", 21) == 0,
          "VCHAR targets", "pool_check_target", "direct");
    check(pool_check_target(" ", 1) == POOL_E_BAD_TARGET && pool_check_target("/\x7f", 2) < 0
              && pool_check_target("/\x80", 2) < 0 && pool_check_target("/\xff", 2) < 0
              && pool_check_target("/a\0b", 4) < 0,
          "SP, DEL, non-ASCII, NUL", "pool_check_target", "direct");
    check(pool_check_field_name("X:Y", 3) == POOL_E_BAD_FIELD_NAME
              && pool_check_field_name("X ", 2) < 0 && pool_check_field_name("Content-Length", 14) == 0,
          "names", "pool_check_field_name", "direct");
    check(pool_check_field_value(" \t x \xff\x80 \t", 9) == 0
              && pool_check_field_value("a\rb", 3) == POOL_E_BAD_FIELD_VALUE
              && pool_check_field_value("a\nb", 3) < 0 && pool_check_field_value("a\0b", 3) < 0
              && pool_check_field_value("\x7f", 1) < 0 && pool_check_field_value("\x0b", 1) < 0,
          "values", "pool_check_field_value", "direct");
    /* a CR or LF in the ninth byte, after a whole word of good bytes */
    check(pool_check_field_value("abcdefgh\r", 9) < 0 && pool_check_target("/bcdefgh\n", 9) < 0,
          "after a whole word", "request checks", "direct");
}

#define WBUF 256

/* A writer over buf[0:cap] whose bytes past cap (up to WBUF) are poisoned
 * and, with ASan off, checked untouched afterwards. */
typedef struct {
    char buf[WBUF];
    pool_writer w;
    size_t cap;
} wrig;

static void wrig_init(wrig *r, size_t cap)
{
    memset(r->buf, '#', WBUF);
    r->cap = cap;
    pool_writer_init(&r->w, r->buf, cap);
    POISON(r->buf + cap, WBUF - cap);
}

/* Unpoisons; 1 when nothing past w.len was written ('#' still there). */
static int wrig_done(wrig *r)
{
    size_t i;
    UNPOISON(r->buf + r->cap, WBUF - r->cap);
    for (i = r->w.len; i < WBUF; i++)
        if (r->buf[i] != '#')
            return 0;
    return 1;
}

static const char SIMPLE_HEAD[] = "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-E: \r\nX-T:  \tv \xff \r\n\r\n";

static const pool_field SIMPLE_FIELDS[] = {
    {"Host", 4, "h", 1},
    {"X-E", 3, "", 0},
    {"X-T", 3, " \tv \xff ", 6},
};

static int serialize_simple(wrig *r, const pool_field *f, size_t nf)
{
    return pool_serialize_request(&r->w, "GET", 3, "/p?q=1", 6, f, nf);
}

static void test_writers(void)
{
    const size_t full = sizeof SIMPLE_HEAD - 1;
    wrig r;
    int rc;
    size_t cap;
    pool_field f[3];

    /* one shot: exact bytes; every cap below the size is NEED_ROOM with the
     * right need and writes nothing */
    for (cap = 0; cap <= full + 1; cap++) {
        wrig_init(&r, cap);
        rc = serialize_simple(&r, SIMPLE_FIELDS, 3);
        if (cap >= full)
            check(rc == 0 && r.w.len == full && memcmp(r.buf, SIMPLE_HEAD, full) == 0,
                  "the head, verbatim", "pool_serialize_request", "fits");
        else
            check(rc == POOL_NEED_ROOM && r.w.need == full && r.w.len == 0,
                  "need room, need = size", "pool_serialize_request", "too small");
        check(wrig_done(&r), "nothing written past len", "pool_serialize_request", "bounds");
    }
    /* NULL buffer, cap 0 */
    {
        pool_writer w;
        pool_writer_init(&w, NULL, 0);
        rc = pool_serialize_request(&w, "GET", 3, "/", 1, NULL, 0);
        check(rc == POOL_NEED_ROOM && w.need == 18 && w.len == 0, "NULL buffer asks for room",
              "pool_serialize_request", "direct");
    }
    /* appending after what is already there */
    wrig_init(&r, WBUF);
    r.w.len = 5;
    rc = serialize_simple(&r, SIMPLE_FIELDS, 3);
    check(rc == 0 && r.w.len == 5 + full && memcmp(r.buf + 5, SIMPLE_HEAD, full) == 0
              && memcmp(r.buf, "#####", 5) == 0,
          "appends at len", "pool_serialize_request", "direct");
    wrig_done(&r);

    /* refusals: the first bad piece in order decides; nothing is written,
     * whether or not the head would fit */
    {
        static const struct {
            const char *what;
            const char *m, *t, *n1, *v1, *n2, *v2;
            int rc;
        } t[] = {
            {"bad method", "G T", "/", "A", "b", "C", "d", POOL_E_BAD_METHOD},
            {"empty method", "", "/", "A", "b", "C", "d", POOL_E_BAD_METHOD},
            {"method before target", "G T", "/ x", "A", "b", "C", "d", POOL_E_BAD_METHOD},
            {"bad target", "GET", "/a b", "A", "b", "C", "d", POOL_E_BAD_TARGET},
            {"empty target", "GET", "", "A", "b", "C", "d", POOL_E_BAD_TARGET},
            {"target before fields", "GET", "/\r", "A B", "b", "C", "d", POOL_E_BAD_TARGET},
            {"bad name", "GET", "/", "A:", "b", "C", "d", POOL_E_BAD_FIELD_NAME},
            {"empty name", "GET", "/", "A", "b", "", "d", POOL_E_BAD_FIELD_NAME},
            {"name before its value", "GET", "/", "A B", "b\r\n", "C", "d", POOL_E_BAD_FIELD_NAME},
            {"bad value", "GET", "/", "A", "b\r\nX: y", "C", "d", POOL_E_BAD_FIELD_VALUE},
            {"first field before second", "GET", "/", "A", "\n", "C D", "d", POOL_E_BAD_FIELD_VALUE},
            {"late bad value", "GET", "/", "A", "b", "C", "\x7f", POOL_E_BAD_FIELD_VALUE},
        };
        size_t i, c;
        for (i = 0; i < sizeof t / sizeof t[0]; i++) {
            f[0].name = t[i].n1;
            f[0].name_len = strlen(t[i].n1);
            f[0].value = t[i].v1;
            f[0].value_len = strlen(t[i].v1);
            f[1].name = t[i].n2;
            f[1].name_len = strlen(t[i].n2);
            f[1].value = t[i].v2;
            f[1].value_len = strlen(t[i].v2);
            for (c = 0; c < 2; c++) {
                wrig_init(&r, c ? WBUF : 3);
                rc = pool_serialize_request(&r.w, t[i].m, strlen(t[i].m), t[i].t, strlen(t[i].t), f, 2);
                check(rc == t[i].rc && r.w.len == 0 && r.w.need == 0, t[i].what,
                      "pool_serialize_request", c ? "refused" : "refused, small cap");
                check(wrig_done(&r) && r.buf[0] == '#', "nothing written", "pool_serialize_request",
                      "refused");
            }
        }
    }

    /* piece by piece: the same bytes; each piece whole or not at all */
    wrig_init(&r, WBUF);
    rc = pool_put_request_line(&r.w, "GET", 3, "/p?q=1", 6);
    rc |= pool_put_field(&r.w, "Host", 4, "h", 1);
    rc |= pool_put_field(&r.w, "X-E", 3, "", 0);
    rc |= pool_put_field(&r.w, "X-T", 3, " \tv \xff ", 6);
    rc |= pool_put_head_end(&r.w);
    check(rc == 0 && r.w.len == full && memcmp(r.buf, SIMPLE_HEAD, full) == 0, "same bytes as one shot",
          "pool_put_*", "direct");
    check(wrig_done(&r), "nothing written past len", "pool_put_*", "bounds");

    for (cap = 0; cap < full; cap++) {
        size_t before;
        int ok = 1;
        wrig_init(&r, cap);
        rc = pool_put_request_line(&r.w, "GET", 3, "/p?q=1", 6);
        if (cap < 21)
            ok &= rc == POOL_NEED_ROOM && r.w.need == 21 && r.w.len == 0;
        else
            ok &= rc == 0 && r.w.len == 21;
        if (rc == 0) {
            before = r.w.len;
            rc = pool_put_field(&r.w, "Host", 4, "h", 1);
            if (cap < before + 9)
                ok &= rc == POOL_NEED_ROOM && r.w.need == before + 9 && r.w.len == before;
            else
                ok &= rc == 0 && r.w.len == before + 9;
        }
        check(ok, "NEED_ROOM with the right need, or the whole piece", "pool_put_*", "small cap");
        check(wrig_done(&r), "nothing written past len", "pool_put_*", "small cap");
    }
    /* a refused piece writes nothing, even with room */
    wrig_init(&r, WBUF);
    check(pool_put_request_line(&r.w, "GET", 3, "/a b", 4) == POOL_E_BAD_TARGET && r.w.len == 0
              && pool_put_request_line(&r.w, "", 0, "/", 1) == POOL_E_BAD_METHOD && r.w.len == 0
              && pool_put_field(&r.w, "", 0, "v", 1) == POOL_E_BAD_FIELD_NAME && r.w.len == 0
              && pool_put_field(&r.w, "N", 1, "a\rb", 3) == POOL_E_BAD_FIELD_VALUE && r.w.len == 0
              && pool_put_field(&r.w, "N M", 3, "a\rb", 3) == POOL_E_BAD_FIELD_NAME && r.w.len == 0
              && pool_put_request_line(&r.w, "G T", 3, "/a b", 4) == POOL_E_BAD_METHOD,
          "refused pieces", "pool_put_*", "refused");
    check(wrig_done(&r) && r.buf[0] == '#', "nothing written", "pool_put_*", "refused");
    /* the blank line on a full buffer */
    wrig_init(&r, 1);
    check(pool_put_head_end(&r.w) == POOL_NEED_ROOM && r.w.need == 2 && r.w.len == 0,
          "blank line needs 2 bytes", "pool_put_head_end", "small cap");
    wrig_done(&r);

    /* sizes that would pass SIZE_MAX are refused before any byte moves; so
     * is a len that already lies past cap asked for more room (never
     * written through) */
    {
        char one[4] = "###";
        pool_writer w;
        pool_writer_init(&w, one, SIZE_MAX);
        w.len = SIZE_MAX - 1;
        check(pool_put_head_end(&w) == POOL_E_REQUEST_TOO_LARGE && w.len == SIZE_MAX - 1,
              "len + 2 past SIZE_MAX", "pool_put_head_end", "overflow");
        w.len = SIZE_MAX - 5;
        check(pool_put_field(&w, "A", 1, "b", 1) == POOL_E_REQUEST_TOO_LARGE,
              "len + 6 past SIZE_MAX", "pool_put_field", "overflow");
        check(pool_put_request_line(&w, "GET", 3, "/", 1) == POOL_E_REQUEST_TOO_LARGE,
              "len + 16 past SIZE_MAX", "pool_put_request_line", "overflow");
        check(pool_serialize_request(&w, "GET", 3, "/", 1, NULL, 0) == POOL_E_REQUEST_TOO_LARGE,
              "len + head past SIZE_MAX", "pool_serialize_request", "overflow");
        pool_writer_init(&w, one, 2);
        w.len = 3;
        check(pool_put_head_end(&w) == POOL_NEED_ROOM && w.need == 5 && w.len == 3,
              "len past cap", "pool_put_head_end", "direct");
        check(memcmp(one, "###", 4) == 0, "nothing written", "writers", "overflow");
    }
}

int main(void)
{
    size_t i;
    size_t nh = sizeof head_cases / sizeof head_cases[0];
    size_t nc = sizeof chunk_cases / sizeof chunk_cases[0];

    for (i = 0; i < nh; i++)
        run_head_case(&head_cases[i]);
    for (i = 0; i < nc; i++)
        run_chunk_case(&chunk_cases[i]);
    test_parse_content_length();
    test_strerror();
    test_slow_drip_large_head();
    test_head_limit_bounded();
    test_chunked_direct();
    test_request_checks();
    test_writers();

    printf("%zu head cases, %zu chunked cases\n", nh, nc);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/*
 * pool_http.h -- HTTP/1.1 response-head parser, chunked-body decoder, and
 * request-head checks and writer.
 *
 * Pure C, sans-IO: no allocation, no Python, no sockets.  Bytes go in, results
 * come out, "need more" is a normal answer.  It can be compiled into a plain C
 * test or a fuzzer.  The Python twin (pool/_wire_py.py) implements exactly the
 * same rules and is the oracle the tests and fuzzers hold this code against.
 *
 * Governing text: RFC 9112 (HTTP/1.1 message syntax and framing) sections 2.2,
 * 3, 4, 5, 6 and 7.1; RFC 9110 sections 5.5 (field values), 5.6.2 (tokens) and
 * 8.6 (Content-Length).
 *
 * Positions are offsets (size_t) into the caller's buffer, never pointers, so
 * the caller may move or grow its buffer between calls.
 */
#ifndef POOL_HTTP_H
#define POOL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ limits
 * Defaults; every one is a knob on the parser/decoder structs.
 *
 * POOL_DEFAULT_MAX_HEAD_SIZE: 64 KiB for status line + all header lines +
 *   the blank line.  http.client caps a single line at 64 KiB; nginx's largest
 *   default large_client_header_buffers is 4 x 8 KiB; h11 uses 16 KiB.  Real
 *   responses with huge Set-Cookie or CSP headers reach tens of KiB, so 64 KiB
 *   accepts them while bounding what a hostile server can make us hold.
 * POOL_DEFAULT_MAX_HEADERS: 100, as http.client's _MAXHEADERS.
 * POOL_DEFAULT_MAX_CHUNK_LINE: 4 KiB.  A chunk size is at most 16 hex digits;
 *   chunk extensions are practically unused.  4 KiB leaves room for them and
 *   stops a server that drips an endless size line.
 * POOL_DEFAULT_MAX_TRAILER_SIZE: 64 KiB, the same budget as a head.
 * POOL_DEFAULT_MAX_INTERIM: 32 interim (1xx) responses before the final one;
 *   a real server sends one or two (100, 103); an endless stream is an attack.
 */
#define POOL_DEFAULT_MAX_HEAD_SIZE ((size_t)65536)
#define POOL_DEFAULT_MAX_HEADERS ((size_t)100)
#define POOL_DEFAULT_MAX_CHUNK_LINE ((size_t)4096)
#define POOL_DEFAULT_MAX_TRAILER_SIZE ((size_t)65536)
#define POOL_DEFAULT_MAX_INTERIM 32

/* Largest Content-Length or chunk size accepted: 2**62 - 1 keeps every sum of
 * two sizes inside int64 and Python's Py_ssize_t. */
#define POOL_MAX_BODY_LENGTH ((uint64_t)0x3FFFFFFFFFFFFFFFULL)

/* ------------------------------------------------------------- result codes
 * 0 is "need more data"; a positive value is success; negative values are
 * errors.  The Cython layer maps each response-side error code to one class
 * of pool.exceptions in exactly one function, and the Python twin uses the
 * same numbers; the request-side codes (-40 and below) are mapped where the
 * serializer refuses, since its messages name the refused objects. */
enum pool_status {
    POOL_NEED_MORE = 0,
    /* head */
    POOL_E_HEAD_TOO_LARGE = -1,       /* ResponseHeadTooLarge */
    POOL_E_TOO_MANY_HEADERS = -2,     /* TooManyResponseHeaders */
    POOL_E_BAD_STATUS_LINE = -3,      /* InvalidStatusLine */
    POOL_E_BAD_HEADER_NAME = -4,      /* InvalidResponseHeader: empty/non-token name, space before colon */
    POOL_E_NO_COLON = -5,             /* InvalidResponseHeader */
    POOL_E_BAD_HEADER_VALUE = -6,     /* InvalidResponseHeader: CTL byte other than HTAB */
    POOL_E_OBS_FOLD = -7,             /* InvalidResponseHeader: line starting with SP/HTAB */
    POOL_E_BAD_LINE_ENDING = -8,      /* InvalidResponseHeader: bare CR in a header line (pool_http.c
                                       * reports a bare CR in the status line as BAD_STATUS_LINE) */
    /* framing (RFC 9112 section 6) */
    POOL_E_BAD_CONTENT_LENGTH = -20,  /* InvalidContentLength: not 1*DIGIT, overflow, empty */
    POOL_E_CONFLICTING_CONTENT_LENGTH = -21, /* InvalidContentLength: differing values */
    POOL_E_CL_AND_TE = -22,           /* InvalidFraming: both present */
    POOL_E_BAD_TRANSFER_ENCODING = -23, /* InvalidFraming: chunked twice, or empty coding */
    /* chunked (RFC 9112 section 7.1) */
    POOL_E_BAD_CHUNK_SIZE = -30,      /* InvalidChunkedEncoding: not hex, empty, overflow */
    POOL_E_BAD_CHUNK_EXT = -31,       /* InvalidChunkedEncoding: CTL in extension, junk after size */
    POOL_E_BAD_CHUNK_END = -32,       /* InvalidChunkedEncoding: chunk data not followed by CRLF */
    POOL_E_CHUNK_LINE_TOO_LONG = -33, /* ChunkLineTooLong */
    POOL_E_BAD_TRAILER = -34,         /* InvalidChunkedEncoding: malformed trailer line */
    POOL_E_TRAILER_TOO_LARGE = -35,   /* TrailersTooLarge */
    /* request head (RFC 9112 sections 3 and 5); the checks below */
    POOL_E_BAD_METHOD = -40,          /* InvalidMethod: empty, or a byte that is not tchar */
    POOL_E_BAD_TARGET = -41,          /* InvalidRequestTarget: empty, or a byte outside
                                       * VCHAR (SP, CTL, DEL, 0x80-0xFF) */
    POOL_E_BAD_FIELD_NAME = -42,      /* InvalidRequestHeader: empty, or a byte that is not tchar */
    POOL_E_BAD_FIELD_VALUE = -43,     /* InvalidRequestHeader: a CTL other than HTAB, or DEL */
    POOL_E_REQUEST_TOO_LARGE = -44    /* the head's size would not fit in a size_t */
};

/* --------------------------------------------------------------- head parse */

typedef struct {
    size_t name_off, name_len;
    size_t value_off, value_len; /* value with leading/trailing SP/HTAB removed */
} pool_header;

/* How the body of a response is delimited (RFC 9112 section 6.3). */
enum pool_framing {
    POOL_FRAMING_NONE = 0,    /* no body: HEAD, 1xx, 204, 304, or Content-Length: 0 */
    POOL_FRAMING_LENGTH = 1,  /* Content-Length bytes */
    POOL_FRAMING_CHUNKED = 2, /* chunked is the final transfer coding */
    POOL_FRAMING_CLOSE = 3    /* read until the server closes */
};

/* Flags set while parsing headers. */
#define POOL_HAS_CONTENT_LENGTH 0x01
#define POOL_HAS_TRANSFER_ENCODING 0x02
#define POOL_TE_CHUNKED_FINAL 0x04   /* the last transfer coding is "chunked" */
#define POOL_CONN_CLOSE 0x08         /* Connection: close */
#define POOL_CONN_KEEP_ALIVE 0x10    /* Connection: keep-alive */
#define POOL_CONN_UPGRADE 0x20       /* Connection: upgrade */

typedef struct {
    /* knobs: set by the caller before the first call (pool_head_init sets the defaults) */
    size_t max_head_size;
    size_t max_headers;

    /* state: how far a previous call already searched for the end of the head,
     * so that a head dripped one byte at a time costs O(n), not O(n^2). */
    size_t scanned;

    /* results, valid after a positive return */
    int minor_version;     /* 0 or 1 */
    int status;            /* 100..999 */
    size_t reason_off, reason_len; /* bytes after the SP that follows the status
                                    * code, as sent (not trimmed); reason_len 0 if none */
    size_t num_headers;
    unsigned flags;        /* POOL_HAS_* / POOL_CONN_* bits */
    uint64_t content_length; /* valid when flags & POOL_HAS_CONTENT_LENGTH */
    size_t error_off;      /* after an error: offset of the offending byte (best effort) */
} pool_head_parser;

void pool_head_init(pool_head_parser *p);

/* Parse one response head from buf[0:len].  `len` must never shrink between
 * calls on the same parser unless pool_head_init is called again (the caller
 * keeps the bytes it already passed and appends new ones).
 *
 * Lines end with CRLF or a bare LF (RFC 9112 section 2.2); a bare CR anywhere
 * is an error.  Header slices are written to headers[0:num_headers]; the array
 * must hold at least p->max_headers entries.
 *
 * Returns: > 0   the head is complete; the value is the number of bytes it
 *                used, including the blank line.
 *          0     need more data (nothing was written to the results).
 *          < 0   an error code (enum pool_status).
 *
 * When errors surface (the Python twin follows the same order):
 * - The head ends at the first LF that follows an LF, with at most one CR
 *   between (CRLFCRLF, LFLF, CRLFLF, LFCRLF).  Until that blank line is in,
 *   the only possible error is POOL_E_HEAD_TOO_LARGE: more than max_head_size
 *   bytes given, and no blank line ending within the first max_head_size
 *   bytes.  Bytes past max_head_size are never read.
 * - Then the head is checked line by line, in order; the first bad line
 *   decides.  The status line: any defect, a bare CR included, is
 *   POOL_E_BAD_STATUS_LINE (leading empty lines make the status line empty,
 *   hence bad).  A field line: a leading SP/HTAB (OBS_FOLD), then a bare CR
 *   anywhere in it (BAD_LINE_ENDING), then no colon at all (NO_COLON), then
 *   an empty or non-token name (BAD_HEADER_NAME), then a CTL in the value
 *   (BAD_HEADER_VALUE); then the field count (TOO_MANY_HEADERS when this line
 *   is field max_headers + 1); then the Content-Length / Transfer-Encoding
 *   value rules of docs/wire.md.
 * - p->scanned only moves forward while the answer is "need more"; after a
 *   positive answer a repeated call gives the same answer.  Call
 *   pool_head_init before parsing another head. */
long pool_parse_head(pool_head_parser *p, const char *buf, size_t len,
                     pool_header *headers);

/* Decide the body framing of a parsed head (RFC 9112 section 6.3).
 * `request_was_head` is non-zero for a response to HEAD.
 * Sets *will_close to 1 when the connection cannot carry another response
 * after this one: Connection: close, HTTP/1.0 without keep-alive, framing
 * CLOSE, status 101, or Transfer-Encoding in an HTTP/1.0 response (section 6.1).
 * Returns an enum pool_framing value, or a negative error code
 * (POOL_E_CL_AND_TE when both Content-Length and Transfer-Encoding framing
 * would apply). */
int pool_body_framing(const pool_head_parser *p, int request_was_head, int *will_close);

/* Parse a Content-Length field value: 1*DIGIT, or a comma-separated list of
 * identical values (RFC 9110 section 8.6).  Returns 1 and sets *out, or a
 * negative error code. */
int pool_parse_content_length(const char *s, size_t len, uint64_t *out);

/* ----------------------------------------------------------- chunked decode */

typedef struct {
    /* knobs (pool_chunked_init sets the defaults) */
    size_t max_line;        /* chunk-size line, extensions included */
    size_t max_trailer_size;

    /* state */
    int state;              /* private */
    uint64_t remaining;     /* bytes of chunk data left in the current chunk;
                             * while > 0 the caller may read that many bytes of
                             * body straight from the socket into its own buffer
                             * and call pool_chunked_consumed_data(). */
    size_t line_len;        /* bytes of the current size/trailer line seen */
    size_t trailer_size;    /* bytes of trailer section seen */
    uint64_t chunk_size;    /* size being accumulated */
    int saw_cr;             /* private */
    int done;               /* 1 once the last chunk and trailer section are read */
} pool_chunked;

void pool_chunked_init(pool_chunked *c);

/* Feed buf[0:len].  Scans framing bytes (size lines, CRLFs, trailers) until it
 * reaches chunk data, the end of the body, or the end of the input.
 *
 * Returns: POOL_CHUNK_DATA (1): buf[*data_off : *data_off + *data_len] is body
 *              data (data_len > 0); *consumed is *data_off + *data_len: the
 *              caller advances its buffer by *consumed and calls again.
 *          POOL_CHUNK_DONE (2): the body ended; *consumed is the number of
 *              bytes that belonged to it (the rest of buf is NOT this
 *              response's).
 *          POOL_NEED_MORE (0): all of buf was consumed (*consumed == len) and
 *              holds no data; call again with more bytes.
 *          < 0: an error code.
 * The decoder is incremental: any split of the input gives the same data and
 * the same result.  Errors are found byte by byte: the first byte that makes
 * the input invalid decides the code.  Every byte of a chunk-size line, its
 * CR and LF included, counts towards max_line; every byte after the
 * last-chunk line, the final empty line included, counts towards
 * max_trailer_size; a byte first counts, then is checked.  After an error
 * every call returns the same error; after POOL_CHUNK_DONE every call
 * returns POOL_CHUNK_DONE with *consumed == 0.  On returns other than
 * POOL_CHUNK_DATA, *data_off and *data_len are 0. */
#define POOL_CHUNK_DATA 1
#define POOL_CHUNK_DONE 2
int pool_chunked_feed(pool_chunked *c, const char *buf, size_t len,
                      size_t *consumed, size_t *data_off, size_t *data_len);

/* Tell the decoder that n (<= c->remaining) bytes of chunk data were taken
 * directly (for example received straight into the caller's buffer). */
void pool_chunked_consumed_data(pool_chunked *c, uint64_t n);

/* ------------------------------------------------------------ request head
 *
 * The character rules of a request head, from the same byte-class table the
 * response parser uses; each check reads exactly s[0:len] (s may be NULL when
 * len is 0) and returns 0 when the bytes are acceptable, else its error code:
 *
 *   method       1*tchar                          POOL_E_BAD_METHOD
 *   target       1*VCHAR (0x21-0x7E)              POOL_E_BAD_TARGET
 *   field name   1*tchar                          POOL_E_BAD_FIELD_NAME
 *   field value  *( HTAB / SP / VCHAR / obs-text ) POOL_E_BAD_FIELD_VALUE
 *
 * So nothing that passes can hold CR, LF or NUL, and a value may be empty or
 * carry leading/trailing SP/HTAB (written as given; a recipient trims it). */
int pool_check_method(const char *s, size_t len);
int pool_check_target(const char *s, size_t len);
int pool_check_field_name(const char *s, size_t len);
int pool_check_field_value(const char *s, size_t len);

/* A bounded output buffer owned by the caller, for the writers below. */
typedef struct {
    char *buf;   /* cap bytes; may be NULL when cap is 0 */
    size_t cap;
    size_t len;  /* bytes written so far; the writers keep len <= cap */
    size_t need; /* after POOL_NEED_ROOM: the cap the refused call needs */
} pool_writer;

void pool_writer_init(pool_writer *w, char *buf, size_t cap);

/* Each writer checks its input first, then appends one whole piece or
 * nothing:
 *   0               appended; w->len advanced by the piece's length.
 *   POOL_NEED_ROOM  the input is acceptable but the piece does not fit in
 *                   buf[len:cap]; nothing written, w->need set to the cap
 *                   that would do.  Grow buf (keeping buf[0:len]), set
 *                   w->buf and w->cap, and call again.
 *   < 0             refused (the check's code, or POOL_E_REQUEST_TOO_LARGE
 *                   when len + piece overflows size_t); nothing written.
 * A head written piece by piece and refused half-way leaves the earlier
 * pieces in buf: the caller discards them.
 *
 * pool_put_request_line:  method SP target SP "HTTP/1.1" CRLF; the method is
 *                         checked before the target.
 * pool_put_field:         name ":" SP value CRLF; the name before the value.
 * pool_put_head_end:      the CRLF of the blank line (no check to fail). */
#define POOL_NEED_ROOM 1
int pool_put_request_line(pool_writer *w, const char *method, size_t method_len,
                          const char *target, size_t target_len);
int pool_put_field(pool_writer *w, const char *name, size_t name_len,
                   const char *value, size_t value_len);
int pool_put_head_end(pool_writer *w);

typedef struct {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} pool_field;

/* The whole head at once: request line, fields[0:nfields], blank line,
 * appended at w->len.  Everything is checked before anything is written, in
 * the order method, target, then each field's name and value; so a refused
 * or too-large head writes nothing at all.  Returns as the writers above;
 * on success w->len is advanced by the head's length, on POOL_NEED_ROOM
 * w->need is w->len plus that length. */
int pool_serialize_request(pool_writer *w, const char *method, size_t method_len,
                           const char *target, size_t target_len,
                           const pool_field *fields, size_t nfields);

/* A short, static, human-readable message for an error code. */
const char *pool_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* POOL_HTTP_H */

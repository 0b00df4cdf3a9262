# C declarations from pool_http.h that _wire_c.pyx uses, and nothing more.

from libc.stdint cimport uint64_t


cdef extern from "pool_http.h" nogil:
    size_t POOL_DEFAULT_MAX_HEAD_SIZE
    size_t POOL_DEFAULT_MAX_HEADERS
    size_t POOL_DEFAULT_MAX_CHUNK_LINE
    size_t POOL_DEFAULT_MAX_TRAILER_SIZE
    int POOL_DEFAULT_MAX_INTERIM

    enum pool_status:
        POOL_NEED_MORE
        POOL_E_HEAD_TOO_LARGE
        POOL_E_TOO_MANY_HEADERS
        POOL_E_BAD_STATUS_LINE
        POOL_E_BAD_HEADER_NAME
        POOL_E_NO_COLON
        POOL_E_BAD_HEADER_VALUE
        POOL_E_OBS_FOLD
        POOL_E_BAD_LINE_ENDING
        POOL_E_BAD_CONTENT_LENGTH
        POOL_E_CONFLICTING_CONTENT_LENGTH
        POOL_E_CL_AND_TE
        POOL_E_BAD_TRANSFER_ENCODING
        POOL_E_BAD_CHUNK_SIZE
        POOL_E_BAD_CHUNK_EXT
        POOL_E_BAD_CHUNK_END
        POOL_E_CHUNK_LINE_TOO_LONG
        POOL_E_BAD_TRAILER
        POOL_E_TRAILER_TOO_LARGE
        POOL_E_BAD_METHOD
        POOL_E_BAD_TARGET
        POOL_E_BAD_FIELD_NAME
        POOL_E_BAD_FIELD_VALUE

    enum pool_framing:
        POOL_FRAMING_NONE
        POOL_FRAMING_LENGTH
        POOL_FRAMING_CHUNKED
        POOL_FRAMING_CLOSE

    unsigned POOL_HAS_CONTENT_LENGTH

    ctypedef struct pool_header:
        size_t name_off
        size_t name_len
        size_t value_off
        size_t value_len

    ctypedef struct pool_head_parser:
        size_t max_head_size
        size_t max_headers
        int minor_version
        int status
        size_t reason_off
        size_t reason_len
        size_t num_headers
        unsigned flags
        uint64_t content_length
        size_t error_off

    void pool_head_init(pool_head_parser *p)
    long pool_parse_head(pool_head_parser *p, const char *buf, size_t len,
                         pool_header *headers)
    int pool_body_framing(const pool_head_parser *p, int request_was_head,
                          int *will_close)

    ctypedef struct pool_chunked:
        size_t max_line
        size_t max_trailer_size
        uint64_t remaining
        int done

    int POOL_CHUNK_DATA
    int POOL_CHUNK_DONE

    void pool_chunked_init(pool_chunked *c)
    int pool_chunked_feed(pool_chunked *c, const char *buf, size_t len,
                          size_t *consumed, size_t *data_off, size_t *data_len)
    void pool_chunked_consumed_data(pool_chunked *c, uint64_t n)
    int pool_check_method(const char *s, size_t len)
    int pool_check_field_name(const char *s, size_t len)

    ctypedef struct pool_writer:
        char *buf
        size_t cap
        size_t len
        size_t need

    int POOL_NEED_ROOM

    void pool_writer_init(pool_writer *w, char *buf, size_t cap)
    int pool_put_request_line(pool_writer *w, const char *method, size_t method_len,
                              const char *target, size_t target_len)
    int pool_put_field(pool_writer *w, const char *name, size_t name_len,
                       const char *value, size_t value_len)
    int pool_put_head_end(pool_writer *w)

    const char *pool_strerror(int code)

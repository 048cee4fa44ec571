/*
 * loadgen: a single-threaded, pipelining memcached text-protocol load generator.
 *
 * Why not memcaslap/memtier: memcaslap cannot pipeline, and the server benchmark (issue 3) must
 * measure 16-deep pipelining. One thread with epoll keeps the generator's own cost predictable: on a
 * 2-core machine it takes one core and leaves the other to the server under test.
 *
 *   loadgen -p PORT [-H 127.0.0.1] [-c 32] [-d 1] [-m mix|multiget|preload|handshake] [-t 5] [-w 1]
 *           [-k 10000] [-v 100 | -v MIN-MAX] [-s 10] [-g 10] [-n MAX_REQUESTS] [-S SEED] [-i MS] [-T]
 *           [-r RATE]
 *
 * -v MIN-MAX (powers of two) gives key k a value length that depends only on k, spread evenly over
 * the octaves between MIN and MAX (bench/value-sizes.ts computes the same lengths). -i MS adds a
 * latency histogram per MS-millisecond interval of the measured time (the timeline). In preload
 * mode -t is the time limit (default 30 s).
 *
 * -r RATE paces the load at RATE requests per second over all connections (each connection sends
 * on its own schedule, the connections staggered), for latency at a given throughput rather than
 * at saturation. A request's latency is then counted from when its schedule said to send it, so
 * a server that falls behind is charged for the requests that waited on the client side too (no
 * coordinated omission).
 *
 * -T speaks TLS (OpenSSL; the server's certificate is not checked: only loopback is allowed).
 * Every read drains what OpenSSL holds before waiting on the socket again, since data it has
 * already decrypted no longer shows as readable. -m handshake (with -T) measures connection
 * set-up: each connection in turn connects, completes a full handshake (no session
 * resumption), sends `version`, reads the reply and closes; a "request" is that whole cycle.
 *
 * Prints one JSON object on stdout, latencies as histogram buckets [upper edge ns, count] for the
 * caller to turn into percentiles. Exit status: 0 ok; 1 usage or connect failure; 2 the server
 * misbehaved (error replies, protocol violations, dropped connections, requests left unanswered).
 * Only loopback targets are accepted: this tool must never load anything off the machine.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum {
    KEY_LEN = 16,                /* fixed-width keys keep request sizes identical across runs */
    MAX_DEPTH = 256,
    MAX_CONNS = 1024,
    MAX_MULTIGET = 100,
    MAX_VALUE = 64 * 1024,
    IN_BUF = 256 * 1024,         /* must hold the longest reply line; value data is streamed */
    MAX_LINE = 1024,             /* a reply line longer than this is a protocol error */
    EPOLL_BATCH = 64,
    EPOLL_TIMEOUT_MS = 10,       /* bounds how late we notice the end of a phase */
    DRAIN_MS = 2000,             /* after the run, wait this long for in-flight replies */
    CONNECT_TIMEOUT_MS = 5000,
    PRELOAD_TIMEOUT_S = 30,
    MAX_ERRORS_SHOWN = 5,        /* a broken server can send millions of error lines */
    HIST_SUB_BITS = 4,           /* 16 sub-buckets per power of two: percentiles within 6.25% */
    HIST_SUB = 1 << HIST_SUB_BITS,
    HIST_BUCKETS = 64 * HIST_SUB,
    MAX_INTERVALS = 100000,      /* bounds the timeline's memory (8 KiB per interval) */
};

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL
#define DEFAULT_MAX_REQUESTS 1000000000ULL /* hard count bound even if the clock misbehaves */

typedef enum { MODE_MIX, MODE_MULTIGET, MODE_PRELOAD, MODE_HANDSHAKE } load_mode;
typedef enum { REQ_GET, REQ_SET } req_kind;
typedef enum { PHASE_WARMUP, PHASE_MEASURE, PHASE_DRAIN, PHASE_DONE } phase_t;
/* Where the reply parser is: reading a line, streaming VALUE data, or expecting the CRLF after it. */
typedef enum { PS_LINE, PS_DATA, PS_DATA_END } parse_state;

typedef struct {
    const char *host;
    int port, conns, depth, set_pct, multiget_keys;
    int value_min, value_max;    /* equal: one fixed length; else the mixed distribution */
    int interval_ms;             /* 0: no timeline */
    double rate;                 /* -r: requests per second over all connections; 0: unpaced */
    long keys;
    double duration_s, warmup_s;
    int duration_given;
    uint64_t max_requests;
    uint64_t seed;
    load_mode mode;
    int tls;
} config;

typedef struct {
    uint64_t buckets[HIST_BUCKETS];
    uint64_t count, max_ns;
} histogram;

typedef struct {
    int fd;
    SSL *ssl;                    /* -T */
    int alive;
    uint64_t rng;
    /* in-flight requests, oldest first: replies arrive in request order */
    int64_t sent_ns[MAX_DEPTH];
    uint8_t kind[MAX_DEPTH];
    int head, inflight;
    /* unsent request bytes */
    char *out;
    size_t out_len, out_off, out_cap;
    int want_write;
    /* unparsed reply bytes */
    char *in;
    size_t in_len, in_off;
    parse_state ps;
    long data_left;
    int values_in_reply;
    long next_preload_key, preload_end;
    int64_t next_due_ns;         /* -r: when this connection's next request is scheduled */
} conn;

typedef struct {
    uint64_t replies, gets, sets, hits, misses, stored, error_replies;
} counters;

static config cfg;
static conn *conns;
static histogram hist;
/* the timeline: one histogram per interval of the measured time, by reply time */
static histogram *intervals;
static int n_intervals, last_interval;
static int64_t measure_start_ns;
static double measure_start_unix_ms;
static counters measured, total;
static phase_t phase;
static uint64_t requests_sent;
/* kept apart from error replies: these mean the reply stream itself is broken or cut */
static uint64_t bad_replies, failed_connections, errors_shown;
static int epfd;
static int64_t pace_ns;                 /* -r: the gap between one connection's requests */
static SSL_CTX *tls_ctx;
static const struct addrinfo *target;
static char value_buf[MAX_VALUE];

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* xorshift64*: per-connection streams, deterministic for a given seed so targets see the same keys */
static uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---------- histogram: log2 buckets with linear sub-buckets, values in ns ---------- */

static int hist_index(uint64_t v) {
    if (v < HIST_SUB) return (int)v;
    int e = 63 - __builtin_clzll(v);
    int sub = (int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* Upper edge of a bucket, so a reported percentile never understates latency. */
static uint64_t hist_upper(int idx) {
    if (idx < HIST_SUB) return (uint64_t)idx;
    int e = idx / HIST_SUB + HIST_SUB_BITS - 1;
    uint64_t sub = (uint64_t)(idx % HIST_SUB);
    uint64_t width = 1ULL << (e - HIST_SUB_BITS);
    return (1ULL << e) + (sub + 1) * width - 1;
}

static void hist_add(histogram *h, uint64_t v) {
    h->buckets[hist_index(v)]++;
    h->count++;
    if (v > h->max_ns) h->max_ns = v;
}

/* Non-empty buckets as [upper edge, count] pairs; the top one is capped at the exact maximum. */
static void print_buckets(const histogram *h) {
    putchar('[');
    int first = 1;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        if (!h->buckets[i]) continue;
        uint64_t up = hist_upper(i);
        printf("%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", up < h->max_ns ? up : h->max_ns, h->buckets[i]);
        first = 0;
    }
    putchar(']');
}

static void timeline_add(int64_t t, uint64_t latency) {
    if (!intervals) return;
    int64_t i = (t - measure_start_ns) / (cfg.interval_ms * NS_PER_MS);
    if (i >= n_intervals) i = n_intervals - 1;
    if (i < 0) i = 0;
    hist_add(&intervals[i], latency);
    if (i > last_interval) last_interval = (int)i;
}

static double unix_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

/* The measured time starts now: intervals count from here, and the caller aligns them with its
 * own events (the server's GC pauses) by the wall-clock time. */
static void start_measuring(int64_t t) {
    phase = PHASE_MEASURE;
    measure_start_ns = t;
    measure_start_unix_ms = unix_ms();
}

/* ---------- request generation ---------- */

/* All keys formatted once up front: snprintf per request would cost the generator more CPU than
 * the server spends on a get, and the generator shares the machine with the server. */
static char *key_table;

static void format_key(char *dst, long k) {
    /* "key:" + 12 digits = KEY_LEN bytes */
    char tmp[32];   /* roomy for any long; -k caps keys at 12 digits */
    snprintf(tmp, sizeof tmp, "key:%012ld", k);
    memcpy(dst, tmp, KEY_LEN);
}

static void build_key_table(void) {
    key_table = malloc((size_t)cfg.keys * KEY_LEN);
    if (!key_table) die("out of memory for %ld keys", cfg.keys);
    for (long k = 0; k < cfg.keys; k++) format_key(key_table + k * KEY_LEN, k);
}

static const char *key_at(long k) { return key_table + k * KEY_LEN; }

/* lowbias32 (Chris Wellons): a fixed integer hash, so TypeScript can compute the same lengths */
static uint32_t mix32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* Key k's value length: an octave [lo, 2 lo) chosen by one hash, a point inside it by another. */
static int value_len_for(long k) {
    if (cfg.value_min == cfg.value_max) return cfg.value_min;
    int octaves = __builtin_ctz((unsigned)cfg.value_max) - __builtin_ctz((unsigned)cfg.value_min);
    uint32_t h = mix32((uint32_t)k);
    int lo = cfg.value_min << (h % (uint32_t)octaves);
    return lo + (int)(mix32(h) % (uint32_t)lo);
}

static void out_reserve(conn *c, size_t n) {
    if (c->out_len + n <= c->out_cap) return;
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + n > c->out_cap) die("output buffer overflow (request too large)");
}

static void out_append(conn *c, const char *s, size_t n) {
    out_reserve(c, n);
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void append_set(conn *c, long k) {
    char suffix[32];
    int len = value_len_for(k);
    int n = snprintf(suffix, sizeof suffix, " 0 0 %d\r\n", len);
    out_append(c, "set ", 4);
    out_append(c, key_at(k), KEY_LEN);
    out_append(c, suffix, (size_t)n);
    out_append(c, value_buf, (size_t)len);
    out_append(c, "\r\n", 2);
}

static void append_get(conn *c, int nkeys) {
    out_append(c, "get", 3);
    for (int i = 0; i < nkeys; i++) {
        out_append(c, " ", 1);
        out_append(c, key_at((long)(rng_next(&c->rng) % (uint64_t)cfg.keys)), KEY_LEN);
    }
    out_append(c, "\r\n", 2);
}

static void push_inflight(conn *c, req_kind kind, int64_t t) {
    int slot = (c->head + c->inflight) % MAX_DEPTH;
    c->sent_ns[slot] = t;
    c->kind[slot] = (uint8_t)kind;
    c->inflight++;
    requests_sent++;
}

/* Returns 0 when this connection has nothing more to send (preload finished). */
static int queue_one(conn *c, int64_t t) {
    switch (cfg.mode) {
    case MODE_PRELOAD:
        if (c->next_preload_key >= c->preload_end) return 0;
        append_set(c, c->next_preload_key++);
        push_inflight(c, REQ_SET, t);
        return 1;
    case MODE_MULTIGET:
        append_get(c, cfg.multiget_keys);
        push_inflight(c, REQ_GET, t);
        return 1;
    case MODE_MIX:
        if ((int)(rng_next(&c->rng) % 100) < cfg.set_pct) {
            append_set(c, (long)(rng_next(&c->rng) % (uint64_t)cfg.keys));
            push_inflight(c, REQ_SET, t);
        } else {
            append_get(c, 1);
            push_inflight(c, REQ_GET, t);
        }
        return 1;
    case MODE_HANDSHAKE: /* a cycle of its own: hs_start */
        return 0;
    }
    return 0;
}

static int sending_allowed(void) {
    return (phase == PHASE_WARMUP || phase == PHASE_MEASURE) && requests_sent < cfg.max_requests;
}

/* Keep `depth` requests in flight: top up after every batch of replies, in one write. Paced,
 * only the requests whose time has come, each timed from its scheduled moment. */
static void top_up(conn *c, int64_t t) {
    while (c->alive && c->inflight < cfg.depth && sending_allowed()) {
        if (!pace_ns) {
            if (!queue_one(c, t)) break;
            continue;
        }
        if (t < c->next_due_ns) break;
        int64_t due = c->next_due_ns;
        c->next_due_ns += pace_ns;
        if (!queue_one(c, due)) break;
    }
}

/* ---------- socket I/O ---------- */

static void set_epoll(conn *c, int want_write) {
    if (c->want_write == want_write) return;
    struct epoll_event ev = { .events = EPOLLIN | (want_write ? EPOLLOUT : 0), .data.ptr = c };
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->want_write = want_write;
}

static void conn_fail(conn *c, const char *why) {
    if (!c->alive) return;
    fprintf(stderr, "loadgen: connection %d closed: %s (%d requests in flight)\n",
            (int)(c - conns), why, c->inflight);
    failed_connections++;
    c->alive = 0;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ssl) SSL_free(c->ssl);
    c->ssl = NULL;
    close(c->fd);
}

/* ---------- TLS ---------- */

/* What the last TLS call on c means for the caller: 1 wait for the socket, 0 the connection failed. */
static int tls_wait(conn *c, int rc) {
    int err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        set_epoll(c, err == SSL_ERROR_WANT_WRITE);
        return 1;
    }
    unsigned long e = ERR_get_error();
    char why[256];
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && e == 0)) snprintf(why, sizeof why, "server closed the connection");
    else ERR_error_string_n(e, why, sizeof why);
    conn_fail(c, why);
    return 0;
}

/* send(2) or SSL_write: bytes taken, or -1 with errno EAGAIN when the socket is full. */
static ssize_t conn_send(conn *c, const char *p, size_t n) {
    if (!c->ssl) return send(c->fd, p, n, MSG_NOSIGNAL);
    int rc = SSL_write(c->ssl, p, (int)n);
    if (rc > 0) return rc;
    if (tls_wait(c, rc)) errno = EAGAIN;
    else errno = EPIPE;
    return -1;
}

/* recv(2) or SSL_read: bytes read, 0 at the server's close, -1 with errno EAGAIN when nothing is left. */
static ssize_t conn_recv(conn *c, char *p, size_t n) {
    if (!c->ssl) return recv(c->fd, p, n, 0);
    int rc = SSL_read(c->ssl, p, (int)n);
    if (rc > 0) return rc;
    int err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) return 0;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    errno = EPROTO;
    return -1;
}

static void flush_out(conn *c) {
    while (c->alive && c->out_off < c->out_len) {
        ssize_t n = conn_send(c, c->out + c->out_off, c->out_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->ssl) set_epoll(c, 1);
            return;
        } else {
            conn_fail(c, n == 0 ? "send returned 0" : strerror(errno));
            return;
        }
    }
    c->out_off = c->out_len = 0;
    if (c->alive) set_epoll(c, 0);
}

/* ---------- reply parsing ---------- */

static void count_reply(conn *c, int64_t t, int ok, int values) {
    if (c->inflight == 0) {
        bad_replies++;
        return;
    }
    req_kind kind = (req_kind)c->kind[c->head];
    int64_t sent = c->sent_ns[c->head];
    c->head = (c->head + 1) % MAX_DEPTH;
    c->inflight--;

    counters *sets[2] = { &total, phase == PHASE_MEASURE ? &measured : NULL };
    for (int i = 0; i < 2; i++) {
        counters *k = sets[i];
        if (!k) continue;
        k->replies++;
        if (!ok) k->error_replies++;
        if (kind == REQ_SET) {
            k->sets++;
            if (ok) k->stored++;
        } else {
            int asked = cfg.mode == MODE_MULTIGET ? cfg.multiget_keys : 1;
            k->gets++;
            k->hits += (uint64_t)values;
            k->misses += (uint64_t)(asked > values ? asked - values : 0);
        }
    }
    if (phase == PHASE_MEASURE) {
        hist_add(&hist, (uint64_t)(t - sent));
        timeline_add(t, (uint64_t)(t - sent));
    }
}

static int line_is(const char *line, size_t len, const char *word) {
    size_t wl = strlen(word);
    return len == wl && memcmp(line, word, wl) == 0;
}

static int line_starts(const char *line, size_t len, const char *prefix) {
    size_t pl = strlen(prefix);
    return len >= pl && memcmp(line, prefix, pl) == 0;
}

/* Parses a run of decimal digits at *p (advancing it); -1 if there is none. */
static long parse_digits(const char **p, const char *end) {
    long v = 0;
    const char *s = *p;
    while (*p < end && **p >= '0' && **p <= '9' && v < MAX_VALUE * 16L) v = v * 10 + (*(*p)++ - '0');
    return *p > s ? v : -1;
}

/* The number in one of our keys ("key:" + 12 digits), or -1. */
static long key_number(const char *key, size_t len) {
    if (len != KEY_LEN || memcmp(key, "key:", 4) != 0) return -1;
    long k = 0;
    for (size_t i = 4; i < len; i++) {
        if (key[i] < '0' || key[i] > '9') return -1;
        k = k * 10 + (key[i] - '0');
    }
    return k;
}

/* "VALUE <key> <flags> <bytes> [<cas>]": returns bytes, or -1 if malformed; *expected is the
 * length this key's value must have. Hand-parsed because sscanf per value would make the
 * generator, not the server, the bottleneck for multi-gets. */
static long value_bytes(const char *line, size_t len, long *expected) {
    const char *p = line + 6, *end = line + len;   /* past "VALUE " */
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp == p) return -1;
    long k = key_number(p, (size_t)(sp - p));
    *expected = k < 0 ? -1 : value_len_for(k);
    p = sp + 1;
    if (parse_digits(&p, end) < 0 || p >= end || *p++ != ' ') return -1;
    long bytes = parse_digits(&p, end);
    if (bytes < 0 || (p < end && *p != ' ')) return -1;
    return bytes;
}

static int expected_kind_is(conn *c, req_kind k) {
    return c->inflight > 0 && c->kind[c->head] == (uint8_t)k;
}

/* One complete reply line outside value data. Returns 0 on a protocol error. */
static int handle_line(conn *c, const char *line, size_t len, int64_t t) {
    if (c->ps == PS_DATA_END) {
        if (len != 0) return 0;                 /* value data was not followed by CRLF */
        c->ps = PS_LINE;
        return 1;
    }
    if (line_starts(line, len, "VALUE ")) {
        if (!expected_kind_is(c, REQ_GET)) return 0;
        long expected;
        long bytes = value_bytes(line, len, &expected);
        if (bytes < 0) return 0;
        if (bytes != expected) bad_replies++;
        c->values_in_reply++;
        c->data_left = bytes;
        c->ps = PS_DATA;
        return 1;
    }
    if (line_is(line, len, "END")) {
        if (!expected_kind_is(c, REQ_GET)) return 0;
        count_reply(c, t, 1, c->values_in_reply);
        c->values_in_reply = 0;
        return 1;
    }
    if (line_is(line, len, "STORED")) {
        if (!expected_kind_is(c, REQ_SET)) return 0;
        count_reply(c, t, 1, 0);
        return 1;
    }
    /* A failed request still ends its reply, so the stream stays in step. */
    if (line_is(line, len, "NOT_STORED") || line_is(line, len, "EXISTS") ||
        line_is(line, len, "NOT_FOUND") || line_is(line, len, "ERROR") ||
        line_starts(line, len, "CLIENT_ERROR") || line_starts(line, len, "SERVER_ERROR")) {
        if (errors_shown++ < MAX_ERRORS_SHOWN)
            fprintf(stderr, "loadgen: error reply: %.*s\n", (int)(len > 200 ? 200 : len), line);
        count_reply(c, t, 0, c->values_in_reply);
        c->values_in_reply = 0;
        return 1;
    }
    return 0;
}

/* Consumes as much of the input as forms whole lines or value data; keeps a partial line. */
static int parse_input(conn *c, int64_t t) {
    while (c->in_off < c->in_len) {
        size_t avail = c->in_len - c->in_off;
        char *p = c->in + c->in_off;
        if (c->ps == PS_DATA) {
            size_t take = avail < (size_t)c->data_left ? avail : (size_t)c->data_left;
            c->in_off += take;
            c->data_left -= (long)take;
            if (c->data_left == 0) c->ps = PS_DATA_END;
            continue;
        }
        char *nl = memchr(p, '\n', avail);
        if (!nl) {
            if (avail > MAX_LINE) return 0;
            break;
        }
        size_t len = (size_t)(nl - p);
        if (len == 0 || p[len - 1] != '\r') return 0;  /* the protocol ends lines with CRLF */
        c->in_off += len + 1;
        if (!handle_line(c, p, len - 1, t)) {
            fprintf(stderr, "loadgen: unexpected reply line: %.*s\n",
                    (int)(len - 1 > 200 ? 200 : len - 1), p);
            return 0;
        }
    }
    /* compact so a reply split across reads continues at the buffer start */
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
    } else if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    return 1;
}

static void on_readable(conn *c) {
    for (;;) {
        ssize_t n = conn_recv(c, c->in + c->in_len, IN_BUF - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
            if (!parse_input(c, now_ns())) {
                bad_replies++;
                conn_fail(c, "protocol error");
                return;
            }
            /* drained what the kernel had (usually); OpenSSL may hold more */
            if ((size_t)n < IN_BUF && !c->ssl) break;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            conn_fail(c, n == 0 ? "server closed the connection" : strerror(errno));
            return;
        }
    }
    top_up(c, now_ns());
    flush_out(c);
}

/* ---------- setup ---------- */

static int is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

static struct addrinfo *resolve(void) {
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg.port);
    int rc = getaddrinfo(cfg.host, port, &hints, &ai);
    if (rc != 0) die("cannot resolve %s: %s", cfg.host, gai_strerror(rc));
    if (!is_loopback(ai->ai_addr)) die("refusing non-loopback target %s", cfg.host);
    return ai;
}

static SSL *tls_new(int fd) {
    SSL *ssl = SSL_new(tls_ctx);
    if (!ssl || !SSL_set_fd(ssl, fd)) die("SSL_new: %s", ERR_error_string(ERR_get_error(), NULL));
    /* the unsent part of a request batch is retried from wherever out_off has moved */
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ssl;
}

/* Blocking connect (and TLS handshake) with a timeout, then non-blocking for the run. */
static void connect_one(conn *c, const struct addrinfo *ai) {
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) die("socket: %s", strerror(errno));
    struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_MS / 1000, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("connect to %s:%d: %s", cfg.host, cfg.port, strerror(errno));
    int one = 1;
    /* Nagle would hold back the next pipelined batch waiting for an ACK */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (cfg.tls) {
        c->ssl = tls_new(fd);
        if (SSL_connect(c->ssl) != 1) die("TLS handshake with %s:%d: %s", cfg.host, cfg.port, ERR_error_string(ERR_get_error(), NULL));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
}

/* ---------- handshake mode: connect, handshake, `version`, close, again ---------- */

static const char VERSION_REQUEST[] = "version\r\n";
static const char VERSION_REPLY[] = "VERSION ";

/* Starts the next cycle on c, or retires it when the run no longer sends. */
static void hs_start(conn *c, int64_t t) {
    if (!sending_allowed()) {
        c->alive = 0;
        return;
    }
    int fd = socket(target->ai_family, target->ai_socktype | SOCK_NONBLOCK, target->ai_protocol);
    if (fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, target->ai_addr, target->ai_addrlen) < 0 && errno != EINPROGRESS)
        die("connect to %s:%d: %s", cfg.host, cfg.port, strerror(errno));
    c->fd = fd;
    c->ssl = tls_new(fd);
    SSL_set_connect_state(c->ssl);
    c->alive = 1;
    c->in_len = 0;
    c->out_len = 0;
    c->want_write = 1;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    push_inflight(c, REQ_GET, t);
}

static void hs_finish(conn *c) {
    count_reply(c, now_ns(), 1, 0);
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    SSL_free(c->ssl);
    c->ssl = NULL;
    close(c->fd);
    hs_start(c, now_ns());
}

/* Moves c's cycle on as far as the socket allows. */
static void hs_step(conn *c) {
    if (!SSL_is_init_finished(c->ssl)) {
        int rc = SSL_do_handshake(c->ssl);
        if (rc != 1) {
            tls_wait(c, rc);
            return;
        }
    }
    if (c->out_len == 0) {
        if (conn_send(c, VERSION_REQUEST, sizeof VERSION_REQUEST - 1) != (ssize_t)(sizeof VERSION_REQUEST - 1)) {
            if (c->alive) conn_fail(c, "could not send the request");
            return;
        }
        c->out_len = sizeof VERSION_REQUEST - 1;
        set_epoll(c, 0);
    }
    for (;;) {
        ssize_t n = conn_recv(c, c->in + c->in_len, MAX_LINE - c->in_len);
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            if (c->alive) conn_fail(c, n == 0 ? "server closed the connection" : "TLS error");
            return;
        }
        c->in_len += (size_t)n;
        char *nl = memchr(c->in, '\n', c->in_len);
        if (!nl && c->in_len < MAX_LINE) continue;
        if (!nl || strncmp(c->in, VERSION_REPLY, sizeof VERSION_REPLY - 1) != 0) {
            bad_replies++;
            conn_fail(c, "not a version reply");
            return;
        }
        hs_finish(c);
        return;
    }
}

static void open_connections(void) {
    struct addrinfo *ai = resolve();
    epfd = epoll_create1(0);
    if (epfd < 0) die("epoll_create1: %s", strerror(errno));
    conns = calloc((size_t)cfg.conns, sizeof *conns);
    size_t max_req = 64 + KEY_LEN + (size_t)cfg.value_max + (size_t)cfg.multiget_keys * (KEY_LEN + 1);
    long per_conn = (cfg.keys + cfg.conns - 1) / cfg.conns;
    target = ai;
    for (int i = 0; i < cfg.conns; i++) {
        conn *c = &conns[i];
        c->in = malloc(IN_BUF);
        if (cfg.mode == MODE_HANDSHAKE) continue; /* started by start_all */
        connect_one(c, ai);
        c->alive = 1;
        c->rng = cfg.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1;
        c->out_cap = max_req * (size_t)cfg.depth;
        c->out = malloc(c->out_cap);
        if (!c->out || !c->in) die("out of memory");
        c->next_preload_key = i * per_conn;
        c->preload_end = c->next_preload_key + per_conn < cfg.keys ? c->next_preload_key + per_conn : cfg.keys;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    }
}

/* ---------- main loop ---------- */

static int live_connections(int *inflight) {
    int live = 0;
    *inflight = 0;
    for (int i = 0; i < cfg.conns; i++) {
        if (!conns[i].alive) continue;
        live++;
        *inflight += conns[i].inflight;
    }
    return live;
}

/* Paced: the time until the earliest connection that may send is due (0: one is due now). */
static int64_t pace_wait_ns(void) {
    int64_t now = now_ns(), wait = (int64_t)EPOLL_TIMEOUT_MS * NS_PER_MS;
    for (int i = 0; i < cfg.conns; i++) {
        conn *c = &conns[i];
        if (!c->alive || c->inflight >= cfg.depth) continue;
        int64_t d = c->next_due_ns - now;
        if (d < wait) wait = d > 0 ? d : 0;
    }
    return wait;
}

/* Paced: sends what has come due on every connection. */
static void send_due(void) {
    if (!sending_allowed()) return;
    int64_t t = now_ns();
    for (int i = 0; i < cfg.conns; i++) {
        conn *c = &conns[i];
        if (!c->alive || c->inflight >= cfg.depth || t < c->next_due_ns) continue;
        top_up(c, t);
        flush_out(c);
    }
}

static int wait_events(struct epoll_event *evs) {
    if (!pace_ns) return epoll_wait(epfd, evs, EPOLL_BATCH, EPOLL_TIMEOUT_MS);
    int64_t w = pace_wait_ns();
    struct timespec ts = { .tv_sec = w / NS_PER_S, .tv_nsec = w % NS_PER_S };
    return epoll_pwait2(epfd, evs, EPOLL_BATCH, &ts, NULL);
}

static void poll_once(void) {
    struct epoll_event evs[EPOLL_BATCH];
    int n = wait_events(evs);
    if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
        conn *c = evs[i].data.ptr;
        if (cfg.mode == MODE_HANDSHAKE) {
            if (c->alive) hs_step(c);
            continue;
        }
        if (c->alive && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
        if (c->alive && (evs[i].events & EPOLLOUT)) flush_out(c);
    }
    if (pace_ns) send_due();
}

static void start_all(void) {
    int64_t t = now_ns();
    if (cfg.rate > 0 && cfg.mode != MODE_PRELOAD && cfg.mode != MODE_HANDSHAKE) {
        pace_ns = (int64_t)((double)cfg.conns * NS_PER_S / cfg.rate);
        if (pace_ns < 1) pace_ns = 1;
        for (int i = 0; i < cfg.conns; i++) conns[i].next_due_ns = t + pace_ns * i / cfg.conns;
    }
    for (int i = 0; i < cfg.conns; i++) {
        if (cfg.mode == MODE_HANDSHAKE) {
            hs_start(&conns[i], t);
            continue;
        }
        top_up(&conns[i], t);
        flush_out(&conns[i]);
    }
}

/* Runs warmup then measurement; returns the measured wall time in seconds. */
static double run_timed(void) {
    int64_t start = now_ns();
    int64_t measure_at = start + (int64_t)(cfg.warmup_s * NS_PER_S);
    int64_t stop_at = measure_at + (int64_t)(cfg.duration_s * NS_PER_S);
    int64_t measure_end = stop_at, drain_until = 0;
    if (cfg.warmup_s > 0) phase = PHASE_WARMUP;
    else start_measuring(start);
    start_all();
    while (phase != PHASE_DONE) {
        poll_once();
        int64_t t = now_ns();
        int inflight;
        int live = live_connections(&inflight);
        if (phase == PHASE_WARMUP && t >= measure_at) start_measuring(t);
        if (phase == PHASE_MEASURE && (t >= stop_at || requests_sent >= cfg.max_requests || live == 0)) {
            phase = PHASE_DRAIN;
            measure_end = t;
            drain_until = t + DRAIN_MS * NS_PER_MS;
        }
        if (phase == PHASE_DRAIN && (inflight == 0 || t >= drain_until)) phase = PHASE_DONE;
    }
    return (double)(measure_end - measure_start_ns) / NS_PER_S;
}

static double run_preload(void) {
    int64_t start = now_ns();
    int64_t give_up = start + (int64_t)(cfg.duration_s * NS_PER_S);
    start_measuring(start);
    start_all();
    for (;;) {
        int inflight;
        int live = live_connections(&inflight);
        if (inflight == 0 || live == 0) break;
        if (now_ns() >= give_up) {
            fprintf(stderr, "loadgen: preload timed out\n");
            failed_connections++;
            break;
        }
        poll_once();
    }
    phase = PHASE_DONE;
    return (double)(now_ns() - start) / NS_PER_S;
}

static const char *mode_name(load_mode m) {
    return m == MODE_MIX ? "mix" : m == MODE_MULTIGET ? "multiget" : m == MODE_PRELOAD ? "preload" : "handshake";
}

static void print_timeline(void) {
    printf(",\"timeline\":{\"interval_ms\":%d,\"start_unix_ms\":%.3f,\"intervals\":[",
           cfg.interval_ms, measure_start_unix_ms);
    for (int i = 0; i <= last_interval; i++) {
        printf("%s{\"replies\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"buckets\":", i ? "," : "",
               intervals[i].count, intervals[i].max_ns);
        print_buckets(&intervals[i]);
        putchar('}');
    }
    printf("]}");
}

static void print_json(double seconds) {
    const counters *k = cfg.mode == MODE_PRELOAD ? &total : &measured;
    double rps = seconds > 0 ? (double)k->replies / seconds : 0;
    int inflight;
    live_connections(&inflight);
    printf("{\"mode\":\"%s\",\"host\":\"%s\",\"port\":%d,\"connections\":%d,\"depth\":%d,"
           "\"rate\":%.1f,\"keys\":%ld,\"value_min\":%d,\"value_max\":%d,\"set_pct\":%d,\"multiget_keys\":%d,"
           "\"seconds\":%.3f,\"requests\":%" PRIu64 ",\"rps\":%.1f,\"keys_per_s\":%.1f,"
           "\"gets\":%" PRIu64 ",\"sets\":%" PRIu64 ",\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ","
           "\"stored\":%" PRIu64 ",\"error_replies\":%" PRIu64 ",\"bad_replies\":%" PRIu64 ","
           "\"failed_connections\":%" PRIu64 ",\"unanswered\":%d,\"all_replies\":%" PRIu64 ","
           "\"latency_ns\":{\"count\":%" PRIu64 ",\"max\":%" PRIu64 ",\"buckets\":",
           mode_name(cfg.mode), cfg.host, cfg.port, cfg.conns, cfg.depth, cfg.rate, cfg.keys, cfg.value_min,
           cfg.value_max, cfg.mode == MODE_MIX ? cfg.set_pct : cfg.mode == MODE_PRELOAD ? 100 : 0,
           cfg.mode == MODE_MULTIGET ? cfg.multiget_keys : 1, seconds, k->replies, rps,
           seconds > 0 ? (double)(k->hits + k->misses + k->sets) / seconds : 0,
           k->gets, k->sets, k->hits, k->misses, k->stored, total.error_replies, bad_replies,
           failed_connections, inflight, total.replies, hist.count, hist.max_ns);
    print_buckets(&hist);
    putchar('}');
    if (intervals) print_timeline();
    printf("}\n");
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen -p PORT [-H host] [-c conns] [-d depth] [-m mix|multiget|preload|handshake]\n"
            "               [-t seconds] [-w warmup_seconds] [-k keys] [-v value_len | -v MIN-MAX]\n"
            "               [-s set_pct] [-g multiget_keys] [-n max_requests] [-S seed] [-i interval_ms] [-T]\n"
            "               [-r requests_per_second]\n");
    exit(1);
}

static long parse_long(const char *s, long lo, long hi, const char *what) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) die("bad %s: %s (expected %ld..%ld)", what, s, lo, hi);
    return v;
}

static double parse_seconds(const char *s, const char *what) {
    char *end;
    double v = strtod(s, &end);
    if (*end || v < 0 || v > 3600) die("bad %s: %s", what, s);
    return v;
}

static double parse_rate(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0) || v > 1e9) die("bad rate: %s (requests per second, > 0)", s);
    return v;
}

static int is_power_of_two(int v) { return v > 0 && (v & (v - 1)) == 0; }

/* "100" (every value 100 bytes) or "32-2048" (the mixed distribution; powers of two). */
static void parse_value_sizes(const char *s) {
    const char *dash = strchr(s, '-');
    if (!dash) {
        cfg.value_min = cfg.value_max = (int)parse_long(s, 0, MAX_VALUE, "value length");
        return;
    }
    char lo[32];
    size_t n = (size_t)(dash - s);
    if (n == 0 || n >= sizeof lo) die("bad value sizes: %s", s);
    memcpy(lo, s, n);
    lo[n] = 0;
    cfg.value_min = (int)parse_long(lo, 1, MAX_VALUE, "smallest value");
    cfg.value_max = (int)parse_long(dash + 1, 1, MAX_VALUE, "largest value");
    if (!is_power_of_two(cfg.value_min) || !is_power_of_two(cfg.value_max) || cfg.value_min >= cfg.value_max)
        die("bad value sizes %s: MIN < MAX, both powers of two", s);
}

static void parse_args(int argc, char **argv) {
    cfg = (config){ .host = "127.0.0.1", .conns = 32, .depth = 1, .set_pct = 10, .multiget_keys = 10,
                    .value_min = 100, .value_max = 100, .keys = 10000, .duration_s = 5, .warmup_s = 1,
                    .max_requests = DEFAULT_MAX_REQUESTS, .seed = 1, .mode = MODE_MIX };
    int opt;
    while ((opt = getopt(argc, argv, "H:p:c:d:m:t:w:k:v:s:g:n:S:i:Tr:")) != -1) {
        switch (opt) {
        case 'H': cfg.host = optarg; break;
        case 'p': cfg.port = (int)parse_long(optarg, 1, 65535, "port"); break;
        case 'c': cfg.conns = (int)parse_long(optarg, 1, MAX_CONNS, "connections"); break;
        case 'd': cfg.depth = (int)parse_long(optarg, 1, MAX_DEPTH, "depth"); break;
        case 't': cfg.duration_s = parse_seconds(optarg, "duration"); cfg.duration_given = 1; break;
        case 'w': cfg.warmup_s = parse_seconds(optarg, "warmup"); break;
        case 'k': cfg.keys = parse_long(optarg, 1, 999999999999L, "keys"); break;
        case 'v': parse_value_sizes(optarg); break;
        case 'i': cfg.interval_ms = (int)parse_long(optarg, 1, 60000, "interval"); break;
        case 's': cfg.set_pct = (int)parse_long(optarg, 0, 100, "set percentage"); break;
        case 'g': cfg.multiget_keys = (int)parse_long(optarg, 1, MAX_MULTIGET, "multiget keys"); break;
        case 'n': cfg.max_requests = (uint64_t)parse_long(optarg, 1, 1L << 62, "max requests"); break;
        case 'S': cfg.seed = (uint64_t)parse_long(optarg, 0, 1L << 62, "seed"); break;
        case 'T': cfg.tls = 1; break;
        case 'r': cfg.rate = parse_rate(optarg); break;
        case 'm':
            if (!strcmp(optarg, "mix")) cfg.mode = MODE_MIX;
            else if (!strcmp(optarg, "multiget")) cfg.mode = MODE_MULTIGET;
            else if (!strcmp(optarg, "preload")) cfg.mode = MODE_PRELOAD;
            else if (!strcmp(optarg, "handshake")) cfg.mode = MODE_HANDSHAKE;
            else usage();
            break;
        default: usage();
        }
    }
    if (cfg.port == 0 || optind != argc) usage();
    if (cfg.mode == MODE_PRELOAD && !cfg.duration_given) cfg.duration_s = PRELOAD_TIMEOUT_S;
    if (cfg.mode == MODE_HANDSHAKE && !cfg.tls) die("-m handshake needs -T");
}

static void tls_init(void) {
    if (!cfg.tls) return;
    tls_ctx = SSL_CTX_new(TLS_client_method());
    if (!tls_ctx) die("SSL_CTX_new: %s", ERR_error_string(ERR_get_error(), NULL));
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
}

/* Enough intervals for the whole measured time and the drain after it. */
static void alloc_timeline(void) {
    if (!cfg.interval_ms) return;
    double ms = cfg.duration_s * 1e3 + DRAIN_MS;
    n_intervals = (int)(ms / cfg.interval_ms) + 1;
    if (n_intervals > MAX_INTERVALS) die("-i %d over %.0f s needs too many intervals", cfg.interval_ms, cfg.duration_s);
    intervals = calloc((size_t)n_intervals, sizeof *intervals);
    if (!intervals) die("out of memory for the timeline");
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    /* printable, recognisable payload: a corrupted value is easy to spot in a packet dump */
    for (int i = 0; i < MAX_VALUE; i++) value_buf[i] = (char)('a' + i % 26);
    alloc_timeline();
    tls_init();
    build_key_table();
    open_connections();
    double seconds = cfg.mode == MODE_PRELOAD ? run_preload() : run_timed();
    print_json(seconds);
    fflush(stdout);
    int unanswered;
    live_connections(&unanswered);
    if (bad_replies > 0 || failed_connections > 0 || total.error_replies > 0 || unanswered > 0) return 2;
    return 0;
}

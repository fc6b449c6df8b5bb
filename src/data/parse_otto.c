/* parse_otto.c: OTTO-style JSON lines, one session per line:
 *   {"session": 12, "events": [{"aid": 5, "ts": 1659304800, "type": "clicks"}, ...]}
 * A small strict JSON scanner: keys in any order, unknown keys (any JSON value) skipped, every
 * event type is an event. "session" and "aid" may be numbers (their text is the id) or strings;
 * a missing "ts" counts as 0 (file order). A bad line is rejected as a whole. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

#define MAX_DEPTH 64

typedef struct {
    const char *s;
    size_t n, i;
    const char *err; /* static text of the first error */
    size_t err_at;
} js;

typedef struct {
    size_t off, len; /* item id in the scratch buffer */
    int64_t ts;
    int32_t frac;
} pending;

typedef struct {
    wr_buf ids;      /* decoded item ids of the line, back to back */
    pending *ev;
    int n, cap;
} line_events;

static int fail(js *j, const char *msg) {
    if (!j->err) {
        j->err = msg;
        j->err_at = j->i;
    }
    return -1;
}

static void ws(js *j) {
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\r' || j->s[j->i] == '\n')) j->i++;
}

static int expect(js *j, char c, const char *msg) {
    ws(j);
    if (j->i >= j->n || j->s[j->i] != c) return fail(j, msg);
    j->i++;
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(wr_buf *b, uint32_t cp) {
    char u[4];
    size_t k;
    if (cp < 0x80) u[0] = (char)cp, k = 1;
    else if (cp < 0x800) u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        u[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
    else
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
    wr__buf_append(b, u, k);
}

static int read_hex4(js *j, uint32_t *out) {
    if (j->i + 4 > j->n) return fail(j, "truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(j->s[j->i + (size_t)k]);
        if (h < 0) return fail(j, "bad \\u escape");
        v = v * 16 + (uint32_t)h;
    }
    j->i += 4;
    *out = v;
    return 0;
}

/* A string at j->i (after whitespace); decoded into out when out != NULL. */
static int string(js *j, wr_buf *out) {
    ws(j);
    if (j->i >= j->n || j->s[j->i] != '"') return fail(j, "expected a string");
    j->i++;
    for (;;) {
        if (j->i >= j->n) return fail(j, "unterminated string");
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == '"') {
            j->i++;
            return 0;
        }
        if (c < 0x20) return fail(j, "control character in a string");
        if (c != '\\') {
            size_t a = j->i;
            while (j->i < j->n && j->s[j->i] != '"' && j->s[j->i] != '\\' && (unsigned char)j->s[j->i] >= 0x20) j->i++;
            if (out) wr__buf_append(out, j->s + a, j->i - a);
            continue;
        }
        j->i++;
        if (j->i >= j->n) return fail(j, "unterminated string");
        char e = j->s[j->i++];
        char lit = 0;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (read_hex4(j, &cp)) return -1;
            if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
                uint32_t lo;
                if (j->i + 2 > j->n || j->s[j->i] != '\\' || j->s[j->i + 1] != 'u')
                    return fail(j, "unpaired surrogate in \\u escape");
                j->i += 2;
                if (read_hex4(j, &lo)) return -1;
                if (lo < 0xDC00 || lo > 0xDFFF) return fail(j, "unpaired surrogate in \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return fail(j, "unpaired surrogate in \\u escape");
            }
            if (out) put_utf8(out, cp);
            continue;
        }
        default:
            j->i--;
            return fail(j, "bad escape in a string");
        }
        if (out) wr__buf_append(out, &lit, 1);
    }
}

/* A JSON number; its text span in *a, *len. */
static int number(js *j, size_t *a, size_t *len) {
    ws(j);
    size_t i = j->i, start = i;
    const char *s = j->s;
    if (i < j->n && s[i] == '-') i++;
    if (i >= j->n || s[i] < '0' || s[i] > '9') return fail(j, "expected a number");
    if (s[i] == '0') i++;
    else while (i < j->n && s[i] >= '0' && s[i] <= '9') i++;
    if (i < j->n && s[i] == '.') {
        i++;
        if (i >= j->n || s[i] < '0' || s[i] > '9') {
            j->i = i;
            return fail(j, "expected a digit after '.'");
        }
        while (i < j->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < j->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < j->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= j->n || s[i] < '0' || s[i] > '9') {
            j->i = i;
            return fail(j, "expected a digit in the exponent");
        }
        while (i < j->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    j->i = i;
    *a = start;
    *len = i - start;
    return 0;
}

static int literal(js *j, const char *word) {
    size_t k = strlen(word);
    if (j->i + k > j->n || memcmp(j->s + j->i, word, k)) return fail(j, "expected a JSON value");
    j->i += k;
    return 0;
}

/* Skips any value (unknown keys). */
static int skip_value(js *j, int depth) {
    if (depth > MAX_DEPTH) return fail(j, "nested too deeply");
    ws(j);
    if (j->i >= j->n) return fail(j, "expected a JSON value");
    char c = j->s[j->i];
    if (c == '"') return string(j, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->i++;
        ws(j);
        if (j->i < j->n && j->s[j->i] == close) {
            j->i++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                if (string(j, NULL) || expect(j, ':', "expected ':'")) return -1;
            }
            if (skip_value(j, depth + 1)) return -1;
            ws(j);
            if (j->i < j->n && j->s[j->i] == ',') {
                j->i++;
                continue;
            }
            return expect(j, close, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == 't') return literal(j, "true");
    if (c == 'f') return literal(j, "false");
    if (c == 'n') return literal(j, "null");
    size_t a, l;
    return number(j, &a, &l);
}

/* An id value: a number (its text) or a string (decoded). Appends to b. */
static int id_value(js *j, wr_buf *b) {
    ws(j);
    if (j->i < j->n && j->s[j->i] == '"') return string(j, b);
    if (j->i < j->n && (j->s[j->i] == '-' || (j->s[j->i] >= '0' && j->s[j->i] <= '9'))) {
        size_t a, l;
        if (number(j, &a, &l)) return -1;
        wr__buf_append(b, j->s + a, l);
        return 0;
    }
    return fail(j, "expected a number or a string as id");
}

/* Object parsing: calls back per key. Returns 0 or -1 (JSON error) or 1 (semantic error set
 * in L->err by the callback). */
static int key_is(const wr_buf *k, const char *s) {
    return k->len == strlen(s) && (k->len == 0 || memcmp(k->data, s, k->len) == 0);
}

typedef struct {
    wr__loader *L;
    int64_t line;
    line_events *le;
    wr_buf key;
    int sem; /* a semantic error was written to L->err */
} ctxo;

static int event_obj(js *j, ctxo *c, int index) {
    if (expect(j, '{', "expected '{' (an event object)")) return -1;
    int have_aid = 0;
    size_t off = c->le->ids.len, len = 0;
    int64_t ts = 0;
    int32_t frac = 0;
    ws(j);
    if (j->i < j->n && j->s[j->i] == '}') {
        j->i++;
    } else {
        for (;;) {
            c->key.len = 0;
            if (string(j, &c->key) || expect(j, ':', "expected ':'")) return -1;
            if (key_is(&c->key, "aid")) {
                c->le->ids.len = off; /* a repeated key replaces the earlier value */
                if (id_value(j, &c->le->ids)) return -1;
                len = c->le->ids.len - off;
                have_aid = 1;
            } else if (key_is(&c->key, "ts")) {
                size_t a, l;
                if (number(j, &a, &l)) return -1;
                int k = wr__parse_ts(j->s + a, l, &ts, &frac);
                if (k) {
                    c->sem = 1;
                    return wr__bad(c->L, c->line, "event %d: \"ts\": %s: %.*s", index,
                                   k == -1 ? "not an integer or decimal number" : "out of range",
                                   (int)(l > 40 ? 40 : l), j->s + a);
                }
            } else if (skip_value(j, 2)) {
                return -1;
            }
            ws(j);
            if (j->i < j->n && j->s[j->i] == ',') {
                j->i++;
                continue;
            }
            if (expect(j, '}', "expected ',' or '}'")) return -1;
            break;
        }
    }
    if (!have_aid) {
        c->sem = 1;
        return wr__bad(c->L, c->line, "event %d: missing \"aid\" (the item id)", index);
    }
    const char *base = c->le->ids.data ? c->le->ids.data : "";
    const char *id = base + (c->le->ids.data ? off : 0);
    wr__trim_id(&id, &len);
    char field[48];
    snprintf(field, sizeof field, "event %d: \"aid\"", index);
    if (wr__check_id(c->L, c->line, field, "item", id, len)) {
        c->sem = 1;
        return -1;
    }
    if (c->le->n == c->le->cap) {
        int cap = c->le->cap ? c->le->cap * 2 : 64;
        pending *p = wr__realloc_array(c->le->ev, (size_t)cap, sizeof(pending));
        if (!p) return -2;
        c->le->ev = p;
        c->le->cap = cap;
    }
    c->le->ev[c->le->n++] = (pending){(size_t)(id - base), len, ts, frac};
    return 0;
}

static int session_line(wr__loader *L, line_events *le, const char *s, size_t n, int64_t line) {
    js j = {s, n, 0, NULL, 0};
    ctxo c = {L, line, le, {0}, 0};
    wr_buf sess = {0};
    int have_session = 0, have_events = 0, rc = 0;
    le->n = 0;
    le->ids.len = 0;
    if (expect(&j, '{', "expected '{'")) goto done;
    ws(&j);
    if (j.i < j.n && j.s[j.i] == '}') {
        j.i++;
    } else {
        for (;;) {
            c.key.len = 0;
            if (string(&j, &c.key) || expect(&j, ':', "expected ':'")) goto done;
            if (key_is(&c.key, "session")) {
                sess.len = 0;
                if (id_value(&j, &sess)) goto done;
                have_session = 1;
            } else if (key_is(&c.key, "events")) {
                le->n = 0;
                le->ids.len = 0;
                have_events = 1;
                if (expect(&j, '[', "expected '[' (the events array)")) goto done;
                ws(&j);
                if (j.i < j.n && j.s[j.i] == ']') {
                    j.i++;
                } else {
                    for (int k = 1;; k++) {
                        int r = event_obj(&j, &c, k);
                        if (r == -2) {
                            rc = wr__oom(L->ctx, "reading events");
                            goto out;
                        }
                        if (r) goto done;
                        ws(&j);
                        if (j.i < j.n && j.s[j.i] == ',') {
                            j.i++;
                            continue;
                        }
                        if (expect(&j, ']', "expected ',' or ']'")) goto done;
                        break;
                    }
                }
            } else if (skip_value(&j, 1)) {
                goto done;
            }
            ws(&j);
            if (j.i < j.n && j.s[j.i] == ',') {
                j.i++;
                continue;
            }
            if (expect(&j, '}', "expected ',' or '}'")) goto done;
            break;
        }
    }
    ws(&j);
    if (j.i < j.n) fail(&j, "unexpected text after the object (one object per line)");
done:
    if (sess.failed || le->ids.failed || c.key.failed) { /* first: what went wrong after it follows from it */
        rc = wr__oom(L->ctx, "reading a session");
        goto out;
    }
    if (c.sem) {
        rc = WR_ERR_PARSE;
        goto out;
    }
    if (j.err) {
        rc = wr__bad(L, line, "invalid JSON at column %zu: %s", j.err_at + 1, j.err);
        goto out;
    }
    if (!have_session) {
        rc = wr__bad(L, line, "missing \"session\" (the session id)");
        goto out;
    }
    if (!have_events) {
        rc = wr__bad(L, line, "missing \"events\" (the array of events)");
        goto out;
    }
    {
        const char *u = sess.data ? sess.data : "";
        size_t un = sess.len;
        wr__trim_id(&u, &un);
        rc = wr__check_id(L, line, "\"session\"", "session", u, un);
        for (int k = 0; rc == WR_OK && k < le->n; k++)
            rc = wr__add_event(L, u, un, le->ids.data + le->ev[k].off, le->ev[k].len, le->ev[k].ts,
                               le->ev[k].frac, NAN, NULL, 0, NULL, 0);
    }
out:
    wr__buf_free(&sess);
    wr__buf_free(&c.key);
    return rc;
}

int wr__parse_otto(wr__loader *L, const char *p, size_t len) {
    wr__lines it = {p, p + len, 0};
    const char *s;
    size_t n;
    line_events le = {{0}, NULL, 0, 0};
    int rc = WR_OK;
    while (rc == WR_OK && wr__next_line(&it, &s, &n)) {
        if (wr__is_blank(s, n)) continue;
        rc = wr__line_done(L, session_line(L, &le, s, n, it.line));
    }
    wr__buf_free(&le.ids);
    free(le.ev);
    return rc;
}

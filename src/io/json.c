/* json.c: strict JSON tokenizer (RFC 8259 grammar, no extensions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "json.h"

typedef struct {
    const char *s;
    size_t len, pos;
    wr_json_tok *toks;
    int n, cap;
    char *err;
    size_t errlen;
    int nomem; /* the failure was an allocation, not the text */
} parser;

static int fail(parser *p, const char *what) {
    snprintf(p->err, p->errlen, "invalid JSON at byte %zu: %s", p->pos, what);
    return -1;
}

static void skip_ws(parser *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int new_tok(parser *p, wr_json_type type, size_t start) {
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 64;
        wr_json_tok *t = wr__realloc_array(p->toks, (size_t)cap, sizeof *t);
        if (!t) {
            p->nomem = 1;
            return -1;
        }
        p->toks = t;
        p->cap = cap;
    }
    wr_json_tok *t = &p->toks[p->n];
    t->type = type;
    t->start = start;
    t->end = start;
    t->size = 0;
    t->skip = p->n + 1;
    return p->n++;
}

static int parse_value(parser *p, int depth);

static int parse_string(parser *p) {
    /* at the opening quote */
    size_t start = ++p->pos;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            int t = new_tok(p, WR_JSON_STR, start);
            if (t < 0) return fail(p, "out of memory");
            p->toks[t].end = p->pos++;
            return t;
        }
        if (c < 0x20) return fail(p, "control character in string");
        if (c == '\\') {
            if (++p->pos >= p->len) break;
            char e = p->s[p->pos];
            if (e == 'u') {
                for (int i = 1; i <= 4; i++) {
                    char h = p->pos + i < p->len ? p->s[p->pos + i] : 0;
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                        return fail(p, "bad \\u escape");
                }
                p->pos += 4;
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return fail(p, "bad escape");
            }
        }
        p->pos++;
    }
    return fail(p, "unterminated string");
}

static int parse_number(parser *p) {
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-') i++;
    if (i < p->len && s[i] == '0') i++;
    else if (i < p->len && s[i] >= '1' && s[i] <= '9') while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    else return fail(p, "expected a value");
    if (i < p->len && s[i] == '.') {
        i++;
        if (!(i < p->len && s[i] >= '0' && s[i] <= '9')) { p->pos = i; return fail(p, "digit expected after '.'"); }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (!(i < p->len && s[i] >= '0' && s[i] <= '9')) { p->pos = i; return fail(p, "digit expected in exponent"); }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    int t = new_tok(p, WR_JSON_NUM, start);
    if (t < 0) return fail(p, "out of memory");
    p->toks[t].end = p->pos = i;
    return t;
}

static int parse_literal(parser *p, const char *word, wr_json_type type) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return fail(p, "expected a value");
    int t = new_tok(p, type, p->pos);
    if (t < 0) return fail(p, "out of memory");
    p->toks[t].end = p->pos += n;
    return t;
}

static int parse_container(parser *p, int depth, int is_obj) {
    if (depth > 64) return fail(p, "nested too deeply");
    int t = new_tok(p, is_obj ? WR_JSON_OBJ : WR_JSON_ARR, p->pos);
    if (t < 0) return fail(p, "out of memory");
    char close = is_obj ? '}' : ']';
    p->pos++;
    skip_ws(p);
    int count = 0;
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (is_obj) {
                if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "expected a string key");
                if (parse_string(p) < 0) return -1;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, "expected ':'");
                p->pos++;
            }
            if (parse_value(p, depth + 1) < 0) return -1;
            count++;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->pos < p->len && p->s[p->pos] == close) { p->pos++; break; }
            return fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    p->toks[t].size = count;
    p->toks[t].end = p->pos;
    p->toks[t].skip = p->n;
    return t;
}

static int parse_value(parser *p, int depth) {
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, "unexpected end of text");
    switch (p->s[p->pos]) {
    case '{': return parse_container(p, depth, 1);
    case '[': return parse_container(p, depth, 0);
    case '"': return parse_string(p);
    case 't': return parse_literal(p, "true", WR_JSON_BOOL);
    case 'f': return parse_literal(p, "false", WR_JSON_BOOL);
    case 'n': return parse_literal(p, "null", WR_JSON_NULL);
    default: return parse_number(p);
    }
}

int wr__json_parse(const char *text, size_t len, wr_json_tok **toks, int *ntok, char *err, size_t errlen) {
    parser p = {text, len, 0, NULL, 0, 0, err, errlen, 0};
    if (parse_value(&p, 0) < 0) {
        free(p.toks);
        return p.nomem ? WR_ERR_NOMEM : -1;
    }
    skip_ws(&p);
    if (p.pos != len) {
        fail(&p, "text after the value");
        free(p.toks);
        return -1;
    }
    *toks = p.toks;
    *ntok = p.n;
    return 0;
}

int wr__json_get(const char *text, const wr_json_tok *toks, int obj, const char *key) {
    if (obj < 0 || toks[obj].type != WR_JSON_OBJ) return -1;
    size_t klen = strlen(key);
    int i = obj + 1;
    for (int k = 0; k < toks[obj].size; k++) {
        const wr_json_tok *kt = &toks[i];
        int v = kt->skip;
        if (kt->end - kt->start == klen && memcmp(text + kt->start, key, klen) == 0) return v;
        i = toks[v].skip;
    }
    return -1;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

static unsigned read_u4(const char *s) {
    return (unsigned)(hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 | hexval(s[3]));
}

char *wr__json_str(const char *text, const wr_json_tok *t) {
    if (t->type != WR_JSON_STR) return NULL;
    size_t n = t->end - t->start;
    char *out = wr__malloc(n + 1), *o = out;
    if (!out) return NULL;
    const char *s = text + t->start, *e = text + t->end;
    while (s < e) {
        if (*s != '\\') { *o++ = *s++; continue; }
        s++;
        char c = *s++;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = read_u4(s);
            s += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (e - s < 6 || s[0] != '\\' || s[1] != 'u') { free(out); return NULL; }
                unsigned lo = read_u4(s + 2);
                if (lo < 0xDC00 || lo >= 0xE000) { free(out); return NULL; }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            } else if (cp >= 0xDC00 && cp < 0xE000) { free(out); return NULL; }
            /* UTF-8 needs at most 4 bytes, and the escape took at least 6: it fits. */
            if (cp < 0x80) *o++ = (char)cp;
            else if (cp < 0x800) { *o++ = (char)(0xC0 | cp >> 6); *o++ = (char)(0x80 | (cp & 63)); }
            else if (cp < 0x10000) { *o++ = (char)(0xE0 | cp >> 12); *o++ = (char)(0x80 | (cp >> 6 & 63)); *o++ = (char)(0x80 | (cp & 63)); }
            else { *o++ = (char)(0xF0 | cp >> 18); *o++ = (char)(0x80 | (cp >> 12 & 63)); *o++ = (char)(0x80 | (cp >> 6 & 63)); *o++ = (char)(0x80 | (cp & 63)); }
            break;
        }
        default: *o++ = c; break;
        }
    }
    *o = 0;
    return out;
}

int wr__json_num(const char *text, const wr_json_tok *t, double *out) {
    if (t->type != WR_JSON_NUM) return -1;
    char buf[64];
    size_t n = t->end - t->start;
    if (n >= sizeof buf) return -1;
    memcpy(buf, text + t->start, n);
    buf[n] = 0;
    *out = strtod(buf, NULL);
    return 0;
}

int wr__json_int(const char *text, const wr_json_tok *t, long long min, long long max, long long *out) {
    if (t->type != WR_JSON_NUM) return -1;
    long long v = 0;
    size_t i = t->start;
    int neg = text[i] == '-';
    if (neg) i++;
    for (; i < t->end; i++) {
        char c = text[i];
        if (c < '0' || c > '9') return -1; /* fractions and exponents are not integers here */
        if (v > (9223372036854775807LL - (c - '0')) / 10) return -1;
        v = v * 10 + (c - '0');
    }
    if (neg) v = -v;
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

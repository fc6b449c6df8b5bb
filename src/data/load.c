/* load.c: wr_data_load (format dispatch, auto-detection, grouping per user in time order), the
 * helpers the parsers share, wr_data_load_titles, the getters and wr__seqs_from_data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* Shared "" for items without a title/category: one pointer instead of n tiny allocations.
 * Never written to; wr_data_free skips it. */
static const char empty_str[1] = "";
#define EMPTY ((char *)empty_str)

static const char *const user_cols[] = {"user", "user_id", "userid", "session", "session_id",
                                        "sessionid", "visitor", "visitorid", NULL};
static const char *const item_cols[] = {"item", "item_id", "itemid", "aid", "movie_id",
                                        "movieid", "product_id", "productid", NULL};

static int name_in(const char *s, size_t n, const char *const *names) {
    for (int i = 0; names[i]; i++) {
        size_t k = strlen(names[i]);
        if (k != n) continue;
        size_t j = 0;
        while (j < n && ((s[j] >= 'A' && s[j] <= 'Z') ? s[j] + 32 : s[j]) == names[i][j]) j++;
        if (j == n) return 1;
    }
    return 0;
}
int wr__is_user_col(const char *s, size_t n) { return name_in(s, n, user_cols); }
int wr__is_item_col(const char *s, size_t n) { return name_in(s, n, item_cols); }

/* ---- small text helpers ---- */

int wr__next_line(wr__lines *it, const char **s, size_t *n) {
    if (it->p >= it->end) return 0;
    const char *start = it->p;
    const char *nl = memchr(start, '\n', (size_t)(it->end - start));
    const char *stop = nl ? nl : it->end;
    it->p = nl ? nl + 1 : it->end;
    it->line++;
    if (stop > start && stop[-1] == '\r') stop--;
    *s = start;
    *n = (size_t)(stop - start);
    return 1;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

int wr__is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_ws(s[i])) return 0;
    return 1;
}

void wr__trim_ws(const char **s, size_t *n) {
    while (*n && is_ws(**s)) (*s)++, (*n)--;
    while (*n && is_ws((*s)[*n - 1])) (*n)--;
}

void wr__trim_id(const char **s, size_t *n) {
    wr__trim_ws(s, n);
    if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"') {
        (*s)++;
        *n -= 2;
        wr__trim_ws(s, n);
    }
}

int wr__parse_rating(const char *s, size_t n, float *out) {
    char num[48];
    if (!n) return -1;
    if (n >= sizeof num) return -2;
    memcpy(num, s, n);
    num[n] = 0;
    char *end;
    double v = strtod(num, &end);
    if (*end || end == num || !isfinite(v) || fabs(v) > 1e30) return -2;
    *out = (float)v;
    return 0;
}

int wr__parse_ts(const char *s, size_t n, int64_t *ip, int32_t *frac) {
    wr__trim_ws(&s, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    int64_t v = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (v > (INT64_MAX - 9) / 10) return -2;
        v = v * 10 + (s[i] - '0');
    }
    int32_t f = 0;
    size_t fdigits = 0;
    if (i < n && s[i] == '.') {
        i++;
        int32_t scale = 100000000;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, fdigits++) {
            f += (s[i] - '0') * scale; /* digits beyond the 9th are ignored */
            scale /= 10;
        }
    }
    if (i != n || digits + fdigits == 0) return -1;
    if (neg) {
        v = -v;
        if (f) { /* floor: -5.25 = -6 + 0.75 */
            v -= 1;
            f = 1000000000 - f;
        }
    }
    *ip = v;
    *frac = f;
    return 0;
}

int wr__bad(wr__loader *L, int64_t line, const char *fmt, ...) {
    int k = snprintf(L->err, sizeof L->err, "%s:%lld: ", L->src, (long long)line);
    if (k < 0 || (size_t)k >= sizeof L->err) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err + k, sizeof L->err - (size_t)k, fmt, ap);
    va_end(ap);
    return WR_ERR_PARSE;
}

int wr__line_done(wr__loader *L, int rc) {
    if (rc == WR_OK) {
        L->lines_ok++;
        return 0;
    }
    if (rc != WR_ERR_PARSE) return rc; /* OOM: the message is already in ctx */
    if (!L->skip_bad) return wr__err(L->ctx, WR_ERR_PARSE, "%s", L->err);
    if (L->d->skipped++ == 0) { /* keep the first reason, cut to the field's size */
        size_t k = strlen(L->err);
        if (k >= sizeof L->d->skip_reason) k = sizeof L->d->skip_reason - 1;
        memcpy(L->d->skip_reason, L->err, k);
        L->d->skip_reason[k] = 0;
    }
    return 0;
}

int wr__check_id(wr__loader *L, int64_t line, const char *field, const char *what, const char *s,
                 size_t n) {
    if (n == 0) return wr__bad(L, line, "%s: empty %s id", field, what);
    if (n > WR_MAX_ID_LEN)
        return wr__bad(L, line, "%s: %s id is %zu bytes, the limit is %d", field, what, n,
                       WR_MAX_ID_LEN);
    if (memchr(s, 0, n)) return wr__bad(L, line, "%s: %s id contains a NUL byte", field, what);
    return WR_OK;
}

/* Keeps the first non-empty title/category of an item. */
static int set_meta(wr__loader *L, char ***arr, int item, const char *s, size_t n) {
    wr__trim_ws(&s, &n);
    if (!n) return 0;
    if (item >= L->meta_cap) {
        int cap = L->meta_cap ? L->meta_cap : 64;
        while (cap <= item) cap *= 2;
        char **t = wr__realloc_array(L->titles, (size_t)cap, sizeof(char *));
        if (!t) return -1;
        memset(t + L->meta_cap, 0, (size_t)(cap - L->meta_cap) * sizeof(char *));
        L->titles = t;
        char **c = wr__realloc_array(L->cats, (size_t)cap, sizeof(char *));
        if (!c) return -1;
        memset(c + L->meta_cap, 0, (size_t)(cap - L->meta_cap) * sizeof(char *));
        L->cats = c;
        L->meta_cap = cap;
    }
    char **a = *arr;
    if (a[item]) return 0;
    a[item] = wr__strndup(s, n);
    return a[item] ? 0 : -1;
}

int wr__add_event(wr__loader *L, const char *user, size_t ulen, const char *item, size_t ilen,
                  int64_t ts, int32_t frac, float rating, const char *title, size_t tlen, const char *cat,
                  size_t clen) {
    int u = wr__vocab_add(&L->d->users, user, ulen);
    int it = u < 0 ? -1 : wr__vocab_add(&L->d->items, item, ilen);
    if (it < 0) return wr__oom(L->ctx, "adding an id");
    if (L->nev == L->evcap) {
        int64_t cap = L->evcap ? L->evcap * 2 : 1024;
        wr__event *e = wr__realloc_array(L->ev, (size_t)cap, sizeof(wr__event));
        if (!e) return wr__oom(L->ctx, "storing events");
        L->ev = e;
        L->evcap = cap;
    }
    L->ev[L->nev] = (wr__event){u, it, ts, frac, rating, L->nev};
    L->nev++;
    /* set_meta grows both arrays, so pass the address of the member after growth */
    if (title && set_meta(L, &L->titles, it, title, tlen) < 0) return wr__oom(L->ctx, "storing titles");
    if (cat && set_meta(L, &L->cats, it, cat, clen) < 0) return wr__oom(L->ctx, "storing categories");
    return WR_OK;
}

/* ---- format detection ---- */

static int is_int_field(const char *s, size_t n) {
    wr__trim_ws(&s, &n);
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int count_ws_tokens(const char *s, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && is_ws(s[i])) i++;
        if (i >= n) break;
        k++;
        while (i < n && !is_ws(s[i])) i++;
    }
    return k;
}

static const char *detect(wr_ctx *ctx, const char *src, const char *p, size_t len, int *rc) {
    wr__lines it = {p, p + len, 0};
    const char *s = NULL, *first = NULL;
    size_t n = 0, first_n = 0;
    int seen = 0, seq_like = 1;
    while (seen < 5 && wr__next_line(&it, &s, &n)) {
        if (wr__is_blank(s, n)) continue;
        if (!seen++) {
            first = s;
            first_n = n;
        }
        if (count_ws_tokens(s, n) != 2) seq_like = 0;
    }
    s = first;
    n = first_n;
    size_t i = 0;
    while (i < n && is_ws(s[i])) i++;
    if (i < n && s[i] == '{') return "otto";
    for (size_t j = 0; j + 1 < n; j++)
        if (s[j] == ':' && s[j + 1] == ':') return "movielens";
    {
        /* u.data: 4 tab-separated fields ending in a numeric rating and timestamp (the ids may
         * be any strings); a header line has words there instead */
        const char *f[4];
        size_t fl[4];
        int fields = 0;
        size_t a = 0;
        for (size_t j = 0; j <= n; j++) {
            if (j == n || s[j] == '\t') {
                if (fields < 4) f[fields] = s + a, fl[fields] = j - a;
                fields++;
                a = j + 1;
            }
        }
        int64_t ip;
        int32_t fr;
        if (fields == 4 && wr__parse_ts(f[2], fl[2], &ip, &fr) == 0 && is_int_field(f[3], fl[3]))
            return "movielens";
    }
    const int has_item = wr__csv_header_has_item(s, n);
    if (has_item < 0) {
        *rc = wr__oom(ctx, "detecting the format");
        return NULL;
    }
    if (has_item) return "csv";
    if (seq_like && !memchr(s, ',', n) && !memchr(s, ';', n)) return "seq";
    /* a header with delimiters but no known item column: let the CSV parser name what it found */
    if (memchr(s, ',', n) || memchr(s, ';', n) || memchr(s, '\t', n)) return "csv";
    char shown[64];
    size_t k = n < 40 ? n : 40;
    size_t o = 0;
    for (size_t j = 0; j < k && o + 1 < sizeof shown; j++)
        shown[o++] = (s[j] >= 0x20 && s[j] < 0x7f) ? s[j] : '?';
    shown[o] = 0;
    *rc = wr__err(ctx, WR_ERR_PARSE,
                  "cannot detect the format of %s: the first line \"%s%s\" is not a CSV/TSV header "
                  "with an item column, a MovieLens line, a \"user item\" pair or a JSON object; "
                  "use --format csv|movielens|seq|otto",
                  src, shown, n > k ? "..." : "");
    return NULL;
}

/* ---- grouping ---- */

static int cmp_event(const void *a, const void *b, void *arg) {
    const wr__event *x = a, *y = b;
    (void)arg;
    if (x->user != y->user) return x->user < y->user ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    if (x->frac != y->frac) return x->frac < y->frac ? -1 : 1;
    return 0;
}

static int finish(wr__loader *L) {
    wr_data *d = L->d;
    if (L->nev == 0) {
        if (d->skipped)
            return wr__err(L->ctx, WR_ERR_PARSE, "%s: every line was bad (%lld skipped); the first: %s",
                           L->src, (long long)d->skipped, d->skip_reason);
        return wr__err(L->ctx, WR_ERR_PARSE, "%s: no events in the file", L->src);
    }
    /* users are numbered by first appearance, so sorting by (user, time) keeps that order;
     * the stable sort keeps file order on equal timestamps */
    if (wr__sort_stable(L->ev, (size_t)L->nev, sizeof(wr__event), cmp_event, NULL) < 0)
        return wr__oom(L->ctx, "sorting events");
    int nu = d->users.n, ni = d->items.n;
    d->user_start = wr__calloc((size_t)nu + 1, sizeof(int64_t));
    d->seq = wr__realloc_array(NULL, (size_t)L->nev, sizeof(int32_t));
    d->ts = wr__realloc_array(NULL, (size_t)L->nev, sizeof(int64_t));
    if (d->rating_col[0]) d->rating = wr__realloc_array(NULL, (size_t)L->nev, sizeof(float));
    if (!d->user_start || !d->seq || !d->ts || (d->rating_col[0] && !d->rating)) return wr__oom(L->ctx, "grouping events");
    if (L->ctx_table && !(d->ctx_row = wr__realloc_array(NULL, (size_t)L->nev, sizeof(int64_t)))) return wr__oom(L->ctx, "grouping events");
    for (int64_t e = 0; e < L->nev; e++) {
        d->seq[e] = L->ev[e].item;
        d->ts[e] = L->ev[e].ts;
        if (d->rating) d->rating[e] = L->ev[e].rating;
        if (d->ctx_row) d->ctx_row[e] = L->ev[e].row;
        d->user_start[L->ev[e].user + 1]++;
    }
    int longest = 0;
    for (int u = 0; u < nu; u++) {
        int64_t c = d->user_start[u + 1];
        if (c > longest) longest = (int)(c > 2 ? 2 : c);
        d->user_start[u + 1] += d->user_start[u];
    }
    d->n_events = L->nev;
    if (longest < 2)
        return wr__err(L->ctx, WR_ERR_PARSE,
                       "%s: every user has a single event; sequential models need at least 2 "
                       "per user (%d users, %lld events; is the user column right?)",
                       L->src, nu, (long long)L->nev);
    if (L->titles || L->cats) {
        d->titles = wr__calloc((size_t)ni, sizeof(char *));
        d->categories = wr__calloc((size_t)ni, sizeof(char *));
        if (!d->titles || !d->categories) return wr__oom(L->ctx, "storing titles");
        for (int i = 0; i < ni; i++) {
            char *t = i < L->meta_cap ? L->titles[i] : NULL;
            char *c = i < L->meta_cap ? L->cats[i] : NULL;
            d->titles[i] = t ? t : EMPTY;
            d->categories[i] = c ? c : EMPTY;
        }
        free(L->titles);
        free(L->cats);
        L->titles = L->cats = NULL;
        L->meta_cap = 0;
    }
    if (L->ctx_table) {
        d->ctx_table = L->ctx_table;
        L->ctx_table = NULL;
        snprintf(d->ctx_src, sizeof d->ctx_src, "%s", L->src);
        return wr__encode_context(d);
    }
    return WR_OK;
}

static void free_meta(char **a, int n) {
    if (!a) return;
    for (int i = 0; i < n; i++)
        if (a[i] != EMPTY) free(a[i]);
    free(a);
}

/* A file that is no text at all (an archive, an image, a spreadsheet) gets one sentence saying
 * so, not a complaint about its first "line": skipping bad lines could not help. Looks at the
 * first 64 KB: a NUL byte, control characters (more than 1% and more than 2), or more than a
 * quarter of bytes that are not UTF-8 (a Latin-1 export, mostly ASCII, still passes). */
static int not_text(wr_ctx *ctx, const char *src, const char *bytes, size_t len) {
    const unsigned char *b = (const unsigned char *)bytes;
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return wr__err(ctx, WR_ERR_PARSE, "%s: this is not a text file of interactions: it is gzip-compressed; unpack it first", src);
    if (len >= 4 && !memcmp(b, "PK\3\4", 4))
        return wr__err(ctx, WR_ERR_PARSE, "%s: this is not a text file of interactions: it is a zip archive (or an .xlsx workbook); "
                       "unpack it, or save the sheet as CSV", src);
    size_t n = len < 65536 ? len : 65536, ctrl = 0, invalid = 0, first = n;
    for (size_t i = 0; i < n && b[i]; i++) {
        unsigned c = b[i];
        size_t k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 3 : 9;
        int bad = k == 9;
        for (size_t j = 1; !bad && j <= k; j++) bad = i + j < n && (b[i + j] & 0xC0) != 0x80; /* cut at 64 KB: fine */
        int control = c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f';
        if ((bad || control) && first == n) first = i;
        ctrl += control;
        invalid += bad;
        if (!bad) i += k;
    }
    for (size_t i = 0; i < n; i++)
        if (!b[i]) {
            first = i;
            ctrl = n;
            break;
        }
    /* text in a legacy encoding (Latin-1) has bytes that are not UTF-8, but no control characters */
    if ((ctrl <= 2 || ctrl * 100 <= n) && invalid * 4 <= n) return WR_OK;
    return wr__err(ctx, WR_ERR_PARSE, "%s: this is not a text file of interactions (byte %zu is 0x%02x%s); the formats are CSV/TSV, "
                   "MovieLens u.data or ratings.dat, \"user item\" lines and OTTO JSON lines, as text",
                   src, first, b[first], b[first] ? "" : ", a NUL");
}

int wr_data_load(wr_ctx *ctx, const char *bytes, size_t len, const char *format,
                 const char *source, int skip_bad, wr_data **out) {
    if (out) *out = NULL;
    if (!ctx || !out) return wr__err(ctx, WR_ERR_ARG, "wr_data_load: ctx and out must not be NULL");
    if (!bytes && len) return wr__err(ctx, WR_ERR_ARG, "wr_data_load: bytes is NULL");
    const char *src = source && *source ? source : "data";
    const char *fmt = format && *format ? format : "auto";
    if (strcmp(fmt, "auto") && strcmp(fmt, "csv") && strcmp(fmt, "movielens") &&
        strcmp(fmt, "seq") && strcmp(fmt, "otto"))
        return wr__err(ctx, WR_ERR_ARG,
                       "unknown data format \"%.64s\"; valid formats: auto, csv, movielens, seq, otto", fmt);
    /* a UTF-8 byte order mark (spreadsheet exports) is not part of the first field */
    if (len >= 3 && (unsigned char)bytes[0] == 0xEF && (unsigned char)bytes[1] == 0xBB &&
        (unsigned char)bytes[2] == 0xBF) {
        bytes += 3;
        len -= 3;
    }
    if (!bytes || wr__is_blank(bytes, len)) return wr__err(ctx, WR_ERR_PARSE, "%s: the file is empty", src);
    int rc = not_text(ctx, src, bytes, len);
    if (rc) return rc;
    if (!strcmp(fmt, "auto")) {
        fmt = detect(ctx, src, bytes, len, &rc);
        if (!fmt) return rc;
    }
    wr_data *d = wr__calloc(1, sizeof *d);
    if (!d) return wr__oom(ctx, "loading data");
    d->ctx = ctx;
    wr__loader L = {.ctx = ctx, .src = src, .skip_bad = skip_bad ? 1 : 0, .d = d};
    if (!strcmp(fmt, "csv")) {
        d->format = "csv";
        rc = wr__parse_csv(&L, bytes, len);
    } else if (!strcmp(fmt, "movielens")) {
        d->format = "movielens";
        rc = wr__parse_movielens(&L, bytes, len);
    } else if (!strcmp(fmt, "seq")) {
        d->format = "seq";
        rc = wr__parse_seq(&L, bytes, len);
    } else {
        d->format = "otto";
        rc = wr__parse_otto(&L, bytes, len);
    }
    if (rc == WR_OK) rc = finish(&L);
    free(L.ev);
    if (L.ctx_table) wr__table_free(L.ctx_table), free(L.ctx_table);
    free_meta(L.titles, L.meta_cap);
    free_meta(L.cats, L.meta_cap);
    if (rc != WR_OK) {
        wr_data_free(d);
        return rc;
    }
    *out = d;
    return WR_OK;
}

void wr_data_free(wr_data *d) {
    if (!d) return;
    free_meta(d->titles, d->items.n);
    free_meta(d->categories, d->items.n);
    wr__vocab_free(&d->items);
    wr__vocab_free(&d->users);
    free(d->user_start);
    free(d->seq);
    free(d->ts);
    free(d->rating);
    free(d->label);
    free(d->ctx_row);
    if (d->ctx_table) wr__table_free(d->ctx_table), free(d->ctx_table);
    wr__features_free(&d->features);
    free(d);
}

/* ---- titles: u.item ("id|title|date|video date|url|19 genre flags") or movies.dat
 * ("id::title::genres"). The category is the first genre: one label per item is what a
 * colour legend or a per-category breakdown needs. ---- */

static const char *const ml100k_genres[19] = {
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western"};

static int set_title(wr_data *d, char **arr, int item, const char *s, size_t n) {
    wr__trim_ws(&s, &n);
    char *t = wr__strndup(s, n);
    if (!t) return -1;
    if (arr[item] != EMPTY) free(arr[item]);
    arr[item] = t;
    return 0;
}

int wr_data_load_titles(wr_data *d, const char *bytes, size_t len, const char *source) {
    if (!d) return WR_ERR_ARG;
    wr_ctx *ctx = d->ctx;
    const char *src = source && *source ? source : "titles";
    if (!bytes && len) return wr__err(ctx, WR_ERR_ARG, "wr_data_load_titles: bytes is NULL");
    if (len >= 3 && (unsigned char)bytes[0] == 0xEF && (unsigned char)bytes[1] == 0xBB &&
        (unsigned char)bytes[2] == 0xBF) {
        bytes += 3;
        len -= 3;
    }
    if (!bytes || wr__is_blank(bytes, len)) return wr__err(ctx, WR_ERR_PARSE, "%s: the file is empty", src);
    int ni = d->items.n;
    if (!d->titles) {
        d->titles = wr__calloc((size_t)ni, sizeof(char *));
        d->categories = wr__calloc((size_t)ni, sizeof(char *));
        if (!d->titles || !d->categories) {
            free(d->titles);
            free(d->categories);
            d->titles = d->categories = NULL;
            return wr__oom(ctx, "storing titles");
        }
        for (int i = 0; i < ni; i++) d->titles[i] = d->categories[i] = EMPTY;
    }
    wr__lines it = {bytes, bytes + len, 0};
    const char *s;
    size_t n;
    int dat = -1; /* decided on the first line: "::" = movies.dat, else u.item */
    while (wr__next_line(&it, &s, &n)) {
        if (wr__is_blank(s, n)) continue;
        const char *f[24];
        size_t fl[24];
        int nf = 0;
        if (dat < 0) {
            dat = 0;
            for (size_t j = 0; j + 1 < n; j++)
                if (s[j] == ':' && s[j + 1] == ':') dat = 1;
        }
        size_t a = 0;
        for (size_t j = 0; j <= n && nf < 24;) {
            int sep = j < n && (dat ? (j + 1 < n && s[j] == ':' && s[j + 1] == ':') : s[j] == '|');
            if (j == n || sep) {
                f[nf] = s + a;
                fl[nf++] = j - a;
                j += dat ? 2 : 1;
                a = j;
                if (j > n) break;
            } else {
                j++;
            }
        }
        if (nf < 2)
            return wr__err(ctx, WR_ERR_PARSE, "%s:%lld: expected %s, found no '%s'", src,
                           (long long)it.line, dat ? "id::title::genres" : "id|title|...",
                           dat ? "::" : "|");
        const char *id = f[0];
        size_t idn = fl[0];
        wr__trim_id(&id, &idn);
        if (idn == 0) return wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field 1 (id): empty item id", src, (long long)it.line);
        if (memchr(id, 0, idn)) return wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field 1 (id): a NUL byte in the id", src, (long long)it.line);
        int item = wr__vocab_find(&d->items, id, idn);
        if (item < 0) continue; /* a movie nobody rated in this file */
        if (set_title(d, d->titles, item, f[1], fl[1]) < 0) return wr__oom(ctx, "storing titles");
        const char *cat = NULL;
        size_t catn = 0;
        if (dat && nf >= 3) {
            cat = f[2];
            catn = fl[2];
            const char *bar = memchr(cat, '|', catn);
            if (bar) catn = (size_t)(bar - cat);
        } else if (!dat && nf == 24) {
            for (int g = 0; g < 19; g++) {
                if (fl[5 + g] == 1 && f[5 + g][0] == '1') {
                    cat = ml100k_genres[g];
                    catn = strlen(cat);
                    break;
                }
            }
        }
        if (cat && set_title(d, d->categories, item, cat, catn) < 0) return wr__oom(ctx, "storing categories");
    }
    return WR_OK;
}

/* ---- getters ---- */

int wr_data_n_users(const wr_data *d) { return d ? d->users.n : 0; }
int wr_data_n_items(const wr_data *d) { return d ? d->items.n : 0; }
int64_t wr_data_n_events(const wr_data *d) { return d ? d->n_events : 0; }
int64_t wr_data_user_length(const wr_data *d, int u) {
    return d && u >= 0 && u < d->users.n ? d->user_start[u + 1] - d->user_start[u] : -1;
}
int64_t wr_data_skipped(const wr_data *d) { return d ? d->skipped : 0; }
const char *wr_data_first_skip_reason(const wr_data *d) { return d ? d->skip_reason : ""; }
const char *wr_data_format(const wr_data *d) { return d && d->format ? d->format : ""; }

const char *wr_data_item_id(const wr_data *d, int item) {
    return d && item >= 0 && item < d->items.n ? d->items.keys[item] : "";
}
int wr_data_n_titled(const wr_data *d) {
    int n = 0;
    for (int i = 0; d && d->titles && i < d->items.n; i++) n += d->titles[i][0] != 0;
    return n;
}
const char *wr_data_item_title(const wr_data *d, int item) {
    return d && d->titles && item >= 0 && item < d->items.n ? d->titles[item] : "";
}
const char *wr_data_item_category(const wr_data *d, int item) {
    return d && d->categories && item >= 0 && item < d->items.n ? d->categories[item] : "";
}
int wr_data_item_index(const wr_data *d, const char *id) {
    if (!d || !id) return -1;
    return wr__vocab_find(&d->items, id, strlen(id));
}

int wr__seqs_from_data(const wr_data *d, int drop_last, wr_seqs *seqs, int32_t **len) {
    if (!d || !seqs || !len || drop_last < 0) return WR_ERR_ARG;
    int nu = d->users.n;
    int32_t *l = wr__calloc((size_t)nu, sizeof(int32_t));
    if (!l) return wr__oom(d->ctx, "building sequences");
    for (int u = 0; u < nu; u++) {
        int64_t c = d->user_start[u + 1] - d->user_start[u];
        /* SASRec's split: users too short to give up drop_last events keep all of them */
        if (drop_last > 0 && c >= 3 && c > drop_last) c -= drop_last;
        l[u] = (int32_t)c;
    }
    seqs->n = nu;
    seqs->n_items = d->items.n;
    seqs->start = d->user_start;
    seqs->len = l;
    seqs->items = d->seq;
    seqs->ts = d->ts;
    seqs->rating = d->rating;
    seqs->label = d->label;
    seqs->ctx_row = d->features.start[2] ? d->ctx_row : NULL;
    seqs->features = d->features.n_fields ? &d->features : NULL;
    *len = l;
    return WR_OK;
}

int wr__seq_context(const wr_seqs *seqs, int64_t k, const int32_t **feat) {
    if (!seqs->ctx_row || !seqs->features || !seqs->features->start[2]) return 0;
    const wr_features *F = seqs->features;
    int64_t r = seqs->ctx_row[k];
    *feat = F->feat[2] + F->start[2][r];
    return (int)(F->start[2][r + 1] - F->start[2][r]);
}

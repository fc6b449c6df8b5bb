/* parse_csv.c: CSV/TSV with a header. The delimiter (tab, comma or semicolon) is taken from the
 * header line; fields may be double-quoted ("a, b", "" for a quote, newlines inside quotes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

static const char *const ts_cols[] = {"timestamp", "ts", "time", "unix_time", NULL};
static const char *const title_cols[] = {"title", "name", "item_name", NULL};
static const char *const cat_cols[] = {"category", "genre", "genres", "cat", NULL};
/* the rating or label column: explicit ratings, or a binary outcome (click, purchase) */
static const char *const rating_cols[] = {"rating", "label", "score", "click", "clicked", NULL};

static int name_is(const char *s, size_t n, const char *const *names) {
    for (int i = 0; names[i]; i++) {
        size_t k = strlen(names[i]), j = 0;
        if (k != n) continue;
        while (j < n && ((s[j] >= 'A' && s[j] <= 'Z') ? s[j] + 32 : s[j]) == names[i][j]) j++;
        if (j == n) return 1;
    }
    return 0;
}

/* One parsed record: field texts (unquoted) back to back in buf. */
typedef struct {
    wr_buf buf;
    size_t *off, *len;
    int n, cap;
} record;

static int rec_push(record *r, size_t off, size_t len) {
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        size_t *o = wr__realloc_array(r->off, (size_t)cap, sizeof(size_t));
        if (!o) return -1;
        r->off = o;
        size_t *l = wr__realloc_array(r->len, (size_t)cap, sizeof(size_t));
        if (!l) return -1;
        r->len = l;
        r->cap = cap;
    }
    r->off[r->n] = off;
    r->len[r->n++] = len;
    return 0;
}

static void rec_free(record *r) {
    wr__buf_free(&r->buf);
    free(r->off);
    free(r->len);
}

static const char *rec_field(const record *r, int i, size_t *n) {
    *n = r->len[i];
    return r->buf.data ? r->buf.data + r->off[i] : "";
}

/* Parses one record starting at *pp; advances *pp past its line end and *line by the newlines
 * consumed. Returns 0, -1 OOM, 1 with a message in msg (bad quoting), or 2 for a quote that is
 * never closed (the caller goes on after the record's first line instead of losing the rest). */
static int read_record(const char **pp, const char *end, char delim, record *r, int64_t *line,
                       char *msg, size_t msglen) {
    const char *p = *pp;
    r->n = 0;
    r->buf.len = 0;
    r->buf.failed = 0;
    int status = 0;
    for (;;) {
        size_t off = r->buf.len;
        const char *q = p;
        while (q < end && (*q == ' ') && delim != ' ') q++;
        if (q < end && *q == '"') {
            /* quoted field */
            p = q + 1;
            for (;;) {
                if (p >= end) {
                    /* only this line is bad: the caller resumes on the next one */
                    snprintf(msg, msglen, "field %d: unterminated quoted field", r->n + 1);
                    *pp = end;
                    return 2;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        wr__buf_append(&r->buf, "\"", 1);
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n') ++*line;
                const char *stop = p + 1;
                while (stop < end && *stop != '"' && *stop != '\n') stop++;
                wr__buf_append(&r->buf, p, (size_t)(stop - p));
                p = stop;
            }
            while (p < end && (*p == ' ' || *p == '\r') && *p != delim) p++;
            if (p < end && *p != delim && *p != '\n') {
                if (!status)
                    snprintf(msg, msglen, "field %d: unexpected character after the closing quote",
                             r->n + 1);
                status = 1;
                while (p < end && *p != delim && *p != '\n') p++;
            }
        } else {
            while (p < end && *p != delim && *p != '\n') p++;
            const char *stop = p;
            if (stop > q && stop[-1] == '\r' && (p >= end || *p == '\n')) stop--;
            wr__buf_append(&r->buf, q, (size_t)(stop - q));
        }
        if (r->buf.failed || rec_push(r, off, r->buf.len - off) < 0) return -1;
        if (p < end && *p == delim) {
            p++;
            continue;
        }
        if (p < end) p++; /* the newline */
        break;
    }
    *pp = p;
    return status;
}

char wr__csv_delim(const char *s, size_t n) {
    size_t tabs = 0, commas = 0, semis = 0;
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') inq = !inq;
        else if (!inq && s[i] == '\t') tabs++;
        else if (!inq && s[i] == ',') commas++;
        else if (!inq && s[i] == ';') semis++;
    }
    if (tabs && tabs >= commas && tabs >= semis) return '\t';
    if (semis > commas) return ';';
    return ',';
}

int wr__csv_header_has_item(const char *s, size_t n) {
    char delim = wr__csv_delim(s, n);
    record r = {0};
    const char *p = s;
    int64_t line = 0;
    char msg[64];
    int found = 0, st = read_record(&p, s + n, delim, &r, &line, msg, sizeof msg);
    if (st < 0) found = -1;
    if (st == 0) {
        for (int i = 0; i < r.n && !found; i++) {
            size_t fl;
            const char *f = rec_field(&r, i, &fl);
            wr__trim_ws(&f, &fl);
            found = wr__is_item_col(f, fl);
        }
    }
    rec_free(&r);
    return found;
}

typedef struct {
    int user, item, ts, title, cat, rating; /* column indices, -1 = absent */
    char uname[40], iname[40], tname[40], rname[40];
    int n_ctx, ctx[WR_MAX_FIELDS];          /* the other columns: each event's context */
} columns;

static void col_name(char *dst, size_t cap, const char *s, size_t n) {
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

static int parse_row(wr__loader *L, const record *r, const columns *c, int64_t line) {
    char field[64];
    size_t un, in, tn = 0, cn = 0;
    int need = c->user > c->item ? c->user : c->item;
    if (c->ts > need) need = c->ts;
    if (r->n <= need) {
        int miss = r->n <= c->user ? c->user : r->n <= c->item ? c->item : c->ts;
        const char *nm = miss == c->user ? c->uname : miss == c->item ? c->iname : c->tname;
        return wr__bad(L, line, "field %d (%s): missing (the line has %d field%s, the header %s)",
                       miss + 1, nm, r->n, r->n == 1 ? "" : "s", "names more");
    }
    const char *u = rec_field(r, c->user, &un), *it = rec_field(r, c->item, &in);
    wr__trim_id(&u, &un);
    wr__trim_id(&it, &in);
    snprintf(field, sizeof field, "field %d (%s)", c->user + 1, c->uname);
    int rc = wr__check_id(L, line, field, "user", u, un);
    if (rc) return rc;
    snprintf(field, sizeof field, "field %d (%s)", c->item + 1, c->iname);
    rc = wr__check_id(L, line, field, "item", it, in);
    if (rc) return rc;
    int64_t ts = 0;
    int32_t frac = 0;
    if (c->ts >= 0) {
        size_t n;
        const char *t = rec_field(r, c->ts, &n);
        wr__trim_id(&t, &n);
        if (!n) return wr__bad(L, line, "field %d (%s): empty timestamp", c->ts + 1, c->tname);
        int k = wr__parse_ts(t, n, &ts, &frac);
        if (k)
            return wr__bad(L, line, "field %d (%s): %s: \"%.*s\"", c->ts + 1, c->tname,
                           k == -1 ? "not a number" : "out of range", (int)(n > 40 ? 40 : n), t);
    }
    float rating = NAN;
    if (c->rating >= 0) {
        size_t n = 0;
        const char *t = c->rating < r->n ? rec_field(r, c->rating, &n) : "";
        wr__trim_id(&t, &n);
        int k = wr__parse_rating(t, n, &rating);
        if (k)
            return wr__bad(L, line, "field %d (%s): %s: \"%.*s\"", c->rating + 1, c->rname,
                           k == -1 ? "empty rating" : "not a number", (int)(n > 40 ? 40 : n), t);
    }
    const char *title = NULL, *cat = NULL;
    if (c->title >= 0) title = c->title < r->n ? rec_field(r, c->title, &tn) : "";
    if (c->cat >= 0) cat = c->cat < r->n ? rec_field(r, c->cat, &cn) : "";
    char at[24]; /* the context row's first cell: its line, for messages */
    const char *cells[WR_MAX_FIELDS + 1] = {at};
    size_t lens[WR_MAX_FIELDS + 1] = {c->n_ctx ? (size_t)snprintf(at, sizeof at, "%lld", (long long)line) : 0};
    for (int j = 0; j < c->n_ctx; j++) {
        cells[j + 1] = c->ctx[j] < r->n ? rec_field(r, c->ctx[j], &lens[j + 1]) : "";
        wr__trim_id(&cells[j + 1], &lens[j + 1]);
        if (memchr(cells[j + 1], 0, lens[j + 1])) return wr__bad(L, line, "field %d (%s): a NUL byte", c->ctx[j] + 1, L->ctx_table->name[j]);
    }
    rc = wr__add_event(L, u, un, it, in, ts, frac, rating, title, tn, cat, cn);
    if (rc == WR_OK && c->n_ctx && wr__table_add(L->ctx_table, cells, lens) < 0) rc = wr__oom(L->ctx, "storing the context columns");
    return rc;
}

int wr__parse_csv(wr__loader *L, const char *p, size_t len) {
    const char *end = p + len;
    int64_t line = 0;
    /* the header is the first non-blank line */
    wr__lines it = {p, end, 0};
    const char *s = NULL;
    size_t n = 0;
    while (wr__next_line(&it, &s, &n) && wr__is_blank(s, n)) {
    }
    line = it.line - 1;
    p = s;
    char delim = wr__csv_delim(s, n);
    record r = {0};
    char msg[WR_ERR_MSG_MAX];
    columns c = {-1, -1, -1, -1, -1, -1, "", "", "", "", 0, {0}};
    int64_t hline = line + 1;
    int st = read_record(&p, end, delim, &r, &line, msg, sizeof msg);
    line++;
    if (st < 0) {
        rec_free(&r);
        return wr__oom(L->ctx, "reading the header");
    }
    if (st > 0) {
        rec_free(&r);
        return wr__err(L->ctx, WR_ERR_PARSE, "%s:%lld: header: %s", L->src, (long long)hline, msg);
    }
    for (int i = 0; i < r.n; i++) {
        size_t fl;
        const char *f = rec_field(&r, i, &fl);
        wr__trim_ws(&f, &fl);
        if (c.user < 0 && wr__is_user_col(f, fl)) c.user = i, col_name(c.uname, sizeof c.uname, f, fl);
        else if (c.item < 0 && wr__is_item_col(f, fl)) c.item = i, col_name(c.iname, sizeof c.iname, f, fl);
        else if (c.ts < 0 && name_is(f, fl, ts_cols)) c.ts = i, col_name(c.tname, sizeof c.tname, f, fl);
        else if (c.title < 0 && name_is(f, fl, title_cols)) c.title = i;
        else if (c.cat < 0 && name_is(f, fl, cat_cols)) c.cat = i;
        else if (c.rating < 0 && name_is(f, fl, rating_cols)) c.rating = i, col_name(c.rname, sizeof c.rname, f, fl);
        else if (!name_is(f, fl, rating_cols) && fl && c.n_ctx < WR_MAX_FIELDS) c.ctx[c.n_ctx++] = i; /* a second outcome column is no context */
    }
    const char *dname = delim == '\t' ? "tab" : delim == ';' ? "semicolon" : "comma";
    int rc = WR_OK;
    if (c.item < 0 || c.user < 0) {
        char found[12 * 34 + 8] = "nothing"; /* the first 12 column names, each cut to 30 bytes */
        size_t o = 0;
        for (int i = 0; i < r.n && i <= 12; i++) {
            size_t fl;
            const char *f = rec_field(&r, i, &fl);
            wr__trim_ws(&f, &fl);
            o += (size_t)snprintf(found + o, sizeof found - o, i == 12 ? ", ..." : "%s\"%.*s\"", i ? ", " : "", (int)(fl > 30 ? 30 : fl), f);
        }
        rc = wr__err(L->ctx, WR_ERR_PARSE,
                     "%s:%lld: the header has no %s column (found %s, %s-separated); expected one "
                     "of %s; the file needs a header line naming its columns",
                     L->src, (long long)hline, c.item < 0 ? "item" : "user/session",
                     found, dname,
                     c.item < 0 ? "item, item_id, itemid, aid, movie_id, movieid, product_id, productid"
                                : "user, user_id, userid, session, session_id, sessionid, visitor, visitorid");
    }
    if (c.rating >= 0) snprintf(L->d->rating_col, sizeof L->d->rating_col, "%s", c.rname);
    if (rc == WR_OK && c.n_ctx) {
        if (!(L->ctx_table = wr__calloc(1, sizeof *L->ctx_table))) rc = wr__oom(L->ctx, "reading the header");
        for (int j = 0; rc == WR_OK && j < c.n_ctx; j++) {
            size_t fl;
            const char *f = rec_field(&r, c.ctx[j], &fl);
            wr__trim_ws(&f, &fl);
            snprintf(L->ctx_table->name[j], sizeof L->ctx_table->name[j], "%.*s", (int)(fl > 31 ? 31 : fl), f);
        }
        if (rc == WR_OK) L->ctx_table->ncol = c.n_ctx;
    }
    while (rc == WR_OK && p < end) {
        /* blank lines are skipped silently */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (wr__is_blank(p, (size_t)(le - p))) {
            line++;
            p = nl ? nl + 1 : end;
            continue;
        }
        int64_t rline = line + 1;
        const char *rstart = p;
        st = read_record(&p, end, delim, &r, &line, msg, sizeof msg);
        line++;
        if (st == 2) {
            const char *nl1 = memchr(rstart, '\n', (size_t)(end - rstart));
            p = nl1 ? nl1 + 1 : end;
            line = rline;
        }
        if (st < 0) {
            rc = wr__oom(L->ctx, "reading a line");
            break;
        }
        int lrc = st > 0 ? wr__bad(L, rline, "%s", msg) : parse_row(L, &r, &c, rline);
        rc = wr__line_done(L, lrc);
    }
    rec_free(&r);
    return rc;
}

int wr__parse_csv_table(wr_ctx *ctx, const char *src, const char *p, size_t len, int users, wr__table *t) {
    const char *end = p + len;
    wr__lines it = {p, end, 0};
    const char *s = NULL;
    size_t n = 0;
    while (wr__next_line(&it, &s, &n) && wr__is_blank(s, n)) {
    }
    int64_t line = it.line - 1;
    p = s;
    char delim = wr__csv_delim(s, n);
    record r = {0};
    char msg[WR_ERR_MSG_MAX];
    int st = read_record(&p, end, delim, &r, &line, msg, sizeof msg), rc = WR_OK, idcol = -1;
    line++;
    int64_t hline = line;
    int col_of[WR_MAX_FIELDS];
    if (st < 0) rc = wr__oom(ctx, "reading the header");
    else if (st > 0) rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: header: %s", src, (long long)hline, msg);
    for (int i = 0; rc == WR_OK && i < r.n; i++) {
        size_t fl;
        const char *f = rec_field(&r, i, &fl);
        wr__trim_ws(&f, &fl);
        if (idcol < 0 && ((users ? wr__is_user_col(f, fl) : wr__is_item_col(f, fl)) || (fl == 2 && (f[0] | 32) == 'i' && (f[1] | 32) == 'd'))) {
            idcol = i;
        } else if (t->ncol == WR_MAX_FIELDS) {
            rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: header: more than %d feature columns", src, (long long)hline, WR_MAX_FIELDS);
        } else {
            col_of[t->ncol] = i;
            snprintf(t->name[t->ncol++], sizeof t->name[0], "%.*s", (int)(fl > 31 ? 31 : fl), f);
        }
    }
    if (rc == WR_OK && idcol < 0)
        rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: the header has no %s id column (%s, or id)", src, (long long)hline, users ? "user" : "item",
                     users ? "user, user_id, session, ..." : "item, item_id, movie_id, product_id, ...");
    while (rc == WR_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (wr__is_blank(p, (size_t)((nl ? nl : end) - p))) {
            line++;
            p = nl ? nl + 1 : end;
            continue;
        }
        int64_t rline = line + 1;
        st = read_record(&p, end, delim, &r, &line, msg, sizeof msg);
        line++;
        if (st < 0) rc = wr__oom(ctx, "reading a line");
        else if (st > 0) rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: %s", src, (long long)rline, msg);
        if (rc) break;
        const char *cells[WR_MAX_FIELDS + 1];
        size_t lens[WR_MAX_FIELDS + 1];
        if (idcol >= r.n) {
            rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field %d (id): missing", src, (long long)rline, idcol + 1);
            break;
        }
        cells[0] = rec_field(&r, idcol, &lens[0]);
        wr__trim_id(&cells[0], &lens[0]);
        if (!lens[0] || lens[0] > WR_MAX_ID_LEN || memchr(cells[0], 0, lens[0])) {
            rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field %d (id): %s", src, (long long)rline, idcol + 1, lens[0] ? "not a valid id" : "empty id");
            break;
        }
        for (int c = 0; c < t->ncol; c++) {
            if (col_of[c] < r.n) cells[c + 1] = rec_field(&r, col_of[c], &lens[c + 1]);
            else cells[c + 1] = "", lens[c + 1] = 0;
            if (memchr(cells[c + 1], 0, lens[c + 1])) {
                rc = wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field %d (%s): a NUL byte", src, (long long)rline, col_of[c] + 1, t->name[c]);
                break;
            }
        }
        if (rc == WR_OK && wr__table_add(t, cells, lens) < 0) rc = wr__oom(ctx, "reading a side table");
    }
    rec_free(&r);
    return rc;
}

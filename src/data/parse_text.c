/* parse_text.c: MovieLens u.data ("user\titem\trating\ttimestamp") and ratings.dat
 * ("user::item::rating::timestamp"), and "seq" ("user item" per line, in time order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

static int has_dcolon(const char *s, size_t n) {
    for (size_t j = 0; j + 1 < n; j++)
        if (s[j] == ':' && s[j + 1] == ':') return 1;
    return 0;
}

static int ml_line(wr__loader *L, const char *s, size_t n, int dat, int64_t line) {
    const char *f[4];
    size_t fl[4];
    int nf = 0;
    size_t a = 0;
    for (size_t j = 0; j <= n;) {
        int sep = j < n && (dat ? (j + 1 < n && s[j] == ':' && s[j + 1] == ':') : s[j] == '\t');
        if (j == n || sep) {
            if (nf < 4) {
                f[nf] = s + a;
                fl[nf] = j - a;
            }
            nf++;
            j += dat ? 2 : 1;
            a = j;
        } else {
            j++;
        }
    }
    if (nf != 4) {
        if (dat)
            return wr__bad(L, line, "expected 4 '::'-separated fields (user::item::rating::timestamp), found %d", nf);
        return wr__bad(L, line, "expected 4 tab-separated fields (user, item, rating, timestamp), found %d", nf);
    }
    for (int i = 0; i < 4; i++) wr__trim_id(&f[i], &fl[i]);
    int rc = wr__check_id(L, line, "field 1 (user)", "user", f[0], fl[0]);
    if (!rc) rc = wr__check_id(L, line, "field 2 (item)", "item", f[1], fl[1]);
    if (rc) return rc;
    /* the rating: a finite number (1-5 in MovieLens, halves in later releases) */
    float rating;
    if (wr__parse_rating(f[2], fl[2], &rating))
        return wr__bad(L, line, "field 3 (rating): %s: \"%.*s\"", fl[2] ? "not a number" : "empty rating",
                       (int)(fl[2] > 40 ? 40 : fl[2]), f[2]);
    int64_t ts;
    int32_t frac;
    if (!fl[3]) return wr__bad(L, line, "field 4 (timestamp): empty timestamp");
    int k = wr__parse_ts(f[3], fl[3], &ts, &frac);
    if (k)
        return wr__bad(L, line, "field 4 (timestamp): %s: \"%.*s\"", k == -1 ? "not a number" : "out of range",
                       (int)(fl[3] > 40 ? 40 : fl[3]), f[3]);
    return wr__add_event(L, f[0], fl[0], f[1], fl[1], ts, frac, rating, NULL, 0, NULL, 0);
}

int wr__parse_movielens(wr__loader *L, const char *p, size_t len) {
    strcpy(L->d->rating_col, "rating");
    wr__lines it = {p, p + len, 0};
    const char *s;
    size_t n;
    int dat = -1; /* decided per file on its first line */
    while (wr__next_line(&it, &s, &n)) {
        if (wr__is_blank(s, n)) continue;
        if (dat < 0) dat = has_dcolon(s, n);
        int rc = wr__line_done(L, ml_line(L, s, n, dat, it.line));
        if (rc) return rc;
    }
    return WR_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

int wr__parse_seq(wr__loader *L, const char *p, size_t len) {
    wr__lines it = {p, p + len, 0};
    const char *s;
    size_t n;
    int first = 1;
    while (wr__next_line(&it, &s, &n)) {
        if (wr__is_blank(s, n)) continue;
        const char *tok[2] = {0};
        size_t tl[2] = {0};
        int nt = 0;
        for (size_t i = 0; i < n;) {
            while (i < n && is_space(s[i])) i++;
            if (i >= n) break;
            size_t a = i;
            while (i < n && !is_space(s[i])) i++;
            if (nt < 2) {
                tok[nt] = s + a;
                tl[nt] = i - a;
            }
            nt++;
        }
        int rc;
        if (nt != 2) {
            rc = wr__bad(L, it.line, "expected 2 whitespace-separated fields (user item), found %d", nt);
        } else {
            wr__trim_id(&tok[0], &tl[0]);
            wr__trim_id(&tok[1], &tl[1]);
            /* a "user item" header line is tolerated, not read as an event */
            if (first && wr__is_user_col(tok[0], tl[0]) && wr__is_item_col(tok[1], tl[1])) {
                first = 0;
                continue;
            }
            rc = wr__check_id(L, it.line, "field 1 (user)", "user", tok[0], tl[0]);
            if (!rc) rc = wr__check_id(L, it.line, "field 2 (item)", "item", tok[1], tl[1]);
            /* no timestamps: line order is time order, and the stable sort keeps it */
            if (!rc) rc = wr__add_event(L, tok[0], tl[0], tok[1], tl[1], 0, 0, NAN, NULL, 0, NULL, 0);
        }
        first = 0;
        rc = wr__line_done(L, rc);
        if (rc) return rc;
    }
    return WR_OK;
}

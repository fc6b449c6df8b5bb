/* side.c: side tables of user and item features (--users, --items). Formats: MovieLens u.user
 * ("id|age|gender|occupation|zip"), users.dat ("id::gender::age::occupation::zip"), u.item
 * ("id|title|date|video date|url|19 genre flags": every genre, and the release year), movies.dat
 * ("id::title (year)::genre|genre"), or CSV/TSV with a header whose id column is named like the
 * data's (user, item, ..., or id). Every value becomes a feature "user.<column>=<value>":
 *   - multi-valued: genres, and any column with '|' in a value: one feature per listed value;
 *   - numeric: every value a number and more than 20 distinct ones (age, year): bucketed into
 *     10 quantile buckets over the table ("q0".."q9"), so FM and LR treat them like categories;
 *   - categorical: anything else (gender, occupation, zip, codes with few values).
 * Rows whose id the data lacks are ignored (and counted); ids without a row get no features. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

static const char *const ml_genres[19] = {
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western"};

int wr__table_add(wr__table *t, const char *const *cells, const size_t *lens) {
    if (t->nrow == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 256;
        size_t *o = wr__realloc_array(t->off, (size_t)cap * (size_t)(t->ncol + 1), sizeof *o);
        if (!o) return -1;
        t->off = o, t->cap = cap;
    }
    for (int c = 0; c <= t->ncol; c++) {
        t->off[t->nrow * (t->ncol + 1) + c] = t->text.len;
        wr__buf_append(&t->text, cells[c], lens[c]);
        wr__buf_append(&t->text, "", 1);
    }
    if (t->text.failed) return -1;
    t->nrow++;
    return 0;
}

static const char *cell(const wr__table *t, int64_t r, int c) { return t->text.data + t->off[r * (t->ncol + 1) + c]; }

/* Splits s (n bytes) on sep ("|" or "::") into at most max fields. */
static int split(const char *s, size_t n, const char *sep, const char **f, size_t *fl, int max) {
    size_t k = strlen(sep), a = 0;
    int nf = 0;
    for (size_t j = 0; j <= n;) {
        if (j == n || (j + k <= n && !memcmp(s + j, sep, k))) {
            if (nf < max) f[nf] = s + a, fl[nf] = j - a;
            nf++;
            j += k;
            a = j;
            if (j > n) break;
        } else {
            j++;
        }
    }
    return nf;
}

/* The MovieLens side files, by their first line; 0 = not MovieLens (CSV), else rows added. */
static int parse_movielens(wr_ctx *ctx, const char *src, const char *p, size_t len, int users, wr__table *t, int *is_ml) {
    wr__lines it = {p, p + len, 0};
    const char *s;
    size_t n;
    *is_ml = 0;
    int dat = -1;
    while (wr__next_line(&it, &s, &n)) {
        if (wr__is_blank(s, n)) continue;
        const char *f[26];
        size_t fl[26];
        if (dat < 0) { /* the first line decides */
            int nd = split(s, n, "::", f, fl, 26), np = split(s, n, "|", f, fl, 26);
            if (users && (nd == 5 || np == 5)) dat = nd == 5;
            else if (!users && (nd == 3 || np == 24)) dat = nd == 3;
            else return WR_OK;
            *is_ml = 1;
            t->ncol = users ? 4 : 2;
            static const char *const ucols[4] = {"age", "gender", "occupation", "zip"}, *icols[2] = {"genre", "year"};
            for (int c = 0; c < t->ncol; c++) snprintf(t->name[c], sizeof t->name[c], "%s", users ? ucols[c] : icols[c]);
            if (!users) t->multi[0] = 1;
        }
        int nf = split(s, n, dat ? "::" : "|", f, fl, 26), want = users ? 5 : dat ? 3 : 24;
        if (nf != want)
            return wr__err(ctx, WR_ERR_PARSE, "%s:%lld: expected %d '%s'-separated fields, found %d", src, (long long)it.line, want, dat ? "::" : "|", nf);
        for (int i = 0; i < nf; i++) wr__trim_ws(&f[i], &fl[i]);
        if (!fl[0]) return wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field 1 (id): empty id", src, (long long)it.line);
        const char *cells[5];
        size_t lens[5];
        char genres[256], year[8];
        cells[0] = f[0], lens[0] = fl[0];
        if (users) { /* u.user: age gender occupation zip; users.dat: gender age occupation zip */
            int order[4] = {1, 2, 3, 4};
            if (dat) order[0] = 2, order[1] = 1;
            for (int c = 0; c < 4; c++) cells[c + 1] = f[order[c]], lens[c + 1] = fl[order[c]];
        } else {
            size_t gl = 0;
            year[0] = 0;
            if (dat) { /* movies.dat: the genres as listed, the year from "Title (1995)" */
                gl = fl[2] < sizeof genres ? fl[2] : sizeof genres - 1;
                memcpy(genres, f[2], gl);
                const char *par = fl[1] >= 6 ? f[1] + fl[1] - 6 : NULL;
                if (par && par[0] == '(' && par[5] == ')') memcpy(year, par + 1, 4), year[4] = 0;
            } else { /* u.item: 19 flags, the year from "01-Jan-1995" */
                for (int g = 0; g < 19; g++)
                    if (fl[5 + g] == 1 && f[5 + g][0] == '1') {
                        size_t k = strlen(ml_genres[g]);
                        if (gl + k + 1 < sizeof genres) {
                            if (gl) genres[gl++] = '|';
                            memcpy(genres + gl, ml_genres[g], k), gl += k;
                        }
                    } else if (!(fl[5 + g] == 1 && f[5 + g][0] == '0')) {
                        return wr__err(ctx, WR_ERR_PARSE, "%s:%lld: field %d (genre %s): expected 0 or 1", src, (long long)it.line, 6 + g, ml_genres[g]);
                    }
                if (fl[2] >= 4) memcpy(year, f[2] + fl[2] - 4, 4), year[4] = 0;
            }
            cells[1] = genres, lens[1] = gl, cells[2] = year, lens[2] = strlen(year);
        }
        if (wr__table_add(t, cells, lens) < 0) return wr__oom(ctx, "reading a side table");
    }
    return WR_OK;
}

static int parse_num(const char *s, double *v) {
    char *end;
    if (!*s) return -1;
    *v = strtod(s, &end);
    return *end || !isfinite(*v) ? -1 : 0;
}

static int cmp_double(const void *a, const void *b, void *arg) {
    (void)arg;
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int add_value(wr_features *F, int field, const char *key, size_t n) {
    int id = wr__vocab_add(&F->values, key, n);
    if (id < 0) return -1;
    if (id >= F->value_cap) {
        int cap = F->value_cap ? 2 * F->value_cap : 256;
        int32_t *vf = wr__realloc_array(F->value_field, (size_t)cap, sizeof *vf);
        if (!vf) return -1;
        F->value_field = vf, F->value_cap = cap;
    }
    F->value_field[id] = field;
    return id;
}

static const char *const kind_names[3] = {"categorical", "multi", "numeric"};
static const char kind_codes[3] = {'c', 'm', 'n'};
static const char *const side_prefix[3] = {"user", "item", "ctx"};
static const char *const side_table[3] = {"user table", "item table", "data's context"};

/* The side of a field name ("user.age" 0, "item.year" 1, "ctx.device" 2), or -1. */
static int side_of(const char *field, size_t n) {
    for (int side = 0; side < 3; side++) {
        size_t k = strlen(side_prefix[side]);
        if (n > k + 1 && !strncmp(field, side_prefix[side], k) && field[k] == '.') return side;
    }
    return -1;
}

static int set_kinds(wr_data *d, const wr_kind_override *kinds, int n, int ctx, const char *what);

/* The override of field among the n of kinds, or NULL. */
static wr_kind_override *find_kind(wr_kind_override *kinds, int n, const char *field) {
    for (int i = 0; i < n; i++)
        if (!strcmp(kinds[i].field, field)) return &kinds[i];
    return NULL;
}

static wr_kind_override *override_of(wr_data *d, const char *field) { return find_kind(d->kinds, d->n_kinds, field); }

/* Every override of the side's table names one of its columns (then marked applied). */
static int check_overrides(wr_data *d, int side, const char *src, const wr__table *t) {
    for (int i = 0; i < d->n_kinds; i++) {
        wr_kind_override *o = &d->kinds[i];
        if (side_of(o->field, strlen(o->field)) != side) continue;
        const char *col = o->field + strlen(side_prefix[side]) + 1;
        int found = 0;
        for (int c = 0; c < t->ncol && !found; c++) found = !strcmp(col, t->name[c]);
        if (!found && !o->from_model) {
            char cols[WR_MAX_FIELDS * 34] = "";
            size_t n = 0;
            for (int c = 0; c < t->ncol && n < sizeof cols; c++) n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s", c ? ", " : "", t->name[c]);
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %s: the %s (%s) has no column \"%s\"; its columns: %s", o->field, side_table[side], src, col,
                           n ? cols : "none");
        }
        o->applied = 1;
    }
    return WR_OK;
}

int wr_data_feature_kinds(wr_data *d, const char *spec) {
    if (!d) return WR_ERR_ARG;
    if (!spec) return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: the spec is NULL");
    wr_kind_override kinds[3 * WR_MAX_FIELDS];
    int n = 0, ctx_kinds = 0, had_ctx = 0;
    for (int i = 0; i < d->n_kinds; i++) had_ctx |= side_of(d->kinds[i].field, strlen(d->kinds[i].field)) == 2;
    for (const char *p = spec; *p;) {
        size_t k = strcspn(p, ","), fl, vl;
        const char *item = p, *eq = memchr(p, '=', k);
        p += k + (p[k] == ',');
        const char *field = item, *kind = eq ? eq + 1 : NULL;
        fl = eq ? (size_t)(eq - item) : k, vl = eq ? k - fl - 1 : 0;
        wr__trim_ws(&field, &fl);
        if (!fl && !eq) continue; /* "a=b," or spaces */
        if (kind) wr__trim_ws(&kind, &vl);
        int side = eq ? side_of(field, fl) : -1;
        if (side < 0)
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds \"%.80s\": \"%.*s\" is not field=kind with the field named user.<column>, item.<column> "
                           "or ctx.<column> (like user.age=categorical; kinds: categorical, multi, numeric)", spec, (int)(k > 60 ? 60 : k), item);
        if (fl >= sizeof kinds[0].field)
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: the field \"%.*s...\" is longer than %d bytes", 40, field, (int)sizeof kinds[0].field - 1);
        int code = -1;
        for (int i = 0; i < 3 && code < 0; i++)
            if (vl == strlen(kind_names[i]) && !strncmp(kind, kind_names[i], vl)) code = i;
        if (code < 0)
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %.*s: unknown kind \"%.*s\" (the kinds: categorical, multi, numeric)", (int)fl, field,
                           (int)(vl > 30 ? 30 : vl), kind);
        if (n == 3 * WR_MAX_FIELDS) return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: more than %d fields", 3 * WR_MAX_FIELDS);
        wr_kind_override *o = &kinds[n];
        *o = (wr_kind_override){.kind = kind_codes[code]};
        snprintf(o->field, sizeof o->field, "%.*s", (int)fl, field);
        if (find_kind(kinds, n, o->field)) return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %s is given twice", o->field);
        if (side < 2 && d->features.start[side])
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %s: the %s is already loaded; set the kinds before loading it", o->field, side_table[side]);
        if (side == 2 && !d->ctx_table)
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %s: the data has no context columns (a CSV's columns besides user, item, time, title, category and rating)", o->field);
        ctx_kinds |= side == 2;
        n++;
    }
    for (int i = 0; i < d->n_kinds; i++)
        if (d->kinds[i].from_model) return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: set them before the model's bucket edges (wr_data_model_buckets)");
    return set_kinds(d, kinds, n, ctx_kinds || had_ctx, "feature kinds");
}

/* d's overrides become kinds (n); when the context's change (ctx), it is encoded again with them,
 * before any side table (so that the features can be numbered afresh), and with the old ones when
 * that fails. */
static int set_kinds(wr_data *d, const wr_kind_override *kinds, int n, int ctx, const char *what) {
    if (ctx && (d->features.start[0] || d->features.start[1]))
        return wr__err(d->ctx, WR_ERR_ARG, "%s: set the context's kinds (ctx.<column>) before loading side tables", what);
    wr_kind_override old[3 * WR_MAX_FIELDS];
    int n_old = d->n_kinds;
    memcpy(old, d->kinds, (size_t)n_old * sizeof old[0]);
    memcpy(d->kinds, kinds, (size_t)n * sizeof kinds[0]);
    d->n_kinds = n;
    if (!ctx) return WR_OK;
    wr__features_free(&d->features);
    int rc = wr__encode_context(d);
    if (rc) {
        char msg[WR_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", wr_last_error(d->ctx));
        memcpy(d->kinds, old, (size_t)n_old * sizeof old[0]);
        d->n_kinds = n_old;
        wr__features_free(&d->features);
        if (wr__encode_context(d) == WR_ERR_NOMEM) return wr__oom(d->ctx, "encoding the context");
        return wr__err(d->ctx, rc, "%s", msg);
    }
    return WR_OK;
}

int wr__data_model_buckets(wr_data *d, const wr_bucket_edges *b, int n, const char *model) {
    wr_kind_override kinds[3 * WR_MAX_FIELDS];
    int nk = d->n_kinds, ctx = 0;
    memcpy(kinds, d->kinds, (size_t)nk * sizeof kinds[0]);
    for (int i = 0; i < n; i++) {
        int side = side_of(b[i].field, strlen(b[i].field));
        wr_kind_override *o = find_kind(kinds, nk, b[i].field);
        if (o && !o->from_model && o->kind != 'n')
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %s=%s, but the %s model was trained with %s numeric", o->field, kind_names[o->kind == 'm'],
                           model, o->field);
        if (side < 2 && d->features.start[side])
            return wr__err(d->ctx, WR_ERR_ARG, "%s: the %s is already loaded; give the model's bucket edges before loading it", b[i].field, side_table[side]);
        if (!o) {
            if (nk == 3 * WR_MAX_FIELDS) return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: more than %d fields", 3 * WR_MAX_FIELDS);
            o = &kinds[nk++];
            *o = (wr_kind_override){.kind = 'n'};
            snprintf(o->field, sizeof o->field, "%s", b[i].field);
        }
        o->from_model = 1;
        memcpy(o->cuts, b[i].cuts, sizeof o->cuts);
        ctx |= side == 2 && d->ctx_table;
    }
    return set_kinds(d, kinds, nk, ctx, "the model's bucket edges");
}

int wr_data_feature_kinds_applied(const wr_data *d) {
    if (!d) return WR_ERR_ARG;
    for (int i = 0; i < d->n_kinds; i++) {
        int side = side_of(d->kinds[i].field, strlen(d->kinds[i].field));
        if (!d->kinds[i].applied && !d->kinds[i].from_model)
            return wr__err(d->ctx, WR_ERR_ARG, "feature kinds: %s: no %s was loaded (--%s FILE)", d->kinds[i].field, side_table[side], side ? "items" : "users");
    }
    return WR_OK;
}

/* Where row r of side's table is, for messages: 'user "7"', 'item "10"', or 'line 12' (the
 * context table keeps each event's line in its first cell). */
static void where(char *buf, size_t cap, int side, const wr__table *t, int64_t r) {
    if (side == 2) snprintf(buf, cap, "line %s", cell(t, r, 0));
    else snprintf(buf, cap, "%s \"%s\"", side_prefix[side], cell(t, r, 0));
}

/* The table's rows into features of side (0 users, 1 items: a row per id; 2 the context: row r
 * is context row r) of d. A context column whose values differ on most events (an order number,
 * a free-text note) is left out unless its kind is set: it has nothing to share between events. */
static int encode(wr_data *d, int side, const char *src, wr__table *t) {
    wr_ctx *ctx = d->ctx;
    wr_features *F = &d->features;
    const char *prefix = side_prefix[side];
    if (F->start[side]) return wr__err(ctx, WR_ERR_ARG, "%s: the data already has %s features", src, prefix);
    if (F->n_fields + t->ncol > 3 * WR_MAX_FIELDS) return wr__err(ctx, WR_ERR_ARG, "%s: more than %d feature columns", src, WR_MAX_FIELDS);
    const wr_vocab *ids = side == 1 ? &d->items : &d->users;
    int64_t n = side == 2 ? t->nrow : ids->n;
    int rc = WR_OK;
    int64_t *row_of = wr__malloc((size_t)n * sizeof *row_of + 1);
    double *vals = wr__malloc((size_t)t->nrow * sizeof *vals + 1), edges[9];
    int64_t *start = wr__calloc((size_t)n + 1, sizeof *start);
    if (!row_of || !vals || !start) {
        free(row_of), free(vals), free(start);
        return wr__oom(ctx, "encoding side features");
    }
    int64_t matched = 0;
    for (int64_t i = 0; i < n; i++) row_of[i] = side == 2 ? i : -1;
    for (int64_t r = 0; side < 2 && r < t->nrow; r++) {
        const char *id = cell(t, r, 0);
        int e = wr__vocab_find(ids, id, strlen(id));
        if (e >= 0 && row_of[e] < 0) row_of[e] = r, matched++;
    }
    /* each column's kind (detected, or set by wr_data_feature_kinds), field (-1: left out) and
     * (numeric) bucket edges; then the features entity by entity */
    char kinds[WR_MAX_FIELDS], who[320];
    int fid[WR_MAX_FIELDS], nf = F->n_fields;
    double cuts[WR_MAX_FIELDS][9];
    wr_buf note = {0};
    rc = check_overrides(d, side, src, t);
    for (int c = 0; rc == WR_OK && c < t->ncol; c++) {
        char field[40];
        snprintf(field, sizeof field, "%s.%s", prefix, t->name[c]);
        wr_kind_override *o = override_of(d, field);
        char forced = o ? o->kind : 0;
        int numeric = forced ? forced == 'n' : !t->multi[c] && !t->categorical[c], nv = 0, any_bar = 0;
        for (int64_t r = 0; r < t->nrow && rc == WR_OK; r++) {
            const char *v = cell(t, r, c + 1);
            any_bar |= strchr(v, '|') != NULL;
            if (!*v || !numeric) continue;
            if (parse_num(v, &vals[nv]) == 0) {
                nv++;
            } else if (forced) {
                where(who, sizeof who, side, t, r);
                rc = wr__err(ctx, WR_ERR_PARSE, o->from_model ? "%s: %s, column %s: \"%.40s\" is not a number (the model was trained with %s numeric)"
                                                             : "%s: %s, column %s: \"%.40s\" is not a number (its kind is set to numeric: %s=numeric)",
                             src, who, t->name[c], v, field);
            } else {
                numeric = 0;
            }
        }
        int distinct = 0;
        if (rc == WR_OK && numeric && nv) {
            if (wr__sort_stable(vals, (size_t)nv, sizeof *vals, cmp_double, NULL) < 0) rc = wr__oom(ctx, "encoding side features");
            for (int i = 0; i < nv; i++) distinct += i == 0 || vals[i] != vals[i - 1];
            for (int q = 0; q < 9; q++) edges[q] = vals[(int64_t)(q + 1) * nv / 10];
            memcpy(cuts[c], edges, sizeof edges);
        }
        if (o && o->from_model) memcpy(cuts[c], o->cuts, sizeof o->cuts); /* the model's buckets, not this table's */
        kinds[c] = forced ? forced : t->multi[c] || any_bar ? 'm' : numeric && distinct > 20 ? 'n' : 'c';
        fid[c] = nf;
        if (rc == WR_OK && side == 2 && !forced && kinds[c] == 'c') { /* near-unique context values: left out */
            wr_vocab seen = {0};
            int64_t r = 0;
            for (; r < t->nrow && seen.n >= 0; r++)
                if (wr__vocab_add(&seen, cell(t, r, c + 1), strlen(cell(t, r, c + 1))) < 0) seen.n = -1;
            int64_t nd = seen.n;
            wr__vocab_free(&seen);
            if (nd < 0) rc = wr__oom(ctx, "encoding the context");
            else if (nd > 100 && 2 * nd > t->nrow) {
                fid[c] = -1;
                wr__buf_printf(&note, "%s%s (a different value on %.0f%% of the events; %s=categorical keeps it)", note.len ? ", " : "left out: ", t->name[c],
                               100.0 * (double)nd / (double)t->nrow, field);
            }
        }
        if (fid[c] >= 0) {
            snprintf(F->field[nf], sizeof F->field[nf], "%s", field);
            if (kinds[c] == 'n') memcpy(F->cuts[nf], cuts[c], sizeof cuts[c]), F->range[nf][0] = nv ? vals[0] : NAN, F->range[nf][1] = nv ? vals[nv - 1] : NAN;
            F->kind[nf++] = kinds[c];
        }
    }
    /* every feature key within the id limit, before any is added: a model file keeps the keys */
    for (int64_t e = 0; rc == WR_OK && e < n; e++)
        for (int c = 0; rc == WR_OK && row_of[e] >= 0 && c < t->ncol; c++)
            for (const char *p = kinds[c] == 'n' || fid[c] < 0 ? "" : cell(t, row_of[e], c + 1); *p;) {
                size_t k = kinds[c] == 'm' ? strcspn(p, "|") : strlen(p), ql = k;
                const char *q = p;
                wr__trim_ws(&q, &ql);
                p += k + (kinds[c] == 'm' && p[k] == '|');
                const char *field = F->field[fid[c]];
                if (strlen(field) + 1 + ql > WR_MAX_ID_LEN) {
                    where(who, sizeof who, side, t, row_of[e]);
                    rc = wr__err(ctx, WR_ERR_PARSE, "%s: %s, column %s: a value of %zu bytes; a feature (%s=value) is at most %d bytes", src, who, t->name[c], ql,
                                 field, WR_MAX_ID_LEN);
                    break;
                }
            }
    wr_buf keys = {0};
    int32_t *feat = NULL;
    int64_t nfeat = 0, cap = 0;
    for (int64_t e = 0; rc == WR_OK && e < n; e++) {
        start[e] = nfeat;
        if (row_of[e] < 0) continue;
        for (int c = 0; rc == WR_OK && c < t->ncol; c++) {
            if (fid[c] < 0) continue;
            const char *v = cell(t, row_of[e], c + 1);
            int f = fid[c];
            for (const char *p = v; *p && rc == WR_OK;) { /* each value of the cell (one unless multi) */
                size_t k = kinds[c] == 'm' ? strcspn(p, "|") : strlen(p);
                const char *q = p;
                size_t ql = k;
                wr__trim_ws(&q, &ql);
                p += k + (kinds[c] == 'm' && p[k] == '|');
                if (!ql) continue;
                keys.len = 0;
                if (kinds[c] == 'n') {
                    double x;
                    int b = 0;
                    if (parse_num(q, &x) == 0)
                        while (b < 9 && x >= cuts[c][b]) b++;
                    wr__buf_printf(&keys, "%s=q%d", F->field[f], b);
                } else {
                    wr__buf_printf(&keys, "%s=%.*s", F->field[f], (int)ql, q);
                }
                int id = keys.failed ? -1 : add_value(F, f, keys.data, keys.len);
                if (id < 0 || (nfeat == cap && !(feat = wr__realloc_array(feat, (size_t)(cap = cap ? 2 * cap : 1024), sizeof *feat)))) {
                    rc = wr__oom(ctx, "encoding side features");
                    break;
                }
                feat[nfeat++] = id;
            }
        }
    }
    start[n] = nfeat;
    wr__buf_free(&keys);
    free(row_of), free(vals);
    if (rc == WR_OK && side == 2) { /* what the context became, for the CLI and the binding */
        wr_buf b = {0};
        for (int f = F->n_fields; f < nf; f++)
            wr__buf_printf(&b, "%s%s (%s)", f > F->n_fields ? ", " : "context: ", F->field[f] + 4,
                           F->kind[f] == 'n' ? "numeric, bucketed" : F->kind[f] == 'm' ? "multi-valued" : "categorical");
        if (note.len) wr__buf_printf(&b, "%s%s", b.len ? "; " : "", note.data);
        if (b.failed) rc = wr__oom(ctx, "encoding the context");
        else snprintf(d->ctx_note, sizeof d->ctx_note, "%s", b.len ? b.data : "");
        wr__buf_free(&b);
    }
    wr__buf_free(&note);
    if (rc) {
        free(start), free(feat);
        return rc;
    }
    F->n_fields = nf;
    F->start[side] = start, F->feat[side] = feat ? feat : wr__malloc(4);
    F->matched[side] = (int)(matched < INT32_MAX ? matched : INT32_MAX);
    return F->feat[side] ? WR_OK : wr__oom(ctx, "encoding side features");
}

int wr__encode_context(wr_data *d) { return d->ctx_table ? encode(d, 2, d->ctx_src, d->ctx_table) : WR_OK; }

void wr__table_free(wr__table *t) {
    free(t->off);
    wr__buf_free(&t->text);
    memset(t, 0, sizeof *t);
}

const char *wr_data_context_note(const wr_data *d) { return d ? d->ctx_note : ""; }

int wr_data_time_context(wr_data *d, const char *spec) {
    if (!d) return WR_ERR_ARG;
    wr_ctx *ctx = d->ctx;
    static const char *const names[2] = {"hour", "weekday"};
    int want[2] = {0, 0};
    for (const char *p = spec ? spec : ""; *p;) {
        size_t k = strcspn(p, ","), n = k;
        const char *w = p;
        p += k + (p[k] == ',');
        wr__trim_ws(&w, &n);
        int found = -1;
        for (int i = 0; i < 2; i++)
            if (n == strlen(names[i]) && !strncmp(w, names[i], n)) found = i;
        if (found < 0) return wr__err(ctx, WR_ERR_ARG, "time context \"%.60s\": \"%.*s\" is not hour or weekday", spec, (int)(n > 30 ? 30 : n), w);
        want[found] = 1;
    }
    if (!want[0] && !want[1]) return WR_OK;
    if (d->features.start[0] || d->features.start[1]) return wr__err(ctx, WR_ERR_ARG, "time context: set it before loading side tables");
    int64_t ne = d->n_events, lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t e = 0; e < ne; e++) lo = d->ts[e] < lo ? d->ts[e] : lo, hi = d->ts[e] > hi ? d->ts[e] : hi;
    if (hi <= 0) return wr__err(ctx, WR_ERR_ARG, "time context: the data has no timestamps (the %s format has none, or every one is 0)", d->format);
    int64_t unit = hi > 100000000000LL ? 1000 : 1; /* milliseconds past the year 5138 in seconds */
    wr__table *old = d->ctx_table, *t = wr__calloc(1, sizeof *t);
    int64_t nrow = old ? old->nrow : ne, *ts_of = wr__malloc((size_t)nrow * sizeof *ts_of + 8), *rows = NULL;
    if (!t || !ts_of) {
        free(t), free(ts_of);
        return wr__oom(ctx, "adding the time context");
    }
    if (!old && !(rows = wr__malloc((size_t)ne * sizeof *rows + 8))) {
        free(t), free(ts_of);
        return wr__oom(ctx, "adding the time context");
    }
    for (int64_t r = 0; r < nrow; r++) ts_of[r] = INT64_MIN; /* a row whose event was dropped */
    for (int64_t e = 0; e < ne; e++) {
        int64_t r = old ? d->ctx_row[e] : e;
        if (rows) rows[e] = e;
        ts_of[r] = d->ts[e];
    }
    int keep = old ? old->ncol : 0, rc = WR_OK;
    for (int c = 0; c < keep; c++) {
        memcpy(t->name[c], old->name[c], sizeof t->name[c]);
        t->multi[c] = old->multi[c], t->categorical[c] = old->categorical[c];
    }
    for (int i = 0; i < 2; i++) {
        int dup = 0;
        for (int c = 0; c < keep; c++) dup |= !strcmp(t->name[c], names[i]);
        if (!want[i]) continue;
        if (dup) rc = wr__err(ctx, WR_ERR_ARG, "time context: the data already has a column named %s", names[i]);
        else if (t->ncol + keep >= WR_MAX_FIELDS) rc = wr__err(ctx, WR_ERR_ARG, "time context: more than %d context columns", WR_MAX_FIELDS);
        else snprintf(t->name[keep + t->ncol], sizeof t->name[0], "%s", names[i]), t->categorical[keep + t->ncol++] = 1;
    }
    t->ncol += keep;
    for (int64_t r = 0; rc == WR_OK && r < nrow; r++) {
        const char *cells[WR_MAX_FIELDS + 1];
        size_t lens[WR_MAX_FIELDS + 1];
        char vals[2][8];
        cells[0] = old ? cell(old, r, 0) : "-", lens[0] = strlen(cells[0]);
        for (int c = 0; c < keep; c++) cells[c + 1] = cell(old, r, c + 1), lens[c + 1] = strlen(cells[c + 1]);
        int64_t secs = ts_of[r] == INT64_MIN ? INT64_MIN : ts_of[r] / unit, days = secs == INT64_MIN ? 0 : (secs >= 0 ? secs / 86400 : (secs - 86399) / 86400);
        for (int i = 0, j = 0; i < 2; i++) {
            if (!want[i]) continue;
            if (secs == INT64_MIN) vals[j][0] = 0;
            else if (i == 0) snprintf(vals[j], sizeof vals[j], "%d", (int)((secs - days * 86400) / 3600));
            else snprintf(vals[j], sizeof vals[j], "%s", (const char *[]){"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}[((days % 7) + 7) % 7]);
            cells[keep + 1 + j] = vals[j], lens[keep + 1 + j] = strlen(vals[j]);
            j++;
        }
        if (wr__table_add(t, cells, lens) < 0) rc = wr__oom(ctx, "adding the time context");
    }
    free(ts_of);
    if (rc) {
        free(rows), wr__table_free(t), free(t);
        return rc;
    }
    /* the context again with the new columns; as it was if that fails */
    int64_t *old_rows = d->ctx_row;
    char old_src[sizeof d->ctx_src];
    memcpy(old_src, d->ctx_src, sizeof old_src);
    if (rows) d->ctx_row = rows, snprintf(d->ctx_src, sizeof d->ctx_src, "%s", "data");
    d->ctx_table = t;
    wr__features_free(&d->features);
    rc = wr__encode_context(d);
    if (rc) {
        d->ctx_table = old, d->ctx_row = old_rows;
        memcpy(d->ctx_src, old_src, sizeof old_src);
        wr__table_free(t), free(t), free(rows);
        wr__features_free(&d->features);
        (void)wr__encode_context(d);
        return rc;
    }
    if (rows) free(old_rows); /* NULL: the data had no context rows */
    if (old) wr__table_free(old), free(old);
    return WR_OK;
}

int wr_data_load_side(wr_data *d, int side, const char *bytes, size_t len, const char *source) {
    if (!d || (side != 0 && side != 1)) return WR_ERR_ARG;
    wr_ctx *ctx = d->ctx;
    const char *src = source && *source ? source : side ? "items" : "users";
    if (!bytes && len) return wr__err(ctx, WR_ERR_ARG, "wr_data_load_side: bytes is NULL");
    if (len >= 3 && (unsigned char)bytes[0] == 0xEF && (unsigned char)bytes[1] == 0xBB && (unsigned char)bytes[2] == 0xBF) bytes += 3, len -= 3;
    if (!bytes || wr__is_blank(bytes, len)) return wr__err(ctx, WR_ERR_PARSE, "%s: the file is empty", src);
    wr__table t = {0};
    int is_ml = 0;
    int rc = parse_movielens(ctx, src, bytes, len, side == 0, &t, &is_ml);
    if (rc == WR_OK && !is_ml) {
        free(t.off), wr__buf_free(&t.text);
        memset(&t, 0, sizeof t);
        rc = wr__parse_csv_table(ctx, src, bytes, len, side == 0, &t);
    }
    if (rc == WR_OK && t.ncol == 0) rc = wr__err(ctx, WR_ERR_PARSE, "%s: no feature columns besides the id", src);
    if (rc == WR_OK) rc = encode(d, side, src, &t);
    wr__table_free(&t);
    return rc;
}

/* Orders (feature, count) pairs: most frequent first, then by key. */
typedef struct {
    const char *key;
    int64_t count;
} value_count;
static int cmp_value_count(const void *a, const void *b, void *unused) {
    const value_count *x = a, *y = b;
    (void)unused;
    return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->key, y->key);
}

int wr_data_fields(const wr_data *d, char **out_json) {
    if (!d || !out_json) return WR_ERR_ARG;
    *out_json = NULL;
    const wr_features *F = &d->features;
    int V = F->values.n;
    int64_t *count = wr__calloc((size_t)V + 1, sizeof *count), rows[3] = {d->users.n, d->items.n, d->n_events};
    value_count *vc = wr__malloc(((size_t)V + 1) * sizeof *vc);
    if (!count || !vc) {
        free(count), free(vc);
        return wr__oom(d->ctx, "describing the features");
    }
    /* how many users, items or events have each feature */
    for (int s = 0; s < 2; s++)
        for (int64_t r = 0; F->start[s] && r < rows[s]; r++)
            for (int64_t k = F->start[s][r]; k < F->start[s][r + 1]; k++) count[F->feat[s][k]]++;
    for (int64_t e = 0; F->start[2] && d->ctx_row && e < d->n_events; e++)
        for (int64_t k = F->start[2][d->ctx_row[e]]; k < F->start[2][d->ctx_row[e] + 1]; k++) count[F->feat[2][k]]++;
    static const char *const kind_json[] = {"categorical", "multi", "numeric"};
    wr_buf b = {0};
    wr__buf_puts(&b, "[");
    for (int f = 0; f < F->n_fields; f++) {
        const char *field = F->field[f];
        int side = !strncmp(field, "user.", 5) ? 0 : !strncmp(field, "item.", 5) ? 1 : 2, n = 0;
        size_t fl = strlen(field);
        for (int v = 0; v < V; v++)
            if (F->value_field[v] == f) vc[n++] = (value_count){F->values.keys[v] + fl + 1, count[v]};
        int numeric = F->kind[f] == 'n';
        if (!numeric && wr__sort_stable(vc, (size_t)n, sizeof *vc, cmp_value_count, NULL) < 0) b.failed = 1;
        if (numeric) /* the buckets in order: q0 .. q9 */
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && atoi(vc[j - 1].key + 1) > atoi(vc[j].key + 1); j--) {
                    value_count t = vc[j];
                    vc[j] = vc[j - 1], vc[j - 1] = t;
                }
        int64_t with = 0;
        if (side < 2)
            for (int64_t r = 0; F->start[side] && r < rows[side]; r++) {
                int any = 0;
                for (int64_t k = F->start[side][r]; k < F->start[side][r + 1] && !any; k++) any = F->value_field[F->feat[side][k]] == f;
                with += any;
            }
        wr__buf_printf(&b, "%s{\"field\":", f ? "," : "");
        wr__buf_json_str(&b, field);
        wr__buf_printf(&b, ",\"side\":\"%s\",\"kind\":\"%s\",\"values\":%d,\"rows\":%lld,\"counts\":[", side == 0 ? "users" : side == 1 ? "items" : "context",
                       kind_json[F->kind[f] == 'm' ? 1 : numeric ? 2 : 0], n, (long long)(side < 2 ? with : d->n_events));
        for (int i = 0; i < n; i++) {
            wr__buf_puts(&b, i ? ",[" : "[");
            wr__buf_json_str(&b, vc[i].key);
            wr__buf_printf(&b, ",%lld]", (long long)vc[i].count);
        }
        wr__buf_puts(&b, "],\"cuts\":");
        if (numeric) {
            for (int q = 0; q < 9; q++) wr__buf_puts(&b, q ? "," : "["), wr__buf_json_num(&b, F->cuts[f][q]);
            wr__buf_puts(&b, "],\"range\":[");
            wr__buf_json_num(&b, F->range[f][0]), wr__buf_puts(&b, ","), wr__buf_json_num(&b, F->range[f][1]);
            wr__buf_puts(&b, "]}");
        } else {
            wr__buf_puts(&b, "null,\"range\":null}");
        }
    }
    wr__buf_puts(&b, "]");
    free(count), free(vc);
    *out_json = wr__buf_take(&b, NULL);
    return *out_json ? WR_OK : wr__oom(d->ctx, "describing the features");
}

int wr_data_side_features(const wr_data *d, int side, char **out_json) {
    if (!d || !out_json) return WR_ERR_ARG;
    *out_json = NULL;
    if (side != 0 && side != 1) return wr__err(d->ctx, WR_ERR_ARG, "wr_data_side_features: side must be 0 (users) or 1 (items), got %d", side);
    const wr_features *F = &d->features;
    const wr_vocab *ids = side ? &d->items : &d->users;
    wr_buf b = {0};
    wr__buf_puts(&b, "{");
    int first = 1;
    for (int r = 0; F->start[side] && r < ids->n; r++) {
        if (F->start[side][r] == F->start[side][r + 1]) continue;
        wr__buf_puts(&b, first ? "" : ","), first = 0;
        wr__buf_json_str(&b, ids->keys[r]);
        wr__buf_puts(&b, ":[");
        for (int64_t k = F->start[side][r]; k < F->start[side][r + 1]; k++) {
            int v = F->feat[side][k];
            const char *field = F->field[F->value_field[v]];
            wr__buf_puts(&b, k > F->start[side][r] ? ",[" : "[");
            wr__buf_json_str(&b, field);
            wr__buf_puts(&b, ",");
            wr__buf_json_str(&b, F->values.keys[v] + strlen(field) + 1);
            wr__buf_puts(&b, "]");
        }
        wr__buf_puts(&b, "]");
    }
    wr__buf_puts(&b, "}");
    *out_json = wr__buf_take(&b, NULL);
    return *out_json ? WR_OK : wr__oom(d->ctx, "listing the side features");
}

int wr_data_side_matched(const wr_data *d, int side) { return d && (side == 0 || side == 1) ? d->features.matched[side] : 0; }
int wr_data_n_features(const wr_data *d) { return d ? d->features.values.n : 0; }

void wr__features_free(wr_features *F) {
    wr__vocab_free(&F->values);
    free(F->value_field);
    for (int s = 0; s < 3; s++) free(F->start[s]), free(F->feat[s]);
    memset(F, 0, sizeof *F);
}

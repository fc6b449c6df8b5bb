/* filter.c: events chosen by a condition on the rating column ("rating>=4"): dropping them
 * (wr_data_drop) or turning the column into a binary label (wr_data_label). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

enum { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ, OP_NE };

typedef struct {
    int op;
    float value;
} condition;

static int holds(const condition *c, float x) {
    switch (c->op) {
    case OP_GE: return x >= c->value;
    case OP_GT: return x > c->value;
    case OP_LE: return x <= c->value;
    case OP_LT: return x < c->value;
    case OP_EQ: return x == c->value;
    default: return x != c->value;
    }
}

static int same_name(const char *a, size_t n, const char *b) {
    if (strlen(b) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((a[i] | 32) != (b[i] | 32)) return 0;
    return 1;
}

/* "<column> <op> <number>": the column is the data's rating column, by its name or as "rating". */
static int parse_condition(const wr_data *d, const char *what, const char *expr, condition *c) {
    if (!expr) return wr__err(d->ctx, WR_ERR_ARG, "%s: no condition given", what);
    const char *s = expr;
    while (*s == ' ') s++;
    const char *name = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_') s++;
    size_t nl = (size_t)(s - name);
    while (*s == ' ') s++;
    static const char *const ops[] = {">=", ">", "<=", "<", "==", "!="};
    int op = -1;
    for (int i = 0; i < 6 && op < 0; i++)
        if (!strncmp(s, ops[i], strlen(ops[i]))) op = i;
    if (!nl || op < 0)
        return wr__err(d->ctx, WR_ERR_ARG, "%s \"%.60s\": expected <column><op><number>, like \"rating>=4\" (operators >=, >, <=, <, ==, !=)", what, expr);
    if (!d->rating)
        return wr__err(d->ctx, WR_ERR_ARG, "%s \"%.60s\": the data has no rating or label column (MovieLens has one; in CSV a column named rating, label, score, click or clicked)", what, expr);
    if (!same_name(name, nl, d->rating_col) && !same_name(name, nl, "rating"))
        return wr__err(d->ctx, WR_ERR_ARG, "%s \"%.60s\": unknown column \"%.*s\" (the data's rating column is \"%s\")", what, expr, (int)nl, name, d->rating_col);
    s += strlen(ops[op]);
    size_t vl = strlen(s);
    wr__trim_ws(&s, &vl);
    if (wr__parse_rating(s, vl, &c->value))
        return wr__err(d->ctx, WR_ERR_ARG, "%s \"%.60s\": \"%.*s\" is not a number", what, expr, (int)(vl > 30 ? 30 : vl), s);
    c->op = op;
    return WR_OK;
}

int wr_data_drop(wr_data *d, const char *expr, int64_t *dropped) {
    if (!d) return WR_ERR_ARG;
    condition c;
    int rc = parse_condition(d, "drop", expr, &c);
    if (rc) return rc;
    int64_t kept = 0;
    for (int u = 0; u < d->users.n; u++) {
        int64_t b = d->user_start[u], e = d->user_start[u + 1];
        d->user_start[u] = kept;
        for (int64_t i = b; i < e; i++) {
            if (holds(&c, d->rating[i])) continue;
            d->seq[kept] = d->seq[i], d->ts[kept] = d->ts[i], d->rating[kept] = d->rating[i];
            if (d->label) d->label[kept] = d->label[i];
            if (d->ctx_row) d->ctx_row[kept] = d->ctx_row[i];
            kept++;
        }
    }
    d->user_start[d->users.n] = kept;
    if (dropped) *dropped = d->n_events - kept;
    d->n_events = kept;
    if (!kept) return wr__err(d->ctx, WR_ERR_ARG, "drop \"%.60s\": every event matches, none is left", expr);
    return WR_OK;
}

int wr_data_label(wr_data *d, const char *expr, int64_t *positives) {
    if (!d) return WR_ERR_ARG;
    condition c;
    int rc = parse_condition(d, "label", expr, &c);
    if (rc) return rc;
    if (!d->label && !(d->label = wr__malloc((size_t)d->n_events + 1))) return wr__oom(d->ctx, "labelling events");
    int64_t pos = 0;
    for (int64_t i = 0; i < d->n_events; i++) pos += d->label[i] = (uint8_t)holds(&c, d->rating[i]);
    snprintf(d->label_expr, sizeof d->label_expr, "%s", expr);
    if (positives) *positives = pos;
    return WR_OK;
}

int wr_data_has_ratings(const wr_data *d) { return d && d->rating; }
int wr_data_has_labels(const wr_data *d) { return d && d->label; }

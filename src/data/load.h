/* load.h: private to src/data: the state shared by the parsers while wr_data_load runs.
 * Parsers validate a whole line first and only then add its events, so a line skipped with
 * skip_bad leaves nothing behind. */
#ifndef WR_DATA_LOAD_H
#define WR_DATA_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

typedef struct {
    int32_t user, item;
    int64_t ts;   /* integer part (floor) of the timestamp */
    int32_t frac; /* fraction in 1e-9 units, so decimal timestamps order correctly */
    float rating; /* the rating or label column; NAN where the format has none */
    int64_t row;  /* its row in the context table (the order events were added) */
} wr__event;

typedef struct {
    wr_ctx *ctx;
    const char *src;
    int skip_bad;
    wr_data *d;
    wr__event *ev;
    int64_t nev, evcap;
    int64_t lines_ok;      /* lines that gave at least a valid record */
    char **titles, **cats; /* per item while loading, grown with the vocabulary; NULL = none yet */
    int meta_cap;
    char err[WR_ERR_MSG_MAX]; /* the message of the current bad line */
    struct wr__table *ctx_table; /* the CSV's extra columns, a row per event added, or NULL */
} wr__loader;

/* A line iterator over bytes: strips "\r\n"/"\n", counts lines from 1. */
typedef struct {
    const char *p, *end;
    int64_t line;
} wr__lines;

int wr__next_line(wr__lines *it, const char **s, size_t *n);
int wr__is_blank(const char *s, size_t n);
/* Trims whitespace, then one pair of surrounding double quotes, then whitespace again. */
void wr__trim_id(const char **s, size_t *n);
void wr__trim_ws(const char **s, size_t *n);
/* Integer or decimal number ("-12", "1659304800.25"); 0, -1 not a number, -2 out of range. */
int wr__parse_ts(const char *s, size_t n, int64_t *ip, int32_t *frac);

/* Formats "<src>:<line>: <message>" as the current bad-line message; returns WR_ERR_PARSE. */
int wr__bad(wr__loader *L, int64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* After a parser step returned rc: a parse error is skipped (counted, first reason kept) when
 * skip_bad is set, else reported. Returns 0 to go on, or the status to return. */
int wr__line_done(wr__loader *L, int rc);
/* Checks an id (already trimmed): not empty, no NUL, at most WR_MAX_ID_LEN bytes. `field` is the
 * prefix like "field 2 (item)", `what` is "item" or "user". */
int wr__check_id(wr__loader *L, int64_t line, const char *field, const char *what, const char *s,
                 size_t n);
/* Adds one event (ids already checked). title/cat may be NULL; rating is NAN when the format has
 * no rating column. Fails only on OOM. */
int wr__add_event(wr__loader *L, const char *user, size_t ulen, const char *item, size_t ilen,
                  int64_t ts, int32_t frac, float rating, const char *title, size_t tlen, const char *cat,
                  size_t clen);
/* A rating or label field: a finite number ("4", "3.5", "1"); 0, or -1 empty, -2 not a number. */
int wr__parse_rating(const char *s, size_t n, float *out);

/* Header column names. */
int wr__is_user_col(const char *s, size_t n);
int wr__is_item_col(const char *s, size_t n);

/* A side table while it loads (side.c): a row per id, text cells, column 0 the id. The context
 * table is the same with a row per event and column 0 empty. */
typedef struct wr__table {
    int ncol;                         /* feature columns (the id not counted) */
    char name[WR_MAX_FIELDS][32];
    uint8_t multi[WR_MAX_FIELDS];     /* the column's values are '|'-separated lists */
    uint8_t categorical[WR_MAX_FIELDS]; /* the column is categorical whatever its values (an hour of the day) */
    int64_t nrow, cap;
    wr_buf text;                      /* cells, each NUL-terminated */
    size_t *off;                      /* (nrow, ncol + 1) cell offsets into text */
} wr__table;
/* Adds a row: cells[0] the id, then ncol values (lens give their lengths). -1 on OOM. */
int wr__table_add(wr__table *t, const char *const *cells, const size_t *lens);
/* A CSV/TSV side table with a header: the id column (user or item names, or "id"), then the
 * feature columns. Errors name src and the line. */
int wr__parse_csv_table(wr_ctx *ctx, const char *src, const char *p, size_t len, int users, wr__table *t);
void wr__table_free(wr__table *t);
/* The context table of d (its columns, a row per event) into features "ctx.<column>=<value>" with
 * the kinds detected or set; called at load and again when wr_data_feature_kinds sets ctx kinds. */
int wr__encode_context(wr_data *d);

int wr__parse_csv(wr__loader *L, const char *p, size_t len);
int wr__parse_movielens(wr__loader *L, const char *p, size_t len);
int wr__parse_seq(wr__loader *L, const char *p, size_t len);
int wr__parse_otto(wr__loader *L, const char *p, size_t len);
/* Splits the first CSV line into header names (auto-detection); returns the delimiter. */
char wr__csv_delim(const char *line, size_t n);
/* Whether that line names an item column: 1, 0, or -1 when out of memory. */
int wr__csv_header_has_item(const char *line, size_t n);

#endif

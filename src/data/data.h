/* data.h: private view of interaction data: the id vocabulary (string -> dense int) and the
 * events grouped per user/session in time order. */
#ifndef WR_DATA_H
#define WR_DATA_H

#include <stdint.h>

#include "../core/core.h"

#define WR_MAX_ID_LEN 256 /* longer ids are a parse error naming the line and field */
#define WR_MAX_FIELDS 32  /* feature columns of a side table */

/* String -> dense id (0..n-1) in order of first appearance. Open-addressing hash table. */
typedef struct {
    char **keys;    /* n NUL-terminated copies, owned */
    int n, cap;
    int *slots;     /* nslots entries: -1 empty, else an id */
    int nslots;     /* power of two */
} wr_vocab;

/* Returns the id of key (adding it if new) or -1 on OOM. */
int wr__vocab_add(wr_vocab *v, const char *key, size_t len);
/* Returns the id of key or -1. */
int wr__vocab_find(const wr_vocab *v, const char *key, size_t len);
int wr__vocab_copy(wr_vocab *dst, const wr_vocab *src);
void wr__vocab_free(wr_vocab *v);

/* Side features of the users or the items (--users, --items), and the context of each event (the
 * extra columns of a CSV event file): every value of every column is a feature
 * ("item.genre=Drama", "ctx.device=mobile"), numbered densely; each user, item or event row has
 * a list of them. */
typedef struct {
    int n_fields;
    char field[3 * WR_MAX_FIELDS][40]; /* "user.age", "item.genre", "ctx.device", ... */
    char kind[3 * WR_MAX_FIELDS];      /* 'c' categorical, 'm' multi-valued, 'n' numeric (bucketed) */
    wr_vocab values;                   /* feature keys "field=value" -> feature id */
    int32_t *value_field;              /* (values.n) the field of each feature */
    int value_cap;
    int64_t *start[3];                 /* [0] users, [1] items, [2] context rows: (n + 1) offsets into feat, or NULL */
    int32_t *feat[3];
    int matched[3];                    /* rows of the side table whose id the data has */
    double cuts[3 * WR_MAX_FIELDS][9];  /* numeric fields: the bucket edges (q0 below cuts[0], ...) */
    double range[3 * WR_MAX_FIELDS][2]; /* numeric fields: the smallest and largest value */
} wr_features;

void wr__features_free(wr_features *f);

/* A numeric field's bucket edges: a value below cuts[0] is q0, ..., at or above cuts[8] q9. */
typedef struct {
    char field[40]; /* "user.age" */
    double cuts[9];
} wr_bucket_edges;

/* A column kind set by wr_data_feature_kinds ("user.age=numeric"), applied when its table loads;
 * or a model's numeric field (wr_data_model_buckets): bucketed by the model's edges, and no error
 * when the data lacks it. */
typedef struct {
    char field[40]; /* "user.age" */
    char kind;      /* 'c', 'm' or 'n', as wr_features.kind */
    int applied;
    int from_model; /* cuts holds the model's edges */
    double cuts[9];
} wr_kind_override;

/* The n numeric fields b become overrides from a model (wr_data_model_buckets, model.c). */
int wr__data_model_buckets(wr_data *d, const wr_bucket_edges *b, int n, const char *model);

struct wr_data {
    wr_ctx *ctx;
    const char *format;    /* static string: "csv", "movielens", "seq", "otto" */
    wr_vocab items, users;
    int64_t n_events;
    int64_t *user_start;   /* n_users + 1 offsets into seq and ts */
    int32_t *seq;          /* n_events item ids, grouped per user, ordered by time (stable) */
    int64_t *ts;           /* n_events timestamps (0 when the format has none) */
    float *rating;         /* n_events ratings (the rating or label column), or NULL: none */
    char rating_col[40];   /* that column's name ("rating" for MovieLens), "" = none */
    uint8_t *label;        /* n_events binary labels (wr_data_label), or NULL: none */
    char label_expr[64];   /* the expression that made them */
    wr_features features;  /* side features (empty: n_fields 0) */
    wr_kind_override kinds[3 * WR_MAX_FIELDS]; /* wr_data_feature_kinds */
    int n_kinds;
    /* context: a row of the CSV's extra columns per event, kept to re-encode when kinds are set */
    int64_t *ctx_row;      /* n_events: each event's row in ctx_table, or NULL: no context columns */
    void *ctx_table;       /* the rows (wr__table, load.h) */
    char ctx_src[64];      /* the file, for messages */
    char ctx_note[512];    /* wr_data_context_note */
    char **titles;         /* n items, or NULL; "" where unknown */
    char **categories;     /* n items, or NULL */
    int64_t skipped;
    char skip_reason[256];
};

/* A set of sequences the models train on: user u has len[u] items at items[start[u]...].
 * The leave-one-out training part is the same arrays with shorter lengths. */
typedef struct {
    int n;                 /* sequences */
    int n_items;
    const int64_t *start;  /* n */
    const int32_t *len;    /* n */
    const int32_t *items;
    const int64_t *ts;     /* aligned with items: event timestamps */
    const float *rating;   /* aligned with items, or NULL: the data has no ratings */
    const uint8_t *label;  /* aligned with items, or NULL: the data has no labels */
    const int64_t *ctx_row; /* aligned with items: each event's context row (features->start[2]), or NULL */
    const wr_features *features; /* the users' and items' side features and the events' context, or NULL */
} wr_seqs;

/* The context features of position k of seqs (model-independent data feature ids); 0 without. */
int wr__seq_context(const wr_seqs *seqs, int64_t k, const int32_t **feat);

/* Fills seqs over data; drop_last = 0: every event, 2: the leave-one-out training part
 * (users with fewer than 3 events keep all). len is allocated here (free with wr_free). */
int wr__seqs_from_data(const wr_data *data, int drop_last, wr_seqs *seqs, int32_t **len);

#endif

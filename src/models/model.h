/* model.h: what every model family implements (a small vtable), and the shared model object.
 * Hyper-parameters are declared as a table per family, so setting, printing and saving them is
 * one loop for all models. */
#ifndef WR_MODEL_H
#define WR_MODEL_H

#include "../core/core.h"
#include "../data/data.h"
#include "../io/safetensors.h"

#define WR_MAX_PARAMS 32

typedef enum { WR_PARAM_INT, WR_PARAM_FLOAT, WR_PARAM_ENUM } wr_param_type;

typedef struct {
    const char *name;
    wr_param_type type;
    double def, min, max;   /* for ENUM, def is the index of the default choice */
    const char *choices;    /* ENUM only: "ce|bce|bpr-max" */
    const char *help;
} wr_param_def;

/* What a model scores the catalogue for: who asks (the model's user index, or -1: a user it does
 * not know, or a model without users) and what they did (the model's 0-based item ids, oldest
 * first). */
typedef struct {
    int user;
    const int *items;
    int len;
    const int *features;  /* user -1: the visitor's side features (the model's feature ids), or NULL */
    int n_features;
    const int *context;   /* the query's context features (the model's feature ids, "ctx.device=mobile"), or NULL */
    int n_context;
} wr_query;

/* What a family declares about itself (wr_model_vt.caps): the CLI, the binding and the page read
 * these instead of knowing model names. */
enum {
    WR_USES_USERS = 1,   /* scores depend on who asks: the model keeps the training data's users */
    WR_USES_LABELS = 2,  /* trains on every labelled event (the others train on the positive ones) */
    WR_USES_FEATURES = 4, /* reads the users' and items' side features (--users, --items) */
    WR_NO_HISTORY = 8,    /* scores do not depend on the history (a known user's own vectors) */
    WR_HAS_STAGES = 16,   /* a pipeline: two whole models as stages, set as "retrieve.KEY" and "rank.KEY" */
};

/* What a score means (wr_model_vt.predicts): a ranking score, the logit of P(label = 1) (logloss
 * applies), or a predicted rating (RMSE and MAE apply). */
enum { WR_PREDICTS_SCORE = 0, WR_PREDICTS_PROB, WR_PREDICTS_RATING };

typedef struct wr_model_vt {
    const char *name;
    unsigned caps;
    const wr_param_def *params;
    int n_params;
    /* Parameters a model file without them means 0 ("a,b"): files written before they existed. */
    const char *absent_off;
    /* Trains on train (item ids are the model's). Called once; state is created here. */
    int (*fit)(wr_model *m, const wr_seqs *train);
    /* scores (n_items) for the query's next item (len >= 0, ids valid). */
    int (*score)(wr_model *m, const wr_query *q, float *scores);
    /* Optional: scores (n, n_items) for n queries at once (evaluation); NULL = score each. */
    int (*score_batch)(wr_model *m, const wr_query *qs, int n, float *scores);
    /* Optional: what the scores mean under the model's settings (WR_PREDICTS_*); NULL = ranking scores. */
    int (*predicts)(const wr_model *m);
    /* Adds the model's tensors to w. */
    int (*save)(wr_model *m, wr_st_file *w);
    /* Reads the model's tensors from f (shapes checked against m->n_items and params). */
    int (*load)(wr_model *m, const wr_st_file *f);
    void (*free_state)(wr_model *m);
    /* Iterative families only (NULL for one-pass ones, whose fit does all the work): one
     * optimisation step on the next mini-batch of train. Sets *loss (mean over the batch),
     * *positions (target positions trained on) and *epoch_end (1 when this step finished an
     * epoch). fit prepares the parameters and the training state. */
    int (*train_step)(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end);
    /* Optional, for looking inside (inspect.c; NULL = not available): */
    /* weight (len): what each history item counts for item (wr_model_explain). */
    int (*explain)(wr_model *m, const int *history, int len, int item, float *weight);
    /* weights (blocks, len) of the scoring position; returns the number of blocks. */
    int (*attention)(wr_model *m, const int *history, int len, float *weights);
    /* The item embedding rows: item i (0-based) at *rows + i * stride, dim floats. With rows NULL
     * only the sizes are asked for (nothing is computed). */
    int (*item_vectors)(wr_model *m, const float **rows, int *dim, int *stride);
    /* Optional: the query's vector (dim floats, item_vectors' dim), whose inner product with an
     * item's vector ranks the items as score does (retrieval through an index). */
    int (*query_vector)(wr_model *m, const wr_query *q, float *out);
    /* Optional: scores (n) of the given items (0-based, valid) for the query, as score would give
     * them: what a pipeline's ranking stage calls on its candidates. NULL = score every item. */
    int (*score_items)(wr_model *m, const wr_query *q, const int *items, int n, float *out);
    /* Optional: the vector (item_vectors' dim) of an item the model has never seen, from its side
     * features (the model's feature ids, checked) alone. */
    int (*feature_item_vector)(wr_model *m, const int *features, int n, float *out);
    /* Optional: score's result when it gives few items a score above -inf (a pipeline's
     * candidates): *n items and their scores (the model's buffers, valid until its next call),
     * every other item at -inf; recommend then ranks these alone. */
    int (*score_sparse)(wr_model *m, const wr_query *q, const int **items, const float **scores, int *n);
} wr_model_vt;

typedef struct wr_train wr_train; /* training under way (train.c) */

struct wr_model {
    wr_ctx *ctx;           /* borrowed: must outlive the model */
    const wr_model_vt *vt;
    uint64_t seed;
    wr_rng rng;
    double hp[WR_MAX_PARAMS];  /* hyper-parameter values, indexed like vt->params */
    wr_vocab items;        /* the model's item vocabulary */
    wr_vocab users;        /* families with WR_USES_USERS: the training data's users (else empty) */
    wr_vocab features;     /* families with WR_USES_FEATURES: the side-feature keys ("user.device=mobile") */
    wr_bucket_edges *buckets; /* its numeric fields' bucket edges ("user.age=q3" means what the */
    int n_buckets;         /* training data's edges said): data for the model is encoded with them */
    int *visitor;          /* wr_model_visitor: the unknown user's feature ids, n_visitor of them */
    int n_visitor;
    int *context;          /* wr_model_context: the query context's feature ids, n_context of them */
    int n_context;
    int fitted;
    void *state;
    char *params_json;
    float *params;         /* iterative families: every weight in one buffer (n_params floats), */
    size_t n_params;       /* so keeping the best epoch's weights is one copy */
    wr_train *train;       /* non-NULL while stepwise training is under way */
    unsigned params_version; /* bumped whenever training changes params: what caches derived from
                                the weights (twotower's item vectors) compare against */
    int64_t loading_bytes; /* while a model file loads: its tensors' bytes (wr__layout_alloc); -1 otherwise */
    double repeat_share;   /* share of training events that repeat an item already in that user's
                              history (what exclude-seen `auto` decides on); -1 = unknown */
    char seen_reason[200]; /* wr_model_seen_policy's last sentence */
    char *stage_sets[2];   /* pipelines: each stage's settings, "key=value\n" lines (pipeline.c) */
    float *counts;         /* (n_items) training events per item: what an empty history gets
                              (every model alike); NULL for a file saved without them */
    char **titles;         /* (n_titles = n_items) titles from the training data, "" where none; or NULL */
    int n_titles;          /* kept apart: the vocabulary is replaced before the titles are */
};

/* Keeps the training data's item counts and titles with the model (train.c; model.c saves them). */
int wr__model_keep_data_info(wr_model *m, const wr_data *data, const wr_seqs *train);

/* `auto` excludes history items when under this share of training events repeat one. */
#define WR_REPEAT_SHARE_AUTO 0.01
/* Share of the events of seqs whose item already occurred earlier in the same sequence. */
double wr__repeat_share(const wr_seqs *seqs);
/* Where a learned repeat bias (sasrec, bert4rec, gru4rec: one offset added to the scores of the
 * items already in the history) starts: the offset at which a model that scores every item alike
 * would give the h history items (on average) of a V-item catalogue the share of targets that
 * repeat (at least 0.1%): e^r = share (V - h) / (h (1 - share)). Training moves it from there. */
float wr__repeat_bias_init(double share, int V, double h);
/* Marks over 1-based item ids 0..n-1: wr__marks_next starts a new set (a fresh id, no clearing),
 * an item is in the current set when mark[item] == id. What the repeat bias uses to list a
 * history's distinct items. */
typedef struct {
    int32_t *mark, id;
    int n;
} wr_marks;
int wr__marks_init(wr_marks *mk, int n); /* -1 on OOM */
void wr__marks_free(wr_marks *mk);
int wr__marks_next(wr_marks *mk);
/* Adds rb once to the score of each distinct item (0-based) of the history. */
void wr__repeat_bias_add(wr_marks *mk, const int *history, int len, float rb, float *scores);
/* Resolves an exclude-seen mode (WR_SEEN_*) to 0/1 for model, deciding `auto` on share (the
 * model's training share, or share when the model has none; -1 = unknown: keep). If reason is
 * given, writes a sentence saying what was applied and why. */
int wr__resolve_seen(const wr_model *m, int mode, double share, char *reason, size_t reason_len);

/* Value of hyper-parameter `name`, or def when the family has no such parameter. */
double wr__hp_or(const wr_model *m, const char *name, double def);
/* Checks a history of dense indices against the model (trained, ids in range). */
int wr__check_history(wr_model *m, const int *history, int len);
/* Scores (n, n_items) for n queries (checked like wr_model_score's), batched when the family
 * can: what evaluation uses. */
int wr__score_batch(wr_model *m, const wr_query *qs, int n, float *scores);
/* Frees the family's state (and training state) and marks the model untrained. */
void wr__model_reset(wr_model *m);

/* Value of hyper-parameter `name` (must exist in the table). */
double wr__hp(const wr_model *m, const char *name);

/* Counts of each item in train into counts (n_items floats): most-popular, and the fallback
 * ranking of the neighbourhood models for items they have no evidence about. */
void wr__count_items(const wr_seqs *train, float *counts);
/* Loads a 1-D tensor of dtype and length n into a malloc'd array (*out); error if missing or
 * of another dtype or length. */
int wr__load_1d(wr_model *m, const wr_st_file *f, const char *name, wr_dtype dtype, int64_t n, void **out);

/* The numeric fields' bucket edges of F (the training data's) into m->buckets (families with
 * WR_USES_FEATURES; the others keep none). */
int wr__model_take_buckets(wr_model *m, const wr_features *F);
/* A side-feature list per entity (CSR: start (n + 1), feat) as the tensors <pre>.<what>_feature_start
 * and <pre>.<what>_features, and back, checked (offsets rising from 0, ids in [lo, F)) (pop.c). */
int wr__features_save(wr_model *m, wr_st_file *f, const char *pre, const char *what, int n, const int64_t *start, const int32_t *feat);
int wr__features_load(wr_model *m, const wr_st_file *f, const char *pre, const char *what, int n, int lo, int F, int64_t **start, int32_t **feat);

/* Pipelines (pipeline.c): a stage's setting ("retrieve.dim", "32"), checked by a model of the
 * stage's family; the recorded settings checked again (after a stage's family changed); and the
 * recorded settings appended to a params JSON object (",\"retrieve.dim\":\"32\""). */
int wr__stage_set(wr_model *m, const char *key, const char *value);
int wr__stage_check(wr_model *m);
void wr__stage_params_json(const wr_model *m, wr_buf *b);
/* The data and split of the training under way (train.c): what a pipeline trains its stages on. */
void wr__train_source(const wr_model *m, const wr_data **data, const struct wr_split **split);

/* A family by name, or NULL (model.c). */
const wr_model_vt *wr__family(const char *name);
/* The model families, one file each in src/models/. */
extern const wr_model_vt wr__pop_vt, wr__itemknn_vt, wr__markov_vt;
extern const wr_model_vt wr__sknn_vt, wr__vsknn_vt, wr__stan_vt, wr__vstan_vt;
extern const wr_model_vt wr__gru4rec_vt, wr__sasrec_vt, wr__bert4rec_vt, wr__ease_vt, wr__mf_vt, wr__lr_vt, wr__fm_vt, wr__ffm_vt, wr__deepfm_vt;
extern const wr_model_vt wr__gmf_vt, wr__mlp_vt, wr__neumf_vt, wr__twotower_vt, wr__pipeline_vt;
/* SASRec's batch buffers (B, T) and its loss and gradients over them (sasrec.c; the gradient
 * check uses them). dropout_rng NULL = no dropout. */
int32_t *wr__sasrec_batch(wr_model *m, int32_t **tgt);
double wr__sasrec_loss_grad(wr_model *m, int Bn, wr_rng *dropout_rng, int64_t *positions, const float **grad);
/* GRU4Rec's loss and gradients for the current lanes (gru4rec.c; the gradient check uses it);
 * hist[b] (hist_len[b] 0-based items, the input included) is lane b's sequence so far. */
int wr__gru4rec_loss_grad(wr_model *m, const int32_t *inp, const int32_t *tgt, const float *h,
                          const int32_t *const *hist, const int *hist_len, double *loss, int64_t *positions,
                          int *n_rows, const float **grad);
/* MF's loss (mean per event) and gradient (*grad, the layout of m->params) on a mini-batch of
 * (users, items) with targets y (ratings for mse, labels for labelled bce; NULL otherwise) and
 * n_neg negatives per event (bpr, implicit bce); the gradient check uses it (mf.c). */
double wr__mf_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const float *y, const int32_t *negs, int n,
                        const float **grad);
/* NCF's (gmf, mlp, neumf) loss and gradient on a mini-batch, as wr__mf_loss_grad (ncf.c). */
double wr__ncf_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const float *y, const int32_t *negs, int n,
                         const float **grad);
/* LR's and FM's loss and gradient on a mini-batch, as wr__mf_loss_grad (fm.c). */
double wr__fm_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const float *y, const int32_t *negs, int n,
                        const wr_seqs *train, const int64_t *at, const float **grad); /* at: the events' positions in train, for their context (NULL: none) */
/* Two-tower's in-batch softmax loss and gradient over n events (users, items; at: each event's
 * index in the training sequences, its history being what came before) with n_neg shared
 * uniform negatives; drop (2n + n_neg, or NULL) marks the query rows and then the item columns
 * that see their side features alone (twotower.c; the gradient check uses it). */
double wr__twotower_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const int64_t *at, int n, const int32_t *negs,
                              int n_neg, const unsigned char *drop, const float **grad);
/* Adds one finished session to a session-kNN model's index (items are the model's ids). */
int wr__knn_add_session(wr_model *m, const int *items, int len);
/* Adds every sequence of seqs (the model's item ids) that way, in the order of their last events. */
int wr__knn_add_sessions(wr_model *m, const wr_seqs *seqs);

#endif

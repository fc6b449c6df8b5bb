/* pipeline.c: the two-stage recommender of the seed chapter's 4.5 as one model. Stage 1
 * (`retrieve`, any family) proposes `candidates` items for a query; stage 2 (`rank`, any family,
 * typically one that scores (user, item) pairs: deepfm, fm, neumf, lr) orders them. The final
 * scores are stage 2's on the candidates and -inf elsewhere (rerank=0: stage 1's on the
 * candidates, the list before re-ranking). A stage 1 with query and item vectors (twotower)
 * finds its candidates through an HNSW index over the item vectors (index=hnsw; built after
 * training and saved with the model), else by scoring every item. History items are left out of
 * the candidates when the model's exclude-seen `auto` rule says so (little repeat consumption).
 * Each stage is a whole model trained on the same data and split, one after the other, with its
 * own settings ("retrieve.dim=32", "rank.epochs=5") and early stopping; one file holds both
 * (their tensors under "retrieve." and "rank.", the index under "index."). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../index/index.h"
#include "../kernels/kernels.h"
#include "model.h"

#define FAMILIES "twotower|pop|itemknn|markov|sknn|vsknn|stan|vstan|gru4rec|sasrec|bert4rec|ease|mf|gmf|mlp|neumf|lr|fm|ffm|deepfm"
static const char *const prefix[2] = {"retrieve", "rank"};

static const wr_param_def pipe_params[] = {
    {"retrieve", WR_PARAM_ENUM, 0, 0, 19, FAMILIES, "stage 1: the model that retrieves the candidates"},
    {"rank", WR_PARAM_ENUM, 19, 0, 19, FAMILIES, "stage 2: the model that orders them"},
    {"candidates", WR_PARAM_INT, 100, 1, 1000000, NULL, "items stage 1 hands to stage 2 per query"},
    {"rerank", WR_PARAM_INT, 1, 0, 1, NULL, "1 = the candidates in stage 2's order; 0 = in stage 1's (the list before re-ranking)"},
    {"combine", WR_PARAM_ENUM, 0, 0, 1, "auto|rank", "auto: a stage 2 whose scores are logits of a probability (lr, fm, ffm, deepfm, gmf, mlp, neumf) orders by stage 1's score + log P: P(event) P(label | event); rank: by stage 2's score alone"},
    {"index", WR_PARAM_ENUM, 0, 0, 1, "hnsw|exact", "how a stage 1 with item vectors finds its candidates"},
    {"M", WR_PARAM_INT, 16, 2, 1024, NULL, "HNSW neighbours per item (2M on the bottom level)"},
    {"ef_construction", WR_PARAM_INT, 200, 1, 1 << 20, NULL, "HNSW candidate list while building"},
    {"ef_search", WR_PARAM_INT, 0, 0, 1 << 20, NULL, "HNSW candidate list while searching, at least the candidates asked for (0 = 2 sqrt(items), at least 200: at a million items 200 finds only 62% of a full scan's top 10, 2000 finds 97%)"},
};

typedef struct {
    wr_model *stage[2];
    int cur, begun;           /* training: the stage under way, and whether it has begun */
    double p[WR_PROGRESS_N];  /* its progress */
    wr_hnsw *index;           /* over stage 1's item vectors, or NULL */
    int dim;
    float *s0, *qv, *cs, *s1; /* (V) stage-1 scores, (dim) query vector, (N) candidate scores */
    int32_t *ids;             /* (N + history) index results */
    int *cand;
    unsigned char *mask;      /* (V) history items left out of the candidates */
} pipe_state;

static const char *family(const wr_model *m, int stage) {
    static char name[2][24];
    const char *c = FAMILIES;
    for (int i = 0; i < (int)m->hp[stage]; i++) c = strchr(c, '|') + 1;
    size_t n = strcspn(c, "|");
    snprintf(name[stage], sizeof name[stage], "%.*s", (int)n, c);
    return name[stage];
}

/* A stage's model with the settings recorded for it ("key=value\n" lines). */
static int new_stage(wr_model *m, int stage, const char *sets, wr_model **out) {
    int rc = wr_model_new(m->ctx, family(m, stage), m->seed + (uint64_t)stage, out);
    for (const char *p = sets; rc == WR_OK && p && *p;) {
        const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
        char key[64], val[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        snprintf(val, sizeof val, "%.*s", (int)(nl - eq - 1), eq + 1);
        if ((rc = wr_model_set(*out, key, val)) != WR_OK) {
            char msg[WR_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", wr_last_error(m->ctx));
            rc = wr__err(m->ctx, rc, "pipeline: %s.%s: %s", prefix[stage], key, msg);
        }
        p = nl + 1;
    }
    if (rc) wr_model_free(*out), *out = NULL;
    return rc;
}

int wr__stage_set(wr_model *m, const char *key, const char *value) {
    int stage = -1;
    for (int s = 0; s < 2; s++)
        if (!strncmp(key, prefix[s], strlen(prefix[s])) && key[strlen(prefix[s])] == '.') stage = s;
    if (stage < 0) return wr__err(m->ctx, WR_ERR_ARG, "pipeline: \"%s\" is not a stage's setting (retrieve.NAME or rank.NAME)", key);
    const char *name = key + strlen(prefix[stage]) + 1;
    if (strlen(name) > 40 || strlen(value) > 40 || strpbrk(name, "=\n") || strpbrk(value, "\n"))
        return wr__err(m->ctx, WR_ERR_ARG, "pipeline: the setting %s=%s is too long or malformed", key, value);
    /* the record without this key, then the key with its new value */
    wr_buf b = {0};
    for (const char *p = m->stage_sets[stage]; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t klen = strcspn(p, "=");
        if (!(klen == strlen(name) && !strncmp(p, name, klen))) wr__buf_printf(&b, "%.*s", (int)(nl - p + 1), p);
        p = nl + 1;
    }
    wr__buf_printf(&b, "%s=%s\n", name, value);
    if (b.failed) {
        wr__buf_free(&b);
        return wr__oom(m->ctx, "setting a stage");
    }
    wr_model *check = NULL;
    int rc = new_stage(m, stage, b.data, &check); /* the stage's family checks it */
    wr_model_free(check);
    if (rc) {
        wr__buf_free(&b);
        return rc;
    }
    free(m->stage_sets[stage]);
    m->stage_sets[stage] = wr__buf_take(&b, NULL);
    return WR_OK;
}

int wr__stage_check(wr_model *m) {
    for (int s = 0; s < 2; s++) {
        wr_model *check = NULL;
        int rc = new_stage(m, s, m->stage_sets[s], &check);
        wr_model_free(check);
        if (rc) return rc;
    }
    return WR_OK;
}

void wr__stage_params_json(const wr_model *m, wr_buf *b) {
    for (int s = 0; s < 2; s++)
        for (const char *p = m->stage_sets[s]; p && *p;) {
            const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
            char key[64], val[64];
            snprintf(key, sizeof key, "%s.%.*s", prefix[s], (int)(eq - p), p);
            snprintf(val, sizeof val, "%.*s", (int)(nl - eq - 1), eq + 1);
            wr__buf_puts(b, ",");
            wr__buf_json_str(b, key);
            wr__buf_puts(b, ":");
            wr__buf_json_str(b, val);
            p = nl + 1;
        }
}

wr_model *wr_model_stage(wr_model *m, int stage) {
    if (!m || m->vt != &wr__pipeline_vt || !m->state || stage < 0 || stage > 1) return NULL;
    return ((pipe_state *)m->state)->stage[stage];
}

static void pipe_free(wr_model *m) {
    pipe_state *s = m->state;
    for (int i = 0; i < 2; i++) wr_model_free(s->stage[i]);
    wr__hnsw_free(s->index);
    free(s->s0), free(s->qv), free(s->cs), free(s->s1), free(s->ids), free(s->cand), free(s->mask);
    free(s);
}

/* What a loaded stage takes from the pipeline's file: the items, the users, the feature keys, the counts and the
 * repeat share (a stage trained with the pipeline has its own from the same data). */
static int share_data(wr_model *m, wr_model *st) {
    wr__vocab_free(&st->items), wr__vocab_free(&st->users), wr__vocab_free(&st->features);
    if (wr__vocab_copy(&st->items, &m->items) < 0 || ((st->vt->caps & WR_USES_USERS) && wr__vocab_copy(&st->users, &m->users) < 0) ||
        ((st->vt->caps & WR_USES_FEATURES) && wr__vocab_copy(&st->features, &m->features) < 0))
        return wr__oom(m->ctx, "preparing the stages");
    free(st->counts);
    st->counts = NULL;
    if (m->counts) {
        if (!(st->counts = wr__malloc((size_t)m->items.n * sizeof *st->counts + 4))) return wr__oom(m->ctx, "preparing the stages");
        memcpy(st->counts, m->counts, (size_t)m->items.n * sizeof *st->counts);
    }
    st->repeat_share = m->repeat_share;
    return WR_OK;
}

/* Buffers for scoring, and the index over stage 1's item vectors (index=hnsw). */
static int prepare(wr_model *m, int build_index) {
    pipe_state *s = m->state;
    int V = m->items.n, N = (int)wr__hp(m, "candidates");
    if (N > V) N = V;
    wr_model *r = s->stage[0];
    s->dim = wr__hp(m, "index") == 0 ? wr_model_vector_dim(r) : 0;
    if (s->s0) goto index; /* buffers made before */
    s->s0 = wr__malloc((size_t)V * sizeof(float) + 4), s->s1 = wr__malloc((size_t)V * sizeof(float) + 4);
    s->cs = wr__malloc((size_t)V * sizeof(float) + 4), s->cand = wr__malloc((size_t)V * sizeof(int) + 4);
    s->ids = wr__malloc((size_t)V * sizeof(int32_t) + 4), s->mask = wr__calloc((size_t)V + 1, 1);
    s->qv = wr__malloc((size_t)(s->dim + 1) * sizeof(float));
    if (!s->s0 || !s->s1 || !s->cs || !s->cand || !s->ids || !s->mask || !s->qv) return wr__oom(m->ctx, "preparing the pipeline");
index:
    if (!s->dim || !build_index) return WR_OK;
    float *vecs = wr__malloc((size_t)V * s->dim * sizeof(float) + 4);
    if (!vecs) return wr__oom(m->ctx, "building the index");
    int rc = wr_model_item_vectors(r, vecs);
    if (!rc) rc = wr__hnsw_new(m->ctx, s->dim, WR_INDEX_IP, (int)wr__hp(m, "M"), (int)wr__hp(m, "ef_construction"), m->seed, &s->index);
    if (!rc) rc = wr__hnsw_reserve(s->index, V);
    if (!rc) rc = wr__hnsw_add(s->index, vecs, V);
    free(vecs);
    return rc;
}

static int pipe_fit(wr_model *m, const wr_seqs *train) {
    (void)train; /* each stage builds its own training sequences from the data and split */
    pipe_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "allocating the pipeline");
    m->state = s;
    for (int i = 0; i < 2; i++) {
        int rc = new_stage(m, i, m->stage_sets[i], &s->stage[i]);
        if (rc) return rc;
    }
    return WR_OK;
}

/* One step of the stage under way; the pipeline's single epoch ends when both have trained. */
static int pipe_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    (void)train;
    pipe_state *s = m->state;
    const wr_data *data;
    const wr_split *split;
    wr__train_source(m, &data, &split);
    wr_model *st = s->stage[s->cur];
    int rc = WR_OK;
    if (!s->begun) {
        rc = wr_train_begin(st, data, split, s->p);
        s->begun = 1;
    } else {
        rc = wr_train_steps(st, 1, s->p);
    }
    if (rc) {
        char msg[WR_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", wr_last_error(m->ctx));
        return wr__err(m->ctx, rc, "pipeline, %s stage (%s): %s", prefix[s->cur], st->vt->name, msg);
    }
    *loss = s->p[WR_PROGRESS_LOSS] == s->p[WR_PROGRESS_LOSS] ? s->p[WR_PROGRESS_LOSS] : 0;
    *positions = 1;
    *epoch_end = 0;
    if (!s->p[WR_PROGRESS_DONE]) return WR_OK;
    wr_train_end(st);
    if (++s->cur < 2) {
        s->begun = 0;
        return WR_OK;
    }
    *epoch_end = 1;
    return prepare(m, 1);
}

/* The candidates of q into s->cand with stage 1's scores in s->cs; returns how many. */
static int retrieve(wr_model *m, const wr_query *q, int *out_n) {
    pipe_state *s = m->state;
    wr_model *r = s->stage[0];
    int V = m->items.n, N = (int)wr__hp(m, "candidates");
    if (N > V) N = V;
    int excl = wr__resolve_seen(m, WR_SEEN_AUTO, -1, NULL, 0);
    for (int i = 0; excl && i < q->len; i++) s->mask[q->items[i]] = 1;
    int user = r->users.n ? q->user : -1, rc = WR_OK, n = 0;
    wr_query rq = {user, q->items, q->len, r->features.n ? q->features : NULL, r->features.n ? q->n_features : 0,
                   r->features.n ? q->context : NULL, r->features.n ? q->n_context : 0};
    if (s->index && wr__hp(m, "index") == 0) { /* index=exact set after loading: the full scan */
        int k = N + (excl ? q->len : 0), ef = (int)wr__hp(m, "ef_search");
        if (ef == 0) ef = (int)fmax(200, 2 * sqrt((double)V));
        if (k > V) k = V;
        rc = r->vt->query_vector(r, &rq, s->qv);
        int got = rc ? 0 : wr__hnsw_search(s->index, s->qv, k, ef > k ? ef : k, s->ids, s->s0);
        if (got < 0) rc = WR_ERR_NOMEM;
        for (int j = 0; j < got && n < N; j++)
            if (!s->mask[s->ids[j]]) s->cand[n] = s->ids[j], s->cs[n++] = s->s0[j];
        /* the stage's own scores (the index's inner products are them up to its temperature) */
        if (!rc && r->vt->score_items) rc = r->vt->score_items(r, &rq, s->cand, n, s->cs);
    } else {
        rc = wr__score_batch(r, &rq, 1, s->s0);
        if (!rc) n = wr_topk(s->s0, s->mask, V, N, s->cand, s->cs);
    }
    for (int i = 0; excl && i < q->len; i++) s->mask[q->items[i]] = 0;
    *out_n = n;
    return rc;
}

/* The candidates of q (s->cand[0..n)) and their final scores (*out: stage 2's, or stage 1's for
 * rerank=0); every other item's score is -inf. */
static int candidates(wr_model *m, const wr_query *q, int *out_n, const float **out) {
    pipe_state *s = m->state;
    int n = 0;
    int rc = retrieve(m, q, &n);
    *out_n = n, *out = s->cs;
    if (rc || wr__hp(m, "rerank") == 0) return rc;
    wr_model *k = s->stage[1];
    wr_query kq = {k->users.n ? q->user : -1, q->items, q->len, k->features.n ? q->features : NULL, k->features.n ? q->n_features : 0,
                   k->features.n ? q->context : NULL, k->features.n ? q->n_context : 0};
    /* stage 1's scores stay in s->cs; stage 2's for the candidates into s->s1[0..n) */
    if (k->vt->score_items) {
        if ((rc = wr__check_history(k, q->items, q->len)) || (rc = k->vt->score_items(k, &kq, s->cand, n, s->s1))) return rc;
    } else {
        if ((rc = wr__score_batch(k, &kq, 1, s->s0))) return rc;
        for (int j = 0; j < n; j++) s->s1[j] = s->s0[s->cand[j]];
    }
    int product = wr__hp(m, "combine") == 0 && k->vt->predicts && k->vt->predicts(k) == WR_PREDICTS_PROB;
    for (int j = 0; j < n && product; j++) {
        float z = s->s1[j]; /* log sigmoid(z), stable */
        s->s1[j] = s->cs[j] + (z < 0 ? z - log1pf(wr_expf(z)) : -log1pf(wr_expf(-z)));
    }
    /* a stage 2 that cannot tell the candidates apart (sasrec on an empty history) keeps stage 1's order */
    int alike = 1;
    for (int j = 1; j < n && alike; j++) alike = s->s1[j] == s->s1[0];
    *out = alike && n > 1 ? s->cs : s->s1;
    return WR_OK;
}

static int pipe_score(wr_model *m, const wr_query *q, float *scores) {
    pipe_state *s = m->state;
    const float *cs;
    int n, rc = candidates(m, q, &n, &cs);
    if (rc) return rc;
    for (int i = 0; i < m->items.n; i++) scores[i] = -INFINITY;
    for (int j = 0; j < n; j++) scores[s->cand[j]] = cs[j];
    return WR_OK;
}

static int pipe_score_sparse(wr_model *m, const wr_query *q, const int **items, const float **scores, int *n) {
    *items = ((pipe_state *)m->state)->cand;
    return candidates(m, q, n, scores);
}

static int pipe_save(wr_model *m, wr_st_file *f) {
    pipe_state *s = m->state;
    for (int i = 0; i < 2; i++) {
        wr_st_file sub;
        wr__st_init(&sub);
        int rc = s->stage[i]->vt->save(s->stage[i], &sub);
        for (int t = 0; rc == WR_OK && t < sub.n; t++) {
            char name[WR_ST_MAX_NAME];
            if (snprintf(name, sizeof name, "%s.%s", prefix[i], sub.t[t].name) >= (int)sizeof name)
                rc = wr__err(m->ctx, WR_ERR_ARG, "pipeline: tensor name %s.%s is too long", prefix[i], sub.t[t].name);
            else if (wr__st_add(f, name, sub.t[t].dtype, sub.t[t].ndim, sub.t[t].shape, sub.t[t].data) < 0)
                rc = wr__oom(m->ctx, "saving the pipeline");
        }
        wr__st_free(&sub);
        if (rc) return rc;
    }
    return s->index && wr__hnsw_save(s->index, f, "index.") < 0 ? wr__oom(m->ctx, "saving the index") : WR_OK;
}

static int pipe_load(wr_model *m, const wr_st_file *f) {
    int rc = pipe_fit(m, NULL);
    pipe_state *s = m->state;
    for (int i = 0; rc == WR_OK && i < 2; i++) {
        wr_model *st = s->stage[i];
        if ((rc = share_data(m, st))) break;
        /* the stage's tensors, their prefix dropped */
        wr_st_file sub = {0};
        size_t plen = strlen(prefix[i]) + 1;
        sub.t = wr__malloc((size_t)(f->n + 1) * sizeof *sub.t);
        if (!sub.t) {
            rc = wr__oom(m->ctx, "loading the pipeline");
            break;
        }
        st->loading_bytes = 0;
        for (int t = 0; t < f->n; t++) {
            if (strncmp(f->t[t].name, prefix[i], plen - 1) || f->t[t].name[plen - 1] != '.') continue;
            sub.t[sub.n] = f->t[t];
            memmove(sub.t[sub.n].name, f->t[t].name + plen, strlen(f->t[t].name + plen) + 1);
            st->loading_bytes += (int64_t)sub.t[sub.n++].nbytes;
        }
        rc = st->vt->load(st, &sub);
        st->loading_bytes = -1;
        free(sub.t);
        if (rc == WR_OK) st->fitted = 1;
        else if (!strncmp(m->ctx->err, "model file: ", 12)) {
            char msg[WR_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", m->ctx->err + 12);
            rc = wr__err(m->ctx, rc, "model file: the %s stage (%s): %s", prefix[i], st->vt->name, msg);
        }
    }
    if (rc == WR_OK) rc = prepare(m, 0);
    int has_index = 0;
    for (int t = 0; t < f->n; t++) has_index |= !strncmp(f->t[t].name, "index.", 6);
    if (rc == WR_OK && s->dim && has_index) rc = wr__hnsw_load(m->ctx, f, "index.", m->items.n, s->dim, &s->index);
    else if (rc == WR_OK && s->dim) rc = prepare(m, 1); /* saved without one: build it */
    return rc;
}

const wr_model_vt wr__pipeline_vt = {
    .name = "pipeline",
    .caps = WR_USES_USERS | WR_USES_LABELS | WR_USES_FEATURES | WR_HAS_STAGES,
    .params = pipe_params,
    .n_params = (int)(sizeof pipe_params / sizeof pipe_params[0]),
    .fit = pipe_fit,
    .score = pipe_score,
    .score_sparse = pipe_score_sparse,
    .save = pipe_save,
    .load = pipe_load,
    .free_state = pipe_free,
    .train_step = pipe_train_step,
};

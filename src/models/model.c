/* model.c: the model object shared by every family: creation by name, hyper-parameters,
 * fitting on data, scoring, top-k recommendation, and the model file (safetensors + metadata). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/json.h"
#include "../kernels/kernels.h"
#include "model.h"

#define WR_MODEL_FORMAT_VERSION "1"

static const wr_model_vt *const families[] = {&wr__pop_vt,  &wr__itemknn_vt, &wr__markov_vt, &wr__sknn_vt,
                                              &wr__vsknn_vt, &wr__stan_vt,    &wr__vstan_vt, &wr__gru4rec_vt, &wr__sasrec_vt, &wr__bert4rec_vt,
                                              &wr__ease_vt, &wr__mf_vt, &wr__gmf_vt, &wr__mlp_vt, &wr__neumf_vt, &wr__lr_vt, &wr__fm_vt, &wr__ffm_vt, &wr__deepfm_vt, &wr__twotower_vt, &wr__pipeline_vt};
#define N_FAMILIES ((int)(sizeof families / sizeof families[0]))

const char *wr_model_names(void) { return "pop,itemknn,markov,sknn,vsknn,stan,vstan,gru4rec,sasrec,bert4rec,ease,mf,gmf,mlp,neumf,lr,fm,ffm,deepfm,twotower,pipeline"; }

const wr_model_vt *wr__family(const char *name) {
    for (int i = 0; name && i < N_FAMILIES; i++)
        if (!strcmp(families[i]->name, name)) return families[i];
    return NULL;
}

static const wr_model_vt *find_family(const char *name) {
    for (int i = 0; i < N_FAMILIES; i++)
        if (!strcmp(families[i]->name, name)) return families[i];
    return NULL;
}

static int param_index(const wr_model_vt *vt, const char *name) {
    for (int i = 0; i < vt->n_params; i++)
        if (!strcmp(vt->params[i].name, name)) return i;
    return -1;
}

double wr__hp(const wr_model *m, const char *name) { return wr__hp_or(m, name, 0.0); }

double wr__hp_or(const wr_model *m, const char *name, double def) {
    int i = param_index(m->vt, name);
    return i >= 0 ? m->hp[i] : def;
}

int wr_model_new(wr_ctx *ctx, const char *name, uint64_t seed, wr_model **out) {
    if (!out) return wr__err(ctx, WR_ERR_ARG, "wr_model_new: out is NULL");
    *out = NULL;
    if (!ctx || !name) return wr__err(ctx, WR_ERR_ARG, "wr_model_new: ctx and name are required");
    const wr_model_vt *vt = find_family(name);
    if (!vt) return wr__err(ctx, WR_ERR_ARG, "unknown model \"%s\"; the models are %s", name, wr_model_names());
    wr_model *m = wr__calloc(1, sizeof *m);
    if (!m) return wr__oom(ctx, "creating a model");
    m->ctx = ctx;
    m->vt = vt;
    m->seed = seed;
    m->repeat_share = -1;
    m->loading_bytes = -1;
    wr__rng_seed(&m->rng, seed);
    for (int i = 0; i < vt->n_params; i++) m->hp[i] = vt->params[i].def;
    *out = m;
    return WR_OK;
}

void wr__train_free(wr_model *m);

void wr__model_reset(wr_model *m) {
    wr__train_free(m);
    if (m->state) m->vt->free_state(m);
    m->state = NULL;
    m->params = NULL;
    m->n_params = 0;
    m->fitted = 0;
}

static void free_titles(wr_model *m) {
    for (int i = 0; m->titles && i < m->n_titles; i++) free(m->titles[i]);
    free(m->titles);
    m->titles = NULL;
    m->n_titles = 0;
}

int wr__model_keep_data_info(wr_model *m, const wr_data *data, const wr_seqs *train) {
    free(m->counts);
    free_titles(m);
    m->counts = wr__malloc((size_t)m->items.n * sizeof *m->counts + 1);
    if (!m->counts) return wr__oom(m->ctx, "counting items");
    wr__count_items(train, m->counts);
    int any = 0;
    for (int i = 0; data->titles && i < data->items.n; i++) any |= data->titles[i][0] != 0;
    if (!any) return WR_OK;
    m->titles = wr__calloc((size_t)m->items.n, sizeof *m->titles);
    m->n_titles = m->titles ? m->items.n : 0;
    for (int i = 0; m->titles && i < m->items.n; i++)
        if (!(m->titles[i] = wr__strdup(data->titles[i]))) break;
    if (!m->titles || !m->titles[m->items.n - 1]) {
        free_titles(m);
        return wr__oom(m->ctx, "keeping item titles");
    }
    return WR_OK;
}

int wr_model_known_items(const wr_model *m, const wr_data *d) {
    int n = 0;
    for (int i = 0; m && d && i < d->items.n; i++) n += wr__vocab_find(&m->items, d->items.keys[i], strlen(d->items.keys[i])) >= 0;
    return n;
}

const char *wr_model_item_title(const wr_model *m, int item) {
    return m && m->titles && item >= 0 && item < m->n_titles ? m->titles[item] : "";
}

void wr_model_free(wr_model *m) {
    if (!m) return;
    wr__model_reset(m);
    free(m->counts);
    free_titles(m);
    wr__vocab_free(&m->items);
    wr__vocab_free(&m->users);
    wr__vocab_free(&m->features);
    free(m->buckets);
    free(m->visitor);
    free(m->context);
    free(m->params_json);
    free(m->stage_sets[0]), free(m->stage_sets[1]);
    free(m);
}

const char *wr_model_name(const wr_model *m) { return m ? m->vt->name : ""; }

int wr_model_set(wr_model *m, const char *key, const char *value) {
    if (!m || !key || !value) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_set: model, key and value are required");
    const wr_model_vt *vt = m->vt;
    if ((vt->caps & WR_HAS_STAGES) && strchr(key, '.')) return wr__stage_set(m, key, value);
    int i = param_index(vt, key);
    if (i < 0) {
        wr_buf names = {0};
        for (int p = 0; p < vt->n_params; p++) wr__buf_printf(&names, "%s%s", p ? ", " : "", vt->params[p].name);
        int rc = wr__err(m->ctx, WR_ERR_ARG, "%s has no parameter \"%s\"; its parameters are: %s", vt->name, key,
                         vt->n_params ? names.data : "(none)");
        wr__buf_free(&names);
        return rc;
    }
    const wr_param_def *p = &vt->params[i];
    if (p->type == WR_PARAM_ENUM) {
        const char *c = p->choices;
        size_t vlen = strlen(value);
        for (int idx = 0; c && *c; idx++) {
            const char *bar = strchr(c, '|');
            size_t n = bar ? (size_t)(bar - c) : strlen(c);
            if (n == vlen && !strncmp(c, value, n)) {
                double was = m->hp[i];
                m->hp[i] = idx;
                int rc = vt->caps & WR_HAS_STAGES ? wr__stage_check(m) : WR_OK; /* a stage's family changed */
                if (rc) m->hp[i] = was;
                return rc;
            }
            c = bar ? bar + 1 : c + n;
        }
        return wr__err(m->ctx, WR_ERR_ARG, "%s: %s must be one of %s, got \"%s\"", vt->name, key, p->choices, value);
    }
    /* a decimal number, surrounding spaces allowed ("8", " 8 ", "8.0", "1e3"); no hex, inf or nan */
    while (*value == ' ' || *value == '\t') value++;
    char *end = NULL;
    double v = strtod(value, &end);
    while (end && (*end == ' ' || *end == '\t')) end++;
    int bad = end == value || *end != 0 || !(v == v) || strpbrk(value, "xXiInN") != NULL;
    /* the range first: casting inf or 2^63 and more to an integer is undefined */
    if (!bad && p->type == WR_PARAM_INT && !(v >= -9e15 && v <= 9e15 && v == (double)(long long)v)) bad = 1;
    if (bad || v < p->min || v > p->max)
        return wr__err(m->ctx, WR_ERR_ARG, "%s: %s must be %s in [%g, %g], got \"%s\"", vt->name, key,
                       p->type == WR_PARAM_INT ? "an integer" : "a number", p->min, p->max, value);
    m->hp[i] = v;
    return WR_OK;
}

static void params_to_json(const wr_model *m, wr_buf *b) {
    wr__buf_puts(b, "{");
    for (int i = 0; i < m->vt->n_params; i++) {
        const wr_param_def *p = &m->vt->params[i];
        wr__buf_printf(b, "%s", i ? "," : "");
        wr__buf_json_str(b, p->name);
        wr__buf_puts(b, ":");
        if (p->type == WR_PARAM_ENUM) {
            const char *c = p->choices;
            for (int idx = 0; idx < (int)m->hp[i]; idx++) c = strchr(c, '|') + 1;
            const char *bar = strchr(c, '|');
            wr__buf_printf(b, "\"%.*s\"", bar ? (int)(bar - c) : (int)strlen(c), c);
        } else {
            wr__buf_printf(b, "%.9g", m->hp[i]);
        }
    }
    if (m->vt->caps & WR_HAS_STAGES) wr__stage_params_json(m, b);
    wr__buf_puts(b, "}");
}

/* Rewrites m->params_json, or reports WR_ERR_NOMEM. */
static int update_params_json(wr_model *m) {
    wr_buf b = {0};
    params_to_json(m, &b);
    char *s = wr__buf_take(&b, NULL);
    if (!s) return wr__oom(m->ctx, "writing the model's settings");
    free(m->params_json);
    m->params_json = s;
    return WR_OK;
}

const char *wr_model_params_json(wr_model *m) {
    if (!m) return "{}";
    return update_params_json(m) == WR_OK ? m->params_json : "{}";
}

int wr_model_n_items(const wr_model *m) { return m ? m->items.n : 0; }

const char *wr_model_item_id(const wr_model *m, int item) {
    return m && item >= 0 && item < m->items.n ? m->items.keys[item] : "";
}

int wr_model_n_users(const wr_model *m) { return m ? m->users.n : 0; }
int wr_model_user_index(const wr_model *m, const char *id) {
    return m && id ? wr__vocab_find(&m->users, id, strlen(id)) : -1;
}
int wr_model_item_index(const wr_model *m, const char *id) {
    return m && id ? wr__vocab_find(&m->items, id, strlen(id)) : -1;
}

int wr__check_history(wr_model *m, const int *history, int len) {
    if (!m->fitted) return wr__err(m->ctx, WR_ERR_STATE, "%s: the model is not trained yet (fit or load it first)", m->vt->name);
    if (len < 0 || (len > 0 && !history)) return wr__err(m->ctx, WR_ERR_ARG, "history length %d is invalid", len);
    for (int i = 0; i < len; i++)
        if (history[i] < 0 || history[i] >= m->items.n)
            return wr__err(m->ctx, WR_ERR_ARG, "history[%d] = %d is not an item index (the model has %d items)", i, history[i], m->items.n);
    return WR_OK;
}

/* A query's user: -1, or an index into the model's users (models without users take only -1). */
static int check_query(wr_model *m, const wr_query *q) {
    if (q->user < -1 || q->user >= m->users.n)
        return wr__err(m->ctx, WR_ERR_ARG, "user %d is not a user index (the model has %d users; -1 = a user it does not know)", q->user, m->users.n);
    for (int i = 0; i < q->n_features; i++)
        if (q->features[i] < 0 || q->features[i] >= m->features.n)
            return wr__err(m->ctx, WR_ERR_ARG, "visitor feature %d is not a feature index (the model has %d)", q->features[i], m->features.n);
    for (int i = 0; i < q->n_context; i++)
        if (q->context[i] < 0 || q->context[i] >= m->features.n)
            return wr__err(m->ctx, WR_ERR_ARG, "context feature %d is not a feature index (the model has %d)", q->context[i], m->features.n);
    return wr__check_history(m, q->items, q->len);
}

/* Whether the family answers this query itself: a known user, or a history. Otherwise (an
 * unknown user with no history, for instance one whose ids the model does not know, which
 * callers leave out) every model answers the same documented way: the training counts. */
static int answers(const wr_model *m, const wr_query *q) {
    return q->len > 0 || q->user >= 0 || q->n_features > 0 || (q->n_context > 0 && (m->vt->caps & WR_USES_FEATURES)) || !m->counts;
}

/* A query from the public calls: an unknown user carries the visitor's features (wr_model_visitor);
 * every query the context set (wr_model_context). */
static wr_query public_query(const wr_model *m, int user, const int *history, int len) {
    wr_query q = {.user = user, .items = history, .len = len, .context = m->context, .n_context = m->n_context};
    if (user == -1 && m->n_visitor) q.features = m->visitor, q.n_features = m->n_visitor;
    return q;
}

int wr_model_feature_index(const wr_model *m, const char *key) {
    return m && key ? wr__vocab_find(&m->features, key, strlen(key)) : -1;
}

/* Keeps a copy of n feature indices in *dst (the visitor's features, the query context). */
static int keep_features(wr_model *m, const int *features, int n, const char *what, int **dst, int *ndst) {
    if (!m || n < 0 || (n > 0 && !features)) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "%s: model and features are required", what);
    if (!(m->vt->caps & WR_USES_FEATURES) && n > 0) return wr__err(m->ctx, WR_ERR_STATE, "%s does not read side features or context", m->vt->name);
    for (int i = 0; i < n; i++)
        if (features[i] < 0 || features[i] >= m->features.n)
            return wr__err(m->ctx, WR_ERR_ARG, "%s: feature %d is not a feature index (the model has %d)", what, features[i], m->features.n);
    int *copy = n ? wr__malloc((size_t)n * sizeof *copy) : NULL;
    if (n && !copy) return wr__oom(m->ctx, "keeping the features");
    if (n) memcpy(copy, features, (size_t)n * sizeof *copy);
    free(*dst);
    *dst = copy, *ndst = n;
    return WR_OK;
}

int wr_model_visitor(wr_model *m, const int *features, int n) { return keep_features(m, features, n, "wr_model_visitor", &m->visitor, &m->n_visitor); }
int wr_model_context(wr_model *m, const int *features, int n) { return keep_features(m, features, n, "wr_model_context", &m->context, &m->n_context); }

static int score_one(wr_model *m, const wr_query *q, float *scores) {
    if (!answers(m, q)) {
        memcpy(scores, m->counts, (size_t)m->items.n * sizeof *scores);
        return WR_OK;
    }
    return m->vt->score(m, q, scores);
}

int wr_model_score(wr_model *m, int user, const int *history, int len, float *scores) {
    if (!m || !scores) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_score: model and scores are required");
    wr_query q = public_query(m, user, history, len);
    int rc = check_query(m, &q);
    return rc ? rc : score_one(m, &q, scores);
}

int wr_model_vector_dim(const wr_model *m) {
    int dim = 0, stride = 0;
    if (!m || !m->fitted || !m->vt->query_vector || !m->vt->item_vectors) return 0;
    return m->vt->item_vectors((wr_model *)m, NULL, &dim, &stride) == WR_OK ? dim : 0;
}

static int no_vectors(wr_model *m) {
    if (!m->fitted) return wr__err(m->ctx, WR_ERR_STATE, "%s: the model is not trained yet (fit or load it first)", m->vt->name);
    return wr__err(m->ctx, WR_ERR_STATE, "%s has no query and item vectors (twotower has)", m->vt->name);
}

int wr_model_item_vectors(wr_model *m, float *out) {
    if (!m || !out) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_item_vectors: model and out are required");
    int dim = wr_model_vector_dim(m), stride = 0;
    if (!dim) return no_vectors(m);
    const float *v = NULL;
    int rc = m->vt->item_vectors(m, &v, &dim, &stride);
    if (rc) return rc;
    for (int i = 0; i < m->items.n; i++) memcpy(out + (size_t)i * dim, v + (size_t)i * stride, (size_t)dim * sizeof *out);
    return WR_OK;
}

int wr_model_query_vector(wr_model *m, int user, const int *history, int len, float *out) {
    if (!m || !out) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_query_vector: model and out are required");
    if (!wr_model_vector_dim(m)) return no_vectors(m);
    wr_query q = public_query(m, user, history, len);
    int rc = check_query(m, &q);
    return rc ? rc : m->vt->query_vector(m, &q, out);
}

int wr_model_feature_item_vector(wr_model *m, const int *features, int n, float *out) {
    if (!m || !out || n < 1 || !features) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_feature_item_vector: model, features (at least one) and out are required");
    if (!wr_model_vector_dim(m) || !m->vt->feature_item_vector) return no_vectors(m);
    for (int i = 0; i < n; i++)
        if (features[i] < 0 || features[i] >= m->features.n)
            return wr__err(m->ctx, WR_ERR_ARG, "item feature %d is not a feature index (the model has %d)", features[i], m->features.n);
    return m->vt->feature_item_vector(m, features, n, out);
}

int wr__score_batch(wr_model *m, const wr_query *qs, int n, float *scores) {
    for (int i = 0; i < n; i++) {
        int rc = check_query(m, &qs[i]);
        if (rc) return rc;
    }
    if (m->vt->score_batch) {
        int rc = m->vt->score_batch(m, qs, n, scores);
        for (int i = 0; rc == WR_OK && i < n; i++)
            if (!answers(m, &qs[i])) rc = score_one(m, &qs[i], scores + (size_t)i * m->items.n);
        return rc;
    }
    for (int i = 0; i < n; i++) {
        int rc = score_one(m, &qs[i], scores + (size_t)i * m->items.n);
        if (rc) return rc;
    }
    return WR_OK;
}

double wr__repeat_share(const wr_seqs *seqs) {
    int32_t *last = wr__malloc((size_t)seqs->n_items * sizeof *last + 1);
    if (!last) return -1;
    for (int i = 0; i < seqs->n_items; i++) last[i] = -1;
    int64_t events = 0, repeats = 0;
    for (int u = 0; u < seqs->n; u++) {
        const int32_t *s = seqs->items + seqs->start[u];
        for (int t = 0; t < seqs->len[u]; t++) {
            repeats += last[s[t]] == u;
            last[s[t]] = u;
        }
        events += seqs->len[u];
    }
    free(last);
    return events ? (double)repeats / (double)events : 0.0;
}

float wr__repeat_bias_init(double share, int V, double h) {
    share = share < 0.001 ? 0.001 : share > 0.999 ? 0.999 : share;
    if (h < 1) h = 1;
    if (h >= V) h = V - 0.5;
    return (float)wr__log(share * (V - h) / (h * (1 - share)));
}

int wr__marks_init(wr_marks *mk, int n) {
    mk->id = 0;
    mk->n = n;
    mk->mark = wr__calloc((size_t)n + 1, sizeof *mk->mark);
    return mk->mark ? 0 : -1;
}

void wr__marks_free(wr_marks *mk) {
    free(mk->mark);
    mk->mark = NULL;
}

int wr__marks_next(wr_marks *mk) {
    if (mk->id == INT32_MAX) { /* after 2^31 sets: start the marks over */
        memset(mk->mark, 0, (size_t)mk->n * sizeof *mk->mark);
        mk->id = 0;
    }
    return ++mk->id;
}

void wr__repeat_bias_add(wr_marks *mk, const int *history, int len, float rb, float *scores) {
    int id = wr__marks_next(mk);
    for (int t = 0; t < len; t++)
        if (mk->mark[history[t] + 1] != id) mk->mark[history[t] + 1] = id, scores[history[t]] += rb;
}

int wr__resolve_seen(const wr_model *m, int mode, double share, char *reason, size_t reason_len) {
    if (mode != WR_SEEN_AUTO) {
        if (reason) snprintf(reason, reason_len, "history items %s, as asked", mode ? "excluded" : "kept");
        return mode != WR_SEEN_KEEP;
    }
    const char *whose = "the training data";
    if (m->repeat_share >= 0) share = m->repeat_share;
    else whose = "the evaluated histories (the model does not record its training data's)";
    if (share < 0) {
        if (reason) snprintf(reason, reason_len, "auto: history items kept (the model does not record how often its training data repeats items)");
        return 0;
    }
    int ex = share < WR_REPEAT_SHARE_AUTO;
    if (reason)
        snprintf(reason, reason_len, "auto: %.2f%% of the events of %s repeat an item already in that user's history (%s 1%%), so history items are %s",
                 100.0 * share, whose, ex ? "under" : "at least", ex ? "excluded" : "kept");
    return ex;
}

int wr_model_seen_policy(wr_model *m, int mode, const char **reason) {
    if (!m || mode < WR_SEEN_KEEP || mode > WR_SEEN_AUTO) return -1;
    int ex = wr__resolve_seen(m, mode, -1, m->seen_reason, sizeof m->seen_reason);
    if (reason) *reason = m->seen_reason;
    return ex;
}

double wr_model_repeat_share(const wr_model *m) { return m ? m->repeat_share : -1; }

static int cmp_int(const void *a, const void *b) { return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b); }
static int cmp_pair(const void *a, const void *b) { return cmp_int(a, b); } /* (item, score) pairs by item */

/* The top k of a model's sparse scores (every other item at -inf) as wr_topk over all the scores
 * gives them; 0 when fewer than k items beat -inf (the caller then ranks every item), -1 when out
 * of memory. */
static int topk_sparse(const int *items, const float *scores, int n, const int *history, int len, int k, int *out_items,
                       float *out_scores) {
    struct { int item; float score; } *p = wr__malloc((size_t)n * sizeof *p + 1);
    int *seen = history ? wr__malloc((size_t)len * sizeof *seen + 1) : NULL, *pos = wr__malloc((size_t)k * sizeof *pos);
    float *val = wr__malloc((size_t)n * sizeof *val + 1);
    int got = -1, cnt = 0;
    if (!p || (history && !seen) || !pos || !val) goto done;
    if (seen) memcpy(seen, history, (size_t)len * sizeof *seen), qsort(seen, (size_t)len, sizeof *seen, cmp_int);
    for (int j = 0; j < n; j++)
        if (scores[j] > -INFINITY && !(seen && bsearch(&items[j], seen, (size_t)len, sizeof *seen, cmp_int)))
            p[cnt].item = items[j], p[cnt++].score = scores[j];
    got = 0;
    if (cnt < k) goto done;
    qsort(p, (size_t)cnt, sizeof *p, cmp_pair); /* equal scores rank by the lower item, as in wr_topk */
    for (int j = 0; j < cnt; j++) val[j] = p[j].score;
    got = wr_topk(val, NULL, cnt, k, pos, out_scores);
    for (int i = 0; i < got; i++) out_items[i] = p[pos[i]].item;
done:
    free(p), free(seen), free(pos), free(val);
    return got;
}

int wr_model_recommend(wr_model *m, int user, const int *history, int len, int k, int exclude_seen,
                       int *out_items, float *out_scores, int *out_n) {
    if (!m || !out_items || !out_scores || !out_n) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_recommend: model and outputs are required");
    if (k < 1) return wr__err(m->ctx, WR_ERR_ARG, "k must be a positive integer, got %d", k);
    if (exclude_seen < WR_SEEN_KEEP || exclude_seen > WR_SEEN_AUTO)
        return wr__err(m->ctx, WR_ERR_ARG, "exclude_seen must be 0 (keep), 1 (exclude) or 2 (auto), got %d", exclude_seen);
    wr_query q = public_query(m, user, history, len);
    int rc = check_query(m, &q);
    if (rc) return rc;
    exclude_seen = wr__resolve_seen(m, exclude_seen, -1, NULL, 0);
    int n = m->items.n;
    if (m->vt->score_sparse && answers(m, &q) && k <= n) { /* a few candidates: rank them alone */
        const int *items;
        const float *sc;
        int ns = 0, got;
        if ((rc = m->vt->score_sparse(m, &q, &items, &sc, &ns))) return rc;
        if ((got = topk_sparse(items, sc, ns, exclude_seen ? history : NULL, len, k, out_items, out_scores)) < 0) return wr__oom(m->ctx, "recommending");
        if (got) return *out_n = got, WR_OK;
    }
    float *scores = wr__malloc((size_t)n * sizeof *scores);
    unsigned char *mask = exclude_seen ? wr__calloc((size_t)n, 1) : NULL;
    if (!scores || (exclude_seen && !mask)) {
        free(scores);
        free(mask);
        return wr__oom(m->ctx, "recommending");
    }
    rc = score_one(m, &q, scores);
    if (rc == WR_OK) {
        for (int i = 0; mask && i < len; i++) mask[history[i]] = 1;
        *out_n = wr_topk(scores, mask, n, k, out_items, out_scores);
    }
    free(scores);
    free(mask);
    return rc;
}

int wr_model_add_session(wr_model *m, const int *items, int len) {
    if (!m) return WR_ERR_ARG;
    if (m->vt->fit != wr__sknn_vt.fit)
        return wr__err(m->ctx, WR_ERR_STATE, "%s does not learn from single sessions; refit it, or use sknn, vsknn, stan or vstan", m->vt->name);
    int rc = wr__check_history(m, items, len);
    if (rc == WR_OK) rc = wr__knn_add_session(m, items, len);
    for (int i = 0; rc == WR_OK && m->counts && i < len; i++) m->counts[items[i]] += 1.0f; /* as a refit would count */
    return rc;
}

/* ---- model files ---------------------------------------------------------------------------- */

/* {"user.age": [9 edges], ...}: what the model's q0..q9 of each numeric field mean ({} without). */
static void buckets_json(const wr_model *m, wr_buf *b) {
    wr__buf_puts(b, "{");
    for (int i = 0; i < m->n_buckets; i++) {
        wr__buf_puts(b, i ? "," : "");
        wr__buf_json_str(b, m->buckets[i].field);
        for (int q = 0; q < 9; q++) wr__buf_printf(b, "%s%.17g", q ? "," : ":[", m->buckets[i].cuts[q]);
        wr__buf_puts(b, "]");
    }
    wr__buf_puts(b, "}");
}

int wr_model_buckets(const wr_model *m, char **out_json) {
    if (out_json) *out_json = NULL;
    if (!m || !out_json) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_buckets: model and out_json are required");
    wr_buf b = {0};
    buckets_json(m, &b);
    return (*out_json = wr__buf_take(&b, NULL)) ? WR_OK : wr__oom(m->ctx, "listing the bucket edges");
}

int wr_model_save(wr_model *m, uint8_t **out_bytes, size_t *out_len) {
    if (!m || !out_bytes || !out_len) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_save: model and outputs are required");
    if (!m->fitted) return wr__err(m->ctx, WR_ERR_STATE, "%s: nothing to save, the model is not trained yet", m->vt->name);
    wr_st_file f;
    wr__st_init(&f);
    wr_buf items = {0}, params = {0};
    wr__buf_puts(&items, "[");
    for (int i = 0; i < m->items.n; i++) {
        if (i) wr__buf_puts(&items, ",");
        wr__buf_json_str(&items, m->items.keys[i]);
    }
    wr__buf_puts(&items, "]");
    params_to_json(m, &params);
    char nbuf[32], rbuf[32];
    snprintf(nbuf, sizeof nbuf, "%d", m->items.n);
    snprintf(rbuf, sizeof rbuf, "%.9g", m->repeat_share);
    int rc = WR_OK;
    if (items.failed || params.failed || wr__st_set_meta(&f, "format", "wasmrec") < 0 ||
        wr__st_set_meta(&f, "version", WR_MODEL_FORMAT_VERSION) < 0 || wr__st_set_meta(&f, "model", m->vt->name) < 0 ||
        wr__st_set_meta(&f, "params", params.data) < 0 || wr__st_set_meta(&f, "n_items", nbuf) < 0 ||
        wr__st_set_meta(&f, "items", items.data) < 0 || (m->repeat_share >= 0 && wr__st_set_meta(&f, "repeat_share", rbuf) < 0))
        rc = wr__oom(m->ctx, "saving the model");
    wr_buf users = {0};
    if (rc == WR_OK && (m->vt->caps & WR_USES_USERS)) {
        wr__buf_puts(&users, "[");
        for (int i = 0; i < m->users.n; i++) {
            if (i) wr__buf_puts(&users, ",");
            wr__buf_json_str(&users, m->users.keys[i]);
        }
        wr__buf_puts(&users, "]");
        char ubuf[32];
        snprintf(ubuf, sizeof ubuf, "%d", m->users.n);
        if (users.failed || wr__st_set_meta(&f, "users", users.data) < 0 || wr__st_set_meta(&f, "n_users", ubuf) < 0) rc = wr__oom(m->ctx, "saving the model");
    }
    wr_buf feats = {0};
    if (rc == WR_OK && m->features.n) { /* the side-feature keys: a visitor is described by them */
        wr__buf_puts(&feats, "[");
        for (int i = 0; i < m->features.n; i++) {
            if (i) wr__buf_puts(&feats, ",");
            wr__buf_json_str(&feats, m->features.keys[i]);
        }
        wr__buf_puts(&feats, "]");
        char fbuf[32];
        snprintf(fbuf, sizeof fbuf, "%d", m->features.n);
        if (feats.failed || wr__st_set_meta(&f, "features", feats.data) < 0 || wr__st_set_meta(&f, "n_features", fbuf) < 0) rc = wr__oom(m->ctx, "saving the model");
    }
    wr_buf buckets = {0};
    if (rc == WR_OK && m->n_buckets) {
        buckets_json(m, &buckets);
        if (buckets.failed || wr__st_set_meta(&f, "buckets", buckets.data) < 0) rc = wr__oom(m->ctx, "saving the model");
    }
    wr_buf titles = {0};
    if (rc == WR_OK && m->titles) {
        wr__buf_puts(&titles, "[");
        for (int i = 0; i < m->items.n; i++) {
            if (i) wr__buf_puts(&titles, ",");
            wr__buf_json_str(&titles, m->titles[i]);
        }
        wr__buf_puts(&titles, "]");
        if (titles.failed || wr__st_set_meta(&f, "titles", titles.data) < 0) rc = wr__oom(m->ctx, "saving the model");
    }
    int64_t ncount[1] = {m->items.n};
    if (rc == WR_OK && m->counts && wr__st_add(&f, "item_counts", WR_DT_F32, 1, ncount, m->counts) < 0) rc = wr__oom(m->ctx, "saving the model");
    if (rc == WR_OK) rc = m->vt->save(m, &f);
    if (rc == WR_OK && wr__st_serialize(&f, out_bytes, out_len) < 0) rc = wr__oom(m->ctx, "saving the model");
    wr__st_free(&f);
    wr__buf_free(&items);
    wr__buf_free(&params);
    wr__buf_free(&titles);
    wr__buf_free(&users);
    wr__buf_free(&feats);
    wr__buf_free(&buckets);
    return rc;
}

int wr__model_take_buckets(wr_model *m, const wr_features *F) {
    free(m->buckets);
    m->buckets = NULL, m->n_buckets = 0;
    if (!(m->vt->caps & WR_USES_FEATURES)) return WR_OK;
    int n = 0, used[3 * WR_MAX_FIELDS] = {0}; /* the numeric fields with a value in the data: their keys are the model's */
    for (int v = 0; v < F->values.n; v++) used[F->value_field[v]] = F->kind[F->value_field[v]] == 'n';
    for (int f = 0; f < F->n_fields; f++) n += used[f];
    if (!n) return WR_OK;
    if (!(m->buckets = wr__calloc((size_t)n, sizeof *m->buckets))) return wr__oom(m->ctx, "copying the bucket edges");
    for (int f = 0; f < F->n_fields; f++)
        if (used[f]) {
            wr_bucket_edges *b = &m->buckets[m->n_buckets++];
            snprintf(b->field, sizeof b->field, "%s", F->field[f]);
            memcpy(b->cuts, F->cuts[f], sizeof b->cuts);
        }
    return WR_OK;
}

/* The "buckets" metadata: {"user.age": [9 rising edges], ...}, each field one of the feature keys'
 * with bucket values ("user.age=q3"). */
static int load_buckets(wr_model *m, const char *src, const char *json) {
    wr_json_tok *t = NULL;
    int n = 0, rc = WR_OK;
    char err[160];
    int jr = wr__json_parse(json, strlen(json), &t, &n, err, sizeof err);
    if (jr == WR_ERR_NOMEM) return wr__oom(m->ctx, "reading the bucket edges");
    if (jr < 0 || t[0].type != WR_JSON_OBJ || t[0].size < 1 || t[0].size > 3 * WR_MAX_FIELDS) {
        free(t);
        return wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"buckets\" is not a JSON object of at most %d fields, each with its 9 bucket edges", src, 3 * WR_MAX_FIELDS);
    }
    if (!(m->buckets = wr__calloc((size_t)t[0].size, sizeof *m->buckets))) rc = wr__oom(m->ctx, "reading the bucket edges");
    for (int i = 1; rc == WR_OK && i < n; i = t[i + 1].skip) {
        wr_bucket_edges *b = &m->buckets[m->n_buckets];
        const wr_json_tok *a = &t[i + 1];
        size_t fl = t[i].end - t[i].start;
        int known = 0;
        if (fl < sizeof b->field) {
            snprintf(b->field, sizeof b->field, "%.*s", (int)fl, json + t[i].start);
            char key[48];
            snprintf(key, sizeof key, "%s=q", b->field);
            for (int k = 0; k < m->features.n && !known; k++) known = !strncmp(m->features.keys[k], key, strlen(key));
        }
        if (!known) {
            rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"buckets\": \"%.*s\" is not a numeric field of the model's features", src, (int)(fl > 40 ? 40 : fl), json + t[i].start);
            break;
        }
        for (int k = 0; k < m->n_buckets; k++)
            if (!strcmp(m->buckets[k].field, b->field)) rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"buckets\": %s appears twice", src, b->field);
        int ok = rc == WR_OK && a->type == WR_JSON_ARR && a->size == 9;
        for (int q = 0; ok && q < 9; q++)
            ok = wr__json_num(json, &t[i + 2 + q], &b->cuts[q]) == 0 && isfinite(b->cuts[q]) && (q == 0 || b->cuts[q] >= b->cuts[q - 1]);
        if (rc == WR_OK && !ok) rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"buckets\": %s is not an array of 9 rising numbers", src, b->field);
        m->n_buckets++;
    }
    free(t);
    return rc;
}

int wr_data_model_buckets(wr_data *d, const wr_model *m) {
    if (!d || !m) return WR_ERR_ARG;
    return wr__data_model_buckets(d, m->buckets, m->n_buckets, m->vt->name);
}

static int load_params(wr_model *m, const char *src, const char *json) {
    wr_json_tok *t = NULL;
    int n = 0;
    char err[160];
    int jr = wr__json_parse(json, strlen(json), &t, &n, err, sizeof err);
    if (jr == WR_ERR_NOMEM) return wr__oom(m->ctx, "reading model parameters");
    if (jr < 0 || t[0].type != WR_JSON_OBJ) {
        free(t);
        return wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"params\" is not a JSON object", src);
    }
    for (const char *a = m->vt->absent_off; a && *a;) { /* what a file from before them meant */
        size_t n = strcspn(a, ",");
        for (int p = 0; p < m->vt->n_params; p++)
            if (strlen(m->vt->params[p].name) == n && !strncmp(m->vt->params[p].name, a, n)) m->hp[p] = 0;
        a += n + (a[n] == ',');
    }
    int rc = WR_OK, i = 1;
    for (int k = 0; k < t[0].size && rc == WR_OK; k++) {
        int v = t[i].skip;
        char *key = wr__json_str(json, &t[i]);
        char *val = t[v].type == WR_JSON_STR ? wr__json_str(json, &t[v]) : wr__strndup(json + t[v].start, t[v].end - t[v].start);
        if (!key || !val) rc = wr__oom(m->ctx, "reading model parameters");
        else if ((rc = wr_model_set(m, key, val)) != WR_OK && rc != WR_ERR_NOMEM) {
            char msg[WR_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", m->ctx->err);
            rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"params\": %s", src, msg);
        }
        free(key);
        free(val);
        i = t[v].skip;
    }
    free(t);
    return rc;
}

/* The optional "titles" metadata (a JSON array of strings, one per item) and "item_counts". */
static int load_data_info(wr_model *m, const char *src, const char *json, const wr_st_file *f) {
    int rc = WR_OK;
    if (json) {
        wr_json_tok *t = NULL;
        int n = 0;
        char err[160];
        int jr = wr__json_parse(json, strlen(json), &t, &n, err, sizeof err);
        if (jr == WR_ERR_NOMEM) return wr__oom(m->ctx, "reading titles");
        if (jr < 0 || t[0].type != WR_JSON_ARR || t[0].size != m->items.n)
            rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"titles\" is not a JSON array of %d titles", src, m->items.n);
        else if (!(m->titles = wr__calloc((size_t)m->items.n, sizeof *m->titles)))
            rc = wr__oom(m->ctx, "reading titles");
        else m->n_titles = m->items.n;
        for (int i = 0; rc == WR_OK && i < m->items.n; i++) {
            const wr_json_tok *s = &t[1 + i];
            m->titles[i] = s->type == WR_JSON_STR ? wr__json_str(json, s) : NULL;
            if (!m->titles[i] && s->type == WR_JSON_STR) rc = wr__oom(m->ctx, "reading titles");
            else if (!m->titles[i]) rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"titles\"[%d] is not a string", src, i);
        }
        free(t);
        if (rc) return rc;
    }
    const wr_st_tensor *ct;
    int64_t shape[1] = {m->items.n};
    int has_counts = 0;
    for (int i = 0; i < f->n; i++) has_counts |= !strcmp(f->t[i].name, "item_counts");
    if (!has_counts) return WR_OK;
    if ((rc = wr__st_get(m->ctx, f, "item_counts", WR_DT_F32, 1, shape, &ct))) return rc;
    if (!(m->counts = wr__malloc((size_t)m->items.n * sizeof *m->counts + 1))) return wr__oom(m->ctx, "reading item counts");
    wr__st_copy(m->counts, ct);
    for (int i = 0; i < m->items.n; i++)
        if (!(m->counts[i] >= 0 && m->counts[i] < 1e30f))
            return wr__err(m->ctx, WR_ERR_FORMAT, "%s: item_counts[%d] is not a count", src, i);
    return WR_OK;
}

/* Whether a JSON string's raw text s (n bytes, escapes not decoded) escapes a NUL: "\u0000" as an
 * escape, not the text "\\u0000" (an escaped backslash, then "u0000"). */
static int escapes_nul(const char *s, size_t n) {
    for (size_t i = 0; i + 1 < n; i += s[i] == '\\' ? 2 : 1)
        if (s[i] == '\\' && s[i + 1] == 'u' && i + 6 <= n && !memcmp(s + i + 2, "0000", 4)) return 1;
    return 0;
}

/* The "items" (or "users") metadata: a JSON array of n distinct ids, into v. */
static int load_ids(wr_model *m, const char *src, const char *json, long long n_ids, const char *what, wr_vocab *v) {
    wr_json_tok *t = NULL;
    int n = 0;
    char err[160];
    const char *one = !strcmp(what, "items") ? "item" : !strcmp(what, "users") ? "user" : "feature";
    int jr = wr__json_parse(json, strlen(json), &t, &n, err, sizeof err);
    if (jr == WR_ERR_NOMEM) return wr__oom(m->ctx, "reading the vocabulary");
    if (jr < 0 || t[0].type != WR_JSON_ARR) {
        free(t);
        return wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"%s\" is not a JSON array of %s ids", src, what, one);
    }
    int rc = WR_OK;
    if (t[0].size != n_ids) rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"%s\" has %d ids but n_%s is %lld", src, what, t[0].size, what, n_ids);
    for (int i = 0; rc == WR_OK && i < t[0].size; i++) {
        const wr_json_tok *s = &t[1 + i];
        char *id = s->type == WR_JSON_STR ? wr__json_str(json, s) : NULL;
        /* an escaped NUL would be cut by the decoding, and the id taken for another */
        int nul = s->type == WR_JSON_STR && escapes_nul(json + s->start, (size_t)(s->end - s->start));
        if (!id && s->type == WR_JSON_STR) rc = wr__oom(m->ctx, "reading the vocabulary");
        else if (!id || !*id || nul || strlen(id) > WR_MAX_ID_LEN)
            rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"%s\"[%d] is not a valid %s id%s", src, what, i, one, nul ? " (a NUL byte)" : "");
        else {
            int before = v->n, got = wr__vocab_add(v, id, strlen(id));
            if (got < 0) rc = wr__oom(m->ctx, "reading the vocabulary");
            else if (got != before) rc = wr__err(m->ctx, WR_ERR_FORMAT, "%s: metadata \"%s\": %s id \"%s\" appears twice", src, what, one, id);
        }
        free(id);
    }
    free(t);
    return rc;
}

int wr_model_load(wr_ctx *ctx, const uint8_t *bytes, size_t len, const char *source, wr_model **out) {
    if (!out) return wr__err(ctx, WR_ERR_ARG, "wr_model_load: out is NULL");
    *out = NULL;
    if (!ctx || (!bytes && len)) return wr__err(ctx, WR_ERR_ARG, "wr_model_load: ctx and bytes are required");
    const char *src = source ? source : "model";
    wr_st_file f;
    int rc = wr__st_parse(ctx, bytes, len, src, &f);
    if (rc) return rc;
    const char *format = wr__st_meta(&f, "format"), *version = wr__st_meta(&f, "version"),
               *name = wr__st_meta(&f, "model"), *params = wr__st_meta(&f, "params"),
               *items = wr__st_meta(&f, "items"), *nitems = wr__st_meta(&f, "n_items");
    wr_model *m = NULL;
    long long n_items = -1;
    if (!format || strcmp(format, "wasmrec"))
        rc = wr__err(ctx, WR_ERR_FORMAT, "%s: not a wasmrec model: __metadata__ \"format\" is %s%s%s", src, format ? "\"" : "missing", format ? format : "", format ? "\"" : "");
    else if (!version || strcmp(version, WR_MODEL_FORMAT_VERSION))
        rc = wr__err(ctx, WR_ERR_FORMAT, "%s: model format version \"%s\" is not supported (this engine reads version %s)", src, version ? version : "?", WR_MODEL_FORMAT_VERSION);
    else if (!name || !params || !items || !nitems)
        rc = wr__err(ctx, WR_ERR_FORMAT, "%s: __metadata__ lacks \"%s\"", src, !name ? "model" : !params ? "params" : !items ? "items" : "n_items");
    else if (!find_family(name))
        rc = wr__err(ctx, WR_ERR_FORMAT, "%s: unknown model \"%s\" (this engine has %s)", src, name, wr_model_names());
    else {
        char *end;
        n_items = strtoll(nitems, &end, 10);
        if (*end || n_items < 1 || n_items > 100000000) rc = wr__err(ctx, WR_ERR_FORMAT, "%s: n_items \"%s\" is not a valid count", src, nitems);
    }
    const char *repeat = wr__st_meta(&f, "repeat_share");
    double share = -1;
    if (rc == WR_OK && repeat) {
        char *end;
        share = strtod(repeat, &end);
        if (end == repeat || *end || !(share >= 0 && share <= 1))
            rc = wr__err(ctx, WR_ERR_FORMAT, "%s: metadata \"repeat_share\" is \"%.40s\", not a share in [0, 1]", src, repeat);
    }
    if (rc == WR_OK) rc = wr_model_new(ctx, name, 0, &m);
    if (rc == WR_OK) m->repeat_share = share;
    if (rc == WR_OK) rc = load_params(m, src, params);
    if (rc == WR_OK) rc = load_ids(m, src, items, n_items, "items", &m->items);
    if (rc == WR_OK && (m->vt->caps & WR_USES_USERS)) {
        const char *users = wr__st_meta(&f, "users"), *nusers = wr__st_meta(&f, "n_users");
        char *end = NULL;
        long long n_users = nusers ? strtoll(nusers, &end, 10) : -1;
        if (!users || !nusers) rc = wr__err(ctx, WR_ERR_FORMAT, "%s: a %s model needs __metadata__ \"users\" and \"n_users\"", src, name);
        else if (*end || n_users < 1 || n_users > 100000000) rc = wr__err(ctx, WR_ERR_FORMAT, "%s: n_users \"%.40s\" is not a valid count", src, nusers);
        else rc = load_ids(m, src, users, n_users, "users", &m->users);
    }
    const char *feats = wr__st_meta(&f, "features"), *nfeats = wr__st_meta(&f, "n_features");
    if (rc == WR_OK && (feats || nfeats)) {
        char *end = NULL;
        long long nf = nfeats ? strtoll(nfeats, &end, 10) : -1;
        if (!feats || !nfeats || *end || nf < 1 || nf > 100000000) rc = wr__err(ctx, WR_ERR_FORMAT, "%s: metadata \"features\" and \"n_features\" do not match", src);
        else rc = load_ids(m, src, feats, nf, "features", &m->features);
    }
    const char *buckets = wr__st_meta(&f, "buckets");
    if (rc == WR_OK && buckets) rc = load_buckets(m, src, buckets);
    if (rc == WR_OK) rc = load_data_info(m, src, wr__st_meta(&f, "titles"), &f);
    if (rc == WR_OK) {
        m->loading_bytes = 0;
        for (int i = 0; i < f.n; i++) m->loading_bytes += (int64_t)f.t[i].nbytes;
        rc = update_params_json(m); /* named in the message if the settings ask too much */
    }
    if (rc == WR_OK && (rc = m->vt->load(m, &f)) != WR_OK && !strncmp(ctx->err, "model file: ", 12)) {
        char msg[WR_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", ctx->err + 12);
        wr__err(ctx, rc, "%s: %s", src, msg); /* name the file the user gave */
    }
    if (m) m->loading_bytes = -1;
    if (rc == WR_OK) m->fitted = 1;
    wr__st_free(&f);
    if (rc != WR_OK) {
        wr_model_free(m);
        return rc;
    }
    *out = m;
    return WR_OK;
}

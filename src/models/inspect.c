/* inspect.c: looking inside a trained model (the demo page's "why" and its embedding map).
 * The public entry points check their arguments and dispatch to the family's optional hooks. */
#include <math.h>
#include <stdlib.h>

#include "model.h"

static int unavailable(wr_model *m, const char *what, const char *lacks) {
    return wr__err(m->ctx, WR_ERR_STATE, "%s: model %s has no %s", what, m->vt->name, lacks);
}

int wr_model_explain(wr_model *m, const int *history, int len, int item, float *weight) {
    if (!m || (len > 0 && !weight))
        return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_explain: model and weight are required");
    int rc = wr__check_history(m, history, len);
    if (rc) return rc;
    if (item < 0 || item >= m->items.n)
        return wr__err(m->ctx, WR_ERR_ARG, "explain: item index %d is outside [0, %d)", item, m->items.n);
    return m->vt->explain ? m->vt->explain(m, history, len, item, weight) : unavailable(m, "explain", "per-item explanation (wr_model_info says which models can)");
}

int wr_model_attention(wr_model *m, const int *history, int len, float *weights, int *out_blocks) {
    if (!m || !out_blocks || (len > 0 && !weights))
        return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_attention: model, weights and out_blocks are required");
    *out_blocks = 0;
    int rc = wr__check_history(m, history, len);
    if (rc) return rc;
    if (!m->vt->attention) return unavailable(m, "attention", "attention (wr_model_info says which models have it)");
    rc = m->vt->attention(m, history, len, weights);
    if (rc < 0) return rc;
    *out_blocks = rc;
    return WR_OK;
}

/* Top eigenvector of the symmetric C x C matrix A by power iteration from a fixed start (so the
 * map is the same every time); returns its eigenvalue. The sign is fixed so the largest
 * component is positive. */
static double top_eigen(const double *A, int C, double *v, double *tmp) {
    for (int c = 0; c < C; c++) v[c] = 1.0 / sqrt((double)C) * (1.0 + 0.01 * c);
    double lambda = 0;
    for (int it = 0; it < 500; it++) {
        double norm = 0;
        for (int r = 0; r < C; r++) {
            double s = 0;
            for (int c = 0; c < C; c++) s += A[r * C + c] * v[c];
            tmp[r] = s;
            norm += s * s;
        }
        norm = sqrt(norm);
        if (norm == 0) return 0;
        double change = 0;
        for (int c = 0; c < C; c++) {
            double x = tmp[c] / norm;
            change += fabs(x - v[c]);
            v[c] = x;
        }
        lambda = norm;
        if (change < 1e-12 * C) break;
    }
    int big = 0;
    for (int c = 1; c < C; c++)
        if (fabs(v[c]) > fabs(v[big])) big = c;
    if (v[big] < 0)
        for (int c = 0; c < C; c++) v[c] = -v[c];
    return lambda;
}

int wr_model_item_map(wr_model *m, float *xy, float *explained) {
    if (!m || !xy || !explained)
        return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_model_item_map: model, xy and explained are required");
    if (!m->fitted) return wr__err(m->ctx, WR_ERR_STATE, "item map: the model is not trained yet");
    if (!m->vt->item_vectors) return unavailable(m, "item map", "item embeddings (gru4rec, sasrec and bert4rec have them)");
    int C, stride, V = m->items.n;
    const float *E = NULL;
    int rc = m->vt->item_vectors(m, &E, &C, &stride);
    if (rc) return rc;
    double *mean = wr__calloc((size_t)C, sizeof *mean), *cov = wr__calloc((size_t)C * C, sizeof *cov);
    double *pc = wr__calloc((size_t)2 * C, sizeof *pc), *tmp = wr__calloc((size_t)C, sizeof *tmp);
    if (!mean || !cov || !pc || !tmp) {
        free(mean), free(cov), free(pc), free(tmp);
        return wr__oom(m->ctx, "computing the item map");
    }
    for (int i = 0; i < V; i++)
        for (int c = 0; c < C; c++) mean[c] += E[(size_t)i * stride + c] / V;
    for (int i = 0; i < V; i++) {
        const float *e = E + (size_t)i * stride;
        for (int r = 0; r < C; r++)
            for (int c = 0; c <= r; c++) cov[r * C + c] += (e[r] - mean[r]) * (e[c] - mean[c]) / V;
    }
    double total = 0;
    for (int r = 0; r < C; r++) {
        total += cov[r * C + r];
        for (int c = 0; c < r; c++) cov[c * C + r] = cov[r * C + c];
    }
    /* two components: the top one, then the top one of the deflated matrix */
    double l1 = top_eigen(cov, C, pc, tmp);
    for (int r = 0; r < C; r++)
        for (int c = 0; c < C; c++) cov[r * C + c] -= l1 * pc[r] * pc[c];
    double l2 = top_eigen(cov, C, pc + C, tmp);
    explained[0] = total > 0 ? (float)(l1 / total) : 0;
    explained[1] = total > 0 ? (float)(l2 / total) : 0;
    for (int i = 0; i < V; i++) {
        const float *e = E + (size_t)i * stride;
        double x = 0, y = 0;
        for (int c = 0; c < C; c++) {
            x += (e[c] - mean[c]) * pc[c];
            y += (e[c] - mean[c]) * pc[C + c];
        }
        xy[2 * i] = (float)x;
        xy[2 * i + 1] = (float)y;
    }
    free(mean), free(cov), free(pc), free(tmp);
    return WR_OK;
}

int wr_model_info(wr_ctx *ctx, const char *name, char **out_json) {
    if (!out_json) return wr__err(ctx, WR_ERR_ARG, "wr_model_info: out_json is NULL");
    *out_json = NULL;
    const wr_model_vt *vt = wr__family(name);
    if (!vt) return wr__err(ctx, WR_ERR_ARG, "unknown model \"%.60s\"; the models are %s", name ? name : "", wr_model_names());
    /* what it predicts under its defaults: a model with default params answers */
    wr_model *m = NULL;
    int rc = wr_model_new(ctx, name, 0, &m);
    if (rc) return rc;
    int predicts = vt->predicts ? vt->predicts(m) : WR_PREDICTS_SCORE;
    static const char *const pred[] = {"score", "probability", "rating"};
    int knn = vt->fit == wr__sknn_vt.fit, users = (vt->caps & WR_USES_USERS) != 0;
    wr_buf b = {0};
    wr__buf_puts(&b, "{\"name\":");
    wr__buf_json_str(&b, vt->name);
    wr__buf_printf(&b, ",\"uses\":{\"history\":%s,\"users\":%s,\"labels\":%s,\"features\":%s}", vt->caps & WR_NO_HISTORY ? "false" : "true",
                   users ? "true" : "false", vt->caps & WR_USES_LABELS ? "true" : "false", vt->caps & WR_USES_FEATURES ? "true" : "false");
    wr__buf_printf(&b, ",\"iterative\":%s,\"predicts\":\"%s\"", vt->train_step ? "true" : "false", pred[predicts]);
    wr__buf_printf(&b, ",\"can\":{\"fine_tune\":%s,\"add_session\":%s,\"explain\":%s,\"attention\":%s,\"item_map\":%s}",
                   (vt->train_step && !users) || knn ? "true" : "false", knn ? "true" : "false", vt->explain ? "true" : "false",
                   vt->attention ? "true" : "false", vt->item_vectors ? "true" : "false");
    wr__buf_puts(&b, ",\"params\":[");
    static const char *const types[] = {"int", "float", "enum"};
    for (int i = 0; i < vt->n_params; i++) {
        const wr_param_def *p = &vt->params[i];
        wr__buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        wr__buf_json_str(&b, p->name);
        wr__buf_printf(&b, ",\"type\":\"%s\",\"default\":", types[p->type]);
        wr__buf_json_num(&b, p->def);
        wr__buf_puts(&b, ",\"min\":");
        wr__buf_json_num(&b, p->min);
        wr__buf_puts(&b, ",\"max\":");
        wr__buf_json_num(&b, p->max);
        if (p->choices) {
            wr__buf_puts(&b, ",\"choices\":");
            wr__buf_json_str(&b, p->choices);
        }
        wr__buf_puts(&b, ",\"help\":");
        wr__buf_json_str(&b, p->help ? p->help : "");
        wr__buf_puts(&b, "}");
    }
    wr__buf_puts(&b, "]}");
    wr_model_free(m);
    *out_json = wr__buf_take(&b, NULL);
    return *out_json ? WR_OK : wr__oom(ctx, "describing a model");
}

/* gru4rec.c: GRU4Rec as its authors specify it (Hidasi et al. 2016; Hidasi & Czapp 2023).
 *   - session-parallel mini-batches: B lanes each walk one sequence an event at a time; the
 *     hidden state of a lane is reset when it starts a new sequence (also at evaluation: a
 *     history is scored from a zero state); no backpropagation through time across steps;
 *   - one GRU layer (PyTorch's gate layout r, z, n), item embeddings in, separate or tied output
 *     embeddings with a bias;
 *   - cross-entropy (or BPR-max) over the mini-batch's targets plus a shared pool of n_sample
 *     negatives drawn from popularity^sample_alpha (n_sample = 0: every item);
 *   - dropout on the input embeddings and on the GRU output that is scored (the carried state is
 *     never dropped), as in the authors' code (dropout_p_embed, dropout_p_hidden);
 *   - Adagrad, updating only the embedding rows a step touched.
 * Dimension letters: B lanes, C hidden = embedding size, V items (+1: row 0 is padding),
 * N candidates (targets + negatives, or V). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../nn/nn.h"
#include "batch.h"
#include "optim.h"

static const wr_param_def gru4rec_params[] = {
    {"dim", WR_PARAM_INT, 64, 1, 4096, NULL, "embedding and hidden size"},
    {"batch", WR_PARAM_INT, 64, 1, 4096, NULL, "parallel sessions per step"},
    {"lr", WR_PARAM_FLOAT, 0.05, 1e-6, 10, NULL, "Adagrad learning rate"},
    {"epochs", WR_PARAM_INT, 20, 1, 100000, NULL, "maximum epochs"},
    {"patience", WR_PARAM_INT, 3, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"},
    {"n_sample", WR_PARAM_INT, 2048, 0, 1000000, NULL, "shared negatives per step (0 = full softmax)"},
    {"sample_alpha", WR_PARAM_FLOAT, 0.75, 0, 1, NULL, "negatives drawn from popularity^alpha"},
    {"tied", WR_PARAM_INT, 0, 0, 1, NULL, "share input and output item embeddings"},
    {"loss", WR_PARAM_ENUM, 0, 0, 1, "ce|bpr-max", "cross-entropy, or BPR-max over the negatives"},
    {"bpreg", WR_PARAM_FLOAT, 1.0, 0, 100, NULL, "BPR-max score regularisation"},
    {"clip", WR_PARAM_FLOAT, 0, 0, 1e9, NULL, "clip the gradient's global norm to this (0 = off)"},
    {"dropout_embed", WR_PARAM_FLOAT, 0, 0, 0.9, NULL, "dropout on the input item embeddings"},
    {"dropout_hidden", WR_PARAM_FLOAT, 0, 0, 0.9, NULL, "dropout on the GRU output before scoring"},
    {"init", WR_PARAM_FLOAT, 0.0, 0, 10, NULL, "uniform init bound (0 = sqrt(6 / (fan_in + fan_out)))"},
};

typedef struct {
    wr_layout layout;
    int V, C, B, emb, w_ih, w_hh, b_ih, b_hh, out, out_b; /* view indices */
    float *grad, *acc;       /* gradient and Adagrad accumulator, same layout as m->params */
    /* training state */
    wr_lanes lanes;
    int lanes_ready;
    float *h;                /* (B, C) hidden state carried between steps */
    int32_t *inp, *tgt;      /* (B) */
    unsigned char *reset;    /* (B) */
    /* activations of one step, over the A active lanes */
    float *x, *hp, *gi, *gh, *r, *z, *n, *hn;   /* (B, C) or (B, 3C) */
    float *dh, *dgi, *dgh, *dx;
    float *hd, *dhd;         /* (B, C) the dropped-out output that is scored, and its gradient */
    unsigned char *mask_e, *mask_h; /* (B, C) dropout masks of the input and the output */
    int32_t *cand;           /* (N) candidate items, 1-based */
    float *oc, *doc, *logits;/* (N, C), (N, C), (B, N) */
    wr_sampler sampler;      /* negatives from popularity^sample_alpha */
    unsigned char *touched;  /* (V + 1) rows with gradient this step */
    int32_t *rows;           /* (V + 1) list of touched rows */
} gru_state;

static inline float *view(const gru_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }
static float sigmoidf(float x) { return 1.0f / (1.0f + wr_expf(-x)); }

static int build_layout(wr_model *m, int V) {
    gru_state *s = m->state;
    int C = s->C = (int)wr__hp(m, "dim");
    s->V = V;
    s->B = (int)wr__hp(m, "batch");
    float bound = (float)wr__hp(m, "init");
    float be = bound > 0 ? bound : sqrtf(6.0f / (float)(V + 1 + C)), bw = bound > 0 ? bound : sqrtf(6.0f / (float)(4 * C));
    wr_layout *l = &s->layout;
    memset(l, 0, sizeof *l);
    s->emb = wr__layout_add(l, "gru4rec.item_emb", 2, V + 1, C, 0, WR_INIT_UNIFORM, be, 1);
    s->w_ih = wr__layout_add(l, "gru4rec.gru.w_ih", 2, 3 * C, C, 0, WR_INIT_UNIFORM, bw, 0);
    s->w_hh = wr__layout_add(l, "gru4rec.gru.w_hh", 2, 3 * C, C, 0, WR_INIT_UNIFORM, bw, 0);
    s->b_ih = wr__layout_add(l, "gru4rec.gru.b_ih", 1, 3 * C, 0, 0, WR_INIT_ZERO, 0, 0);
    s->b_hh = wr__layout_add(l, "gru4rec.gru.b_hh", 1, 3 * C, 0, 0, WR_INIT_ZERO, 0, 0);
    s->out = wr__hp(m, "tied") != 0 ? s->emb : wr__layout_add(l, "gru4rec.out_emb", 2, V + 1, C, 0, WR_INIT_UNIFORM, be, 1);
    s->out_b = wr__layout_add(l, "gru4rec.out_bias", 1, V + 1, 0, 0, WR_INIT_ZERO, 0, 1);
    m->n_params = l->total;
    m->params = calloc(l->total + 4, sizeof(float));
    return m->params ? WR_OK : wr__oom(m->ctx, "allocating gru4rec");
}

static void gru_free(wr_model *m) {
    gru_state *s = m->state;
    free(m->params);
    free(s->grad);
    free(s->acc);
    wr__sampler_free(&s->sampler);
    if (s->lanes_ready) wr__lanes_free(&s->lanes);
    void *bufs[] = {s->h, s->inp, s->tgt, s->reset, s->x, s->hp, s->gi, s->gh, s->r, s->z, s->n, s->hn, s->dh,
                    s->dgi, s->dgh, s->dx, s->cand, s->oc, s->doc, s->logits, s->touched, s->rows, s->hd, s->dhd, s->mask_e, s->mask_h};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(s);
}

/* ---- the GRU cell: forward over A rows, and backward into the weight gradients and dx ------- */

/* x, hp (A, C) -> hn (A, C); keeps gi, gh (A, 3C) and the gates r, z, n (A, C) for backward. */
static void gru_forward(gru_state *s, const float *P, int A) {
    int C = s->C;
    wr_gemm_nt(s->gi, s->x, view(s, (float *)P, s->w_ih), A, 3 * C, C, 0);
    wr_gemm_nt(s->gh, s->hp, view(s, (float *)P, s->w_hh), A, 3 * C, C, 0);
    const float *bi = view(s, (float *)P, s->b_ih), *bh = view(s, (float *)P, s->b_hh);
    for (int a = 0; a < A; a++) {
        float *gi = s->gi + a * 3 * C, *gh = s->gh + a * 3 * C;
        for (int j = 0; j < 3 * C; j++) {
            gi[j] += bi[j];
            gh[j] += bh[j];
        }
        for (int c = 0; c < C; c++) {
            float r = sigmoidf(gi[c] + gh[c]), z = sigmoidf(gi[C + c] + gh[C + c]);
            float n = 2.0f * sigmoidf(2.0f * (gi[2 * C + c] + r * gh[2 * C + c])) - 1.0f; /* tanh */
            s->r[a * C + c] = r;
            s->z[a * C + c] = z;
            s->n[a * C + c] = n;
            s->hn[a * C + c] = (1.0f - z) * n + z * s->hp[a * C + c];
        }
    }
}

/* dh (A, C) -> accumulates dW_ih, dW_hh, db_ih, db_hh into G and writes dx (A, C). The previous
 * state gets no gradient (no backpropagation through time across steps). */
static void gru_backward(gru_state *s, const float *P, float *G, int A) {
    int C = s->C;
    for (int a = 0; a < A; a++) {
        float *dgi = s->dgi + a * 3 * C, *dgh = s->dgh + a * 3 * C;
        const float *gh = s->gh + a * 3 * C;
        for (int c = 0; c < C; c++) {
            float dh = s->dh[a * C + c], r = s->r[a * C + c], z = s->z[a * C + c], n = s->n[a * C + c];
            float dn = dh * (1.0f - z) * (1.0f - n * n);
            float dz = dh * (s->hp[a * C + c] - n) * z * (1.0f - z);
            float dr = dn * gh[2 * C + c] * r * (1.0f - r);
            dgi[c] = dgh[c] = dr;
            dgi[C + c] = dgh[C + c] = dz;
            dgi[2 * C + c] = dn;
            dgh[2 * C + c] = dn * r;
        }
    }
    wr_gemm_tn(view(s, G, s->w_ih), s->dgi, s->x, 3 * C, C, A, 1);
    wr_gemm_tn(view(s, G, s->w_hh), s->dgh, s->hp, 3 * C, C, A, 1);
    float *dbi = view(s, G, s->b_ih), *dbh = view(s, G, s->b_hh);
    for (int a = 0; a < A; a++)
        for (int j = 0; j < 3 * C; j++) {
            dbi[j] += s->dgi[a * 3 * C + j];
            dbh[j] += s->dgh[a * 3 * C + j];
        }
    wr_gemm_nn(s->dx, s->dgi, view(s, (float *)P, s->w_ih), A, C, 3 * C, 0);
}

/* ---- fit: parameters, buffers, negative sampling table -------------------------------------- */

static int gru_fit(wr_model *m, const wr_seqs *train) {
    gru_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "creating gru4rec");
    m->state = s;
    int rc = build_layout(m, train->n_items);
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    int V = s->V, C = s->C, B = s->B, N = (int)wr__hp(m, "n_sample") > 0 ? B + (int)wr__hp(m, "n_sample") : V;
    size_t T = s->layout.total + 4;
    s->grad = calloc(T, sizeof(float));
    s->acc = calloc(T, sizeof(float));
    s->h = calloc((size_t)B * C, sizeof(float));
    s->inp = calloc((size_t)B, sizeof(int32_t));
    s->tgt = calloc((size_t)B, sizeof(int32_t));
    s->reset = calloc((size_t)B, 1);
    float **acts[] = {&s->x, &s->hp, &s->r, &s->z, &s->n, &s->hn, &s->dh, &s->dx, &s->hd, &s->dhd};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) *acts[i] = calloc((size_t)B * C, sizeof(float));
    s->gi = calloc((size_t)B * 3 * C, sizeof(float));
    s->gh = calloc((size_t)B * 3 * C, sizeof(float));
    s->dgi = calloc((size_t)B * 3 * C, sizeof(float));
    s->dgh = calloc((size_t)B * 3 * C, sizeof(float));
    s->cand = calloc((size_t)N, sizeof(int32_t));
    s->oc = calloc((size_t)N * C, sizeof(float));
    s->doc = calloc((size_t)N * C, sizeof(float));
    s->logits = calloc((size_t)B * N, sizeof(float));
    s->touched = calloc((size_t)V + 1, 1);
    s->mask_e = calloc((size_t)B * C, 1);
    s->mask_h = calloc((size_t)B * C, 1);
    s->rows = calloc((size_t)V + 1, sizeof(int32_t));
    if (!s->grad || !s->acc || !s->h || !s->inp || !s->tgt || !s->reset || !s->x || !s->hp || !s->r || !s->z || !s->n ||
        !s->hn || !s->dh || !s->dx || !s->gi || !s->gh || !s->dgi || !s->dgh || !s->cand || !s->oc || !s->doc ||
        !s->logits || !s->touched || !s->rows || !s->hd || !s->dhd || !s->mask_e || !s->mask_h)
        return wr__oom(m->ctx, "allocating gru4rec training buffers");
    if (wr__sampler_init(&s->sampler, train, wr__hp(m, "sample_alpha")) < 0) return wr__oom(m->ctx, "allocating gru4rec");
    if (wr__lanes_init(&s->lanes, train, B, &m->rng) < 0) return wr__oom(m->ctx, "allocating gru4rec");
    s->lanes_ready = 1;
    if (s->lanes.n_seq == 0) return wr__err(m->ctx, WR_ERR_ARG, "gru4rec: no training sequence has 2 or more events");
    return WR_OK;
}

/* BPR-max (Hidasi & Karatzoglou 2018) for one row of scores r (n) with target column t: the
 * negatives j != t get softmax weights s_j, and
 *   L = -log sum_j s_j sigmoid(r_t - r_j) + bpreg sum_j s_j r_j^2.
 * Returns L and replaces r with dL/dr * scale. */
static double bpr_max(float *r, int n, int t, float bpreg, float scale) {
    float mx = -INFINITY;
    for (int j = 0; j < n; j++)
        if (j != t && r[j] > mx) mx = r[j];
    double sum = 0, A = 0, R = 0;
    for (int j = 0; j < n; j++)
        if (j != t) sum += wr_expf(r[j] - mx);
    float rt = r[t];
    /* first pass: A = sum s_j sigma_j, R = sum s_j r_j^2 */
    for (int j = 0; j < n; j++) {
        if (j == t) continue;
        float sj = (float)(wr_expf(r[j] - mx) / sum), sg = 1.0f / (1.0f + wr_expf(-(rt - r[j])));
        A += sj * sg;
        R += sj * r[j] * r[j];
    }
    if (A < 1e-30) A = 1e-30;
    double loss = -wr__log(A) + bpreg * R, dt = 0;
    for (int j = 0; j < n; j++) {
        if (j == t) continue;
        float sj = (float)(wr_expf(r[j] - mx) / sum), sg = 1.0f / (1.0f + wr_expf(-(rt - r[j])));
        dt -= sj * sg * (1 - sg) / A;
        double dj = -(sj * (sg - A) - sj * sg * (1 - sg)) / A + bpreg * sj * (r[j] * r[j] - R + 2 * r[j]);
        r[j] = (float)dj * scale;
    }
    r[t] = (float)dt * scale;
    return loss;
}

static void touch(gru_state *s, int32_t row, int *n) {
    if (!s->touched[row]) {
        s->touched[row] = 1;
        s->rows[(*n)++] = row;
    }
}

/* Loss and gradients of one step: inp, tgt (B) 1-based (tgt 0 = idle lane), h (B, C) the
 * previous hidden states (already reset where a lane started a sequence). Leaves the new states
 * in s->hn (active lanes, in order) and the gradients in s->grad (*grad): dense views whole,
 * embedding views on the rows listed in s->rows (*n_rows). Used by the training step and by the
 * gradient check test. */
int wr__gru4rec_loss_grad(wr_model *m, const int32_t *inp, const int32_t *tgt, const float *h, double *loss,
                          int64_t *positions, int *n_rows, const float **grad) {
    gru_state *s = m->state;
    const float *P = m->params;
    float *G = s->grad;
    *grad = G;
    int V = s->V, C = s->C, B = s->B, n_sample = (int)wr__hp(m, "n_sample");
    if (n_sample >= V) n_sample = 0; /* more negatives than items: the full softmax is cheaper */
    int A = 0, act[4096];
    for (int b = 0; b < B; b++)
        if (tgt[b] > 0) act[A++] = b;
    *positions = A;
    *loss = 0;
    *n_rows = 0;
    if (A == 0) return WR_OK;
    /* inputs: embeddings of the active lanes, and their previous states */
    const float *E = view(s, (float *)P, s->emb);
    for (int a = 0; a < A; a++) {
        memcpy(s->x + a * C, E + (size_t)inp[act[a]] * C, C * sizeof(float));
        memcpy(s->hp + a * C, h + act[a] * C, C * sizeof(float));
    }
    float pe = (float)wr__hp(m, "dropout_embed"), ph = (float)wr__hp(m, "dropout_hidden");
    wr_dropout_forward(s->x, s->mask_e, s->x, pe, 1, &m->rng, A * C);
    gru_forward(s, P, A);
    wr_dropout_forward(s->hd, s->mask_h, s->hn, ph, 1, &m->rng, A * C); /* hn itself carries over */
    /* candidates: every item, or the batch's targets then the shared negatives */
    int N;
    (void)B;
    const float *O = view(s, (float *)P, s->out), *ob = view(s, (float *)P, s->out_b);
    if (n_sample == 0) {
        N = V;
        for (int i = 0; i < V; i++) s->cand[i] = i + 1;
    } else {
        N = 0;
        for (int a = 0; a < A; a++) s->cand[N++] = tgt[act[a]];
        for (int k = 0; k < n_sample; k++) s->cand[N++] = wr__sampler_draw(&s->sampler, &m->rng);
    }
    for (int j = 0; j < N; j++) memcpy(s->oc + (size_t)j * C, O + (size_t)s->cand[j] * C, C * sizeof(float));
    wr_gemm_nt(s->logits, s->hd, s->oc, A, N, C, 0);
    /* per lane, over the candidates; the target's column is its own target (sampled) or its
     * item (full); the row becomes dloss/dlogits */
    double total = 0;
    float inv = 1.0f / (float)A;
    int bprmax = wr__hp(m, "loss") == 1;
    float bpreg = (float)wr__hp(m, "bpreg");
    for (int a = 0; a < A; a++) {
        float *row = s->logits + (size_t)a * N;
        for (int j = 0; j < N; j++) row[j] += ob[s->cand[j]];
        int t = n_sample == 0 ? tgt[act[a]] - 1 : a;
        if (bprmax) total += bpr_max(row, N, t, bpreg, inv);
        else {
            wr_softmax(row, row, N);
            float p = row[t] > 1e-30f ? row[t] : 1e-30f;
            total -= wr_logf(p);
            for (int j = 0; j < N; j++) row[j] *= inv;
            row[t] -= inv;
        }
    }
    *loss = total / A;
    /* zero the gradients this step will write */
    for (int v = 0; v < s->layout.n; v++)
        if (!s->layout.v[v].embedding) memset(view(s, G, v), 0, s->layout.v[v].size * sizeof(float));
    for (int a = 0; a < A; a++) touch(s, inp[act[a]], n_rows);
    for (int j = 0; j < N; j++) touch(s, s->cand[j], n_rows);
    for (int k = 0; k < *n_rows; k++) {
        int32_t row = s->rows[k];
        memset(view(s, G, s->emb) + (size_t)row * C, 0, C * sizeof(float));
        if (s->out != s->emb) memset(view(s, G, s->out) + (size_t)row * C, 0, C * sizeof(float));
        view(s, G, s->out_b)[row] = 0;
    }
    /* dlogits (A, N): into the output rows, the bias, and dh */
    wr_gemm_tn(s->doc, s->logits, s->hd, N, C, A, 0);
    float *dO = view(s, G, s->out), *dob = view(s, G, s->out_b);
    for (int j = 0; j < N; j++) {
        wr_axpy(dO + (size_t)s->cand[j] * C, 1.0f, s->doc + (size_t)j * C, C);
        for (int a = 0; a < A; a++) dob[s->cand[j]] += s->logits[(size_t)a * N + j];
    }
    wr_gemm_nn(s->dhd, s->logits, s->oc, A, C, N, 0);
    memset(s->dh, 0, (size_t)A * C * sizeof(float));
    wr_dropout_backward(s->dh, s->dhd, s->mask_h, ph, A * C);
    gru_backward(s, P, G, A);
    float *dE = view(s, G, s->emb);
    for (int a = 0; a < A; a++)
        wr_dropout_backward(dE + (size_t)inp[act[a]] * C, s->dx + a * C, s->mask_e + a * C, pe, C);
    for (int k = 0; k < *n_rows; k++) s->touched[s->rows[k]] = 0; /* the list stays for the optimiser */
    return WR_OK;
}

static int gru_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    gru_state *s = m->state;
    wr__lanes_next(&s->lanes, train, &m->rng, s->inp, s->tgt, s->reset, epoch_end);
    for (int b = 0; b < s->B; b++)
        if (s->reset[b]) memset(s->h + b * s->C, 0, s->C * sizeof(float));
    int n_rows;
    const float *grad;
    int rc = wr__gru4rec_loss_grad(m, s->inp, s->tgt, s->h, loss, positions, &n_rows, &grad);
    if (rc || *positions == 0) return rc;
    wr__clip_grad(&s->layout, s->grad, s->rows, n_rows, (float)wr__hp(m, "clip"));
    wr__adagrad_step((float)wr__hp(m, "lr"), &s->layout, m->params, s->grad, s->acc, s->rows, n_rows);
    /* the new states carry over to the next step (no gradient flows back through them) */
    for (int b = 0, a = 0; b < s->B; b++)
        if (s->tgt[b] > 0) memcpy(s->h + b * s->C, s->hn + (a++) * s->C, s->C * sizeof(float));
    return WR_OK;
}

/* ---- inference: run the history from a zero state, score every item ------------------------- */

static int gru_score(wr_model *m, const int *history, int len, float *scores) {
    gru_state *s = m->state;
    int C = s->C, V = s->V;
    const float *P = m->params, *E = view(s, (float *)P, s->emb);
    memset(s->hp, 0, C * sizeof(float));
    memset(s->hn, 0, C * sizeof(float));
    for (int t = 0; t < len; t++) {
        memcpy(s->x, E + (size_t)(history[t] + 1) * C, C * sizeof(float));
        gru_forward(s, P, 1);
        memcpy(s->hp, s->hn, C * sizeof(float));
    }
    const float *O = view(s, (float *)P, s->out) + C, *ob = view(s, (float *)P, s->out_b) + 1;
    wr_gemm_nt(scores, s->hn, O, 1, V, C, 0);
    for (int i = 0; i < V; i++) scores[i] += ob[i];
    return WR_OK;
}

static int gru_save(wr_model *m, wr_st_file *f) {
    gru_state *s = m->state;
    return wr__layout_save(m, &s->layout, m->params, f);
}

static int gru_load(wr_model *m, const wr_st_file *f) {
    gru_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading gru4rec");
    m->state = s;
    int rc = build_layout(m, m->items.n);
    if (rc) return rc;
    int C = s->C;
    /* inference buffers for one row */
    float **acts[] = {&s->x, &s->hp, &s->r, &s->z, &s->n, &s->hn};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (!(*acts[i] = calloc((size_t)C, sizeof(float)))) return wr__oom(m->ctx, "loading gru4rec");
    if (!(s->gi = calloc((size_t)3 * C, sizeof(float))) || !(s->gh = calloc((size_t)3 * C, sizeof(float))))
        return wr__oom(m->ctx, "loading gru4rec");
    return wr__layout_load(m, &s->layout, m->params, f);
}

const wr_model_vt wr__gru4rec_vt = {
    .name = "gru4rec",
    .params = gru4rec_params,
    .n_params = (int)(sizeof gru4rec_params / sizeof gru4rec_params[0]),
    .fit = gru_fit,
    .score = gru_score,
    .save = gru_save,
    .load = gru_load,
    .free_state = gru_free,
    .train_step = gru_train_step,
};

/* gru4rec.c: GRU4Rec as its authors specify it (Hidasi et al. 2016; Hidasi & Czapp 2023).
 *   - session-parallel mini-batches: B lanes each walk one sequence an event at a time; the
 *     hidden state of a lane is reset when it starts a new sequence (also at evaluation: a
 *     history is scored from a zero state); no backpropagation through time across steps;
 *   - one GRU layer (PyTorch's gate layout r, z, n), item embeddings in, separate or tied output
 *     embeddings with a bias;
 *   - cross-entropy (or BPR-max) over the mini-batch's targets plus a shared pool of n_sample
 *     negatives drawn from popularity^sample_alpha (n_sample = 0, or a catalogue no larger: every
 *     item). The default, 8192, scores every item of a catalogue up to 8192 items: on small
 *     real-shaped data (an Amazon-shaped file of 4,087 items) the full softmax ranked 12% better
 *     (NDCG@10 0.094 against 0.084 with the paper's 2048), and it costs B x V logits a step;
 *   - dropout on the input embeddings and on the GRU output that is scored (the carried state is
 *     never dropped), as in the authors' code (dropout_p_embed, dropout_p_hidden);
 *   - Adagrad, updating only the embedding rows a step touched;
 *   - not in the paper: a learned repeat bias, one offset added to the score of every item already
 *     in the sequence (repeat_bias = 1), so the model learns how often users come back to an item
 *     instead of scoring the items it has just read highest (see wr__repeat_bias_init).
 * Dimension letters: B lanes, C hidden = embedding size, V items (+1: row 0 is padding),
 * N candidates (targets + negatives, or V). */
#include <math.h>
#include <stdio.h>
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
    {"epochs", WR_PARAM_INT, 100, 1, 100000, NULL, "maximum epochs (early stopping usually ends it sooner)"},
    {"patience", WR_PARAM_INT, 5, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"},
    {"n_sample", WR_PARAM_INT, 8192, 0, 1000000, NULL, "shared negatives per step (0, or at least the catalogue: full softmax)"},
    {"sample_alpha", WR_PARAM_FLOAT, 0.75, 0, 1, NULL, "negatives drawn from popularity^alpha"},
    {"tied", WR_PARAM_INT, 0, 0, 1, NULL, "share input and output item embeddings"},
    {"loss", WR_PARAM_ENUM, 0, 0, 1, "ce|bpr-max", "cross-entropy, or BPR-max over the negatives"},
    {"bpreg", WR_PARAM_FLOAT, 1.0, 0, 100, NULL, "BPR-max score regularisation"},
    {"clip", WR_PARAM_FLOAT, 0, 0, 1e9, NULL, "clip the gradient's global norm to this (0 = off)"},
    {"dropout_embed", WR_PARAM_FLOAT, 0.25, 0, 0.9, NULL, "dropout on the input item embeddings"},
    {"dropout_hidden", WR_PARAM_FLOAT, 0.5, 0, 0.9, NULL, "dropout on the GRU output before scoring"},
    {"init", WR_PARAM_FLOAT, 0.0, 0, 10, NULL, "uniform init bound (0 = sqrt(6 / (fan_in + fan_out)))"},
    {"repeat_bias", WR_PARAM_INT, 1, 0, 1, NULL, "learn one score offset for items already in the history (how often users repeat)"},
};

typedef struct {
    wr_layout layout;
    int V, C, B, emb, w_ih, w_hh, b_ih, b_hh, out, out_b, repeat; /* view indices (repeat -1 = none) */
    wr_marks seen;            /* the items of one history (the repeat bias) */
    float *grad, *acc;       /* gradient and Adagrad accumulator, same layout as m->params */
    /* training state */
    wr_lanes lanes;
    int lanes_ready;
    float *h;                /* (B, C) hidden state carried between steps */
    int32_t *inp, *tgt;      /* (B) */
    unsigned char *reset;    /* (B) */
    /* activations of one step, over the A active lanes */
    int32_t *ids, *pos;      /* (B) their input items, and each one's target column */
    float *x, *hp, *hn, *gi, *gh, *gates; /* (B, C) or (B, 3C) */
    float *dh, *dgi, *dx, *dgh;
    float *hd, *dhd;         /* (B, C) the dropped-out output that is scored, and its gradient */
    unsigned char *mask_e, *mask_h; /* (B, C) dropout masks of the input and the output */
    int32_t *cand;           /* (N) candidate items, 1-based */
    float *oc, *doc;         /* (N, C) the candidates' output rows, and their gradient */
    float *logits, *dlogits, *w; /* (B, N); CE's gradient replaces logits, BPR-max's is dlogits */
    wr_sampler sampler;      /* negatives from popularity^sample_alpha */
    unsigned char *touched;  /* (V + 1) rows with gradient this step */
    int32_t *rows;           /* (V + 1) list of touched rows, n_rows of them */
    int n_rows;
    int32_t *rep_cols;       /* the full softmax: each lane's distinct history columns, ascending */
    size_t rep_cap;
    uint32_t *rep_bits;      /* (B, V / 32 + 1) each lane's history as a bit set over the columns */
} gru_state;

static inline float *view(const gru_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }

/* Marks the items of a history (0-based) in s->seen; returns the set's id. */
static int mark_history(gru_state *s, const int32_t *hist, int len) {
    int id = wr__marks_next(&s->seen);
    for (int t = 0; t < len; t++) s->seen.mark[hist[t] + 1] = id;
    return id;
}

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
    s->repeat = wr__hp(m, "repeat_bias") != 0 ? wr__layout_add(l, "gru4rec.repeat_bias", 1, 1, 0, 0, WR_INIT_ZERO, 0, 0) : -1;
    int alloc_rc = wr__layout_alloc(m, l);
    if (alloc_rc) return alloc_rc;
    return m->params && wr__marks_init(&s->seen, V + 1) == 0 ? WR_OK : wr__oom(m->ctx, "allocating gru4rec");
}

static void gru_free(wr_model *m) {
    gru_state *s = m->state;
    free(m->params);
    free(s->grad);
    free(s->acc);
    wr__sampler_free(&s->sampler);
    if (s->lanes_ready) wr__lanes_free(&s->lanes);
    void *bufs[] = {s->h, s->inp, s->tgt, s->reset, s->ids, s->pos, s->x, s->hp, s->hn, s->gi, s->gh, s->gates, s->dh, s->dgi,
                    s->dx, s->dgh, s->hd, s->dhd, s->mask_e, s->mask_h, s->cand, s->oc, s->doc, s->logits, s->dlogits, s->w,
                    s->touched, s->rows, s->rep_cols, s->rep_bits};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    wr__marks_free(&s->seen);
    free(s);
}

/* ---- fit: parameters, buffers, negative sampling table -------------------------------------- */

static int gru_fit(wr_model *m, const wr_seqs *train) {
    gru_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "creating gru4rec");
    m->state = s;
    int rc = build_layout(m, train->n_items);
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    int ns = (int)wr__hp(m, "n_sample");
    if (ns >= s->V) ns = 0; /* as the loss: more negatives than items is the full softmax */
    int V = s->V, C = s->C, B = s->B, N = ns > 0 ? B + ns : V;
    size_t T = s->layout.total + 4;
    char what[160];
    snprintf(what, sizeof what, "gru4rec: the training buffers of batch %d x dim %d over %d scored items (n_sample, or the whole catalogue)", B, C, N);
    if ((rc = wr__budget(m->ctx, 12.0 * (double)T + 4.0 * ((double)B * C * 23 + (double)N * (2.0 * C + 3.0 * B)), what))) return rc;
    s->grad = wr__calloc(T, sizeof(float));
    s->acc = wr__calloc(T, sizeof(float));
    size_t BC = (size_t)B * C;
    float **acts[] = {&s->h, &s->x, &s->hp, &s->hn, &s->dh, &s->dx, &s->hd, &s->dhd};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) *acts[i] = wr__calloc(BC, sizeof(float));
    float **acts3[] = {&s->gi, &s->gh, &s->gates, &s->dgi, &s->dgh};
    for (size_t i = 0; i < sizeof acts3 / sizeof acts3[0]; i++) *acts3[i] = wr__calloc(3 * BC, sizeof(float));
    float **cands[] = {&s->oc, &s->doc, &s->logits, &s->dlogits, &s->w};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) *cands[i] = wr__calloc((size_t)N * (i < 2 ? C : B), sizeof(float));
    s->inp = wr__calloc((size_t)B, sizeof(int32_t));
    s->tgt = wr__calloc((size_t)B, sizeof(int32_t));
    s->ids = wr__calloc((size_t)B, sizeof(int32_t));
    s->pos = wr__calloc((size_t)B, sizeof(int32_t));
    s->reset = wr__calloc((size_t)B, 1);
    s->cand = wr__calloc((size_t)N, sizeof(int32_t));
    s->touched = wr__calloc((size_t)V + 1, 1);
    s->mask_e = wr__calloc(BC, 1);
    s->mask_h = wr__calloc(BC, 1);
    s->rows = wr__calloc((size_t)V + 1, sizeof(int32_t));
    if (!s->grad || !s->acc || !s->h || !s->inp || !s->tgt || !s->ids || !s->pos || !s->reset || !s->x || !s->hp || !s->hn ||
        !s->dh || !s->dx || !s->hd || !s->dhd || !s->gi || !s->gh || !s->gates || !s->dgi || !s->dgh || !s->cand || !s->oc ||
        !s->doc || !s->logits || !s->dlogits || !s->w || !s->touched || !s->rows || !s->mask_e || !s->mask_h)
        return wr__oom(m->ctx, "allocating gru4rec training buffers");
    if (wr__sampler_init(&s->sampler, train, wr__hp(m, "sample_alpha")) < 0) return wr__oom(m->ctx, "allocating gru4rec");
    if (wr__lanes_init(&s->lanes, train, B, &m->rng) < 0) return wr__oom(m->ctx, "allocating gru4rec");
    s->lanes_ready = 1;
    if (s->lanes.n_seq == 0) return wr__err(m->ctx, WR_ERR_ARG, "gru4rec: no training sequence has 2 or more events");
    if (s->repeat >= 0) { /* the mean history at a training position: (L - 1) L / 2 over L - 1 */
        double sum = 0, n = 0;
        for (int u = 0; u < train->n; u++)
            if (train->len[u] >= 2) sum += 0.5 * (train->len[u] - 1.0) * train->len[u], n += train->len[u] - 1;
        *view(s, m->params, s->repeat) = wr__repeat_bias_init(m->repeat_share, V, n > 0 ? sum / n : 1);
    }
    return WR_OK;
}

/* The repeat bias of the full softmax over threads (wr__parallel_for), lane by lane: each lane's
 * distinct history columns, ascending, go to cols[off[a]..off[a] + cnt[a]) (off: room for each
 * lane's history length, or N if fewer) and the bias onto each of them once. A lane's
 * history goes into its own bit set, whose words are read in order (N / 32 of them) and cleared
 * again; the gradient below adds the columns in the order a scan of the row would. */
typedef struct {
    const int32_t *const *hist;
    const int *hist_len, *act;
    const size_t *off;
    int *cnt;
    int32_t *cols;
    uint32_t *bits;
    float *logits, rb;
    int N, W; /* W = the words of a bit set, (N - 1) / 32 + 1 */
} repeat_job;

static void repeat_lanes(void *arg, int lo, int hi) {
    const repeat_job *j = arg;
    const int W = j->W;
    for (int a = lo; a < hi; a++) {
        const int32_t *h = j->hist[j->act[a]];
        const int len = j->hist_len[j->act[a]];
        uint32_t *bits = j->bits + (size_t)a * W;
        int32_t *cols = j->cols + j->off[a];
        int n = 0;
        for (int t = 0; t < len; t++) bits[h[t] >> 5] |= 1u << (h[t] & 31);
        for (int w = 0; w < W; w++) {
            for (uint32_t b = bits[w]; b; b &= b - 1) cols[n++] = (w << 5) + __builtin_ctz(b);
            bits[w] = 0;
        }
        j->cnt[a] = n;
        float *row = j->logits + (size_t)a * j->N;
        for (int k = 0; k < n; k++) row[cols[k]] += j->rb;
    }
}

/* Loss and gradients of one step: inp, tgt (B) 1-based (tgt 0 = idle lane), h (B, C) the
 * previous hidden states (already reset where a lane started a sequence). Leaves the new states
 * in s->hn (active lanes, in order) and the gradients in s->grad (*grad): dense views whole,
 * embedding views on the rows listed in s->rows (*n_rows). Used by the training step and by the
 * gradient check test. */
int wr__gru4rec_loss_grad(wr_model *m, const int32_t *inp, const int32_t *tgt, const float *h,
                          const int32_t *const *hist, const int *hist_len, double *loss, int64_t *positions,
                          int *n_rows, const float **grad) {
    gru_state *s = m->state;
    float *P = m->params, *G = s->grad;
    *grad = G;
    int V = s->V, C = s->C, B = s->B, n_sample = (int)wr__hp(m, "n_sample");
    if (n_sample >= V) n_sample = 0; /* more negatives than items: the full softmax is cheaper */
    /* a fresh gradient: dense views whole, the embedding rows the last step touched */
    for (int v = 0; v < s->layout.n; v++)
        if (!s->layout.v[v].embedding) memset(view(s, G, v), 0, s->layout.v[v].size * sizeof(float));
    wr_embedding_clear_rows(view(s, G, s->emb), s->touched, s->rows, s->n_rows, C);
    wr_embedding_clear_rows(view(s, G, s->out), s->touched, s->rows, s->n_rows, C);
    wr_embedding_clear_rows(view(s, G, s->out_b), s->touched, s->rows, s->n_rows, 1);
    *n_rows = s->n_rows = 0;
    int A = 0, act[4096];
    for (int b = 0; b < B; b++)
        if (tgt[b] > 0) s->ids[A] = inp[b], act[A++] = b;
    *positions = A;
    *loss = 0;
    if (A == 0) return WR_OK;
    /* forward: embeddings of the active lanes and their previous states through the GRU */
    int AC = A * C;
    float pe = (float)wr__hp(m, "dropout_embed"), ph = (float)wr__hp(m, "dropout_hidden");
    wr_embedding_forward(s->x, s->ids, view(s, P, s->emb), 1.0f, A, C);
    for (int a = 0; a < A; a++) memcpy(s->hp + a * C, h + act[a] * C, C * sizeof(float));
    wr_dropout_forward(s->x, s->mask_e, s->x, NULL, pe, 1, &m->rng, AC);
    wr_linear_forward(s->gi, s->x, view(s, P, s->w_ih), view(s, P, s->b_ih), A, C, 3 * C);
    wr_gru_step_forward(s->hn, s->gh, s->gates, s->gi, s->hp, view(s, P, s->w_hh), view(s, P, s->b_hh), A, C);
    wr_dropout_forward(s->hd, s->mask_h, s->hn, NULL, ph, 1, &m->rng, AC); /* hn itself carries over */
    /* candidates: every item, or the batch's targets then the shared negatives; a lane's target
     * column is its item (full) or its own target (sampled) */
    int N = 0;
    if (n_sample == 0)
        for (N = 0; N < V; N++) s->cand[N] = N + 1;
    else {
        for (int a = 0; a < A; a++) s->cand[N++] = tgt[act[a]];
        for (int k = 0; k < n_sample; k++) s->cand[N++] = wr__sampler_draw(&s->sampler, &m->rng);
    }
    const float *ob = view(s, P, s->out_b);
    /* the full softmax reads the output rows where they are (items 1..V, in order) and its
     * gradient goes straight into theirs (cleared above: the last step touched every one) */
    const float *oc = n_sample == 0 ? view(s, P, s->out) + C : s->oc;
    float *doc = n_sample == 0 ? view(s, G, s->out) + C : s->doc;
    if (n_sample) wr_embedding_forward(s->oc, s->cand, view(s, P, s->out), 1.0f, N, C);
    wr_linear_forward(s->logits, s->hd, oc, NULL, A, C, N);
    if (n_sample == 0) wr_bias_add(s->logits, ob + 1, A, N); /* the full softmax: column j is item j + 1 */
    for (int a = 0; a < A; a++) {
        float *row = s->logits + (size_t)a * N;
        if (n_sample)
            for (int j = 0; j < N; j++) row[j] += ob[s->cand[j]];
        s->pos[a] = n_sample == 0 ? tgt[act[a]] - 1 : a;
    }
    int rep = s->repeat >= 0 && hist, rep_cnt[4096];
    size_t rep_off[4097];
    float rb = rep ? *view(s, P, s->repeat) : 0.0f;
    if (rep && n_sample == 0) { /* the full softmax: item i is column i - 1 */
        rep_off[0] = 0;
        for (int a = 0; a < A; a++) rep_off[a + 1] = rep_off[a] + (size_t)(hist_len[act[a]] < N ? hist_len[act[a]] : N);
        size_t need = rep_off[A] + 1; /* never a zero-byte allocation, which may return NULL */
        if (need > s->rep_cap) {
            int32_t *grown = wr__realloc_array(s->rep_cols, need, sizeof(int32_t));
            if (!grown) return wr__oom(m->ctx, "gru4rec: the histories of a step (the repeat bias)");
            s->rep_cols = grown, s->rep_cap = need;
        }
        const int W = (N - 1) / 32 + 1;
        if (!s->rep_bits && !(s->rep_bits = wr__calloc((size_t)B * W, sizeof(uint32_t))))
            return wr__oom(m->ctx, "gru4rec: the histories of a step (the repeat bias)");
        repeat_job j = {hist, hist_len, act, rep_off, rep_cnt, s->rep_cols, s->rep_bits, s->logits, rb, N, W};
        /* an entry costs about what 64 multiply-adds of a gemm do (its bit, its column, a write to a
         * row of N): at 2 per entry the job never split, 2.6% of a two-thread step on one thread */
        wr__parallel_for(A, 1, 64.0 * (double)rep_off[A] + 4.0 * A * W, repeat_lanes, &j);
    }
    for (int a = 0; rep && n_sample && a < A; a++) {
        float *row = s->logits + (size_t)a * N;
        int id = mark_history(s, hist[act[a]], hist_len[act[a]]);
        for (int j = 0; j < N; j++)
            if (s->seen.mark[s->cand[j]] == id) row[j] += rb;
    }
    float inv = 1.0f / (float)A, *dl = s->logits;
    if (wr__hp(m, "loss") == 1) {
        memset(dl = s->dlogits, 0, (size_t)A * N * sizeof(float));
        *loss = wr_bpr_max_loss(dl, s->w, s->logits, s->pos, (float)wr__hp(m, "bpreg"), inv, A, N) / A;
    } else {
        *loss = wr_ce_loss(dl, dl, dl, s->pos, -1, inv, A, N) / A;
    }
    if (rep) { /* one running sum, in column order (kept in a register, not through memory) */
        float drb = *view(s, G, s->repeat);
        for (int a = 0; n_sample == 0 && a < A; a++)
            for (size_t k = rep_off[a]; k < rep_off[a] + rep_cnt[a]; k++) drb += dl[(size_t)a * N + s->rep_cols[k]];
        for (int a = 0; n_sample && a < A; a++) {
            int id = mark_history(s, hist[act[a]], hist_len[act[a]]);
            const float *row = dl + (size_t)a * N;
            for (int j = 0; j < N; j++)
                if (s->seen.mark[s->cand[j]] == id) drb += row[j];
        }
        *view(s, G, s->repeat) = drb;
    }
    /* backward: into the output rows and bias, then through the GRU into the input rows */
    if (n_sample) memset(s->doc, 0, (size_t)N * C * sizeof(float));
    wr_linear_backward(s->dhd, doc, NULL, dl, s->hd, oc, A, C, N);
    if (n_sample) wr_embedding_backward(view(s, G, s->out), s->rows, &s->n_rows, s->touched, s->doc, s->cand, 1.0f, N, C);
    else
        for (int id = 1; id <= N; id++) /* the rows touched, as wr_embedding_backward lists them */
            if (!s->touched[id]) s->touched[id] = 1, s->rows[s->n_rows++] = id;
    float *dob = view(s, G, s->out_b);
    if (n_sample == 0) wr_bias_backward(dob + 1, dl, A, N);
    for (int a = 0; n_sample && a < A; a++) { /* row by row: the lanes' logits are rows of N */
        const float *row = dl + (size_t)a * N;
        for (int j = 0; j < N; j++) dob[s->cand[j]] += row[j];
    }
    wr_dropout_backward(s->dh, s->dhd, s->mask_h, ph, AC);
    memset(s->dgi, 0, 3 * AC * sizeof(float));
    wr_gru_step_backward(s->dgi, NULL, view(s, G, s->w_hh), view(s, G, s->b_hh), s->dgh, s->dh, s->hp, s->gh, s->gates,
                         view(s, P, s->w_hh), A, C);
    wr_linear_backward(s->dx, view(s, G, s->w_ih), view(s, G, s->b_ih), s->dgi, s->x, view(s, P, s->w_ih), A, C, 3 * C);
    wr_dropout_backward(s->dh, s->dx, s->mask_e, pe, AC); /* now the gradient at the embeddings before dropout */
    wr_embedding_backward(view(s, G, s->emb), s->rows, &s->n_rows, s->touched, s->dh, s->ids, 1.0f, A, C);
    *n_rows = s->n_rows;
    return WR_OK;
}

static int gru_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    gru_state *s = m->state;
    wr__lanes_next(&s->lanes, train, &m->rng, s->inp, s->tgt, s->reset, epoch_end);
    for (int b = 0; b < s->B; b++)
        if (s->reset[b]) memset(s->h + b * s->C, 0, s->C * sizeof(float));
    /* each lane's sequence so far, its input included: what the repeat bias looks at */
    const int32_t *hist[4096];
    int hist_len[4096];
    for (int b = 0; b < s->B; b++) {
        int q = s->lanes.lane_seq[b];
        hist[b] = q >= 0 ? train->items + train->start[q] : NULL;
        hist_len[b] = q >= 0 ? s->lanes.lane_pos[b] : 0;
    }
    int n_rows;
    const float *grad;
    int rc = wr__gru4rec_loss_grad(m, s->inp, s->tgt, s->h, hist, hist_len, loss, positions, &n_rows, &grad);
    if (rc || *positions == 0) return rc;
    wr__clip_grad(&s->layout, s->grad, s->rows, n_rows, (float)wr__hp(m, "clip"));
    wr__adagrad_step((float)wr__hp(m, "lr"), &s->layout, m->params, s->grad, s->acc, s->rows, n_rows);
    /* the new states carry over to the next step (no gradient flows back through them) */
    for (int b = 0, a = 0; b < s->B; b++)
        if (s->tgt[b] > 0) memcpy(s->h + b * s->C, s->hn + (a++) * s->C, s->C * sizeof(float));
    return WR_OK;
}

/* ---- inference: run the history from a zero state, score every item ------------------------- */

static int gru_score(wr_model *m, const wr_query *q, float *scores) {
    const int *history = q->items, len = q->len;
    gru_state *s = m->state;
    int C = s->C, V = s->V;
    float *P = m->params;
    memset(s->hn, 0, C * sizeof(float));
    for (int t = 0; t < len; t++) {
        int32_t id = history[t] + 1;
        memcpy(s->hp, s->hn, C * sizeof(float));
        wr_embedding_forward(s->x, &id, view(s, P, s->emb), 1.0f, 1, C);
        wr_linear_forward(s->gi, s->x, view(s, P, s->w_ih), view(s, P, s->b_ih), 1, C, 3 * C);
        wr_gru_step_forward(s->hn, s->gh, s->gates, s->gi, s->hp, view(s, P, s->w_hh), view(s, P, s->b_hh), 1, C);
    }
    wr_linear_forward(scores, s->hn, view(s, P, s->out) + C, view(s, P, s->out_b) + 1, 1, C, V);
    if (s->repeat >= 0) wr__repeat_bias_add(&s->seen, history, len, *view(s, P, s->repeat), scores);
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
    float **acts[] = {&s->x, &s->hp, &s->hn, &s->gi, &s->gh, &s->gates};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (!(*acts[i] = wr__calloc((size_t)(i < 3 ? C : 3 * C), sizeof(float)))) return wr__oom(m->ctx, "loading gru4rec");
    return wr__layout_load(m, &s->layout, m->params, f);
}

/* The output embeddings: the space the items are scored in. */
static int gru_item_vectors(wr_model *m, const float **rows, int *dim, int *stride) {
    const gru_state *s = m->state;
    *dim = *stride = s->C;
    if (rows) *rows = view(s, m->params, s->out) + s->C; /* row 0 is padding */
    return WR_OK;
}

const wr_model_vt wr__gru4rec_vt = {
    .name = "gru4rec",
    .params = gru4rec_params,
    .n_params = (int)(sizeof gru4rec_params / sizeof gru4rec_params[0]),
    .absent_off = "repeat_bias",
    .fit = gru_fit,
    .score = gru_score,
    .save = gru_save,
    .load = gru_load,
    .free_state = gru_free,
    .train_step = gru_train_step,
    .item_vectors = gru_item_vectors,
};

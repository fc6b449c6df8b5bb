/* sasrec.c: SASRec (Kang & McAuley 2018): a causal Transformer over the last max_len items.
 *   x = E[item] * sqrt(C) + P[position], dropout, padding rows zeroed
 *   per block (pre-LN): x += dropout(MHA(LN1(x)));  x += dropout(FFN(LN2(x))) (ReLU; GELU in BERT4Rec, as its paper)
 *   h = LN_final(x); the score of item i at a position is h . E[i] (shared item embeddings)
 * Loss: full softmax cross-entropy over every item at every position (the default: published
 * full-ranking results put it about 25% above one-negative BCE on MovieLens-1M), or the paper's
 * BCE with one sampled negative per position. AdamW (decay skips the embeddings).
 * BERT4Rec: item and position embeddings summed unscaled (BERT's), and besides the Cloze windows
 * (mask_prob of the items masked) a share last_prob of the windows is cut to a random prefix whose
 * last item alone is masked: the paper's (Sun et al. 2019, 3.6) last-item samples, which train
 * the inference task, the mask token after the history.
 * Training windows: each sequence is cut from its end into windows of max_len positions, so a
 * long history trains on all its events, not just its last max_len (batch.h).
 * Not in the papers: a learned repeat bias (repeat_bias = 1), one offset added to the score of
 * every item already in the history (row_history), so the model learns how often users come
 * back to an item instead of scoring the items it has just read highest; with history items
 * kept in the ranking (--exclude-seen no) this is what lets it rank well where users never
 * repeat, and where they do it learns a positive offset.
 * Dimension letters: B batch, T max_len, C dim, H heads, D = C / H, V items (+1: row 0 is
 * padding), N packed rows, R rows of a logits chunk. The layers are src/nn's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../nn/nn.h"
#include "batch.h"
#include "optim.h"

/* The two Transformer models share their parameters; only some defaults differ (the papers'). */
#define TRANSFORMER_PARAMS(heads, max_len, dropout, weight_decay, decay_emb, epochs, patience)                                              \
    {"dim", WR_PARAM_INT, 64, 1, 1024, NULL, "embedding size"},                                                     \
    {"blocks", WR_PARAM_INT, 2, 1, WR_MAX_BLOCKS, NULL, "Transformer blocks"},                                      \
    {"heads", WR_PARAM_INT, heads, 1, 16, NULL, "attention heads (dim must divide)"},                              \
    {"max_len", WR_PARAM_INT, max_len, 2, WR_ATTENTION_MAX_T, NULL, "most recent items the model reads (BERT4Rec: the last slot is its mask)"}, \
    {"dropout", WR_PARAM_FLOAT, dropout, 0, 0.9, NULL, "dropout rate"},                                            \
    {"lr", WR_PARAM_FLOAT, 0.001, 1e-6, 1, NULL, "Adam learning rate"},                                             \
    {"weight_decay", WR_PARAM_FLOAT, weight_decay, 0, 1, NULL, "AdamW decay of the non-embedding weights"},        \
    {"clip", WR_PARAM_FLOAT, 0, 0, 1e9, NULL, "clip the gradient's global norm to this (0 = off)"},                 \
    {"decay_embeddings", WR_PARAM_INT, decay_emb, 0, 1, NULL, "apply weight decay to the embeddings too"},         \
    {"batch", WR_PARAM_INT, 128, 1, 4096, NULL, "sequences per step"},                                              \
    {"epochs", WR_PARAM_INT, epochs, 1, 100000, NULL, "maximum epochs"},                                            \
    {"patience", WR_PARAM_INT, patience, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"}, \
    {"loss", WR_PARAM_ENUM, 0, 0, 3, "ce|bce|gbce|sampled", "full softmax CE; BCE with negatives; gBCE; sampled softmax with log-Q"}, \
    {"negatives", WR_PARAM_INT, 0, 0, 1024, NULL, "negatives per position (0 = the loss's own: bce 1, gbce and sampled 256)"}, \
    {"gbce_t", WR_PARAM_FLOAT, 0.75, 0, 1, NULL, "gBCE calibration t (gSASRec)"},                                  \
    {"sample_alpha", WR_PARAM_FLOAT, -1, -1, 1, NULL, "negatives from popularity^alpha: 0 uniform, 1 popularity (-1 = the loss's own: bce and gbce uniform, sampled popularity)"}, \
    {"repeat_bias", WR_PARAM_INT, 1, 0, 1, NULL, "learn one score offset for items already in the history (how often users repeat)"}

/* SASRec's defaults are the paper's architecture with stronger regularisation than its code
 * (dropout 0.3 instead of 0.2, AdamW decay 0.3 on every weight but the repeat bias) and patience
 * 10: on a MovieLens-100k-shaped file, an Amazon-shaped file and the demo store (two seeds of the
 * generated files) the paper's settings were at or below a first-order Markov chain; these clear
 * it on each (README "Figures"). */
static const wr_param_def sasrec_params[] = {TRANSFORMER_PARAMS(1, 50, 0.3, 0.3, 1, 200, 10)};
/* BERT4Rec's are its paper's but for dropout 0.3 (the paper's 0.1 overfits small data: valid
 * NDCG@10 0.0717 -> 0.0766 on an Amazon-shaped file, 0.2813 -> 0.2920 on the demo store) and 500
 * epochs: with the stronger dropout it still gains on a MovieLens-shaped file at 200 (README
 * "Figures"); patience 50 stops it far earlier where it has stopped gaining. */
static const wr_param_def bert4rec_params[] = {
    TRANSFORMER_PARAMS(2, 20, 0.3, 0.01, 0, 500, 50),
    {"mask_prob", WR_PARAM_FLOAT, 0.2, 0.01, 0.9, NULL, "share of items masked in training"},
    {"last_prob", WR_PARAM_FLOAT, 0.5, 0, 1, NULL, "share of training windows cut to a random prefix whose last item alone is masked (the inference task)"},
    {"unscaled_embeddings", WR_PARAM_INT, 1, 0, 1, NULL, "add item and position embeddings unscaled (BERT's; 0 = items times sqrt(dim), as files from before it)"},
};

#define CHUNK 64 /* logits rows per chunk: memory is CHUNK x V floats, whatever the batch */

typedef struct {
    int ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
} block_views;

typedef struct {
    /* activations of one block, (B*T, .) each; what backward needs */
    float *x_in, *a, *a_mean, *a_rstd, *qkv, *att, *o, *proj, *x_mid, *b, *b_mean, *b_rstd, *f1, *post, *f2;
    unsigned char *drop1, *drop2; /* dropout masks */
} block_acts;

typedef struct {
    wr_layout layout;
    int V, C, H, T, B, L, item, pos, lnf_w, lnf_b, repeat; /* repeat: the view of the repeat bias, -1 = none */
    int bert;                /* BERT4Rec: bidirectional attention, masked-item training, mask = V+1 */
    int seq_cap;             /* sequences the activation buffers hold (batch when trained here, 1 when loaded) */
    block_views bv[WR_MAX_BLOCKS];
    float *grad, *m1, *m2;   /* gradient and Adam moments, same layout as m->params */
    wr_adamw adam;
    wr_windows windows;
    int windows_ready;
    int32_t *inp, *tgt;      /* (B, T) 1-based, 0 = padding */
    /* the batch packed without padding: N rows, sequence b owns rows off[b] .. off[b+1] */
    int N;
    int *off;                /* (B + 1) */
    int32_t *r_item, *r_pos, *r_tgt, *r_seq; /* (N) item, position in the window, target (0 = none), sequence */
    int32_t *seen, *seen_len; /* (CHUNK, T) the distinct history items of a row, and how many */
    wr_marks marks;           /* 1-based items of one history (the mask token included) */
    /* activations for B*T rows (inference uses the first T) */
    float *x0, *h, *h_mean, *h_rstd, *x_out;
    unsigned char *drop0;
    float p;                 /* the dropout rate the last forward pass used (0 at evaluation) */
    block_acts ba[WR_MAX_BLOCKS];
    float *dx, *dtmp, *dqkv, *d2;  /* backward scratch */
    float *logits;           /* (CHUNK, V), then their gradient in place */
    wr_sampler sampler;      /* negatives from popularity^sample_alpha */
    int32_t *cand;           /* (1 + negatives) candidates of one position */
    float *rowbuf, *drowbuf; /* (CHUNK, C) */
} sas_state;

static inline float *view(const sas_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }

/* The item embeddings' scale in the input: SASRec's sqrt(C); BERT4Rec adds item and position
 * embeddings unscaled, as BERT and its code do. Scaled by sqrt(C) = 8, the positions were an
 * eighth of the input and BERT4Rec, whose scoring row is the mask token and must find the last
 * items by position, took twice as many epochs to leave its popularity-like start. */
static float emb_scale(const wr_model *m) {
    const sas_state *s = m->state;
    return wr__hp_or(m, "unscaled_embeddings", 0) != 0 ? 1.0f : sqrtf((float)s->C);
}

/* ---- the model -------------------------------------------------------------------------------- */

static int build_layout(wr_model *m, int V) {
    sas_state *s = m->state;
    int C = s->C = (int)wr__hp(m, "dim"), L = s->L = (int)wr__hp(m, "blocks");
    s->H = (int)wr__hp(m, "heads");
    s->T = (int)wr__hp(m, "max_len");
    s->B = (int)wr__hp(m, "batch");
    s->V = V;
    if (C % s->H) return wr__err(m->ctx, WR_ERR_ARG, "sasrec: dim %d is not a multiple of heads %d", C, s->H);
    wr_layout *l = &s->layout;
    memset(l, 0, sizeof *l);
    float std = 0.02f, wb = 1.0f / sqrtf((float)C);
    char name[48];
    const char *pre = m->vt->name;
    s->bert = !strcmp(pre, "bert4rec");
    snprintf(name, sizeof name, "%s.item_emb", pre); /* + the mask token's row for BERT4Rec */
    s->item = wr__layout_add(l, name, 2, V + 1 + s->bert, C, 0, WR_INIT_NORMAL, std, 1);
    snprintf(name, sizeof name, "%s.pos_emb", pre);
    s->pos = wr__layout_add(l, name, 2, s->T, C, 0, WR_INIT_NORMAL, std, 1);
    for (int k = 0; k < L; k++) {
        block_views *b = &s->bv[k];
#define ADD(field, suffix, nd, d0, d1, init, sc)                                  \
    snprintf(name, sizeof name, "%s.block%d.%s", pre, k, suffix);                \
    b->field = wr__layout_add(l, name, nd, d0, d1, 0, init, sc, 0)
        ADD(ln1_w, "ln1.w", 1, C, 0, WR_INIT_ONE, 0);
        ADD(ln1_b, "ln1.b", 1, C, 0, WR_INIT_ZERO, 0);
        ADD(qkv_w, "attn.qkv.w", 2, 3 * C, C, WR_INIT_UNIFORM, wb);
        ADD(qkv_b, "attn.qkv.b", 1, 3 * C, 0, WR_INIT_ZERO, 0);
        ADD(proj_w, "attn.proj.w", 2, C, C, WR_INIT_UNIFORM, wb);
        ADD(proj_b, "attn.proj.b", 1, C, 0, WR_INIT_ZERO, 0);
        ADD(ln2_w, "ln2.w", 1, C, 0, WR_INIT_ONE, 0);
        ADD(ln2_b, "ln2.b", 1, C, 0, WR_INIT_ZERO, 0);
        ADD(fc1_w, "ffn.fc1.w", 2, C, C, WR_INIT_UNIFORM, wb);
        ADD(fc1_b, "ffn.fc1.b", 1, C, 0, WR_INIT_ZERO, 0);
        ADD(fc2_w, "ffn.fc2.w", 2, C, C, WR_INIT_UNIFORM, wb);
        ADD(fc2_b, "ffn.fc2.b", 1, C, 0, WR_INIT_ZERO, 0);
#undef ADD
    }
    snprintf(name, sizeof name, "%s.ln_final.w", pre);
    s->lnf_w = wr__layout_add(l, name, 1, C, 0, 0, WR_INIT_ONE, 0, 0);
    snprintf(name, sizeof name, "%s.ln_final.b", pre);
    s->lnf_b = wr__layout_add(l, name, 1, C, 0, 0, WR_INIT_ZERO, 0, 0);
    s->repeat = -1;
    if (wr__hp(m, "repeat_bias") != 0) {
        snprintf(name, sizeof name, "%s.repeat_bias", pre);
        s->repeat = wr__layout_add(l, name, 1, 1, 0, 0, WR_INIT_ZERO, 0, 0);
        if (s->repeat < 0) return wr__err(m->ctx, WR_ERR_ARG, "sasrec: too many blocks");
        l->v[s->repeat].no_decay = 1;
    }
    if (s->lnf_b < 0) return wr__err(m->ctx, WR_ERR_ARG, "sasrec: too many blocks");
    int alloc_rc = wr__layout_alloc(m, l);
    if (alloc_rc) return alloc_rc;
    return m->params ? WR_OK : wr__oom(m->ctx, "allocating sasrec");
}

/* Activation buffers for N = rows (B*T for training, T for inference). */
static int alloc_acts(wr_model *m, int N) {
    sas_state *s = m->state;
    int C = s->C, T = s->T, H = s->H, Bn = s->seq_cap = N / T;
    const double rows = (double)N * C, att = (double)Bn * H * T * T;
    char what[200];
    snprintf(what, sizeof what, "%s: the activations of batch %d x max_len %d (dim %d, blocks %d, heads %d)", m->vt->name, Bn, T, C, s->L, H);
    int rc = wr__budget(m->ctx, 16.0 * (double)m->n_params + 4.0 * (rows * (10 + 12.0 * s->L) + att * s->L + (double)CHUNK * (s->V + 2 * C) + 8.0 * N) +
                                    rows * (1 + 2.0 * s->L), what);
    if (rc) return rc;
    size_t nc = (size_t)N * C;
    float **single[] = {&s->x0, &s->h, &s->x_out, &s->dx, &s->dtmp, &s->d2};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (!(*single[i] = wr__calloc(nc * (single[i] == &s->d2 ? 2 : 1), sizeof(float)))) return wr__oom(m->ctx, "allocating sasrec");
    if (!(s->h_mean = wr__calloc((size_t)N, sizeof(float))) || !(s->h_rstd = wr__calloc((size_t)N, sizeof(float))) ||
        !(s->dqkv = wr__calloc(nc * 3, sizeof(float))) ||
        !(s->logits = wr__calloc((size_t)CHUNK * s->V, sizeof(float))) ||
        !(s->rowbuf = wr__calloc((size_t)CHUNK * C, sizeof(float))) || !(s->drowbuf = wr__calloc((size_t)CHUNK * C, sizeof(float))) ||
        !(s->drop0 = wr__calloc(nc, 1)) ||
        !(s->inp = wr__calloc((size_t)N, sizeof(int32_t))) || !(s->tgt = wr__calloc((size_t)N, sizeof(int32_t))) ||
        !(s->off = wr__calloc((size_t)Bn + 1, sizeof(int))) || !(s->r_item = wr__calloc((size_t)N, sizeof(int32_t))) ||
        !(s->r_pos = wr__calloc((size_t)N, sizeof(int32_t))) || !(s->r_tgt = wr__calloc((size_t)N, sizeof(int32_t))) ||
        !(s->r_seq = wr__calloc((size_t)N, sizeof(int32_t))) || !(s->seen = wr__calloc((size_t)CHUNK * T, sizeof(int32_t))) ||
        !(s->seen_len = wr__calloc(CHUNK, sizeof(int32_t))) || wr__marks_init(&s->marks, s->V + 2) < 0)
        return wr__oom(m->ctx, "allocating sasrec");
    for (int k = 0; k < s->L; k++) {
        block_acts *a = &s->ba[k];
        float **bufs[] = {&a->x_in, &a->a, &a->o, &a->proj, &a->x_mid, &a->b, &a->f1, &a->post, &a->f2};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
            if (!(*bufs[i] = wr__calloc(nc, sizeof(float)))) return wr__oom(m->ctx, "allocating sasrec");
        if (!(a->a_mean = wr__calloc((size_t)N, sizeof(float))) || !(a->a_rstd = wr__calloc((size_t)N, sizeof(float))) ||
            !(a->b_mean = wr__calloc((size_t)N, sizeof(float))) || !(a->b_rstd = wr__calloc((size_t)N, sizeof(float))) ||
            !(a->qkv = wr__calloc(nc * 3, sizeof(float))) || !(a->att = wr__calloc((size_t)Bn * H * T * T, sizeof(float))) ||
            !(a->drop1 = wr__calloc(nc, 1)) || !(a->drop2 = wr__calloc(nc, 1)))
            return wr__oom(m->ctx, "allocating sasrec");
    }
    return WR_OK;
}

static void sas_free(wr_model *m) {
    sas_state *s = m->state;
    free(m->params);
    free(s->grad);
    free(s->m1);
    free(s->m2);
    if (s->windows_ready) wr__windows_free(&s->windows);
    wr__sampler_free(&s->sampler);
    free(s->cand);
    wr__marks_free(&s->marks);
    void *bufs[] = {s->off, s->r_item, s->r_pos, s->r_tgt, s->r_seq, s->seen, s->seen_len, s->inp, s->tgt, s->x0, s->drop0, s->h, s->h_mean, s->h_rstd, s->x_out, s->dx,
                    s->dtmp, s->dqkv, s->d2, s->logits, s->rowbuf, s->drowbuf};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    for (int k = 0; k < s->L; k++) {
        block_acts *a = &s->ba[k];
        void *ab[] = {a->x_in, a->a, a->a_mean, a->a_rstd, a->qkv, a->att, a->o, a->proj, a->drop1, a->x_mid, a->b, a->b_mean, a->b_rstd, a->f1, a->post, a->f2, a->drop2};
        for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++) free(ab[i]);
    }
    free(s);
}

/* Packs the batch s->inp / s->tgt (Bn, T) into N rows without padding. */
static void pack(sas_state *s, int Bn) {
    int T = s->T, N = 0;
    for (int b = 0; b < Bn; b++) {
        s->off[b] = N;
        for (int t = 0; t < T; t++)
            if (s->inp[b * T + t]) {
                s->r_item[N] = s->inp[b * T + t];
                s->r_pos[N] = t;
                s->r_seq[N] = b;
                s->r_tgt[N++] = s->tgt[b * T + t];
            }
    }
    s->off[Bn] = s->N = N;
}

/* Forward over the Bn sequences of s->inp: leaves h (N, C) for the packed rows. rng NULL = no
 * dropout. */
static void forward(wr_model *m, int Bn, wr_rng *rng) {
    sas_state *s = m->state;
    pack(s, Bn);
    int C = s->C, N = s->N, NC = N * C, train = rng != NULL;
    float *P = m->params, p = s->p = train ? (float)wr__hp(m, "dropout") : 0.0f;
    wr_embedding_forward(s->x0, s->r_item, view(s, P, s->item), emb_scale(m), N, C);
    wr_position_forward(s->x0, s->r_pos, view(s, P, s->pos), N, C);
    /* each block reads its x_in and writes the next one's (the last, x_out): kept for backward */
    wr_dropout_forward(s->ba[0].x_in, s->drop0, s->x0, NULL, p, train, rng, NC);
    for (int k = 0; k < s->L; k++) {
        const block_views *v = &s->bv[k];
        block_acts *a = &s->ba[k];
        wr_layernorm_forward(a->a, a->a_mean, a->a_rstd, a->x_in, view(s, P, v->ln1_w), view(s, P, v->ln1_b), N, C);
        wr_linear_forward(a->qkv, a->a, view(s, P, v->qkv_w), view(s, P, v->qkv_b), N, C, 3 * C);
        wr_attention_forward(a->o, a->att, a->qkv, s->off, !s->bert, Bn, s->T, C, s->H);
        wr_linear_forward(a->proj, a->o, view(s, P, v->proj_w), view(s, P, v->proj_b), N, C, C);
        wr_dropout_forward(a->x_mid, a->drop1, a->proj, a->x_in, p, train, rng, NC);
        wr_layernorm_forward(a->b, a->b_mean, a->b_rstd, a->x_mid, view(s, P, v->ln2_w), view(s, P, v->ln2_b), N, C);
        wr_ffn_forward(a->f2, a->f1, a->post, a->b, view(s, P, v->fc1_w), view(s, P, v->fc1_b), view(s, P, v->fc2_w),
                       view(s, P, v->fc2_b), s->bert ? WR_ACT_GELU : WR_ACT_RELU, N, C, C);
        wr_dropout_forward(k + 1 < s->L ? s->ba[k + 1].x_in : s->x_out, a->drop2, a->f2, a->x_mid, p, train, rng, NC);
    }
    wr_layernorm_forward(s->h, s->h_mean, s->h_rstd, s->x_out, view(s, P, s->lnf_w), view(s, P, s->lnf_b), N, C);
}

/* Backward from dh (in s->dx, (N, C)) into s->grad. dres, the gradient of the residual stream,
 * takes each branch's gradient back by accumulation; s->dx and s->d2 are scratch. */
static void backward(wr_model *m, int Bn) {
    sas_state *s = m->state;
    int C = s->C, N = s->N, NC = N * C;
    float *P = m->params, *G = s->grad, *dres = s->dtmp, *dbr = s->dx, *d1 = s->d2, *d2 = s->d2 + NC;
    wr__zero(dres, (size_t)NC);
    wr_layernorm_backward(dres, view(s, G, s->lnf_w), view(s, G, s->lnf_b), s->dx, s->x_out, s->h_mean, s->h_rstd,
                          view(s, P, s->lnf_w), N, C);
    for (int k = s->L - 1; k >= 0; k--) {
        const block_views *v = &s->bv[k];
        block_acts *a = &s->ba[k];
        /* x_out = x_mid + dropout(FFN(LN2(x_mid))) */
        wr_dropout_backward(dbr, dres, a->drop2, s->p, NC);
        wr_ffn_backward(d1, view(s, G, v->fc1_w), view(s, G, v->fc1_b), view(s, G, v->fc2_w), view(s, G, v->fc2_b), d2, dbr,
                        a->b, a->f1, a->post, view(s, P, v->fc1_w), view(s, P, v->fc2_w), s->bert ? WR_ACT_GELU : WR_ACT_RELU, N, C, C);
        wr_layernorm_backward(dres, view(s, G, v->ln2_w), view(s, G, v->ln2_b), d1, a->x_mid, a->b_mean, a->b_rstd,
                              view(s, P, v->ln2_w), N, C);
        /* x_mid = x_in + dropout(proj(attention(qkv(LN1(x_in))))) */
        wr_dropout_backward(dbr, dres, a->drop1, s->p, NC);
        wr_linear_backward(d1, view(s, G, v->proj_w), view(s, G, v->proj_b), dbr, a->o, view(s, P, v->proj_w), N, C, C);
        wr__zero(s->dqkv, 3 * (size_t)NC);
        wr_attention_backward(s->dqkv, d1, a->qkv, a->att, s->off, !s->bert, Bn, s->T, C, s->H);
        wr_linear_backward(dbr, view(s, G, v->qkv_w), view(s, G, v->qkv_b), s->dqkv, a->a, view(s, P, v->qkv_w), N, C, 3 * C);
        wr_layernorm_backward(dres, view(s, G, v->ln1_w), view(s, G, v->ln1_b), dbr, a->x_in, a->a_mean, a->a_rstd,
                              view(s, P, v->ln1_w), N, C);
    }
    /* x0 = E[item] sqrt(C) + P[t], through the embedding dropout */
    wr_dropout_backward(dbr, dres, s->drop0, s->p, NC);
    wr_embedding_backward(view(s, G, s->item), NULL, NULL, NULL, dbr, s->r_item, emb_scale(m), N, C);
    wr_position_backward(view(s, G, s->pos), dbr, s->r_pos, N, C);
}

/* The repeat bias: one learned offset added to the score of every item already in the history,
 * so the model itself learns how often users come back to an item (strongly negative where they
 * never do, as on MovieLens; near zero on a store where they often do). Training row n's history
 * is what it sees: SASRec the window up to and including n, BERT4Rec the window's unmasked
 * items. Writes the row's distinct history items (0-based) into out and returns how many. */
static int row_history(sas_state *s, int n, int32_t *out) {
    int b = s->r_seq[n], end = s->bert ? s->off[b + 1] : n + 1, k = 0, id = wr__marks_next(&s->marks);
    for (int r = s->off[b]; r < end; r++) {
        int32_t it = s->r_item[r];
        if (it > s->V || s->marks.mark[it] == id) continue; /* the mask token, or already listed */
        s->marks.mark[it] = id;
        out[k++] = it - 1;
    }
    return k;
}

/* Loss over the packed rows that have a target; writes dh into s->dx and the output side's item
 * embedding gradients into s->grad; returns the mean loss. loss 0: full softmax CE over items
 * 1..V, in chunks of CHUNK rows so memory is CHUNK x V. Otherwise the target and K sampled
 * negatives per row: 1 BCE (SASRec's, K = 1 in the paper), 2 gBCE (gSASRec: calibrates the
 * overconfidence that sampling causes), 3 sampled softmax with the log-Q correction. */
static double loss_and_dh(wr_model *m, int64_t *positions) {
    sas_state *s = m->state;
    int C = s->C, V = s->V, N = s->N, loss = (int)wr__hp(m, "loss");
    const float *E = view(s, m->params, s->item);
    float *dE = view(s, s->grad, s->item);
    int64_t P = 0;
    for (int n = 0; n < N; n++) P += s->r_tgt[n] > 0;
    *positions = P;
    wr__zero(s->dx, (size_t)N * C);
    if (P == 0) return 0;
    float inv = 1.0f / (float)P;
    double total = 0;
    float rb = s->repeat >= 0 ? *view(s, m->params, s->repeat) : 0.0f, drb = 0.0f;
    if (loss == 0) {
        int rows[CHUNK], R = 0;
        int32_t tg[CHUNK];
        for (int n = 0; n <= N; n++) {
            if (n < N && s->r_tgt[n]) tg[R] = s->r_tgt[n] - 1, rows[R++] = n;
            if (R < CHUNK && !(n == N && R > 0)) continue;
            for (int r = 0; r < R; r++) memcpy(s->rowbuf + (size_t)r * C, s->h + (size_t)rows[r] * C, C * sizeof(float));
            wr_linear_forward(s->logits, s->rowbuf, E + C, NULL, R, C, V);
            if (s->repeat >= 0)
                for (int r = 0; r < R; r++) {
                    int32_t *seen = s->seen + (size_t)r * s->T;
                    s->seen_len[r] = row_history(s, rows[r], seen);
                    for (int k = 0; k < s->seen_len[r]; k++) s->logits[(size_t)r * V + seen[k]] += rb;
                }
            total += wr_ce_loss(s->logits, s->logits, s->logits, tg, -1, inv, R, V);
            if (s->repeat >= 0)
                for (int r = 0; r < R; r++)
                    for (int k = 0; k < s->seen_len[r]; k++) drb += s->logits[(size_t)r * V + s->seen[(size_t)r * s->T + k]];
            wr_linear_backward(s->drowbuf, dE + C, NULL, s->logits, s->rowbuf, E + C, R, C, V);
            for (int r = 0; r < R; r++) memcpy(s->dx + (size_t)rows[r] * C, s->drowbuf + (size_t)r * C, C * sizeof(float));
            R = 0;
        }
        if (s->repeat >= 0) *view(s, s->grad, s->repeat) += drb;
        return total * inv;
    }
    int K = (int)wr__hp(m, "negatives");
    if (K == 0) K = loss == 1 ? 1 : 256;
    float beta = loss == 2 ? wr_gbce_beta(K, V, (float)wr__hp(m, "gbce_t")) : 1.0f;
    float z[1 + 1024], dz[1 + 1024], pr[1 + 1024], lq[1 + 1024]; /* the parameter's maximum */
    for (int n = 0; n < N; n++) {
        if (!s->r_tgt[n]) continue;
        const float *h = s->h + (size_t)n * C;
        s->cand[0] = s->r_tgt[n];
        for (int k = 1; k <= K; k++) s->cand[k] = wr__sampler_draw(&s->sampler, &m->rng);
        for (int k = 0; k <= K; k++) z[k] = wr_dot(h, E + (size_t)s->cand[k] * C, C), dz[k] = 0.0f;
        if (s->repeat >= 0) {
            row_history(s, n, s->seen); /* marks the row's items with marks.id */
            for (int k = 0; k <= K; k++)
                if (s->marks.mark[s->cand[k]] == s->marks.id) z[k] += rb;
        }
        if (loss == 3) {
            for (int k = 0; k <= K; k++) lq[k] = wr_logf(wr__sampler_prob(&s->sampler, s->cand[k]));
            total += wr_sampled_softmax_loss(dz, pr, z, lq, NULL, NULL, inv, 1, K);
        } else {
            total += wr_bce_loss(dz, z, NULL, beta, inv, 1, K);
        }
        for (int k = 0; k <= K; k++) {
            if (s->repeat >= 0 && s->marks.mark[s->cand[k]] == s->marks.id) drb += dz[k];
            wr_axpy(s->dx + (size_t)n * C, dz[k], E + (size_t)s->cand[k] * C, C);
            wr_axpy(dE + (size_t)s->cand[k] * C, dz[k], h, C);
        }
    }
    if (s->repeat >= 0) *view(s, s->grad, s->repeat) += drb;
    return total * inv;
}

/* Loss and gradients for the batch in s->inp / s->tgt (Bn sequences); s->grad is zeroed first.
 * Used by the training step and the gradient check test (which passes rng = NULL: no dropout). */
double wr__sasrec_loss_grad(wr_model *m, int Bn, wr_rng *dropout_rng, int64_t *positions, const float **grad) {
    sas_state *s = m->state;
    wr__zero(s->grad, m->n_params);
    forward(m, Bn, dropout_rng);
    double loss = loss_and_dh(m, positions);
    if (*positions > 0) backward(m, Bn);
    *grad = s->grad;
    return loss;
}

int32_t *wr__sasrec_batch(wr_model *m, int32_t **tgt) {
    sas_state *s = m->state;
    *tgt = s->tgt;
    return s->inp;
}

/* The repeat bias's start (wr__repeat_bias_init) for the windows' mean history length. */
static float repeat_bias_init(const wr_model *m) {
    const sas_state *s = m->state;
    double sum = 0, n = 0;
    for (int k = 0; k < s->windows.n_win; k++) {
        int len = s->windows.end[k], pairs = len - 1 < s->T ? len - 1 : s->T;
        sum += 0.5 * pairs * (pairs + 1.0);
        n += pairs;
    }
    return wr__repeat_bias_init(m->repeat_share, s->V, n > 0 ? sum / n : 1);
}

static int sas_fit(wr_model *m, const wr_seqs *train) {
    sas_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "creating sasrec");
    m->state = s;
    int rc = build_layout(m, train->n_items);
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    memset(view(s, m->params, s->item), 0, s->C * sizeof(float)); /* the padding row */
    if ((rc = alloc_acts(m, s->B * s->T))) return rc;
    size_t n = s->layout.total + 4;
    if (!(s->grad = wr__calloc(n, sizeof(float))) || !(s->m1 = wr__calloc(n, sizeof(float))) || !(s->m2 = wr__calloc(n, sizeof(float))))
        return wr__oom(m->ctx, "allocating sasrec");
    s->adam = wr_adamw_init((float)wr__hp(m, "lr"), (float)wr__hp(m, "weight_decay"));
    s->adam.b2 = 0.98f; /* SASRec's */
    s->adam.decay_embeddings = wr__hp(m, "decay_embeddings") != 0;
    if (wr__windows_init(&s->windows, train, s->B, s->T) < 0) return wr__oom(m->ctx, "allocating sasrec");
    int loss = (int)wr__hp(m, "loss");
    double alpha = wr__hp(m, "sample_alpha") >= 0 ? wr__hp(m, "sample_alpha") : loss == 3 ? 1.0 : 0.0;
    if (loss != 0 && (wr__sampler_init(&s->sampler, train, alpha) < 0 ||
                      !(s->cand = wr__calloc(1 + 1024, sizeof(int32_t)))))
        return wr__oom(m->ctx, "allocating sasrec");
    s->windows_ready = 1;
    if (s->windows.n_win == 0) return wr__err(m->ctx, WR_ERR_ARG, "sasrec: no training sequence has 2 or more events");
    if (s->repeat >= 0) *view(s, m->params, s->repeat) = repeat_bias_init(m);
    return WR_OK;
}

/* BERT4Rec's batch from the windows: each row becomes its last T items (the window's inputs
 * and its last target), and each item is replaced by the mask token with probability mask_prob
 * (at least one per row); the targets are the masked items only. */
static void mask_batch(wr_model *m) {
    sas_state *s = m->state;
    int T = s->T, mask = s->V + 1;
    float prob = (float)wr__hp(m, "mask_prob"), last = (float)wr__hp(m, "last_prob");
    for (int b = 0; b < s->B; b++) {
        int32_t *in = s->inp + b * T, *tg = s->tgt + b * T;
        int t0 = 0;
        while (t0 < T && !in[t0]) t0++;
        if (t0 == T) continue;
        /* raw window: in[t0], tg[t0..T-1]; shift left by one when it does not fit */
        int32_t first = in[t0];
        for (int t = t0; t < T; t++) in[t] = tg[t];
        if (t0 > 0) in[t0 - 1] = first, t0--;
        if (t0 < T - 1 && wr__rng_float(&m->rng) < last) {
            /* a random prefix of the window, right-aligned, its last item masked */
            int c = t0 + 1 + (int)wr__rng_below(&m->rng, (uint32_t)(T - 1 - t0)), sh = T - 1 - c;
            for (int t = c; t >= t0; t--) in[t + sh] = in[t];
            for (int t = 0; t < t0 + sh; t++) in[t] = 0;
            memset(tg, 0, (size_t)T * sizeof *tg);
            tg[T - 1] = in[T - 1];
            in[T - 1] = mask;
            continue;
        }
        int masked = 0;
        for (int t = t0; t < T; t++) {
            tg[t] = 0;
            if (wr__rng_float(&m->rng) < prob) {
                tg[t] = in[t];
                in[t] = mask;
                masked++;
            }
        }
        if (!masked) { /* BERT4Rec's inference task: the last item */
            tg[T - 1] = in[T - 1];
            in[T - 1] = mask;
        }
    }
}

static int sas_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    sas_state *s = m->state;
    wr__windows_next(&s->windows, train, &m->rng, s->inp, s->tgt, epoch_end);
    if (s->bert) mask_batch(m);
    const float *g;
    *loss = wr__sasrec_loss_grad(m, s->B, &m->rng, positions, &g);
    if (*positions > 0) {
        wr__clip_grad(&s->layout, s->grad, NULL, 0, (float)wr__hp(m, "clip"));
        wr__adam_step(&s->adam, &s->layout, m->params, s->grad, s->m1, s->m2, NULL, 0);
    }
    return WR_OK;
}

/* The inference forward pass over nb histories (at most seq_cap): each one's last max_len items,
 * left-padded; BERT4Rec's mask token follows them in the last slot. */
static void forward_histories(wr_model *m, const int *const *hist, const int *lens, int nb) {
    sas_state *s = m->state;
    int T = s->T - s->bert;
    memset(s->inp, 0, (size_t)nb * s->T * sizeof(int32_t));
    for (int b = 0; b < nb; b++) {
        int len = lens[b], k = len < T ? len : T;
        for (int t = 0; t < k; t++) s->inp[b * s->T + T - k + t] = hist[b][len - k + t] + 1;
        if (s->bert) s->inp[b * s->T + T] = s->V + 1;
    }
    forward(m, nb, NULL);
}

/* Scores (n, V) for n histories, up to seq_cap and CHUNK at a time: one forward over them, then
 * one gemm of their last rows against the item table. Row by row the sums are those of a single
 * history (the kernels compute each output the same way whatever the batch). */
static int sas_score_batch(wr_model *m, const wr_query *qs, int n, float *scores) {
    sas_state *s = m->state;
    int C = s->C, V = s->V, group = s->seq_cap < CHUNK ? s->seq_cap : CHUNK;
    const int *hist[CHUNK];
    int lens[CHUNK];
    for (int g0 = 0; g0 < n; g0 += group) {
        int nb = n - g0 < group ? n - g0 : group;
        for (int b = 0; b < nb; b++) hist[b] = qs[g0 + b].items, lens[b] = qs[g0 + b].len;
        forward_histories(m, hist, lens, nb);
        for (int b = 0; b < nb; b++) /* the last row of each sequence (none: SASRec without history) */
            memcpy(s->rowbuf + (size_t)b * C, s->h + (size_t)(s->off[b + 1] > s->off[b] ? s->off[b + 1] - 1 : 0) * C,
                   C * sizeof(float));
        float *out = scores + (size_t)g0 * V;
        wr_gemm_nt(out, s->rowbuf, view(s, m->params, s->item) + C, nb, V, C, 0);
        for (int b = 0; b < nb; b++) /* no history: the padding row's scores, all zero */
            if (s->off[b + 1] == s->off[b]) memset(out + (size_t)b * V, 0, (size_t)V * sizeof *out);
        if (s->repeat >= 0) /* the whole history, also what did not fit in max_len */
            for (int b = 0; b < nb; b++)
                wr__repeat_bias_add(&s->marks, hist[b], lens[b], *view(s, m->params, s->repeat), out + (size_t)b * V);
    }
    return WR_OK;
}

static int sas_score(wr_model *m, const wr_query *q, float *scores) {
    return sas_score_batch(m, q, 1, scores);
}

/* The same scores for the n given items only (a pipeline's candidates): one dot product each. */
static int sas_score_items(wr_model *m, const wr_query *q, const int *items, int n, float *out) {
    sas_state *s = m->state;
    int C = s->C;
    const int *hist = q->items;
    int len = q->len;
    forward_histories(m, &hist, &len, 1);
    const float *h = s->h + (size_t)(s->off[1] > s->off[0] ? s->off[1] - 1 : 0) * C, *E = view(s, m->params, s->item) + C;
    float rb = s->repeat >= 0 ? *view(s, m->params, s->repeat) : 0;
    for (int j = 0; j < n; j++) {
        out[j] = s->off[1] > s->off[0] ? wr_dot(h, E + (size_t)items[j] * C, C) : 0;
        for (int t = 0; rb != 0 && t < len; t++)
            if (hist[t] == items[j]) {
                out[j] += rb;
                break;
            }
    }
    return WR_OK;
}

/* The scoring position's attention (averaged over heads) on each history item, per block; the
 * positions that did not fit in max_len stay 0. BERT4Rec's scoring position is its mask token,
 * which also attends to itself, so its weights on the history sum to less than 1. */
static int sas_attention(wr_model *m, const int *history, int len, float *weights) {
    sas_state *s = m->state;
    memset(weights, 0, (size_t)s->L * len * sizeof *weights);
    if (len == 0) return s->L;
    forward_histories(m, &history, &len, 1); /* fills each block's att */
    int T = s->T, H = s->H, q = s->N - 1, n = s->N - s->bert; /* packed rows: history, [mask] */
    for (int k = 0; k < s->L; k++)
        for (int h = 0; h < H; h++)
            for (int j = 0; j < n; j++)
                weights[(size_t)k * len + len - n + j] += s->ba[k].att[((size_t)h * T + q) * T + j] / H;
    return s->L;
}

static int sas_item_vectors(wr_model *m, const float **rows, int *dim, int *stride) {
    const sas_state *s = m->state;
    *dim = *stride = s->C;
    if (rows) *rows = view(s, m->params, s->item) + s->C; /* row 0 is padding */
    return WR_OK;
}

static int sas_save(wr_model *m, wr_st_file *f) {
    sas_state *s = m->state;
    return wr__layout_save(m, &s->layout, m->params, f);
}

static int sas_load(wr_model *m, const wr_st_file *f) {
    sas_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading sasrec");
    m->state = s;
    int rc = build_layout(m, m->items.n);
    if (!rc) rc = alloc_acts(m, s->T);
    return rc ? rc : wr__layout_load(m, &s->layout, m->params, f);
}

const wr_model_vt wr__bert4rec_vt = {
    .name = "bert4rec",
    .params = bert4rec_params,
    .n_params = (int)(sizeof bert4rec_params / sizeof bert4rec_params[0]),
    .absent_off = "repeat_bias,unscaled_embeddings,last_prob",
    .fit = sas_fit,
    .score = sas_score,
    .score_batch = sas_score_batch,
    .save = sas_save,
    .load = sas_load,
    .free_state = sas_free,
    .train_step = sas_train_step,
    .attention = sas_attention,
    .item_vectors = sas_item_vectors,
    .score_items = sas_score_items,
};

const wr_model_vt wr__sasrec_vt = {
    .name = "sasrec",
    .params = sasrec_params,
    .n_params = (int)(sizeof sasrec_params / sizeof sasrec_params[0]),
    .absent_off = "repeat_bias",
    .fit = sas_fit,
    .score = sas_score,
    .score_batch = sas_score_batch,
    .save = sas_save,
    .load = sas_load,
    .free_state = sas_free,
    .train_step = sas_train_step,
    .attention = sas_attention,
    .item_vectors = sas_item_vectors,
    .score_items = sas_score_items,
};

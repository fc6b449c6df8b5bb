/* nn.h: the neural building blocks (private): layers as forward/backward pairs of plain C
 * functions, the losses and the optimisers that GRU4Rec, SASRec and BERT4Rec are built from.
 *
 * Dimension letters (every shape comment below uses them):
 *   B  batch (sequences or sessions)          T  time steps (max_len)
 *   N  rows = B*T, or any flat count of rows  C  channels (embedding size, model dim)
 *   OC output channels of a linear layer      F  hidden size of the feed-forward layer (e.g. 4C)
 *   H  heads of attention                     D  channels of one head, C / H
 *   V  items (rows of an embedding table; row 0 is the padding item)
 *   G  hidden size of the GRU                 K  sampled negatives per row
 *   J  scored columns of a loss row (V for the full softmax, 1+K for sampled losses,
 *      B+S for GRU4Rec's mini-batch targets plus a shared pool of S negatives)
 *   R  rows of an embedding table an optimiser step updates
 *
 * Contract of every pair (llm.c's):
 *   - arguments: outputs first, then inputs, then weights, then int dims;
 *   - forward writes (overwrites) its outputs, including the named activations backward needs
 *     (layernorm mean/rstd, attention probabilities, GRU gates, dropout mask);
 *   - backward ACCUMULATES (+=) into every gradient buffer it is given, so a tensor used twice
 *     (shared item embeddings) just receives two calls; a NULL gradient pointer means "not
 *     needed" where the comment says so;
 *   - nothing allocates: callers pass every buffer, including scratch (its size is stated);
 *   - randomness only through the wr_rng the caller passes.
 * Tensors are row-major float32, contiguous, in the shape order written. The GRU through time is
 * time-major, (T,B,.), so each step is one gemm over B contiguous rows (the caller transposes
 * the item ids, not the activations). */
#ifndef WR_NN_H
#define WR_NN_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* ---- embedding (embedding.c) ------------------------------------------------------------ */

/* out (N,C) = scale * table[ids] (V,C); ids (N) in [0, V); id 0 is padding and gives a zero row. */
void wr_embedding_forward(float *out, const int32_t *ids, const float *table, float scale, int N,
                          int C);
/* dtable (V,C) += scale * dout at the rows ids name (id 0 gets nothing). Every row it touches for
 * the first time is marked in seen (V bytes, zero on the first call of a step) and appended to
 * rows (room for V, or for N distinct ids) at *n_rows, which grows; so an optimiser updates only
 * those rows. Several calls in a step (input and output use of a shared table) share rows/seen.
 * seen NULL: no record (a dense optimiser updates every row anyway). */
void wr_embedding_backward(float *dtable, int32_t *rows, int *n_rows, unsigned char *seen,
                           const float *dout, const int32_t *ids, float scale, int N, int C);
/* After the optimiser step: zeroes the touched rows of dtable (V,C) and their seen marks, so the
 * next step starts clean without a pass over all V rows. */
void wr_embedding_clear_rows(float *dtable, unsigned char *seen, const int32_t *rows, int n_rows,
                             int C);

/* Learned positions: out (N,C) += pos (T,C) at row t[i] for every row i; t (N) holds each row's
 * position in its window (rows need not be padded to T, see attention). */
void wr_position_forward(float *out, const int32_t *t, const float *pos, int N, int C);
/* dpos (T,C) += dout (N,C) at the same positions. */
void wr_position_backward(float *dpos, const float *dout, const int32_t *t, int N, int C);

/* ---- linear (linear.c) ------------------------------------------------------------------- */

/* out (N,OC) += bias (OC) on every row; dbias (OC) += the column sums of dout (N,OC), in row order. */
void wr_bias_add(float *out, const float *bias, int N, int OC);
void wr_bias_backward(float *dbias, const float *dout, int N, int OC);
/* out (N,OC) = inp (N,C) W^T + bias;  W (OC,C), bias (OC) or NULL. */
void wr_linear_forward(float *out, const float *inp, const float *W, const float *bias, int N,
                       int C, int OC);
/* dinp (N,C) = dout W (overwritten: its callers' buffers need no clearing);  dW (OC,C) += dout^T inp;
 * dbias (OC) += sum of dout's rows. dinp and dbias may be NULL. */
void wr_linear_backward(float *dinp, float *dW, float *dbias, const float *dout, const float *inp,
                        const float *W, int N, int C, int OC);

/* ---- MLP tower (mlp.c) ----------------------------------------------------------------------
 * act[l+1] (N, width[l+1]) = act[l] W[l]^T + b[l] for l < L, through ReLU except after the last
 * layer unless relu_last. W[l] (width[l+1], width[l]). */
void wr_mlp_forward(float *const *act, const float *const *W, const float *const *b, const int *width, int L, int N, int relu_last);
/* From dact[L] (overwritten on the way): dact[l] for l < L (dact[0]: the input's gradient,
 * overwritten), dW[l], db[l] += ... */
void wr_mlp_backward(float *const *dact, float *const *dW, float *const *db, const float *const *act, const float *const *W,
                     const int *width, int L, int N, int relu_last);

/* ---- GRU (gru.c): PyTorch's cell, torch.nn.GRU's gates r, z, n --------------------------
 *   gh = hp W^T + b                                               W (3G,G), b (3G): w_hh, b_hh
 *   r, z = sigmoid(xg_r + gh_r), sigmoid(xg_z + gh_z)
 *   n    = tanh(xg_n + r * gh_n)
 *   h    = (1 - z) * n + z * hp
 * xg (.,3G) is the input's share [r | z | n], bias included: a linear layer over embeddings
 * (x w_ih^T + b_ih, GRU4Rec), or a lookup of a (V,3G) table for one-hot input. */

/* One step over B rows from the states hp (B,G): h (B,G); gh (B,3G) and gates (B,3G) = [r | z | n]
 * are kept for backward. xg (B,3G). */
void wr_gru_step_forward(float *h, float *gh, float *gates, const float *xg, const float *hp,
                         const float *W, const float *b, int B, int G);
/* From dh (B,G): dxg (B,3G), dW (3G,G), db (3G) and dhp (B,G) += ...; dhp NULL: no gradient into
 * the previous state (GRU4Rec trains without backpropagation through time). scratch: 3*B*G
 * floats, overwritten. */
void wr_gru_step_backward(float *dxg, float *dhp, float *dW, float *db, float *scratch,
                          const float *dh, const float *hp, const float *gh, const float *gates,
                          const float *W, int B, int G);

/* Through time, the step in a loop: h[t] from hp = reset[t] ? 0 : h[t-1] (h[-1] = h0, or 0 when
 * h0 is NULL). h, hprev (T,B,G): the states and the state each step started from; gh, gates
 * (T,B,3G); xg (T,B,3G); reset (T,B) nonzero = a session starts here, or NULL; h0 (B,G). */
void wr_gru_forward(float *h, float *hprev, float *gh, float *gates, const float *xg,
                    const unsigned char *reset, const float *h0, const float *W, const float *b,
                    int T, int B, int G);
/* Backward through time, from dh (T,B,G), the loss's gradient at every h[t]. Accumulates into
 * dxg (T,B,3G), dW (3G,G), db (3G) and dh0 (B,G) (NULL: not needed). No gradient crosses a
 * reset, so nothing flows between sessions. scratch: 5*B*G floats, overwritten. */
void wr_gru_backward(float *dxg, float *dW, float *db, float *dh0, float *scratch,
                     const float *dh, const float *hprev, const float *gh, const float *gates,
                     const unsigned char *reset, const float *W, int T, int B, int G);

/* ---- multi-head self-attention (attention.c) --------------------------------------------
 * Over B sequences packed without padding rows: sequence b owns rows off[b] .. off[b+1] - 1
 * (at most T of them) of qkv (N,3C) = [q | k | v] and out (N,C); off (B+1), N = off[B]. */

/* out = softmax(q k^T / sqrt(D)) v per head, heads split C into H slices of D, over the keys of
 * the same sequence: up to the query's own row (causal, SASRec) or all of them (BERT4Rec).
 * att (B,H,T,T): row i of sequence b holds its probabilities, zero past its visible keys (rows
 * past the sequence's length are not written). */
void wr_attention_forward(float *out, float *att, const float *qkv, const int *off, int causal,
                          int B, int T, int C, int H);
/* dqkv (N,3C) += the gradient through q, k and v. T <= WR_ATTENTION_MAX_T (max_len's bound). */
#define WR_ATTENTION_MAX_T 1024
void wr_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           const int *off, int causal, int B, int T, int C, int H);

/* ---- layernorm (layernorm.c) ------------------------------------------------------------- */

/* out (N,C) = (inp - mean) * rstd * w + b; mean, rstd (N) kept for backward. w, b (C). */
void wr_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C);
/* dinp (N,C), dw (C), db (C) += ... */
void wr_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *mean, const float *rstd, const float *w, int N, int C);

/* ---- position-wise feed-forward (feedforward.c) ------------------------------------------ */

enum { WR_ACT_RELU = 0, WR_ACT_GELU = 1 }; /* GELU: the tanh approximation (BERT's) */

/* out (N,C) = act(inp W1^T + b1) W2^T + b2;  W1 (F,C), b1 (F), W2 (C,F), b2 (C).
 * pre (N,F) before the activation, post (N,F) after it: both kept for backward. */
void wr_ffn_forward(float *out, float *pre, float *post, const float *inp, const float *W1,
                    const float *b1, const float *W2, const float *b2, int act, int N, int C, int F);
/* dinp (N,C) = ... (overwritten); dW1, db1, dW2, db2 += ...; dpost: scratch of N*F floats, overwritten. */
void wr_ffn_backward(float *dinp, float *dW1, float *db1, float *dW2, float *db2, float *dpost,
                     const float *dout, const float *inp, const float *pre, const float *post,
                     const float *W1, const float *W2, int act, int N, int C, int F);

/* ---- dropout (dropout.c) ----------------------------------------------------------------- */

/* Inverted dropout: out (N) = [res +] inp * keep / (1 - p), keep drawn with probability 1 - p
 * from one seed that rng gives (counter-based: the same mask on any number of threads), stored in
 * mask (N bytes). Identity (out = [res +] inp, mask all 1, rng untouched) when p == 0 or !train.
 * res (N) or NULL: the residual a Transformer adds the dropped branch to, in the same pass over
 * the threads. out may equal inp. */
void wr_dropout_forward(float *out, unsigned char *mask, const float *inp, const float *res, float p,
                        int train, wr_rng *rng, int N);
/* dinp (N) = dout * mask / (1 - p), with the p the forward pass used (0 at evaluation). Unlike
 * the other backward passes it writes dinp instead of adding to it: every caller took the
 * gradient of one dropout alone, and zeroing first was a pass over the buffer on one thread. */
void wr_dropout_backward(float *dinp, const float *dout, const unsigned char *mask, float p, int N);

/* ---- losses (loss.c) ----------------------------------------------------------------------
 * Each returns the SUM of its rows' losses (double) and, when dlogits is not NULL, accumulates
 * scale * d(sum)/d(logits): pass scale = 1/rows for the mean. Rows are scored independently, so a
 * caller can run them chunk by chunk. */

/* Softmax cross-entropy over J columns: logits (N,J), target (N) a column index; rows whose
 * target == ignore are skipped (0 for padded item ids, -1 when none). probs (N,J): softmax; it
 * may be logits itself, and dlogits may be that same buffer too: each row is then replaced by its
 * gradient (in place: no second V-wide buffer to zero and add into).
 * Also BERT4Rec's masked-item loss (target = the hidden item at masked positions, 0 elsewhere)
 * and GRU4Rec's CE over the mini-batch targets plus a shared pool (J = B+S, target[i] = i); a
 * log-Q correction there is the caller subtracting logq from the logits first (same gradient). */
double wr_ce_loss(float *dlogits, float *probs, const float *logits, const int32_t *target,
                  int ignore, float scale, int N, int J);
/* Sampled softmax with the log-Q correction: logits (N,1+K), column 0 the positive, 1..K the
 * sampled negatives; logq (N,1+K) = log of each column's expected count in the sample (NULL: no
 * correction); skip (N,1+K) nonzero drops a column (an accidental hit of the positive) or NULL;
 * valid (N) nonzero = row counts, or NULL. probs (N,1+K) softmax of the corrected logits. */
double wr_sampled_softmax_loss(float *dlogits, float *probs, const float *logits,
                               const float *logq, const unsigned char *skip,
                               const unsigned char *valid, float scale, int N, int K);
/* BCE with K sampled negatives (SASRec): logits (N,1+K), column 0 the positive:
 *   loss = -beta log sigmoid(s+) - sum_k log(1 - sigmoid(s-_k))
 * beta = 1 is the SASRec paper's loss; gBCE passes wr_gbce_beta(). valid (N) or NULL. */
double wr_bce_loss(float *dlogits, const float *logits, const unsigned char *valid, float beta,
                   float scale, int N, int K);
/* BCE of one logit z against a target t in [0, 1]: -(t log sigmoid(z) + (1 - t) log sigmoid(-z)),
 * stable for any z (as wr_bce_loss), and *dz = sigmoid(z) - t. What the pointwise models (mf,
 * ncf, the fm family) add up, one pair at a time. */
double wr_bce_logit(float z, float t, float *dz);
/* gSASRec's beta (Petrov & Macdonald 2023): alpha = K / (V - 1) is the negative sampling rate
 * (V items that can be negatives), t in [0,1] the calibration, beta = alpha (t (1 - 1/alpha) +
 * 1/alpha) = 1 - t (1 - alpha). */
float wr_gbce_beta(int K, int V, float t);
/* GRU4Rec's BPR-max over a shared pool: logits (N,J), row i's positive in column pos[i] (pos < 0
 * skips the row), every other column a negative, weighted by a softmax over the negatives:
 *   loss = -log(sum_j w_j sigmoid(s_pos - s_j) + 1e-24) + bpreg * sum_j w_j s_j^2
 * w (N,J): the negatives' softmax weights (0 at the positive), kept for inspection. */
double wr_bpr_max_loss(float *dlogits, float *w, const float *logits, const int32_t *pos,
                       float bpreg, float scale, int N, int J);

/* ---- optimisers (optim.c) -----------------------------------------------------------------
 * Flat float buffers. Embedding tables are updated lazily: only the R rows a step touched (the
 * rows list from wr_embedding_backward), or all V rows when rows is NULL. */

typedef struct {
    float lr, b1, b2, eps;
    float weight_decay;    /* AdamW's decoupled decay (0 = Adam) */
    int decay_embeddings;  /* the decay skips embedding tables unless this is set */
    int t;                 /* steps taken */
    float b1t, b2t;        /* b1^t, b2^t as running products (no libm pow: same bits everywhere) */
} wr_adamw;

/* Defaults b1 0.9, b2 0.999, eps 1e-8 with the given lr and decay. */
wr_adamw wr_adamw_init(float lr, float weight_decay);
/* Once per optimiser step, before the updates: advances t and the bias corrections. */
void wr_adamw_begin_step(wr_adamw *a);
/* p, m, v, g (n): p -= lr (mhat / (sqrt(vhat) + eps) + weight_decay p). */
void wr_adamw_dense(float *p, float *m, float *v, const float *g, const wr_adamw *a, size_t n);
/* Embedding table p, m, v, g (V,C), rows (R) or NULL for all V. Untouched rows keep their
 * weights and moments (lazy Adam; bias correction uses the global step, as TF's LazyAdam). */
void wr_adamw_rows(float *p, float *m, float *v, const float *g, const int32_t *rows, int R,
                   const wr_adamw *a, int V, int C);

/* Adagrad: acc += g^2; p -= lr g / (sqrt(acc) + eps). */
void wr_adagrad_dense(float *p, float *acc, const float *g, float lr, float eps, size_t n);
void wr_adagrad_rows(float *p, float *acc, const float *g, const int32_t *rows, int R, float lr,
                     float eps, int V, int C);
/* SGD: p -= lr (g + weight_decay p). */
void wr_sgd_dense(float *p, const float *g, float lr, float weight_decay, size_t n);
void wr_sgd_rows(float *p, const float *g, const int32_t *rows, int R, float lr,
                 float weight_decay, int V, int C);

/* One gradient tensor for clipping: dense (rows NULL, n floats) or the R rows of a (V,C) table. */
typedef struct {
    float *g;
    size_t n;             /* dense: element count */
    const int32_t *rows;  /* embedding: the touched rows, R of them, C wide */
    int R, C;
} wr_grad_span;

/* Global-norm clipping over all spans: if the L2 norm exceeds max_norm, scales every span by
 * max_norm / norm. Returns the norm before clipping. max_norm <= 0: off, returns 0 untouched. */
double wr_clip_grad_norm(wr_grad_span *spans, int n_spans, float max_norm);

#endif

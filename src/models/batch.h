/* batch.h: how the neural sequence models cut training sequences into mini-batches.
 *   - Padded windows (SASRec, BERT4Rec): every sequence is cut from its end into windows of T
 *     input/target pairs (T + 1 items, the earliest window left-padded), B windows per batch;
 *     inputs are items 1-based (0 = padding), targets the next item.
 *   - Session-parallel lanes (GRU4Rec): B lanes each walk one sequence an event at a time; a lane
 *     whose sequence ends takes the next one and its hidden state is reset; no backpropagation
 *     through time across steps. */
#ifndef WR_BATCH_H
#define WR_BATCH_H

#include "../data/data.h"

/* ---- padded windows ---- */
typedef struct {
    int B, T;
    int32_t *seq, *end; /* (n_win) each window's sequence and the end of its items in it */
    int32_t *order;     /* (n_win) window ids, shuffled every epoch */
    int n_win, next;    /* position in order */
} wr_windows;

int wr__windows_init(wr_windows *w, const wr_seqs *s, int B, int T);
void wr__windows_free(wr_windows *w);
/* Fills inp and tgt (B, T) with 1-based item ids, 0 = padding. Rows past the end of the epoch
 * are all padding. Returns the number of target positions (non-padding) and sets *epoch_end
 * when this batch finished the epoch (the order is then reshuffled with rng). */
int64_t wr__windows_next(wr_windows *w, const wr_seqs *s, wr_rng *rng, int32_t *inp, int32_t *tgt,
                         int *epoch_end);

/* ---- session-parallel lanes ---- */
typedef struct {
    int B;
    int32_t *order;   /* (n_seq) shuffled sequences with >= 2 items */
    int n_seq, next;
    int32_t *lane_seq, *lane_pos; /* (B) sequence of each lane (-1 = idle) and its cursor */
} wr_lanes;

int wr__lanes_init(wr_lanes *l, const wr_seqs *s, int B, wr_rng *rng);
void wr__lanes_free(wr_lanes *l);
/* One step: inp, tgt (B) 1-based items (0 = idle lane), reset (B) = 1 where the lane started a
 * new sequence (its hidden state must be zeroed before this step). Returns the number of active
 * lanes; sets *epoch_end when every sequence has been walked (the next call starts a new,
 * reshuffled epoch). */
int wr__lanes_next(wr_lanes *l, const wr_seqs *s, wr_rng *rng, int32_t *inp, int32_t *tgt,
                   unsigned char *reset, int *epoch_end);

/* ---- negatives drawn from popularity^alpha (alpha 0: uniform) ---- */
typedef struct {
    int V;
    float *cum;     /* (V) cumulative probabilities */
    int32_t *guide; /* (V) first index whose cum exceeds j / V: where a draw's search starts */
} wr_sampler;

int wr__sampler_init(wr_sampler *s, const wr_seqs *train, double alpha);
void wr__sampler_free(wr_sampler *s);
/* An item, 1-based. */
int32_t wr__sampler_draw(const wr_sampler *s, wr_rng *rng);
/* The probability of drawing item (1-based), for the log-Q correction. */
float wr__sampler_prob(const wr_sampler *s, int32_t item);

/* ---- the (user, item) pairs of the training data: negatives a user never touched ---- */
typedef struct {
    uint64_t *slot, mask; /* open addressing on user * V + item + 1 (0 = empty) */
    uint64_t V;
} wr_pair_set;
/* The positive events of train (every event, or label 1 where labelled). -1 on OOM. */
int wr__pairs_init(wr_pair_set *p, const wr_seqs *train);
void wr__pairs_free(wr_pair_set *p);
int wr__pairs_has(const wr_pair_set *p, int user, int item);
/* A 0-based item drawn from s that user never touched in training (redrawn up to 10 times, then
 * kept: on a user who touched nearly everything the last draw stands). */
int32_t wr__draw_negative(const wr_sampler *s, const wr_pair_set *p, wr_rng *rng, int user);

/* ---- the (user, item) training events of mf, ncf and the fm family, in mini-batches ---- */
enum { WR_TARGET_NONE = 0, WR_TARGET_LABEL, WR_TARGET_RATING };
typedef struct {
    int64_t n, next;          /* events, and the next one in this epoch's order */
    int32_t *user, *item, *order;
    int64_t *at;              /* each event's index in train->items (a query's history is what came before) */
    float *y;                 /* each event's target (label or rating), or NULL: implicit */
    wr_pair_set seen;         /* the positives, which negatives avoid */
    wr_sampler sampler;
    int sampler_ready, n_neg;
    int32_t *bu, *bi, *bneg;  /* the current mini-batch: users, items, n_neg negatives each */
    int64_t *bat;             /* and their indices in train->items */
    float *by;                /* its targets (NULL: implicit) */
} wr_events;
/* The events of train (its sequence index is the user): with target NONE the positive ones (label
 * 1 where labelled), each to be paired with n_neg negatives drawn from popularity^alpha; with
 * LABEL or RATING every event and its label or rating (*mean: the targets' mean, may be NULL),
 * LABEL events with n_neg sampled items too (label 0).
 * batch is the largest mini-batch. Returns 0, or -1 on OOM. */
int wr__events_init(wr_events *e, const wr_seqs *train, int target, int batch, int n_neg, double alpha, double *mean);
void wr__events_free(wr_events *e);
/* The next mini-batch of up to batch events into e->bu, bi, by and (implicit) bneg; an epoch's
 * first batch reshuffles the order. Returns its size; *epoch_end = 1 on an epoch's last batch. */
int wr__events_next(wr_events *e, wr_rng *rng, int batch, int *epoch_end);

#endif

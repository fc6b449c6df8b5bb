/* split.h: the evaluation protocols (--eval) as a part per event. loo: per user the last event is
 * test, the second-last validation (users with fewer than 3 events only train), history = every
 * earlier event. random (events, seeded), temporal (by global time), cold-users (whole users) and
 * cold-items (whole items) cut by fractions (train, valid, test); each held-out event is a query:
 * its user, that user's training events in time order as history, its item as the target;
 * cold-users: a query per held-out user, with no history and all of their events as targets. With labels
 * (wr_data_label), histories and ranking targets are the positive events; pointwise metrics use
 * every labelled event. */
#ifndef WR_SPLIT_H
#define WR_SPLIT_H

#include <stdint.h>

#include "../data/data.h"

enum { WR_EVAL_LOO = 0, WR_EVAL_RANDOM, WR_EVAL_TEMPORAL, WR_EVAL_COLD_USERS, WR_EVAL_COLD_ITEMS };
enum { WR_PART_TRAIN = 0, WR_PART_VALID = 1, WR_PART_TEST = 2 };

struct wr_split {
    const wr_data *data; /* borrowed: must outlive the split */
    int kind;
    double frac[3];
    uint64_t seed;
    uint8_t *part;       /* n_events parts (NULL for loo, whose parts follow from the lengths) */
    int64_t n_part[3];   /* events per part */
};

/* Sequences owned by their arrays (a split's training part). */
typedef struct {
    wr_seqs seqs;
    int64_t *start, *ts;
    int32_t *len, *items;
    float *rating;
    uint8_t *label;
    int64_t *ctx_row;
} wr_own_seqs;

/* The training sequences of split (NULL: every event of data); positives_only keeps the
 * positive events of labelled data (what models that do not learn from labels train on). */
int wr__split_train_seqs(const wr_data *data, const struct wr_split *split, int positives_only, wr_own_seqs *out);
void wr__own_seqs_free(wr_own_seqs *s);
/* For a split without a validation part: the same split with share of its training units (events;
 * cold-users: users; cold-items: items; temporal: the latest training events) moved to
 * validation, seeded from the split's seed, so iterative models can stop early. WR_ERR_ARG
 * (no message) when nothing or everything would be held out. */
int wr__split_hold_out(const struct wr_split *split, double share, struct wr_split **out);
/* The share wr_train_begin holds out when a split has no validation part. */
#define WR_HOLD_OUT_SHARE 0.1
/* The name of a protocol ("loo", "random", ...). */
const char *wr__split_name(int kind);

#endif

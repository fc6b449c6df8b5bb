/* wasmrec.h: the whole public C API of the wasmrec engine.
 *
 * A recommender engine that trains small models and gives session-based next-item
 * recommendations. The same sources build natively (gcc) and as one SIMD WebAssembly module.
 *
 * Conventions
 * - Every fallible call returns an int status: WR_OK (0) or a negative wr_status. The text of
 *   the last error is read with wr_last_error(ctx); it names the file, line and field where the
 *   input was bad. The text is owned by the context and valid until the next failing call.
 * - The engine does no file I/O: loaders take bytes and a length, savers hand back bytes.
 * - Objects are opaque. Each constructor has a matching *_free; the doc comment says who owns what.
 * - Calls on a wr_data or wr_model record their errors in the context that created it.
 * - Sizes cross the wasm boundary as wasm32 size_t (32 bits).
 * - Item and user ids are strings outside, dense ints (0..n-1) inside.
 * - Randomness comes only from seeds given here: same seed, same bits, native or wasm.
 */
#ifndef WASMREC_H
#define WASMREC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WR_NODISCARD __attribute__((warn_unused_result))
#else
#define WR_NODISCARD
#endif

enum wr_status {
    WR_OK = 0,
    WR_ERR_ARG = -1,      /* a bad argument or option (name, value, range) */
    WR_ERR_NOMEM = -2,    /* allocation failed */
    WR_ERR_PARSE = -3,    /* malformed input data: the message names source, line and field */
    WR_ERR_FORMAT = -4,   /* a model file that is not valid (truncated, bad offsets, dtype, shape) */
    WR_ERR_STATE = -5,    /* call made in the wrong state (e.g. recommend before fit) */
    WR_ERR_NAN = -6,      /* training diverged; the model refuses to score */
    WR_ERR_IO = -7,       /* the host could not read or write a file (CLI only) */
};

typedef struct wr_ctx wr_ctx;
typedef struct wr_data wr_data;
typedef struct wr_model wr_model;
typedef struct wr_split wr_split; /* an evaluation protocol over a data set (wr_split_new) */
typedef struct wr_index wr_index; /* a nearest-neighbour index over vectors (wr_index_new) */

/* ---- context ------------------------------------------------------------------------------ */

/* Creates a context: it owns the last error message. *out is set even when a later step fails,
 * so the error can be read; free it with wr_ctx_free. */
WR_NODISCARD int wr_ctx_new(wr_ctx **out);
void wr_ctx_free(wr_ctx *ctx);
/* The message of the last failing call on this context ("" if none). */
const char *wr_last_error(const wr_ctx *ctx);
/* The memory budget in MB (default WR_MEMORY_MB_DEFAULT): training settings, or a model file,
 * whose buffers would need more are refused with WR_ERR_ARG naming the settings, before anything
 * large is allocated. In the wasm build the 4096 MB a module can address is a limit too. */
#define WR_MEMORY_MB_DEFAULT 2048
WR_NODISCARD int wr_ctx_set_memory_mb(wr_ctx *ctx, double mb);
double wr_ctx_memory_mb(const wr_ctx *ctx);
/* Threads: the engine splits its heavy kernels (the gemms, the cross-entropy over the catalogue)
 * over n threads, the calling one included; results are the same bits for every n. Natively this
 * starts n - 1 helper threads (stopping earlier ones); in the threaded wasm build it uses the
 * helpers the binding started (each one a worker calling wr_thread_main); the single-thread
 * wasm build has none. Returns the number now used (at least 1). Not while another call runs. */
int wr_threads_set(int n);
int wr_threads(void);
/* wasm: a helper's loop, called once in each worker instance by the binding; never returns. */
void wr_thread_main(void);
/* A static description of a status code. */
const char *wr_status_str(int status);
/* The engine's version string, e.g. "0.1.0". */
const char *wr_version(void);

/* ---- data --------------------------------------------------------------------------------- */

enum wr_format { WR_FORMAT_AUTO = 0, WR_FORMAT_CSV, WR_FORMAT_MOVIELENS, WR_FORMAT_SEQ, WR_FORMAT_OTTO };

/* Parses interaction data from bytes.
 *   format:  "auto", "csv", "movielens", "seq" or "otto" (see README "Input formats")
 *   source:  the name used in error messages (a file name), may be NULL
 *   skip_bad: 0 = the first bad line is an error naming source, line and field;
 *             1 = bad lines are skipped and counted (wr_data_skipped)
 * Events are grouped per user/session and ordered by timestamp, stable on ties.
 * On success *out owns a copy of everything it needs; free with wr_data_free. */
WR_NODISCARD int wr_data_load(wr_ctx *ctx, const char *bytes, size_t len, const char *format,
                              const char *source, int skip_bad, wr_data **out);
/* Adds item titles (MovieLens u.item / movies.dat: "id|title|..." or "id::title::genres").
 * Unknown item ids in the titles file are ignored. */
WR_NODISCARD int wr_data_load_titles(wr_data *data, const char *bytes, size_t len, const char *source);
void wr_data_free(wr_data *data);
/* Side features (README "Input formats"): side 0 = users (MovieLens u.user, users.dat, or CSV with
 * a user id column), 1 = items (u.item: every genre and the release year; movies.dat; CSV with an
 * item id column). Each value is a feature ("item.genre=Drama"); numeric columns with over 20
 * distinct values are bucketed into 10 quantile buckets. Rows whose id the data lacks are
 * ignored: wr_data_side_matched says how many matched. */
WR_NODISCARD int wr_data_load_side(wr_data *data, int side, const char *bytes, size_t len, const char *source);
int wr_data_side_matched(const wr_data *data, int side);
/* The features as the engine encoded them, as JSON (free with wr_free): an array with, per field,
 * {"field": "user.age", "side": "users"|"items"|"context", "kind": "categorical"|"multi"|"numeric",
 * "values": distinct values, "rows": users/items with a value of the field (context: events),
 * "counts": [[value, users/items/events with it], ...] (most frequent first; numeric: the buckets
 * "q0".."q9" in order), "cuts": the 9 bucket edges and "range": [min, max] (numeric; else null)}. */
WR_NODISCARD int wr_data_fields(const wr_data *data, char **out_json);
/* Each user's (side 0) or item's (side 1) encoded features, as JSON (free with wr_free):
 * {"<id>": [["user.age", "q3"], ["user.genre", "a"], ...], ...} (the field and the value, as in
 * wr_data_fields' counts; a multi field once per value), for the ids with any feature. */
WR_NODISCARD int wr_data_side_features(const wr_data *data, int side, char **out_json);
/* Overrides the detected kind of side-table columns; call it before wr_data_load_side. spec is
 * "field=kind,..." with the fields named as the features are ("user.age", "item.year") and the kinds
 * categorical (each value one feature), multi ('|'-separated values, a feature each) or numeric
 * (every value a number, bucketed into 10 quantile buckets, however few distinct values).
 * A later call replaces the earlier spec. wr_data_load_side then refuses a column that is not in
 * its table, or a value that is not a number in a numeric column; wr_data_feature_kinds_applied, called
 * after the tables are loaded, refuses an override whose table was never loaded. */
WR_NODISCARD int wr_data_feature_kinds(wr_data *data, const char *spec);
WR_NODISCARD int wr_data_feature_kinds_applied(const wr_data *data);
/* Data for a trained model: its numeric fields (user, item and context columns) are bucketed by
 * the model's edges, the training data's quantiles, instead of this data's, so that "user.age=q3"
 * means to the model what it meant in training (a model trained on features saves its edges).
 * Call it after wr_data_feature_kinds and before wr_data_load_side; a field the data lacks is no
 * error, a kind set to other than numeric for one of them is, and so is a non-number in one. */
WR_NODISCARD int wr_data_model_buckets(wr_data *data, const wr_model *model);
/* The bucket edges of the model's numeric fields as JSON, {"user.age": [9 rising edges], ...}
 * ({} when it has none): bucket q0 is below the first edge, q9 at or above the last. The caller
 * frees *out_json with wr_free. */
WR_NODISCARD int wr_model_buckets(const wr_model *model, char **out_json);
/* A CSV event file's columns besides user, item, time, title, category and rating are each
 * event's context: features "ctx.<column>=<value>" (kinds as for side tables, settable as
 * ctx.<column> with wr_data_feature_kinds before any side table loads) that lr, fm, ffm and
 * deepfm read with the event (twotower in its query tower), and that a query can carry (wr_model_context). A column whose
 * values differ on most events (over 100 values, on more than half of the events) is left out
 * unless its kind is set. What the context became, as a sentence ("context: device
 * (categorical), ...; left out: ..."), or "" when the data has none: */
const char *wr_data_context_note(const wr_data *data);
/* Adds context columns from each event's timestamp (Unix seconds, or milliseconds when they are
 * that large; UTC): spec "hour" (0-23), "weekday" (Mon..Sun) or "hour,weekday", both categorical.
 * Before any side table loads; refused when the data has no timestamps. */
WR_NODISCARD int wr_data_time_context(wr_data *data, const char *spec);
/* Distinct feature values: side tables' and context's (0 without). */
int wr_data_n_features(const wr_data *data);
/* Whether data has a rating or label per event: MovieLens' ratings, or a CSV column named
 * rating, label, score, click or clicked (each value a finite number, checked at load). */
int wr_data_has_ratings(const wr_data *data);
/* Whether wr_data_label has given data binary labels. */
int wr_data_has_labels(const wr_data *data);
/* Conditions on that column: "<column><op><number>" with >=, >, <=, <, ==, != ("rating>=4"; the
 * column by its name in the file, or as "rating"). wr_data_drop removes the events for which it
 * holds (*dropped: how many; may be NULL); wr_data_label makes it each event's binary label
 * (*positives: how many hold), which CTR models train on and AUC and logloss measure, and with
 * which only positive events are ranking targets (and histories). */
WR_NODISCARD int wr_data_drop(wr_data *data, const char *condition, int64_t *dropped);
WR_NODISCARD int wr_data_label(wr_data *data, const char *condition, int64_t *positives);

int wr_data_n_users(const wr_data *data);
int wr_data_n_items(const wr_data *data);
int64_t wr_data_n_events(const wr_data *data);
/* Events of one user (session) u in [0, wr_data_n_users): the length distribution. -1 if out of
 * range. */
int64_t wr_data_user_length(const wr_data *data, int user);
/* Lines skipped with skip_bad=1, and the reason of the first one ("" if none). */
int64_t wr_data_skipped(const wr_data *data);
const char *wr_data_first_skip_reason(const wr_data *data);
/* The detected or given format name ("csv", "movielens", "seq", "otto"). */
const char *wr_data_format(const wr_data *data);
/* Item metadata by dense index; title and category are "" when the data has none. */
const char *wr_data_item_id(const wr_data *data, int item);
const char *wr_data_item_title(const wr_data *data, int item);
const char *wr_data_item_category(const wr_data *data, int item);
/* Dense index of an item id, or -1. */
int wr_data_item_index(const wr_data *data, const char *id);
/* Items that have a title (from the data or wr_data_load_titles): how many ids a titles file
 * matched. */
int wr_data_n_titled(const wr_data *data);

/* Generates the demo store: CSV text with header "session,item,category,title,timestamp".
 * Sessions have planted sequential structure (see src/data/gen.c). *out_text is malloc'd and
 * NUL-terminated; free with wr_free. */
WR_NODISCARD int wr_gen(wr_ctx *ctx, int sessions, int items, uint64_t seed, char **out_text,
                        size_t *out_len);
/* The same store (the same sessions, byte for byte) with features and labels: events with a
 * `label` column (a purchase, planted as a session-device x item-group cross, src/data/gen.c),
 * a side table of sessions ("session,device,region") and of items ("item,category,group,price").
 * Each output is malloc'd and NUL-terminated; free with wr_free. */
WR_NODISCARD int wr_gen_features(wr_ctx *ctx, int sessions, int items, uint64_t seed, char **events_csv,
                                 char **users_csv, char **items_csv);

/* ---- models ------------------------------------------------------------------------------- */

/* Creates an untrained model by name ("pop", "itemknn", "markov", ...), with default
 * hyper-parameters and the given seed. Free with wr_model_free. */
WR_NODISCARD int wr_model_new(wr_ctx *ctx, const char *name, uint64_t seed, wr_model **out);
/* Sets one hyper-parameter from text ("dim", "64"); an unknown key or bad value is an error. */
WR_NODISCARD int wr_model_set(wr_model *model, const char *key, const char *value);
/* Hyper-parameters as a JSON object (owned by the model, valid until the next call on it); "{}"
 * when out of memory (wr_last_error says so). */
const char *wr_model_params_json(wr_model *model);
const char *wr_model_name(const wr_model *model);
void wr_model_free(wr_model *model);
/* The names of all models, comma separated. */
const char *wr_model_names(void);
/* What a model family needs and can do, as a JSON object (*out_json malloc'd, free with wr_free):
 *   {"name", "uses": {"history", "users", "labels", "features"}, "iterative", "predicts":
 *    "score"|"probability"|"rating" (under its defaults; mf's and lr's loss changes it),
 *    "can": {"fine_tune", "add_session", "explain", "attention", "item_map"}, "params": [{"name",
 *    "type", "default", "min", "max", "choices", "help"}]}
 * so callers decide from it, not from model names. */
WR_NODISCARD int wr_model_info(wr_ctx *ctx, const char *name, char **out_json);

/* Trains on every event of data. */
WR_NODISCARD int wr_model_fit(wr_model *model, const wr_data *data);
/* Trains on the training part of the leave-one-out split: per user, all but the last two events
 * (users with fewer than 3 events keep all of them, as in the SASRec code). */
WR_NODISCARD int wr_model_fit_loo(wr_model *model, const wr_data *data);

/* ---- stepwise training: progress between steps, and the caller can stop at any step ---- */

/* Indices of the progress array (WR_PROGRESS_N doubles) that the training calls fill. */
enum wr_progress {
    WR_PROGRESS_EPOCH = 0,          /* epochs finished */
    WR_PROGRESS_EPOCHS,             /* epochs asked for */
    WR_PROGRESS_STEP,               /* steps done in the current epoch */
    WR_PROGRESS_LOSS,               /* mean training loss of the current (or last) epoch */
    WR_PROGRESS_POSITIONS_PER_S,    /* training throughput of the last epoch */
    WR_PROGRESS_VALID_NDCG,         /* the validation metric after the last epoch (wr_train_metric: NDCG@10 or AUC or -RMSE) */
    WR_PROGRESS_BEST_EPOCH,         /* the epoch whose weights are kept (early stopping) */
    WR_PROGRESS_DONE,               /* 1 when training has finished */
    WR_PROGRESS_UNKNOWN_EVENTS,     /* fine-tuning: events left out because the model does not know their item */
    WR_PROGRESS_HELD_OUT,           /* training events held out to stop early, the split having no validation part (10%) */
    WR_PROGRESS_N
};
/* Starts training on data: on every event (split NULL), or on the training part of split with
 * early stopping on its validation part (NDCG@10; AUC on labelled data). One-pass models finish
 * here (progress[WR_PROGRESS_DONE] = 1). split must outlive training. */
WR_NODISCARD int wr_train_begin(wr_model *model, const wr_data *data, const wr_split *split, double *progress);
/* Starts fine-tuning a trained model (fitted, or loaded from a file) on data: training goes on
 * from the model's weights, with its name, hyper-parameters (set lr, epochs, ... before calling)
 * and item vocabulary. Events whose item the model does not know are left out and counted
 * (progress[WR_PROGRESS_UNKNOWN_EVENTS]). loo = 1: trains on the leave-one-out training part and
 * stops early on the validation events, where the model as it was counts as epoch 0: if no epoch
 * beats it, training ends with the weights it started from. Then wr_train_steps / wr_train_end
 * as for wr_train_begin. Neural models (gru4rec, sasrec, bert4rec) train on; the session-kNN
 * models (sknn, vsknn, stan, vstan) add the sessions to their index; pop, markov and itemknn
 * answer WR_ERR_STATE (they learn in one pass: refit them on all the data). */
WR_NODISCARD int wr_train_continue(wr_model *model, const wr_data *data, int loo, double *progress);
/* What the CLI's `train --init` and the binding's fineTune set, without validation to stop early,
 * unless told otherwise: the learning rate times WR_FINE_TUNE_LR_SCALE, at most WR_FINE_TUNE_EPOCHS
 * epochs. */
#define WR_FINE_TUNE_LR_SCALE 0.3
#define WR_FINE_TUNE_EPOCHS 10
/* The validation metric early stopping watches while training is under way ("NDCG@10"; "AUC" on
 * labelled data; "-RMSE" for a model that predicts the data's ratings), "" when none; progress'
 * WR_PROGRESS_VALID_NDCG holds its value. */
const char *wr_train_metric(const wr_model *model);
/* NeuMF from trained gmf and mlp models (the same data, dim and layers), as the NCF paper: their
 * embeddings and MLP tower, and the output layer [alpha h_gmf ; (1 - alpha) h_mlp] (the paper's
 * alpha is 0.5). Call it between wr_train_begin and the first wr_train_steps of the neumf model. */
WR_NODISCARD int wr_model_ncf_pretrained(wr_model *neumf, const wr_model *gmf, const wr_model *mlp, double alpha);
/* Runs up to max_steps optimisation steps, returning early at the end of each epoch. data must
 * stay alive until training ends. progress may be NULL. */
WR_NODISCARD int wr_train_steps(wr_model *model, int max_steps, double *progress);
/* Ends training (finished or stopped by the caller): keeps the best epoch's weights and frees
 * the training buffers. The model can then score, save and evaluate. */
int wr_train_end(wr_model *model);

int wr_model_n_items(const wr_model *model);
/* Users the model knows (models whose scores depend on the user, like mf; 0 for the others),
 * and the dense index of a user id, or -1 (an unknown user: pass -1 as the user). */
int wr_model_n_users(const wr_model *model);
int wr_model_user_index(const wr_model *model, const char *id);
const char *wr_model_item_id(const wr_model *model, int item);
/* Dense index of an item id in the model's vocabulary, or -1. */
int wr_model_item_index(const wr_model *model, const char *id);
/* The item's title from the training data (kept in the model file), "" when it has none. */
const char *wr_model_item_title(const wr_model *model, int item);
/* How many of data's items the model knows (by id): a model and data from different catalogues
 * share none. */
int wr_model_known_items(const wr_model *model, const wr_data *data);

/* Scores every item as the next one for a user (wr_model_user_index, or -1: unknown, or a model
 * without users) after a history of dense item indices (oldest first). scores has
 * wr_model_n_items floats. An unknown user with an empty history (for instance one whose ids the
 * model does not know, which callers leave out) gets each item's count in the training data, for
 * every model alike: the most popular items come first. */
WR_NODISCARD int wr_model_score(wr_model *model, int user, const int *history, int len, float *scores);
/* Top-k next items after history. out_items / out_scores have room for k; *out_n is how many
 * were written (k, or fewer when the catalogue is smaller). exclude_seen (enum wr_seen) says
 * whether history items are dropped. Ties are broken by the lower index. */
WR_NODISCARD int wr_model_recommend(wr_model *model, int user, const int *history, int len, int k,
                                    int exclude_seen, int *out_items, float *out_scores, int *out_n);

/* Seen items: whether recommendations and evaluation drop the items already in the history.
 * WR_SEEN_AUTO drops them when the model's training data shows (almost) no repeat consumption:
 * under 1% of training events repeat an item already in that user's history. */
enum wr_seen { WR_SEEN_KEEP = 0, WR_SEEN_EXCLUDE = 1, WR_SEEN_AUTO = 2 };
/* What exclude_seen mode resolves to for this model (0 = history items kept, 1 = dropped), and
 * why: *reason (may be NULL) points at a sentence owned by the model, valid until the next call
 * on it. -1 if mode is not a wr_seen value. */
int wr_model_seen_policy(wr_model *model, int mode, const char **reason);
/* Share of the training events that repeated an item already in that user's history, recorded
 * at fit and saved in the model file; -1 when unknown (a file written without it). */
double wr_model_repeat_share(const wr_model *model);

/* Adds one finished session (dense item indices, oldest first) to a session-kNN model (sknn,
 * vsknn, stan, vstan) without refitting, so a page learns from the visitor's own sessions as
 * they happen. Other models answer WR_ERR_STATE. */
WR_NODISCARD int wr_model_add_session(wr_model *model, const int *items, int len);

/* ---- looking inside a model (for teaching and for "why") ------------------------------------ */

/* Why the model scores item after history: weight[t] (len floats) is how much history[t] counts
 * for item under the model's own rule. itemknn and markov score by the last item only, so only
 * weight[len-1] can be nonzero: its similarity (itemknn) or transition count (markov) to item.
 * Models without such a rule answer WR_ERR_STATE. */
WR_NODISCARD int wr_model_explain(wr_model *model, const int *history, int len, int item, float *weight);
/* What SASRec / BERT4Rec attend to when they score the next item: weights (blocks x len floats,
 * block-major) of the scoring position over the history, averaged over heads; history items
 * older than max_len get 0. *out_blocks is the number of blocks. Others answer WR_ERR_STATE. */
WR_NODISCARD int wr_model_attention(wr_model *model, const int *history, int len, float *weights, int *out_blocks);
/* A 2-D map of the item embeddings (gru4rec, sasrec, bert4rec): each item projected on the first
 * two principal components, xy (2 x n_items floats: item i at xy[2i], xy[2i+1]); explained (2
 * floats) gets each component's share of the variance. Others answer WR_ERR_STATE. */
WR_NODISCARD int wr_model_item_map(wr_model *model, float *xy, float *explained);

/* ---- vectors: retrieval models (twotower) rank items by the inner product of a query vector
 * with each item's vector, which an index (wr_index_*) can search instead of the whole catalogue. */

/* Size of the model's query and item vectors, or 0 when it has none. */
int wr_model_vector_dim(const wr_model *model);
/* Every item's vector: out has n_items x dim floats (item i at out + i * dim). */
WR_NODISCARD int wr_model_item_vectors(wr_model *model, float *out);
/* The vector of a query (user and history as wr_model_score's): out has dim floats. The model's
 * scores are its inner products with the item vectors, times a positive constant. */
WR_NODISCARD int wr_model_query_vector(wr_model *model, int user, const int *history, int len, float *out);

/* The vector of an item the model has never seen, from side features alone (feature indices of
 * wr_model_feature_index, "item.category=TVs"): where a new item would land among the item
 * vectors, and so whose query vectors it would rank high (twotower with item features). */
WR_NODISCARD int wr_model_feature_item_vector(wr_model *model, const int *features, int n, float *out);

/* A visitor the model does not know, described by side features: the index of a feature key
 * ("user.device=mobile"; numeric fields by their bucket, "user.age=q3"), or -1; and the features
 * that the unknown user (-1) carries in the next wr_model_score / recommend / query_vector calls
 * (n = 0: none). Models that read features (twotower, pipeline) use them; others answer
 * WR_ERR_STATE. */
int wr_model_feature_index(const wr_model *model, const char *key);
WR_NODISCARD int wr_model_visitor(wr_model *model, const int *features, int n);
/* The context of the next wr_model_score / recommend calls, by feature index
 * ("ctx.device=mobile"; n = 0: none): what lr, fm, ffm, deepfm and a pipeline's ranking stage
 * read with the user and item. Models that read no features answer WR_ERR_STATE. */
WR_NODISCARD int wr_model_context(wr_model *model, const int *features, int n);

/* A pipeline's stage (0: retrieve, 1: rank), borrowed from it (NULL for other models, or before
 * training): to evaluate or inspect one stage alone. */
wr_model *wr_model_stage(wr_model *model, int stage);

/* Saves as safetensors into a malloc'd buffer (free with wr_free). */
WR_NODISCARD int wr_model_save(wr_model *model, uint8_t **out_bytes, size_t *out_len);
/* Loads a safetensors model file; every offset, size, dtype and shape is checked first. */
WR_NODISCARD int wr_model_load(wr_ctx *ctx, const uint8_t *bytes, size_t len, const char *source,
                               wr_model **out);

/* ---- evaluation --------------------------------------------------------------------------- */

/* Which held-out part an evaluation measures. */
enum wr_part { WR_SPLIT_TEST = 0, WR_SPLIT_VALID = 1 };

/* An evaluation protocol over data's events (the CLI's --eval and --split):
 *   "loo"         per user, the last event is the test target, the second-last the validation
 *                 one, the history every earlier event (users with fewer than 3 events only train)
 *   "random"      events drawn into train / valid / test by fractions ("0.8,0.1,0.1", the default
 *                 when NULL), seeded
 *   "temporal"    events cut by global time: the earliest train, then valid, the latest test
 *   "cold-users"  whole users held out: each is one query with no history (the model knows them by
 *                 their side features alone) whose relevant set is all of their held-out positive
 *                 items (NDCG@K and Recall@K over the set; most-popular and most-popular within the
 *                 user's feature groups reported alongside); "cold-items": whole items held out
 * Otherwise each held-out event is a query: its user, that user's training events in time order
 * as the history, its item as the target. A split without a validation part ("0.8,0,0.2") makes
 * iterative models that stop early hold 10% of the training units out for it. With labels (wr_data_label) histories and ranking
 * targets are the positive events, and AUC, GAUC and logloss use every labelled one. data must
 * outlive the split. */
WR_NODISCARD int wr_split_new(const wr_data *data, const char *protocol, const char *fractions, uint64_t seed,
                              wr_split **out);
void wr_split_free(wr_split *split);

/* Evaluates model on a part of split, as wr_eval_loo for loo; otherwise one JSON object
 *   {"exclude_seen": {...}, "full": {"queries", "HR@K", "NDCG@K", "MRR@K", "ci95": {...},
 *    "labelled", "AUC", "GAUC", "logloss", "rated", "RMSE", "MAE", "unknown_items"}}
 * (cold-users adds "Recall@K" and "baselines": {"pop": {"NDCG@K", "Recall@K"}, "pop_group": ...|null})
 * where a metric that does not apply (no labels; a model whose scores are not probabilities or
 * ratings) is null. */
WR_NODISCARD int wr_eval(wr_model *model, const wr_split *split, int part, int k, int exclude_seen,
                         int sampled, uint64_t seed, char **out_json);

/* Leave-one-out evaluation of model on data (last event = test, second-last = validation,
 * history = everything before the target). Items of data are mapped to the model's vocabulary
 * by id. Writes one JSON object to *out_json (malloc'd, free with wr_free):
 *   {"full": {"users", "HR@K", "NDCG@K", "MRR@K", "Recall@K", "coverage@K"},
 *    "sampled<S>": {"users", "HR@K", "NDCG@K", "MRR@K"}}     (the second only when sampled > 0)
 * where the sampled protocol ranks the target against S items the user never touched, on at most
 * 10,000 users drawn with the seed. Users with fewer than 3 events are not evaluated.
 * Ties count against the target. exclude_seen (enum wr_seen) says whether history items leave
 * the ranking; with WR_SEEN_AUTO and a model that does not know its training repeat share, the
 * share of the evaluated histories decides. The JSON also holds
 *   "exclude_seen": {"mode": "auto"|"yes"|"no", "applied": bool, "repeat_share": x|null, "reason"} */
WR_NODISCARD int wr_eval_loo(wr_model *model, const wr_data *data, int split, int k,
                             int exclude_seen, int sampled, uint64_t seed, char **out_json);

/* ---- comparing models: is the difference real? (src/eval/experiment.c) ------------------------ */

#define WR_MAX_ARMS 8
/* n_models (2..WR_MAX_ARMS) models trained on split's training part, evaluated on its test
 * queries: {"eval", "queries", "bootstrap", "models": [{"model", "arm", "test": {"HR@K": {"mean",
 * "ci95"}, "NDCG@K", "MRR@K"}}], "pairs": [{"a", "b", "metric", "diff", "ci95", "paired_t_p",
 * "wilcoxon_p", "holm_p"}]} (bootstrap over the queries, 1000 resamples with seed; Holm across
 * the pairs per metric). out_csv (may be NULL) gets "user,arm,HR@K,NDCG@K,MRR@K". Both malloc'd. */
WR_NODISCARD int wr_compare(wr_model *const *models, int n_models, const wr_split *split, int k, int exclude_seen,
                            uint64_t seed, char **out_json, char **out_csv);
/* A simulated online test of a against b (both trained on data's leave-one-out training part) on
 * the held-out users: {"users", "click", "k", "seed", "ab": {"arms", "welch_p", "mannwhitney_p",
 * "users_for_80_power", "p_by_users"}, "interleaving": {"wins_a", "wins_b", "ties", "p",
 * "users_for_80_power"}, "aa": {"runs", "fixed_horizon_rejections", "peeking_every_100_rejections",
 * "msprt_every_100_rejections"}} (the always-valid mSPRT checked as often). p_by_users is
 * [[100, p], [200, p], ...]: Welch's p on the A/B users so far after every 100 in arrival order
 * (a point is left out while an arm has fewer than 2 users; p null when both arms' clicks are
 * constant); a last point at all users is welch_p. position = 1: a
 * listed target is clicked with probability 1/log2(rank + 2), else whenever it is listed. */
WR_NODISCARD int wr_experiment(wr_model *a, wr_model *b, const wr_data *data, int k, int exclude_seen, int position,
                               uint64_t seed, char **out_json);

/* ---- nearest-neighbour index (src/index/): exact scan and HNSW --------------------------------- */

/* An empty index of dim-float vectors (dim in [1, 65536]). settings (NULL or "" for the defaults):
 * comma-separated key=value, "metric=ip,M=16,ef_construction=200,seed=42":
 *   metric           ip (inner product, the default) or cosine (vectors and queries L2-normalised)
 *   M                neighbours per vector on the upper levels (2M on level 0), in [2, 1024]
 *   ef_construction  the candidate list while building, in [1, 2^20]
 *   seed             the levels' generator: the same seed and vectors, the same graph, bit for bit
 *   capacity         vectors to make room for now (0, the default: grow as they come); adding
 *                    past it still works
 * An HNSW graph (Malkov & Yashunin, with the paper's neighbour heuristic); inner product is
 * searched on the graph with -dot as the distance, as hnswlib's "ip" space. Free with
 * wr_index_free. */
WR_NODISCARD int wr_index_new(wr_ctx *ctx, int dim, const char *settings, wr_index **out);
/* Adds n vectors (n x dim floats, each finite), copied; their ids continue from wr_index_count. */
WR_NODISCARD int wr_index_add(wr_index *idx, const float *vectors, int n);
/* The k best of each of n_queries queries (n_queries x dim floats): ids and scores (n_queries x k;
 * inner products, or cosines) best first, equal scores by the lower id; a row with fewer results
 * ends with id -1 (score 0). ef_search: 0 = the exact scan (the SIMD dot over every vector), else
 * HNSW with a candidate list of max(ef_search, k) (in [1, 2^20]: larger is slower and finds
 * more of the true top k). Not for two threads at once on one index (it keeps scratch space). */
WR_NODISCARD int wr_index_search(wr_index *idx, const float *queries, int n_queries, int k, int ef_search,
                                 int32_t *ids, float *scores);
int wr_index_count(const wr_index *idx);
int wr_index_dim(const wr_index *idx);
/* Bytes the index holds: vectors, graph and scratch. */
size_t wr_index_memory_bytes(const wr_index *idx);
/* The index as a safetensors file (tensors "index.settings", "index.rng", "index.vectors",
 * "index.levels", "index.links", "index.upper_links"); malloc'd, free with wr_free. */
WR_NODISCARD int wr_index_save(wr_index *idx, uint8_t **out_bytes, size_t *out_len);
/* Loads a file of wr_index_save, checked as a hostile file (shapes, settings, every neighbour
 * id, levels, the entry point); a bad one is WR_ERR_FORMAT naming the tensor. Adding to a loaded
 * index goes on as it would have without the save. */
WR_NODISCARD int wr_index_load(wr_ctx *ctx, const uint8_t *bytes, size_t len, const char *source, wr_index **out);
void wr_index_free(wr_index *idx);

/* ---- memory ------------------------------------------------------------------------------- */

void *wr_malloc(size_t n);
void wr_free(void *p);

/* ---- command line ------------------------------------------------------------------------- */

/* Runs the `wasmrec` command line (gen, train, eval, recommend) with the host's file and print
 * hooks (src/cli/host.h). Returns the process exit code. */
int wr_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif

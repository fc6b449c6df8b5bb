/* cli.c: the `wasmrec` command line (gen, train, eval, recommend), shared by the native binary
 * and `node wasm/cli.mjs`. Files go through the host hooks (host.h); progress goes to stderr,
 * results to stdout (one JSON object with --json). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../data/data.h"
#include "../eval/metrics.h"
#include "../eval/split.h"
#include "../stats/stats.h"
#include "../io/json.h"
#include "../models/model.h"
#include "host.h"

#define MAX_SETS 64
#define MAX_ARMS WR_MAX_ARMS /* models in one compare */

typedef struct {
    const char *cmd;
    const char *data, *format, *model, *out, *eval, *history, *titles, *preset, *init, *split, *label, *drop, *user, *users, *items_file, *feature_kinds, *context, *time_context, *pretrain, *users_out, *items_out, *click;
    const char *sets[MAX_SETS];
    const char *arms[MAX_ARMS], *per_user;
    int n_arms;
    int n_sets;
    long long sessions, items, seed, epochs, k;
    int json, skip_bad, exclude_seen, has_epochs;
    long long memory_mb; /* 0: the engine's default */
    long long threads;   /* 0: auto, every core */
} options;

static void say(int fd, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    wr__host_print(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void print_buf(int fd, const wr_buf *b) {
    if (b->data) wr__host_print(fd, b->data, b->len);
}

static const char *usage =
    "usage: wasmrec <command> [options]\n"
    "\n"
    "commands:\n"
    "  gen        --out FILE [--sessions N] [--items M] [--seed S] [--users-out FILE --items-out FILE]\n"
    "             write the synthetic demo store (CSV); with the side files, purchase labels and features too\n"
    "  train      --data FILE --model NAME [--format auto|csv|movielens|seq|otto] [--titles FILE] [--users FILE] [--items FILE]\n"
    "             [--feature-kinds user.age=categorical,item.year=numeric,...] [--time-context hour,weekday]\n"
    "             [--preset models/NAME.json] [--set key=value]... [--epochs N] [--seed S] [--out MODEL.safetensors]\n"
"             [--eval loo|random|temporal|cold-users|cold-items] [--split 0.8,0.1,0.1] [--k 10]\n"
    "             [--label \"rating>=4\"] [--drop \"rating==3\"] [--exclude-seen [auto|yes|no]] [--skip-bad] [--json]\n"
    "  train      --init MODEL.safetensors --data FILE [--set lr=...] [--epochs N] [--eval loo] [--out ...]\n"
    "             fine-tune the model in the file on new data (its name, settings and items come from the file)\n"
    "  eval       --model MODEL.safetensors --data FILE [--format ...] [--eval ... --split ... --label ... --drop ...]\n"
    "             [--k 10] [--seed S] [--exclude-seen [auto|yes|no]] [--skip-bad] [--json]\n"
    "  compare    --data FILE --model A --model B [--model C ...] [--eval ...] [--epochs N] [--per-user FILE.csv] [--json]\n"
    "             train each model on the same split; means with 95% intervals, paired differences and tests\n"
    "  experiment --data FILE --model A --model B [--click next|position] [--seed S] [--json]\n"
    "             a simulated online test on the held-out users: A/B, team-draft interleaving, A/A with peeking\n"
    "  models     [--json]\n"
    "             what each model needs (history, users, labels, side features) and can do\n"
    "  split      --data FILE --eval PROTOCOL [--split 0.8,0.1,0.1] [--label ...] [--drop ...] [--seed S] --out FILE.csv\n"
    "             write each event with its part (train, valid, test): the split train/eval use, for other tools\n"
    "  recommend  --model MODEL.safetensors --history ID,ID,... [--user ID] [--context device=mobile,...] [--k 10] [--exclude-seen [auto|yes|no]] [--json]\n"
    "\n"
    "--exclude-seen: whether history items may be recommended. auto (the default) excludes them when\n"
    "under 1% of the training events repeat an item already in that user's history; the bare flag\n"
    "means yes. --memory-mb N (train, eval, compare, experiment, recommend; default 2048): settings or\n"
    "model files whose buffers would need more are refused before anything large is allocated.\n"
    "--threads N|auto (the same commands; default auto, every core): threads for the heavy kernels;\n"
    "results are the same bits for every number.\n"
    "Progress goes to stderr, results to stdout. Models:\n";

static int usage_error(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    say(2, "wasmrec: %s\n(run `wasmrec --help` for usage)\n", buf);
    return 2;
}

static int parse_int(const char *flag, const char *v, long long min, long long max, long long *out) {
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || x < min || x > max) {
        usage_error("%s must be an integer in [%lld, %lld], got \"%s\"", flag, min, max, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* Which flags each command takes: a flag another command takes is an error, not ignored. */
static int flag_allowed(const char *cmd, const char *flag) {
    static const char *const allowed[][2] = {
        {"gen", " --out --sessions --items --seed --users-out --items-out "},
        {"models", " --json "},
        {"experiment", " --time-context --data --format --users --items --feature-kinds --model --epochs --seed --click --k --exclude-seen --skip-bad --memory-mb --threads --json "},
        {"compare", " --time-context --data --format --users --items --feature-kinds --model --epochs --seed --eval --split --label --drop --k --exclude-seen --per-user --skip-bad --memory-mb --threads --json "},
        {"split", " --data --format --eval --split --label --drop --seed --out --skip-bad "},
        {"train", " --time-context --data --format --titles --users --items --feature-kinds --pretrain --model --preset --init --set --epochs --seed --out --eval --split --label --drop --k --exclude-seen --skip-bad --memory-mb --threads --json "},
        {"eval", " --time-context --model --data --format --titles --users --items --feature-kinds --eval --split --label --drop --k --seed --exclude-seen --skip-bad --memory-mb --threads --json "},
        {"recommend", " --model --history --user --context --k --exclude-seen --memory-mb --threads --json "},
    };
    char key[64];
    snprintf(key, sizeof key, " %s ", flag);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!strcmp(allowed[i][0], cmd)) return strstr(allowed[i][1], key) != NULL;
    return 0;
}

static int parse_args(int argc, char **argv, options *o) {
    o->format = "auto";
    o->sessions = 5000;
    o->items = 1000;
    o->seed = 42;
    o->k = 10;
    o->exclude_seen = WR_SEEN_AUTO;
    o->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2)) return usage_error("unexpected argument \"%s\"", a);
        if (!flag_allowed(o->cmd, a)) return usage_error("%s does not take %s", o->cmd, a);
        if (!strcmp(a, "--json")) { o->json = 1; continue; }
        if (!strcmp(a, "--skip-bad")) { o->skip_bad = 1; continue; }
        if (!strcmp(a, "--exclude-seen")) { /* the bare flag means yes */
            static const char *const modes[] = {"no", "yes", "auto"};
            o->exclude_seen = WR_SEEN_EXCLUDE;
            for (int m = 0; i + 1 < argc && m < 3; m++)
                if (!strcmp(argv[i + 1], modes[m])) o->exclude_seen = m, i++;
            continue;
        }
        if (i + 1 >= argc) return usage_error("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--format")) o->format = v;
        else if (!strcmp(a, "--titles")) o->titles = v;
        else if (!strcmp(a, "--model")) {
            o->model = v;
            if (o->n_arms == MAX_ARMS) return usage_error("at most %d --model options", MAX_ARMS);
            o->arms[o->n_arms++] = v;
        } else if (!strcmp(a, "--per-user")) o->per_user = v;
        else if (!strcmp(a, "--click")) o->click = v;
        else if (!strcmp(a, "--preset")) o->preset = v;
        else if (!strcmp(a, "--init")) o->init = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--eval")) o->eval = v;
        else if (!strcmp(a, "--history")) o->history = v;
        else if (!strcmp(a, "--split")) o->split = v;
        else if (!strcmp(a, "--label")) o->label = v;
        else if (!strcmp(a, "--drop")) o->drop = v;
        else if (!strcmp(a, "--user")) o->user = v;
        else if (!strcmp(a, "--users")) o->users = v;
        else if (!strcmp(a, "--feature-kinds")) o->feature_kinds = v;
        else if (!strcmp(a, "--context")) o->context = v;
        else if (!strcmp(a, "--time-context")) o->time_context = v;
        else if (!strcmp(a, "--users-out")) o->users_out = v;
        else if (!strcmp(a, "--items-out")) o->items_out = v;
        else if (!strcmp(a, "--pretrain")) o->pretrain = v;
        else if (!strcmp(a, "--items") && strcmp(o->cmd, "gen")) o->items_file = v;
        else if (!strcmp(a, "--set")) {
            if (o->n_sets == MAX_SETS) return usage_error("at most %d --set options", MAX_SETS);
            if (!strchr(v, '=')) return usage_error("--set needs key=value, got \"%s\"", v);
            o->sets[o->n_sets++] = v;
        } else if (!strcmp(a, "--sessions")) { if (parse_int(a, v, 1, 10000000, &o->sessions)) return 2; }
        else if (!strcmp(a, "--items")) { if (parse_int(a, v, 1, 1000000, &o->items)) return 2; }
        else if (!strcmp(a, "--seed")) { if (parse_int(a, v, 0, 9007199254740991LL, &o->seed)) return 2; }
        else if (!strcmp(a, "--epochs")) { if (parse_int(a, v, 1, 1000000, &o->epochs)) return 2; o->has_epochs = 1; }
        else if (!strcmp(a, "--k")) { if (parse_int(a, v, 1, 100000, &o->k)) return 2; }
        else if (!strcmp(a, "--memory-mb")) { if (parse_int(a, v, 1, 1048576, &o->memory_mb)) return 2; }
        else if (!strcmp(a, "--threads")) { if (strcmp(v, "auto") && parse_int(a, v, 1, 64, &o->threads)) return 2; }
    }
    static const char *const protocols = " loo random temporal cold-users cold-items ";
    char key[48];
    snprintf(key, sizeof key, " %.40s ", o->eval ? o->eval : "");
    if (o->eval && !strstr(protocols, key))
        return usage_error("--eval takes loo, random, temporal, cold-users or cold-items, got \"%s\"", o->eval);
    if (o->split && (!o->eval || !strcmp(o->eval, "loo"))) return usage_error("--split goes with --eval random, temporal, cold-users or cold-items");
    return 0;
}

/* File errors were printed where they happened; engine errors are read from the context. */
static int fail(wr_ctx *ctx, int rc) {
    if (rc != WR_ERR_IO) say(2, "wasmrec: error: %s\n", wr_last_error(ctx));
    return 1;
}

static int read_file(const char *path, char **bytes, size_t *len) {
    char err[512];
    if (wr__host_read_file(path, bytes, len, err, sizeof err) < 0) {
        say(2, "wasmrec: error: %s\n", err);
        return -1;
    }
    return 0;
}

/* The data of o (--data and what goes with it); for a trained model (eval, --init) encoded with
 * the model's bucket edges, when like is given. */
static int load_data(wr_ctx *ctx, const options *o, const wr_model *like, wr_data **data) {
    char *bytes = NULL;
    size_t len = 0;
    if (read_file(o->data, &bytes, &len) < 0) return WR_ERR_IO;
    say(2, "loading %s (%zu bytes)...\n", o->data, len);
    int rc = wr_data_load(ctx, bytes, len, o->format, o->data, o->skip_bad, data);
    free(bytes);
    if (rc) return rc;
    if (o->titles) {
        if (read_file(o->titles, &bytes, &len) < 0) return WR_ERR_IO;
        rc = wr_data_load_titles(*data, bytes, len, o->titles);
        free(bytes);
        if (rc) return rc;
        int titled = wr_data_n_titled(*data);
        say(2, "%s: %d of the %d items have a title%s\n", o->titles, titled, wr_data_n_items(*data),
            titled ? "" : ": none of its ids is an item of the data (is it the titles file of this data set?)");
    }
    if (o->time_context && (rc = wr_data_time_context(*data, o->time_context))) return rc;
    if (o->feature_kinds && (rc = wr_data_feature_kinds(*data, o->feature_kinds))) return rc;
    if (like && (rc = wr_data_model_buckets(*data, like))) return rc;
    for (int side = 0; side < 2; side++) {
        const char *path = side ? o->items_file : o->users;
        if (!path) continue;
        if (read_file(path, &bytes, &len) < 0) return WR_ERR_IO;
        rc = wr_data_load_side(*data, side, bytes, len, path);
        free(bytes);
        if (rc) return rc;
        int matched = wr_data_side_matched(*data, side), of = side ? wr_data_n_items(*data) : wr_data_n_users(*data);
        say(2, "%s: %d of the %d %s have features (%d feature values in all)%s\n", path, matched, of, side ? "items" : "users",
            wr_data_n_features(*data), matched ? "" : ": none of its ids is in the data (is it this data set's file?)");
    }
    if ((rc = wr_data_feature_kinds_applied(*data))) return rc;
    int64_t count;
    if (o->drop) {
        if ((rc = wr_data_drop(*data, o->drop, &count))) return rc;
        say(2, "--drop %s: %lld events dropped\n", o->drop, (long long)count);
    }
    if (o->label) {
        if ((rc = wr_data_label(*data, o->label, &count))) return rc;
        say(2, "--label %s: %lld of %lld events positive\n", o->label, (long long)count, (long long)wr_data_n_events(*data));
    }
    const wr_data *d = *data;
    say(2, "%s: format %s, %d users, %d items, %lld events\n", o->data, wr_data_format(d), wr_data_n_users(d),
        wr_data_n_items(d), (long long)wr_data_n_events(d));
    if (wr_data_skipped(d)) say(2, "%s: skipped %lld bad lines; first: %s\n", o->data, (long long)wr_data_skipped(d), wr_data_first_skip_reason(d));
    if (*wr_data_context_note(d)) say(2, "%s: %s\n", o->data, wr_data_context_note(d));
    return WR_OK;
}

static int load_model(wr_ctx *ctx, const char *path, wr_model **m) {
    char *bytes = NULL;
    size_t len = 0;
    if (read_file(path, &bytes, &len) < 0) return WR_ERR_IO;
    int rc = wr_model_load(ctx, (const uint8_t *)bytes, len, path, m);
    free(bytes);
    return rc;
}

static int save_model(wr_model *m, const char *path) {
    uint8_t *bytes;
    size_t len;
    int rc = wr_model_save(m, &bytes, &len);
    if (rc) return rc;
    char err[512];
    if (wr__host_write_file(path, (const char *)bytes, len, err, sizeof err) < 0) {
        say(2, "wasmrec: error: %s\n", err);
        rc = WR_ERR_IO;
    } else {
        say(2, "saved %s (%zu bytes)\n", path, len);
    }
    wr_free(bytes);
    return rc;
}

static void dataset_json(wr_buf *b, const options *o, const wr_data *d) {
    wr__buf_puts(b, "\"dataset\":{\"source\":");
    wr__buf_json_str(b, o->data);
    wr__buf_printf(b, ",\"format\":\"%s\",\"users\":%d,\"items\":%d,\"events\":%lld,\"skipped_lines\":%lld,\"features\":%d}",
                   wr_data_format(d), wr_data_n_users(d), wr_data_n_items(d), (long long)wr_data_n_events(d),
                   (long long)wr_data_skipped(d), wr_data_n_features(d));
}

/* Appends "key": the value of key in the JSON object text (one of the engine's reports). */
static void copy_member(wr_buf *b, const char *key, const char *text, const char *from) {
    wr_json_tok *t = NULL;
    int n = 0;
    char err[64];
    if (wr__json_parse(text, strlen(text), &t, &n, err, sizeof err) < 0) return;
    int v = wr__json_get(text, t, 0, from);
    if (v >= 0) {
        wr__buf_printf(b, ",\"%s\":", key);
        wr__buf_append(b, text + t[v].start, t[v].end - t[v].start);
    }
    free(t);
}

static int is_loo(const options *o) { return !o->eval || !strcmp(o->eval, "loo"); }

/* A pipeline's list before re-ranking: "test_retrieved" (the candidates in the retrieval stage's
 * order, the same keys as "test") and "retrieval_recall@N" (the share of test targets among the
 * N candidates: HR@N of that list). */
static int pipeline_json(wr_model *m, const wr_split *s, const options *o, wr_buf *b) {
    char *before = NULL, *at_n = NULL, nbuf[32];
    double N = 0;
    const char *params = wr_model_params_json(m), *c = strstr(params, "\"candidates\":");
    if (c) N = strtod(c + 13, NULL);
    int loo = is_loo(o), rc = wr_model_set(m, "rerank", "0");
    if (rc == WR_OK) rc = wr_eval(m, s, WR_SPLIT_TEST, (int)o->k, o->exclude_seen, loo ? 100 : 0, (uint64_t)o->seed, &before);
    if (rc == WR_OK) rc = wr_eval(m, s, WR_SPLIT_TEST, (int)N, o->exclude_seen, 0, (uint64_t)o->seed, &at_n);
    if (wr_model_set(m, "rerank", "1") != WR_OK && rc == WR_OK) rc = WR_ERR_STATE;
    if (rc == WR_OK) {
        copy_member(b, "test_retrieved", before, "full");
        wr_json_tok *t = NULL;
        int n = 0;
        char err[64];
        snprintf(nbuf, sizeof nbuf, "HR@%.0f", N);
        if (wr__json_parse(at_n, strlen(at_n), &t, &n, err, sizeof err) == 0) {
            int full = wr__json_get(at_n, t, 0, "full"), hr = full >= 0 ? wr__json_get(at_n, t, full, nbuf) : -1;
            if (hr >= 0) wr__buf_printf(b, ",\"retrieval_recall@%.0f\":%.*s", N, (int)(t[hr].end - t[hr].start), at_n + t[hr].start);
        }
        free(t);
    }
    wr_free(before), wr_free(at_n);
    return rc;
}

/* Evaluates the test split and appends "protocol", "test" and "test_sampled100" (and "valid"
 * when asked). */

static int eval_json(wr_model *m, const wr_split *s, const options *o, int with_valid, wr_buf *b, char **human) {
    char *test = NULL, *valid = NULL;
    int loo = is_loo(o);
    int rc = wr_eval(m, s, WR_SPLIT_TEST, (int)o->k, o->exclude_seen, loo ? 100 : 0, (uint64_t)o->seed, &test);
    if (rc == WR_OK && with_valid) rc = wr_eval(m, s, WR_SPLIT_VALID, (int)o->k, o->exclude_seen, 0, (uint64_t)o->seed, &valid);
    if (rc) return rc;
    /* the engine's {"exclude_seen": {...}, "full": {...}, "sampled100": {...}} in the documented keys */
    wr_json_tok *t = NULL;
    int n = 0;
    char err[64];
    if (wr__json_parse(test, strlen(test), &t, &n, err, sizeof err) < 0) return wr__err(m->ctx, WR_ERR_STATE, "evaluation report: %s", err);
    int ex = wr__json_get(test, t, 0, "exclude_seen");
    int applied = wr__json_get(test, t, ex, "applied"), share = wr__json_get(test, t, ex, "repeat_share"),
        reason = wr__json_get(test, t, ex, "reason"), mode = wr__json_get(test, t, ex, "mode");
    wr__buf_printf(b, ",\"protocol\":{\"split\":\"%s\",", loo ? "leave-one-out" : o->eval);
    if (!loo) {
        wr__buf_printf(b, "\"fractions\":\"%s\",\"seed\":%lld,\"label\":", o->split ? o->split : "0.8,0.1,0.1", o->seed);
        if (o->label) wr__buf_json_str(b, o->label);
        else wr__buf_puts(b, "null");
        wr__buf_puts(b, strcmp(o->eval, "cold-users") ? ",\"queries\":\"each held-out event: its user, that user's training history, its item as the target\","
                                                 : ",\"queries\":\"each held-out user: no history (their side features alone), all of their held-out positive items as the relevant set\",");
    }
    wr__buf_puts(b, loo || strcmp(o->eval, "cold-items") ? "\"ranking\":\"full ranking over all items; ties count against the target\","
                                                        : "\"ranking\":\"full ranking over the items with no training event (the held-out items); ties count against the target\",");
    wr__buf_printf(b, "\"exclude_seen\":%.*s,\"exclude_seen_mode\":\"%.*s\",\"repeat_share\":%.*s,\"exclude_seen_reason\":\"%.*s\",",
                   (int)(t[applied].end - t[applied].start), test + t[applied].start, (int)(t[mode].end - t[mode].start), test + t[mode].start,
                   (int)(t[share].end - t[share].start), test + t[share].start, (int)(t[reason].end - t[reason].start), test + t[reason].start);
    if (loo) wr__buf_printf(b, "\"sampled\":\"target vs 100 uniformly drawn items the user never touched, at most 10000 users, seed %lld\"", o->seed);
    else b->len--; /* the trailing comma */
    wr__buf_puts(b, "}");
    char *why = wr__json_str(test, &t[reason]);
    if (why) say(2, "seen items: %s\n", why);
    free(why);
    free(t);
    copy_member(b, "test", test, "full");
    if (loo) copy_member(b, "test_sampled100", test, "sampled100");
    if (valid) copy_member(b, "valid", valid, "full");
    *human = test;
    free(valid);
    return wr_model_stage(m, 0) ? pipeline_json(m, s, o, b) : WR_OK;
}

/* Without --json: one readable line per protocol, taken from the JSON report. */
static void print_report(const options *o, const wr_buf *report) {
    if (o->json) {
        print_buf(1, report);
        say(1, "\n");
        return;
    }
    wr_json_tok *t = NULL;
    int n = 0;
    char err[128];
    if (wr__json_parse(report->data, report->len, &t, &n, err, sizeof err) < 0) return;
    static const char *const sections[][2] = {{"test", "test (full ranking)"},
                                              {"test_sampled100", "test (sampled: target vs 100 unseen items)"},
                                              {"valid", "validation (full ranking)"}};
    say(1, "%s results on %s:\n", is_loo(o) ? "leave-one-out" : o->eval, o->data);
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        int obj = wr__json_get(report->data, t, 0, sections[s][0]);
        if (obj < 0) continue;
        say(1, "  %-44s", sections[s][1]);
        for (int i = 0, k = obj + 1; i < t[obj].size; i++, k = t[t[k].skip].skip) {
            int v = t[k].skip;
            say(1, " %.*s %.*s", (int)(t[k].end - t[k].start), report->data + t[k].start,
                (int)(t[v].end - t[v].start), report->data + t[v].start);
        }
        say(1, "\n");
    }
    free(t);
}

static int cmd_gen(wr_ctx *ctx, const options *o) {
    if (!o->out) return usage_error("gen needs --out FILE");
    if (!o->users_out != !o->items_out) return usage_error("gen writes features with both --users-out FILE and --items-out FILE");
    char *text[3] = {NULL, NULL, NULL};
    size_t len = 0;
    int rc = o->users_out ? wr_gen_features(ctx, (int)o->sessions, (int)o->items, (uint64_t)o->seed, &text[0], &text[1], &text[2])
                      : wr_gen(ctx, (int)o->sessions, (int)o->items, (uint64_t)o->seed, &text[0], &len);
    if (rc) return fail(ctx, rc);
    const char *paths[3] = {o->out, o->users_out, o->items_out};
    int bad = 0;
    for (int k = 0; k < 3; k++) {
        char err[512];
        if (text[k] && !bad && wr__host_write_file(paths[k], text[k], strlen(text[k]), err, sizeof err)) {
            say(2, "wasmrec: error: %s\n", err);
            bad = 1;
        }
        wr_free(text[k]);
    }
    if (bad) return 1;
    say(2, "wrote %s: %lld sessions over %lld items (seed %lld)%s\n", o->out, o->sessions, o->items, o->seed,
        o->users_out ? ", with purchase labels and session and item features" : "");
    return 0;
}

/* Trains step by step, printing a line per epoch for the iterative models; p keeps the last
 * progress. */
static int train_with_progress(wr_model *m, const wr_data *d, const wr_split *split, int fine_tune, wr_model *const *pre, double *p) {
    int loo = split != NULL; /* fine-tuning validates on leave-one-out only */
    int rc = fine_tune ? wr_train_continue(m, d, loo, p) : wr_train_begin(m, d, split, p);
    if (rc == WR_OK && pre[0]) rc = wr_model_ncf_pretrained(m, pre[0], pre[1], 0.5);
    if (rc == WR_OK && p[WR_PROGRESS_UNKNOWN_EVENTS] > 0)
        say(2, "note: %.0f events have items the model does not know; they are left out\n", p[WR_PROGRESS_UNKNOWN_EVENTS]);
    if (rc == WR_OK && fine_tune && p[WR_PROGRESS_BEST_EPOCH] == 0 && !p[WR_PROGRESS_DONE] && loo)
        say(2, "epoch 0 (the model as loaded)  valid NDCG@10 %.4f\n", p[WR_PROGRESS_VALID_NDCG]);
    while (rc == WR_OK && !p[WR_PROGRESS_DONE]) {
        rc = wr_train_steps(m, 1 << 30, p);
        if (rc == WR_OK) {
            say(2, "epoch %d/%d  loss %.4f  %.0f positions/s", (int)p[WR_PROGRESS_EPOCH], (int)p[WR_PROGRESS_EPOCHS],
                p[WR_PROGRESS_LOSS], p[WR_PROGRESS_POSITIONS_PER_S]);
            if (loo && (fine_tune || p[WR_PROGRESS_BEST_EPOCH] > 0))
                say(2, "  valid %s %.4f (best: epoch %d)", wr_train_metric(m), p[WR_PROGRESS_VALID_NDCG], (int)p[WR_PROGRESS_BEST_EPOCH]);
            say(2, "\n");
        }
    }
    wr_train_end(m);
    return rc;
}

/* A preset file: {"model": NAME, "params": {key: value, ...}}. Sets *model (unless --model
 * gave one) and applies the params; --set options come after and override them. */
static int apply_preset(wr_ctx *ctx, const char *path, const char **model, char *name, size_t name_len, wr_model **m,
                        uint64_t seed) {
    char *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len) < 0) return WR_ERR_IO;
    wr_json_tok *t = NULL;
    int n = 0, rc = WR_OK;
    char err[160];
    if (wr__json_parse(text, len, &t, &n, err, sizeof err) < 0 || t[0].type != WR_JSON_OBJ) {
        rc = wr__err(ctx, WR_ERR_ARG, "%s: not a preset (a JSON object with \"model\" and \"params\"): %s", path, err);
        goto done;
    }
    int mt = wr__json_get(text, t, 0, "model"), pt = wr__json_get(text, t, 0, "params");
    char *mname = mt >= 0 ? wr__json_str(text, &t[mt]) : NULL;
    if (!mname || pt < 0 || t[pt].type != WR_JSON_OBJ) {
        free(mname);
        rc = wr__err(ctx, WR_ERR_ARG, "%s: a preset needs \"model\" (a string) and \"params\" (an object)", path);
        goto done;
    }
    if (*model && strcmp(*model, mname)) {
        rc = wr__err(ctx, WR_ERR_ARG, "%s is a preset for %s, not %s", path, mname, *model);
        free(mname);
        goto done;
    }
    snprintf(name, name_len, "%s", mname);
    free(mname);
    *model = name;
    if ((rc = wr_model_new(ctx, name, seed, m))) goto done;
    for (int k = 0, i = pt + 1; rc == WR_OK && k < t[pt].size; k++) {
        int v = t[i].skip;
        char *key = wr__json_str(text, &t[i]);
        char *val = t[v].type == WR_JSON_STR ? wr__json_str(text, &t[v]) : wr__strndup(text + t[v].start, t[v].end - t[v].start);
        if (!key || !val) rc = wr__oom(ctx, "reading a preset");
        else if ((rc = wr_model_set(*m, key, val))) {
            char msg[WR_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", wr_last_error(ctx));
            wr__err(ctx, rc, "%s: %s", path, msg);
        }
        free(key);
        free(val);
        i = t[v].skip;
    }
done:
    free(t);
    free(text);
    return rc;
}

/* Fine-tuning's defaults without validation to stop early (measured on the demo store: a SASRec
 * model trained on 80% of the sessions, fine-tuned on the rest, README "Fine-tuning"): a third of
 * the learning rate the model was trained with and at most 10 epochs, so a visitor's few sessions
 * refine what the shipped model knows instead of overwriting it. With validation, early stopping
 * (which keeps the model as it was unless an epoch beats it) guards instead. --set and --epochs,
 * applied after, override both. */
static int fine_tune_defaults(wr_model *m, int validated) {
    char v[32];
    int rc = WR_OK;
    double lr = wr__hp_or(m, "lr", -1), epochs = wr__hp_or(m, "epochs", -1);
    if (validated) return WR_OK;
    if (lr > 0) {
        snprintf(v, sizeof v, "%.6g", lr * WR_FINE_TUNE_LR_SCALE);
        if ((rc = wr_model_set(m, "lr", v))) return rc;
    }
    if (epochs > WR_FINE_TUNE_EPOCHS) {
        snprintf(v, sizeof v, "%d", WR_FINE_TUNE_EPOCHS);
        rc = wr_model_set(m, "epochs", v);
    }
    return rc;
}

/* --epochs for models that train in epochs; the one-pass ones say they ignore it. */
static void apply_epochs(wr_model *m, const options *o) {
    if (!o->has_epochs) return;
    char v[32];
    snprintf(v, sizeof v, "%lld", o->epochs);
    if (wr_model_set(m, "epochs", v) == WR_OK) return;
    /* a pipeline: each stage that trains in epochs */
    int staged = (wr_model_set(m, "retrieve.epochs", v) == WR_OK) + (wr_model_set(m, "rank.epochs", v) == WR_OK);
    if (!staged) say(2, "note: %s trains in one pass; --epochs is ignored\n", wr_model_name(m));
}

static int cmd_train(wr_ctx *ctx, const options *o) {
    if (!o->data) return usage_error("train needs --data FILE");
    if (o->init && (o->model || o->preset))
        return usage_error("--init takes the model, its settings and items from %s; drop --%s (change settings with --set)", o->init, o->model ? "model" : "preset");
    if (o->init && !is_loo(o)) return usage_error("fine-tuning (--init) validates on --eval loo");
    if (o->pretrain && (!o->model || strcmp(o->model, "neumf") || !strchr(o->pretrain, ',') || strchr(strchr(o->pretrain, ',') + 1, ',')))
        return usage_error("--pretrain GMF.safetensors,MLP.safetensors goes with --model neumf");
    if (!o->model && !o->preset && !o->init) return usage_error("train needs --model NAME (one of %s) or --preset FILE", wr_model_names());
    wr_data *d = NULL;
    wr_model *m = NULL;
    char *human = NULL;
    wr_buf out = {0};
    const char *model = o->model;
    char preset_model[64];
    int rc = o->init ? load_model(ctx, o->init, &m)
             : o->preset ? apply_preset(ctx, o->preset, &model, preset_model, sizeof preset_model, &m, (uint64_t)o->seed)
                         : wr_model_new(ctx, model, (uint64_t)o->seed, &m);
    if (rc == WR_OK && o->init) {
        model = wr_model_name(m);
        rc = fine_tune_defaults(m, o->eval != NULL);
    }
    for (int i = 0; rc == WR_OK && i < o->n_sets; i++) {
        const char *eq = strchr(o->sets[i], '=');
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - o->sets[i]), o->sets[i]);
        rc = wr_model_set(m, key, eq + 1);
    }
    if (rc == WR_OK) apply_epochs(m, o);
    wr_split *split = NULL;
    wr_model *pre[2] = {NULL, NULL}; /* --pretrain GMF,MLP for neumf */
    if (rc == WR_OK && o->pretrain) {
        char paths[2][1024];
        const char *comma = strchr(o->pretrain, ',');
        snprintf(paths[0], sizeof paths[0], "%.*s", (int)(comma - o->pretrain), o->pretrain);
        snprintf(paths[1], sizeof paths[1], "%s", comma + 1);
        for (int k = 0; k < 2 && rc == WR_OK; k++) rc = load_model(ctx, paths[k], &pre[k]);
    }
    if (rc == WR_OK) rc = load_data(ctx, o, o->init ? m : NULL, &d);
    if (rc == WR_OK && o->eval) rc = wr_split_new(d, o->eval, o->split, (uint64_t)o->seed, &split);
    if (rc == WR_OK) {
        say(2, "%s %s on %s%s%s...\n", o->init ? "fine-tuning" : "training", model, o->eval ? "the training part of the split " : "", o->eval ? o->eval : "", o->data);
        double t0 = wr__now_ms(), p[WR_PROGRESS_N];
        rc = train_with_progress(m, d, split, o->init != NULL, pre, p);
        double secs = (wr__now_ms() - t0) / 1000.0;
        if (rc == WR_OK) {
            say(2, "trained %s in %.3f s\n", model, secs);
            wr__buf_printf(&out, "{\"model\":\"%s\",\"params\":%s,", model, wr_model_params_json(m));
            dataset_json(&out, o, d);
            wr__buf_printf(&out, ",\"train_seconds\":%.3f", secs);
            if (o->init) {
                wr__buf_puts(&out, ",\"init\":");
                wr__buf_json_str(&out, o->init);
                wr__buf_printf(&out, ",\"unknown_events\":%.0f", p[WR_PROGRESS_UNKNOWN_EVENTS]);
            }
            if (p[WR_PROGRESS_EPOCH] > 0)
                wr__buf_printf(&out, ",\"training\":{\"epochs\":%d,\"best_epoch\":%d,\"positions_per_s\":%.0f,\"last_loss\":%.6g,\"held_out_for_validation\":%.0f}",
                               (int)p[WR_PROGRESS_EPOCH], (int)p[WR_PROGRESS_BEST_EPOCH], p[WR_PROGRESS_POSITIONS_PER_S], p[WR_PROGRESS_LOSS],
                               p[WR_PROGRESS_HELD_OUT]);
            if (p[WR_PROGRESS_HELD_OUT] > 0)
                say(2, "note: the split has no validation part, so %.0f training events (10%%) were held out to stop early (--set patience=0 trains on all of them for the full epochs)\n",
                    p[WR_PROGRESS_HELD_OUT]);
            if (o->eval) {
                say(2, "evaluating (%s)...\n", is_loo(o) ? "leave-one-out, full ranking and sampled-100" : o->eval);
                wr__buf_printf(&out, ",\"eval\":\"%s\"", o->eval);
                rc = eval_json(m, split, o, 1, &out, &human);
            }
            wr__buf_puts(&out, "}");
        }
    }
    if (rc == WR_OK && o->out) rc = save_model(m, o->out);
    if (rc == WR_OK) {
        if (o->json || o->eval) print_report(o, &out);
        else say(1, "%s %s on %s\n", o->init ? "fine-tuned" : "trained", model, o->data);
    }
    free(human);
    wr__buf_free(&out);
    wr_model_free(m);
    wr_model_free(pre[0]);
    wr_model_free(pre[1]);
    wr_split_free(split);
    wr_data_free(d);
    return rc ? fail(ctx, rc) : 0;
}

static int cmd_eval(wr_ctx *ctx, const options *o) {
    if (!o->model) return usage_error("eval needs --model MODEL.safetensors");
    if (!o->data) return usage_error("eval needs --data FILE");
    wr_data *d = NULL;
    wr_model *m = NULL;
    char *human = NULL;
    wr_buf out = {0};
    wr_split *split = NULL;
    int rc = load_model(ctx, o->model, &m);
    if (rc == WR_OK) rc = load_data(ctx, o, m, &d);
    if (rc == WR_OK) rc = wr_split_new(d, o->eval ? o->eval : "loo", o->split, (uint64_t)o->seed, &split);
    if (rc == WR_OK) {
        int known = wr_model_known_items(m, d);
        say(2, "%s knows %d of the %d items of %s%s\n", o->model, known, wr_data_n_items(d), o->data,
            known ? "" : ": they share no item id, so every target is a miss (is it the model of this data?)");
        say(2, "evaluating %s on %s (%s test targets)...\n", wr_model_name(m), o->data, is_loo(o) ? "leave-one-out" : o->eval);
        wr__buf_printf(&out, "{\"model\":\"%s\",\"params\":%s,", wr_model_name(m), wr_model_params_json(m));
        dataset_json(&out, o, d);
        wr__buf_printf(&out, ",\"items_known_to_model\":%d,\"eval\":\"%s\"", known, is_loo(o) ? "loo" : o->eval);
        rc = eval_json(m, split, o, 0, &out, &human);
        wr__buf_puts(&out, "}");
    }
    if (rc == WR_OK) print_report(o, &out);
    free(human);
    wr__buf_free(&out);
    wr_model_free(m);
    wr_split_free(split);
    wr_data_free(d);
    return rc ? fail(ctx, rc) : 0;
}

/* Trains the --model arms on split (each with --epochs when it has epochs). */
static int train_arms(wr_ctx *ctx, const options *o, const wr_data *d, const wr_split *split, int n, wr_model **m) {
    int rc = WR_OK;
    for (int a = 0; rc == WR_OK && a < n; a++) {
        if ((rc = wr_model_new(ctx, o->arms[a], (uint64_t)o->seed + (uint64_t)a, &m[a]))) break;
        apply_epochs(m[a], o);
        say(2, "%s: training %s (%d of %d)...\n", o->cmd, o->arms[a], a + 1, n);
        double p[WR_PROGRESS_N];
        wr_model *none[2] = {NULL, NULL};
        rc = train_with_progress(m[a], d, split, 0, none, p);
    }
    return rc;
}

/* compare: every model trained on the same split (wr_compare prints the statistics). */
static int cmd_compare(wr_ctx *ctx, const options *o) {
    if (!o->data || o->n_arms < 2) return usage_error("compare needs --data FILE and at least two --model NAME");
    wr_data *d = NULL;
    wr_split *split = NULL;
    wr_model *m[MAX_ARMS] = {NULL};
    char *json = NULL, *csv = NULL;
    int rc = load_data(ctx, o, NULL, &d);
    if (rc == WR_OK) rc = wr_split_new(d, o->eval ? o->eval : "loo", o->split, (uint64_t)o->seed, &split);
    if (rc == WR_OK) rc = train_arms(ctx, o, d, split, o->n_arms, m);
    if (rc == WR_OK) rc = wr_compare(m, o->n_arms, split, (int)o->k, o->exclude_seen, (uint64_t)o->seed, &json, o->per_user ? &csv : NULL);
    char err[512];
    if (rc == WR_OK && csv && wr__host_write_file(o->per_user, csv, strlen(csv), err, sizeof err)) {
        say(2, "wasmrec: error: %s\n", err);
        rc = WR_ERR_IO;
    }
    if (rc == WR_OK && o->json) wr__host_print(1, json, strlen(json)); /* say() would cut at 2 KB */
    if (rc == WR_OK && !o->json) { /* a line per model and per NDCG pair */
        wr_json_tok *t = NULL;
        int nt = 0;
        if (wr__json_parse(json, strlen(json), &t, &nt, err, sizeof err) == 0) {
            int models = wr__json_get(json, t, 0, "models"), pairs = wr__json_get(json, t, 0, "pairs"), q = wr__json_get(json, t, 0, "queries");
            say(1, "%s on %s (%.*s test queries):\n", o->eval ? o->eval : "leave-one-out", o->data, (int)(t[q].end - t[q].start), json + t[q].start);
            char key[32];
            snprintf(key, sizeof key, "NDCG@%lld", o->k);
            for (int i = 0, k = models + 1; i < t[models].size; i++, k = t[k].skip) {
                int test = wr__json_get(json, t, k, "test"), mean = wr__json_get(json, t, wr__json_get(json, t, test, key), "mean");
                say(1, "  %-10s %s %.*s\n", o->arms[i], key, (int)(t[mean].end - t[mean].start), json + t[mean].start);
            }
            for (int i = 0, k = pairs + 1; i < t[pairs].size; i++, k = t[k].skip) {
                int mt = wr__json_get(json, t, k, "metric"), hp = wr__json_get(json, t, k, "holm_p"), df = wr__json_get(json, t, k, "diff");
                if (strncmp(json + t[mt].start, "NDCG", 4)) continue;
                int ta = wr__json_get(json, t, k, "a"), tb = wr__json_get(json, t, k, "b");
                say(1, "  %.*s - %.*s: %.*s (Holm p %.*s)\n", (int)(t[ta].end - t[ta].start), json + t[ta].start, (int)(t[tb].end - t[tb].start),
                    json + t[tb].start, (int)(t[df].end - t[df].start), json + t[df].start, (int)(t[hp].end - t[hp].start), json + t[hp].start);
            }
        }
        free(t);
    }
    wr_free(json);
    wr_free(csv);
    for (int a = 0; a < o->n_arms; a++) wr_model_free(m[a]);
    wr_split_free(split);
    wr_data_free(d);
    return rc ? fail(ctx, rc) : 0;
}

/* experiment: both models trained on the leave-one-out training part (wr_experiment simulates). */
static int cmd_experiment(wr_ctx *ctx, const options *o) {
    if (!o->data || o->n_arms != 2) return usage_error("experiment needs --data FILE and exactly two --model NAME (the same twice is an A/A test)");
    int position = 0;
    if (o->click && strcmp(o->click, "next") && !(position = !strcmp(o->click, "position")))
        return usage_error("--click takes next (a click when the next item is in the list) or position (examined by rank), got \"%s\"", o->click);
    wr_data *d = NULL;
    wr_split *split = NULL;
    wr_model *m[2] = {NULL, NULL};
    char *json = NULL;
    int rc = load_data(ctx, o, NULL, &d);
    if (rc == WR_OK) rc = wr_split_new(d, "loo", NULL, 0, &split);
    if (rc == WR_OK) rc = train_arms(ctx, o, d, split, 2, m);
    if (rc == WR_OK) rc = wr_experiment(m[0], m[1], d, (int)o->k, o->exclude_seen, position, (uint64_t)o->seed, &json);
    if (rc == WR_OK && o->json) wr__host_print(1, json, strlen(json)); /* say() would cut at 2 KB */
    if (rc == WR_OK && !o->json) {
        wr_json_tok *t = NULL;
        int nt = 0;
        char err[64];
        if (wr__json_parse(json, strlen(json), &t, &nt, err, sizeof err) == 0) {
            int ab = wr__json_get(json, t, 0, "ab"), il = wr__json_get(json, t, 0, "interleaving"), aa = wr__json_get(json, t, 0, "aa"), us = wr__json_get(json, t, 0, "users");
            int v[7] = {wr__json_get(json, t, ab, "welch_p"), wr__json_get(json, t, ab, "users_for_80_power"), wr__json_get(json, t, il, "p"),
                        wr__json_get(json, t, il, "users_for_80_power"), wr__json_get(json, t, aa, "fixed_horizon_rejections"),
                        wr__json_get(json, t, aa, "peeking_every_100_rejections"), us};
#define TOK(i) (int)(t[v[i]].end - t[v[i]].start), json + t[v[i]].start
            say(1, "%s vs %s on %.*s users (%s clicks):\n  A/B: Welch p %.*s, users for 80%% power %.*s\n  interleaving: p %.*s, users for 80%% power %.*s\n"
                   "  A/A (1000 runs): fixed horizon rejects %.*s, peeking every 100 users %.*s\n",
                o->arms[0], o->arms[1], TOK(6), position ? "position" : "next", TOK(0), TOK(1), TOK(2), TOK(3), TOK(4), TOK(5));
#undef TOK
        }
        free(t);
    }
    wr_free(json);
    wr_model_free(m[0]);
    wr_model_free(m[1]);
    wr_split_free(split);
    wr_data_free(d);
    return rc ? fail(ctx, rc) : 0;
}

/* Every model's wr_model_info: a JSON array, or a line each. */
static int cmd_models(wr_ctx *ctx, const options *o) {
    char names[512];
    snprintf(names, sizeof names, "%s", wr_model_names());
    wr_buf b = {0};
    int rc = WR_OK, first = 1;
    if (o->json) wr__buf_puts(&b, "[");
    for (char *name = strtok(names, ","); name && rc == WR_OK; name = strtok(NULL, ",")) {
        char *info = NULL;
        if ((rc = wr_model_info(ctx, name, &info))) break;
        if (o->json) {
            wr__buf_puts(&b, first ? "" : ",\n");
            wr__buf_puts(&b, info);
        } else {
            wr_json_tok *t = NULL;
            int n = 0;
            char err[64];
            if (wr__json_parse(info, strlen(info), &t, &n, err, sizeof err) == 0) {
                int uses = wr__json_get(info, t, 0, "uses"), can = wr__json_get(info, t, 0, "can"), pred = wr__json_get(info, t, 0, "predicts");
                wr__buf_printf(&b, "%-9s predicts %-11.*s uses", name, (int)(t[pred].end - t[pred].start), info + t[pred].start);
                for (int i = 0, k = uses + 1; i < t[uses].size; i++, k = t[t[k].skip].skip)
                    if (info[t[t[k].skip].start] == 't') wr__buf_printf(&b, " %.*s", (int)(t[k].end - t[k].start), info + t[k].start);
                wr__buf_puts(&b, "; can");
                for (int i = 0, k = can + 1; i < t[can].size; i++, k = t[t[k].skip].skip)
                    if (info[t[t[k].skip].start] == 't') wr__buf_printf(&b, " %.*s", (int)(t[k].end - t[k].start), info + t[k].start);
                wr__buf_puts(&b, "\n");
            }
            free(t);
        }
        first = 0;
        wr_free(info);
    }
    if (o->json) wr__buf_puts(&b, "]\n");
    if (rc == WR_OK) print_buf(1, &b);
    wr__buf_free(&b);
    return rc ? fail(ctx, rc) : 0;
}

/* The split as CSV: user,item[,rating][,label],timestamp,part, in the data's order (per user, by
 * time): what another tool needs to train and measure on exactly the same events. */
static int cmd_split(wr_ctx *ctx, const options *o) {
    if (!o->data || !o->eval || !o->out) return usage_error("split needs --data FILE, --eval PROTOCOL and --out FILE.csv");
    wr_data *d = NULL;
    wr_split *s = NULL;
    int rc = load_data(ctx, o, NULL, &d);
    if (rc == WR_OK) rc = wr_split_new(d, o->eval, o->split, (uint64_t)o->seed, &s);
    wr_buf b = {0};
    static const char *const parts[] = {"train", "valid", "test"};
    if (rc == WR_OK) {
        wr__buf_printf(&b, "user,item%s%s,timestamp,part\n", d->rating ? ",rating" : "", d->label ? ",label" : "");
        for (int u = 0; u < d->users.n; u++)
            for (int64_t e = d->user_start[u], n = d->user_start[u + 1] - e, t = 0; t < n; t++, e++) {
                int part = s->part ? s->part[e] : n < 3 ? 0 : t == n - 1 ? 2 : t == n - 2 ? 1 : 0; /* loo: the last two */
                wr__buf_csv(&b, d->users.keys[u]);
                wr__buf_puts(&b, ",");
                wr__buf_csv(&b, d->items.keys[d->seq[e]]);
                if (d->rating) wr__buf_printf(&b, ",%.9g", d->rating[e]);
                if (d->label) wr__buf_printf(&b, ",%d", d->label[e]);
                wr__buf_printf(&b, ",%lld,%s\n", (long long)d->ts[e], parts[part]);
            }
        char err[512];
        if (b.failed) rc = wr__oom(ctx, "writing the split");
        else if (wr__host_write_file(o->out, b.data, b.len, err, sizeof err)) {
            say(2, "wasmrec: error: %s\n", err);
            rc = WR_ERR_IO;
        } else {
            say(2, "wrote %s: %lld events (%s split, seed %lld)\n", o->out, (long long)d->n_events, o->eval, o->seed);
        }
    }
    wr__buf_free(&b);
    wr_split_free(s);
    wr_data_free(d);
    return rc ? fail(ctx, rc) : 0;
}

/* --context "device=mobile,hour=q7": each pair the model's feature "ctx.<column>=<value>". */
static int set_context(wr_ctx *ctx, wr_model *m, const char *spec) {
    int feats[3 * WR_MAX_FIELDS], n = 0, rc = WR_OK;
    char key[WR_MAX_ID_LEN + 8];
    for (const char *p = spec; *p && rc == WR_OK;) {
        size_t k = strcspn(p, ",");
        const char *eq = memchr(p, '=', k);
        if (!eq || eq == p) {
            rc = wr__err(ctx, WR_ERR_ARG, "--context \"%.60s\": expected column=value pairs, like device=mobile", spec);
        } else if (n == 3 * WR_MAX_FIELDS) {
            rc = wr__err(ctx, WR_ERR_ARG, "--context: more than %d values", 3 * WR_MAX_FIELDS);
        } else {
            snprintf(key, sizeof key, "ctx.%.*s", (int)(k < WR_MAX_ID_LEN ? k : WR_MAX_ID_LEN), p);
            int f = wr_model_feature_index(m, key);
            if (f < 0)
                rc = wr__err(ctx, WR_ERR_ARG, "--context: the model has no feature %s (a value it never saw in training; numeric columns by bucket, like hour=q3)", key);
            else feats[n++] = f;
        }
        p += k + (p[k] == ',');
    }
    return rc ? rc : wr_model_context(m, feats, n);
}

static int cmd_recommend(wr_ctx *ctx, const options *o) {
    if (!o->model) return usage_error("recommend needs --model MODEL.safetensors");
    if (!o->history) return usage_error("recommend needs --history ID,ID,... (may be empty: --history \"\")");
    wr_model *m = NULL;
    int rc = load_model(ctx, o->model, &m);
    if (rc) return fail(ctx, rc);
    size_t hl = strlen(o->history);
    int *hist = malloc((hl + 1) * sizeof *hist), *items = malloc((size_t)o->k * sizeof *items), h = 0;
    float *scores = malloc((size_t)o->k * sizeof *scores);
    char *copy = wr__strdup(o->history);
    wr_buf unknown = {0}, out = {0};
    int n_unknown = 0, got = 0;
    if (!hist || !items || !scores || !copy) rc = wr__oom(ctx, "recommending");
    for (char *tok = copy, *next; rc == WR_OK && tok && *tok; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = 0;
        int idx = wr_model_item_index(m, tok);
        if (idx >= 0) hist[h++] = idx;
        else {
            wr__buf_puts(&unknown, n_unknown++ ? "," : "");
            wr__buf_json_str(&unknown, tok);
            say(2, "note: item \"%s\" is not in the model's vocabulary; it is left out of the history\n", tok);
        }
    }
    int user = -1;
    if (rc == WR_OK && o->user) {
        user = wr_model_user_index(m, o->user);
        if (!wr_model_n_users(m)) say(2, "note: %s does not score by user; --user is ignored\n", wr_model_name(m));
        else if (user < 0) say(2, "note: user \"%s\" is not in the model's users; it is scored by its history alone\n", o->user);
    }
    if (rc == WR_OK && o->context) rc = set_context(ctx, m, o->context);
    if (rc == WR_OK) rc = wr_model_recommend(m, user, hist, h, (int)o->k, o->exclude_seen, items, scores, &got);
    if (rc == WR_OK) {
        if (o->json) {
            const char *why = "";
            int ex = wr_model_seen_policy(m, o->exclude_seen, &why);
            wr__buf_printf(&out, "{\"model\":\"%s\",\"history\":%d,\"unknown\":[%s],\"exclude_seen\":%s,\"exclude_seen_reason\":",
                           wr_model_name(m), h, unknown.data ? unknown.data : "", ex ? "true" : "false");
            wr__buf_json_str(&out, why);
            wr__buf_puts(&out, ",\"items\":[");
            for (int i = 0; i < got; i++) {
                wr__buf_puts(&out, i ? ",{\"item\":" : "{\"item\":");
                wr__buf_json_str(&out, wr_model_item_id(m, items[i]));
                if (*wr_model_item_title(m, items[i])) {
                    wr__buf_puts(&out, ",\"title\":");
                    wr__buf_json_str(&out, wr_model_item_title(m, items[i]));
                }
                wr__buf_puts(&out, ",\"score\":");
                wr__buf_json_num(&out, scores[i]);
                wr__buf_puts(&out, "}");
            }
            wr__buf_puts(&out, "]}\n");
        } else {
            for (int i = 0; i < got; i++)
                wr__buf_printf(&out, "%2d  %-24s %-12.6g %s\n", i + 1, wr_model_item_id(m, items[i]), scores[i], wr_model_item_title(m, items[i]));
        }
        print_buf(1, &out);
    }
    free(hist);
    free(items);
    free(scores);
    free(copy);
    wr__buf_free(&unknown);
    wr__buf_free(&out);
    wr_model_free(m);
    return rc ? fail(ctx, rc) : 0;
}

int wr_cli_main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        say(argc < 2 ? 2 : 1, "%s  %s\n", usage, wr_model_names());
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        say(1, "wasmrec %s\n", wr_version());
        return 0;
    }
    static const char *const cmds[] = {"gen", "train", "eval", "compare", "experiment", "split", "models", "recommend"};
    int known = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) known |= !strcmp(argv[1], cmds[i]);
    if (!known) return usage_error("unknown command \"%s\" (commands: gen, train, eval, compare, experiment, split, models, recommend)", argv[1]);
    options o;
    memset(&o, 0, sizeof o);
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    wr_ctx *ctx = NULL;
    if (wr_ctx_new(&ctx) != WR_OK) {
        say(2, "wasmrec: error: out of memory\n");
        return 1;
    }
    if (o.memory_mb && wr_ctx_set_memory_mb(ctx, (double)o.memory_mb) != WR_OK) {
        rc = fail(ctx, WR_ERR_ARG);
        wr_ctx_free(ctx);
        return rc;
    }
    if (flag_allowed(o.cmd, "--threads")) wr_threads_set(o.threads ? (int)o.threads : wr__host_cores());
    if (!strcmp(o.cmd, "gen")) rc = cmd_gen(ctx, &o);
    else if (!strcmp(o.cmd, "train")) rc = cmd_train(ctx, &o);
    else if (!strcmp(o.cmd, "eval")) rc = cmd_eval(ctx, &o);
    else if (!strcmp(o.cmd, "split")) rc = cmd_split(ctx, &o);
    else if (!strcmp(o.cmd, "models")) rc = cmd_models(ctx, &o);
    else if (!strcmp(o.cmd, "compare")) rc = cmd_compare(ctx, &o);
    else if (!strcmp(o.cmd, "experiment")) rc = cmd_experiment(ctx, &o);
    else rc = cmd_recommend(ctx, &o);
    wr_ctx_free(ctx);
    return rc;
}

/* test_data.c: the data layer: every input format, auto-detection, grouping and time order,
 * error messages naming source/line/field, skip_bad, BOM/CRLF, quoted CSV, and a fuzz loop
 * (truncated and mutated inputs must give OK or an error, never a crash under ASan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "../../src/wasmrec.h"
#include "check.h"

static wr_ctx *ctx;

static wr_data *load(const char *text, const char *fmt, const char *src, int skip) {
    wr_data *d = NULL;
    int rc = wr_data_load(ctx, text, strlen(text), fmt, src, skip, &d);
    if (rc != WR_OK) {
        printf("  load failed (%s): %s\n", src ? src : "data", wr_last_error(ctx));
        return NULL;
    }
    return d;
}

/* Loads expecting an error; returns the message. */
static const char *load_err(const char *text, const char *fmt, const char *src, int skip, int want) {
    wr_data *d = NULL;
    int rc = wr_data_load(ctx, text, strlen(text), fmt, src, skip, &d);
    check_count++;
    if (rc != want || d) {
        check_failures++;
        printf("  expected status %d, got %d for %s\n", want, rc, src ? src : "data");
        wr_data_free(d);
    }
    return wr_last_error(ctx);
}

/* The items of user u as "a b c". */
static const char *user_items(const wr_data *d, int u) {
    static char out[512]; /* test-only scratch */
    out[0] = 0;
    for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
        if (e > d->user_start[u]) strcat(out, " ");
        strcat(out, wr_data_item_id(d, d->seq[e]));
    }
    return out;
}

static void test_csv(void) {
    /* unsorted timestamps, a tie (b and c at 5: file order kept), a user interleaved */
    const char *csv = "user_id,item_id,rating,timestamp\n"
                      "u1,a,5,10\n"
                      "u2,x,3,1\n"
                      "u1,c,4,5\n"
                      "u1,b,4,5\n"
                      "u2,y,1,2\n"
                      "u1,d,1,3\n";
    wr_data *d = load(csv, "csv", "t.csv", 0);
    CHECK(d != NULL);
    if (!d) return;
    CHECK(wr_data_n_users(d) == 2);
    CHECK(wr_data_n_items(d) == 6);
    CHECK(wr_data_n_events(d) == 6);
    CHECK_STR(wr_data_format(d), "csv");
    CHECK_STR(user_items(d, 0), "d c b a");
    CHECK_STR(user_items(d, 1), "x y");
    CHECK(d->ts[0] == 3 && d->ts[3] == 10);
    CHECK(d->user_start[0] == 0 && d->user_start[1] == 4 && d->user_start[2] == 6);
    CHECK_STR(d->users.keys[0], "u1");
    CHECK_STR(wr_data_item_id(d, 0), "a");
    CHECK(wr_data_item_index(d, "y") == 4);
    CHECK(wr_data_item_index(d, "zz") == -1);
    CHECK_STR(wr_data_item_title(d, 0), "");
    CHECK_STR(wr_data_item_id(d, 99), "");
    CHECK_STR(wr_data_item_id(d, -1), "");
    CHECK_STR(wr_data_item_title(d, 99), "");
    CHECK(wr_data_skipped(d) == 0);
    CHECK_STR(wr_data_first_skip_reason(d), "");

    /* drop_last = 2: u1 (4 events) keeps 2, u2 (2 events) keeps all */
    wr_seqs s;
    int32_t *len = NULL;
    CHECK(wr__seqs_from_data(d, 2, &s, &len) == WR_OK);
    CHECK(s.n == 2 && s.n_items == 6 && len[0] == 2 && len[1] == 2);
    CHECK(s.items[s.start[0]] == wr_data_item_index(d, "d"));
    wr_free(len);
    CHECK(wr__seqs_from_data(d, 0, &s, &len) == WR_OK);
    CHECK(len[0] == 4 && len[1] == 2);
    wr_free(len);
    wr_data_free(d);

    /* TSV, no timestamp column: file order; titles and categories, first non-empty kept;
     * decimal timestamps elsewhere */
    d = load("Session\tItem\tTitle\tGenre\n"
             "s1\ti1\t\tToys\n"
             "s1\ti2\tSecond\t\n"
             "s1\ti1\tFirst\tGames\n"
             "s2\ti2\tOther\tX\n"
             "s2\ti3\t\t\n",
             "auto", "t.tsv", 0);
    CHECK(d != NULL);
    if (d) {
        CHECK_STR(wr_data_format(d), "csv");
        CHECK(wr_data_n_users(d) == 2 && wr_data_n_items(d) == 3);
        CHECK_STR(user_items(d, 0), "i1 i2 i1");
        CHECK_STR(wr_data_item_title(d, 0), "First");
        CHECK_STR(wr_data_item_category(d, 0), "Toys");
        CHECK_STR(wr_data_item_title(d, 1), "Second");
        CHECK_STR(wr_data_item_category(d, 1), "X");
        CHECK_STR(wr_data_item_title(d, 2), "");
        CHECK(d->ts[0] == 0);
        wr_data_free(d);
    }

    /* semicolons, quoted fields with delimiters, "" escapes and a newline; BOM and CRLF */
    d = load("\xEF\xBB\xBFvisitor;productId;name;ts\r\n"
             "\"v 1\";p1;\"Cable; 2m, \"\"pro\"\"\";1.5\r\n"
             "\r\n"
             "\"v 1\";\" p2 \";\"two\nlines\";1.25\r\n"
             "v2;p1;;7\r\n"
             "v2;p3;x;-1\r\n",
             "auto", "q.csv", 0);
    CHECK(d != NULL);
    if (d) {
        CHECK(wr_data_n_users(d) == 2 && wr_data_n_items(d) == 3);
        CHECK_STR(d->users.keys[0], "v 1");
        CHECK_STR(user_items(d, 0), "p2 p1");
        CHECK_STR(user_items(d, 1), "p3 p1");
        CHECK_STR(wr_data_item_title(d, 0), "Cable; 2m, \"pro\"");
        CHECK_STR(wr_data_item_title(d, 1), "two\nlines");
        CHECK(d->ts[0] == 1 && d->ts[1] == 1 && d->ts[2] == -1);
        wr_data_free(d);
    }
    /* line numbers stay right after a quoted newline */
    const char *m = load_err("user,item,title\nu,a,\"x\ny\"\nu,,t\n", "csv", "nl.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "nl.csv:4: field 2 (item): empty item id");
}

static void test_movielens(void) {
    wr_data *d = load("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n"
                      "186\t242\t2\t891717742\n",
                      "auto", "u.data", 0);
    CHECK(d != NULL);
    if (d) {
        CHECK_STR(wr_data_format(d), "movielens");
        CHECK(wr_data_n_users(d) == 2 && wr_data_n_items(d) == 3 && wr_data_n_events(d) == 4);
        CHECK_STR(user_items(d, 0), "377 242");
        CHECK_STR(user_items(d, 1), "302 242"); /* a tie: file order */
        const char *items = "242|Kolya (1996)|24-Jan-1997||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                            "302|L.A. Confidential (1997)|01-Jan-1997||http://y|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|1|0|0\n"
                            "9999|Unknown|x\n";
        CHECK(wr_data_load_titles(d, items, strlen(items), "u.item") == WR_OK);
        CHECK_STR(wr_data_item_title(d, wr_data_item_index(d, "242")), "Kolya (1996)");
        CHECK_STR(wr_data_item_category(d, wr_data_item_index(d, "242")), "Comedy");
        CHECK_STR(wr_data_item_category(d, wr_data_item_index(d, "302")), "Crime");
        CHECK_STR(wr_data_item_title(d, wr_data_item_index(d, "377")), "");
        CHECK(wr_data_load_titles(d, "242|ok\nbad line\n", 15, "u.item") == WR_ERR_PARSE);
        CHECK_CONTAINS(wr_last_error(ctx), "u.item:2:");
        wr_data_free(d);
    }
    d = load("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n2::3::4::978298413\n",
             "movielens", "ratings.dat", 0);
    CHECK(d != NULL);
    if (d) {
        CHECK(wr_data_n_users(d) == 2 && wr_data_n_items(d) == 3);
        CHECK_STR(user_items(d, 0), "1193 661");
        const char *movies = "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
                             "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n";
        CHECK(wr_data_load_titles(d, movies, strlen(movies), "movies.dat") == WR_OK);
        CHECK_STR(wr_data_item_title(d, 0), "One Flew Over the Cuckoo's Nest (1975)");
        CHECK_STR(wr_data_item_category(d, 1), "Animation");
        wr_data_free(d);
    }
    d = load("u1\tcam-1\t5\t10\nu1\tlens-2\t4.5\t11\n", "auto", "ids.data", 0);
    CHECK(d && !strcmp(wr_data_format(d), "movielens") && wr_data_n_items(d) == 2);
    wr_data_free(d);
    d = load("7::1::5::9\n7::2::5::8\n", "auto", "ratings.dat", 0);
    CHECK(d && !strcmp(wr_data_format(d), "movielens"));
    if (d) CHECK_STR(user_items(d, 0), "2 1");
    wr_data_free(d);
    const char *m = load_err("1\t2\t3\t4\n1\t3\t3\t5\n1\t2\n", "movielens", "u.data", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "u.data:3: expected 4 tab-separated fields");
    CHECK_CONTAINS(m, "found 2");
    m = load_err("1::2::3::4\n1::3::3::x\n", "movielens", "r.dat", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "r.dat:2: field 4 (timestamp): not a number: \"x\"");
}

static void test_seq(void) {
    wr_data *d = load("1 10\n1 11\n2 10\n1 12\n2 13\n", "auto", "ml-1m.txt", 0);
    CHECK(d != NULL);
    if (d) {
        CHECK_STR(wr_data_format(d), "seq");
        CHECK(wr_data_n_users(d) == 2 && wr_data_n_items(d) == 4);
        CHECK_STR(user_items(d, 0), "10 11 12");
        CHECK_STR(user_items(d, 1), "10 13");
        wr_data_free(d);
    }
    d = load("user item\n1 a\n1 b\n", "seq", "h.txt", 0); /* a header line is tolerated */
    CHECK(d && wr_data_n_items(d) == 2);
    wr_data_free(d);
    const char *m = load_err("1 2\n1 3\n1 2 3\n", "seq", "s.txt", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "s.txt:3: expected 2 whitespace-separated fields");
}

static void test_otto(void) {
    const char *j =
        "{\"session\": 12, \"events\": [{\"aid\": 5, \"ts\": 1659304800, \"type\": \"clicks\"},"
        " {\"type\":\"carts\",\"ts\":1659304700,\"aid\":6}, {\"aid\": 7, \"ts\": 1659304800}]}\n"
        "  { \"events\" : [ { \"x\": {\"a\": [1, 2.5e3, null, true, false, \"s\\\"\\u00e9\"]}, \"aid\" : \"\\u0041b\", \"ts\": 3 },"
        "{\"aid\": 5, \"ts\": 4}] , \"session\" : \"s 2\", \"extra\": [] }\r\n"
        "\n";
    wr_data *d = load(j, "auto", "o.jsonl", 0);
    CHECK(d != NULL);
    if (d) {
        CHECK_STR(wr_data_format(d), "otto");
        CHECK(wr_data_n_users(d) == 2 && wr_data_n_items(d) == 4 && wr_data_n_events(d) == 5);
        CHECK_STR(d->users.keys[0], "12");
        CHECK_STR(d->users.keys[1], "s 2");
        CHECK_STR(user_items(d, 0), "6 5 7");
        CHECK_STR(user_items(d, 1), "Ab 5");
        wr_data_free(d);
    }
    const char *m = load_err("{\"session\": 1, \"events\": [{\"aid\": 1}, {\"aid\": 2}]}\n"
                             "{\"session\" 2, \"events\": []}\n",
                             "otto", "f.jsonl", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "f.jsonl:2: invalid JSON at column 12: expected ':'");
    m = load_err("{\"session\": 1, \"events\": [{\"aid\": 1, \"ts\": 1}, {\"ts\": 2}]}\n", "otto", "f.jsonl", 0,
                 WR_ERR_PARSE);
    CHECK_CONTAINS(m, "f.jsonl:1: event 2: missing \"aid\"");
    m = load_err("{\"events\": [{\"aid\": 1}, {\"aid\": 2}]}\n", "otto", "f.jsonl", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "f.jsonl:1: missing \"session\"");
    m = load_err("{\"session\": 1, \"events\": [{\"aid\": 1}, {\"aid\": 2}]} x\n", "otto", "f.jsonl", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "f.jsonl:1: invalid JSON at column 52");
    m = load_err("{\"session\": 1, \"events\": [{\"aid\": \"\\q\"}]}\n", "otto", "f.jsonl", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "bad escape");
    m = load_err("{\"session\": 1, \"events\": [{\"aid\": 1, \"ts\": 1e5}]}\n", "otto", "f.jsonl", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "f.jsonl:1: event 1: \"ts\": not an integer or decimal number");
    /* deep nesting is an error, not a stack overflow */
    char deep[400];
    strcpy(deep, "{\"session\": 1, \"x\": ");
    for (int i = 0; i < 100; i++) strcat(deep, "[");
    strcat(deep, "\n");
    m = load_err(deep, "otto", "deep.jsonl", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "deep.jsonl:1: invalid JSON at column");
}

static void test_errors(void) {
    const char *m;
    m = load_err("", "csv", "data.csv", 0, WR_ERR_PARSE);
    CHECK_STR(m, "data.csv: the file is empty");
    m = load_err("\xEF\xBB\xBF \n\r\n", "auto", NULL, 0, WR_ERR_PARSE);
    CHECK_STR(m, "data: the file is empty");
    m = load_err("a,b\n", "parquet", "x", 0, WR_ERR_ARG);
    CHECK_CONTAINS(m, "\"parquet\"");
    CHECK_CONTAINS(m, "auto, csv, movielens, seq, otto");
    m = load_err("user,product,ts\n1,2,3\n", "csv", "x.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "x.csv:1: the header has no item column");
    CHECK_CONTAINS(m, "\"product\"");
    m = load_err("user,product,ts\n1,2,3\n", "auto", "x.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "no item column");
    m = load_err("hello world foo\n", "auto", "w.txt", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "cannot detect the format of w.txt");
    CHECK_CONTAINS(m, "--format");
    m = load_err("user,item\nu1,a\nu1,b\n\nu2,c\nu2,\n", "csv", "data.csv", 0, WR_ERR_PARSE);
    CHECK_STR(m, "data.csv:6: field 2 (item): empty item id");
    m = load_err("user,item\nu1,a\n,b\n", "csv", "data.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "data.csv:3: field 1 (user): empty user id");
    m = load_err("user,item,ts\nu,a,1\nu,b,2\nu,c,3\nu,d,abc\n", "csv", "x.csv", 0, WR_ERR_PARSE);
    CHECK_STR(m, "x.csv:5: field 3 (ts): not a number: \"abc\"");
    m = load_err("user,item,timestamp\nu,a,1\nu,b\n", "csv", "x.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "x.csv:3: field 3 (timestamp): missing");
    m = load_err("user,item\nu,\"a\nu,b\n", "csv", "x.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "x.csv:2: field 2: unterminated quoted field");
    char big[600];
    snprintf(big, sizeof big, "user,item\nu,a\nu,%0300d\n", 7);
    m = load_err(big, "csv", "big.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "big.csv:3: field 2 (item): item id is 300 bytes, the limit is 256");
    m = load_err("user,item\nu1,a\nu2,b\nu3,a\n", "csv", "one.csv", 1, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "one.csv: every user has a single event; sequential models need at least 2 per user");
    m = load_err("user,item\n", "csv", "h.csv", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "h.csv: no events");
    /* MovieLens ratings are numbers */
    m = load_err("1\t10\t5\t100\n1\t20\tabc\t100\n", "movielens", "u.data", 0, WR_ERR_PARSE);
    CHECK_STR(m, "u.data:2: field 3 (rating): not a number: \"abc\"");
    m = load_err("1::10::::100\n", "movielens", "ratings.dat", 0, WR_ERR_PARSE);
    CHECK_STR(m, "ratings.dat:1: field 3 (rating): empty rating: \"\"");
    m = load_err("1\t10\tinf\t100\n", "movielens", "u.data", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "u.data:1: field 3 (rating): not a number: \"inf\"");
    wr_data *half = load("1::10::4.5::100\n1::11::3::101\n", "movielens", "ratings.dat", 0);
    CHECK(half && wr_data_n_events(half) == 2);
    wr_data_free(half);
    /* not text at all: one sentence naming what it is, whatever the format asked */
    m = load_err("PK\3\4\x14\0\0\0", "auto", "ml-100k.zip", 0, WR_ERR_PARSE);
    CHECK_STR(m, "ml-100k.zip: this is not a text file of interactions: it is a zip archive (or an .xlsx workbook); unpack it, or save the sheet as CSV");
    m = load_err("\x1f\x8b\x08\0", "csv", "u.data.gz", 0, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "u.data.gz: this is not a text file of interactions: it is gzip-compressed");
    char noise[4000];
    wr_rng rng;
    wr__rng_seed(&rng, 5);
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (char)(1 + wr__rng_below(&rng, 255)); /* no NUL */
    wr_data *bin = NULL;
    CHECK(wr_data_load(ctx, noise, sizeof noise, "auto", "x.jpg", 0, &bin) == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "x.jpg: this is not a text file of interactions (byte ");
    char nul[] = "user,item\nu,a\nu,b\0\n";
    CHECK(wr_data_load(ctx, nul, sizeof nul - 1, "csv", "n.csv", 1, &bin) == WR_ERR_PARSE); /* skip_bad cannot help */
    CHECK_CONTAINS(wr_last_error(ctx), "n.csv: this is not a text file of interactions (byte 17 is 0x00, a NUL)");
    /* a Latin-1 export (mostly ASCII, a few bytes that are not UTF-8) is still text */
    wr_data *latin = load("user,item\nu,caf\xe9\nu,cr\xeape\nv,caf\xe9\nv,the\n", "csv", "l.csv", 0);
    CHECK(latin && wr_data_n_items(latin) == 3);
    wr_data_free(latin);
    /* ids: whitespace and quotes trimmed */
    wr_data *d = load("1\t \"a\" \t3\t1\n1\tb\t3\t2\n", "movielens", "u.data", 0);
    CHECK(d && wr_data_item_index(d, "a") == 0);
    wr_data_free(d);
}

static void test_skip_bad(void) {
    const char *csv = "user,item,ts\nu,a,1\nu,,2\nu,b,x\nu,c,3\nv,a,1\nv,b\n";
    wr_data *d = load(csv, "csv", "s.csv", 1);
    CHECK(d != NULL);
    if (d) {
        CHECK(wr_data_skipped(d) == 3);
        CHECK_STR(wr_data_first_skip_reason(d), "s.csv:3: field 2 (item): empty item id");
        CHECK(wr_data_n_events(d) == 3);
        CHECK_STR(user_items(d, 0), "a c");
        wr_data_free(d);
    }
    /* an unterminated quote costs only its own line */
    d = load("user,item\nu,a\nu,\"b\nu,c\nu,d\n", "csv", "q.csv", 1);
    CHECK(d && wr_data_skipped(d) == 1 && wr_data_n_events(d) == 3);
    if (d) CHECK_STR(wr_data_first_skip_reason(d), "q.csv:3: field 2: unterminated quoted field");
    wr_data_free(d);
    /* a bad JSON line is skipped whole: none of its events stay */
    d = load("{\"session\": 1, \"events\": [{\"aid\": 1}, {\"aid\": 2}]}\n"
             "{\"session\": 2, \"events\": [{\"aid\": 3}, {\"aid\": 4}, {\"aid\" 5}]}\n",
             "otto", "o.jsonl", 1);
    CHECK(d && wr_data_skipped(d) == 1 && wr_data_n_items(d) == 2 && wr_data_n_users(d) == 1);
    wr_data_free(d);
    const char *m = load_err("user,item\nu,\nv,\n", "csv", "bad.csv", 1, WR_ERR_PARSE);
    CHECK_CONTAINS(m, "bad.csv: every line was bad");
    CHECK_CONTAINS(m, "bad.csv:2: field 2 (item): empty item id");
}

/* ---- fuzz: prefixes and mutations of valid inputs, every format ---- */
static uint64_t fz_state = 88172645463325252ull;
static uint64_t fz(void) { /* xorshift64, test-local */
    fz_state ^= fz_state << 13;
    fz_state ^= fz_state >> 7;
    fz_state ^= fz_state << 17;
    return fz_state;
}

static void try_all(const char *buf, size_t n) {
    static const char *fmts[] = {"auto", "csv", "movielens", "seq", "otto"};
    for (int f = 0; f < 5; f++) {
        for (int skip = 0; skip < 2; skip++) {
            wr_data *d = NULL;
            int rc = wr_data_load(ctx, buf, n, fmts[f], "fuzz", skip, &d);
            check_count++;
            if (!((rc == WR_OK && d) || (rc == WR_ERR_PARSE && !d))) {
                check_failures++;
                printf("  fuzz: status %d\n", rc);
            }
            if (d) {
                /* the result is consistent */
                int64_t ev = 0;
                for (int u = 0; u < wr_data_n_users(d); u++) ev += d->user_start[u + 1] - d->user_start[u];
                if (ev != wr_data_n_events(d)) check_failures++;
                for (int64_t e = 0; e < ev; e++)
                    if (d->seq[e] < 0 || d->seq[e] >= wr_data_n_items(d)) check_failures++;
                if (wr_data_load_titles(d, buf, n, "fuzz") != WR_OK) check_count++;
                wr_data_free(d);
            }
        }
    }
}

static void test_fuzz(void) {
    const char *inputs[] = {
        "user,item,title,category,ts\nu1,a,\"T, 1\",c,1\nu1,b,,d,2.5\n\"u2\",\"a\"\"x\",t,,3\nu2,b,t,c,4\n",
        "1\t2\t3\t4\n1\t3\t3\t5\n2\t2\t1\t6\n2\t4\t1\t6\n",
        "1::2::3::4\n1::3::3::5\n",
        "1 2\n1 3\n2 2\n2 4\n",
        ("{\"session\": 1, \"events\": [{\"aid\": 1, \"ts\": 1.5, \"type\": \"c\"}, {\"aid\": \"\\ud83d\\ude00\", \"ts\": 2}]}\n"
        "{\"session\": \"2\", \"x\": {\"y\": [true, null, -0.5e-3]}, \"events\": [{\"aid\": 3}, {\"aid\": 1}]}\n"),
    };
    char buf[512];
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        size_t n = strlen(inputs[k]);
        for (size_t p = 0; p <= n; p++) try_all(inputs[k], p); /* every prefix, not NUL-terminated */
        for (int r = 0; r < 300; r++) {
            memcpy(buf, inputs[k], n);
            int muts = 1 + (int)(fz() % 4);
            for (int m = 0; m < muts; m++) {
                size_t at = fz() % n;
                static const char alphabet[] = "\"\\{}[],:;\t\n\r 0123456789.-eu\x00\xEF\xBB\xBF";
                buf[at] = (fz() & 1) ? (char)(fz() & 0xFF) : alphabet[fz() % (sizeof alphabet - 1)];
            }
            /* exact-size heap copy, so ASan catches any read past the end */
            char *exact = malloc(n);
            memcpy(exact, buf, n);
            try_all(exact, n);
            free(exact);
        }
    }
}

int main(void) {
    if (wr_ctx_new(&ctx) != WR_OK) return 1;
    test_csv();
    test_movielens();
    test_seq();
    test_otto();
    test_errors();
    test_skip_bad();
    test_fuzz();
    wr_ctx_free(ctx);
    TEST_END("data");
}

/* test_safetensors.c: model-file round trip, and every kind of broken or hostile file gives a
 * clear error without reading out of bounds (this runs under ASan/UBSan natively). */
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/io/json.h"
#include "../../src/io/safetensors.h"
#include "check.h"

static wr_ctx *ctx;

/* Builds a file from a header text and data bytes. */
static uint8_t *make_file(const char *header, const void *data, size_t dlen, size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + dlen;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (dlen) memcpy(b + 8 + h, data, dlen);
    return b;
}

static int parse_header(const char *header, size_t dlen) {
    size_t len;
    static uint8_t zeros[64];
    uint8_t *b = make_file(header, zeros, dlen, &len);
    wr_st_file f;
    int rc = wr__st_parse(ctx, b, len, "m.safetensors", &f);
    if (rc == WR_OK) wr__st_free(&f);
    free(b);
    return rc;
}

static void test_round_trip(void) {
    wr_st_file w;
    wr__st_init(&w);
    float a[6] = {1, 2, 3, 4, 5, 6.5f};
    int32_t idx[3] = {7, -1, 9};
    int64_t sa[2] = {2, 3}, si[1] = {3};
    CHECK(wr__st_add(&w, "a", WR_DT_F32, 2, sa, a) == 0);
    CHECK(wr__st_add(&w, "idx", WR_DT_I32, 1, si, idx) == 0);
    CHECK(wr__st_set_meta(&w, "model", "markov") == 0);
    CHECK(wr__st_set_meta(&w, "items", "[\"a\\\"b\",\"\\u00e9\"]") == 0);
    uint8_t *bytes;
    size_t len;
    CHECK(wr__st_serialize(&w, &bytes, &len) == 0);
    wr__st_free(&w);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)bytes[i] << (8 * i);
    CHECK(hlen % 8 == 0);
    CHECK(len == 8 + hlen + sizeof a + sizeof idx);

    wr_st_file r;
    CHECK(wr__st_parse(ctx, bytes, len, "rt", &r) == WR_OK);
    CHECK_STR(wr__st_meta(&r, "model"), "markov");
    CHECK_STR(wr__st_meta(&r, "items"), "[\"a\\\"b\",\"\\u00e9\"]");
    CHECK(wr__st_meta(&r, "nope") == NULL);
    const wr_st_tensor *t;
    int64_t want[2] = {2, 3}, anyrow[2] = {-1, 3}, wrong[2] = {3, 2};
    CHECK(wr__st_get(ctx, &r, "a", WR_DT_F32, 2, want, &t) == WR_OK);
    float back[6];
    wr__st_copy(back, t);
    CHECK(memcmp(back, a, sizeof a) == 0);
    CHECK(wr__st_get(ctx, &r, "a", WR_DT_F32, 2, anyrow, &t) == WR_OK);
    CHECK(wr__st_get(ctx, &r, "a", WR_DT_F32, 2, wrong, &t) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "tensor \"a\" has shape [2,3], expected [3,2]");
    CHECK(wr__st_get(ctx, &r, "a", WR_DT_I32, 2, want, &t) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "dtype F32, expected I32");
    CHECK(wr__st_get(ctx, &r, "b", WR_DT_F32, 2, want, &t) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "tensor \"b\" is missing");
    wr__st_free(&r);

    /* Every truncation of a valid file is an error, never a crash. */
    for (size_t cut = 0; cut < len; cut++) {
        wr_st_file f;
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, bytes, cut);
        int rc = wr__st_parse(ctx, copy, cut, "cut", &f);
        CHECK(rc == WR_ERR_FORMAT);
        free(copy);
    }
    /* Single-byte corruptions of the header: an error or a valid parse, never a crash. */
    for (size_t i = 0; i < 8 + hlen; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, bytes, len);
        copy[i] ^= (uint8_t)(0x5a + i);
        wr_st_file f;
        if (wr__st_parse(ctx, copy, len, "flip", &f) == WR_OK) wr__st_free(&f);
        free(copy);
    }
    free(bytes);
}

static void test_hostile(void) {
    size_t len;
    uint8_t *b = make_file("{}", NULL, 0, &len);
    b[0] = 0xff; /* header length past the end */
    wr_st_file f;
    CHECK(wr__st_parse(ctx, b, len, "m.safetensors", &f) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "m.safetensors: header length 255 is past the end of the file");
    free(b);
    uint8_t tiny[3] = {1, 2, 3};
    CHECK(wr__st_parse(ctx, tiny, 3, "m.safetensors", &f) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "not a safetensors file");

    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8) == WR_OK);
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "past the end of the data");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "do not match shape and dtype");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "begin 8 is after end 0");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "unsupported dtype F16");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "overlap");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "shape[0] is not a size");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8) == WR_ERR_FORMAT);
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "missing data_offsets");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", 8) == WR_ERR_FORMAT);
    CHECK(parse_header("{\"a\":[1,2]}", 0) == WR_ERR_FORMAT);
    CHECK(parse_header("{\"__metadata__\":{\"k\":1}}", 0) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "values must be strings");
    CHECK(parse_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                       "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "appears twice");
    CHECK(parse_header("{\"a\":", 0) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "invalid JSON");
    CHECK(parse_header("[1]", 0) == WR_ERR_FORMAT);
    char deep[300];
    memset(deep, '[', 299);
    deep[0] = '{';
    deep[299] = 0;
    CHECK(parse_header(deep, 0) == WR_ERR_FORMAT);
}

static void test_json(void) {
    const char *s = "{\"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {\"c\": null}, \"d\": true}";
    wr_json_tok *t;
    int n;
    char err[128];
    CHECK(wr__json_parse(s, strlen(s), &t, &n, err, sizeof err) == 0);
    int a = wr__json_get(s, t, 0, "a"), d = wr__json_get(s, t, 0, "d");
    CHECK(a > 0 && t[a].type == WR_JSON_ARR && t[a].size == 3);
    CHECK(d > 0 && t[d].type == WR_JSON_BOOL);
    CHECK(wr__json_get(s, t, 0, "zz") == -1);
    double x;
    CHECK(wr__json_num(s, &t[a + 2], &x) == 0 && x == -2500.0);
    long long i;
    CHECK(wr__json_int(s, &t[a + 1], 0, 10, &i) == 0 && i == 1);
    CHECK(wr__json_int(s, &t[a + 2], -1e9, 1e9, &i) == -1);
    char *str = wr__json_str(s, &t[a + 3]);
    CHECK_STR(str, "x\xc3\xa9\xf0\x9f\x98\x80");
    free(str);
    free(t);
    const char *bad[] = {"", "{", "{\"a\" 1}", "[1,]", "01", "\"\\x\"", "[1] 2", "\"a\nb\"", "tru", "-", "1.", "1e"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = wr__json_parse(bad[k], strlen(bad[k]), &t, &n, err, sizeof err);
        CHECK(rc == -1);
        if (rc == 0) free(t);
    }
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    test_json();
    test_round_trip();
    test_hostile();
    wr_ctx_free(ctx);
    TEST_END("safetensors");
}

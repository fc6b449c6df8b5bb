/* json.h: a small strict JSON tokenizer (jsmn-style): the text is not copied, tokens point into
 * it. Used for safetensors headers and model metadata. */
#ifndef WR_JSON_H
#define WR_JSON_H

#include <stddef.h>

typedef enum { WR_JSON_NULL, WR_JSON_BOOL, WR_JSON_NUM, WR_JSON_STR, WR_JSON_ARR, WR_JSON_OBJ } wr_json_type;

typedef struct {
    wr_json_type type;
    size_t start, end; /* byte span; strings exclude the quotes (escapes not decoded) */
    int size;          /* ARR: elements, OBJ: keys */
    int skip;          /* index of the token after this one and all its children */
} wr_json_tok;

/* Tokenizes text[0..len). On success *toks (malloc'd, free with wr_free) holds *ntok tokens
 * in document order: an OBJ is followed by key STR, value, key, value, ...
 * Returns 0, WR_ERR_NOMEM, or -1 with a message naming the byte offset in err. Depth is limited
 * to 64. */
int wr__json_parse(const char *text, size_t len, wr_json_tok **toks, int *ntok, char *err,
                   size_t errlen);

/* Index of the value of key in the OBJ at index obj, or -1. */
int wr__json_get(const char *text, const wr_json_tok *toks, int obj, const char *key);
/* Decodes a STR token into a malloc'd UTF-8 string (escapes and \u surrogates; the tokenizer
 * checked them); NULL for a token that is no STR, or out of memory. */
char *wr__json_str(const char *text, const wr_json_tok *t);
/* Parses a NUM token as a double / as an integer in [min, max]; returns 0 or -1. */
int wr__json_num(const char *text, const wr_json_tok *t, double *out);
int wr__json_int(const char *text, const wr_json_tok *t, long long min, long long max, long long *out);

#endif

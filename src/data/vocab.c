/* vocab.c: string -> dense id in order of first appearance (open addressing, linear probing,
 * FNV-1a). Ids never move, so an id can be stored before the table grows. */
#include <stdlib.h>
#include <string.h>

#include "data.h"

static uint32_t fnv1a(const char *s, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Rebuilds the slot table with nslots entries (a power of two larger than n). */
static int rehash(wr_vocab *v, int nslots) {
    int *slots = wr__realloc_array(NULL, (size_t)nslots, sizeof(int));
    if (!slots) return -1;
    for (int i = 0; i < nslots; i++) slots[i] = -1;
    uint32_t mask = (uint32_t)nslots - 1;
    for (int id = 0; id < v->n; id++) {
        uint32_t h = fnv1a(v->keys[id], strlen(v->keys[id])) & mask;
        while (slots[h] >= 0) h = (h + 1) & mask;
        slots[h] = id;
    }
    free(v->slots);
    v->slots = slots;
    v->nslots = nslots;
    return 0;
}

int wr__vocab_find(const wr_vocab *v, const char *key, size_t len) {
    /* no stored key holds a NUL; checked first, so strncmp below never stops early in key and
     * then reads k[len] past a shorter stored key */
    if (!v->nslots || memchr(key, 0, len)) return -1;
    uint32_t mask = (uint32_t)v->nslots - 1, h = fnv1a(key, len) & mask;
    for (;;) {
        int id = v->slots[h];
        if (id < 0) return -1;
        const char *k = v->keys[id];
        if (strncmp(k, key, len) == 0 && k[len] == 0) return id;
        h = (h + 1) & mask;
    }
}

int wr__vocab_add(wr_vocab *v, const char *key, size_t len) {
    if (memchr(key, 0, len)) return -1; /* callers check ids first; a NUL would be cut */
    int id = wr__vocab_find(v, key, len);
    if (id >= 0) return id;
    if (v->n >= (1 << 30)) return -1; /* ids must stay ints; far beyond any real catalogue */
    /* keep the load factor at most 1/2 so probes stay short */
    if ((int64_t)(v->n + 1) * 2 > v->nslots && rehash(v, v->nslots ? v->nslots * 2 : 64) < 0) return -1;
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 16;
        char **keys = wr__realloc_array(v->keys, (size_t)cap, sizeof(char *));
        if (!keys) return -1;
        v->keys = keys;
        v->cap = cap;
    }
    char *copy = wr__strndup(key, len);
    if (!copy) return -1;
    id = v->n++;
    v->keys[id] = copy;
    uint32_t mask = (uint32_t)v->nslots - 1, h = fnv1a(key, len) & mask;
    while (v->slots[h] >= 0) h = (h + 1) & mask;
    v->slots[h] = id;
    return id;
}

int wr__vocab_copy(wr_vocab *dst, const wr_vocab *src) {
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < src->n; i++) {
        if (wr__vocab_add(dst, src->keys[i], strlen(src->keys[i])) != i) {
            wr__vocab_free(dst);
            return -1;
        }
    }
    return 0;
}

void wr__vocab_free(wr_vocab *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) free(v->keys[i]);
    free(v->keys);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

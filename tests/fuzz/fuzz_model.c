/* fuzz_model.c: wr_model_load on a model file's bytes, then everything fz_use_model does with
 * what loaded (vocabulary, score, recommend, explain, attention, item map, vectors, visitor,
 * stages, leave-one-out and held-out evaluation on the demo store, save and reload; adding a
 * session and fine-tuning, chosen by the file's last byte).
 * Built twice: fuzz_model takes the bytes as they are; fuzz_model_header (FZ_FIX_HEADER) first
 * sets the 8-byte header length to where the header's JSON object ends, so that inserting and
 * removing bytes in the header keeps a file the parser reads past its first check. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *bytes = data;
    uint8_t *copy = NULL;
#ifdef FZ_FIX_HEADER
    if (size < 8) return 0;
    bytes = copy = fz_fix_header(data, size);
#endif
    wr_ctx *ctx = fz_ctx();
    wr_model *m = NULL;
    int rc = fz_status(wr_model_load(ctx, bytes, size, "fuzz.safetensors", &m));
    FZ_CHECK((rc == WR_OK) == (m != NULL));
    fz_note("load", rc);
    if (rc == WR_OK) {
        const unsigned flags = size ? data[size - 1] : 0;
        fz_use_model(m, fz_data(1), flags, 0);
        wr_model_free(m);
    }
    free(copy);
    return 0;
}

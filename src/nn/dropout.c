/* dropout.c: inverted dropout (scaled at training time, so evaluation is the identity). The
 * keep mask is a forward output, so backward needs no randomness. The mask comes from one seed
 * drawn from the caller's stream: elements 2k and 2k + 1 keep when the top and the next 24 bits
 * of splitmix64's k-th output from that seed are at least p 2^24. Counter-based, so threads take
 * spans of elements (wr__parallel_for) and every thread count gives the same mask; it is also
 * faster on one thread than a call to the stream per element. */
#include <string.h>

#include "../core/core.h"
#include "nn.h"

typedef struct {
    float *out, *dinp;
    unsigned char *mask;       /* forward writes it */
    const unsigned char *keep; /* backward reads it */
    const float *inp, *res, *dout;
    uint64_t seed;
    uint32_t threshold;
    float keep_scale;
} drop_job;

static void forward_span(void *arg, int lo, int hi) {
    const drop_job *j = arg;
    unsigned char *restrict mask = j->mask;
    float *out = j->out; /* may be inp */
    const float *inp = j->inp, scale = j->keep_scale;
    for (int i = lo; i < hi; i += 2) { /* lo is even: one 64-bit output gives elements i and i + 1 */
        uint64_t z = j->seed + (uint64_t)(i / 2 + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        mask[i] = (uint32_t)(z >> 40) >= j->threshold; // kept with probability 1 - p
        if (i + 1 < hi) mask[i + 1] = ((uint32_t)(z >> 8) & 0xFFFFFFu) >= j->threshold;
    }
    // a multiply, not a branch on the random mask: vectorised and never mispredicted
    if (j->res)
        for (int i = lo; i < hi; i++) out[i] = j->res[i] + inp[i] * (mask[i] ? scale : 0.0f);
    else
        for (int i = lo; i < hi; i++) out[i] = inp[i] * (mask[i] ? scale : 0.0f);
}

static void add_span(void *arg, int lo, int hi) {
    const drop_job *j = arg;
    for (int i = lo; i < hi; i++) j->out[i] = j->res[i] + j->inp[i];
}

void wr_dropout_forward(float *out, unsigned char *mask, const float *inp, const float *res, float p,
                        int train, wr_rng *rng, int N) {
    // out (N), mask (N), inp (N), res (N) or NULL
    if (p <= 0.0f || !train) {
        drop_job j = {.out = out, .inp = inp, .res = res};
        if (res) wr__parallel_for(N, 1024, 2.0 * N, add_span, &j);
        else if (out != inp) memmove(out, inp, (size_t)N * sizeof(float));
        memset(mask, 1, (size_t)N);
        return;
    }
    double t = (double)p * 16777216.0;
    drop_job j = {.out = out, .mask = mask, .inp = inp, .res = res, .seed = wr__rng_u64(rng), .keep_scale = 1.0f / (1.0f - p),
                  .threshold = (uint32_t)t + ((double)(uint32_t)t < t)}; // ceil(p 2^24): u >= p for u = bits / 2^24
    wr__parallel_for(N, 1024, 8.0 * N, forward_span, &j); /* even part boundaries */
}

static void backward_span(void *arg, int lo, int hi) {
    const drop_job *j = arg;
    float *restrict dinp = j->dinp;
    const float *restrict dout = j->dout, scale = j->keep_scale;
    const unsigned char *restrict keep = j->keep;
    for (int i = lo; i < hi; i++) dinp[i] = dout[i] * (keep[i] ? scale : 0.0f);
}

void wr_dropout_backward(float *dinp, const float *dout, const unsigned char *mask, float p, int N) {
    // dinp (N), dout (N), mask (N)
    drop_job j = {.dinp = dinp, .dout = dout, .keep = mask, .keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f};
    wr__parallel_for(N, 1024, 2.0 * N, backward_span, &j);
}

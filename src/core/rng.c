/* rng.c: xoshiro256** seeded by splitmix64, and libm-free log for portable normals.
 * Every random bit of the engine comes from here, so native and wasm runs agree. */
#include <math.h>

#include "core.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void wr__rng_seed(wr_rng *rng, uint64_t seed) {
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t wr__rng_u64(wr_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t wr__rng_below(wr_rng *rng, uint32_t n) {
    /* Lemire's multiply-shift with rejection: unbiased and division-free on the fast path. */
    uint64_t m = (uint64_t)(uint32_t)(wr__rng_u64(rng) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)(uint32_t)(wr__rng_u64(rng) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float wr__rng_float(wr_rng *rng) { return (float)(wr__rng_u64(rng) >> 40) * (1.0f / 16777216.0f); }

double wr__log(double x) {
    int e;
    double m = frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
    if (m < 0.70710678118654752) {
        m *= 2.0;
        e -= 1;
    }
    /* log(m) = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172: the series converges in ~12 terms. */
    double t = (m - 1.0) / (m + 1.0), t2 = t * t, term = t, sum = 0.0;
    for (int k = 1; k < 40; k += 2) {
        sum += term / k;
        term *= t2;
    }
    return 2.0 * sum + e * 0.69314718055994530942;
}

float wr__rng_normal(wr_rng *rng) {
    for (;;) {
        double u = 2.0 * ((double)(wr__rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0)) - 1.0;
        double v = 2.0 * ((double)(wr__rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0)) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) return (float)(u * sqrt(-2.0 * wr__log(s) / s));
    }
}

/* gru.c: a GRU layer through time, GRU4Rec's cell (the reset gate scales the previous state
 * before Wh, Cho et al. 2014, as GRU4Rec's official code does), with a reset mask so that the
 * hidden state starts from zero at every session boundary and no gradient crosses it
 * (session-parallel mini-batches: a row of the batch switches to a new session mid-batch).
 * Time-major tensors (T,B,.): step t is one gemm over its B contiguous rows. */
#include <string.h>

#include "../kernels/kernels.h"
#include "nn.h"

static float sigmoidf(float x) {
    return 1.0f / (1.0f + wr_expf(-x));
}

static float tanh_f(float x) {
    return 1.0f - 2.0f / (wr_expf(2.0f * x) + 1.0f);
}

void wr_gru_forward(float *h, float *hprev, float *rz, float *c, float *hr, const float *xg,
                    const unsigned char *reset, const float *h0, const float *Wrz, const float *Wh,
                    int T, int B, int G) {
    // h, hprev, c, hr (T,B,G); rz (T,B,2G); xg (T,B,3G) = [c | r | z]; reset (T,B) or NULL;
    // h0 (B,G) or NULL; Wrz (2G,G); Wh (G,G)
    size_t BG = (size_t)B * G;
    for (int t = 0; t < T; t++) {
        float *hp = hprev + t * BG, *rz_t = rz + t * 2 * BG, *c_t = c + t * BG, *hr_t = hr + t * BG;
        float *h_t = h + t * BG;
        const float *xg_t = xg + t * 3 * BG;
        const float *from = t > 0 ? h + (t - 1) * BG : h0;
        for (int b = 0; b < B; b++) {
            float *hp_b = hp + (size_t)b * G;
            if (!from || (reset && reset[t * B + b])) memset(hp_b, 0, (size_t)G * sizeof(float));
            else memcpy(hp_b, from + (size_t)b * G, (size_t)G * sizeof(float));
        }
        wr_gemm_nt(rz_t, hp, Wrz, B, 2 * G, G, 0); // hp (B,G) Wrz^T -> (B,2G)
        for (int b = 0; b < B; b++) {
            float *rz_b = rz_t + (size_t)b * 2 * G, *hr_b = hr_t + (size_t)b * G;
            const float *xg_b = xg_t + (size_t)b * 3 * G, *hp_b = hp + (size_t)b * G;
            for (int j = 0; j < 2 * G; j++) rz_b[j] = sigmoidf(rz_b[j] + xg_b[G + j]);
            for (int j = 0; j < G; j++) hr_b[j] = rz_b[j] * hp_b[j];
        }
        wr_gemm_nt(c_t, hr_t, Wh, B, G, G, 0);
        for (int b = 0; b < B; b++) {
            float *c_b = c_t + (size_t)b * G, *h_b = h_t + (size_t)b * G;
            const float *xg_b = xg_t + (size_t)b * 3 * G, *hp_b = hp + (size_t)b * G;
            const float *z_b = rz_t + (size_t)b * 2 * G + G;
            for (int j = 0; j < G; j++) {
                c_b[j] = tanh_f(c_b[j] + xg_b[j]);
                h_b[j] = (1.0f - z_b[j]) * hp_b[j] + z_b[j] * c_b[j];
            }
        }
    }
}

void wr_gru_backward(float *dxg, float *dWrz, float *dWh, float *dh0, float *scratch,
                     const float *dh, const float *hprev, const float *rz, const float *c,
                     const float *hr, const unsigned char *reset, const float *Wrz, const float *Wh,
                     int T, int B, int G) {
    size_t BG = (size_t)B * G;
    // scratch: g (B,G) total gradient at h[t]; carry (B,G) gradient into hprev[t], i.e. h[t-1];
    // dac (B,G) at c's pre-activation; darz (B,2G) at the gates' pre-activations; dhr (B,G)
    float *g = scratch, *carry = g + BG, *dac = carry + BG, *darz = dac + BG, *dhr = darz + 2 * BG;
    memset(carry, 0, BG * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        const float *hp = hprev + t * BG, *rz_t = rz + t * 2 * BG, *c_t = c + t * BG;
        const float *hr_t = hr + t * BG, *dh_t = dh + t * BG;
        float *dxg_t = dxg + t * 3 * BG;
        for (size_t i = 0; i < BG; i++) g[i] = dh_t[i] + carry[i];
        // h = (1-z) hp + z c: dc = g z, dz = g (c - hp), dhp = g (1-z)
        for (int b = 0; b < B; b++) {
            const float *g_b = g + (size_t)b * G, *c_b = c_t + (size_t)b * G, *hp_b = hp + (size_t)b * G;
            const float *z_b = rz_t + (size_t)b * 2 * G + G;
            float *dac_b = dac + (size_t)b * G, *dz_b = darz + (size_t)b * 2 * G + G;
            float *carry_b = carry + (size_t)b * G;
            for (int j = 0; j < G; j++) {
                dac_b[j] = g_b[j] * z_b[j] * (1.0f - c_b[j] * c_b[j]);
                float dz = g_b[j] * (c_b[j] - hp_b[j]);
                dz_b[j] = dz * z_b[j] * (1.0f - z_b[j]);
                carry_b[j] = g_b[j] * (1.0f - z_b[j]);
            }
        }
        // c = tanh(xg_c + hr Wh^T)
        memset(dhr, 0, BG * sizeof(float));
        wr_gemm_nn(dhr, dac, Wh, B, G, G, 1);   // dac (B,G) Wh (G,G)
        wr_gemm_tn(dWh, dac, hr_t, G, G, B, 1); // dac^T (G,B) hr (B,G)
        // hr = r hp: dr = dhr hp, dhp += dhr r
        for (int b = 0; b < B; b++) {
            const float *dhr_b = dhr + (size_t)b * G, *hp_b = hp + (size_t)b * G;
            const float *r_b = rz_t + (size_t)b * 2 * G;
            float *dr_b = darz + (size_t)b * 2 * G, *carry_b = carry + (size_t)b * G;
            for (int j = 0; j < G; j++) {
                dr_b[j] = dhr_b[j] * hp_b[j] * r_b[j] * (1.0f - r_b[j]);
                carry_b[j] += dhr_b[j] * r_b[j];
            }
        }
        // [r z] = sigmoid(xg_rz + hp Wrz^T)
        wr_gemm_nn(carry, darz, Wrz, B, G, 2 * G, 1);    // darz (B,2G) Wrz (2G,G)
        wr_gemm_tn(dWrz, darz, hp, 2 * G, G, B, 1);      // darz^T (2G,B) hp (B,G)
        for (int b = 0; b < B; b++) {
            float *dxg_b = dxg_t + (size_t)b * 3 * G;
            wr_axpy(dxg_b, 1.0f, dac + (size_t)b * G, G);
            wr_axpy(dxg_b + G, 1.0f, darz + (size_t)b * 2 * G, 2 * G);
            // a reset cuts the chain: hprev was zero, not h[t-1]
            if (reset && reset[t * B + b]) memset(carry + (size_t)b * G, 0, (size_t)G * sizeof(float));
        }
    }
    if (dh0)
        for (size_t i = 0; i < BG; i++) dh0[i] += carry[i];
}

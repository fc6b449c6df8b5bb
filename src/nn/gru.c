/* gru.c: PyTorch's GRU cell (torch.nn.GRU, gates r, z, n), the one GRU4Rec's model files store
 * as w_ih, w_hh, b_ih, b_hh. One step over B rows is the unit: GRU4Rec trains one step at a time
 * with no backpropagation through time; the layer through time (time-major (T,B,.), a reset
 * mask so the state starts from zero at every session boundary and no gradient crosses it) is
 * that step in a loop. */
#include <string.h>

#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

/* The gates over threads (wr__parallel_for): rows (lanes) are independent, each computed as on
 * one thread. */
typedef struct {
    float *h, *gates_out, *dxg, *dhp, *dgh; /* forward writes h and the gates; backward the rest */
    const float *gates, *xg, *gh, *hp, *dh;
    int G;
} gate_job;

static void gates_forward(void *arg, int lo, int hi) {
    const gate_job *g = arg;
    const int G = g->G;
    /* sigmoid(x) = 1 / (1 + exp(-x)) and tanh(a) = 2 sigmoid(2a) - 1 in passes over each row, so
     * the exps go through the 4-lane exp (the same bits as the scalar wr_expf) */
    for (int i = lo; i < hi; i++) {
        const float *xg_i = g->xg + (size_t)i * 3 * G, *gh_i = g->gh + (size_t)i * 3 * G, *hp_i = g->hp + (size_t)i * G;
        float *r = g->gates_out + (size_t)i * 3 * G, *z = r + G, *n = z + G, *h_i = g->h + (size_t)i * G;
        for (int j = 0; j < 2 * G; j++) r[j] = -(xg_i[j] + gh_i[j]); /* r and z, side by side */
        wr__exp_array(r, r, 2 * G);
        for (int j = 0; j < 2 * G; j++) r[j] = 1.0f / (1.0f + r[j]);
        for (int j = 0; j < G; j++) n[j] = -(2.0f * (xg_i[2 * G + j] + r[j] * gh_i[2 * G + j]));
        wr__exp_array(n, n, G);
        for (int j = 0; j < G; j++) n[j] = 2.0f * (1.0f / (1.0f + n[j])) - 1.0f;
        for (int j = 0; j < G; j++) h_i[j] = (1.0f - z[j]) * n[j] + z[j] * hp_i[j];
    }
}

void wr_gru_step_forward(float *h, float *gh, float *gates, const float *xg, const float *hp,
                         const float *W, const float *b, int B, int G) {
    // h, hp (B,G); gh, gates, xg (B,3G); W (3G,G); b (3G)
    wr_linear_forward(gh, hp, W, b, B, G, 3 * G);
    gate_job j = {.h = h, .gates_out = gates, .xg = xg, .gh = gh, .hp = hp, .G = G};
    wr__parallel_for(B, 1, 40.0 * B * G, gates_forward, &j);
}

static void gates_backward(void *arg, int lo, int hi) {
    const gate_job *g = arg;
    const int G = g->G;
    for (int i = lo; i < hi; i++) {
        const float *r = g->gates + (size_t)i * 3 * G, *z = r + G, *n = z + G;
        const float *dh_i = g->dh + (size_t)i * G, *hp_i = g->hp + (size_t)i * G, *ghn = g->gh + (size_t)i * 3 * G + 2 * G;
        float *dxg_i = g->dxg + (size_t)i * 3 * G, *dgh_i = g->dgh + (size_t)i * 3 * G;
        for (int j = 0; j < G; j++) {
            // h = (1-z) n + z hp;  n = tanh(xg_n + r gh_n);  r, z = sigmoid(xg + gh)
            float dn = dh_i[j] * (1.0f - z[j]) * (1.0f - n[j] * n[j]);
            float dz = dh_i[j] * (hp_i[j] - n[j]) * z[j] * (1.0f - z[j]);
            float dr = dn * ghn[j] * r[j] * (1.0f - r[j]);
            dxg_i[j] += dr, dxg_i[G + j] += dz, dxg_i[2 * G + j] += dn;
            dgh_i[j] = dr, dgh_i[G + j] = dz, dgh_i[2 * G + j] = dn * r[j];
            if (g->dhp) g->dhp[(size_t)i * G + j] += dh_i[j] * z[j];
        }
    }
}

void wr_gru_step_backward(float *dxg, float *dhp, float *dW, float *db, float *scratch,
                          const float *dh, const float *hp, const float *gh, const float *gates,
                          const float *W, int B, int G) {
    // dxg (B,3G), dhp (B,G) or NULL, dW (3G,G), db (3G); scratch (B,3G) = the gradient at gh
    gate_job j = {.gates = gates, .dxg = dxg, .dhp = dhp, .dgh = scratch, .gh = gh, .hp = hp, .dh = dh, .G = G};
    wr__parallel_for(B, 1, 16.0 * B * G, gates_backward, &j);
    wr_linear_backward(NULL, dW, db, scratch, hp, W, B, G, 3 * G);
    if (dhp) wr_gemm_nn(dhp, scratch, W, B, G, 3 * G, 1); /* onto the gates' share above */
}

void wr_gru_forward(float *h, float *hprev, float *gh, float *gates, const float *xg,
                    const unsigned char *reset, const float *h0, const float *W, const float *b,
                    int T, int B, int G) {
    // h, hprev (T,B,G); gh, gates, xg (T,B,3G); reset (T,B) or NULL; h0 (B,G) or NULL
    size_t BG = (size_t)B * G;
    for (int t = 0; t < T; t++) {
        float *hp = hprev + t * BG;
        const float *from = t > 0 ? h + (t - 1) * BG : h0;
        for (int i = 0; i < B; i++) {
            if (!from || (reset && reset[t * B + i])) memset(hp + (size_t)i * G, 0, (size_t)G * sizeof(float));
            else memcpy(hp + (size_t)i * G, from + (size_t)i * G, (size_t)G * sizeof(float));
        }
        wr_gru_step_forward(h + t * BG, gh + t * 3 * BG, gates + t * 3 * BG, xg + t * 3 * BG, hp, W, b, B, G);
    }
}

void wr_gru_backward(float *dxg, float *dW, float *db, float *dh0, float *scratch,
                     const float *dh, const float *hprev, const float *gh, const float *gates,
                     const unsigned char *reset, const float *W, int T, int B, int G) {
    // scratch: g (B,G) the total gradient at h[t]; carry (B,G) the gradient into h[t-1]; (B,3G)
    size_t BG = (size_t)B * G;
    float *g = scratch, *carry = g + BG;
    memset(carry, 0, BG * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        for (size_t i = 0; i < BG; i++) g[i] = dh[t * BG + i] + carry[i];
        memset(carry, 0, BG * sizeof(float));
        wr_gru_step_backward(dxg + t * 3 * BG, carry, dW, db, carry + BG, g, hprev + t * BG, gh + t * 3 * BG,
                             gates + t * 3 * BG, W, B, G);
        for (int i = 0; i < B; i++) // a reset cuts the chain: hprev was zero, not h[t-1]
            if (reset && reset[t * B + i]) memset(carry + (size_t)i * G, 0, (size_t)G * sizeof(float));
    }
    if (dh0)
        for (size_t i = 0; i < BG; i++) dh0[i] += carry[i];
}

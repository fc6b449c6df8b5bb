/* check.h: the C tests' assertions. A failed CHECK prints file:line and the expression, and the
 * program exits nonzero at the end (TEST_END), so `make test` fails. */
#ifndef WR_CHECK_H
#define WR_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        check_count++;                                                                 \
        if (!(cond)) {                                                                 \
            check_failures++;                                                          \
            printf("%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);            \
        }                                                                              \
    } while (0)

/* |a - b| <= atol + rtol * |b| (llm.c's t_eff) */
#define CHECK_CLOSE(a, b, atol, rtol)                                                  \
    do {                                                                               \
        double check_a_ = (a), check_b_ = (b);                                         \
        check_count++;                                                                 \
        if (!(fabs(check_a_ - check_b_) <= (atol) + (rtol)*fabs(check_b_))) {          \
            check_failures++;                                                          \
            printf("%s:%d: CHECK_CLOSE failed: %s = %.9g, %s = %.9g\n", __FILE__,      \
                   __LINE__, #a, check_a_, #b, check_b_);                              \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        const char *check_a_ = (a), *check_b_ = (b);                                   \
        check_count++;                                                                 \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {               \
            check_failures++;                                                          \
            printf("%s:%d: CHECK_STR failed: %s = \"%s\", expected \"%s\"\n", __FILE__,\
                   __LINE__, #a, check_a_ ? check_a_ : "(null)",                       \
                   check_b_ ? check_b_ : "(null)");                                    \
        }                                                                              \
    } while (0)

/* s contains the substring sub (for error messages naming line and field). */
#define CHECK_CONTAINS(s, sub)                                                         \
    do {                                                                               \
        const char *check_s_ = (s);                                                    \
        check_count++;                                                                 \
        if (!check_s_ || !strstr(check_s_, (sub))) {                                   \
            check_failures++;                                                          \
            printf("%s:%d: CHECK_CONTAINS failed: \"%s\" does not contain \"%s\"\n",   \
                   __FILE__, __LINE__, check_s_ ? check_s_ : "(null)", (sub));          \
        }                                                                              \
    } while (0)

/* Central finite differences of loss(arg) for every one of the n weights p, against the
 * analytic gradient g (copied before the loop): counts the weights whose numeric and analytic
 * derivatives differ by more than atol + rtol * |numeric| (printing the first few) and, in
 * *nonzero, those whose numeric derivative is not ~0 (so a test can insist the check saw real
 * gradients). */
static inline int check_gradients(float *p, const float *g, size_t n, double (*loss)(void *), void *arg, float eps,
                           double atol, double rtol, const char *label, int *nonzero) {
    int bad = 0;
    *nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = p[i];
        p[i] = keep + eps;
        double up = loss(arg);
        p[i] = keep - eps;
        double down = loss(arg);
        p[i] = keep;
        double num = (up - down) / (2 * eps);
        *nonzero += fabs(num) > 1e-4;
        if (fabs(num - g[i]) > atol + rtol * fabs(num) && bad++ < 8)
            printf("  %s: weight %zu: numeric %.6f analytic %.6f\n", label, i, num, g[i]);
    }
    return bad;
}

#ifdef __wasm__
#define CHECK_BUILD "wasm"
#else
#define CHECK_BUILD "native"
#endif

#define TEST_END(name)                                                                 \
    do {                                                                               \
        printf("%s [%s]: %d checks, %d failed\n", (name), CHECK_BUILD, check_count,    \
               check_failures);                                                        \
        return check_failures ? 1 : 0;                                                 \
    } while (0)

#endif

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

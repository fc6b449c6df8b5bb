/* threads.c: the thread pool behind wr__parallel_for (core.h): one job at a time, split into
 * parts that the calling thread and the helper threads take.
 *
 * Natively the helpers are pthreads started by wr_threads_set. In the wasm build the module
 * cannot start threads: the binding (wasm/threads.mjs) instantiates the same module in workers
 * over the shared memory, and each one calls wr_thread_main, which never returns. The
 * single-thread wasm build (no -matomics) has no helpers: wr_threads_set returns 1.
 *
 * Parts are claimed, not assigned: the caller and any helper that is awake take parts until none
 * is left, so a helper the system has not scheduled yet (a busy machine, a worker that is still
 * starting) never holds the caller up, and the caller alone finishes a job when no helper runs.
 * Each thread claims its own part first (part k for thread k, the caller being 0) and then any
 * part left: consecutive jobs over the same rows then run each row on the same core, whose cache
 * holds what the last job wrote there (when the part a thread took changed from job to job, the
 * rows moved between the cores' caches). A part's range depends only on the number of parts, so
 * results do not depend on who ran it. The claim word carries the job's generation: a helper
 * that wakes late cannot take a part of a newer job with the fields of an older one, and the
 * caller rewrites the fields only after every claimed part is done. */
#define _DEFAULT_SOURCE /* syscall() */
#include <stdatomic.h>
#include <string.h>

#include "core.h"

#if defined(__wasm__) && defined(__wasm_atomics__)
#define WR_POOL 1
#elif defined(__wasm__)
#define WR_POOL 0
#else
#define WR_POOL 1
#include <pthread.h>
#include <sched.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

#define WR_MAX_THREADS 64
#define WR_MAX_PARTS 32 /* bits of the claim word; threads beyond it take the parts left */
#define WR_SPINS 20000 /* atomic loads before a helper sleeps: a training step's next gemm comes sooner */

static struct {
    atomic_int gen;          /* bumped once per job: what sleeping helpers wait on */
    _Atomic uint64_t claim;  /* generation << 32 | bit k set: part k taken (or no part k) */
    atomic_int done;         /* parts finished */
    atomic_int busy;         /* a job is running: nested or concurrent calls run alone */
    atomic_int registered;   /* helpers in their loop; a helper's number is its order here */
    atomic_int sleepers;     /* helpers asleep on gen: a job wakes them only when there are some */
    atomic_int quit;         /* native: helpers leave their loop */
    int threads;             /* threads a job is split over, counting the caller */
    wr__range_fn fn;
    void *arg;
    int n, grain, parts;
} pool = {.threads = 1};

#if WR_POOL
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void wait_while(atomic_int *p, int v) {
#if defined(__wasm__)
    __builtin_wasm_memory_atomic_wait32((int *)p, v, -1);
#elif defined(__linux__)
    syscall(SYS_futex, (int *)p, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
#else
    (void)p; (void)v;
    sched_yield();
#endif
}

static void wake_all(atomic_int *p) {
#if defined(__wasm__)
    __builtin_wasm_memory_atomic_notify((int *)p, (unsigned)-1);
#elif defined(__linux__)
    syscall(SYS_futex, (int *)p, FUTEX_WAKE_PRIVATE, WR_MAX_THREADS, NULL, NULL, 0);
#else
    (void)p;
#endif
}

/* runs parts of job g, thread self's own part first, until none is left (or the job is no
 * longer g) */
static void take_parts(uint32_t g, int self) {
    uint64_t w = atomic_load(&pool.claim);
    for (;;) {
        const uint32_t left = ~(uint32_t)w;
        if ((uint32_t)(w >> 32) != g || !left) return;
        const int k = self < WR_MAX_PARTS && (left >> self & 1) ? self : __builtin_ctz(left);
        if (!atomic_compare_exchange_weak(&pool.claim, &w, w | 1u << k)) continue; /* w reloaded */
        /* the part's range: boundaries on multiples of grain, parts as equal as that allows (the
         * fields are this job's: claimed, it cannot end before this part is done) */
        const int units = (pool.n + pool.grain - 1) / pool.grain, parts = pool.parts;
        const int u0 = (int)((int64_t)units * k / parts), u1 = (int)((int64_t)units * (k + 1) / parts);
        const int lo = u0 * pool.grain, hi = u1 * pool.grain < pool.n ? u1 * pool.grain : pool.n;
        if (lo < hi) pool.fn(pool.arg, lo, hi);
        atomic_fetch_add(&pool.done, 1);
        w = atomic_load(&pool.claim);
    }
}

void wr_thread_main(void) {
    int seen = atomic_load(&pool.gen);
    const int self = atomic_fetch_add(&pool.registered, 1) + 1;
    for (;;) {
        int g = atomic_load(&pool.gen);
        for (int s = 0; g == seen && s < WR_SPINS; s++) {
            cpu_relax();
            g = atomic_load(&pool.gen);
        }
        if (g == seen) {
            /* counted before the wait, which sleeps only while gen is still seen: a job either
             * sees this helper among the sleepers or changed gen before it slept */
            atomic_fetch_add(&pool.sleepers, 1);
            while (g == seen) {
                wait_while(&pool.gen, seen);
                g = atomic_load(&pool.gen);
            }
            atomic_fetch_sub(&pool.sleepers, 1);
        }
        seen = g;
        if (atomic_load(&pool.quit)) break;
        take_parts((uint32_t)g, self);
    }
    atomic_fetch_sub(&pool.registered, 1);
}

/* publishes the job in pool's fields, takes parts itself and waits until all are done */
static void run_job(int parts) {
    const uint32_t g = (uint32_t)atomic_load(&pool.gen) + 1;
    atomic_store(&pool.done, 0);
    pool.parts = parts;
    /* the bits from parts up stand for parts that do not exist: taken */
    atomic_store(&pool.claim, (uint64_t)g << 32 | (parts < WR_MAX_PARTS ? ~0u << parts : 0u));
    atomic_store(&pool.gen, (int)g);
    if (atomic_load(&pool.sleepers)) wake_all(&pool.gen); /* natively a system call: most jobs find every helper spinning */
    take_parts(g, 0);
    for (int s = 0; atomic_load(&pool.done) < parts; s++) {
        cpu_relax();
#if !defined(__wasm__)
        if (s > WR_SPINS) sched_yield();
#endif
    }
}
#else
void wr_thread_main(void) {}
#endif

void wr__parallel_for(int n, int grain, double work, wr__range_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    const int units = (n + grain - 1) / grain;
    int parts = pool.threads < units ? pool.threads : units;
    if (parts > WR_MAX_PARTS) parts = WR_MAX_PARTS;
    const double per = work / WR_PARALLEL_MIN_WORK; /* parts worth their start-up */
    if (per < parts) parts = per < 1 ? 1 : (int)per;
    int expected = 0;
    if (!WR_POOL || parts <= 1 || !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
        fn(arg, 0, n);
        return;
    }
#if WR_POOL
    pool.fn = fn;
    pool.arg = arg;
    pool.n = n;
    pool.grain = grain;
    run_job(parts);
    atomic_store(&pool.busy, 0);
#endif
}

#define WR_ZERO_SPAN 16384 /* floats in a unit of wr__zero */

typedef struct {
    float *x;
    size_t n;
} zero_job;

static void zero_spans(void *arg, int lo, int hi) {
    const zero_job *z = arg;
    const size_t a = (size_t)lo * WR_ZERO_SPAN, b = (size_t)hi * WR_ZERO_SPAN < z->n ? (size_t)hi * WR_ZERO_SPAN : z->n;
    memset(z->x + a, 0, (b - a) * sizeof(float));
}

void wr__zero(float *x, size_t n) {
    if (n / WR_ZERO_SPAN >= 0x7fffffff) { /* more units than an int counts: one thread */
        memset(x, 0, n * sizeof(float));
        return;
    }
    zero_job z = {x, n};
    wr__parallel_for((int)((n + WR_ZERO_SPAN - 1) / WR_ZERO_SPAN), 1, (double)n, zero_spans, &z);
}

#if WR_POOL && !defined(__wasm__)
static pthread_t helpers[WR_MAX_THREADS];
static int started; /* native helpers running */

static void *helper_main(void *unused) {
    (void)unused;
    wr_thread_main();
    return NULL;
}

/* stops every native helper (the caller holds busy) */
static void stop_helpers(void) {
    if (!started) return;
    atomic_store(&pool.quit, 1);
    atomic_fetch_add(&pool.gen, 1);
    wake_all(&pool.gen);
    for (int i = 1; i <= started; i++) pthread_join(helpers[i], NULL);
    atomic_store(&pool.quit, 0);
    started = 0;
}
#endif

int wr_threads_set(int n) {
    if (n < 1) n = 1;
    if (n > WR_MAX_THREADS) n = WR_MAX_THREADS;
#if WR_POOL
    int expected = 0;
    while (!atomic_compare_exchange_weak(&pool.busy, &expected, 1)) expected = 0;
#if !defined(__wasm__)
    if (started != n - 1) {
        stop_helpers();
        while (started < n - 1 &&
               pthread_create(&helpers[started + 1], NULL, helper_main, NULL) == 0)
            started++;
        while (atomic_load(&pool.registered) < started) sched_yield();
    }
#endif
    /* wasm: the helpers the binding started and that reached their loop */
    const int have = atomic_load(&pool.registered) + 1;
    pool.threads = n < have ? n : have;
    atomic_store(&pool.busy, 0);
#else
    pool.threads = 1;
#endif
    return pool.threads;
}

int wr_threads(void) { return pool.threads; }

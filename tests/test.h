/* A minimal test harness: TEST(name) functions, CHECK macros that report
 * file and line, and a main that runs them all and prints
 * "N passed, N failed". */
#ifndef AXON_TEST_H
#define AXON_TEST_H

#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
typedef struct test_case {
    const char *name;
    test_fn fn;
} test_case;

extern int test_failures; /* failed checks in the running test */

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stdout, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        ax_status st_ = (expr);                                                                    \
        if (st_ != AX_OK) {                                                                        \
            fprintf(stdout, "  %s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #expr,            \
                    ax_status_str(st_), ax_last_error());                                          \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol, printing both values when it fails. */
#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            fprintf(stdout, "  %s:%d: %s = %.9g, expected %s = %.9g (tol %g)\n", __FILE__,         \
                    __LINE__, #a, a_, #b, b_, (double)(tol));                                      \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

/* The status and a message containing `needle`. */
#define CHECK_ERR(expr, status, needle)                                                            \
    do {                                                                                           \
        ax_status st_ = (expr);                                                                    \
        if (st_ != (status) || !strstr(ax_last_error(), (needle))) {                               \
            fprintf(stdout, "  %s:%d: %s gave %s \"%s\", expected %s with \"%s\"\n", __FILE__,     \
                    __LINE__, #expr, ax_status_str(st_), ax_last_error(),                          \
                    ax_status_str(status), (needle));                                              \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

int test_main(const test_case *tests, int n);

/* Fails the running test when a program's output holds a sanitizer
 * report (a test expecting an error exit must not take one for it). */
void check_no_sanitizer_report(const char *output, const char *command);

/* n samples of four noisy blobs in 12-D, as bytes: class c is bright in
 * features 3c..3c+2 (the training tests' data set). */
/* A temporary folder of this test process's (made on first use), and a
 * file `name` written there with `text`: its path, valid for the next
 * three calls. */
const char *test_dir(void);
const char *test_write_file(const char *name, const char *text);

ax_dataset *test_blobs(int n, uint64_t seed);

#define TEST_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        static const test_case tests_[] = {__VA_ARGS__};                                           \
        return test_main(tests_, (int)(sizeof tests_ / sizeof tests_[0]));                         \
    }
#define T(fn) {#fn, fn}

#endif

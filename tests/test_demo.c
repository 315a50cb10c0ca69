/* The demo program end to end: bad data files give one clear line and a
 * non-zero exit; two runs with the same seed print the same losses. */
#define _GNU_SOURCE
#include "test.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char demo[512], dir[64];

/* Run the demo with args; capture stdout+stderr; return the exit status. */
static int run_demo(const char *args, char *out, size_t len)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", demo, args);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, len - 1, p) : 0;
    out[n] = '\0';
    int st = p ? pclose(p) : -1;
    check_no_sanitizer_report(out, args);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void write_idx(const char *name, int type, int ndim, const uint32_t *dims, const uint8_t *data,
                      size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile f = gzopen(path, "wb");
    unsigned char h[4 + 4 * 4] = {0, 0, (unsigned char)type, (unsigned char)ndim};
    for (int i = 0; i < ndim; i++)
        for (int b = 0; b < 4; b++)
            h[4 + 4 * i + b] = (unsigned char)(dims[i] >> (24 - 8 * b));
    gzwrite(f, h, 4 + 4 * (unsigned)ndim);
    if (n)
        gzwrite(f, data, (unsigned)n);
    gzclose(f);
}

/* A complete small data set: 20 training and 10 test images of 28x28. */
static void write_small_set(int bad_label, int labels_short, int truncate)
{
    static uint8_t pixels[20 * 784], labels[20];
    for (int i = 0; i < 20; i++)
        labels[i] = (uint8_t)(i % 10);
    if (bad_label)
        labels[5] = 10;
    write_idx("train-images-idx3-ubyte.gz", 8, 3, (uint32_t[]){20, 28, 28}, pixels,
              truncate ? 20 * 784 - 100 : 20 * 784);
    write_idx("train-labels-idx1-ubyte.gz", 8, 1, (uint32_t[]){labels_short ? 19 : 20}, labels,
              labels_short ? 19 : 20);
    write_idx("t10k-images-idx3-ubyte.gz", 8, 3, (uint32_t[]){10, 28, 28}, pixels, 10 * 784);
    write_idx("t10k-labels-idx1-ubyte.gz", 8, 1, (uint32_t[]){10}, labels, 10);
}

static void setup(void)
{
    const char *bin = getenv("AXON_BINARY_DIR");
    snprintf(demo, sizeof demo, "%s/fashion_mnist", bin ? bin : "..");
    snprintf(dir, sizeof dir, "/tmp/axon-demo-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static void bad_files_give_one_line(void)
{
    setup();
    char out[8192], args[512];
    snprintf(args, sizeof args, "--data %s --epochs 1 --quiet", dir);

    write_small_set(0, 0, 0);
    CHECK(run_demo(args, out, sizeof out) == 0); /* the small set itself is fine */

    write_small_set(0, 0, 1);
    CHECK(run_demo(args, out, sizeof out) == 1);
    CHECK(count_lines(out) == 1);
    CHECK(strstr(out, "train-images-idx3-ubyte.gz: truncated at byte") != NULL);

    write_small_set(1, 0, 0);
    CHECK(run_demo(args, out, sizeof out) == 1);
    CHECK(count_lines(out) == 1);
    CHECK(strstr(out, "train-labels-idx1-ubyte.gz: byte 13: label 10 of sample 5 is outside") != NULL);

    write_small_set(0, 1, 0);
    CHECK(run_demo(args, out, sizeof out) == 1);
    CHECK(count_lines(out) == 1);
    CHECK(strstr(out, "train-labels-idx1-ubyte.gz: 19 labels, but") != NULL);

    snprintf(args, sizeof args, "--data %s/nowhere --quiet", dir);
    CHECK(run_demo(args, out, sizeof out) == 1);
    CHECK(count_lines(out) == 1 && strstr(out, "cannot open") != NULL);
    if (test_failures)
        printf("  last output: %s", out);
}

static void bad_arguments_exit_2(void)
{
    setup();
    char out[4096];
    CHECK(run_demo("--epochs zero", out, sizeof out) == 2);
    CHECK(strstr(out, "--epochs expects an integer") != NULL);
    CHECK(run_demo("--frobnicate", out, sizeof out) == 2);
    CHECK(strstr(out, "unknown or incomplete option '--frobnicate'") != NULL);
}

/* The output without the per-epoch seconds ("  2.1s"). */
static void strip_times(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == ' ' && r[1] >= '0' && r[1] <= '9') {
            char *e = r + 1;
            while ((*e >= '0' && *e <= '9') || *e == '.')
                e++;
            if (*e == 's' && (e[1] == ' ' || e[1] == '\n')) {
                r = e + 1;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
}

static void same_seed_same_output(void)
{
    setup();
    char a[8192], b[8192];
    const char *args = "--limit 3000 --epochs 2 --threads 2 --seed 7";
    CHECK(run_demo(args, a, sizeof a) == 0);
    CHECK(run_demo(args, b, sizeof b) == 0);
    strip_times(a);
    strip_times(b);
    CHECK(strstr(a, "epoch 2/2") && strstr(a, "test accuracy:"));
    CHECK(strcmp(a, b) == 0);
    if (test_failures)
        printf("  first run:\n%s  second run:\n%s", a, b);

    /* The default thread setting (auto) while another process spins on
     * CPU 0: the governor may run a smaller team, and the bits are still
     * those of the same thread count fixed. */
    ax_set_num_threads(0);
    char fixed[64], c[8192], d[8192];
    snprintf(fixed, sizeof fixed, "--limit 3000 --epochs 2 --seed 7 --threads %d", ax_get_num_threads());
    ax_set_num_threads(2);
    CHECK(run_demo(fixed, c, sizeof c) == 0);
    pid_t busy = fork();
    if (busy == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        sched_setaffinity(0, sizeof one, &one);
        for (volatile unsigned long spin = 0;; spin++) {
        }
    }
    CHECK(run_demo("--limit 3000 --epochs 2 --seed 7", d, sizeof d) == 0);
    kill(busy, SIGKILL);
    waitpid(busy, NULL, 0);
    strip_times(c);
    strip_times(d);
    CHECK(strstr(d, "epoch 2/2") && strcmp(c, d) == 0);
    if (test_failures)
        printf("  fixed:\n%s  auto, busy machine:\n%s", c, d);
}

TEST_MAIN(T(bad_files_give_one_line), T(bad_arguments_exit_2), T(same_seed_same_output))

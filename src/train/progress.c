/* A Keras-style progress bar with ETA on a terminal, plain epoch lines
 * otherwise (logs, pipes, CI). */
#include "train/progress.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define REDRAW_SECONDS 0.1

void ax_progress_begin(ax_progress *p, ax_verbosity v, int epoch, int epochs, int64_t steps)
{
    p->live = v == AX_PROGRESS && isatty(STDERR_FILENO);
    p->epoch = epoch;
    p->epochs = epochs;
    p->steps = steps;
    p->start = p->last_draw = ax_now_seconds();
}

void ax_progress_step(ax_progress *p, int64_t step, double loss, double acc)
{
    if (!p->live)
        return;
    double now = ax_now_seconds();
    if (step < p->steps && now - p->last_draw < REDRAW_SECONDS)
        return;
    p->last_draw = now;
    int filled = (int)(BAR_WIDTH * step / (p->steps ? p->steps : 1));
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : '.');
    bar[BAR_WIDTH] = '\0';
    double elapsed = now - p->start;
    double eta = step > 0 ? elapsed * (double)(p->steps - step) / (double)step : 0.0;
    fprintf(stderr, "\repoch %d/%d %6lld/%-6lld [%s] ETA %4.0fs  loss %.4f", p->epoch, p->epochs,
            (long long)step, (long long)p->steps, bar, eta, loss);
    if (!isnan(acc)) /* regression has no accuracy */
        fprintf(stderr, "  acc %.4f", acc);
    fprintf(stderr, " ");
    fflush(stderr);
}

void ax_progress_end(ax_progress *p, ax_verbosity v, FILE *out, const ax_epoch_log *log, int has_test, int line,
                     const ax_model *m)
{
    if (p->live)
        fprintf(stderr, "\r\033[K");
    if (v != AX_QUIET && line)
        ax_progress_line(out, log, p->epochs, has_test, m);
}

/* " (main 0.1234 acc 0.9500, aux 0.5678)" */
static void head_figures(FILE *out, const ax_metrics *heads, int n, const ax_model *m)
{
    for (int k = 0; k < n; k++) {
        fprintf(out, "%s%s %.4f", k ? ", " : " (", m->heads[k].name, heads[k].loss);
        if (!isnan(heads[k].accuracy))
            fprintf(out, " acc %.4f", heads[k].accuracy);
    }
    if (n)
        fprintf(out, ")");
}

void ax_progress_line(FILE *out, const ax_epoch_log *log, int epochs, int has_test, const ax_model *m)
{
    const int n = m && m->n_heads == log->n_heads ? log->n_heads : 0;
    fprintf(out, "epoch %d/%d  %.1fs  loss %.4f", log->epoch, epochs, log->seconds, log->train.loss);
    if (!isnan(log->train.accuracy))
        fprintf(out, "  acc %.4f", log->train.accuracy);
    head_figures(out, log->train_heads, n, m);
    if (has_test) {
        fprintf(out, "  test_loss %.4f", log->test.loss);
        if (!isnan(log->test.accuracy))
            fprintf(out, "  test_acc %.4f", log->test.accuracy);
        head_figures(out, log->test_heads, n, m);
    }
    fprintf(out, "\n");
    fflush(out);
}

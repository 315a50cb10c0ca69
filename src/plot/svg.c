/* Line charts as SVG text, built in memory and written atomically. */
#include "axon/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define PLOT_W 380 /* the data area of a panel */
#define PLOT_H 240
#define LEFT 62    /* room for value labels */
#define TOP 34     /* room for the title */
#define RIGHT 18
#define BELOW 46   /* x tick labels and the axis label */
#define LEGEND_ROW 18
#define PANEL_W (LEFT + PLOT_W + RIGHT)

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* Text with the characters XML reserves escaped. */
static void put_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(*s, f);
        }
    }
}

static int usable(double v, int log_axis) { return isfinite(v) && (!log_axis || v > 0); }

static double point_x(const ax_series *s, int i) { return s->x ? s->x[i] : i + 1; }

/* The step between ticks: 1, 2 or 5 times a power of ten, about `want`
 * ticks over the range. */
static double nice_step(double range, int want)
{
    double raw = range / want, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

typedef struct axis {
    double lo, hi;
    int log;
} axis;

static double map(const axis *a, double v, double pixels)
{
    double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : (v - a->lo) / (a->hi - a->lo);
    return t * pixels;
}

/* Extend a degenerate or empty range so that mapping is defined. */
static void settle(axis *a)
{
    if (!(a->lo <= a->hi))
        a->lo = a->log ? 0.1 : 0, a->hi = a->log ? 1 : 1;
    if (a->hi == a->lo) {
        if (a->log)
            a->lo /= 2, a->hi *= 2;
        else
            a->lo -= 0.5, a->hi += 0.5;
    }
}

static void ticks(FILE *f, const axis *a, int vertical, double x0, double y0)
{
    if (a->log) {
        for (double e = floor(log10(a->lo)); e <= ceil(log10(a->hi)); e++) {
            double v = pow(10, e);
            if (v < a->lo * 0.999 || v > a->hi * 1.001)
                continue;
            double p = map(a, v, vertical ? PLOT_H : PLOT_W);
            if (vertical)
                fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#eee'/><text x='%.1f' y='%.1f' "
                           "font-size='11' text-anchor='end'>1e%d</text>\n",
                        x0, y0 + PLOT_H - p, x0 + PLOT_W, y0 + PLOT_H - p, x0 - 4, y0 + PLOT_H - p + 4, (int)e);
            else
                fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>1e%d</text>\n", x0 + p,
                        y0 + PLOT_H + 15, (int)e);
        }
        return;
    }
    double step = nice_step(a->hi - a->lo, vertical ? 5 : 6);
    for (double v = ceil(a->lo / step - 1e-9) * step; v <= a->hi + 1e-9 * step; v += step) {
        double shown = fabs(v) < 1e-9 * step ? 0 : v, p = map(a, v, vertical ? PLOT_H : PLOT_W);
        if (vertical)
            fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#eee'/><text x='%.1f' y='%.1f' "
                       "font-size='11' text-anchor='end'>%.4g</text>\n",
                    x0, y0 + PLOT_H - p, x0 + PLOT_W, y0 + PLOT_H - p, x0 - 4, y0 + PLOT_H - p + 4, shown);
        else
            fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%.4g</text>\n", x0 + p,
                    y0 + PLOT_H + 15, shown);
    }
}

/* One panel; colours restart from the palette's first in every panel, so
 * that the same series order gets the same colours across panels. */
static void panel(FILE *f, const ax_panel *pn, double x0, double y0)
{
    int color_next = 0;
    axis ax = {INFINITY, -INFINITY, 0}, ay = {INFINITY, -INFINITY, pn->log_y};
    for (int k = 0; k < pn->n_series; k++)
        for (int i = 0; i < pn->series[k].n; i++) {
            double x = point_x(&pn->series[k], i), y = pn->series[k].y[i];
            if (!isfinite(x) || !usable(y, ay.log))
                continue;
            ax.lo = fmin(ax.lo, x), ax.hi = fmax(ax.hi, x);
            ay.lo = fmin(ay.lo, y), ay.hi = fmax(ay.hi, y);
        }
    settle(&ax);
    settle(&ay);
    if (pn->y_min != 0 || pn->y_max != 0)
        ay.lo = pn->y_min, ay.hi = pn->y_max;
    else if (ay.log)
        ay.lo /= 1.2, ay.hi *= 1.2;
    else {
        double pad = 0.05 * (ay.hi - ay.lo);
        ay.lo -= pad, ay.hi += pad;
    }
    double px = x0 + LEFT, py = y0 + TOP;
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='14' font-weight='bold'>", px, y0 + 20);
    put_text(f, pn->title);
    fprintf(f, "</text>\n<rect x='%.1f' y='%.1f' width='%d' height='%d' fill='none' stroke='#999'/>\n", px, py, PLOT_W,
            PLOT_H);
    ticks(f, &ay, 1, px, py);
    ticks(f, &ax, 0, px, py);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>", px + PLOT_W / 2.0, py + PLOT_H + 34);
    put_text(f, pn->x_label);
    fprintf(f, "</text>\n<text transform='translate(%.1f,%.1f) rotate(-90)' font-size='12' text-anchor='middle'>",
            x0 + 14, py + PLOT_H / 2.0);
    put_text(f, pn->y_label);
    fprintf(f, "</text>\n<clipPath id='clip%.0f_%.0f'><rect x='%.1f' y='%.1f' width='%d' height='%d'/></clipPath>\n", x0,
            y0, px, py, PLOT_W, PLOT_H);
    int legend = 0;
    for (int k = 0; k < pn->n_series; k++) {
        const ax_series *s = &pn->series[k];
        const char *color = s->color ? s->color : palette[color_next++ % (int)(sizeof palette / sizeof *palette)];
        const char *dash = s->dashed ? " stroke-dasharray='6,4'" : "";
        int open = 0;
        for (int i = 0; i < s->n; i++) {
            double x = point_x(s, i), y = s->y[i];
            if (!isfinite(x) || !usable(y, ay.log)) {
                if (open)
                    fprintf(f, "'/>\n");
                open = 0;
                continue;
            }
            if (!open)
                fprintf(f, "<polyline clip-path='url(#clip%.0f_%.0f)' fill='none' stroke='%s' stroke-width='2'%s "
                           "points='", x0, y0, color, dash);
            open = 1;
            fprintf(f, "%.1f,%.1f ", px + map(&ax, x, PLOT_W), py + PLOT_H - map(&ay, y, PLOT_H));
        }
        if (open)
            fprintf(f, "'/>\n");
        if (s->markers)
            for (int i = 0; i < s->n; i++)
                if (isfinite(point_x(s, i)) && usable(s->y[i], ay.log))
                    fprintf(f, "<circle clip-path='url(#clip%.0f_%.0f)' cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n",
                            x0, y0, px + map(&ax, point_x(s, i), PLOT_W), py + PLOT_H - map(&ay, s->y[i], PLOT_H),
                            color);
        if (s->label) {
            double ly = py + PLOT_H + BELOW + LEGEND_ROW * legend++ + 8;
            fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='3'%s/>"
                       "<text x='%.1f' y='%.1f' font-size='12'>",
                    px, ly - 4, px + 26, ly - 4, color, dash, px + 32, ly);
            put_text(f, s->label);
            fprintf(f, "</text>\n");
        }
    }
}

ax_status ax_plot_svg(const char *path, const ax_panel *panels, int n_panels, int columns, const char *caption)
{
    if (!path || !panels || n_panels < 1)
        return ax_fail(AX_ERR_INVALID_ARG, "plot: a path and at least one panel are needed");
    for (int p = 0; p < n_panels; p++)
        for (int k = 0; k < panels[p].n_series; k++)
            if (!panels[p].series[k].y || panels[p].series[k].n < 0)
                return ax_fail(AX_ERR_INVALID_ARG, "plot %s: panel %d, series %d has no values", path, p + 1, k + 1);
    if (columns <= 0 || columns > n_panels)
        columns = n_panels;
    int rows = (n_panels + columns - 1) / columns, max_legend = 0;
    for (int p = 0; p < n_panels; p++) {
        int labels = 0;
        for (int k = 0; k < panels[p].n_series; k++)
            labels += panels[p].series[k].label != NULL;
        max_legend = labels > max_legend ? labels : max_legend;
    }
    const int panel_h = TOP + PLOT_H + BELOW + LEGEND_ROW * max_legend + 10;
    const int width = columns * PANEL_W, height = rows * panel_h + (caption ? 24 : 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ax_fail(AX_ERR_NOMEM, "plot %s: out of memory", path);
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n", width, height);
    for (int p = 0; p < n_panels; p++)
        panel(f, &panels[p], (p % columns) * PANEL_W, (p / columns) * panel_h);
    if (caption) {
        fprintf(f, "<text x='%d' y='%d' font-size='12'>", LEFT, height - 8);
        put_text(f, caption);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0) {
        free(buf);
        return ax_fail(AX_ERR_NOMEM, "plot %s: out of memory", path);
    }
    ax_status s = ax_write_file_atomic(path, buf, len);
    free(buf); /* open_memstream's buffer comes from malloc */
    return s;
}

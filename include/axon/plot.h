/* axon plots: line charts as self-contained SVG files (any browser shows
 * them; no plotting library needed). Used by the training-curves callback
 * and by the examples' pictures. */
#ifndef AXON_PLOT_H
#define AXON_PLOT_H
#include "axon/core.h"
#ifdef __cplusplus
extern "C" {
#endif

/* One line: n points (x[i], y[i]); x NULL means 1, 2, ..., n. A point
 * whose y is not finite (or not positive on a log axis) breaks the line. */
typedef struct ax_series {
    const char *label; /* legend text; NULL: left out of the legend */
    const double *x, *y;
    int n;
    const char *color; /* any SVG colour; NULL: the next one of the palette */
    int dashed;
    int markers;       /* a dot on every point */
} ax_series;

/* One chart: its own axes, scaled to its series. */
typedef struct ax_panel {
    const char *title, *x_label, *y_label;
    const ax_series *series;
    int n_series;
    int log_y;           /* logarithmic value axis */
    double y_min, y_max; /* both 0: fitted to the data */
} ax_panel;

/* Panels side by side, `columns` to a row (0: all in one row), a legend
 * under each, an optional caption at the bottom; written atomically. */
ax_status ax_plot_svg(const char *path, const ax_panel *panels, int n_panels, int columns, const char *caption);

#ifdef __cplusplus
}
#endif
#endif

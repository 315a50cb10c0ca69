/* SVG line charts: points land where the axes say, gaps break lines,
 * log axes skip what they cannot show, text is escaped, errors are clear. */
#include "test.h"

#include <unistd.h>

static char *read_all(const char *path)
{
    static char text[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    return text;
}

static int count(const char *text, const char *needle)
{
    int k = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        k++;
    return k;
}

static void points_map_to_the_axes(void)
{
    const char *path = "/tmp/axon-test-plot.svg";
    const double x[3] = {0, 1, 2}, y[3] = {0, 1, 4};
    const ax_series s = {.label = "y < x^2 & more", .x = x, .y = y, .n = 3};
    const ax_panel p = {.title = "fixed axes", .series = &s, .n_series = 1, .y_min = 0, .y_max = 4};
    CHECK_OK(ax_plot_svg(path, &p, 1, 0, "caption"));
    const char *svg = read_all(path);
    /* data area: x from 62 to 442 (380 px), y from 274 (value 0) up to 34 (value 4) */
    CHECK(strstr(svg, "points='62.0,274.0 252.0,214.0 442.0,34.0 '") != NULL);
    CHECK(strstr(svg, "y &lt; x^2 &amp; more") != NULL);
    CHECK(!strncmp(svg, "<svg", 4) && strstr(svg, "</svg>\n") && strstr(svg, ">caption<"));
    CHECK(access("/tmp/axon-test-plot.svg.tmp", F_OK) != 0);
    unlink(path);
}

static void gaps_and_log_axes(void)
{
    const char *path = "/tmp/axon-test-plot-log.svg";
    const double y[6] = {1, 10, NAN, 100, -1, 1000};
    const ax_series s[2] = {{.y = y, .n = 6, .markers = 1}, {.label = "flat", .y = (double[]){5, 5}, .n = 2}};
    const ax_panel p[2] = {{.title = "log", .series = s, .n_series = 2, .log_y = 1},
                           {.title = "linear", .series = s, .n_series = 1}};
    CHECK_OK(ax_plot_svg(path, p, 2, 1, NULL));
    const char *svg = read_all(path);
    /* log panel: 1,10 | 100 | 1000 and the flat line: four polylines;
     * linear panel: 1,10 | 100,-1,1000: two */
    CHECK(count(svg, "<polyline") == 6);
    CHECK(count(svg, "<circle") == 4 + 5);
    CHECK(strstr(svg, ">1e0<") && strstr(svg, ">1e3<"));
    /* the 1e3 tick sits at the top of the log axis' range (1/1.2 to 1200) */
    CHECK(count(svg, "<clipPath") == 2);
    unlink(path);
}

static void bad_calls(void)
{
    const ax_series s = {.y = NULL, .n = 3};
    const ax_panel p = {.series = &s, .n_series = 1};
    CHECK_ERR(ax_plot_svg("/tmp/x.svg", &p, 1, 0, NULL), AX_ERR_INVALID_ARG, "panel 1, series 1 has no values");
    CHECK_ERR(ax_plot_svg("/tmp/x.svg", &p, 0, 0, NULL), AX_ERR_INVALID_ARG, "at least one panel");
    const ax_series ok = {.y = (double[]){1}, .n = 1};
    const ax_panel q = {.series = &ok, .n_series = 1};
    CHECK_ERR(ax_plot_svg("/nonexistent-dir/x.svg", &q, 1, 0, NULL), AX_ERR_IO, "/nonexistent-dir/x.svg");
}

TEST_MAIN(T(points_map_to_the_axes), T(gaps_and_log_axes), T(bad_calls))

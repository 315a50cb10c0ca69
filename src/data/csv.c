/* CSV tables: numeric features, a class-label column or real-valued
 * target columns. Cells may be quoted ("a, b" and "" for a quote); blank
 * lines are skipped. Every problem is reported with the file, the line,
 * the column (and its header name) and what was expected. */
#include "axon/data.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_BYTES ((size_t)1 << 32)
#define CSV_MAX_COLUMNS 100000

typedef struct table {
    const char *path;
    char *text;         /* the file, cells cut in place */
    char **cells;       /* rows * cols pointers into text (after the header) */
    int64_t *line_of;   /* the file line of each row */
    char **cells_alloc; /* what was allocated, header row included */
    int64_t *lines_alloc;
    int64_t rows, cols;
    char **names;       /* header names, or NULL */
} table;

static void table_free(table *t)
{
    ax_free(t->text);
    ax_free(t->cells_alloc);
    ax_free(t->lines_alloc);
}

/* Cut one line into cells in place; returns the cell count or -1 (bad quoting). */
static int64_t split_line(char *line, char delim, char **cells, int64_t max)
{
    int64_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *start = p, *w = p;
        if (*p == '"') { /* quoted: copy until the closing quote, "" is a quote */
            p++;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"')
                    *w++ = '"', p += 2;
                else if (*p == '"') {
                    p++;
                    break;
                } else
                    *w++ = *p++;
            }
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != delim && *p != '\0')
                return -1;
        } else {
            while (*p != delim && *p != '\0')
                p++;
            w = p;
            while (w > start && (w[-1] == ' ' || w[-1] == '\t'))
                w--;
        }
        char end = *p;
        *w = '\0';
        if (n < max)
            cells[n] = start;
        n++;
        if (end == '\0')
            return n;
        p++;
    }
}

static int is_missing(const char *c)
{
    return !*c || !strcmp(c, "NA") || !strcmp(c, "NaN") || !strcmp(c, "nan") || !strcmp(c, "?") || !strcmp(c, "null");
}

/* A decimal number that fits a float: strtod's hexadecimal ("0x10") is
 * refused, and so is a value beyond float range (1e39 would become inf). */
static int parse_number(const char *c, double *v)
{
    if (strpbrk(c, "xX"))
        return 0;
    char *end;
    errno = 0;
    *v = strtod(c, &end);
    return end != c && *end == '\0' && errno != ERANGE && isfinite(*v) && fabs(*v) <= FLT_MAX;
}

static ax_status parse(const char *path, char delim, int header, table *t)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    size_t len = 0;
    ax_status s = ax_read_file(path, CSV_MAX_BYTES, &t->text, &len);
    if (s != AX_OK)
        return s;
    if (len >= 3 && !memcmp(t->text, "\xef\xbb\xbf", 3)) { /* a UTF-8 byte-order mark, as spreadsheets write */
        memmove(t->text, t->text + 3, len - 2);
        len -= 3;
    }
    /* count lines for the row arrays */
    int64_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += t->text[i] == '\n';
    char **line_start = ax_alloc((size_t)lines * sizeof(char *));
    int64_t *line_no = ax_alloc((size_t)lines * sizeof(int64_t));
    if (!line_start || !line_no) {
        ax_free(line_start);
        ax_free(line_no);
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    }
    int64_t n_lines = 0, no = 0;
    for (char *p = t->text; *p;) {
        char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        no++;
        if (end > p && end[-1] == '\r')
            end[-1] = '\0';
        *end = '\0';
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q) /* blank lines are skipped */
            line_start[n_lines] = p, line_no[n_lines++] = no;
        if (!nl)
            break;
        p = nl + 1;
    }
    if (n_lines == 0) {
        ax_free(line_start);
        ax_free(line_no);
        return ax_fail(AX_ERR_FORMAT, "%s: empty: expected a header or data rows", path);
    }
    /* the first line fixes the column count */
    char *probe_cells[1];
    char *first = ax_alloc(strlen(line_start[0]) + 1);
    int64_t cols = -1;
    if (first) {
        strcpy(first, line_start[0]);
        cols = split_line(first, delim, probe_cells, 0);
        ax_free(first);
    }
    if (cols < 1 || cols > CSV_MAX_COLUMNS) {
        const long long first_line = (long long)line_no[0]; /* before it is freed */
        ax_free(line_start);
        ax_free(line_no);
        return ax_fail(AX_ERR_FORMAT, "%s:%lld: cannot read the first line's cells (bad quoting, or more than %d columns)",
                       path, first_line, CSV_MAX_COLUMNS);
    }
    t->cols = cols;
    t->cells = t->cells_alloc = ax_alloc((size_t)(n_lines * cols) * sizeof(char *));
    t->line_of = t->lines_alloc = ax_alloc((size_t)n_lines * sizeof(int64_t));
    if (!t->cells || !t->line_of) {
        ax_free(line_start);
        ax_free(line_no);
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory for %lld rows", path, (long long)n_lines);
    }
    for (int64_t r = 0; r < n_lines; r++) {
        int64_t n = split_line(line_start[r], delim, t->cells + r * cols, cols);
        if (n < 0 || n != cols) {
            s = n < 0 ? ax_fail(AX_ERR_FORMAT, "%s:%lld: a quoted cell is not closed on its line", path, (long long)line_no[r])
                      : ax_fail(AX_ERR_FORMAT, "%s:%lld: %lld cells, expected %lld (as on line %lld)", path,
                                (long long)line_no[r], (long long)n, (long long)cols, (long long)line_no[0]);
            break;
        }
        t->line_of[r] = line_no[r];
    }
    ax_free(line_start);
    ax_free(line_no);
    if (s != AX_OK)
        return s;
    t->rows = n_lines;
    if (header < 0) { /* detect: a header has a cell that is not a number and not missing */
        header = 0;
        for (int64_t c = 0; c < cols; c++) {
            double v;
            if (!is_missing(t->cells[c]) && !parse_number(t->cells[c], &v))
                header = 1;
        }
    }
    if (header) {
        t->names = t->cells;
        t->cells += cols, t->line_of++, t->rows--;
        for (int64_t a = 0; a < cols; a++) /* a name given twice would make --label ambiguous */
            for (int64_t b = a + 1; b < cols; b++)
                if (!strcmp(t->names[a], t->names[b]))
                    return ax_fail(AX_ERR_FORMAT, "%s:%lld: column name '%s' appears twice (columns %lld and %lld)",
                                   path, (long long)t->line_of[-1], t->names[a], (long long)a + 1, (long long)b + 1);
    }
    if (t->rows < 1)
        return ax_fail(AX_ERR_FORMAT, "%s: a header but no data rows", path);
    return AX_OK;
}

/* A column given by header name or 0-based index. */
static ax_status find_column(const table *t, const char *spec, int64_t *col)
{
    for (int64_t c = 0; t->names && c < t->cols; c++)
        if (!strcmp(t->names[c], spec)) {
            *col = c;
            return AX_OK;
        }
    char *end;
    long v = strtol(spec, &end, 10);
    if (*spec && !*end && v >= 0 && v < t->cols) {
        *col = v;
        return AX_OK;
    }
    return ax_fail(AX_ERR_INVALID_ARG, "%s: no column '%s' (%lld columns%s)", t->path, spec, (long long)t->cols,
                   t->names ? ", by header name or 0-based index" : ", by 0-based index: the file has no header");
}

static const char *column_name(const table *t, int64_t c, char *buf, size_t len)
{
    if (t->names)
        snprintf(buf, len, "%lld ('%s')", (long long)(c + 1), t->names[c]);
    else
        snprintf(buf, len, "%lld", (long long)(c + 1));
    return buf;
}

/* ---- named parts (ax_csv_options.fields) --------------------------------- */

typedef struct part {
    ax_data_field f;
    int64_t cols[256]; /* the file's columns, in the part's order */
} part;

/* "input.NAME=COLS:label.NAME=COL:target.NAME=COLS" into parts. */
static ax_status parse_fields(const table *t, const char *fields, part *in, int *n_in, part *out, int *n_out)
{
    char text[4096];
    if (snprintf(text, sizeof text, "%s", fields) >= (int)sizeof text)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: the named parts are longer than %zu characters", t->path, sizeof text - 1);
    *n_in = *n_out = 0;
    char *save = NULL;
    for (char *item = strtok_r(text, ":", &save); item; item = strtok_r(NULL, ":", &save)) {
        char *dot = strchr(item, '.'), *eq = strchr(item, '=');
        const int input = !strncmp(item, "input.", 6), label = !strncmp(item, "label.", 6),
                  target = !strncmp(item, "target.", 7);
        if (!dot || !eq || eq < dot || eq == dot + 1 || !eq[1] || !(input || label || target))
            return ax_fail(AX_ERR_INVALID_ARG, "%s: named part '%s': expected input.NAME=COLUMNS, label.NAME=COLUMN "
                           "or target.NAME=COLUMNS", t->path, item);
        part *p = input ? in : out;
        int *n = input ? n_in : n_out;
        if (*n == AX_MAX_FIELDS)
            return ax_fail(AX_ERR_INVALID_ARG, "%s: more than %d %s", t->path, AX_MAX_FIELDS, input ? "inputs" : "targets");
        p += *n;
        memset(p, 0, sizeof *p);
        if (eq - dot - 1 >= (long)sizeof p->f.name)
            return ax_fail(AX_ERR_INVALID_ARG, "%s: the part name in '%s' is longer than %zu characters", t->path, item,
                           sizeof p->f.name - 1);
        memcpy(p->f.name, dot + 1, (size_t)(eq - dot - 1));
        for (int k = 0; k < *n; k++)
            if (!strcmp((input ? in : out)[k].f.name, p->f.name))
                return ax_fail(AX_ERR_INVALID_ARG, "%s: two %s named '%s'", t->path, input ? "inputs" : "targets",
                               p->f.name);
        p->f.n_classes = label ? -1 : 0; /* counted from the labels */
        char *save2 = NULL;
        for (char *c = strtok_r(eq + 1, ",", &save2); c; c = strtok_r(NULL, ",", &save2)) {
            int64_t col;
            ax_status s = find_column(t, c, &col);
            if (s != AX_OK)
                return s;
            for (int64_t k = 0; k < p->f.size; k++)
                if (p->cols[k] == col)
                    return ax_fail(AX_ERR_INVALID_ARG, "%s: column '%s' twice in part '%s'", t->path, c, p->f.name);
            if (p->f.size == 256 || (label && p->f.size == 1))
                return ax_fail(AX_ERR_INVALID_ARG, "%s: part '%s' has too many columns (%s)", t->path, p->f.name,
                               label ? "a label is one column" : "at most 256");
            p->cols[p->f.size++] = col;
        }
        if (!p->f.size)
            return ax_fail(AX_ERR_INVALID_ARG, "%s: part '%s' names no column", t->path, p->f.name);
        (*n)++;
    }
    if (!*n_in)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: the named parts have no input.NAME=COLUMNS", t->path);
    /* a target column among the features would hand the model its answer */
    for (int a = 0; a < *n_out; a++)
        for (int64_t i = 0; i < out[a].f.size; i++)
            for (int b = 0; b < *n_in; b++)
                for (int64_t j = 0; j < in[b].f.size; j++)
                    if (out[a].cols[i] == in[b].cols[j]) {
                        char name[300];
                        return ax_fail(AX_ERR_INVALID_ARG, "%s: column %s is both target '%s' and in input '%s'",
                                       t->path, column_name(t, out[a].cols[i], name, sizeof name), out[a].f.name,
                                       in[b].f.name);
                    }
    return AX_OK;
}

/* Parts' columns copied into rows of `width` values; missing values
 * counted (the first's place kept), a bad number an error. */
static ax_status read_parts(const table *t, const part *p, int n, int64_t width, float *dst, int64_t *missing,
                            int64_t *miss_row, int64_t *miss_col)
{
    for (int64_t r = 0; r < t->rows; r++) {
        int64_t at = 0;
        for (int k = 0; k < n; k++)
            for (int64_t i = 0; i < p[k].f.size; i++, at++) {
                const int64_t c = p[k].cols[i];
                const char *cell = t->cells[r * t->cols + c];
                double v = 0;
                char name[300];
                if (is_missing(cell)) {
                    if (!(*missing)++)
                        *miss_row = t->line_of[r], *miss_col = c;
                } else if (!parse_number(cell, &v))
                    return ax_fail(AX_ERR_FORMAT, "%s:%lld: column %s: '%s' is not a number", t->path,
                                   (long long)t->line_of[r], column_name(t, c, name, sizeof name), cell);
                dst[r * width + at] = (float)v;
            }
    }
    return AX_OK;
}

static ax_status load_fields(const table *t, const ax_csv_options *o, ax_dataset **out)
{
    part *in = ax_alloc(2 * AX_MAX_FIELDS * sizeof *in), *tg = in ? in + AX_MAX_FIELDS : NULL;
    if (!in)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", t->path);
    int n_in = 0, n_out = 0;
    ax_status s = parse_fields(t, o->fields, in, &n_in, tg, &n_out);
    int64_t features = 0, targets = 0;
    for (int k = 0; k < n_in; k++)
        in[k].f.offset = features, in[k].f.ndim = 1, in[k].f.shape[0] = in[k].f.size, features += in[k].f.size;
    for (int k = 0; k < n_out; k++)
        tg[k].f.offset = targets, targets += tg[k].f.size;
    float *x = NULL, *y = NULL;
    if (s == AX_OK) {
        x = ax_alloc((size_t)(t->rows * features) * sizeof(float));
        y = ax_alloc((size_t)(t->rows * (targets ? targets : 1)) * sizeof(float));
        if (!x || !y)
            s = ax_fail(AX_ERR_NOMEM, "%s: out of memory for %lld rows", t->path, (long long)t->rows);
    }
    int64_t missing = 0, miss_row = 0, miss_col = 0;
    if (s == AX_OK)
        s = read_parts(t, in, n_in, features, x, &missing, &miss_row, &miss_col);
    if (s == AX_OK)
        s = read_parts(t, tg, n_out, targets, y, &missing, &miss_row, &miss_col);
    if (s == AX_OK && missing) {
        char name[300];
        s = ax_fail(AX_ERR_FORMAT, "%s: %lld missing value%s, the first on line %lld, column %s: fill or drop them first",
                    t->path, (long long)missing, missing > 1 ? "s" : "", (long long)miss_row,
                    column_name(t, miss_col, name, sizeof name));
    }
    /* labels: whole numbers from 0 (below n_classes when given) */
    for (int k = 0; s == AX_OK && k < n_out; k++) {
        if (tg[k].f.n_classes == 0)
            continue;
        int top = 0;
        for (int64_t r = 0; s == AX_OK && r < t->rows; r++) {
            const float v = y[r * targets + tg[k].f.offset];
            char name[300];
            if (!(v >= 0 && v == floorf(v) && v < 1e6f) || (o->n_classes > 0 && v >= (float)o->n_classes))
                s = ax_fail(AX_ERR_FORMAT, "%s:%lld: column %s: label %g is not a class (a whole number from 0%s)",
                            t->path, (long long)t->line_of[r], column_name(t, tg[k].cols[0], name, sizeof name),
                            (double)v, o->n_classes > 0 ? ", below the class count" : "");
            else
                top = (int)v > top ? (int)v : top;
        }
        tg[k].f.n_classes = o->n_classes > 0 ? o->n_classes : top + 1;
    }
    if (s == AX_OK)
        s = ax_dataset_from_floats(x, t->rows, features, NULL, 0, targets ? y : NULL, targets, out);
    ax_data_field fi[AX_MAX_FIELDS], fo[AX_MAX_FIELDS];
    for (int k = 0; k < n_in; k++)
        fi[k] = in[k].f;
    for (int k = 0; k < n_out; k++)
        fo[k] = tg[k].f;
    if (s == AX_OK && (s = ax_dataset_set_fields(*out, fi, n_in, fo, n_out)) != AX_OK) {
        ax_dataset_free(*out);
        *out = NULL;
    }
    ax_free(x);
    ax_free(y);
    ax_free(in);
    return s;
}

ax_status ax_dataset_load_csv(const char *path, const ax_csv_options *options, ax_dataset **out)
{
    *out = NULL;
    ax_csv_options o = options ? *options : (ax_csv_options){.header = -1};
    char delim = o.delimiter ? o.delimiter : ',';
    if (o.label && o.targets)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: give a label column or target columns, not both", path);
    if (o.features_only && (o.label || o.targets))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: features only, or a label or targets: not both", path);
    if (o.fields && (o.label || o.targets || o.features_only || o.columns))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: named parts say which columns are read and what they are: give "
                       "them alone (no label, targets, features only or columns)", path);
    table t;
    ax_status s = parse(path, delim, o.header, &t);
    if (s != AX_OK || o.fields) {
        if (s == AX_OK)
            s = load_fields(&t, &o, out);
        table_free(&t);
        return s;
    }
    /* which columns are read (all, or the ones named) */
    uint8_t *used = ax_alloc((size_t)t.cols);
    if (!used)
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    else
        memset(used, o.columns ? 0 : 1, (size_t)t.cols);
    if (s == AX_OK && o.columns) {
        char list[4096];
        snprintf(list, sizeof list, "%s", o.columns);
        for (char *tok = strtok(list, ","); tok && s == AX_OK; tok = strtok(NULL, ",")) {
            int64_t c;
            if ((s = find_column(&t, tok, &c)) == AX_OK && used[c])
                s = ax_fail(AX_ERR_INVALID_ARG, "%s: column '%s' named twice in the columns to read", path, tok);
            if (s == AX_OK)
                used[c] = 1;
        }
    }
    int64_t n_used = 0;
    for (int64_t c = 0; s == AX_OK && c < t.cols; c++)
        n_used += used[c];
    /* which columns are targets */
    uint8_t *is_target = s == AX_OK ? ax_calloc((size_t)t.cols, 1) : NULL;
    int64_t target_cols[256], n_t = 0;
    char spec[4096];
    if (s == AX_OK && !is_target)
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    else if (s != AX_OK || o.features_only)
        ; /* no target columns */
    else if (o.targets) {
        snprintf(spec, sizeof spec, "%s", o.targets);
        for (char *tok = strtok(spec, ","); tok && s == AX_OK; tok = strtok(NULL, ",")) {
            int64_t c;
            s = find_column(&t, tok, &c);
            if (s == AX_OK && !used[c])
                s = ax_fail(AX_ERR_INVALID_ARG, "%s: target column '%s' is not among the columns read", path, tok);
            if (s == AX_OK && (n_t == 256 || is_target[c]))
                s = ax_fail(AX_ERR_INVALID_ARG, "%s: target column '%s' repeated, or more than 256 targets", path, tok);
            if (s == AX_OK)
                is_target[c] = 1, target_cols[n_t++] = c;
        }
    } else {
        int64_t c = t.cols - 1; /* the last column read by default */
        while (c > 0 && !used[c])
            c--;
        if (o.label)
            s = find_column(&t, o.label, &c);
        if (s == AX_OK && !used[c])
            s = ax_fail(AX_ERR_INVALID_ARG, "%s: the label column '%s' is not among the columns read", path, o.label);
        if (s == AX_OK)
            is_target[c] = 1, target_cols[n_t++] = c;
    }
    const int64_t features = n_used - n_t;
    if (s == AX_OK && features < 1)
        s = ax_fail(AX_ERR_INVALID_ARG, "%s: no feature columns left besides the targets", path);
    float *x = NULL, *y = NULL;
    int32_t *labels = NULL;
    if (s == AX_OK) {
        x = ax_alloc((size_t)(t.rows * features) * sizeof(float));
        y = ax_alloc((size_t)(t.rows * (n_t ? n_t : 1)) * sizeof(float));
        if (!x || !y)
            s = ax_fail(AX_ERR_NOMEM, "%s: out of memory for %lld rows", path, (long long)t.rows);
    }
    /* every cell: numbers, and missing values counted and reported together */
    int64_t missing = 0, miss_row = 0, miss_col = 0;
    for (int64_t r = 0; s == AX_OK && r < t.rows; r++) {
        int64_t fx = 0, ty = 0;
        for (int64_t c = 0; c < t.cols; c++) {
            const char *cell = t.cells[r * t.cols + c];
            double v = 0;
            char name[300];
            if (!used[c])
                continue;
            if (is_missing(cell)) {
                if (!missing++)
                    miss_row = t.line_of[r], miss_col = c;
            } else if (!parse_number(cell, &v)) {
                s = ax_fail(AX_ERR_FORMAT, "%s:%lld: column %s: '%s' is not a number", path, (long long)t.line_of[r],
                            column_name(&t, c, name, sizeof name), cell);
                break;
            }
            if (is_target[c])
                y[r * n_t + ty++] = (float)v;
            else
                x[r * features + fx++] = (float)v;
        }
    }
    if (s == AX_OK && missing) {
        char name[300];
        s = ax_fail(AX_ERR_FORMAT, "%s: %lld missing value%s, the first on line %lld, column %s: fill or drop them first",
                    path, (long long)missing, missing > 1 ? "s" : "", (long long)miss_row,
                    column_name(&t, miss_col, name, sizeof name));
    }
    /* targets: columns in the order given; labels must be classes */
    int n_classes = o.n_classes;
    if (s == AX_OK && !o.targets && !o.features_only) {
        labels = ax_alloc((size_t)t.rows * sizeof(int32_t));
        if (!labels)
            s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
        int top = 0;
        for (int64_t r = 0; s == AX_OK && r < t.rows; r++) {
            float v = y[r];
            char name[300];
            if (!(v >= 0 && v == floorf(v) && v < 1e6f) || (o.n_classes > 0 && v >= (float)o.n_classes)) {
                if (o.n_classes > 0)
                    s = ax_fail(AX_ERR_FORMAT, "%s:%lld: column %s: label %g is not a class in 0..%d", path,
                                (long long)t.line_of[r], column_name(&t, target_cols[0], name, sizeof name), (double)v,
                                o.n_classes - 1);
                else
                    s = ax_fail(AX_ERR_FORMAT, "%s:%lld: column %s: label %g is not a class (a whole number >= 0)", path,
                                (long long)t.line_of[r], column_name(&t, target_cols[0], name, sizeof name), (double)v);
                break;
            }
            labels[r] = (int32_t)v;
            top = labels[r] > top ? labels[r] : top;
        }
        if (n_classes <= 0)
            n_classes = top + 1;
    } else if (s == AX_OK) {
        /* reorder each row's targets to the order the caller listed them */
        float tmp[256];
        int64_t sorted[256];
        int64_t k = 0;
        for (int64_t c = 0; c < t.cols; c++)
            if (is_target[c])
                sorted[k++] = c;
        for (int64_t r = 0; r < t.rows; r++) {
            for (int64_t i = 0; i < n_t; i++)
                for (int64_t j = 0; j < n_t; j++)
                    if (sorted[j] == target_cols[i])
                        tmp[i] = y[r * n_t + j];
            memcpy(y + r * n_t, tmp, (size_t)n_t * sizeof(float));
        }
    }
    if (s == AX_OK)
        s = ax_dataset_from_floats(x, t.rows, features, labels, n_classes, n_t && !labels ? y : NULL,
                                   labels ? 0 : n_t, out);
    ax_free(x);
    ax_free(y);
    ax_free(labels);
    ax_free(is_target);
    ax_free(used);
    table_free(&t);
    return s;
}

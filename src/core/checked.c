/* Checked numbers for every reader: whole strings parsed in a range,
 * floats that must be finite, size products that must not wrap. */
#include "axon/core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int ax_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!text || !*text)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return 0;
    *out = (int64_t)v;
    return 1;
}

int ax_parse_number(const char *text, double min, double max, double *out)
{
    if (!text || !*text)
        return 0;
    char *end;
    double v = strtod(text, &end);
    if (*end || !isfinite(v) || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

int ax_mul_checked(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a))
        return 0;
    *out = a * b;
    return 1;
}

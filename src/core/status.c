/* Status codes and the per-thread last-error message. */
#include "axon.h" /* AXON_VERSION */

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

const char *ax_status_str(ax_status s)
{
    switch (s) {
    case AX_OK: return "ok";
    case AX_ERR_INVALID_ARG: return "invalid argument";
    case AX_ERR_SHAPE: return "shape error";
    case AX_ERR_NOMEM: return "out of memory";
    case AX_ERR_IO: return "I/O error";
    case AX_ERR_FORMAT: return "format error";
    case AX_ERR_STATE: return "invalid state";
    case AX_ERR_NUMERIC: return "numeric error";
    case AX_ERR_UNSUPPORTED: return "not supported";
    }
    return "unknown status";
}

const char *ax_last_error(void) { return last_error; }

void ax_clear_error(void) { last_error[0] = '\0'; }

ax_status ax_fail(ax_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

const char *ax_version(void) { return AXON_VERSION; } /* axon.h's */

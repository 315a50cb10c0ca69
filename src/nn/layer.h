/* Helpers shared by the layer builders (internal). */
#ifndef AXON_NN_LAYER_H
#define AXON_NN_LAYER_H

#include <stddef.h>
#include <stdio.h>

/* "<name>.<suffix>" in buf, or NULL (an automatic name) when name is NULL. */
static inline const char *ax_layer_param_name(char *buf, size_t len, const char *name, const char *suffix)
{
    if (!name)
        return NULL;
    snprintf(buf, len, "%s.%s", name, suffix);
    return buf;
}

#endif

/* Where a protobuf message's bytes go wrong: protobuf-c's unpack says only
 * that they do. This walks the wire format with the message's descriptor
 * (tags, varints, lengths, nested messages) and names the first bad byte. */
#include "onnx/wire.h"

#include <stdio.h>

static int varint(const uint8_t *p, size_t len, size_t *at, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*at >= len)
            return 0;
        const uint8_t b = p[(*at)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 1;
    }
    return 0;
}

static int64_t walk(const uint8_t *p, size_t len, size_t base, const ProtobufCMessageDescriptor *d, int depth,
                    char *why, size_t why_len)
{
    size_t at = 0;
    while (at < len) {
        const size_t start = at;
        uint64_t tag, n;
        if (!varint(p, len, &at, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
            snprintf(why, why_len, "a bad field tag");
            return (int64_t)(base + start);
        }
        const unsigned wire = (unsigned)(tag & 7);
        const ProtobufCFieldDescriptor *f = d ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3)) : NULL;
        switch (wire) {
        case 0:
            if (!varint(p, len, &at, &n)) {
                snprintf(why, why_len, "a varint that does not end");
                return (int64_t)(base + start);
            }
            break;
        case 1:
        case 5:
            if (len - at < (wire == 1 ? 8u : 4u)) {
                snprintf(why, why_len, "a fixed-size value cut short");
                return (int64_t)(base + start);
            }
            at += wire == 1 ? 8 : 4;
            break;
        case 2:
            if (!varint(p, len, &at, &n) || n > len - at) {
                snprintf(why, why_len, "a length of %llu bytes, past the end of its message", (unsigned long long)n);
                return (int64_t)(base + start);
            }
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (depth > 64) {
                    snprintf(why, why_len, "messages nested more than 64 deep");
                    return (int64_t)(base + at);
                }
                const int64_t bad = walk(p + at, (size_t)n, base + at, f->descriptor, depth + 1, why, why_len);
                if (bad >= 0)
                    return bad;
            }
            at += (size_t)n;
            break;
        default:
            snprintf(why, why_len, "wire type %u, which protobuf 3 does not use", wire);
            return (int64_t)(base + start);
        }
    }
    return -1;
}

int64_t onnx_wire_check(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d, char *why,
                        size_t why_len)
{
    why[0] = 0;
    return walk(data, len, 0, d, 0, why, why_len);
}

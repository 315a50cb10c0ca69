#ifndef AXON_ONNX_WIRE_H
#define AXON_ONNX_WIRE_H
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

/* The offset of the first byte of `data` that is not a well-formed
 * message of descriptor d (why says what is wrong), or -1. */
int64_t onnx_wire_check(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d, char *why,
                        size_t why_len);

#endif

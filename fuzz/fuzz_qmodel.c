/* Quantized model files (`axon quantize`'s safetensors): read and
 * validated; a model that loads runs one inference on zeros through the
 * integer kernels (when it is small enough to run in a fuzzer's time: at
 * most 4 million multiply-adds and an 8 MB arena), so the checks the
 * reader makes are shown to be the ones the kernels need. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".q.safetensors");
    ax_qmodel *q;
    if (ax_qmodel_load(p, &q) != AX_OK)
        return 0;
    if (ax_qmodel_macs(q) <= 4000000 && ax_qmodel_arena_bytes(q) <= (8 << 20) &&
        ax_qmodel_input_size(q) <= (1 << 20) && ax_qmodel_output_size(q) <= (1 << 20)) {
        int8_t *in = calloc((size_t)ax_qmodel_input_size(q), 1), *out = calloc((size_t)ax_qmodel_output_size(q), 1);
        if (!in || !out)
            abort();
        (void)ax_qmodel_run(q, in, out);
        free(in);
        free(out);
    }
    ax_qmodel_free(q);
    return 0;
}

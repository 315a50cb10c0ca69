/* The ops sequence models and imported graphs need: broadcasting
 * arithmetic, slice and split, concat along any axis and of any count,
 * stack, transpose, embedding (a gather), batched matmul; and a sequence
 * axis that changes per batch without planning again. Each forward
 * against loops written here, each gradient against finite differences.
 * (PyTorch: tests/torch.) */
#include "gradcheck.h"
#include "test.h"

static ax_graph *g;
static ax_rng rng;

static void begin(void)
{
    CHECK_OK(ax_graph_new(&g));
    ax_rng_seed(&rng, 17, 3);
}

static ax_node *in(const char *name, ax_shape s)
{
    ax_node *n = ax_input(g, name, s);
    ax_node_set_requires_grad(n, 1);
    return n;
}

/* compile, fill every input and parameter, run forward */
static void run(void)
{
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < ax_graph_num_nodes(g); i++) {
        ax_node *n = ax_graph_node(g, i);
        if (!strcmp(ax_node_op(n), "input") || !strcmp(ax_node_op(n), "param"))
            fill_uniform(n, &rng, -2, 2, 0.3f);
    }
    CHECK_OK(ax_graph_forward(g));
}

static void end(ax_node *out)
{
    CHECK(gradcheck(g, out, 200) == 0);
    ax_graph_free(g);
}

static float at(ax_node *n, int64_t i) { return ax_node_data(n)[i]; }

static void broadcasting_arithmetic(void)
{
    /* [2, 3, 4] with [3, 1], [4], [2, 1, 4] and the same shape */
    const ax_shape bs[4] = {ax_shape2(3, 1), ax_shape1(4), ax_shape3(2, 1, 4), ax_shape3(2, 3, 4)};
    const char *ops[4] = {"add", "sub", "mul", "div"};
    for (int k = 0; k < 4; k++)
        for (int o = 0; o < 4; o++) {
            begin();
            /* b a parameter: an input would have to share the batch */
            ax_node *a = in("a", ax_shape3(2, 3, 4)), *b = k == 3 ? in("b", bs[k]) : ax_param(g, "b", bs[k]);
            ax_node *y = ax_apply(g, ops[o], (ax_node *const[]){a, b}, 2, NULL, 0, NULL);
            run();
            const ax_shape want = ax_shape3(2, 3, 4), got = ax_node_shape(y);
            CHECK(ax_shape_equal(&want, &got));
            int bad = 0;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    for (int l = 0; l < 4; l++) {
                        int64_t ib = k == 0 ? j : k == 1 ? l : k == 2 ? i * 4 + l : (i * 3 + j) * 4 + l;
                        float x = at(a, (i * 3 + j) * 4 + l), z = at(b, ib);
                        float want = o == 0 ? x + z : o == 1 ? x - z : o == 2 ? x * z : x / z;
                        bad += fabsf(at(y, (i * 3 + j) * 4 + l) - want) > 1e-6f * fmaxf(1, fabsf(want));
                    }
            CHECK(bad == 0);
            end(y);
        }
    /* the same node on both sides: x * x */
    begin();
    ax_node *x = in("x", ax_shape2(3, 5));
    ax_node *sq = ax_mul(g, x, x);
    run();
    CHECK(at(sq, 7) == at(x, 7) * at(x, 7));
    end(sq);
    begin();
    CHECK(ax_add(g, in("p", ax_shape2(2, 3)), in("q", ax_shape2(2, 4))) == NULL);
    CHECK(strstr(ax_last_error(), "do not broadcast (axis 1: 3 against 4)") != NULL);
    ax_graph_free(g);
}

static void slices_and_splits(void)
{
    /* x [2, 7, 3]: x[:, 1:6:2], x[:, -3:], x[:, :, 1:] */
    const int64_t cases[3][4] = {{1, 1, 6, 2}, {1, -3, 100, 1}, {2, 1, 3, 1}};
    for (int c = 0; c < 3; c++) {
        begin();
        ax_node *x = in("x", ax_shape3(2, 7, 3));
        ax_node *y = ax_slice(g, x, (int)cases[c][0], cases[c][1], cases[c][2], cases[c][3]);
        run();
        const ax_shape ys = ax_node_shape(y);
        const int64_t want_len[3] = {3, 3, 2};
        CHECK(ys.dim[cases[c][0]] == want_len[c]);
        int bad = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < ys.dim[1]; j++)
                for (int l = 0; l < ys.dim[2]; l++) {
                    int64_t sj = j, sl = l;
                    if (c == 0)
                        sj = 1 + 2 * j;
                    else if (c == 1)
                        sj = 4 + j;
                    else
                        sl = 1 + l;
                    bad += at(y, (i * ys.dim[1] + j) * ys.dim[2] + l) != at(x, (i * 7 + sj) * 3 + sl);
                }
        CHECK(bad == 0);
        end(y);
    }
    /* split into 2 + 5 along axis 1, joined back by concat: x itself */
    begin();
    ax_node *x = in("x", ax_shape3(2, 7, 3)), *parts[2];
    CHECK(ax_split(g, x, 1, (int64_t[]){2, 5}, 2, parts) == 2);
    ax_node *back = ax_concat(g, parts, 2);
    run();
    CHECK(memcmp(ax_node_data(back), ax_node_data(x), 42 * sizeof(float)) == 0);
    end(back);
    begin();
    x = in("x", ax_shape2(2, 7));
    CHECK(ax_slice(g, x, 1, 5, 2, 1) == NULL && strstr(ax_last_error(), "is empty"));
    ax_graph_free(g);
    begin(); /* a graph keeps its first error: a new one for the next */
    x = in("x", ax_shape2(2, 7));
    CHECK(ax_slice(g, x, 0, 0, 1, 1) == NULL && strstr(ax_last_error(), "axis 0 is not one of the sample's axes"));
    ax_graph_free(g);
}

static void concat_any_axis_any_count(void)
{
    /* 20 inputs of [2, 3, k] joined along the last axis */
    begin();
    ax_node *xs[20];
    for (int i = 0; i < 20; i++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", i);
        xs[i] = in(name, ax_shape3(2, 3, 1 + i % 3));
    }
    ax_node *y = ax_concat_axis(g, xs, 20, -1);
    run();
    const int64_t W = ax_node_shape(y).dim[2];
    CHECK(W == 7 * 1 + 7 * 2 + 6 * 3);
    int bad = 0;
    for (int r = 0; r < 6; r++) {
        int64_t off = 0;
        for (int i = 0; i < 20; i++) {
            const int64_t w = 1 + i % 3;
            for (int64_t k = 0; k < w; k++)
                bad += at(y, r * W + off + k) != at(xs[i], r * w + k);
            off += w;
        }
    }
    CHECK(bad == 0);
    end(y);
    /* stack: 3 tensors [2, 4] along a new axis 1 -> [2, 3, 4] */
    begin();
    ax_node *s[3] = {in("a", ax_shape2(2, 4)), in("b", ax_shape2(2, 4)), in("c", ax_shape2(2, 4))};
    ax_node *st = ax_stack(g, s, 3, 1);
    run();
    CHECK(ax_node_shape(st).ndim == 3 && ax_node_shape(st).dim[1] == 3);
    CHECK(at(st, (1 * 3 + 2) * 4 + 3) == at(s[2], 1 * 4 + 3));
    end(st);
}

static void transposes(void)
{
    begin();
    ax_node *x = in("x", ax_shape4(2, 3, 4, 5));
    ax_node *y = ax_transpose(g, x, (int64_t[]){0, 3, 1, 2}, 4);
    run();
    const ax_shape ys = ax_node_shape(y);
    CHECK(ys.dim[1] == 5 && ys.dim[2] == 3 && ys.dim[3] == 4);
    int bad = 0;
    for (int n = 0; n < 2; n++)
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++)
                    bad += at(y, ((n * 5 + a) * 3 + b) * 4 + c) != at(x, ((n * 3 + b) * 4 + c) * 5 + a);
    CHECK(bad == 0);
    end(y);
    begin();
    x = in("x", ax_shape3(2, 3, 4));
    CHECK(ax_transpose(g, x, (int64_t[]){1, 0, 2}, 3) == NULL && strstr(ax_last_error(), "batch first"));
    ax_graph_free(g);
    begin();
    x = in("x", ax_shape3(2, 3, 4));
    CHECK(ax_transpose(g, x, (int64_t[]){0, 1, 1}, 3) == NULL && strstr(ax_last_error(), "perm must order all 3 axes"));
    ax_graph_free(g);
}

static void embeddings(void)
{
    begin();
    ax_node *ix = ax_input(g, "ix", ax_shape2(2, 5)), *w = ax_param(g, "w", ax_shape2(4, 3));
    ax_node *y = ax_embedding(g, ix, w);
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(w, &rng, -1, 1, 0);
    const float idx[10] = {0, 3, 3, 1, 2, 2, 2, 0, 3, 1}; /* rows taken several times */
    memcpy(ax_node_data(ix), idx, sizeof idx);
    CHECK_OK(ax_graph_forward(g));
    CHECK(ax_node_shape(y).ndim == 3 && ax_node_shape(y).dim[2] == 3);
    int bad = 0;
    for (int k = 0; k < 10; k++)
        for (int j = 0; j < 3; j++)
            bad += at(y, k * 3 + j) != at(w, (int64_t)idx[k] * 3 + j);
    CHECK(bad == 0);
    end(y);
    begin();
    ix = ax_input(g, "ix", ax_shape1(2)), w = ax_param(g, "w", ax_shape2(4, 3));
    ax_embedding(g, ix, w);
    CHECK_OK(ax_graph_compile(g));
    ax_node_data(ix)[0] = 4;
    CHECK_ERR(ax_graph_forward(g), AX_ERR_INVALID_ARG, "index 4 at 0 is not a row of the 4-row table");
    ax_graph_free(g);
}

/* C[i] = op(A[i]) op(B[i]) in double */
static double bmm_ref(ax_node *a, ax_node *b, int ta, int tb, int shared, int64_t i, int64_t r, int64_t c, int64_t M,
                      int64_t K, int64_t P)
{
    double s = 0;
    const float *A = ax_node_data(a) + i * M * K, *B = ax_node_data(b) + (shared ? 0 : i * K * P);
    for (int64_t k = 0; k < K; k++)
        s += (double)(ta ? A[k * M + r] : A[r * K + k]) * (tb ? B[c * K + k] : B[k * P + c]);
    return s;
}

static void batched_matmuls(void)
{
    const int64_t M = 3, K = 4, P = 5;
    for (int v = 0; v < 8; v++) {
        const int ta = v & 1, tb = (v >> 1) & 1, shared = v >> 2;
        begin();
        ax_node *a = in("a", ta ? ax_shape4(2, 2, K, M) : ax_shape4(2, 2, M, K));
        ax_node *b = shared ? ax_param(g, "b", tb ? ax_shape2(P, K) : ax_shape2(K, P))
                            : in("b", tb ? ax_shape4(2, 2, P, K) : ax_shape4(2, 2, K, P));
        ax_node *y = ax_batch_matmul(g, a, b, ta, tb);
        run();
        double worst = 0;
        for (int64_t i = 0; i < 4; i++)
            for (int64_t r = 0; r < M; r++)
                for (int64_t c = 0; c < P; c++)
                    worst = fmax(worst, fabs(at(y, (i * M + r) * P + c) - bmm_ref(a, b, ta, tb, shared, i, r, c, M, K, P)));
        CHECK_NEAR(worst, 0, 1e-5);
        end(y);
    }
    begin();
    CHECK(ax_batch_matmul(g, in("a", ax_shape3(2, 3, 4)), in("b", ax_shape3(2, 5, 6)), 0, 0) == NULL);
    CHECK(strstr(ax_last_error(), "inner dimensions differ") != NULL);
    ax_graph_free(g);
}

/* x [B, T, 4] @ W [4, 3] + b, then a sequence loss against y [B, T, 3]:
 * run at the longest T, then shorter, in the same plan, against a graph
 * made for the shorter length. */
static ax_graph *seq_model(int64_t T, ax_node **x, ax_node **y, ax_node **loss)
{
    ax_graph *s;
    CHECK_OK(ax_graph_new(&s));
    *x = ax_input_seq(s, "x", ax_shape3(4, T, 4));
    ax_node *w = ax_param(s, "w", ax_shape2(4, 3)), *b = ax_param(s, "b", ax_shape1(3));
    ax_node *h = ax_add(s, ax_batch_matmul(s, *x, w, 0, 0), b);
    *y = ax_input_seq(s, "y", ax_shape3(4, T, 3));
    *loss = ax_mse(s, ax_tanh(s, h), *y);
    CHECK_OK(ax_graph_compile(s));
    ax_rng r;
    ax_rng_seed(&r, 1, 1);
    fill_uniform(w, &r, -1, 1, 0);
    fill_uniform(b, &r, -1, 1, 0);
    return s;
}

static void a_sequence_axis(void)
{
    ax_node *x, *y, *loss, *x3, *y3, *loss3;
    ax_graph *full = seq_model(9, &x, &y, &loss), *short3 = seq_model(3, &x3, &y3, &loss3);
    CHECK(ax_graph_max_seq(full) == 9 && ax_graph_seq(full) == 9);
    const size_t arena = ax_graph_arena_bytes(full);
    float *data = ax_node_data(loss);
    CHECK_OK(ax_graph_set_seq(full, 3));
    CHECK(ax_node_shape(x).dim[1] == 3 && ax_node_shape(loss).ndim == 0);
    CHECK(ax_graph_arena_bytes(full) == arena && ax_node_data(loss) == data); /* nothing planned again */
    ax_rng r;
    ax_rng_seed(&r, 2, 2);
    fill_uniform(x, &r, -1, 1, 0);
    fill_uniform(y, &r, -1, 1, 0);
    memcpy(ax_node_data(x3), ax_node_data(x), 4 * 3 * 4 * sizeof(float));
    memcpy(ax_node_data(y3), ax_node_data(y), 4 * 3 * 3 * sizeof(float));
    CHECK_OK(ax_graph_forward(full));
    CHECK_OK(ax_graph_forward(short3));
    CHECK(ax_node_data(loss)[0] == ax_node_data(loss3)[0]);
    CHECK_OK(ax_graph_backward(full, loss, NULL));
    CHECK_OK(ax_graph_backward(short3, loss3, NULL));
    CHECK(!memcmp(ax_node_grad(ax_graph_find(full, "w")), ax_node_grad(ax_graph_find(short3, "w")), 12 * sizeof(float)));
    CHECK_ERR(ax_graph_set_seq(full, 10), AX_ERR_INVALID_ARG, "sequence length 10 outside 1..9");
    CHECK(gradcheck(full, loss, 50) == 0);
    /* a graph file keeps the axis */
    char *json;
    CHECK_OK(ax_graph_to_json(full, NULL, NULL, 0, &json));
    ax_graph *back;
    CHECK_OK(ax_graph_from_json(json, "seq.json", 2, &back, NULL, NULL, 0));
    CHECK_OK(ax_graph_compile(back));
    CHECK(ax_graph_max_seq(back) == 9 && ax_graph_set_seq(back, 5) == AX_OK);
    ax_free(json);
    ax_graph_free(back);
    ax_graph_free(full);
    ax_graph_free(short3);
    ax_graph *bad;
    CHECK_OK(ax_graph_new(&bad));
    ax_input_seq(bad, "a", ax_shape3(2, 5, 1));
    CHECK(ax_input_seq(bad, "b", ax_shape3(2, 6, 1)) == NULL && strstr(ax_last_error(), "sequence length 6 differs"));
    ax_graph_free(bad);
}

TEST_MAIN(T(broadcasting_arithmetic), T(slices_and_splits), T(concat_any_axis_any_count), T(transposes), T(embeddings),
          T(batched_matmuls), T(a_sequence_axis))

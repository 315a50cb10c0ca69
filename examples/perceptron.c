/* The course's first networks, with axon doing the arithmetic:
 *  1. a perceptron with fixed weights (-2, -2, bias 3) is a NAND gate;
 *  2. the perceptron learning rule (w += lr (target - output) x) learns
 *     AND and OR, and cannot learn XOR, which no line separates;
 *  3. a 2-2-1 sigmoid network trained by backpropagation solves XOR.
 * The perceptron's forward pass is a graph: x W^T + b, then the `step`
 * activation. Exits 1 unless all of that comes out as claimed. */
#include <axon.h>

#include <math.h>
#include <stdio.h>

static const float inputs[8] = {0, 0, 0, 1, 1, 0, 1, 1};

/* A perceptron on the four inputs: y = step(x w + b). */
typedef struct perceptron {
    ax_graph *g;
    ax_node *x, *w, *b, *y;
} perceptron;

static perceptron make_perceptron(void)
{
    perceptron p;
    ax_graph_new(&p.g);
    p.x = ax_input(p.g, "x", ax_shape2(4, 2));
    p.w = ax_param(p.g, "w", ax_shape2(1, 2));
    p.b = ax_param(p.g, "b", ax_shape1(1));
    p.y = ax_unary(p.g, "step", ax_bias_add(p.g, ax_matmul(p.g, p.x, p.w, 1), p.b));
    ax_graph_compile(p.g);
    for (int i = 0; i < 8; i++)
        ax_node_data(p.x)[i] = inputs[i];
    return p;
}

static void run(perceptron *p) { ax_graph_forward(p->g); }

/* The perceptron learning rule until no mistakes or `epochs` passes;
 * returns the mistakes of the last pass. */
static int learn(perceptron *p, const float *target, int epochs)
{
    float *w = ax_node_data(p->w), *b = ax_node_data(p->b);
    w[0] = w[1] = b[0] = 0.0f;
    int mistakes = 4;
    for (int e = 0; e < epochs && mistakes; e++) {
        mistakes = 0;
        for (int i = 0; i < 4; i++) {
            run(p);
            float err = target[i] - ax_node_data(p->y)[i];
            if (err != 0.0f) {
                mistakes++;
                w[0] += 0.5f * err * inputs[2 * i];
                w[1] += 0.5f * err * inputs[2 * i + 1];
                b[0] += 0.5f * err;
            }
        }
    }
    return mistakes;
}

static int table(const char *name, perceptron *p, const float *target)
{
    run(p);
    int right = 0;
    printf("%-5s", name);
    for (int i = 0; i < 4; i++) {
        float y = ax_node_data(p->y)[i];
        printf("  %g%g->%g", (double)inputs[2 * i], (double)inputs[2 * i + 1], (double)y);
        right += y == target[i];
    }
    printf("   (%d of 4 right)\n", right);
    return right;
}

int main(void)
{
    const float nand[4] = {1, 1, 1, 0}, and_[4] = {0, 0, 0, 1}, or_[4] = {0, 1, 1, 1}, xor_[4] = {0, 1, 1, 0};
    int ok = 1;
    perceptron p = make_perceptron();

    printf("1. fixed weights w = (-2, -2), b = 3:\n");
    ax_node_data(p.w)[0] = ax_node_data(p.w)[1] = -2.0f;
    ax_node_data(p.b)[0] = 3.0f;
    ok &= table("NAND", &p, nand) == 4;

    printf("2. the perceptron learning rule (100 passes at most):\n");
    int m_and = learn(&p, and_, 100);
    ok &= table("AND", &p, and_) == 4 && m_and == 0;
    int m_or = learn(&p, or_, 100);
    ok &= table("OR", &p, or_) == 4 && m_or == 0;
    int m_xor = learn(&p, xor_, 100);
    ok &= table("XOR", &p, xor_) < 4 && m_xor > 0;
    printf("   XOR: still %d mistakes after 100 passes: no line separates it\n", m_xor);
    ax_graph_free(p.g);

    printf("3. a 2-2-1 sigmoid network, backpropagation, binary cross-entropy:\n");
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 3, 3);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(4, 2)), *t = ax_input(g, "t", ax_shape2(4, 1));
    ax_node *h = ax_dense(g, x, 2, "sigmoid", (ax_init){AX_INIT_NORMAL, 0.0f, 1.0f}, &rng, "hidden");
    ax_node *y = ax_dense(g, h, 1, "sigmoid", (ax_init){AX_INIT_NORMAL, 0.0f, 1.0f}, &rng, "out");
    ax_node *loss = ax_loss(g, "binary_cross_entropy", y, t, NULL);
    ax_optimizer *opt;
    ax_graph_compile(g);
    ax_optimizer_new("sgd", &(ax_optim_config){.lr = 1.0f, .momentum = 0.9f}, &opt);
    ax_optimizer_add_graph(opt, g);
    for (int i = 0; i < 8; i++)
        ax_node_data(x)[i] = inputs[i];
    for (int i = 0; i < 4; i++)
        ax_node_data(t)[i] = xor_[i];
    for (int step = 0; step < 2000; step++) {
        ax_graph_forward(g);
        ax_graph_backward(g, loss, NULL);
        ax_optimizer_step(opt);
    }
    ax_graph_forward(g);
    int right = 0;
    printf("XOR  ");
    for (int i = 0; i < 4; i++) {
        float v = ax_node_data(y)[i];
        printf("  %g%g->%.3f", (double)inputs[2 * i], (double)inputs[2 * i + 1], (double)v);
        right += (v > 0.5f) == (xor_[i] > 0.5f);
    }
    printf("   loss %.4f (%d of 4 right)\n", (double)ax_node_data(loss)[0], right);
    ok &= right == 4;
    ax_optimizer_free(opt);
    ax_graph_free(g);
    printf("%s\n", ok ? "as the course says" : "FAILED: not as the course says");
    return ok ? 0 : 1;
}

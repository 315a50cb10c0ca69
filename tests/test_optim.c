/* Optimizers against steps computed by hand from their update rules. */
#include "test.h"

/* Run `steps` updates of one scalar w from 1.0 with the given gradients. */
static void run(const char *name, const ax_optim_config *cfg, const float *grads, int steps,
                float *trace)
{
    ax_optimizer *o;
    float w = 1.0f, g = 0.0f;
    CHECK_OK(ax_optimizer_new(name, cfg, &o));
    CHECK_OK(ax_optimizer_add(o, &w, &g, 1));
    for (int t = 0; t < steps; t++) {
        g = grads[t];
        CHECK_OK(ax_optimizer_step(o));
        trace[t] = w;
    }
    CHECK(ax_optimizer_steps(o) == steps);
    ax_optimizer_free(o);
}

static void sgd_plain(void)
{
    ax_optim_config c = {.lr = 0.1f};
    float tr[3];
    run("sgd", &c, (float[]){0.5f, 0.5f, -1.0f}, 3, tr);
    CHECK_NEAR(tr[0], 0.95, 1e-7);
    CHECK_NEAR(tr[1], 0.90, 1e-7);
    CHECK_NEAR(tr[2], 1.00, 1e-7);
}

static void sgd_momentum(void)
{
    /* v1 = .5, w1 = .95; v2 = .95, w2 = .855; v3 = 1.355, w3 = .7195 */
    ax_optim_config c = {.lr = 0.1f, .momentum = 0.9f};
    float tr[3];
    run("sgd", &c, (float[]){0.5f, 0.5f, 0.5f}, 3, tr);
    CHECK_NEAR(tr[0], 0.95, 1e-6);
    CHECK_NEAR(tr[1], 0.855, 1e-6);
    CHECK_NEAR(tr[2], 0.7195, 1e-6);
}

static void sgd_nesterov(void)
{
    /* v1 = .5, step .5 + .9 * .5 = .95 -> w1 = .905;
     * v2 = .95, step .5 + .855 = 1.355 -> w2 = .7695 */
    ax_optim_config c = {.lr = 0.1f, .momentum = 0.9f, .nesterov = 1};
    float tr[2];
    run("sgd", &c, (float[]){0.5f, 0.5f}, 2, tr);
    CHECK_NEAR(tr[0], 0.905, 1e-6);
    CHECK_NEAR(tr[1], 0.7695, 1e-6);
}

static void sgd_weight_decay(void)
{
    /* g_eff = .5 + .1 * 1 = .6 -> w1 = 1 - .06 = .94 */
    ax_optim_config c = {.lr = 0.1f, .weight_decay = 0.1f};
    float tr[1];
    run("sgd", &c, (float[]){0.5f}, 1, tr);
    CHECK_NEAR(tr[0], 0.94, 1e-7);
}

static void adam_bias_corrected(void)
{
    /* Step 1: m = .05, v = .00025, m^ = .5, v^ = .25 -> w = 1 - .1 * .5/.5 = .9.
     * Step 2 (g = -1): m = -.055, v = .00124975; m^ = -.055/.19,
     *   v^ = .00124975/.001999 -> w = .9 + .1 * .2894737/.7906881 = .93661035.
     * Step 3 (g = .25) likewise -> .95027942. */
    ax_optim_config c;
    CHECK_OK(ax_optim_defaults("adam", &c));
    CHECK_NEAR(c.lr, 1e-3, 1e-9);
    CHECK_NEAR(c.beta1, 0.9, 1e-7);
    CHECK_NEAR(c.beta2, 0.999, 1e-7);
    c.lr = 0.1f;
    float tr[3];
    run("adam", &c, (float[]){0.5f, -1.0f, 0.25f}, 3, tr);
    CHECK_NEAR(tr[0], 0.9, 1e-6);
    CHECK_NEAR(tr[1], 0.93661035, 1e-6);
    CHECK_NEAR(tr[2], 0.95027942, 1e-6);
}

/* Three steps of each algorithm from w = 1 with gradients .5, -1, .25,
 * against the update rules worked in double precision (the step-1 arithmetic
 * is in each comment). */
typedef struct expected {
    const char *name;
    ax_optim_config cfg;
    double w[3];
} expected;

static void every_algorithm_by_hand(void)
{
    const expected cases[] = {
        /* s = .25; w = 1 - .1 * .5 / .5 */
        {"adagrad", {.lr = 0.1f, .eps = 1e-10f}, {0.9, 0.98944272, 0.96762093}},
        /* s = .025; d = sqrt(1e-6) / sqrt(.025 + 1e-6) * .5 = .00316; w = 1 - d */
        {"adadelta", {.lr = 1.0f, .rho = 0.9f, .eps = 1e-6f}, {0.99683779, 1.00087834, 0.99950170}},
        /* s = .0025; w = 1 - .01 * .5 / .05 */
        {"rmsprop", {.lr = 0.01f, .rho = 0.99f, .eps = 1e-8f}, {0.90000002, 0.98953231, 0.96758496}},
        /* s = .0025, m = .005, var = .002475; b = .5 / .049749 = 10.05; w = 1 - .1005 */
        {"rmsprop", {.lr = 0.01f, .rho = 0.99f, .eps = 1e-8f, .momentum = 0.9f, .centered = 1},
         {0.89949624, 0.89866680, 0.87596766}},
        /* m = .05, u = .5; w = 1 - .1 / .1 * .05 / .5 */
        {"adamax", {.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, {0.9, 0.92894737, 0.93799701}},
        /* mu1 = .9 (1 - .5 * .96^.004), mu2 likewise; w = 1 - .1 ((1 - mu1) / (1 - mu1) .5 / .5
         *   + mu2 / (1 - mu1 mu2) .05 / .5) */
        {"nadam", {.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .momentum_decay = 4e-3f},
         {0.89435482, 0.98501057, 0.96388305}},
        /* w = 1 * (1 - .1 * .1) = .99, then Adam's first step of .1 */
        {"adamw", {.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.1f},
         {0.89, 0.91771035, 0.92220232}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        float tr[3];
        run(cases[k].name, &cases[k].cfg, (float[]){0.5f, -1.0f, 0.25f}, 3, tr);
        for (int t = 0; t < 3; t++)
            if (fabs(tr[t] - cases[k].w[t]) > 2e-6) {
                printf("  %s step %d: %.8f, expected %.8f\n", cases[k].name, t + 1, (double)tr[t], cases[k].w[t]);
                test_failures++;
            }
    }
    /* AMSGrad differs from Adam once v shrinks: gradients 1, .01, .01 */
    ax_optim_config c = {.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    float ams[3], plain[3];
    run("amsgrad", &c, (float[]){1.0f, 0.01f, 0.01f}, 3, ams);
    run("adam", &c, (float[]){1.0f, 0.01f, 0.01f}, 3, plain);
    CHECK_NEAR(ams[2], 0.77932590, 2e-6);
    CHECK_NEAR(plain[2], 0.77924771, 2e-6);
    c.amsgrad = 1;
    run("adam", &c, (float[]){1.0f, 0.01f, 0.01f}, 3, plain);
    CHECK_NEAR(plain[2], 0.77932590, 2e-6);
}

static void clipping(void)
{
    /* by value: g = 5 clipped to 1 -> w = 1 - .1 */
    ax_optim_config c = {.lr = 0.1f, .clip_value = 1.0f};
    float tr[1];
    run("sgd", &c, (float[]){5.0f}, 1, tr);
    CHECK_NEAR(tr[0], 0.9, 1e-7);
    /* by global norm: g = (3, 4), |g| = 5 -> scaled to norm 1: (.6, .8) */
    ax_optimizer *o;
    float w[2] = {0, 0}, g[2] = {3, 4};
    c = (ax_optim_config){.lr = 1.0f, .clip_norm = 1.0f};
    CHECK_OK(ax_optimizer_new("sgd", &c, &o));
    CHECK_OK(ax_optimizer_add(o, w, g, 1));
    CHECK_OK(ax_optimizer_add(o, w + 1, g + 1, 1));
    CHECK_OK(ax_optimizer_step(o));
    CHECK_NEAR(ax_optimizer_last_grad_norm(o), 5.0, 1e-9);
    CHECK_NEAR(w[0], -0.6, 1e-6);
    CHECK_NEAR(w[1], -0.8, 1e-6);
    ax_optimizer_free(o);
}

static void max_norm_and_decoupled_decay(void)
{
    /* two rows of a 2x2 matrix: (3, 4) has norm 5 -> scaled to 2; (.3, .4) stays */
    ax_optimizer *o;
    float w[4] = {3, 4, 0.3f, 0.4f}, g[4] = {0};
    ax_optim_config c = {.lr = 0.1f, .max_norm = 2.0f};
    CHECK_OK(ax_optimizer_new("sgd", &c, &o));
    CHECK_OK(ax_optimizer_add_matrix(o, w, g, 4, 2));
    CHECK_OK(ax_optimizer_step(o));
    CHECK_NEAR(w[0], 1.2, 1e-5);
    CHECK_NEAR(w[1], 1.6, 1e-5);
    CHECK_NEAR(w[2], 0.3, 1e-7);
    ax_optimizer_free(o);
    /* decoupled weight decay on plain SGD: w = 1 (1 - .1 * .5) - .1 * .5 */
    c = (ax_optim_config){.lr = 0.1f, .decoupled_weight_decay = 0.5f};
    float tr[1];
    run("sgd", &c, (float[]){0.5f}, 1, tr);
    CHECK_NEAR(tr[0], 0.9, 1e-7);
}

/* (w - 3)^2 + (v + 1)^2 */
static float tw[2];
static double bowl(void *ctx)
{
    (void)ctx;
    return (tw[0] - 3.0) * (tw[0] - 3.0) + (tw[1] + 1.0) * (tw[1] + 1.0);
}

static void trial_and_error_descends(void)
{
    ax_optimizer *o;
    ax_optim_config c;
    CHECK_OK(ax_optim_defaults("trial_error", &c));
    c.lr = 0.3f;
    CHECK_OK(ax_optimizer_new("trial_error", &c, &o));
    tw[0] = tw[1] = 0.0f;
    CHECK_OK(ax_optimizer_add(o, tw, NULL, 2));
    CHECK_ERR(ax_optimizer_step(o), AX_ERR_STATE, "gradient-free");
    double last = bowl(NULL);
    int accepted_total = 0, monotone = 1;
    for (int i = 0; i < 2000; i++) {
        int acc;
        CHECK_OK(ax_optimizer_trial(o, bowl, NULL, &acc));
        accepted_total += acc;
        double now = bowl(NULL);
        monotone &= now <= last; /* rejected trials are undone exactly */
        last = now;
    }
    CHECK(monotone);
    CHECK(accepted_total > 20 && accepted_total < 1900);
    CHECK(bowl(NULL) < 1e-2);
    ax_optimizer_free(o);
}

static void schedules(void)
{
    ax_schedule *s;
    ax_schedule_config c;
    CHECK_OK(ax_schedule_defaults("step", &c));
    c.step_size = 2, c.gamma = 0.5f;
    CHECK_OK(ax_schedule_new("step", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 0), 1.0, 1e-7);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 3), 0.5, 1e-7);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 4), 0.25, 1e-7);
    ax_schedule_free(s);
    CHECK_OK(ax_schedule_defaults("multistep", &c));
    c.gamma = 0.1f, c.n_milestones = 2, c.milestones[0] = 2, c.milestones[1] = 5;
    CHECK_OK(ax_schedule_new("multistep", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 1), 1.0, 1e-7);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 2), 0.1, 1e-7);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 6), 0.01, 1e-8);
    ax_schedule_free(s);
    CHECK_OK(ax_schedule_defaults("exponential", &c));
    c.gamma = 0.9f;
    CHECK_OK(ax_schedule_new("exponential", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 2.0f, 3), 2 * 0.729, 1e-6);
    ax_schedule_free(s);
    CHECK_OK(ax_schedule_defaults("inverse_time", &c));
    c.decay_rate = 0.5f, c.decay_steps = 2;
    CHECK_OK(ax_schedule_new("inverse_time", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 4), 1.0 / 2.0, 1e-7);
    ax_schedule_free(s);
    CHECK_OK(ax_schedule_defaults("polynomial", &c));
    c.total_steps = 10, c.power = 2, c.end_lr = 0.1f;
    CHECK_OK(ax_schedule_new("polynomial", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 1.1f, 5), 1.0 * 0.25 + 0.1, 1e-6);
    CHECK_NEAR(ax_schedule_lr(s, 1.1f, 20), 0.1, 1e-7);
    ax_schedule_free(s);
    CHECK_OK(ax_schedule_defaults("cosine", &c));
    c.total_steps = 10, c.end_lr = 0.0f;
    CHECK_OK(ax_schedule_new("cosine", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 5), 0.5, 1e-6);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 10), 0.0, 1e-6);
    ax_schedule_free(s);
    /* warm-up in front of cosine: 0 -> lr0 over 4 epochs, then the cosine from its start */
    c.warmup_steps = 4, c.warmup_start = 0.0f;
    CHECK_OK(ax_schedule_new("cosine", &c, &s));
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 1), 0.25, 1e-7);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 4), 1.0, 1e-7);
    CHECK_NEAR(ax_schedule_lr(s, 1.0f, 9), 0.5, 1e-6);
    ax_schedule_free(s);
    /* stepping sets the optimizer's rate, from the rate it had */
    ax_optimizer *o;
    CHECK_OK(ax_optimizer_new("adam", NULL, &o));
    CHECK_OK(ax_schedule_defaults("exponential", &c));
    c.gamma = 0.5f;
    CHECK_OK(ax_schedule_new("exponential", &c, &s));
    CHECK_OK(ax_schedule_step(s, o, 0));
    CHECK_OK(ax_schedule_step(s, o, 0));
    CHECK_NEAR(ax_optimizer_lr(o), 1e-3 * 0.25, 1e-9);
    ax_schedule_free(s);
    ax_optimizer_free(o);
    CHECK_ERR(ax_schedule_new("sawtooth", NULL, &s), AX_ERR_INVALID_ARG, "unknown name 'sawtooth'");
}

static void reduce_on_plateau(void)
{
    ax_optimizer *o;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 1.0f}, &o));
    ax_schedule *s;
    ax_schedule_config c;
    CHECK_OK(ax_schedule_defaults("reduce_on_plateau", &c));
    c.factor = 0.5f, c.patience = 2, c.cooldown = 1, c.min_lr = 0.2f;
    CHECK_OK(ax_schedule_new("reduce_on_plateau", &c, &s));
    /* improving, then flat: reduced after patience + 1 bad epochs, then a
     * cooldown epoch, then floored at min_lr */
    const double metric[] = {5, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    const float want[] = {1, 1, 1, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f, 0.2f};
    for (int e = 0; e < 14; e++) {
        CHECK_OK(ax_schedule_step(s, o, metric[e]));
        if (fabsf(ax_optimizer_lr(o) - want[e]) > 1e-7f) {
            printf("  epoch %d: lr %g, expected %g\n", e + 1, (double)ax_optimizer_lr(o), (double)want[e]);
            test_failures++;
        }
    }
    CHECK_ERR(ax_schedule_step(s, o, NAN), AX_ERR_NUMERIC, "metric");
    ax_schedule_free(s);
    ax_optimizer_free(o);
}

static void bad_configs_are_refused(void)
{
    ax_optimizer *o;
    ax_optim_config c = {.lr = 0.1f, .momentum = 1.5f};
    CHECK_ERR(ax_optimizer_new("sgd", &c, &o), AX_ERR_INVALID_ARG, "momentum");
    c = (ax_optim_config){.lr = 0.1f, .beta1 = 1.0f, .beta2 = 0.9f};
    CHECK_ERR(ax_optimizer_new("adam", &c, &o), AX_ERR_INVALID_ARG, "betas");
    CHECK_ERR(ax_optimizer_new("adamz", NULL, &o), AX_ERR_INVALID_ARG, "unknown name 'adamz'");
    CHECK(strstr(ax_last_error(), "sgd") && strstr(ax_last_error(), "adam"));
}

static void graph_params_and_freezing(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(2, 3));
    ax_node *w1 = ax_param(g, "w1", ax_shape2(3, 3));
    ax_node *w2 = ax_param(g, "w2", ax_shape2(1, 3));
    ax_node *y = ax_matmul(g, ax_matmul(g, x, w1, 1), w2, 1);
    ax_node *t = ax_input(g, "t", ax_shape2(2, 1));
    ax_node *loss = ax_mse(g, y, t);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 9; i++)
        ax_node_data(w1)[i] = 0.1f * (float)(i + 1);
    for (int i = 0; i < 3; i++)
        ax_node_data(w2)[i] = 0.5f;
    for (int i = 0; i < 6; i++)
        ax_node_data(x)[i] = (float)i;
    ax_node_data(t)[0] = 1.0f;
    ax_node_data(t)[1] = -1.0f;
    ax_optimizer *o;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.01f}, &o));
    CHECK_OK(ax_optimizer_add_graph(o, g));
    CHECK_OK(ax_node_set_frozen(w1, 1));
    float w1_before = ax_node_data(w1)[4], w2_before = ax_node_data(w2)[1];
    CHECK_OK(ax_graph_forward(g));
    CHECK_OK(ax_graph_backward(g, loss, NULL));
    CHECK_OK(ax_optimizer_step(o));
    CHECK(ax_node_data(w1)[4] == w1_before); /* frozen */
    CHECK(ax_node_data(w2)[1] != w2_before);
    CHECK_NEAR(ax_node_data(w2)[1], w2_before - 0.01f * ax_node_grad(w2)[1], 1e-7);
    CHECK_ERR(ax_node_set_frozen(x, 1), AX_ERR_INVALID_ARG, "only parameters");
    /* a whole layer by name: w2 frozen too now, nothing moves */
    int count = 0;
    CHECK_OK(ax_graph_freeze(g, "w2", 1, &count));
    CHECK(count == 1 && ax_node_frozen(w2));
    float w2_now = ax_node_data(w2)[1];
    CHECK_OK(ax_graph_backward(g, loss, NULL));
    CHECK_OK(ax_optimizer_step(o));
    CHECK(ax_node_data(w2)[1] == w2_now);
    CHECK_ERR(ax_graph_freeze(g, "w", 1, &count), AX_ERR_INVALID_ARG, "no parameter belongs to a layer named 'w'");
    ax_optimizer_free(o);
    ax_graph_free(g);
}

TEST_MAIN(T(sgd_plain), T(sgd_momentum), T(sgd_nesterov), T(sgd_weight_decay),
          T(adam_bias_corrected), T(every_algorithm_by_hand), T(clipping),
          T(max_norm_and_decoupled_decay), T(trial_and_error_descends), T(schedules),
          T(reduce_on_plateau), T(bad_configs_are_refused), T(graph_params_and_freezing))

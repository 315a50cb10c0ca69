/* Weight initialisers. */
#include "axon/nn.h"

#include <math.h>
#include <string.h>

/* LAPACK (part of OpenBLAS): Householder QR, and Q from it. */
void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work,
             const int *lwork, int *info);
void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau,
             float *work, const int *lwork, int *info);

static const struct {
    const char *name;
    ax_init_kind kind;
} names[] = {
    {"default", AX_INIT_DEFAULT},
    {"zeros", AX_INIT_ZEROS},
    {"constant", AX_INIT_CONSTANT},
    {"uniform", AX_INIT_UNIFORM},
    {"normal", AX_INIT_NORMAL},
    {"xavier_uniform", AX_INIT_XAVIER_UNIFORM},
    {"xavier_normal", AX_INIT_XAVIER_NORMAL},
    {"he_uniform", AX_INIT_HE_UNIFORM},
    {"he_normal", AX_INIT_HE_NORMAL},
    {"lecun_uniform", AX_INIT_LECUN_UNIFORM},
    {"lecun_normal", AX_INIT_LECUN_NORMAL},
    {"orthogonal", AX_INIT_ORTHOGONAL},
    {"glorot_uniform", AX_INIT_XAVIER_UNIFORM},
    {"glorot_normal", AX_INIT_XAVIER_NORMAL},
    {"kaiming_uniform", AX_INIT_HE_UNIFORM},
    {"kaiming_normal", AX_INIT_HE_NORMAL},
};

ax_status ax_init_from_name(const char *name, ax_init *out)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0) {
            *out = (ax_init){names[i].kind, 0.0f, 0.0f};
            return AX_OK;
        }
    return ax_fail(AX_ERR_INVALID_ARG, "init: unknown initialiser '%s'", name);
}

const char *ax_init_name(ax_init_kind kind)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].kind == kind)
            return names[i].name;
    return "unknown";
}

ax_init ax_init_default_for(const char *activation)
{
    static const char *relu_family[] = {"relu", "leaky_relu", "prelu", "rrelu", "elu", "gelu",
                                        "swish", "mish", "softplus"};
    for (size_t i = 0; activation && i < sizeof relu_family / sizeof relu_family[0]; i++)
        if (strcmp(activation, relu_family[i]) == 0)
            return (ax_init){AX_INIT_HE_UNIFORM, 0, 0};
    if (activation && strcmp(activation, "selu") == 0)
        return (ax_init){AX_INIT_LECUN_NORMAL, 0, 0}; /* self-normalising networks need it */
    return (ax_init){AX_INIT_XAVIER_UNIFORM, 0, 0};
}

static ax_status orthogonal(float *w, int64_t rows, int64_t cols, float gain, ax_rng *rng)
{
    /* QR of a normal matrix with more rows than columns gives orthonormal
     * columns; take the transpose when the tensor is wide. Column-major
     * for LAPACK: an m x n matrix A, m >= n. */
    int m = (int)(rows > cols ? rows : cols), n = (int)(rows > cols ? cols : rows), info = 0;
    float *a = ax_alloc((size_t)m * (size_t)n * sizeof(float));
    float *tau = ax_alloc((size_t)n * sizeof(float));
    float query, *work = NULL;
    int lwork = -1;
    if (!a || !tau) {
        ax_free(a);
        ax_free(tau);
        return ax_fail(AX_ERR_NOMEM, "init: out of memory for an orthogonal %lldx%lld matrix",
                       (long long)rows, (long long)cols);
    }
    for (int64_t i = 0; i < (int64_t)m * n; i++)
        a[i] = ax_rng_normal(rng);
    sgeqrf_(&m, &n, a, &m, tau, &query, &lwork, &info);
    lwork = (int)query > n ? (int)query : n;
    work = ax_alloc((size_t)lwork * sizeof(float));
    if (work)
        sgeqrf_(&m, &n, a, &m, tau, work, &lwork, &info);
    /* Signs of R's diagonal, to make the distribution uniform (Mezzadri 2007). */
    float *sign = ax_alloc((size_t)n * sizeof(float));
    if (work && sign && info == 0) {
        for (int j = 0; j < n; j++)
            sign[j] = a[j + (int64_t)j * m] < 0 ? -1.0f : 1.0f;
        sorgqr_(&m, &n, &n, a, &m, tau, work, &lwork, &info);
    }
    ax_status s = AX_OK;
    if (!work || !sign)
        s = ax_fail(AX_ERR_NOMEM, "init: out of memory for QR workspace");
    else if (info != 0)
        s = ax_fail(AX_ERR_NUMERIC, "init: LAPACK QR failed (info %d)", info);
    else
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++) {
                /* tall: w[r][c] = Q[r][c]; wide: w[r][c] = Q[c][r] */
                int64_t i = rows > cols ? r : c, j = rows > cols ? c : r;
                w[r * cols + c] = gain * sign[j] * a[i + j * m];
            }
    ax_free(a);
    ax_free(tau);
    ax_free(work);
    ax_free(sign);
    return s;
}

ax_status ax_init_fill(float *w, ax_shape shape, ax_init init, ax_rng *rng)
{
    int64_t n = ax_shape_numel(&shape), fan_in, fan_out;
    if (shape.ndim < 1 || n <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "init: needs a non-empty tensor");
    if (!rng && init.kind != AX_INIT_ZEROS && init.kind != AX_INIT_CONSTANT)
        return ax_fail(AX_ERR_INVALID_ARG, "init %s: needs a random stream (rng is NULL)", ax_init_name(init.kind));
    if (shape.ndim == 1) {
        fan_in = fan_out = shape.dim[0];
    } else {
        int64_t receptive = n / (shape.dim[0] * shape.dim[1]);
        fan_in = shape.dim[1] * receptive;
        fan_out = shape.dim[0] * receptive;
    }
    double lo = 0, hi = 0, mean = 0, std = 0;
    int uniform = 1;
    switch (init.kind) {
    case AX_INIT_ZEROS: lo = hi = 0; break;
    case AX_INIT_CONSTANT: lo = hi = init.a; break;
    case AX_INIT_UNIFORM:
        if (!(init.a <= init.b))
            return ax_fail(AX_ERR_INVALID_ARG, "init: uniform needs a <= b, got %g and %g",
                           (double)init.a, (double)init.b);
        lo = init.a, hi = init.b;
        break;
    case AX_INIT_NORMAL:
        if (!(init.b >= 0))
            return ax_fail(AX_ERR_INVALID_ARG, "init: normal needs std >= 0, got %g", (double)init.b);
        mean = init.a, std = init.b, uniform = 0;
        break;
    case AX_INIT_DEFAULT: /* a layer resolves its default first; plain tensors get Xavier */
    case AX_INIT_XAVIER_UNIFORM: hi = sqrt(6.0 / (double)(fan_in + fan_out)), lo = -hi; break;
    case AX_INIT_XAVIER_NORMAL: std = sqrt(2.0 / (double)(fan_in + fan_out)), uniform = 0; break;
    case AX_INIT_HE_UNIFORM: hi = sqrt(6.0 / (double)fan_in), lo = -hi; break;
    case AX_INIT_HE_NORMAL: std = sqrt(2.0 / (double)fan_in), uniform = 0; break;
    case AX_INIT_LECUN_UNIFORM: hi = sqrt(3.0 / (double)fan_in), lo = -hi; break;
    case AX_INIT_LECUN_NORMAL: std = sqrt(1.0 / (double)fan_in), uniform = 0; break;
    case AX_INIT_ORTHOGONAL:
        if (shape.ndim < 2)
            return ax_fail(AX_ERR_INVALID_ARG, "init: orthogonal needs a tensor of 2 or more dimensions");
        return orthogonal(w, shape.dim[0], n / shape.dim[0], init.a != 0.0f ? init.a : 1.0f, rng);
    default: return ax_fail(AX_ERR_INVALID_ARG, "init: unknown initialiser %d", (int)init.kind);
    }
    for (int64_t i = 0; i < n; i++)
        w[i] = uniform ? (float)(lo + (hi - lo) * ax_rng_uniform(rng))
                       : (float)(mean + std * ax_rng_normal(rng));
    return AX_OK;
}

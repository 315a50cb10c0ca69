/* The parts the recurrent ops share (ops/recurrent.h). */
#include "ops/recurrent.h"
#include "backends/cpu/kernels.h"

#include <math.h>
#include <string.h>

int ax_rec_num_inputs(const ax_node *n, int lstm)
{
    return 3 + 2 * (n->attr[REC_BIAS] != 0) + (lstm ? 2 : 1) * (n->attr[REC_STATE] != 0) + (n->attr[REC_LENGTHS] != 0);
}

void ax_rec_setup(const ax_node *n, int gates, int lstm, ax_rec *r)
{
    *r = (ax_rec){0};
    int k = 0;
    r->x = n->in[k++];
    r->w_ih = n->in[k++];
    r->w_hh = n->in[k++];
    if (n->attr[REC_BIAS] != 0) {
        r->b_ih = n->in[k++];
        r->b_hh = n->in[k++];
    }
    if (n->attr[REC_STATE] != 0) {
        r->h0 = n->in[k++];
        if (lstm)
            r->c0 = n->in[k++];
    }
    if (n->attr[REC_LENGTHS] != 0)
        r->len = n->in[k++];
    r->reverse = n->attr[REC_REVERSE] != 0;
    const ax_shape *xs = &r->x->shape;
    r->N = xs->dim[0];
    r->T = xs->ndim > 1 ? xs->dim[1] : 0;
    r->I = xs->ndim > 2 ? xs->dim[2] : 0;
    r->H = r->w_hh->shape.ndim == 2 ? r->w_hh->shape.dim[1] : 0;
    r->G = gates * r->H;
    r->S = lstm ? 2 * r->H : r->H;
}

static ax_status expect(const ax_node *in, const char *what, ax_shape want)
{
    char a[96], b[96];
    if (ax_shape_equal(&in->shape, &want))
        return AX_OK;
    return ax_fail(AX_ERR_SHAPE, "%s must be %s, got %s", what, ax_shape_str(&want, a, sizeof a),
                   ax_shape_str(&in->shape, b, sizeof b));
}

ax_status ax_rec_infer(ax_node *n, int gates, int lstm)
{
    const int want = ax_rec_num_inputs(n, lstm);
    if (n->n_in != want)
        return ax_fail(AX_ERR_INVALID_ARG, "the attributes (bias %g, initial_state %g, lengths %g) ask for %d inputs, got %d",
                       n->attr[REC_BIAS], n->attr[REC_STATE], n->attr[REC_LENGTHS], want, n->n_in);
    char a[96];
    if (n->in[0]->shape.ndim != 3)
        return ax_fail(AX_ERR_SHAPE, "x must be [N, T, features], got %s", ax_shape_str(&n->in[0]->shape, a, sizeof a));
    if (n->in[2]->shape.ndim != 2 || n->in[2]->shape.dim[1] < 1)
        return ax_fail(AX_ERR_SHAPE, "w_hh must be [%d H, H], got %s", gates, ax_shape_str(&n->in[2]->shape, a, sizeof a));
    ax_rec r;
    ax_rec_setup(n, gates, lstm, &r);
    ax_status s;
    if ((s = expect(r.w_ih, "w_ih", ax_shape2(r.G, r.I))) || (s = expect(r.w_hh, "w_hh", ax_shape2(r.G, r.H))) ||
        (r.b_ih && ((s = expect(r.b_ih, "b_ih", ax_shape1(r.G))) || (s = expect(r.b_hh, "b_hh", ax_shape1(r.G))))) ||
        (r.h0 && (s = expect(r.h0, "h0", ax_shape2(r.N, r.H)))) || (r.c0 && (s = expect(r.c0, "c0", ax_shape2(r.N, r.H)))) ||
        (r.len && (s = expect(r.len, "lengths", ax_shape1(r.N)))))
        return s;
    n->shape = ax_shape3(r.N, r.T, r.S);
    return AX_OK;
}

ax_status ax_rec_check_lengths(const ax_rec *r)
{
    if (!r->len)
        return AX_OK;
    for (int64_t i = 0; i < r->N; i++) {
        const float v = r->len->data[i];
        if (!(v >= 1.0f && v <= (float)r->T && v == floorf(v)))
            return ax_fail(AX_ERR_INVALID_ARG, "lengths[%lld] is %g: a sample's length must be a whole number from 1 to %lld",
                           (long long)i, (double)v, (long long)r->T);
    }
    return AX_OK;
}

void ax_rec_initial_state(const ax_rec *r, float *state)
{
    const int64_t H = r->H, S = r->S;
    for (int64_t i = 0; i < r->N; i++) {
        float *s = state + i * S;
        if (r->h0)
            memcpy(s, r->h0->data + i * H, (size_t)H * sizeof(float));
        else
            memset(s, 0, (size_t)H * sizeof(float));
        if (S > H) {
            if (r->c0)
                memcpy(s + H, r->c0->data + i * H, (size_t)H * sizeof(float));
            else
                memset(s + H, 0, (size_t)H * sizeof(float));
        }
    }
}

void ax_rec_project(const ax_rec *r, float *out, int add_b_hh)
{
    const int64_t rows = r->N * r->T, G = r->G;
    ax_k_gemm(0, 1, rows, G, r->I, 1.0f, r->x->data, r->I, r->w_ih->data, r->I, 0.0f, out, G);
    if (!r->b_ih)
        return;
    const float *bi = r->b_ih->data, *bh = r->b_hh->data;
#pragma omp parallel for if (rows * G >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t k = 0; k < rows; k++) {
        float *o = out + k * G;
        for (int64_t j = 0; j < G; j++)
            o[j] += add_b_hh ? bi[j] + bh[j] : bi[j];
    }
}

void ax_rec_save_prev(const ax_rec *r, int64_t t, const float *state, float *prev)
{
    for (int64_t i = 0; i < r->N; i++) {
        float *p = prev + (i * r->T + t) * r->S;
        if (ax_rec_valid(r, i, t))
            memcpy(p, state + i * r->S, (size_t)r->S * sizeof(float));
        else /* its gradient row is zero: keep 0 * garbage from making a NaN */
            memset(p, 0, (size_t)r->S * sizeof(float));
    }
}

void ax_rec_carry(const ax_rec *r, int64_t t, const float *dgates_t, int64_t ld, float *tmp, float *dstate, int add)
{
    ax_k_gemm(0, 0, r->N, r->H, r->G, 1.0f, dgates_t, ld, r->w_hh->data, r->H, 0.0f, tmp, r->H);
    for (int64_t i = 0; i < r->N; i++) {
        if (!ax_rec_valid(r, i, t))
            continue;
        if (add)
            ax_k_acc(r->H, tmp + i * r->H, dstate + i * r->S);
        else
            memcpy(dstate + i * r->S, tmp + i * r->H, (size_t)r->H * sizeof(float));
    }
}

/* bias += the column sums of d [rows, G], rows in order (the same bits
 * for any thread count) */
static void column_sums(ax_node *bias, const float *d, int64_t rows, int64_t G)
{
    if (!bias || !bias->needs_grad)
        return;
    ax_grad_prepare(bias);
    for (int64_t k = 0; k < rows; k++)
        ax_k_acc(G, d + k * G, bias->grad);
}

void ax_rec_param_grads(const ax_rec *r, const float *dgx, const float *dgh, const float *prev)
{
    const int64_t rows = r->N * r->T, G = r->G;
    if (r->x->needs_grad) { /* dx = dgx w_ih */
        const float beta = ax_grad_accumulate(r->x) ? 1.0f : 0.0f;
        ax_k_gemm(0, 0, rows, r->I, G, 1.0f, dgx, G, r->w_ih->data, r->I, beta, r->x->grad, r->I);
    }
    if (r->w_ih->needs_grad) { /* dw_ih = dgx^T x */
        const float beta = ax_grad_accumulate(r->w_ih) ? 1.0f : 0.0f;
        ax_k_gemm(1, 0, G, r->I, rows, 1.0f, dgx, G, r->x->data, r->I, beta, r->w_ih->grad, r->I);
    }
    if (r->w_hh->needs_grad) { /* dw_hh = dgh^T h_prev */
        const float beta = ax_grad_accumulate(r->w_hh) ? 1.0f : 0.0f;
        ax_k_gemm(1, 0, G, r->H, rows, 1.0f, dgh, G, prev, r->S, beta, r->w_hh->grad, r->H);
    }
    column_sums(r->b_ih, dgx, rows, G);
    column_sums(r->b_hh, dgh, rows, G);
}

void ax_rec_state_grads(const ax_rec *r, const float *dstate)
{
    ax_node *parts[2] = {r->h0, r->c0};
    for (int p = 0; p < 2; p++) {
        ax_node *s = parts[p];
        if (!s || !s->needs_grad)
            continue;
        const int add = ax_grad_accumulate(s);
        for (int64_t i = 0; i < r->N; i++)
            for (int64_t j = 0; j < r->H; j++) {
                const float d = dstate[i * r->S + p * r->H + j];
                s->grad[i * r->H + j] = add ? s->grad[i * r->H + j] + d : d;
            }
    }
}

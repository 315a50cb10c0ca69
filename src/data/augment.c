/* Image augmentation: the primitives (deterministic, for callers and
 * tests) and the random per-sample policy the batcher applies. Images are
 * float planes: [H, W] or [C, H, W]. */
#include "axon/data.h"

#include <math.h>
#include <string.h>

void ax_image_translate(const float *in, int64_t c, int64_t h, int64_t w, int64_t dx, int64_t dy, float *out)
{
    for (int64_t k = 0; k < c; k++)
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                int64_t sy = y - dy, sx = x - dx;
                out[(k * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? in[(k * h + sy) * w + sx] : 0.0f;
            }
}

void ax_image_flip_horizontal(const float *in, int64_t c, int64_t h, int64_t w, float *out)
{
    for (int64_t k = 0; k < c * h; k++)
        for (int64_t x = 0; x < w; x++)
            out[k * w + x] = in[k * w + (w - 1 - x)];
}

void ax_image_rotate(const float *in, int64_t c, int64_t h, int64_t w, float degrees, float *out)
{
    /* each output pixel samples the input at its position rotated back
     * about the centre, bilinearly; outside reads as zero */
    /* counter-clockwise on screen (rows grow downwards) */
    const double a = degrees * 3.14159265358979323846 / 180.0, ca = cos(a), sa = sin(a);
    const double cy = (double)(h - 1) / 2, cx = (double)(w - 1) / 2;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            double sx = ca * (x - cx) - sa * (y - cy) + cx, sy = sa * (x - cx) + ca * (y - cy) + cy;
            int64_t x0 = (int64_t)floor(sx), y0 = (int64_t)floor(sy);
            double fx = sx - (double)x0, fy = sy - (double)y0;
            for (int64_t k = 0; k < c; k++) {
                const float *p = in + k * h * w;
                double v = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int64_t yy = y0 + dy, xx = x0 + dx;
                        if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                            v += (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx) * p[yy * w + xx];
                    }
                out[(k * h + y) * w + x] = (float)v;
            }
        }
}

void ax_image_adjust(float *img, int64_t c, int64_t h, int64_t w, float brightness, float contrast,
                     float saturation)
{
    const int64_t hw = h * w;
    if (c == 3 && saturation != 1.0f) /* blend with the luminance (ITU-R 601) */
        for (int64_t i = 0; i < hw; i++) {
            float g = 0.299f * img[i] + 0.587f * img[hw + i] + 0.114f * img[2 * hw + i];
            for (int64_t k = 0; k < 3; k++)
                img[k * hw + i] = g + saturation * (img[k * hw + i] - g);
        }
    for (int64_t k = 0; k < c; k++) {
        float *p = img + k * hw;
        double mean = 0;
        for (int64_t i = 0; i < hw; i++)
            mean += p[i];
        mean /= (double)hw;
        for (int64_t i = 0; i < hw; i++)
            p[i] = (float)(mean + contrast * (p[i] - mean)) + brightness;
    }
}

/* Channels, height, width of a data set's samples, if they are images. */
static int image_dims(const ax_dataset *ds, int64_t *c, int64_t *h, int64_t *w)
{
    if (ds->sample_ndim == 2)
        *c = 1, *h = ds->sample_shape[0], *w = ds->sample_shape[1];
    else if (ds->sample_ndim == 3)
        *c = ds->sample_shape[0], *h = ds->sample_shape[1], *w = ds->sample_shape[2];
    else
        return 0;
    return 1;
}

ax_status ax_augment_check(const ax_augment *a, const ax_dataset *ds)
{
    int64_t c = 0, h = 0, w = 0;
    if (!image_dims(ds, &c, &h, &w))
        return ax_fail(AX_ERR_INVALID_ARG, "augment: samples of %d dimensions are not images ([H, W] or [C, H, W])",
                       ds->sample_ndim);
    if (a->max_shift < 0 || a->crop_padding < 0 || !(a->max_rotate >= 0) || !(a->noise_std >= 0) ||
        !(a->brightness >= 0) || !(a->contrast >= 0 && a->contrast < 1) || !(a->saturation >= 0) ||
        !(a->grayscale_prob >= 0 && a->grayscale_prob <= 1))
        return ax_fail(AX_ERR_INVALID_ARG, "augment: amounts must be >= 0 (contrast < 1, grayscale_prob <= 1)");
    if ((a->saturation > 0 || a->grayscale_prob > 0) && c != 3)
        return ax_fail(AX_ERR_INVALID_ARG, "augment: saturation and grayscale need RGB images (3 channels), not %lld",
                       (long long)c);
    return AX_OK;
}

/* uniform in [-r, r] */
static float spread(ax_rng *rng, float r) { return r * (2.0f * ax_rng_uniform(rng) - 1.0f); }

void ax_augment_apply(const ax_augment *a, const ax_dataset *ds, ax_rng *rng, float *img, float *tmp)
{
    int64_t c = 0, h = 0, w = 0;
    if (!image_dims(ds, &c, &h, &w))
        return; /* ax_augment_check refuses such data sets first */
    const size_t bytes = (size_t)(c * h * w) * sizeof(float);
    int64_t reach = a->max_shift > a->crop_padding ? a->max_shift : a->crop_padding;
    if (reach > 0) {
        int64_t dx = (int64_t)ax_rng_below(rng, (uint32_t)(2 * reach + 1)) - reach;
        int64_t dy = (int64_t)ax_rng_below(rng, (uint32_t)(2 * reach + 1)) - reach;
        ax_image_translate(img, c, h, w, dx, dy, tmp);
        memcpy(img, tmp, bytes);
    }
    if (a->max_rotate > 0) {
        ax_image_rotate(img, c, h, w, spread(rng, a->max_rotate), tmp);
        memcpy(img, tmp, bytes);
    }
    if (a->flip_horizontal && ax_rng_u32(rng) & 1) {
        ax_image_flip_horizontal(img, c, h, w, tmp);
        memcpy(img, tmp, bytes);
    }
    if (a->brightness > 0 || a->contrast > 0 || a->saturation > 0) {
        float sat = a->saturation > 0 ? 1.0f + spread(rng, a->saturation) : 1.0f;
        ax_image_adjust(img, c, h, w, spread(rng, a->brightness), 1.0f + spread(rng, a->contrast), sat);
    }
    if (a->grayscale_prob > 0 && ax_rng_uniform(rng) < a->grayscale_prob)
        ax_image_adjust(img, c, h, w, 0.0f, 1.0f, 0.0f);
    if (a->noise_std > 0) /* Box-Muller: two normals from each pair of uniforms */
        for (int64_t i = 0; i < c * h * w; i += 2) {
            float u1 = ax_rng_uniform(rng), u2 = ax_rng_uniform(rng);
            float r = a->noise_std * sqrtf(-2.0f * logf(u1 > 1e-12f ? u1 : 1e-12f)), th = 6.2831853f * u2;
            img[i] += r * cosf(th);
            if (i + 1 < c * h * w)
                img[i + 1] += r * sinf(th);
        }
}

/* Augmentation: each primitive changes an image as specified, and the
 * batcher's random draws are seeded, per sample, and within their ranges. */
#include "test.h"

#define H 5
#define W 7

static void ramp(float *img, int c)
{
    for (int i = 0; i < c * H * W; i++)
        img[i] = (float)(i + 1);
}

static void flip_twice_is_identity(void)
{
    float a[3 * H * W], b[3 * H * W], c[3 * H * W];
    ramp(a, 3);
    ax_image_flip_horizontal(a, 3, H, W, b);
    CHECK(b[0] == a[W - 1] && b[W * H + 2] == a[W * H + W - 3]);
    ax_image_flip_horizontal(b, 3, H, W, c);
    CHECK(memcmp(a, c, sizeof a) == 0);
}

static void shift_moves_a_known_pixel(void)
{
    float a[H * W], b[H * W];
    memset(a, 0, sizeof a);
    a[1 * W + 2] = 9.0f; /* row 1, column 2 */
    ax_image_translate(a, 1, H, W, 3, 2, b); /* right 3, down 2 */
    CHECK(b[3 * W + 5] == 9.0f);
    float sum = 0;
    for (int i = 0; i < H * W; i++)
        sum += b[i];
    CHECK(sum == 9.0f);
    ax_image_translate(a, 1, H, W, 10, 0, b); /* off the image: all zero fill */
    for (int i = 0; i < H * W; i++)
        CHECK(b[i] == 0.0f);
}

static void rotate_quarter_turn(void)
{
    /* a 5x5 image: a quarter turn counter-clockwise sends (row 0, col 4)
     * (top right) to (row 0, col 0) (top left) */
    float a[25] = {0}, b[25];
    a[4] = 1.0f;
    ax_image_rotate(a, 1, 5, 5, 90.0f, b);
    CHECK_NEAR(b[0], 1.0, 1e-5);
    float total = 0;
    for (int i = 0; i < 25; i++)
        total += b[i];
    CHECK_NEAR(total, 1.0, 1e-5);
    /* no rotation: the image unchanged */
    float r[25];
    for (int i = 0; i < 25; i++)
        a[i] = (float)i;
    ax_image_rotate(a, 1, 5, 5, 0.0f, r);
    for (int i = 0; i < 25; i++)
        CHECK_NEAR(r[i], a[i], 1e-5);
}

static void colour_adjustments(void)
{
    float a[3 * H * W];
    ramp(a, 3);
    float before[3 * H * W];
    memcpy(before, a, sizeof a);
    ax_image_adjust(a, 3, H, W, 0.25f, 1.0f, 1.0f); /* brightness only */
    for (int i = 0; i < 3 * H * W; i++)
        CHECK_NEAR(a[i], before[i] + 0.25, 1e-4);
    memcpy(a, before, sizeof a);
    ax_image_adjust(a, 3, H, W, 0.0f, 0.5f, 1.0f); /* contrast halves the spread, keeps the mean */
    double m0 = 0, m1 = 0;
    for (int i = 0; i < H * W; i++)
        m0 += before[i], m1 += a[i];
    CHECK_NEAR(m1, m0, 1e-3);
    CHECK_NEAR(a[H * W - 1] - a[0], 0.5 * (before[H * W - 1] - before[0]), 1e-4);
    memcpy(a, before, sizeof a);
    ax_image_adjust(a, 3, H, W, 0.0f, 1.0f, 0.0f); /* grayscale: the channels equal the luminance */
    for (int i = 0; i < H * W; i++) {
        double g = 0.299 * before[i] + 0.587 * before[H * W + i] + 0.114 * before[2 * H * W + i];
        CHECK_NEAR(a[i], g, 1e-3);
        CHECK(a[i] == a[H * W + i] && a[i] == a[2 * H * W + i]);
    }
}

static ax_dataset *tiny_images(int n)
{
    static uint8_t x[64 * 8 * 8];
    int32_t y[64];
    for (int i = 0; i < n * 64; i++)
        x[i] = (uint8_t)((i * 37) % 256);
    for (int i = 0; i < n; i++)
        y[i] = i % 2;
    ax_dataset *ds = NULL;
    ax_dataset_from_memory(x, y, n, (int64_t[]){8, 8}, 2, 2, 1.0f / 255, &ds);
    return ds;
}

static void batcher_draws_are_seeded(void)
{
    ax_dataset *ds = tiny_images(16);
    ax_augment aug = {.max_shift = 2, .max_rotate = 15, .flip_horizontal = 1, .brightness = 0.1f,
                      .contrast = 0.2f, .noise_std = 0.05f};
    float plain[16 * 64], runs[2][16 * 64], lab[16];
    for (int k = 0; k < 3; k++) {
        ax_batcher *b;
        CHECK_OK(ax_batcher_new(ds, 16, 0, 5, &b));
        if (k)
            CHECK_OK(ax_batcher_set_augment(b, &aug));
        ax_batcher_start_epoch(b);
        CHECK(ax_batcher_next(b, k ? runs[k - 1] : plain, lab) == 16);
        ax_batcher_free(b);
    }
    CHECK(memcmp(runs[0], runs[1], sizeof runs[0]) == 0);  /* same seed, same draws */
    CHECK(memcmp(runs[0], plain, sizeof plain) != 0);      /* and they change the images */
    int changed = 0;
    for (int s = 0; s < 16; s++)
        changed += memcmp(runs[0] + s * 64, plain + s * 64, 64 * sizeof(float)) != 0;
    CHECK(changed == 16); /* per sample (noise alone touches every one) */
    /* refused: colour-only parts on one channel; a non-image table */
    ax_batcher *b;
    CHECK_OK(ax_batcher_new(ds, 4, 0, 1, &b));
    CHECK_ERR(ax_batcher_set_augment(b, &(ax_augment){.saturation = 0.2f}), AX_ERR_INVALID_ARG, "need RGB");
    ax_batcher_free(b);
    ax_dataset *table;
    CHECK_OK(ax_dataset_from_floats((float[]){1, 2, 3, 4}, 2, 2, (int32_t[]){0, 1}, 2, NULL, 0, &table));
    CHECK_OK(ax_batcher_new(table, 2, 0, 1, &b));
    CHECK_ERR(ax_batcher_set_augment(b, &aug), AX_ERR_INVALID_ARG, "are not images");
    ax_batcher_free(b);
    ax_dataset_free(table);
    ax_dataset_free(ds);
}

/* The loader hands out exactly the batcher's batches, a thread ahead. */
static void loader_matches_the_batcher(void)
{
    ax_dataset *ds = tiny_images(50);
    ax_augment aug = {.max_shift = 1, .noise_std = 0.1f};
    ax_batcher *b;
    ax_loader *l;
    CHECK_OK(ax_batcher_new(ds, 8, 1, 3, &b));
    CHECK_OK(ax_batcher_set_augment(b, &aug));
    CHECK_OK(ax_loader_new(ds, 8, 1, 3, 2, &aug, &l));
    CHECK(ax_loader_num_batches(l) == 7);
    float bx[8 * 64], bt[8];
    for (int epoch = 0; epoch < 3; epoch++) {
        ax_batcher_start_epoch(b);
        ax_loader_start_epoch(l);
        int64_t rows, batches = 0, same = 1;
        const float *lx, *lt;
        while ((rows = ax_batcher_next(b, bx, bt)) > 0) {
            if (epoch == 1 && batches == 3)
                break; /* leave an epoch half-read: the loader must drop the rest */
            int64_t lrows = ax_loader_next(l, &lx, &lt);
            same &= lrows == rows && !memcmp(lx, bx, (size_t)(rows * 64) * sizeof(float)) &&
                    !memcmp(lt, bt, (size_t)rows * sizeof(float));
            batches++;
        }
        if (epoch == 1)
            while (ax_batcher_next(b, bx, bt) > 0)
                ;
        else
            CHECK(ax_loader_next(l, &lx, &lt) == 0 && batches == 7);
        CHECK(same);
    }
    ax_loader_start_epoch(l);
    const float *lx, *lt;
    CHECK(ax_loader_next(l, &lx, &lt) == 8);
    ax_loader_free(l); /* mid-epoch, the thread waiting on a full ring: no hang */
    ax_batcher_free(b);
    ax_dataset_free(ds);
}

TEST_MAIN(T(flip_twice_is_identity), T(shift_moves_a_known_pixel), T(rotate_quarter_turn), T(colour_adjustments),
          T(batcher_draws_are_seeded), T(loader_matches_the_batcher))

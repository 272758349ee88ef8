/* main.c — the consumer test's program: two models compiled by quantc in one
 * executable (cnn, and the MLP under the name fashion_mlp), each with its own
 * arena, classify the test images embedded in images.h; prints every
 * prediction and each model's accuracy.  The same source runs on the host and
 * bare metal (printf only, everything static). */
#include <stdint.h>
#include <stdio.h>

#include "cnn.h"
#include "fashion_mlp.h"
#include "images.h"

_Static_assert(CNN_INPUT0_SIZE == IMAGE_PIXELS && FASHION_MLP_INPUT0_SIZE == IMAGE_PIXELS,
               "images.h does not match the models' input");

static _Alignas(CNN_ARENA_ALIGN) uint8_t cnn_arena[CNN_ARENA_SIZE];
static _Alignas(FASHION_MLP_ARENA_ALIGN) uint8_t mlp_arena[FASHION_MLP_ARENA_SIZE];
static float x[IMAGE_PIXELS], y_cnn[CNN_OUTPUT0_SIZE], y_mlp[FASHION_MLP_OUTPUT0_SIZE];

int main(void)
{
	unsigned long k, i, cnn_ok = 0, mlp_ok = 0;

	for (k = 0; k < IMAGES_COUNT; k++) {
		/* the models were trained on pixel / 255 */
		for (i = 0; i < IMAGE_PIXELS; i++)
			x[i] = (float)images[k][i] / 255.0f;
		if (cnn_run(x, y_cnn, cnn_arena) != QRT_OK ||
		    fashion_mlp_run(x, y_mlp, mlp_arena) != QRT_OK) {
			printf("image %lu: a model failed\n", k);
			return 1;
		}
		uint32_t c = qrt_argmax_f32(y_cnn, CNN_OUTPUT0_SIZE);
		uint32_t m = qrt_argmax_f32(y_mlp, FASHION_MLP_OUTPUT0_SIZE);
		cnn_ok += c == image_labels[k];
		mlp_ok += m == image_labels[k];
		printf("image %lu: cnn %lu, mlp %lu, label %lu\n", k, (unsigned long)c,
		       (unsigned long)m, (unsigned long)image_labels[k]);
	}
	printf("%s: %lu of %lu correct\n", cnn_model.name, cnn_ok, (unsigned long)IMAGES_COUNT);
	printf("%s: %lu of %lu correct\n", fashion_mlp_model.name, mlp_ok,
	       (unsigned long)IMAGES_COUNT);
	return 0;
}

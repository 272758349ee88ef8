/* demo.c — uses a model compiled by quantc: classifies the Fashion-MNIST test
 * images with NAME_run and prints the accuracy.
 *
 *   quantc compile cnn.qg --calib calib.npy -o cnn.o
 *   cc -DMODEL=cnn -I. -I<quantc>/runtime/include demo.c cnn.o libqrt.a -o demo
 *   ./demo test_x.npy test_y.npy [logits.npy]
 *
 * MODEL names the model (the symbol prefix); the header MODEL.h is included.
 * With a third argument the outputs are also written there (float32 .npy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MODEL
#define MODEL cnn
#endif
#include "qrt_select.h"

static const char *classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* Reads a little-endian .npy of the given descr ("<f4", "<i4"); returns the
 * element count of axis 0 in *rows and all elements in *count. */
static void *read_npy(const char *path, const char *descr, long *rows, long *count)
{
	FILE *f = fopen(path, "rb");
	unsigned char pre[10];
	char hdr[1024];
	long n = 1, dims[8], nd = 0;

	if (!f || fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) || pre[6] != 1) {
		fprintf(stderr, "%s: not a version 1 .npy file\n", path);
		exit(1);
	}
	size_t hl = pre[8] | pre[9] << 8;
	if (hl >= sizeof hdr || fread(hdr, 1, hl, f) != hl) {
		fprintf(stderr, "%s: bad header\n", path);
		exit(1);
	}
	hdr[hl] = 0;
	if (!strstr(hdr, descr) || strstr(hdr, "True")) {
		fprintf(stderr, "%s: expected dtype %s in C order\n", path, descr);
		exit(1);
	}
	for (char *p = strchr(strstr(hdr, "shape"), '(') + 1; *p && *p != ')' && nd < 8;) {
		char *e;
		long v = strtol(p, &e, 10);
		if (e == p)
			break;
		dims[nd++] = v;
		n *= v;
		p = e + strspn(e, ", ");
	}
	void *data = malloc((size_t)n * 4);
	if (!data || fread(data, 4, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: truncated\n", path);
		exit(1);
	}
	fclose(f);
	*rows = nd ? dims[0] : 1;
	*count = n;
	return data;
}

static void write_npy(const char *path, const float *y, long rows, long cols)
{
	FILE *f = fopen(path, "wb");
	char hdr[128];
	int len = snprintf(hdr, sizeof hdr,
	                   "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %ld), }", rows,
	                   cols);
	int total = (10 + len + 1 + 63) / 64 * 64;
	memset(hdr + len, ' ', (size_t)(total - 10 - len));
	hdr[total - 11] = '\n';
	unsigned char pre[10] = {0x93,
	                         'N',
	                         'U',
	                         'M',
	                         'P',
	                         'Y',
	                         1,
	                         0,
	                         (unsigned char)((total - 10) & 255),
	                         (unsigned char)((total - 10) >> 8)};
	if (!f || fwrite(pre, 1, 10, f) != 10 ||
	    fwrite(hdr, 1, (size_t)(total - 10), f) != (size_t)(total - 10) ||
	    fwrite(y, 4, (size_t)(rows * cols), f) != (size_t)(rows * cols) || fclose(f)) {
		fprintf(stderr, "%s: cannot write\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	long n, count, nl, lc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s test_x.npy test_y.npy [logits.npy]\n", argv[0]);
		return 2;
	}
	const qrt_model *m = &INFO;
	uint32_t in_size = m->inputs[0].size, out_size = m->outputs[0].size;
	float *x = read_npy(argv[1], "<f4", &n, &count);
	int32_t *labels = read_npy(argv[2], "<i4", &nl, &lc);
	if (count != n * (long)in_size || nl != n) {
		fprintf(stderr, "%s: %ld samples of %ld values; the model takes %u\n", argv[1], n,
		        count / (n ? n : 1), in_size);
		return 1;
	}
	/* the arena: any memory with the advertised size and alignment */
	void *arena = aligned_alloc(m->arena_align, (m->arena_size + m->arena_align - 1) /
	                                                    m->arena_align * m->arena_align);
	float *y = malloc((size_t)n * out_size * sizeof *y);
	long correct = 0;

	for (long i = 0; i < n; i++) {
		int rc = RUN(x + i * in_size, y + i * out_size, arena);
		if (rc != QRT_OK) {
			fprintf(stderr, "%s_run failed: %d\n", m->name, rc);
			return 1;
		}
		uint32_t best = qrt_argmax_f32(y + i * out_size, out_size);
		correct += (int32_t)best == labels[i];
		if (i < 5)
			printf("image %ld: predicted %-11s (class %u), label %s\n", i,
			       classes[best % 10], best, classes[labels[i] % 10]);
	}
	printf("%s: %ld of %ld test images correct, accuracy %.2f%% (arena %u bytes)\n", m->name,
	       correct, n, 100.0 * (double)correct / (double)n, m->arena_size);
	if (argc > 3)
		write_npy(argv[3], y, n, out_size);
	free(arena);
	free(y);
	free(x);
	free(labels);
	return 0;
}

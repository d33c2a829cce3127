/* SPDX-License-Identifier: MIT */
/*
 * Seeds for fuzz_virtio: well-formed requests for each device (a driver
 * start, a chain in memory, a kick, a worker round) and a few broken
 * ones.  Usage: virtio-seeds OUTDIR.  Format: fuzz/virtio_fuzz.h.
 */
#include "virtio_fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

/* Guest memory offsets (from FZ_MEM_BASE) the seeds use. */
#define HDR	0x2000u
#define STATUS	0x2100u
#define ITABLE	0x2200u
#define DATA	0x3000u

struct seed {
	uint8_t mem[2 * FZ_REGION];
	uint8_t ops[512];
	size_t nops;
};

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

static void desc(struct seed *s, uint64_t table, unsigned i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = s->mem + table + 16 * i;

	put(d, addr, 8);
	put(d + 8, len, 4);
	put(d + 12, flags, 2);
	put(d + 14, next, 2);
}

/* Make head available on queue q (one entry). */
static void avail(struct seed *s, unsigned q, uint16_t head)
{
	uint8_t *a = s->mem + FZ_Q_AVAIL(q) - FZ_MEM_BASE;

	put(a + 2, 1, 2);
	put(a + 4, head, 2);
}

static void op(struct seed *s, const uint8_t *b, size_t n)
{
	memcpy(s->ops + s->nops, b, n);
	s->nops += n;
}

/* Driver start, a kick of queue q, a worker round. */
static void start_kick_run(struct seed *s, uint8_t feat, unsigned q)
{
	const uint8_t init[] = { FZ_OP_INIT, feat, 3 };
	const uint8_t kick[] = { FZ_OP_WRITE, 0x50, 0, 2, (uint8_t)q,
				 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t run[] = { FZ_OP_RUN };

	op(s, init, sizeof(init));
	op(s, kick, sizeof(kick));
	op(s, run, sizeof(run));
}

static void save(const char *dir, const char *name, uint8_t kind,
		 const struct seed *s)
{
	uint8_t head[4] = { kind, 3, (uint8_t)sizeof(s->mem),
			    (uint8_t)(sizeof(s->mem) >> 8) };
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(head, 1, 4, f) != 4 ||
	    fwrite(s->mem, 1, sizeof(s->mem), f) != sizeof(s->mem) ||
	    fwrite(s->ops, 1, s->nops, f) != s->nops || fclose(f)) {
		perror(path);
		return;
	}
}

static void blk(const char *dir, const char *name, uint8_t kind,
		uint32_t type, uint32_t len, uint8_t feat, int indirect)
{
	static struct seed s;
	uint64_t t = FZ_Q_DESC(0) - FZ_MEM_BASE;

	memset(&s, 0, sizeof(s));
	put(s.mem + HDR, type, 4);
	put(s.mem + HDR + 8, 1, 8);
	if (indirect) {
		desc(&s, t, 0, FZ_MEM_BASE + ITABLE, 48, D_INDIRECT, 0);
		t = ITABLE;
	}
	desc(&s, t, 0, FZ_MEM_BASE + HDR, 16, D_NEXT, 1);
	desc(&s, t, 1, FZ_MEM_BASE + DATA, len,
	     D_NEXT | (type == 1 ? 0 : D_WRITE), 2);
	desc(&s, t, 2, FZ_MEM_BASE + STATUS, 1, D_WRITE, 0);
	avail(&s, 0, 0);
	start_kick_run(&s, feat, 0);
	save(dir, name, kind, &s);
}

static void one_buf(const char *dir, const char *name, uint8_t kind,
		    unsigned q, uint16_t flags, int input)
{
	static struct seed s;
	const uint8_t in[] = { FZ_OP_INPUT, 3, 'a', 'b', 'c' };

	memset(&s, 0, sizeof(s));
	memcpy(s.mem + DATA, "hello", 5);
	desc(&s, FZ_Q_DESC(q) - FZ_MEM_BASE, 0, FZ_MEM_BASE + DATA, 64,
	     flags, 0);
	avail(&s, q, 0);
	start_kick_run(&s, 3, q);
	if (input)
		op(&s, in, sizeof(in));
	save(dir, name, kind, &s);
}

static void loop(const char *dir)
{
	static struct seed s;
	uint64_t t = FZ_Q_DESC(0) - FZ_MEM_BASE;

	memset(&s, 0, sizeof(s));
	desc(&s, t, 0, FZ_MEM_BASE + DATA, 16, D_NEXT, 1);
	desc(&s, t, 1, FZ_MEM_BASE + DATA, 16, D_NEXT, 0);
	avail(&s, 0, 0);
	start_kick_run(&s, 0, 0);
	save(dir, "blk-loop", FZ_BLK, &s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	blk(argv[1], "blk-read", FZ_BLK, 0, 512, 0, 0);
	blk(argv[1], "blk-write", FZ_BLK, 1, 1024, 0, 0);
	blk(argv[1], "blk-flush", FZ_BLK, 4, 0, 0, 0);
	blk(argv[1], "blk-get-id", FZ_BLK, 8, 20, 0, 0);
	blk(argv[1], "blk-read-indirect", FZ_BLK, 0, 512, 2, 1);
	blk(argv[1], "blk-read-event-idx", FZ_BLK, 0, 512, 1, 0);
	blk(argv[1], "blk-ro-write", FZ_BLK_RO, 1, 512, 0, 0);
	one_buf(argv[1], "rng", FZ_RNG, 0, D_WRITE, 0);
	one_buf(argv[1], "console-tx", FZ_CONSOLE, 1, 0, 0);
	one_buf(argv[1], "console-rx", FZ_CONSOLE, 0, D_WRITE, 1);
	loop(argv[1]);
	return 0;
}

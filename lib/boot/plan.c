/* SPDX-License-Identifier: MIT */
/*
 * The boot plan: the writes, placed ranges and memory map a planner
 * produces, kept with a sticky error so a planner checks once at the end
 * instead of after every small step.  And the bounds-checked reader the
 * planners take image bytes through.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#define X(v) ((unsigned long long)(v))

const uint8_t *lvm_bytes_at(const struct lvm_bytes *b, uint64_t off,
			    uint64_t n)
{
	return off > b->len || n > b->len - off ? NULL : b->p + off;
}

int lvm_bytes_get(const struct lvm_bytes *b, uint64_t off, uint64_t n,
		  const char *field, const uint8_t **out)
{
	*out = lvm_bytes_at(b, off, n);
	if (!*out)
		return lvm_err(LIBVM_EIMAGE, "%s: %s at offset %#llx+%#llx is "
			       "beyond the end of the %zu-byte image", b->what,
			       field, X(off), X(n), b->len);
	return 0;
}

int lvm_bytes_le(const struct lvm_bytes *b, uint64_t off, unsigned n,
		 const char *field, uint64_t *out)
{
	const uint8_t *p = NULL;
	uint64_t v = 0;
	int r = lvm_bytes_get(b, off, n, field, &p);

	if (r < 0)
		return r;
	while (n--)
		v = (v << 8) | p[n];
	*out = v;
	return 0;
}

void lvm_plan_init(struct lvm_boot_plan *p, uint32_t kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
}

void lvm_plan_free(struct lvm_boot_plan *p)
{
	uint32_t i;

	for (i = 0; i < p->nbufs; i++)
		free(p->bufs[i]);
	free(p->w);
	free(p->ranges);
	free(p->map);
	libvm_image_destroy(p->img);
	lvm_layout_fini(&p->lay);
	memset(p, 0, sizeof(*p));
}

/* Room for one more element of an array that doubles. */
static bool grow(void **v, uint32_t n, uint32_t *cap, size_t elem)
{
	uint32_t c = *cap ? *cap * 2 : 16;
	void *nv;

	if (n < *cap)
		return true;
	nv = realloc(*v, (size_t)c * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = c;
	return true;
}

void lvm_plan_write(struct lvm_boot_plan *p, uint64_t gpa,
		    const uint8_t *src, uint64_t len)
{
	if (p->err || !len)
		return;
	if (!grow((void **)&p->w, p->nw, &p->wcap, sizeof(*p->w))) {
		p->err = lvm_err(LIBVM_ENOMEM, "boot: write list");
		return;
	}
	p->w[p->nw++] = (struct lvm_boot_write){ gpa, src, len };
}

void lvm_plan_range(struct lvm_boot_plan *p, uint32_t what, uint32_t index,
		    uint64_t gpa, uint64_t len)
{
	if (p->err || !len)
		return;
	if (!grow((void **)&p->ranges, p->nranges, &p->rcap,
		  sizeof(*p->ranges))) {
		p->err = lvm_err(LIBVM_ENOMEM, "boot: range list");
		return;
	}
	p->ranges[p->nranges++] = (libvm_boot_range){
		.gpa = gpa, .len = len, .what = what, .index = index,
	};
}

uint8_t *lvm_plan_buf(struct lvm_boot_plan *p, uint64_t len)
{
	uint8_t *b;

	if (p->err)
		return NULL;
	if (p->nbufs == ARRAY_SIZE(p->bufs) || len > SIZE_MAX ||
	    !(b = calloc(1, len ? (size_t)len : 1))) {
		p->err = lvm_err(LIBVM_ENOMEM, "boot: %llu-byte buffer",
				 X(len));
		return NULL;
	}
	p->bufs[p->nbufs++] = b;
	return b;
}

int lvm_plan_map(struct lvm_boot_plan *p, uint32_t max)
{
	uint32_t room = lvm_layout_map_count(&p->lay);

	if (p->err)
		return p->err;
	free(p->map);
	p->map = calloc(room ? room : 1, sizeof(*p->map));
	if (!p->map)
		return p->err = lvm_err(LIBVM_ENOMEM, "boot: memory map");
	if (room > max)
		return p->err = lvm_err(LIBVM_ELIMIT, "boot: the memory map "
					"has %u entries, the protocol takes "
					"%u", room, max);
	return p->err = lvm_layout_map(&p->lay, p->map, room, &p->nmap);
}

static int by_gpa(const void *a, const void *b)
{
	const libvm_boot_range *x = a, *y = b;

	if (x->gpa != y->gpa)
		return x->gpa < y->gpa ? -1 : 1;
	return x->what < y->what ? -1 : x->what > y->what;
}

void lvm_plan_finish(struct lvm_boot_plan *p)
{
	if (p->nranges)
		qsort(p->ranges, p->nranges, sizeof(*p->ranges), by_gpa);
}

uint8_t *lvm_plan_block(struct lvm_boot_plan *p, uint64_t len, uint64_t *gpa)
{
	int r;

	if (p->err)
		return NULL;
	len = lvm_align_up(len, LIBVM_PAGE_SIZE);
	/* Page 0 holds the real-mode IVT and BIOS data: start above. */
	r = lvm_layout_alloc(&p->lay, gpa, len, LIBVM_PAGE_SIZE,
			     LIBVM_PAGE_SIZE, LVM_HOLE_START, false,
			     LIBVM_E820_RESERVED, "the boot information");
	if (r == LIBVM_ERANGE)
		r = lvm_layout_alloc(&p->lay, gpa, len, LIBVM_PAGE_SIZE,
				     LVM_1M, LVM_4G, false,
				     LIBVM_E820_RESERVED,
				     "the boot information");
	if (r < 0) {
		p->err = r;
		return NULL;
	}
	return lvm_plan_buf(p, len);
}

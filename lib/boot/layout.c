/* SPDX-License-Identifier: MIT */
/*
 * Where things may go in guest RAM: the VM's RAM (less the legacy hole),
 * the ranges already spoken for (the caller's reserved ranges, then what
 * the planner places), a first-fit allocator over what is left, and the
 * memory map the guest is told about.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#define X(v) ((unsigned long long)(v))

/* Insert u at its place in l->used (the caller checked it is disjoint). */
static int used_insert(struct lvm_layout *l, struct lvm_used u)
{
	uint32_t i;

	if (l->nused == l->cap) {
		uint32_t c = l->cap ? l->cap * 2 : 32;
		struct lvm_used *v = realloc(l->used, c * sizeof(*v));

		if (!v)
			return lvm_err(LIBVM_ENOMEM, "boot: layout table");
		l->used = v;
		l->cap = c;
	}
	for (i = l->nused; i > 0 && l->used[i - 1].base > u.base; i--)
		l->used[i] = l->used[i - 1];
	l->used[i] = u;
	l->nused++;
	return 0;
}

/* The used range that overlaps [base, end), or NULL. */
static const struct lvm_used *used_hit(const struct lvm_layout *l,
				       uint64_t base, uint64_t end)
{
	uint32_t i;

	for (i = 0; i < l->nused; i++)
		if (l->used[i].base < end && base < l->used[i].end)
			return &l->used[i];
	return NULL;
}

/* Append [gpa, gpa + size) to the RAM list, joining an adjacent range. */
static void ram_add(struct lvm_layout *l, uint64_t gpa, uint64_t size)
{
	struct lvm_ram_range *last = l->nram ? &l->ram[l->nram - 1] : NULL;

	if (!size)
		return;
	if (last && last->gpa + last->size == gpa)
		last->size += size;
	else
		l->ram[l->nram++] = (struct lvm_ram_range){ gpa, size };
}

static int check_resv(const libvm_mem_range *m, uint32_t i)
{
	if (!m->len || m->len > UINT64_MAX - m->base)
		return lvm_err(LIBVM_EINVAL, "boot: reserved range %u "
			       "(%#llx+%#llx) is empty or wraps", i,
			       X(m->base), X(m->len));
	if (m->type < LIBVM_E820_RAM || m->type > LIBVM_E820_NVS)
		return lvm_err(LIBVM_EINVAL, "boot: reserved range %u has type "
			       "%u (LIBVM_E820_RAM 1 to LIBVM_E820_NVS 4)", i,
			       m->type);
	if (m->reserved)
		return lvm_err(LIBVM_EINVAL, "boot: reserved range %u: its "
			       "field 'reserved' must be 0", i);
	return 0;
}

int lvm_layout_init(struct lvm_layout *l, const struct lvm_boot_in *in)
{
	uint32_t i;
	int r;

	memset(l, 0, sizeof(*l));
	if (in->nresv > LVM_BOOT_MAX_RESERVED)
		return lvm_err(LIBVM_ELIMIT, "boot: %u reserved ranges, at "
			       "most %u", in->nresv, LVM_BOOT_MAX_RESERVED);
	l->ram = calloc((size_t)in->nram + 1, sizeof(*l->ram));
	if (!l->ram)
		return lvm_err(LIBVM_ENOMEM, "boot: RAM table");
	for (i = 0; i < in->nram; i++) {
		uint64_t a = in->ram[i].gpa, e = a + in->ram[i].size;

		if (!in->ram[i].size || e < a ||
		    (i && a < in->ram[i - 1].gpa + in->ram[i - 1].size)) {
			r = lvm_err(LIBVM_EINVAL, "boot: RAM range %u (%#llx+"
				    "%#llx) is empty, wraps or is out of "
				    "order", i, X(a), X(in->ram[i].size));
			goto fail;
		}
		/* The parts below and above the legacy hole. */
		if (a < LVM_HOLE_START)
			ram_add(l, a, (e < LVM_HOLE_START ? e : LVM_HOLE_START)
				       - a);
		if (e > LVM_HOLE_END) {
			uint64_t b = a > LVM_HOLE_END ? a : LVM_HOLE_END;

			ram_add(l, b, e - b);
		}
	}
	for (i = 0; i < in->nresv; i++) {
		const libvm_mem_range *m = &in->resv[i];
		const struct lvm_used *hit;

		r = check_resv(m, i);
		if (r < 0)
			goto fail;
		hit = used_hit(l, m->base, m->base + m->len);
		if (hit) {
			r = lvm_err(LIBVM_EINVAL, "boot: reserved range %u "
				    "(%#llx+%#llx) overlaps %#llx-%#llx", i,
				    X(m->base), X(m->len), X(hit->base),
				    X(hit->end));
			goto fail;
		}
		r = used_insert(l, (struct lvm_used){
			.base = m->base, .end = m->base + m->len,
			.type = m->type, .what = "a reserved range" });
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	lvm_layout_fini(l);
	return r;
}

void lvm_layout_fini(struct lvm_layout *l)
{
	free(l->ram);
	free(l->used);
	memset(l, 0, sizeof(*l));
}

/* The RAM range that holds addr, or NULL. */
static const struct lvm_ram_range *ram_at(const struct lvm_layout *l,
					  uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < l->nram; i++)
		if (addr - l->ram[i].gpa < l->ram[i].size &&
		    addr >= l->ram[i].gpa)
			return &l->ram[i];
	return NULL;
}

bool lvm_layout_free(const struct lvm_layout *l, uint64_t base, uint64_t len)
{
	const struct lvm_ram_range *r = ram_at(l, base);

	if (!len || !r || len > r->size - (base - r->gpa))
		return false;
	return !used_hit(l, base, base + len);
}

int lvm_layout_take(struct lvm_layout *l, uint64_t base, uint64_t len,
		    uint32_t type, const char *what)
{
	const struct lvm_ram_range *r = ram_at(l, base);
	const struct lvm_used *hit;

	if (!len)
		return 0;
	if (!r || len > r->size - (base - r->gpa))
		return lvm_err(LIBVM_ERANGE, "boot: %s at %#llx+%#llx is not "
			       "(all) guest RAM", what, X(base), X(len));
	hit = used_hit(l, base, base + len);
	if (hit)
		return lvm_err(LIBVM_ERANGE, "boot: %s at %#llx+%#llx would "
			       "overlap %s at %#llx-%#llx", what, X(base),
			       X(len), hit->what, X(hit->base), X(hit->end));
	return used_insert(l, (struct lvm_used){ base, base + len, type,
						 what });
}

/* The best place for len bytes in the free gap [g0, g1), if any. */
static bool fit(uint64_t *at, uint64_t g0, uint64_t g1, uint64_t len,
		uint64_t align, bool high)
{
	uint64_t a;

	if (g1 - g0 < len)
		return false;
	if (high) {
		a = (g1 - len) & ~(align - 1);
		if (a < g0)
			return false;
	} else {
		if (g0 > UINT64_MAX - (align - 1))
			return false;
		a = lvm_align_up(g0, align);
		if (a > g1 || g1 - a < len)
			return false;
	}
	*at = a;
	return true;
}

int lvm_layout_alloc(struct lvm_layout *l, uint64_t *gpa, uint64_t len,
		     uint64_t align, uint64_t lo, uint64_t hi, bool high,
		     uint32_t type, const char *what)
{
	bool found = false;
	uint64_t best = 0;
	uint32_t i, j = 0;

	if (!len || !align || (align & (align - 1)))
		return lvm_err(LIBVM_EINVAL, "boot: %s: %#llx bytes aligned "
			       "to %#llx", what, X(len), X(align));
	for (i = 0; i < l->nram; i++) {
		uint64_t g0 = l->ram[i].gpa, end = g0 + l->ram[i].size;

		/* The gaps of this range between used entries. */
		while (g0 < end) {
			uint64_t g1 = end, at;

			while (j < l->nused && l->used[j].end <= g0)
				j++;
			if (j < l->nused && l->used[j].base <= g0) {
				g0 = l->used[j].end;
				continue;
			}
			if (j < l->nused && l->used[j].base < end)
				g1 = l->used[j].base;
			if (g0 < lo)
				g0 = lo < g1 ? lo : g1;
			if (fit(&at, g0, g1 < hi ? g1 : (g0 < hi ? hi : g0),
				len, align, high) &&
			    (!found || high)) {
				best = at;
				found = true;
			}
			g0 = g1;
		}
		if (found && !high)
			break;
	}
	if (!found)
		return lvm_err(LIBVM_ERANGE, "boot: no free guest RAM for %s "
			       "(%#llx bytes aligned to %#llx, between %#llx "
			       "and %#llx)", what, X(len), X(align), X(lo),
			       X(hi));
	*gpa = best;
	return lvm_layout_take(l, best, len, type, what);
}

/* The map being built: entries go out (or are only counted). */
struct map_out {
	libvm_mem_range *out;
	uint32_t max, n;
	libvm_mem_range cur;	/* the entry still growing; len 0: none */
};

static int map_flush(struct map_out *m)
{
	if (!m->cur.len)
		return 0;
	if (m->out && m->n == m->max)
		return lvm_err(LIBVM_ELIMIT, "boot: the memory map needs more "
			       "than %u entries", m->max);
	if (m->out)
		m->out[m->n] = m->cur;
	m->n++;
	m->cur.len = 0;
	return 0;
}

/* Add the piece [base, end) of type (0: not in the map). */
static int map_piece(struct map_out *m, uint64_t base, uint64_t end,
		     uint32_t type)
{
	int r;

	if (m->cur.len && m->cur.type == type &&
	    m->cur.base + m->cur.len == base) {
		m->cur.len += end - base;
		return 0;
	}
	r = map_flush(m);
	if (r == 0 && type)
		m->cur = (libvm_mem_range){ .base = base, .len = end - base,
					    .type = type };
	return r;
}

/*
 * Sweep the boundaries of RAM and the used ranges in order: each piece
 * between two is the used range's type where it has one, else RAM where
 * RAM is, else not in the map.
 */
int lvm_layout_map(const struct lvm_layout *l, libvm_mem_range *out,
		   uint32_t max, uint32_t *n)
{
	struct map_out m = { .out = out, .max = max };
	uint64_t pos = 0;
	uint32_t i = 0, j = 0;
	int r = 0;

	for (;;) {
		uint64_t next = UINT64_MAX;
		uint32_t type = 0;

		while (i < l->nram && l->ram[i].gpa + l->ram[i].size <= pos)
			i++;
		while (j < l->nused && l->used[j].end <= pos)
			j++;
		if (i == l->nram && j == l->nused)
			break;
		if (i < l->nram && l->ram[i].gpa <= pos) {
			type = LIBVM_E820_RAM;
			next = l->ram[i].gpa + l->ram[i].size;
		} else if (i < l->nram) {
			next = l->ram[i].gpa;
		}
		if (j < l->nused && l->used[j].base <= pos) {
			if (l->used[j].type)
				type = l->used[j].type;
			if (l->used[j].end < next)
				next = l->used[j].end;
		} else if (j < l->nused && l->used[j].base < next) {
			next = l->used[j].base;
		}
		r = map_piece(&m, pos, next, type);
		if (r < 0 || next == UINT64_MAX)
			break;
		pos = next;
	}
	if (r == 0)
		r = map_flush(&m);
	*n = m.n;
	return r;
}

uint32_t lvm_layout_map_count(const struct lvm_layout *l)
{
	uint32_t n = 0;

	lvm_layout_map(l, NULL, 0, &n);
	return n;
}

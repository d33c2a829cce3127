/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.x, 2.7): taking chains off the available
 * ring and giving them back through the used ring, with every guest
 * address, length and index checked before it is used.  The device side
 * only: the caller holds the device lock.
 */
#include "vio.h"

#include <stdlib.h>
#include <string.h>

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define DESC_SIZE	16u
/* Ring sizes for a queue of n entries (with the event-index word). */
#define DESC_BYTES(n)	((uint64_t)DESC_SIZE * (n))
#define AVAIL_BYTES(n)	(6 + 2 * (uint64_t)(n))
#define USED_BYTES(n)	(6 + 8 * (uint64_t)(n))

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

_Static_assert(sizeof(struct desc) == DESC_SIZE, "virtq_desc layout");

static const char *const err_names[] = {
	[VQ_OK] = "no error",
	[VQ_ERR_RING] = "a ring is not inside guest RAM",
	[VQ_ERR_AVAIL_IDX] = "available index moved past the queue size",
	[VQ_ERR_INFLIGHT] = "more chains in flight than the queue holds",
	[VQ_ERR_HEAD] = "chain head index out of range",
	[VQ_ERR_NEXT] = "next descriptor index out of range",
	[VQ_ERR_LOOP] = "chain longer than the queue (a loop?)",
	[VQ_ERR_ADDR] = "buffer outside guest RAM or overflowing",
	[VQ_ERR_ORDER] = "device-readable buffer after a writable one",
	[VQ_ERR_INDIRECT] = "bad indirect descriptor table",
	[VQ_ERR_NOMEM] = "host out of memory",
};

const char *vq_err_name(enum vq_err e)
{
	if ((unsigned)e < ARRAY_SIZE(err_names))
		return err_names[e];
	return "unknown";
}

void *vio_map_all(const struct vio_mem *m, uint64_t gpa, uint64_t len,
		  bool write)
{
	uint64_t n = len;
	void *p;

	if (gpa + len < gpa)
		return NULL;
	p = m->map(m->ctx, gpa, &n, write);
	return p && n == len ? p : NULL;
}

static uint16_t ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p,
			       __ATOMIC_RELAXED);
}

static void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static void st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

int vq_enable(struct vq *q, const struct vio_mem *m, uint64_t gen)
{
	uint32_t n = q->num;

	if (!n || n > q->num_max || (n & (n - 1)))
		return -VQ_ERR_RING;
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return -VQ_ERR_RING;
	if (!vio_map_all(m, q->desc, DESC_BYTES(n), false) ||
	    !vio_map_all(m, q->avail, AVAIL_BYTES(n), false) ||
	    !vio_map_all(m, q->used, USED_BYTES(n), true))
		return -VQ_ERR_RING;
	q->last_avail = q->used_idx = q->signalled = 0;
	q->signalled_valid = q->pushed = false;
	q->inflight = 0;
	q->gen = gen;
	q->ready = true;
	return 0;
}

/* Back to the state after a device reset; chains taken become stale. */
void vq_reset(struct vq *q)
{
	q->ready = false;
	q->num = q->num_max;
	q->desc = q->avail = q->used = 0;
	q->gen = 0;
	q->inflight = 0;
}

/* Walking one chain into q->scratch. */
struct walk {
	struct vq *q;
	const struct vio_mem *m;
	uint32_t nseg, nread, ndesc;
	uint64_t len[2];
	bool seen_write;
};

/* Add [addr, addr+len) as pieces of host memory, region by region. */
static int add_buf(struct walk *w, uint64_t addr, uint32_t len, bool write)
{
	uint64_t left = len;

	if (addr + len < addr)
		return -VQ_ERR_ADDR;
	if (!write && w->seen_write)
		return -VQ_ERR_ORDER;
	w->seen_write |= write;
	while (left) {
		uint64_t n = left;
		uint8_t *p = w->m->map(w->m->ctx, addr, &n, write);

		if (!p || !n)
			return -VQ_ERR_ADDR;
		if (w->nseg >= 2 * w->q->num_max)
			return -VQ_ERR_LOOP;
		w->q->scratch[w->nseg++] = (struct vseg){ p, n };
		if (!write)
			w->nread++;
		w->len[write] += n;
		addr += n;
		left -= n;
	}
	return 0;
}

static void read_desc(struct desc *d, const uint8_t *table, uint32_t i)
{
	memcpy(d, table + (uint64_t)DESC_SIZE * i, sizeof(*d));
}

/* The descriptors of an indirect table, read once from guest RAM. */
static int walk_indirect(struct walk *w, const struct desc *ind)
{
	uint32_t n = ind->len / DESC_SIZE, i = 0;
	const uint8_t *table;
	struct desc d;
	int r;

	if (!w->q->indirect || (ind->flags & VRING_DESC_F_NEXT) ||
	    !ind->len || ind->len % DESC_SIZE)
		return -VQ_ERR_INDIRECT;
	if (n > w->q->num)
		return -VQ_ERR_LOOP;
	table = vio_map_all(w->m, ind->addr, ind->len, false);
	if (!table)
		return -VQ_ERR_INDIRECT;
	for (;;) {
		if (++w->ndesc > w->q->num)
			return -VQ_ERR_LOOP;
		read_desc(&d, table, i);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -VQ_ERR_INDIRECT;
		r = add_buf(w, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return -VQ_ERR_NEXT;
		i = d.next;
	}
}

/*
 * Walk the chain at head.  An indirect descriptor must be the chain's
 * only one, as drivers make them; every descriptor, direct or inside a
 * table, counts against the queue size, which bounds a loop.
 */
static int walk_chain(struct walk *w, const uint8_t *table, uint16_t head)
{
	uint32_t i = head;
	struct desc d;
	int r;

	for (;;) {
		read_desc(&d, table, i);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return w->ndesc ? -VQ_ERR_INDIRECT : walk_indirect(w, &d);
		if (++w->ndesc > w->q->num)
			return -VQ_ERR_LOOP;
		r = add_buf(w, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= w->q->num)
			return -VQ_ERR_NEXT;
		i = d.next;
	}
}

/*
 * With no new entry, ask the driver to notify us of the next one (the
 * event index, VIRTIO_F_EVENT_IDX) and look once more, so an entry added
 * meanwhile is not missed.
 */
static uint16_t avail_idx_rearm(struct vq *q, const struct vio_mem *m,
				const uint8_t *avail, uint16_t idx)
{
	uint8_t *used;

	if (idx != q->last_avail || !q->event_idx)
		return idx;
	used = vio_map_all(m, q->used, USED_BYTES(q->num), true);
	if (used)
		st16(used + 4 + 8 * (uint64_t)q->num, q->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n((const uint16_t *)(const void *)(avail + 2),
			       __ATOMIC_ACQUIRE);
}

int vq_pop(struct vq *q, const struct vio_mem *m, uint32_t index,
	   struct libvm_virtq_chain **out)
{
	struct walk w = { .q = q, .m = m };
	struct libvm_virtq_chain *c;
	const uint8_t *avail, *table;
	uint16_t idx, head;
	int r;

	avail = vio_map_all(m, q->avail, AVAIL_BYTES(q->num), false);
	table = vio_map_all(m, q->desc, DESC_BYTES(q->num), false);
	if (!avail || !table)
		return -VQ_ERR_RING;
	idx = __atomic_load_n((const uint16_t *)(const void *)(avail + 2),
			      __ATOMIC_ACQUIRE);
	idx = avail_idx_rearm(q, m, avail, idx);
	if (idx == q->last_avail)
		return 0;
	if ((uint16_t)(idx - q->last_avail) > q->num)
		return -VQ_ERR_AVAIL_IDX;
	if (q->inflight >= q->num)
		return -VQ_ERR_INFLIGHT;
	head = ld16(avail + 4 + 2 * (uint64_t)(q->last_avail & (q->num - 1)));
	if (head >= q->num)
		return -VQ_ERR_HEAD;
	r = walk_chain(&w, table, head);
	if (r < 0)
		return r;
	c = malloc(sizeof(*c) + w.nseg * sizeof(c->seg[0]));
	if (!c)
		return -VQ_ERR_NOMEM;
	*c = (struct libvm_virtq_chain){
		.gen = q->gen, .queue = index, .head = head,
		.nread = w.nread, .nseg = w.nseg,
		.len = { w.len[0], w.len[1] },
		.cur = { 0, w.nread },
	};
	memcpy(c->seg, q->scratch, w.nseg * sizeof(c->seg[0]));
	q->last_avail++;
	q->inflight++;
	*out = c;
	return 1;
}

int vq_push(struct vq *q, const struct vio_mem *m,
	    const struct libvm_virtq_chain *c)
{
	uint8_t *used = vio_map_all(m, q->used, USED_BYTES(q->num), true);
	uint8_t *e;
	uint64_t written = c->pos[1];

	if (!used)
		return -VQ_ERR_RING;
	e = used + 4 + 8 * (uint64_t)(q->used_idx & (q->num - 1));
	st32(e, c->head);
	st32(e + 4, written > UINT32_MAX ? UINT32_MAX : (uint32_t)written);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(void *)(used + 2), q->used_idx,
			 __ATOMIC_RELEASE);
	q->inflight--;
	q->pushed = true;
	return 0;
}

bool vq_want_irq(struct vq *q, const struct vio_mem *m)
{
	const uint8_t *avail;
	uint16_t old = q->signalled, ev;
	bool valid = q->signalled_valid;

	if (!q->pushed)
		return false;
	q->pushed = false;
	q->signalled = q->used_idx;
	q->signalled_valid = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail = vio_map_all(m, q->avail, AVAIL_BYTES(q->num), false);
	if (!avail)
		return false;
	if (!q->event_idx)
		return !(ld16(avail) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	ev = ld16(avail + 4 + 2 * (uint64_t)q->num);
	/* vring_need_event(): did used_idx pass the driver's used_event? */
	return (uint16_t)(q->used_idx - ev - 1) < (uint16_t)(q->used_idx - old);
}

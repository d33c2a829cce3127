/*
 * A small virtio-mmio driver, run in user mode by the virtio suite and
 * bench/virtio_blk.c: it finds a device by the magic value at the address
 * the host passes, negotiates features, sets up split virtqueues in its
 * own memory (identity-mapped, so a virtual address is the guest-physical
 * one) and polls the used ring instead of taking interrupts.  It drives
 * virtio-blk, virtio-rng and virtio-console, and in hostile mode hands
 * the device what no correct driver would (virtio_drv.h).
 */
#include <libvm/guest.h>

#include "virtio_drv.h"

#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_DEV_FEATURES	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEATURES	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM_MAX	0x034
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_STATUS	0x070
#define R_DESC_LO	0x080
#define R_DESC_HI	0x084
#define R_AVAIL_LO	0x090
#define R_AVAIL_HI	0x094
#define R_USED_LO	0x0a0
#define R_USED_HI	0x0a4
#define R_CONFIG	0x100

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40

#define F_EVENT_IDX	(1ull << 29)
#define F_VERSION_1	(1ull << 32)

#define D_NEXT		1
#define D_WRITE		2
#define D_INDIRECT	4

#define MAX_DEVS	4
#define MAX_QUEUES	2
#define QMAX		1024
#define SLAB		32768	/* one queue's rings, QMAX entries */
#define SPIN_CHECK	0xfffff	/* spins between status reads */

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vqd {
	uint32_t num;
	volatile struct vdesc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[num], used_event */
	volatile uint8_t *used;		/* flags, idx, ring[num], avail_event */
	uint16_t avail_idx, last_used;
};

struct vdev {
	volatile uint8_t *regs;
	uint64_t features;
	uint32_t nq;
	struct vqd q[MAX_QUEUES];
};

static struct vdev devs[MAX_DEVS];

/* The host calls the functions below; main has nothing to do. */
int main(void)
{
	return 0;
}
static uint8_t rings[MAX_DEVS][MAX_QUEUES][SLAB]
	__attribute__((aligned(4096)));
/* Request headers and status bytes, per device, per request slot. */
static struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
} hdrs[MAX_DEVS][QMAX / 3];
static volatile uint8_t stat[MAX_DEVS][QMAX / 3];
static struct vdesc itable[MAX_DEVS][QMAX + 2] __attribute__((aligned(16)));

static uint32_t rd(struct vdev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->regs + off);
}

static void wr(struct vdev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->regs + off) = v;
}

static void mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static uint16_t used_idx(struct vqd *q)
{
	return *(volatile uint16_t *)(q->used + 2);
}

static struct vdev *dev_at(int64_t i)
{
	return i >= 0 && i < MAX_DEVS ? &devs[i] : (struct vdev *)0;
}

/* Queue qi's rings in this device's slab; size num. */
static void queue_mem(struct vdev *d, int64_t di, uint32_t qi, uint32_t num)
{
	struct vqd *q = &d->q[qi];
	uint8_t *s = rings[di][qi];

	memset(s, 0, SLAB);
	q->num = num;
	q->desc = (volatile struct vdesc *)s;
	q->avail = (volatile uint16_t *)(s + 16 * QMAX);
	q->used = s + 16 * QMAX + 4096;
	q->avail_idx = q->last_used = 0;
}

static void set_addr(struct vdev *d, uint32_t lo, const volatile void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	wr(d, lo, (uint32_t)a);
	wr(d, lo + 4, (uint32_t)(a >> 32));
}

static void queue_regs(struct vdev *d, uint32_t qi)
{
	struct vqd *q = &d->q[qi];

	wr(d, R_QUEUE_NUM, q->num);
	set_addr(d, R_DESC_LO, q->desc);
	set_addr(d, R_AVAIL_LO, q->avail);
	set_addr(d, R_USED_LO, q->used);
}

/* Reset, acknowledge, negotiate: the common start of every init. */
static int64_t handshake(struct vdev *d, uint64_t base, uint64_t want)
{
	uint64_t f;

	d->regs = (volatile uint8_t *)(uintptr_t)base;
	if (rd(d, R_MAGIC) != 0x74726976)
		return -VD_ENODEV;
	if (rd(d, R_VERSION) != 2)
		return -VD_EVERSION;
	wr(d, R_STATUS, 0);
	wr(d, R_STATUS, S_ACK);
	wr(d, R_STATUS, S_ACK | S_DRIVER);
	wr(d, R_DEV_FEAT_SEL, 0);
	f = rd(d, R_DEV_FEATURES);
	wr(d, R_DEV_FEAT_SEL, 1);
	f |= (uint64_t)rd(d, R_DEV_FEATURES) << 32;
	f &= want;
	if (!(f & F_VERSION_1))
		return -VD_EFEATURES;
	wr(d, R_DRV_FEAT_SEL, 0);
	wr(d, R_DRV_FEATURES, (uint32_t)f);
	wr(d, R_DRV_FEAT_SEL, 1);
	wr(d, R_DRV_FEATURES, (uint32_t)(f >> 32));
	wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(rd(d, R_STATUS) & S_FEATURES_OK))
		return -VD_EFEATURES;
	d->features = f;
	return 0;
}

/*
 * Bring up device slot di at base: nq queues of at most qsize entries,
 * features want & offered.  Returns the device id or -VD_*.
 */
LIBVM_EXPORT int64_t vd_init(int64_t di, uint64_t base, uint64_t want,
			     uint32_t nq, uint32_t qsize)
{
	struct vdev *d = dev_at(di);
	uint32_t qi, max;
	int64_t r;

	if (!d || nq > MAX_QUEUES || qsize > QMAX || !qsize)
		return -VD_EQUEUE;
	r = handshake(d, base, want);
	if (r < 0)
		return r;
	for (qi = 0; qi < nq; qi++) {
		wr(d, R_QUEUE_SEL, qi);
		max = rd(d, R_QUEUE_NUM_MAX);
		if (!max || rd(d, R_QUEUE_READY))
			return -VD_EQUEUE;
		queue_mem(d, di, qi, qsize < max ? qsize : max);
		queue_regs(d, qi);
		wr(d, R_QUEUE_READY, 1);
	}
	d->nq = nq;
	wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return rd(d, R_DEVICE_ID);
}

LIBVM_EXPORT int64_t vd_status(int64_t di)
{
	struct vdev *d = dev_at(di);

	return d ? (int64_t)rd(d, R_STATUS) : -1;
}

LIBVM_EXPORT int64_t vd_config(int64_t di, uint32_t off)
{
	struct vdev *d = dev_at(di);

	return d ? (int64_t)rd(d, R_CONFIG + off) : -1;
}

/* Make entries [avail_idx, avail_idx + n) of the ring available, kick. */
static void publish(struct vdev *d, uint32_t qi, uint16_t n)
{
	struct vqd *q = &d->q[qi];
	uint16_t old = q->avail_idx, ev;

	barrier();
	q->avail_idx = (uint16_t)(old + n);
	q->avail[1] = q->avail_idx;
	mb();
	if (d->features & F_EVENT_IDX) {
		ev = *(volatile uint16_t *)(q->used + 4 + 8 * q->num);
		if ((uint16_t)(q->avail_idx - ev - 1) >= (uint16_t)(q->avail_idx - old))
			return;
	}
	wr(d, R_QUEUE_NOTIFY, qi);
}

static void put_avail(struct vqd *q, uint16_t k, uint16_t head)
{
	q->avail[2 + ((uint16_t)(q->avail_idx + k) & (q->num - 1))] = head;
}

/* The next used entry: its id, *len; -VD_* if the device gave up. */
static int64_t wait_used(struct vdev *d, uint32_t qi, uint32_t *len)
{
	struct vqd *q = &d->q[qi];
	volatile uint8_t *e;
	uint64_t spins;

	for (spins = 1; used_idx(q) == q->last_used; spins++) {
		__asm__ volatile("pause");
		if (!(spins & SPIN_CHECK) && (rd(d, R_STATUS) & S_NEEDS_RESET))
			return -VD_ERESET;
	}
	barrier();
	e = q->used + 4 + 8 * (q->last_used & (q->num - 1));
	if (len)
		*len = *(volatile uint32_t *)(e + 4);
	q->last_used++;
	return *(volatile uint32_t *)e;
}

/* One descriptor per piece of [buf, buf+len), nseg pieces, from i on. */
static uint16_t fill_data(volatile struct vdesc *t, uint16_t i, uint64_t buf,
			  uint64_t len, uint32_t nseg, uint16_t flags)
{
	uint64_t piece = (len + nseg - 1) / nseg;

	while (len) {
		uint64_t n = len < piece ? len : piece;

		t[i] = (struct vdesc){ buf, (uint32_t)n, flags | D_NEXT,
				       (uint16_t)(i + 1) };
		buf += n;
		len -= n;
		i++;
	}
	return i;
}

/*
 * One virtio-blk request on queue 0: header, data at buf (len bytes in
 * mode's number of segments, maybe in an indirect table), status.
 * Returns the status byte, or -VD_*.
 */
LIBVM_EXPORT int64_t blk_rw(int64_t di, uint32_t type, uint64_t sector,
			    uint64_t buf, uint64_t len, uint32_t mode)
{
	struct vdev *d = dev_at(di);
	uint32_t nseg = (mode & 0xff) ? (mode & 0xff) : 1;
	uint16_t dflags = (type == 1) ? 0 : D_WRITE;
	volatile struct vdesc *t;
	struct vqd *q;
	uint16_t i;
	int64_t r;

	if (!d || !d->nq)
		return -VD_EQUEUE;
	q = &d->q[0];
	hdrs[di][0] = (struct blk_hdr){ type, 0, sector };
	stat[di][0] = 0xff;
	t = (mode & VD_MODE_INDIRECT) ? itable[di] : q->desc;
	t[0] = (struct vdesc){ (uintptr_t)&hdrs[di][0], 16, D_NEXT, 1 };
	i = fill_data(t, 1, buf, len, nseg, dflags);
	t[i] = (struct vdesc){ (uintptr_t)&stat[di][0], 1, D_WRITE, 0 };
	if (mode & VD_MODE_INDIRECT)
		q->desc[0] = (struct vdesc){ (uintptr_t)t,
					     16u * (i + 1u), D_INDIRECT, 0 };
	put_avail(q, 0, 0);
	publish(d, 0, 1);
	r = wait_used(d, 0, 0);
	return r < 0 ? r : stat[di][0];
}

/* Request slot s of the stream: header, data, status at 3s, 3s+1, 3s+2. */
static void stream_slot(struct vdev *d, int64_t di, uint16_t s, uint32_t type,
			uint64_t off, uint64_t buf, uint64_t req)
{
	volatile struct vdesc *t = d->q[0].desc;
	uint16_t h = (uint16_t)(3 * s);

	hdrs[di][s] = (struct blk_hdr){ type, 0, off / 512 };
	stat[di][s] = 0xff;
	t[h] = (struct vdesc){ (uintptr_t)&hdrs[di][s], 16, D_NEXT,
			       (uint16_t)(h + 1) };
	t[h + 1] = (struct vdesc){ buf, (uint32_t)req,
				   (uint16_t)((type == 1 ? 0 : D_WRITE) |
					      D_NEXT), (uint16_t)(h + 2) };
	t[h + 2] = (struct vdesc){ (uintptr_t)&stat[di][s], 1, D_WRITE, 0 };
}

/*
 * The benchmark: total bytes from sector 0 on, in requests of req bytes,
 * depth of them in flight, data buffers at bufs (depth * req bytes).
 * Slots are refilled a quarter of the depth at a time, as a block layer
 * batches, so the device finds work waiting and is seldom kicked.
 * Returns 0 or the first bad status / -VD_*.
 */
LIBVM_EXPORT int64_t blk_stream(int64_t di, uint32_t type, uint64_t total,
				uint64_t req, uint64_t bufs, uint32_t depth)
{
	struct vdev *d = dev_at(di);
	uint16_t freel[QMAX / 3];
	uint64_t off = 0, done = 0;
	uint32_t nfree, k, batch = depth / 4 ? depth / 4 : 1;
	struct vqd *q;
	int64_t id;

	if (!d || !d->nq || !depth || depth > d->q[0].num / 3)
		return -VD_EQUEUE;
	q = &d->q[0];
	for (nfree = 0; nfree < depth; nfree++)
		freel[nfree] = (uint16_t)(depth - 1 - nfree);
	while (done < total) {
		if (nfree >= batch || nfree == depth) {
			for (k = 0; nfree && off < total; k++, off += req) {
				uint16_t s = freel[--nfree];

				stream_slot(d, di, s, type, off,
					    bufs + s * req, req);
				put_avail(q, (uint16_t)k, (uint16_t)(3 * s));
			}
			if (k)
				publish(d, 0, (uint16_t)k);
		}
		do {	/* one completion, and any others already there */
			id = wait_used(d, 0, 0);
			if (id < 0)
				return id;
			if (stat[di][id / 3])
				return stat[di][id / 3];
			freel[nfree++] = (uint16_t)(id / 3);
			done += req;
		} while (used_idx(q) != q->last_used);
	}
	return 0;
}

/* Device di's queue qi, or NULL. */
static struct vdev *with_queue(int64_t di, uint32_t qi)
{
	struct vdev *d = dev_at(di);

	return d && qi < d->nq ? d : (struct vdev *)0;
}

/* Make the chain at descriptor 0 of queue qi available: the used length. */
static int64_t run_chain(struct vdev *d, uint32_t qi)
{
	uint32_t used = 0;
	int64_t r;

	put_avail(&d->q[qi], 0, 0);
	publish(d, qi, 1);
	r = wait_used(d, qi, &used);
	return r < 0 ? r : used;
}

/* One buffer on queue qi, writable or not. */
static int64_t one_buf(int64_t di, uint32_t qi, uint64_t buf, uint64_t len,
		       uint16_t flags)
{
	struct vdev *d = with_queue(di, qi);

	if (!d)
		return -VD_EQUEUE;
	d->q[qi].desc[0] = (struct vdesc){ buf, (uint32_t)len, flags, 0 };
	return run_chain(d, qi);
}

/* A readable buffer then a writable one on queue qi. */
LIBVM_EXPORT int64_t vd_xfer(int64_t di, uint32_t qi, uint64_t in,
			     uint64_t inlen, uint64_t out, uint64_t outlen)
{
	struct vdev *d = with_queue(di, qi);

	if (!d)
		return -VD_EQUEUE;
	d->q[qi].desc[0] = (struct vdesc){ in, (uint32_t)inlen, D_NEXT, 1 };
	d->q[qi].desc[1] = (struct vdesc){ out, (uint32_t)outlen, D_WRITE, 0 };
	return run_chain(d, qi);
}

LIBVM_EXPORT int64_t rng_read(int64_t di, uint64_t buf, uint64_t len)
{
	return one_buf(di, 0, buf, len, D_WRITE);
}

/* virtio-console: queue 1 transmits, queue 0 receives. */
LIBVM_EXPORT int64_t cons_write(int64_t di, uint64_t buf, uint64_t len)
{
	return one_buf(di, 1, buf, len, 0);
}

LIBVM_EXPORT int64_t cons_read(int64_t di, uint64_t buf, uint64_t len)
{
	return one_buf(di, 0, buf, len, D_WRITE);
}

/* ---- hostile mode ---------------------------------------------------- */

/* Read the status until the device says it needs a reset (or give up). */
static int64_t wait_reset(struct vdev *d)
{
	uint32_t i, j, s = 0;

	for (i = 0; i < 100000; i++) {
		s = rd(d, R_STATUS);
		if (s & S_NEEDS_RESET)
			return s;
		for (j = 0; j < 1000; j++)
			__asm__ volatile("pause");
	}
	return s;
}

/* Set up queue 0 (or queue sel) with what no correct driver would. */
static int64_t bad_queue(struct vdev *d, uint32_t c, uint64_t ram_end)
{
	struct vqd *q = &d->q[0];
	uint32_t max;

	if (handshake(d, (uintptr_t)d->regs, ~0ull) < 0)
		return -VD_EFEATURES;
	wr(d, R_QUEUE_SEL, c == VD_QUEUE_SEL_RANGE ? 99 : 0);
	max = rd(d, R_QUEUE_NUM_MAX);
	queue_regs(d, 0);
	if (c == VD_RING_OUTSIDE_RAM)
		set_addr(d, R_USED_LO, (void *)(uintptr_t)(ram_end + 0x100000));
	if (c == VD_QUEUE_NOT_POW2)
		wr(d, R_QUEUE_NUM, 7);
	if (c == VD_QUEUE_TOO_BIG)
		wr(d, R_QUEUE_NUM, max ? 2 * max : 2 * q->num);
	wr(d, R_QUEUE_READY, 1);
	return wait_reset(d);
}

/*
 * Hand device di (queue 0 set up by vd_init) the malformed request c;
 * ram_end is where guest RAM ends, base the device's registers.  Returns
 * the status register once NEEDS_RESET shows (or as it is when it never
 * does), or -VD_*.
 */
LIBVM_EXPORT int64_t vd_hostile(int64_t di, uint32_t c, uint64_t ram_end,
				uint64_t base)
{
	struct vdev *d = dev_at(di);
	volatile struct vdesc *t, *it;
	uint64_t ok = (uintptr_t)&stat[di][1], itab = (uintptr_t)itable[di];
	uint16_t head = 0, n = 1, num, k;
	struct vqd *q;

	if (!d || !d->nq)
		return -VD_EQUEUE;
	q = &d->q[0];
	t = q->desc;
	it = itable[di];
	num = (uint16_t)q->num;
	t[0] = (struct vdesc){ ok, 1, D_WRITE, 0 };
	switch (c) {
	case VD_DESC_OUTSIDE_RAM:
		t[0].addr = ram_end + 0x1000;
		break;
	case VD_DESC_IN_MMIO:
		t[0].addr = base;
		break;
	case VD_DESC_OVERFLOW:
		t[0] = (struct vdesc){ ~0ull - 0xff, 0x1000, D_WRITE, 0 };
		break;
	case VD_DESC_HUGE_LEN:
		t[0].len = 0xffffffffu;
		break;
	case VD_DESC_LOOP:
		t[0] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 1 };
		t[1] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 0 };
		break;
	case VD_DESC_SELF_LOOP:
		t[0].flags |= D_NEXT;
		break;
	case VD_NEXT_RANGE:
		t[0] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT,
				       (uint16_t)(num + 3) };
		break;
	case VD_HEAD_RANGE:
		head = (uint16_t)(num + 5);
		break;
	case VD_AVAIL_JUMP:
		n = (uint16_t)(num + 1);
		break;
	case VD_ORDER:
		t[0] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 1 };
		t[1] = (struct vdesc){ ok, 1, 0, 0 };
		break;
	case VD_IND_OUTSIDE_RAM:
		t[0] = (struct vdesc){ ram_end + 0x10000, 32, D_INDIRECT, 0 };
		break;
	case VD_IND_BAD_LEN:
		it[0] = (struct vdesc){ ok, 1, D_WRITE, 0 };
		t[0] = (struct vdesc){ itab, 24, D_INDIRECT, 0 };
		break;
	case VD_IND_NESTED:
		it[0] = (struct vdesc){ itab, 16, D_INDIRECT, 0 };
		t[0] = (struct vdesc){ itab, 16, D_INDIRECT, 0 };
		break;
	case VD_IND_WITH_NEXT:
		it[0] = (struct vdesc){ ok, 1, D_WRITE, 0 };
		t[0] = (struct vdesc){ itab, 16, D_INDIRECT | D_NEXT, 1 };
		t[1] = (struct vdesc){ ok, 1, D_WRITE, 0 };
		break;
	case VD_IND_TOO_LONG:
		for (k = 0; k <= num; k++)
			it[k] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT,
						(uint16_t)(k + 1) };
		it[num].flags = D_WRITE;
		t[0] = (struct vdesc){ itab, 16u * (num + 1u), D_INDIRECT, 0 };
		break;
	case VD_IND_LOOP:
		it[0] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 1 };
		it[1] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 0 };
		t[0] = (struct vdesc){ itab, 32, D_INDIRECT, 0 };
		break;
	case VD_IND_NEXT_RANGE:
		it[0] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 5 };
		t[0] = (struct vdesc){ itab, 32, D_INDIRECT, 0 };
		break;
	case VD_IND_NOT_HEAD:
		it[0] = (struct vdesc){ ok, 1, D_WRITE, 0 };
		t[0] = (struct vdesc){ ok, 1, D_WRITE | D_NEXT, 1 };
		t[1] = (struct vdesc){ itab, 16, D_INDIRECT, 0 };
		break;
	case VD_RING_OUTSIDE_RAM:
	case VD_QUEUE_NOT_POW2:
	case VD_QUEUE_TOO_BIG:
	case VD_QUEUE_SEL_RANGE:
		return bad_queue(d, c, ram_end);
	default:
		return -VD_EQUEUE;
	}
	put_avail(q, 0, head);
	publish(d, 0, n);
	return wait_reset(d);
}

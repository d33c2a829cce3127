/* temporary */
#include "plan.h"
int lvm_pvh_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		 const struct lvm_boot_in *in)
{ (void)p; (void)buf; (void)len; (void)in; return lvm_err(LIBVM_ENOTSUP, "PVH: not yet"); }
int lvm_multiboot_plan(struct lvm_boot_plan *p, const uint8_t *buf,
		       size_t len, const struct lvm_boot_in *in)
{ (void)p; (void)buf; (void)len; (void)in; return lvm_err(LIBVM_ENOTSUP, "multiboot: not yet"); }
int lvm_elf64_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		   const struct lvm_boot_in *in)
{ (void)p; (void)buf; (void)len; (void)in; return lvm_err(LIBVM_ENOTSUP, "ELF: not yet"); }
int64_t lvm_multiboot_find(const uint8_t *buf, size_t len) { (void)buf; (void)len; return -1; }

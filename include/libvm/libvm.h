/* SPDX-License-Identifier: MIT */
/* libvm: the umbrella header.  Include this one. */
#ifndef LIBVM_LIBVM_H
#define LIBVM_LIBVM_H

#include <libvm/common.h>
#include <libvm/vm.h>
#include <libvm/memory.h>
#include <libvm/vcpu.h>
#include <libvm/device.h>
#include <libvm/loader.h>
#include <libvm/mode.h>
#include <libvm/call.h>
#include <libvm/snapshot.h>
#include <libvm/cmplog.h>
#include <libvm/linuxprog.h>
#include <libvm/boot.h>
#include <libvm/platform.h>
#include <libvm/machine.h>
#include <libvm/virtio.h>

#endif

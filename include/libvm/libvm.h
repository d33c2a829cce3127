/* SPDX-License-Identifier: MIT */
/*
 * libvm: the umbrella header.  Include this one.  Each header below is one
 * object; <libvm/guest.h> is for guest code and is not included here.
 */
#ifndef LIBVM_LIBVM_H
#define LIBVM_LIBVM_H

#include <libvm/errors.h>
#include <libvm/common.h>
#include <libvm/host.h>
#include <libvm/vm.h>
#include <libvm/memory.h>
#include <libvm/x86.h>
#include <libvm/exit.h>
#include <libvm/vcpu.h>
#include <libvm/device.h>
#include <libvm/loader.h>
#include <libvm/mode.h>
#include <libvm/ports.h>
#include <libvm/call.h>
#include <libvm/snapshot.h>
#include <libvm/fuzz.h>
#include <libvm/cmplog.h>
#include <libvm/linuxprog.h>

#endif

/* SPDX-License-Identifier: MIT */
/* Snapshot files (lib/snapshot/file.c) below the public API. Never installed. */
#ifndef LIBVM_SNAPFILE_H
#define LIBVM_SNAPFILE_H

#include "snapshot.h"

#include <stdio.h>

/*
 * Write s in the snapshot file format to fd (at its start); name is only
 * for messages.  Does not sync or close fd.
 */
int lvm_snapshot_write(const libvm_snapshot *s, int fd, const char *name);

/*
 * Read and check a whole snapshot file from f (any FILE*: a file, or
 * fmemopen for the fuzzer; it must be seekable to learn its size).  On
 * success *out is a new snapshot; on failure *out is NULL, nothing is left
 * allocated and the detail message names the offset.  Needs no KVM.
 */
int lvm_snapshot_parse(libvm_snapshot **out, FILE *f);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * /proc/meminfo: the system domain's headroom. Parsing is pure and
 * table-driven; reading uses pread() on an fd kept open, so a read under
 * pressure allocates nothing and opens nothing.
 */
#pragma once

#include <stdint.h>

struct meminfo {
        uint64_t mem_total_kib;
        uint64_t mem_free_kib;
        uint64_t mem_available_kib;
        uint64_t swap_total_kib;
        uint64_t swap_free_kib;
};

/* Parses the text of /proc/meminfo. Returns 0, or -EINVAL if MemTotal or
 * MemAvailable (Linux >= 3.14) is missing or malformed. Swap lines are
 * optional (0 when absent). */
int meminfo_parse(const char *buf, struct meminfo *ret);

/* Parses the value part of a meminfo line (also a node's meminfo): spaces,
 * digits, an optional " kB", then eol. Returns 0, -EINVAL or -ERANGE. */
int meminfo_parse_kib(const char *s, const char *eol, uint64_t *ret);

/* Opens "meminfo" under procfd (O_RDONLY|O_CLOEXEC). Returns fd or -errno. */
int meminfo_open(int procfd);

/* pread()s and parses the file behind fd. Returns 0 or -errno. */
int meminfo_read(int fd, struct meminfo *ret);

/* What is left before RAM + swap are gone: MemAvailable + SwapFree. */
uint64_t meminfo_available_kib(const struct meminfo *m);
/* RAM + swap: the kernel's totalpages for the system, in KiB. */
uint64_t meminfo_allowable_kib(const struct meminfo *m);

/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every module: reading files relative to a
 * directory fd, number parsing, clocks. No allocation, no global state.
 * Every function returns 0 or a byte count on success and -errno on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define MSEC_PER_SEC UINT64_C(1000)

/*
 * Reads the file at dirfd/path into buf (at most size - 1 bytes) and
 * NUL-terminates it. Returns the number of bytes read. A file longer than
 * the buffer is truncated, not an error: callers that care compare the
 * result with size - 1. Returns -errno (-ENOENT, -ESRCH for a vanished
 * process) on failure.
 */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size);

/* Like read_file_at() on an fd held open: pread() from offset 0. */
ssize_t pread_file(int fd, char *buf, size_t size);

/* Writes the string s to dirfd/path (O_WRONLY, no O_CREAT, no O_TRUNC). */
int write_file_at(int dirfd, const char *path, const char *s);

/*
 * Strict number parsing: the whole of s must be the number, optionally
 * followed by a single trailing newline. Returns 0, -EINVAL or -ERANGE.
 */
int parse_u64(const char *s, uint64_t *ret);
int parse_i64(const char *s, int64_t *ret);
int parse_int(const char *s, int *ret);

/*
 * Parses a size with an optional binary suffix (K, M, G, T; KiB, MiB...; a
 * trailing B is allowed) into bytes. "512M" -> 536870912.
 */
int parse_size_bytes(const char *s, uint64_t *ret_bytes);

/* Parses a duration with a unit (us, ms, s, min) into microseconds. A bare
 * number is seconds. "500ms" -> 500000. */
int parse_duration_usec(const char *s, uint64_t *ret_usec);

/* Creates the directory that will hold path (one level, mode 0755); an
 * existing one is fine. For sockets under /run/triage. */
int mkdir_parent(const char *path);

/* Parses "yes/no/true/false/on/off/1/0". */
int parse_bool(const char *s, bool *ret);

/* Current time of the given clock in microseconds. */
uint64_t now_usec(clockid_t clock);

/* Copies src into dst (size bytes), always NUL-terminated; returns true if
 * src fit without truncation. */
bool strscpy(char *dst, const char *src, size_t size);

/* Returns s with leading and trailing white space removed (in place). */
char *strstrip(char *s);

/* Formats a KiB amount for people: "1.5 GiB", "312 MiB", "64 KiB". */
const char *format_kib(uint64_t kib, char *buf, size_t size);

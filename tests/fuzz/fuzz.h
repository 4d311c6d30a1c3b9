/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libFuzzer targets. Each target feeds one parser of
 * input triage does not control (/proc, cgroup files, the config file, the
 * control socket).
 *
 * The parsers that take a C string get a heap copy of exactly size + 1
 * bytes with the NUL at the end, so ASan reports any read past it. Inputs
 * are bounded: the daemon never reads more than a few KiB of any such file
 * (its buffers are 4-8 KiB), so 64 KiB covers every real case while keeping
 * each run fast.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_INPUT_MAX (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns a malloc()ed NUL-terminated copy of at most FUZZ_INPUT_MAX bytes
 * of data, or NULL (the input is then skipped). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
        if (size > FUZZ_INPUT_MAX)
                size = FUZZ_INPUT_MAX;
        char *s = malloc(size + 1);
        if (!s)
                return NULL;
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* Returns a malloc()ed copy of exactly `size` bytes (no terminator: the
 * (buf, len) parsers must not look past len), or NULL. */
static inline char *fuzz_memdup(const uint8_t *data, size_t size)
{
        char *s = malloc(size > 0 ? size : 1);
        if (!s)
                return NULL;
        if (size > 0)
                memcpy(s, data, size);
        return s;
}

/* A property the parser promises did not hold: report and crash so
 * libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                                                     \
        do {                                                                                                 \
                if (!(cond)) {                                                                               \
                        fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);          \
                        abort();                                                                             \
                }                                                                                            \
        } while (0)

/* Whether the array a holds a NUL within its size (a string field that was
 * written within bounds). */
#define FUZZ_TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

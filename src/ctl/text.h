/* SPDX-License-Identifier: MIT */
/* Text from the daemon (process and application names) made safe to show
 * in a terminal or a notification. */
#pragma once

#include <stddef.h>

/*
 * Copies name into out (size bytes, NUL-terminated) as valid UTF-8 of
 * printable characters: control characters (C0, DEL and C1, which some
 * terminals obey in UTF-8 too) and malformed bytes become '?'; a sequence
 * is never cut in the middle. Returns the number of characters.
 */
size_t text_sanitize(const char *name, char *out, size_t size);

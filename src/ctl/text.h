/* SPDX-License-Identifier: MIT */
/* Text from the daemon (process and application names) made safe to show
 * in a terminal or a notification. */
#pragma once

#include <stddef.h>

#include <triage.h>

/*
 * Copies name into out (size bytes, NUL-terminated) as valid UTF-8 of
 * printable characters: control characters (C0, DEL and C1, which some
 * terminals obey in UTF-8 too) and malformed bytes become '?'; a sequence
 * is never cut in the middle. Returns the number of characters.
 */
size_t text_sanitize(const char *name, char *out, size_t size);

/*
 * What the daemon closed, for a person: the title ("Closed gimp", "Killed
 * gimp") and the reason in sentences ("Memory was critically low in
 * system (8 MiB left). You picked it. It saved its state and closed
 * itself; about 410 MiB freed."). Names are sanitized. Both return out.
 */
const char *text_kill_title(const struct triage_kill *k, char *out, size_t size);
const char *text_kill_reason(const struct triage_kill *k, char *out, size_t size);

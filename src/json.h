/* SPDX-License-Identifier: MIT */
/* Just enough JSON output for reports: strings escaped per RFC 8259
 * (control bytes as \u00XX, invalid UTF-8 bytes as \u00XX too, so hostile
 * process names cannot break the document). */
#pragma once

#include <stdio.h>

/* Writes s as a quoted JSON string. */
void json_string(FILE *f, const char *s);

/* Writes "key": with a leading comma unless first. */
void json_key(FILE *f, const char *key, int first);

/* SPDX-License-Identifier: MIT */
#include "text.h"

#include <stdbool.h>
#include <string.h>

size_t text_sanitize(const char *name, char *out, size_t size)
{
        const unsigned char *p = (const unsigned char *)name;
        size_t o = 0, chars = 0;

        while (*p && o + 1 < size) {
                size_t len = 1;
                bool ok;
                if (*p < 0x80) {
                        ok = *p >= 0x20 && *p != 0x7f;
                } else {
                        unsigned char lo = 0x80, hi = 0xbf;
                        if (*p >= 0xc2 && *p <= 0xdf)
                                len = 2;
                        else if (*p >= 0xe0 && *p <= 0xef)
                                len = 3;
                        else if (*p >= 0xf0 && *p <= 0xf4)
                                len = 4;
                        /* No overlong forms, surrogates, code points past
                         * U+10FFFF or C1 controls (U+0080..U+009F): only
                         * the second byte's range differs. */
                        if (*p == 0xe0)
                                lo = 0xa0;
                        else if (*p == 0xed)
                                hi = 0x9f;
                        else if (*p == 0xf0)
                                lo = 0x90;
                        else if (*p == 0xf4)
                                hi = 0x8f;
                        else if (*p == 0xc2)
                                lo = 0xa0;
                        ok = len > 1 && p[1] >= lo && p[1] <= hi;
                        for (size_t k = 2; ok && k < len; k++)
                                ok = p[k] >= 0x80 && p[k] <= 0xbf;
                }
                if (!ok) {
                        out[o++] = '?';
                        p++;
                } else {
                        if (o + len >= size)
                                break;
                        memcpy(out + o, p, len);
                        o += len;
                        p += len;
                }
                chars++;
        }
        out[o] = '\0';
        return chars;
}

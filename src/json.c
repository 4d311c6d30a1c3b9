/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_valid_len(const unsigned char *s)
{
        size_t len;
        unsigned min;
        unsigned cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0) {
                len = 2, min = 0x80, cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3, min = 0x800, cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4, min = 0x10000, cp = s[0] & 0x07;
        } else {
                return 0;
        }
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void json_string(FILE *f, const char *str)
{
        const unsigned char *s = (const unsigned char *)str;

        fputc('"', f);
        while (*s) {
                size_t len = utf8_valid_len(s);
                if (len == 0) {
                        fprintf(f, "\\u%04x", *s);
                        s++;
                        continue;
                }
                if (len > 1) {
                        fwrite(s, 1, len, f);
                        s += len;
                        continue;
                }
                switch (*s) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*s < 0x20 || *s == 0x7f)
                                fprintf(f, "\\u%04x", *s);
                        else
                                fputc(*s, f);
                }
                s++;
        }
        fputc('"', f);
}

void json_key(FILE *f, const char *key, int first)
{
        if (!first)
                fputc(',', f);
        json_string(f, key);
        fputc(':', f);
}

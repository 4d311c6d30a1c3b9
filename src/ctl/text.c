/* SPDX-License-Identifier: MIT */
#include "text.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

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

/* The name as shown: sanitized, "pid N" when empty. */
static const char *kill_name(const struct triage_kill *k, char *buf, size_t size)
{
        text_sanitize(k->name, buf, size);
        if (!buf[0])
                snprintf(buf, size, "pid %d", (int)k->pid);
        return buf;
}

const char *text_kill_title(const struct triage_kill *k, char *out, size_t size)
{
        char name[4 * TRIAGE_NAME_MAX + 16];

        kill_name(k, name, sizeof(name));
        switch (k->outcome) {
        case TRIAGE_KILL_CLOSED:
                snprintf(out, size, "Closed %s", name);
                break;
        case TRIAGE_KILL_GONE:
                snprintf(out, size, "%s exited", name);
                break;
        case TRIAGE_KILL_FAILED:
                snprintf(out, size, "Could not close %s", name);
                break;
        default:
                snprintf(out, size, "Killed %s", name);
                break;
        }
        return out;
}

static const char *outcome_sentence(const struct triage_kill *k)
{
        bool saved = k->flags & TRIAGE_KILLED_SAVED;

        switch (k->outcome) {
        case TRIAGE_KILL_CLOSED:
                return saved ? "It saved its state and closed itself" : "It closed itself when asked";
        case TRIAGE_KILL_AT_DEADLINE:
                return saved ? "It saved its state but did not close in time, and was killed"
                             : "It did not save and close in time, and was killed";
        case TRIAGE_KILL_AT_FLOOR:
                return saved ? "It saved its state, but memory ran out before it closed: it was killed"
                             : "Memory ran out before it closed: it was killed";
        case TRIAGE_KILL_TIMED_OUT:
                return "It was killed but had not yet exited when triage last looked";
        case TRIAGE_KILL_GONE:
                return "It exited before it could be killed";
        case TRIAGE_KILL_FAILED:
                return "It could not be killed";
        default:
                return saved ? "It had saved its state, and was killed" : "It was killed";
        }
}

const char *text_kill_reason(const struct triage_kill *k, char *out, size_t size)
{
        char domain[4 * TRIAGE_NAME_MAX + 16], tier[4 * 16], left[32], freed[32];
        bool freed_any = k->outcome != TRIAGE_KILL_GONE && k->outcome != TRIAGE_KILL_FAILED;
        char who[128];

        text_sanitize(k->domain, domain, sizeof(domain));
        text_sanitize(k->tier, tier, sizeof(tier));
        format_kib(k->available_kib, left, sizeof(left));
        format_kib(k->freed_kib, freed, sizeof(freed));
        if (k->flags & TRIAGE_KILLED_BY_PERSON)
                snprintf(who, sizeof(who), "It was picked in the chooser.");
        else
                snprintf(who, sizeof(who), "It was the policy's choice (%s%s, badness %" PRIu32 " of 1000).",
                         tier[0] ? tier : "no tier", tier[0] ? " tier" : "", k->score);
        char end[64] = "";
        if (freed_any)
                snprintf(end, sizeof(end), "; about %s freed", freed);
        snprintf(out, size, "Memory %s in %s (%s left). %s %s%s.",
                 k->flags & TRIAGE_KILLED_AT_FLOOR ? "reached the emergency floor" : "was critically low",
                 domain[0] ? domain : "?", left, who, outcome_sentence(k), end);
        return out;
}

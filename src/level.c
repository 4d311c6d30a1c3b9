/* SPDX-License-Identifier: MIT */
#include "level.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define KIB_PER_MIB UINT64_C(1024)
#define KIB_PER_GIB (UINT64_C(1024) * 1024)

/*
 * Caps on percentage thresholds. A share that suits a 512 MiB device would
 * keep gigabytes idle on a 64 GiB machine: 5% of 64 GiB is 3.2 GiB that the
 * emergency level would never let anyone use, while 1 GiB is many seconds
 * of headroom at any realistic fill rate. Absolute sizes are never capped.
 */
static const uint64_t level_cap_kib[_TRIAGE_LEVEL_MAX] = {
        [TRIAGE_LEVEL_NORMAL] = UINT64_MAX,         [TRIAGE_LEVEL_LOW] = 4 * KIB_PER_GIB,
        [TRIAGE_LEVEL_MEDIUM] = 3 * KIB_PER_GIB,    [TRIAGE_LEVEL_CRITICAL] = 2 * KIB_PER_GIB,
        [TRIAGE_LEVEL_EMERGENCY] = 1 * KIB_PER_GIB,
};
#define HYSTERESIS_CAP_KIB (256 * KIB_PER_MIB)

/* At most this many decimals in a percentage: keeps the mantissa (at most
 * 100 * 10^9) far below 2^53, so value = mantissa / 10^decimals is one
 * correctly rounded division, exactly what strtod() would return. */
#define PERCENT_DECIMALS_MAX 9
#define PERCENT_SCALE UINT64_C(1000000000)

static const char *const level_names[_TRIAGE_LEVEL_MAX] = {
        [TRIAGE_LEVEL_NORMAL] = "normal",       [TRIAGE_LEVEL_LOW] = "low",
        [TRIAGE_LEVEL_MEDIUM] = "medium",       [TRIAGE_LEVEL_CRITICAL] = "critical",
        [TRIAGE_LEVEL_EMERGENCY] = "emergency",
};

/* org.freedesktop.LowMemoryMonitor's LowMemoryWarning byte: GLib maps 50 to
 * G_MEMORY_MONITOR_WARNING_LEVEL_LOW, 100 to MEDIUM and 255 to CRITICAL;
 * there is nothing above critical, so emergency sends 255 too. */
static const unsigned level_lmm_bytes[_TRIAGE_LEVEL_MAX] = {
        [TRIAGE_LEVEL_NORMAL] = 0,     [TRIAGE_LEVEL_LOW] = 50,        [TRIAGE_LEVEL_MEDIUM] = 100,
        [TRIAGE_LEVEL_CRITICAL] = 255, [TRIAGE_LEVEL_EMERGENCY] = 255,
};

void level_config_defaults(struct level_config *cfg)
{
        static const double mem_percent[_TRIAGE_LEVEL_MAX] = {
                [TRIAGE_LEVEL_NORMAL] = -1,   [TRIAGE_LEVEL_LOW] = 20,      [TRIAGE_LEVEL_MEDIUM] = 15,
                [TRIAGE_LEVEL_CRITICAL] = 10, [TRIAGE_LEVEL_EMERGENCY] = 5,
        };

        memset(cfg, 0, sizeof(*cfg));
        for (int l = 0; l < _TRIAGE_LEVEL_MAX; l++) {
                cfg->mem[l] = (struct threshold){ .percent = mem_percent[l], .bytes = 0 };
                cfg->psi_full_avg10[l] = -1;
        }
        /* A full stall of 40% over 10 s means every task waited on memory
         * for 4 of the last 10 seconds: the machine is thrashing whatever
         * MemAvailable says. */
        cfg->psi_full_avg10[TRIAGE_LEVEL_CRITICAL] = 40;
        cfg->hysteresis = (struct threshold){ .percent = 2, .bytes = 0 };
}

uint64_t threshold_resolve_kib(const struct threshold *t, uint64_t allowable_kib)
{
        if (t->percent >= 0) {
                double kib = t->percent * (double)allowable_kib / 100.0;
                if (kib >= 18446744073709551615.0)
                        return UINT64_MAX;
                return (uint64_t)kib;
        }
        return t->bytes / 1024;
}

static uint64_t threshold_resolve_capped_kib(const struct threshold *t, uint64_t allowable_kib,
                                             uint64_t cap_kib)
{
        uint64_t kib = threshold_resolve_kib(t, allowable_kib);

        if (t->percent >= 0)
                kib = MIN(kib, cap_kib);
        return kib;
}

void level_thresholds_resolve(const struct level_config *cfg, uint64_t allowable_kib,
                              struct level_thresholds *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->psi_full_avg10[TRIAGE_LEVEL_NORMAL] = -1;
        for (int l = TRIAGE_LEVEL_LOW; l < _TRIAGE_LEVEL_MAX; l++) {
                ret->mem_kib[l] = threshold_resolve_capped_kib(&cfg->mem[l], allowable_kib, level_cap_kib[l]);
                ret->psi_full_avg10[l] = cfg->psi_full_avg10[l];
        }
        /* Enforce LOW >= MEDIUM >= CRITICAL >= EMERGENCY by raising the
         * lower levels, never by lowering a higher one: the emergency floor
         * is what keeps the kernel OOM killer away, so it wins. */
        for (int l = TRIAGE_LEVEL_EMERGENCY - 1; l >= TRIAGE_LEVEL_LOW; l--)
                ret->mem_kib[l] = MAX(ret->mem_kib[l], ret->mem_kib[l + 1]);
        ret->hysteresis_kib = threshold_resolve_capped_kib(&cfg->hysteresis, allowable_kib,
                                                           HYSTERESIS_CAP_KIB);
}

static bool level_psi_reached(const struct level_thresholds *t, int l, const struct level_sample *s)
{
        return s->has_psi && t->psi_full_avg10[l] >= 0 && s->psi_full_avg10 >= t->psi_full_avg10[l];
}

enum triage_level level_evaluate(const struct level_thresholds *t, enum triage_level current,
                                 const struct level_sample *s)
{
        int cur = (unsigned)current < _TRIAGE_LEVEL_MAX ? (int)current : TRIAGE_LEVEL_EMERGENCY;
        int candidate = TRIAGE_LEVEL_NORMAL;

        for (int l = TRIAGE_LEVEL_EMERGENCY; l >= TRIAGE_LEVEL_LOW; l--)
                if (s->available_kib <= t->mem_kib[l] || level_psi_reached(t, l, s)) {
                        candidate = l;
                        break;
                }
        if (candidate >= cur)
                return (enum triage_level)candidate;

        /* Going down: level l is left only once available memory is above
         * its threshold plus the hysteresis and its stall is over. Several
         * levels can be left at once when memory is well above them. */
        for (int l = cur; l > candidate; l--) {
                uint64_t hold_kib = t->mem_kib[l] + t->hysteresis_kib;
                if (hold_kib < t->mem_kib[l])
                        hold_kib = UINT64_MAX;
                if (s->available_kib <= hold_kib || level_psi_reached(t, l, s))
                        return (enum triage_level)l;
        }
        return (enum triage_level)candidate;
}

uint64_t level_headroom_kib(const struct level_thresholds *t, uint64_t available_kib)
{
        uint64_t floor_kib = t->mem_kib[TRIAGE_LEVEL_EMERGENCY];

        return available_kib > floor_kib ? available_kib - floor_kib : 0;
}

const char *level_to_string(enum triage_level l)
{
        /* Never NULL: the result goes straight into log lines and JSON. */
        if ((unsigned)l >= _TRIAGE_LEVEL_MAX)
                return "invalid";
        return level_names[l];
}

int level_from_string(const char *s, enum triage_level *ret)
{
        for (int l = 0; l < _TRIAGE_LEVEL_MAX; l++)
                if (strcasecmp(s, level_names[l]) == 0) {
                        *ret = (enum triage_level)l;
                        return 0;
                }
        return -EINVAL;
}

unsigned level_to_lmm_byte(enum triage_level l)
{
        if ((unsigned)l >= _TRIAGE_LEVEL_MAX)
                return 255;
        return level_lmm_bytes[l];
}

/* Parses "12.5" or "12.5%" (the sign is required when need_sign) by hand: strtod()
 * follows LC_NUMERIC and accepts "nan", "1e2" and hex, none of which belong
 * in a configuration file. */
static int percent_parse(const char *s, bool need_sign, double *ret)
{
        static const uint64_t pow10[PERCENT_DECIMALS_MAX + 1] = {
                1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
        };
        uint64_t mantissa = 0;
        unsigned decimals = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                mantissa = mantissa * 10 + (uint64_t)(*p - '0');
                if (mantissa > 100)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (decimals == PERCENT_DECIMALS_MAX)
                                return -EINVAL;
                        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
                        decimals++;
                }
        }
        if (*p == '%')
                p++;
        else if (need_sign)
                return -EINVAL;
        if (*p != '\0')
                return -EINVAL;
        if (mantissa > 100 * pow10[decimals])
                return -ERANGE;
        *ret = (double)mantissa / (double)pow10[decimals];
        return 0;
}

int threshold_parse_percent(const char *s, double *ret)
{
        return percent_parse(s, false, ret);
}

const char *threshold_format_percent(double percent, char *buf, size_t size)
{
        if (!(percent >= 0)) {
                snprintf(buf, size, "off");
                return buf;
        }
        if (percent > 100)
                percent = 100;
        /* Decimal digits by integer arithmetic: "%f" would follow the locale. */
        uint64_t scaled = (uint64_t)(percent * (double)PERCENT_SCALE + 0.5);
        uint64_t whole = scaled / PERCENT_SCALE;
        uint64_t frac = scaled % PERCENT_SCALE;
        if (frac == 0) {
                snprintf(buf, size, "%" PRIu64, whole);
                return buf;
        }
        unsigned digits = PERCENT_DECIMALS_MAX;
        while (frac % 10 == 0) {
                frac /= 10;
                digits--;
        }
        snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, whole, (int)digits, frac);
        return buf;
}

int threshold_parse(const char *s, struct threshold *ret)
{
        size_t len = strlen(s);
        uint64_t bytes;
        double percent;
        int r;

        if (len > 0 && s[len - 1] == '%') {
                r = percent_parse(s, true, &percent);
                if (r < 0)
                        return r;
                *ret = (struct threshold){ .percent = percent, .bytes = 0 };
                return 0;
        }
        r = parse_size_bytes(s, &bytes);
        if (r < 0)
                return r;
        *ret = (struct threshold){ .percent = -1, .bytes = bytes };
        return 0;
}

const char *threshold_format(const struct threshold *t, char *buf, size_t size)
{
        static const struct {
                const char *unit;
                unsigned shift;
        } units[] = {
                { "TiB", 40 },
                { "GiB", 30 },
                { "MiB", 20 },
                { "KiB", 10 },
        };
        if (t->percent >= 0) {
                char pct[32];
                snprintf(buf, size, "%s%%", threshold_format_percent(t->percent, pct, sizeof(pct)));
                return buf;
        }
        if (t->bytes > 0)
                for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                        uint64_t mask = (UINT64_C(1) << units[i].shift) - 1;
                        if ((t->bytes & mask) == 0) {
                                snprintf(buf, size, "%" PRIu64 " %s", t->bytes >> units[i].shift,
                                         units[i].unit);
                                return buf;
                        }
                }
        snprintf(buf, size, "%" PRIu64, t->bytes);
        return buf;
}

/* SPDX-License-Identifier: MIT */
/*
 * Memory levels of a domain, with hysteresis. Pure: the caller measures,
 * this decides.
 *
 * A level is entered when available memory falls to its threshold, or when
 * the PSI stall (avg10, percent) reaches the level's stall threshold. It is
 * left only when available memory is back above threshold + hysteresis and
 * the stall is below the stall threshold, so levels do not flap.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum triage_level {
        TRIAGE_LEVEL_NORMAL,
        TRIAGE_LEVEL_LOW,       /* tell everyone to trim caches */
        TRIAGE_LEVEL_MEDIUM,    /* ask applications to save state */
        TRIAGE_LEVEL_CRITICAL,  /* choose a victim: save-and-close, then kill */
        TRIAGE_LEVEL_EMERGENCY, /* kill the victim at once */
        _TRIAGE_LEVEL_MAX,
};

/* A threshold as given by the admin: a share of allowable memory or an
 * absolute amount. percent < 0 and bytes == 0 means "not set". */
struct threshold {
        double percent; /* of allowable, 0..100; < 0 when unused */
        uint64_t bytes;
};

struct level_config {
        /* Available memory at or below which each level (LOW..EMERGENCY)
         * is entered; index by enum triage_level. NORMAL is unused. */
        struct threshold mem[_TRIAGE_LEVEL_MAX];
        /* PSI full avg10 (percent) at or above which each level is entered;
         * < 0 when unused. */
        double psi_full_avg10[_TRIAGE_LEVEL_MAX];
        struct threshold hysteresis;
};

/* The thresholds resolved to KiB for one domain's allowable memory. */
struct level_thresholds {
        uint64_t mem_kib[_TRIAGE_LEVEL_MAX];
        double psi_full_avg10[_TRIAGE_LEVEL_MAX];
        uint64_t hysteresis_kib;
};

struct level_sample {
        uint64_t available_kib;
        bool has_psi;
        double psi_full_avg10;
};

/* Fills cfg with the defaults (documented in triage.conf(5)):
 * low 20%, medium 15%, critical 10%, emergency 5% of allowable memory, each
 * capped at 4 GiB / 3 GiB / 2 GiB / 1 GiB so large machines keep most of
 * their memory usable; PSI full avg10 >= 40% counts as critical; hysteresis
 * 2% (capped at 256 MiB). */
void level_config_defaults(struct level_config *cfg);

/* Resolves cfg against a domain's allowable memory. Thresholds are forced to
 * be non-increasing from LOW to EMERGENCY. */
void level_thresholds_resolve(const struct level_config *cfg, uint64_t allowable_kib,
                              struct level_thresholds *ret);

/* The level a domain is at, given where it was. */
enum triage_level level_evaluate(const struct level_thresholds *t, enum triage_level current,
                                 const struct level_sample *s);

/* KiB of headroom before the EMERGENCY threshold (0 when at or below it). */
uint64_t level_headroom_kib(const struct level_thresholds *t, uint64_t available_kib);

const char *level_to_string(enum triage_level l);
int level_from_string(const char *s, enum triage_level *ret);

/* The GLib / low-memory-monitor byte for a level: 0, 50, 100, 255, 255. */
unsigned level_to_lmm_byte(enum triage_level l);

/* Parses "15%", "12.5%" (0..100%, at most 9 decimals) or a size accepted by
 * parse_size_bytes() ("512M", "1G", "1048576") into a threshold. Returns 0,
 * -EINVAL or -ERANGE; ret is written only on success. */
int threshold_parse(const char *s, struct threshold *ret);
/* Resolves a threshold against allowable KiB (percent or bytes / 1024). */
uint64_t threshold_resolve_kib(const struct threshold *t, uint64_t allowable_kib);
/* Formats "15%" or "512 MiB" into buf. The text parses back to the same
 * threshold: sizes use the largest unit that divides them exactly. */
const char *threshold_format(const struct threshold *t, char *buf, size_t size);

/* Parses a percentage, "40", "12.5" or "12.5%", 0..100 with at most 9
 * decimals, without locale dependence. Returns 0, -EINVAL or -ERANGE. */
int threshold_parse_percent(const char *s, double *ret);
/* Formats a percentage without trailing zeros and without "%": "40",
 * "12.5". threshold_parse_percent() reads it back to the same double. */
const char *threshold_format_percent(double percent, char *buf, size_t size);

/* CRC-32C (Castagnoli), the checksum every TraceDB file format uses: SSE4.2's crc32 instruction
 * where the CPU has it, a table otherwise. Shared by the loader (runner and shim, checking a
 * .tcache) and the native recorder (framing its journal), which builds it from here. */
#include "crc32c.h"

#include <cpuid.h>
#include <string.h>
#if defined(__GLIBC__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#endif

static uint32_t crc_table[256];

static void crc_table_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
        crc_table[i] = c;
    }
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
    }
    crc = (uint32_t)c;
    for (; n > 0; n--, p++) crc = __builtin_ia32_crc32qi(crc, *p);
    return crc;
}

/* Whether the CPU has SSE4.2's crc32. Not __builtin_cpu_supports: that links libgcc's CPU model,
 * whose constructor runs a dozen cpuid instructions at every start, and cpuid traps to the
 * hypervisor in a VM (3-6 us each here). In the shim (glibc) ld.so has already asked the CPU and
 * <sys/platform/x86.h> reads its answer; the runner (musl, see the Makefile) asks once, leaf 1 only. */
static int has_sse42(void) {
#if defined(__GLIBC__) && __has_include(<sys/platform/x86.h>)
    return CPU_FEATURE_ACTIVE(SSE4_2);
#else
    static int known = -1;
    if (known < 0) {
        unsigned a, b, c, d;
        __cpuid(1, a, b, c, d);
        known = (c & bit_SSE4_2) != 0;
    }
    return known;
#endif
}

/* CRC-32C as java.util.zip.CRC32C computes it (initial and final value inverted). */
uint32_t tdb_crc32c(const void *data, size_t length) {
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    if (has_sse42()) {
        crc = crc_hw(crc, p, length);
    } else {
        if (crc_table[1] == 0) crc_table_init();
        for (size_t i = 0; i < length; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}


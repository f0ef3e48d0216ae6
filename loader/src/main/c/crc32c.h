/* CRC-32C (Castagnoli) as java.util.zip.CRC32C computes it (initial and final value inverted). */
#ifndef TDB_CRC32C_H
#define TDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t tdb_crc32c(const void *data, size_t length);

#endif

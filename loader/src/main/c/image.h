/* The .tcache file as the native loader reads it: a 64-byte header, the Kryo model (ignored here),
 * and the flat image. Little-endian, fixed-size tables, offsets from the image start. Must agree
 * with dev.tracedb.compiler.cache.TraceCacheFile / CacheImage and docs/formats/trace-cache.md. */
#ifndef TRACEDB_IMAGE_H
#define TRACEDB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define TDB_FILE_MAGIC "TDBCACHE"
#define TDB_IMAGE_MAGIC "TDBIMGv2" /* version 1 was "TDBIMAGE", 64-byte module records */
#define TDB_FORMAT_VERSION 3
#define TDB_HEADER_CRC_AT 56

struct tdb_file_header {
    char magic[8];
    uint32_t version;
    uint32_t flags;
    uint64_t model_offset, model_length;
    uint64_t image_offset, image_length;
    uint32_t model_crc, image_crc;
    uint32_t header_crc; /* over bytes [0, 56) */
    uint32_t reserved;
};

struct tdb_image_header {
    char magic[8];
    uint32_t module_count;
    uint32_t trace_count;
};

/* One variant of a module's trace code. */
struct tdb_code {
    uint32_t code_off, code_len;         /* the blob, 16-aligned */
    uint32_t relocs_off, reloc_count;    /* struct tdb_reloc[] */
    uint32_t entries_off, entry_count;   /* struct tdb_entry[] */
};

struct tdb_module {
    uint32_t path_off, path_len;         /* UTF-8, NUL after it */
    uint32_t build_id_off, build_id_len; /* raw bytes; length 0: none */
    uint64_t relied_hash;                /* FNV-1a 64 over the ranges' bytes in order */
    uint32_t ranges_off, range_count;    /* struct tdb_range[] */
    struct tdb_code plain;               /* what `run` installs */
    uint64_t reserved;
    struct tdb_code counting;            /* what `run --stats` installs; entry_count 0: none */
    uint32_t counters_off, counter_count; /* struct tdb_counter[], the counting code's counters */
    uint8_t reserved2[32];
};

struct tdb_range {
    uint64_t offset; /* from the module base */
    uint32_t length;
    uint32_t pad;
};

/* TDB_COUNTER (counting code only): the 4 bytes become (counters + 8 * module_offset) - (blob + code_offset + 4),
 * module_offset being a counter's index. */
enum { TDB_REL32 = 1, TDB_ABS64 = 2, TDB_COUNTER = 3 };

enum { TDB_COUNT_ENTRY = 1, TDB_COUNT_COMPLETION = 2, TDB_COUNT_EXIT = 3, TDB_COUNT_GUARD_EXIT = 4, TDB_COUNT_ITERATION = 5 };

struct tdb_counter {
    uint32_t trace_id;
    uint32_t kind;   /* TDB_COUNT_* */
    uint64_t target; /* EXIT: the module offset the side exit goes to; COMPLETION, ITERATION: the continuation */
};

struct tdb_reloc {
    uint32_t code_offset;
    uint32_t kind;
    uint64_t module_offset;
};

struct tdb_entry {
    uint64_t head_offset;
    uint32_t code_offset;
    uint32_t patch_length;
    uint32_t trace_id;
    uint32_t pad;
};

_Static_assert(sizeof(struct tdb_file_header) == 64, "file header");
_Static_assert(sizeof(struct tdb_image_header) == 16, "image header");
_Static_assert(sizeof(struct tdb_module) == 128, "module");
_Static_assert(sizeof(struct tdb_counter) == 16, "counter");
_Static_assert(sizeof(struct tdb_range) == 16, "range");
_Static_assert(sizeof(struct tdb_reloc) == 16, "relocation");
_Static_assert(sizeof(struct tdb_entry) == 24, "entry");

/* A cache file mapped read-only and checked: every checksum, bound and count. */
struct tdb_cache {
    void *map;
    size_t size;
    const uint8_t *image;
    uint64_t image_length;
    uint32_t module_count;
    uint32_t trace_count;
    const struct tdb_module *modules;
};

/* Maps and checks `path`. On failure returns -1 with a one-line reason in `err`
 * ("trace cache PATH: what"), and nothing mapped. */
int tdb_cache_open(const char *path, struct tdb_cache *cache, char *err, size_t err_size);
void tdb_cache_close(struct tdb_cache *cache);

static inline const void *tdb_at(const struct tdb_cache *c, uint32_t offset) {
    return c->image + offset;
}

#endif

/* Opening and checking a .tcache file; shared by the runner and the preload shim. Every offset and
 * count in the image is checked against the image's length here, so the shim can index without
 * further bounds checks. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "image.h"

static int fail(char *err, size_t size, const char *path, const char *what) {
    snprintf(err, size, "trace cache %s: %s", path, what);
    return -1;
}

/* [offset, offset + count * size) lies inside the image; 64-bit arithmetic cannot overflow here
 * because offset and count are 32-bit and size is small. */
static int fits(const struct tdb_cache *c, uint64_t offset, uint64_t count, uint64_t size) {
    return offset + count * size <= c->image_length;
}

/* One code variant's tables are in bounds; counter relocations (allowed only in counting code)
 * name counters that exist. */
static int check_code(const struct tdb_cache *c, const struct tdb_code *k, uint32_t counter_count) {
    if (!fits(c, k->code_off, k->code_len, 1) || !fits(c, k->relocs_off, k->reloc_count, sizeof(struct tdb_reloc))
        || !fits(c, k->entries_off, k->entry_count, sizeof(struct tdb_entry))) {
        return 0;
    }
    if (k->relocs_off % 8 || k->entries_off % 8) return 0;
    const struct tdb_reloc *r = tdb_at(c, k->relocs_off);
    for (uint32_t i = 0; i < k->reloc_count; i++) {
        uint64_t width = r[i].kind == TDB_REL32 ? 4 : r[i].kind == TDB_ABS64 ? 8 : 0;
        if (r[i].kind == TDB_COUNTER && r[i].module_offset < counter_count) width = 4;
        if (width == 0 || (uint64_t)r[i].code_offset + width > k->code_len) return 0;
    }
    const struct tdb_entry *e = tdb_at(c, k->entries_off);
    for (uint32_t i = 0; i < k->entry_count; i++) {
        if (e[i].code_offset >= k->code_len || e[i].patch_length < 5 || e[i].patch_length > 64) return 0;
    }
    return 1;
}

static int check_module(const struct tdb_cache *c, const struct tdb_module *m) {
    if (!fits(c, m->path_off, (uint64_t)m->path_len + 1, 1) || !fits(c, m->build_id_off, m->build_id_len, 1)
        || !fits(c, m->ranges_off, m->range_count, sizeof(struct tdb_range))
        || !fits(c, m->counters_off, m->counter_count, sizeof(struct tdb_counter))) {
        return 0;
    }
    if (m->ranges_off % 8 || m->counters_off % 8) return 0;
    if (!check_code(c, &m->plain, 0) || !check_code(c, &m->counting, m->counter_count)) return 0;
    if (m->counting.entry_count == 0) return 1;
    /* the counting code enters the same traces at the same heads, in the same order */
    if (m->counting.entry_count != m->plain.entry_count) return 0;
    const struct tdb_entry *p = tdb_at(c, m->plain.entries_off), *k = tdb_at(c, m->counting.entries_off);
    for (uint32_t i = 0; i < m->plain.entry_count; i++) {
        if (p[i].head_offset != k[i].head_offset || p[i].patch_length != k[i].patch_length || p[i].trace_id != k[i].trace_id) {
            return 0;
        }
    }
    return 1;
}

int tdb_cache_open(const char *path, struct tdb_cache *c, char *err, size_t err_size) {
    memset(c, 0, sizeof *c);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot open: %m");
        return fail(err, err_size, path, what);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, err_size, path, "not a regular file");
    }
    if (st.st_size < (off_t)sizeof(struct tdb_file_header)) {
        close(fd);
        return fail(err, err_size, path, "truncated: shorter than the 64-byte header");
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return fail(err, err_size, path, "cannot map the file");
    c->map = map;
    c->size = (size_t)st.st_size;

    const struct tdb_file_header *h = map;
    const char *what = NULL;
    if (memcmp(h->magic, TDB_FILE_MAGIC, 8) != 0) {
        what = "not a trace cache (no TDBCACHE magic)";
    } else if (tdb_crc32c(h, TDB_HEADER_CRC_AT) != h->header_crc) {
        what = "header checksum mismatch";
    } else if (h->version != TDB_FORMAT_VERSION) {
        static char version[96];
        snprintf(version, sizeof version, "format version %u, this tracedb reads version %u (recompile the cache)",
                 h->version, TDB_FORMAT_VERSION);
        what = version;
    } else if (h->image_offset < 64 || h->image_length > c->size || h->image_offset > c->size - h->image_length
               || h->model_offset < 64 || h->model_length > c->size || h->model_offset > c->size - h->model_length) {
        what = "truncated: a section lies past the end of the file";
    } else if (tdb_crc32c((const uint8_t *)map + h->model_offset, h->model_length) != h->model_crc) {
        what = "model checksum mismatch (the file is damaged)";
    } else if (tdb_crc32c((const uint8_t *)map + h->image_offset, h->image_length) != h->image_crc) {
        what = "image checksum mismatch (the file is damaged)";
    }
    if (what == NULL) {
        c->image = (const uint8_t *)map + h->image_offset;
        c->image_length = h->image_length;
        const struct tdb_image_header *ih = (const void *)c->image;
        if (c->image_length < sizeof *ih || memcmp(ih->magic, TDB_IMAGE_MAGIC, 8) != 0
            || !fits(c, sizeof *ih, ih->module_count, sizeof(struct tdb_module))) {
            what = "the image is malformed";
        } else {
            c->module_count = ih->module_count;
            c->trace_count = ih->trace_count;
            c->modules = (const void *)(c->image + sizeof *ih);
            for (uint32_t i = 0; i < c->module_count && what == NULL; i++) {
                if (!check_module(c, &c->modules[i])) what = "the image is malformed (a module's tables are out of bounds)";
            }
        }
    }
    if (what != NULL) {
        tdb_cache_close(c);
        return fail(err, err_size, path, what);
    }
    return 0;
}

void tdb_cache_close(struct tdb_cache *c) {
    if (c->map != NULL) munmap(c->map, c->size);
    memset(c, 0, sizeof *c);
}

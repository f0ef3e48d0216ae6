/* libtracedb-preload.so: applies a trace cache inside the program, before its main.
 *
 * tracedb-run puts this library in LD_PRELOAD and the cache's path in TRACEDB_CACHE. The
 * constructor first restores the environment (so the program's children do not inherit the shim),
 * then, per module of the cache:
 *   1. finds the module among the objects loaded at start-up (dl_iterate_phdr), by build-id, else
 *      by file name; checks its build-id and the FNV-1a hash of every byte the traces rely on;
 *   2. maps the module's code blob within rel32 reach of the module, applies the relocations and
 *      makes it read+execute;
 *   3. patches each trace head with `jmp rel32` (int3 padding), making the page writable only for
 *      the write and restoring its exact protection from /proc/self/maps.
 * A module that fails any step gets no traces at all (patches already written are undone), with
 * one line on stderr saying why; the program then runs that module's code as it is. A cache that
 * fails its checksums stops the program before main (exit 1): it never runs with unverified code.
 *
 * A module of the cache that is not loaded at start-up waits: the shim interposes dlopen, and
 * after each dlopen that returns, the waiting modules now loaded (the opened one or any
 * dependency) go through the same steps. Only while the program has a single thread: patching
 * code another thread may be running is not safe, so a module loaded while threads run gets no
 * traces (one line says so). Only shared libraries wait: a missing module whose file is a program
 * (or is not there) means a cache for another program, reported at start-up.
 *
 * With --stats (TRACEDB_STATS names the database's trace-stats directory, or is "-" for
 * --stats-stderr) the cache's counting code is installed instead of the plain code: the compiler
 * made it with a counter increment on every entry, completion and side exit of every trace, and
 * the shim maps those counters (writable, zeroed) right after the code and resolves the code's
 * COUNTER relocations to them. No code is generated here. At exit the counts go to
 * stderr and (unless "-") atomically to a stats file
 * DIR/sNNNN.tstats (format in docs/formats/trace-stats.md) that `tracedb runs` lists and
 * `tracedb export --table traces` joins with the cache's forecast.
 *
 * Single-threaded by construction at start-up: it runs in ld.so's initializer pass, and it refuses
 * to patch if the process already has more than one thread. Later (dlopen) it holds a lock and
 * again patches only while the process has one thread. */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096ul
#define PAGE_DOWN(a) ((uintptr_t)(a) & ~(PAGE - 1))
#define PAGE_UP(a) (((uintptr_t)(a) + PAGE - 1) & ~(PAGE - 1))
#define REACH 0x7fff0000l /* a little under 2 GiB: any rel32 between two points in a span this long fits */

/* ---- what is loaded ---------------------------------------------------------------------- */

struct object {
    const char *name; /* ld.so's string, or the program's path: valid while the object stays loaded */
    uintptr_t bias, base, end;
    const uint8_t *build_id;
    size_t build_id_len;
    const ElfW(Phdr) *phdr;
    ElfW(Half) phnum;
};

struct objects {
    struct object *v;
    size_t n, cap;
};

static void read_build_id(struct object *o) {
    for (ElfW(Half) i = 0; i < o->phnum; i++) {
        const ElfW(Phdr) *ph = &o->phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const uint8_t *p = (const uint8_t *)(o->bias + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const void *)p;
            const uint8_t *name = p + sizeof *n, *desc = name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                o->build_id = desc;
                o->build_id_len = n->n_descsz;
                return;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
}

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct objects *all = data;
    if (all->n == all->cap) {
        size_t cap = all->cap ? all->cap * 2 : 32;
        struct object *v = realloc(all->v, cap * sizeof *v);
        if (v == NULL) return 1;
        all->v = v;
        all->cap = cap;
    }
    struct object *o = &all->v[all->n];
    memset(o, 0, sizeof *o);
    o->bias = info->dlpi_addr;
    o->phdr = info->dlpi_phdr;
    o->phnum = info->dlpi_phnum;
    /* the module base as the recorder defines it: where file offset 0 is mapped */
    uintptr_t lowest = UINTPTR_MAX;
    for (ElfW(Half) i = 0; i < o->phnum; i++) {
        const ElfW(Phdr) *ph = &o->phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t file_start = o->bias + ph->p_vaddr - ph->p_offset;
        if (file_start < lowest) lowest = file_start;
        if (o->bias + ph->p_vaddr + ph->p_memsz > o->end) o->end = o->bias + ph->p_vaddr + ph->p_memsz;
    }
    if (lowest == UINTPTR_MAX) return 0; /* no loadable segment (the vdso has one; this is defensive) */
    o->base = lowest;
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0') {
        o->name = info->dlpi_name;
    } else if (all->n == 0) {
        static char *program; /* read once: the program does not change under us */
        if (program == NULL && (program = malloc(PATH_MAX)) != NULL) {
            ssize_t n = readlink("/proc/self/exe", program, PATH_MAX - 1);
            program[n > 0 ? n : 0] = '\0';
        }
        o->name = program != NULL ? program : "";
    } else {
        o->name = "";
    }
    read_build_id(o);
    all->n++;
    return 0;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* [address, address + length) lies in one loaded segment of `o` whose flags include `flags`. */
static int in_segment(const struct object *o, uintptr_t address, uint64_t length, ElfW(Word) flags) {
    for (ElfW(Half) i = 0; i < o->phnum; i++) {
        const ElfW(Phdr) *ph = &o->phdr[i];
        uintptr_t start = o->bias + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & flags) == flags && address >= start
            && address + length <= start + ph->p_filesz && address + length >= address) {
            return 1;
        }
    }
    return 0;
}

/* ---- the address space (/proc/self/maps) ------------------------------------------------- */

struct mapping {
    uintptr_t start, end;
    int prot;
    int is_stack;
};

struct maps {
    struct mapping *v;
    size_t n;
};

static int read_maps(struct maps *maps) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (;;) {
        if (text == NULL) { close(fd); return -1; }
        ssize_t n = read(fd, text + len, cap - len - 1);
        if (n < 0) { free(text); close(fd); return -1; }
        if (n == 0) break;
        len += (size_t)n;
        if (len + 1 == cap) text = realloc(text, cap *= 2);
    }
    close(fd);
    text[len] = '\0';
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    maps->v = calloc(lines + 1, sizeof *maps->v);
    maps->n = 0;
    if (maps->v == NULL) { free(text); return -1; }
    /* "START-END PERMS ..." by hand: glibc's sscanf sets up a string stream per call */
    for (char *line = text; *line; ) {
        char *next = strchr(line, '\n');
        if (next) *next = '\0';
        char *at;
        unsigned long start = strtoul(line, &at, 16), end = 0;
        int ok = *at == '-';
        if (ok) end = strtoul(at + 1, &at, 16);
        ok = ok && at[0] == ' ' && at[1] && at[2] && at[3];
        if (ok) {
            struct mapping *m = &maps->v[maps->n++];
            m->start = start;
            m->end = end;
            m->prot = (at[1] == 'r' ? PROT_READ : 0) | (at[2] == 'w' ? PROT_WRITE : 0) | (at[3] == 'x' ? PROT_EXEC : 0);
            m->is_stack = strstr(at, "[stack]") != NULL;
        }
        if (!next) break;
        line = next + 1;
    }
    free(text);
    return 0;
}

/* The index of the mapping holding `address` (maps are in address order), or -1. */
static long mapping_of(const struct maps *maps, uintptr_t address) {
    size_t lo = 0, hi = maps->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (address < maps->v[mid].start) hi = mid;
        else if (address >= maps->v[mid].end) lo = mid + 1;
        else return (long)mid;
    }
    return -1;
}

/* ---- one module -------------------------------------------------------------------------- */

struct applied {
    const struct object *object;
    uint8_t *blob;
    size_t blob_size;
    uint64_t *counters; /* --stats only: the counting code's counters, after the code */
};

static int verbose, stats;
/* Strings on the heap, not PATH_MAX arrays: a .bss larger than the data segment's last page costs
 * ld.so one more mapping when it loads the shim. */
static const char *cache_name = "";
static const char *stats_dir = ""; /* "": stats not kept */
static uint32_t cache_id;        /* the cache header's CRC32C: which cache the stats belong to */
static pid_t started_pid;        /* a forked child that exits must not write the parent's stats */
static long long started_ms;
/* --stats: where the counts are printed at exit. A copy of the program's stderr taken at start-up,
 * because a program may close its own at exit (coreutils' close_stdout does) before the shim's
 * destructor runs; the copy is close-on-exec and above the low descriptors programs use. */
static FILE *report;

static void say(const struct tdb_cache *c, const struct tdb_module *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(const struct tdb_cache *c, const struct tdb_module *m, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tracedb: %s: %s\n", (const char *)tdb_at(c, m->path_off), line);
}

static void hex(const uint8_t *b, size_t n, char *out, size_t size) {
    size_t i = 0;
    for (; i < n && 2 * i + 2 < size; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
    out[2 * i] = '\0';
}

/* Where the cache's module `m` stands among the loaded objects `all`. */
enum lookup { FOUND, OTHER_BUILD, ABSENT };

/* Finds `m` by build-id, else by file name; a module found by name with another build-id is
 * OTHER_BUILD, said on stderr once. */
static enum lookup find_object(const struct tdb_cache *c, const struct tdb_module *m, const struct objects *all,
                               const struct object **found) {
    const uint8_t *want = tdb_at(c, m->build_id_off);
    if (m->build_id_len > 0) {
        for (size_t i = 0; i < all->n; i++) {
            if (all->v[i].build_id_len == m->build_id_len && memcmp(all->v[i].build_id, want, m->build_id_len) == 0) {
                *found = &all->v[i];
                return FOUND;
            }
        }
    }
    const char *name = base_name(tdb_at(c, m->path_off));
    for (size_t i = 0; i < all->n; i++) {
        if (strcmp(base_name(all->v[i].name), name) != 0) continue;
        *found = &all->v[i];
        if (m->build_id_len > 0) {
            char have[80], cached[80];
            hex(all->v[i].build_id, all->v[i].build_id_len, have, sizeof have);
            hex(want, m->build_id_len, cached, sizeof cached);
            say(c, m, "not applied: %s has build-id %s, the cache was compiled for build-id %s",
                all->v[i].name, all->v[i].build_id_len ? have : "(none)", cached);
            return OTHER_BUILD;
        }
        return FOUND;
    }
    return ABSENT;
}

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Build-id aside, the bytes the traces were compiled from are the bytes in memory now, every head
 * is inside code the cache relied on, and no two heads overlap. */
static int verify(const struct tdb_cache *c, const struct tdb_module *m, const struct object *o, const uint32_t *order) {
    const struct tdb_range *r = tdb_at(c, m->ranges_off);
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < m->range_count; i++) {
        if (!in_segment(o, o->base + r[i].offset, r[i].length, PF_R)) {
            say(c, m, "not applied: relied-on bytes +0x%lx..+0x%lx are not in a loaded segment of %s",
                (unsigned long)r[i].offset, (unsigned long)(r[i].offset + r[i].length), o->name);
            return 0;
        }
        h = fnv1a(h, (const uint8_t *)(o->base + r[i].offset), r[i].length);
    }
    if (h != m->relied_hash) {
        say(c, m, "not applied: the bytes the traces rely on differ in %s (hash %016llx, the cache's %016llx)",
            o->name, (unsigned long long)h, (unsigned long long)m->relied_hash);
        return 0;
    }
    const struct tdb_entry *e = tdb_at(c, m->plain.entries_off);
    /* The compiler writes the ranges in address order; then one walk along the heads in address
     * order finds each head's range (1,000 heads against 1,000 ranges took 0.4 ms the naive way).
     * Ranges out of order (another writer) still get the full search. */
    int ranges_sorted = 1;
    for (uint32_t k = 1; k < m->range_count && ranges_sorted; k++) ranges_sorted = r[k - 1].offset <= r[k].offset;
    uint32_t walk = 0;
    for (uint32_t j = 0; j < m->plain.entry_count; j++) {
        uint32_t i = order[j];
        uint64_t head = e[i].head_offset, end = head + e[i].patch_length;
        int covered = 0;
        if (ranges_sorted) {
            /* a range ending at or before this head cannot hold it nor any later one */
            while (walk < m->range_count && r[walk].offset + r[walk].length <= head) walk++;
            for (uint32_t k = walk; k < m->range_count && r[k].offset <= head && !covered; k++) {
                covered = end <= r[k].offset + r[k].length;
            }
        } else {
            for (uint32_t k = 0; k < m->range_count && !covered; k++) {
                covered = head >= r[k].offset && end <= r[k].offset + r[k].length;
            }
        }
        if (!covered || !in_segment(o, o->base + head, e[i].patch_length, PF_X)) {
            say(c, m, "not applied: the head of trace %u at +0x%lx is not relied-on executable code (a bad cache)",
                e[i].trace_id, (unsigned long)head);
            return 0;
        }
    }
    for (uint32_t i = 1; i < m->plain.entry_count; i++) {
        const struct tdb_entry *prev = &e[order[i - 1]], *next = &e[order[i]];
        if (next->head_offset < prev->head_offset + prev->patch_length) {
            say(c, m, "not applied: the heads of traces %u and %u overlap (a bad cache)", prev->trace_id, next->trace_id);
            return 0;
        }
    }
    return 1;
}

/* Maps `size` bytes read+write in a free gap such that the module and the mapping together span
 * less than 2 GiB. Gaps below the module come first (above an executable lies its brk heap), and
 * the gap under the stack is never used (the stack grows into it). */
static uint8_t *map_near(const struct maps *maps, const struct object *o, size_t size) {
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k <= maps->n; k++) {
            size_t i = pass == 0 ? maps->n - k : k; /* pass 0 walks down from the top, pass 1 up */
            uintptr_t gap_lo = i == 0 ? 0x10000 : maps->v[i - 1].end;
            uintptr_t gap_hi = i == maps->n ? 0x7ffffffff000ul : maps->v[i].start;
            if (i < maps->n && maps->v[i].is_stack) continue;
            if (gap_hi <= gap_lo || gap_hi - gap_lo < size + 2 * PAGE) continue;
            uintptr_t at;
            if (pass == 0) {
                if (gap_hi > o->base) continue;
                at = PAGE_DOWN(gap_hi - PAGE - size); /* a guard page under the next mapping */
            } else {
                if (gap_lo < o->end) continue;
                at = PAGE_UP(gap_lo + PAGE);
            }
            /* `maps` was read once for all modules: an earlier module's trace code may already sit
             * where this one would go (EEXIST), so step through the gap, a guard page apart. */
            for (; at >= gap_lo + PAGE && at + size + PAGE <= gap_hi; at = pass == 0 ? PAGE_DOWN(at - size - PAGE) : PAGE_UP(at + size + PAGE)) {
                uintptr_t lo = at < o->base ? at : o->base, hi = at + size > o->end ? at + size : o->end;
                if (hi - lo > (uintptr_t)REACH) break;
                void *p = mmap((void *)at, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
                if (p == MAP_FAILED) {
                    if (errno == EEXIST) continue;
                    break;
                }
                if ((uintptr_t)p != at) { munmap(p, size); break; }
                return p;
            }
        }
    }
    return NULL;
}

static int32_t rel32(uintptr_t target, uintptr_t next_instruction, int *ok) {
    int64_t d = (int64_t)target - (int64_t)next_instruction;
    if (d < INT32_MIN || d > INT32_MAX) *ok = 0;
    return (int32_t)d;
}

/* The code variant this run installs: the counting code with --stats, else the plain code. */
static const struct tdb_code *variant(const struct tdb_module *m) {
    return stats ? &m->counting : &m->plain;
}

/* Makes the blob: code, relocations, read+execute; with --stats the counters after it, read+write. */
static int build_blob(const struct tdb_cache *c, const struct tdb_module *m, const struct maps *maps,
                      struct applied *a) {
    const struct tdb_code *k = variant(m);
    if (stats && k->entry_count == 0) {
        say(c, m, "not applied: the cache has no counting code for these traces, which --stats needs");
        return 0;
    }
    size_t code_size = PAGE_UP((size_t)k->code_len);
    size_t counters_size = stats ? PAGE_UP((size_t)m->counter_count * 8 + 8) : 0;
    a->blob_size = code_size + counters_size;
    a->blob = map_near(maps, a->object, a->blob_size);
    if (a->blob == NULL) {
        say(c, m, "not applied: no free address range within 2 GiB of %s for %zu bytes of trace code",
            a->object->name, a->blob_size);
        return 0;
    }
    memcpy(a->blob, tdb_at(c, k->code_off), k->code_len);
    int ok = 1;
    a->counters = stats ? (uint64_t *)(a->blob + code_size) : NULL; /* zeroed by mmap */
    const struct tdb_reloc *r = tdb_at(c, k->relocs_off);
    for (uint32_t i = 0; i < k->reloc_count; i++) {
        uintptr_t target = a->object->base + r[i].module_offset;
        uint8_t *at = a->blob + r[i].code_offset;
        if (r[i].kind == TDB_COUNTER) { /* checked: only in counting code, and the counter exists */
            int32_t d = rel32((uintptr_t)&a->counters[r[i].module_offset], (uintptr_t)at + 4, &ok);
            memcpy(at, &d, 4);
        } else if (r[i].kind == TDB_REL32) {
            int32_t d = rel32(target, (uintptr_t)at + 4, &ok);
            memcpy(at, &d, 4);
        } else {
            uint64_t v = target;
            memcpy(at, &v, 8);
        }
    }
    if (!ok) {
        say(c, m, "not applied: a relocation does not reach from the trace code (a bad cache)");
    } else if (mprotect(a->blob, code_size, PROT_READ | PROT_EXEC) != 0) {
        say(c, m, "not applied: cannot make the trace code executable: %s", strerror(errno));
        ok = 0;
    }
    if (!ok) {
        munmap(a->blob, a->blob_size);
        a->blob = NULL;
    }
    return ok;
}

/* Where trace k's head jumps: its code in the installed variant (whose entries are the plain
 * entries' twins, index for index: cachefile.c checked that). */
static uintptr_t entry_target(const struct tdb_cache *c, const struct tdb_module *m, const struct applied *a,
                              uint32_t k) {
    const struct tdb_entry *e = tdb_at(c, variant(m)->entries_off);
    return (uintptr_t)a->blob + e[k].code_offset;
}

/* A run of pages to make writable: consecutive within one mapping, so one protection. */
struct page_run {
    uintptr_t first, last;
    long mapping;
};

/* Patches every head of the module, or none. The pages holding heads are made writable in as few
 * mprotect calls as there are runs of them per mapping (execute stays on, so other code on those
 * pages stays runnable), written, and given back their exact protection from /proc/self/maps. */
static int patch_heads(const struct tdb_cache *c, const struct tdb_module *m, const struct maps *maps,
                       struct applied *a, const uint32_t *order) {
    const struct tdb_entry *e = tdb_at(c, m->plain.entries_off);
    struct page_run *runs = calloc(2 * (size_t)m->plain.entry_count + 1, sizeof *runs);
    if (runs == NULL) return 0;
    size_t n = 0;
    for (uint32_t k = 0; k < m->plain.entry_count; k++) {
        uintptr_t head = a->object->base + e[order[k]].head_offset;
        uintptr_t pages[2] = {PAGE_DOWN(head), PAGE_DOWN(head + e[order[k]].patch_length - 1)};
        for (int j = 0; j < 2; j++) {
            long mapping = mapping_of(maps, pages[j]);
            if (mapping < 0) {
                say(c, m, "not applied: the head of trace %u is not mapped", e[order[k]].trace_id);
                free(runs);
                return 0;
            }
            if (n > 0 && runs[n - 1].mapping == mapping) {
                if (pages[j] > runs[n - 1].last) runs[n - 1].last = pages[j];
            } else {
                runs[n++] = (struct page_run){pages[j], pages[j], mapping};
            }
        }
    }
    int reach = 1;
    for (uint32_t k = 0; k < m->plain.entry_count; k++) {
        uintptr_t head = a->object->base + e[k].head_offset;
        rel32(entry_target(c, m, a, k), head + 5, &reach);
    }
    if (!reach) {
        say(c, m, "not applied: a trace head cannot reach its trace code");
        free(runs);
        return 0;
    }
    size_t writable = 0;
    for (; writable < n; writable++) {
        const struct page_run *r = &runs[writable];
        if (mprotect((void *)r->first, r->last - r->first + PAGE, maps->v[r->mapping].prot | PROT_WRITE) != 0) break;
    }
    int ok = writable == n;
    if (ok) {
        for (uint32_t k = 0; k < m->plain.entry_count; k++) {
            uint8_t *at = (uint8_t *)(a->object->base + e[k].head_offset);
            int32_t d = rel32(entry_target(c, m, a, k), (uintptr_t)at + 5, &reach);
            memset(at + 5, 0xcc, e[k].patch_length - 5);
            memcpy(at + 1, &d, 4);
            at[0] = 0xe9;
        }
    } else {
        say(c, m, "not applied: cannot make code pages writable: %s", strerror(errno));
    }
    int restored = 1;
    for (size_t k = 0; k < writable; k++) {
        const struct page_run *r = &runs[k];
        restored &= mprotect((void *)r->first, r->last - r->first + PAGE, maps->v[r->mapping].prot) == 0;
    }
    if (!restored) say(c, m, "warning: could not restore the protection of patched code pages (they stay writable)");
    free(runs);
    return ok;
}

static int by_head(const void *x, const void *y, void *entries) {
    const struct tdb_entry *e = entries;
    uint64_t a = e[*(const uint32_t *)x].head_offset, b = e[*(const uint32_t *)y].head_offset;
    return a < b ? -1 : a > b;
}

/* The module's entries' indices, by head address. */
static uint32_t *heads_in_order(const struct tdb_cache *c, const struct tdb_module *m) {
    uint32_t *order = malloc(((size_t)m->plain.entry_count + 1) * sizeof *order);
    if (order == NULL) return NULL;
    for (uint32_t i = 0; i < m->plain.entry_count; i++) order[i] = i;
    qsort_r(order, m->plain.entry_count, sizeof *order, by_head, (void *)tdb_at(c, m->plain.entries_off));
    return order;
}

/* The process's threads: procfs gives /proc/self/task a link count of 2 + the number of threads,
 * so one stat answers (listing the directory took five system calls, a 32 KiB buffer and ~10 us
 * more here; reading /proc/self/stat, which formats fifty fields, ~15 us more). 0 when it cannot
 * be read. */
static size_t thread_count(void) {
    struct stat st;
    if (stat("/proc/self/task", &st) != 0 || st.st_nlink < 3) return 0;
    return (size_t)st.st_nlink - 2;
}

/* ---- start and exit ---------------------------------------------------------------------- */

/* Gives the program the environment it would have had without tracedb. */
static void restore_environment(void) {
    const char *was = getenv("TRACEDB_LD_PRELOAD_WAS");
    if (was != NULL) {
        setenv("LD_PRELOAD", was, 1);
        unsetenv("TRACEDB_LD_PRELOAD_WAS");
    } else {
        unsetenv("LD_PRELOAD");
    }
    unsetenv("TRACEDB_CACHE");
    unsetenv("TRACEDB_STATS");
    unsetenv("TRACEDB_VERBOSE");
}

__attribute__((destructor)) static void tracedb_exit(void);

/* One trace: its sums, from a snapshot of its counters when the program ended (what is printed
 * and kept). */
static struct stats_row {
    uint32_t trace_id;
    uint64_t head_offset;
    const char *module;
    int applied;             /* 0: the trace's module was not applied, the counts mean nothing */
    uint64_t entries, completions, exits;
} *stats_rows;
static size_t stats_row_count;

/* One counter of the counting code: which trace (row), what it counts, and where it lives. */
static struct counted {
    size_t row;
    uint32_t kind;   /* TDB_COUNT_* */
    uint64_t target; /* TDB_COUNT_EXIT: the exit's module offset */
    const uint64_t *value;
    uint64_t count;  /* *value at the snapshot */
} *counted;
static size_t counted_count;

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One stats-file field: a line holds no newline, and a backslash stays unambiguous. */
static void put_escaped(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') fputs("\\\\", f);
        else if (s[i] == '\n') fputs("\\n", f);
        else fputc(s[i], f);
    }
}

static void write_command(FILE *f) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    fputs("program ", f);
    put_escaped(f, exe, strlen(exe));
    fputc('\n', f);
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char *cmdline = malloc(1 << 16);
    ssize_t len = cmdline != NULL ? read(fd, cmdline, 1 << 16) : -1;
    close(fd);
    for (ssize_t at = 0; len > 0 && at < len;) {
        size_t arg = strnlen(cmdline + at, (size_t)(len - at));
        fputs("arg ", f);
        put_escaped(f, cmdline + at, arg);
        fputc('\n', f);
        at += (ssize_t)arg + 1;
    }
    free(cmdline);
}

/* The next free sNNNN after the highest in the directory; link() claims it atomically (EEXIST:
 * another run took it, try the next). Returns the number, or 0. */
static unsigned claim_id(const char *temporary) {
    unsigned highest = 0;
    DIR *d = opendir(stats_dir);
    if (d != NULL) {
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            unsigned n;
            char tail[16];
            if (sscanf(e->d_name, "s%u.%15s", &n, tail) == 2 && strcmp(tail, "tstats") == 0 && n > highest) highest = n;
        }
        closedir(d);
    }
    for (unsigned n = highest + 1; n < highest + 1000; n++) {
        char name[PATH_MAX + 32];
        snprintf(name, sizeof name, "%s/s%04u.tstats", stats_dir, n);
        if (link(temporary, name) == 0) return n;
        if (errno != EEXIST) return 0;
    }
    return 0;
}

/* Writes the counts to a temporary file, syncs it and links it under its id: a reader sees the
 * whole file or none. */
static void save_stats(void) {
    char temporary[PATH_MAX + 32];
    snprintf(temporary, sizeof temporary, "%s/.s-%d.partial", stats_dir, (int)getpid());
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (f == NULL) {
        fprintf(report, "tracedb: cannot save trace stats in %s: %s\n", stats_dir, strerror(errno));
        if (fd >= 0) close(fd);
        return;
    }
    fprintf(f, "tracedb-trace-stats 2\ncache ");
    put_escaped(f, cache_name, strlen(cache_name));
    fprintf(f, "\ncache-id %08x\n", cache_id);
    write_command(f);
    fprintf(f, "pid %d\nstarted %lld\nended %lld\ntraces %zu\n", (int)started_pid, started_ms, now_ms(), stats_row_count);
    size_t next = 0; /* counters are in row order */
    for (size_t i = 0; i < stats_row_count; i++) {
        const struct stats_row *r = &stats_rows[i];
        fprintf(f, "trace %u %lx %d %llu %llu %llu ", r->trace_id, (unsigned long)r->head_offset, r->applied,
                (unsigned long long)r->entries, (unsigned long long)r->completions, (unsigned long long)r->exits);
        put_escaped(f, r->module, strlen(r->module));
        fputc('\n', f);
        for (; next < counted_count && counted[next].row == i; next++) {
            const struct counted *k = &counted[next];
            if (k->count == 0) continue;
            if (k->kind == TDB_COUNT_EXIT) fprintf(f, "exit %lx %llu\n", (unsigned long)k->target, (unsigned long long)k->count);
            else if (k->kind == TDB_COUNT_GUARD_EXIT) fprintf(f, "exit ? %llu\n", (unsigned long long)k->count);
        }
    }
    fprintf(f, "end\n");
    int ok = fflush(f) == 0 && fsync(fd) == 0;
    ok &= fclose(f) == 0;
    unsigned id = ok ? claim_id(temporary) : 0;
    if (id == 0) {
        fprintf(report, "tracedb: cannot save trace stats in %s: %s\n", stats_dir, strerror(errno));
    } else {
        fprintf(report, "tracedb: trace stats saved as s%04u in %s\n", id, stats_dir);
    }
    unlink(temporary);
}

/* --stats: the traces that were entered, with their counts; the rest only as a number. Then the
 * counts go to the database. */
static void stats_for_never_loaded(void);

static void tracedb_exit(void) {
    if (stats_rows == NULL || getpid() != started_pid) return;
    stats_for_never_loaded();
    /* One snapshot first: printing and saving run libc code that may itself have traces, and the
     * printed and the kept counts must be the same. */
    for (size_t i = 0; i < counted_count; i++) {
        struct counted *k = &counted[i];
        k->count = __atomic_load_n(k->value, __ATOMIC_RELAXED);
        struct stats_row *r = &stats_rows[k->row];
        if (k->kind == TDB_COUNT_ENTRY) r->entries += k->count;
        else if (k->kind == TDB_COUNT_COMPLETION || k->kind == TDB_COUNT_ITERATION) r->completions += k->count;
        else if (k->kind == TDB_COUNT_EXIT || k->kind == TDB_COUNT_GUARD_EXIT) r->exits += k->count;
    }
    size_t applied = 0, entered = 0;
    unsigned long long entries = 0, completions = 0, exits = 0;
    for (size_t i = 0; i < stats_row_count; i++) {
        const struct stats_row *r = &stats_rows[i];
        applied += r->applied != 0;
        entered += r->entries != 0;
        entries += r->entries;
        completions += r->completions;
        exits += r->exits;
    }
    fprintf(report, "tracedb: stats for %s: %zu traces applied, %zu entered; %llu entries, %llu completions, %llu side exits\n",
            cache_name, applied, entered, entries, completions, exits);
    for (size_t i = 0; i < stats_row_count; i++) {
        const struct stats_row *r = &stats_rows[i];
        if (r->entries == 0) continue;
        fprintf(report, "tracedb: trace %u %s+0x%lx entered %llu, completed %llu, side exits %llu\n", r->trace_id,
                base_name(r->module), (unsigned long)r->head_offset, (unsigned long long)r->entries,
                (unsigned long long)r->completions, (unsigned long long)r->exits);
    }
    if (stats_dir[0] != '\0') save_stats();
    fflush(report);
}

static int by_row(const void *x, const void *y) {
    const struct counted *a = x, *b = y;
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    return a->value < b->value ? -1 : a->value > b->value;
}

/* --stats: the module's traces, as not applied (no counter). */
static void stats_not_applied(const struct tdb_cache *c, const struct tdb_module *m) {
    if (!stats) return;
    const struct tdb_entry *e = tdb_at(c, m->plain.entries_off);
    char *module = strdup(tdb_at(c, m->path_off));
    for (uint32_t k = 0; k < m->plain.entry_count && module != NULL; k++) {
        stats_rows[stats_row_count++] = (struct stats_row){e[k].trace_id, e[k].head_offset, module, 0, 0, 0, 0};
    }
}

/* --stats: the module's traces, applied, and their counters (in row order, for save_stats). */
static void stats_applied(const struct tdb_cache *c, const struct tdb_module *m, const struct applied *a) {
    const struct tdb_entry *e = tdb_at(c, m->plain.entries_off);
    char *module = strdup(a->object->name);
    size_t first = stats_row_count;
    for (uint32_t k = 0; k < m->plain.entry_count; k++) {
        stats_rows[stats_row_count++] = (struct stats_row){e[k].trace_id, e[k].head_offset, module ? module : "?", 1, 0, 0, 0};
    }
    struct counted *more = realloc(counted, (counted_count + m->counter_count + 1) * sizeof *counted);
    if (more == NULL) return;
    counted = more;
    const struct tdb_counter *t = tdb_at(c, m->counters_off);
    size_t before = counted_count;
    for (uint32_t i = 0; i < m->counter_count; i++) {
        size_t row = first;
        while (row < stats_row_count && stats_rows[row].trace_id != t[i].trace_id) row++;
        if (row == stats_row_count) continue; /* a counter of no trace: counts nothing anyone reads */
        counted[counted_count++] = (struct counted){row, t[i].kind, t[i].target, &a->counters[i], 0};
    }
    qsort(counted + before, counted_count - before, sizeof *counted, by_row);
}

/* Checks, maps and patches one loaded module, or leaves it untouched (one line says why). */
static void apply_module(const struct tdb_cache *c, const struct tdb_module *m, const struct object *o,
                         const struct maps *maps) {
    struct applied a = {0};
    a.object = o;
    uint32_t *order = heads_in_order(c, m);
    if (order == NULL || !verify(c, m, o, order) || !build_blob(c, m, maps, &a)) {
        free(order);
        stats_not_applied(c, m);
        return;
    }
    int patched = patch_heads(c, m, maps, &a, order);
    free(order);
    if (!patched) {
        munmap(a.blob, a.blob_size);
        stats_not_applied(c, m);
        return;
    }
    if (verbose) {
        say(c, m, "applied %u traces (%u bytes of %scode at %p)", m->plain.entry_count, variant(m)->code_len,
            stats ? "counting " : "", (void *)a.blob);
    }
    if (stats) stats_applied(c, m, &a);
}

/* ---- modules loaded later (dlopen) ------------------------------------------------------- */

/* Whether `path` is a shared library a program could dlopen: ELF ET_DYN without PT_INTERP (a
 * program, PIE or not, has one). */
static int is_library_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ElfW(Ehdr) eh;
    int library = pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0
                  && eh.e_type == ET_DYN && eh.e_phentsize == sizeof(ElfW(Phdr));
    for (ElfW(Half) i = 0; library && i < eh.e_phnum; i++) {
        ElfW(Phdr) ph;
        library = pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (ElfW(Off))i * sizeof ph)) == (ssize_t)sizeof ph
                  && ph.p_type != PT_INTERP;
    }
    close(fd);
    return library;
}

/* The cache stays mapped while any of its modules waits to be loaded. */
static struct tdb_cache cache;
static uint8_t *waiting;       /* per cache module: not loaded yet */
static uint32_t waiting_count; /* read without the lock by dlopen's fast path */
static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER;

/* After a dlopen: applies every waiting module that is loaded now. */
static void apply_loaded_later(void) {
    pthread_mutex_lock(&late_lock);
    struct objects all = {0};
    struct maps maps = {0};
    size_t threads = 0; /* counted, and the maps read, only once a waiting module has arrived */
    if (waiting_count > 0 && dl_iterate_phdr(collect, &all) == 0) {
        for (uint32_t i = 0; i < cache.module_count; i++) {
            if (!waiting[i]) continue;
            const struct tdb_module *m = &cache.modules[i];
            const struct object *o = NULL;
            enum lookup where = find_object(&cache, m, &all, &o);
            if (where == ABSENT) continue;
            if (where == FOUND && threads == 0) threads = thread_count();
            if (where == FOUND && threads == 1 && maps.v == NULL && read_maps(&maps) != 0) break; /* it waits on */
            waiting[i] = 0;
            waiting_count--;
            if (where == OTHER_BUILD) {
                stats_not_applied(&cache, m);
            } else if (threads != 1) {
                say(&cache, m, "not applied: loaded by dlopen while the program runs %zu threads (patching code another "
                    "thread may run is not safe)", threads);
                stats_not_applied(&cache, m);
            } else {
                apply_module(&cache, m, o, &maps);
            }
        }
    }
    free(maps.v);
    free(all.v);
    pthread_mutex_unlock(&late_lock);
}

/* The program's dlopen, then the cache's modules it may have loaded. */
__attribute__((visibility("default"))) void *dlopen(const char *file, int mode) {
    static void *(*next)(const char *, int);
    if (next == NULL) next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    if (next == NULL) return NULL;
    void *handle = next(file, mode);
    if (handle != NULL && __atomic_load_n(&waiting_count, __ATOMIC_ACQUIRE) > 0) {
        int saved = errno;
        apply_loaded_later();
        errno = saved;
    }
    return handle;
}

/* At exit, with --stats: the modules still waiting count as not applied. */
static void stats_for_never_loaded(void) {
    pthread_mutex_lock(&late_lock);
    for (uint32_t i = 0; i < cache.module_count && waiting != NULL; i++) {
        if (waiting[i]) stats_not_applied(&cache, &cache.modules[i]);
        waiting[i] = 0;
    }
    waiting_count = 0;
    pthread_mutex_unlock(&late_lock);
}

/* ---- start ------------------------------------------------------------------------------- */

__attribute__((constructor)) static void tracedb_start(void) {
    const char *env = getenv("TRACEDB_CACHE");
    if (env == NULL) return;
    cache_name = strdup(env);
    if (cache_name == NULL) cache_name = env; /* the initial environment's strings stay where they are */
    const char *stats_env = getenv("TRACEDB_STATS");
    stats = stats_env != NULL;
    if (stats && stats_env[0] == '/') stats_dir = strdup(stats_env); /* else "-": not kept */
    if (stats_dir == NULL) stats_dir = "";
    started_pid = getpid();
    started_ms = now_ms();
    verbose = getenv("TRACEDB_VERBOSE") != NULL;
    restore_environment();

    char err[PATH_MAX + 200];
    if (tdb_cache_open(cache_name, &cache, err, sizeof err) != 0) {
        fprintf(stderr, "tracedb: %s\n", err);
        _exit(1);
    }
    uint32_t with_traces = 0;
    for (uint32_t i = 0; i < cache.module_count; i++) with_traces += cache.modules[i].plain.entry_count > 0;
    if (with_traces == 0 && !stats) { /* nothing to apply, nothing to report: no more start-up work */
        tdb_cache_close(&cache);
        return;
    }
    if (thread_count() > 1) {
        fprintf(stderr, "tracedb: %s: not applied: the program started threads before tracedb could patch it\n", cache_name);
        tdb_cache_close(&cache);
        return;
    }
    struct objects all = {0};
    struct maps maps = {0};
    waiting = calloc(cache.module_count + 1, 1);
    if (waiting == NULL || dl_iterate_phdr(collect, &all) != 0) {
        fprintf(stderr, "tracedb: %s: not applied: cannot read this process's modules\n", cache_name);
        tdb_cache_close(&cache);
        return;
    }
    if (stats) {
        int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 64);
        report = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (report == NULL) report = stderr;
        stats_rows = calloc(cache.trace_count ? cache.trace_count : 1, sizeof *stats_rows);
        cache_id = ((const struct tdb_file_header *)cache.map)->header_crc;
    }
    for (uint32_t i = 0; i < cache.module_count; i++) {
        const struct tdb_module *m = &cache.modules[i];
        if (m->plain.entry_count == 0) continue; /* nothing to apply: not even worth a check */
        const struct object *o = NULL;
        enum lookup where = find_object(&cache, m, &all, &o);
        if (where == FOUND && maps.v == NULL && read_maps(&maps) != 0) { /* read once, when first needed */
            fprintf(stderr, "tracedb: %s: not applied: cannot read this process's address space\n", cache_name);
            break;
        }
        if (where == FOUND) {
            apply_module(&cache, m, o, &maps);
        } else if (where == OTHER_BUILD) {
            stats_not_applied(&cache, m);
        } else if (is_library_file(tdb_at(&cache, m->path_off))) {
            if (verbose) say(&cache, m, "not loaded at start-up: its traces apply if the program loads it with dlopen");
            waiting[i] = 1;
            waiting_count++;
        } else {
            say(&cache, m, "not applied: no such module was loaded at start-up (a cache for another program?)");
            stats_not_applied(&cache, m);
        }
    }
    free(maps.v);
    free(all.v);
    if (waiting_count == 0) {
        tdb_cache_close(&cache);
        free(waiting);
        waiting = NULL;
    }
}

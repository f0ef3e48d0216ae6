/* Framing and event encodings of the inputs journal. Every integer is little-endian (x86-64's own
 * order, so fields are stored with memcpy). A frame is u8 type, u8 version (1; 2 for FILE_MAPPED,
 * whose layout gained the ctime and device), payload, u32 CRC32C
 * of the bytes before it: byte for byte what the Java EventCodec writes for the same event, so the
 * importer can check and append it as it is. */
#include "journal.h"

#include "crc32c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    RUN_STARTED = 1, SYSCALL_RESULT = 5, SIGNAL_DELIVERED = 6, RUN_ENDED = 7, MEMORY_WRITTEN = 8,
    FILE_MAPPED = 9, TIMESTAMP_READ = 10, INPUTS_ONLY = 11, UNPLACED_STOP = 12,
};
#define FORMAT_VERSION 1
/* FILE_MAPPED's layout since format version 2: with the inode change time and the device. */
#define FILE_MAPPED_VERSION 2
#define JOURNAL_VERSION 1
/* A frame never straddles a flush: whole frames are written, so a killed recorder leaves a
 * journal whose last frame is whole or missing, never garbage in the middle. */
#define INITIAL_CAPACITY (256 * 1024)

struct journal {
    int fd;
    uint8_t *buf;
    size_t len, cap;
    size_t frame;      /* where the open frame's length prefix is */
    uint64_t written;
};

static void reserve(struct journal *j, size_t more) {
    if (j->len + more <= j->cap) return;
    size_t cap = j->cap;
    while (j->len + more > cap) cap *= 2;
    uint8_t *grown = realloc(j->buf, cap);
    if (!grown) abort(); /* out of memory: nothing sensible to log */
    j->buf = grown;
    j->cap = cap;
}

static void put(struct journal *j, const void *p, size_t n) {
    reserve(j, n);
    memcpy(j->buf + j->len, p, n);
    j->len += n;
}

static void u8(struct journal *j, uint8_t v) { put(j, &v, 1); }
static void i32(struct journal *j, int32_t v) { put(j, &v, 4); }
static void i64(struct journal *j, int64_t v) { put(j, &v, 8); }

/* i32 length + UTF-8 bytes: the strings are the program's own bytes, passed through. */
static void string(struct journal *j, const char *s) {
    size_t n = strlen(s);
    i32(j, (int32_t) n);
    put(j, s, n);
}

static void begin_version(struct journal *j, uint8_t type, uint8_t version) {
    j->frame = j->len;
    i32(j, 0); /* the length, known at end() */
    u8(j, type);
    u8(j, version);
}

static void begin(struct journal *j, uint8_t type) { begin_version(j, type, FORMAT_VERSION); }

static void end(struct journal *j) {
    uint8_t *start = j->buf + j->frame + 4;
    size_t n = j->len - j->frame - 4;
    uint32_t crc = tdb_crc32c(start, n);
    put(j, &crc, 4);
    int32_t length = (int32_t) (n + 4);
    memcpy(j->buf + j->frame, &length, 4);
}

struct journal *journal_open(int fd, const char *run_name) {
    struct journal *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->fd = fd;
    j->cap = INITIAL_CAPACITY;
    j->buf = malloc(j->cap);
    if (!j->buf) {
        free(j);
        return NULL;
    }
    put(j, "TDBJRNL1", 8);
    i32(j, JOURNAL_VERSION);
    string(j, run_name);
    return j;
}

int journal_flush(struct journal *j) {
    size_t done = 0;
    while (done < j->len) {
        ssize_t n = write(j->fd, j->buf + done, j->len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            memmove(j->buf, j->buf + done, j->len - done);
            j->len -= done;
            return -1;
        }
        done += (size_t) n;
        j->written += (uint64_t) n;
    }
    j->len = 0;
    return 0;
}

int journal_close(struct journal *j) {
    int rc = journal_flush(j);
    if (close(j->fd) != 0) rc = -1;
    free(j->buf);
    free(j);
    return rc;
}

uint64_t journal_bytes(const struct journal *j) {
    return j->written + j->len;
}

void journal_run_started(struct journal *j, const struct run_started *e) {
    begin(j, RUN_STARTED);
    i64(j, e->seconds);
    i32(j, e->nanos);
    string(j, e->cwd);
    i32(j, e->argc);
    for (int i = 0; i < e->argc; i++) string(j, e->argv[i]);
    i32(j, e->envc);
    for (int i = 0; i < e->envc; i++) string(j, e->envp[i]);
    string(j, e->hostname);
    string(j, e->kernel);
    string(j, e->cpu_model);
    i32(j, e->page_size);
    end(j);
}

void journal_inputs_only(struct journal *j) {
    begin(j, INPUTS_ONLY);
    end(j);
}

/* The block-event position of every inputs-only event is 0: such a run has no block events. */
void journal_syscall(struct journal *j, int32_t number, const uint64_t args[6], int64_t result) {
    begin(j, SYSCALL_RESULT);
    i64(j, 0);
    i32(j, number);
    for (int i = 0; i < 6; i++) i64(j, (int64_t) args[i]);
    i64(j, result);
    end(j);
}

void journal_signal(struct journal *j, int32_t signo, int32_t code, uint64_t address) {
    begin(j, SIGNAL_DELIVERED);
    i64(j, 0);
    i32(j, signo);
    i32(j, code);
    i64(j, (int64_t) address);
    end(j);
}

void journal_file_mapped(struct journal *j, const char *path, int64_t size, int64_t mtime_nanos, int64_t inode,
                         int64_t ctime_nanos, int64_t device) {
    begin_version(j, FILE_MAPPED, FILE_MAPPED_VERSION);
    i64(j, 0);
    string(j, path);
    i64(j, size);
    i64(j, mtime_nanos);
    i64(j, inode);
    i64(j, ctime_nanos);
    i64(j, device);
    end(j);
}

void journal_timestamp(struct journal *j, uint64_t value, uint64_t aux, int with_aux) {
    begin(j, TIMESTAMP_READ);
    i64(j, 0);
    i64(j, (int64_t) value);
    i64(j, (int64_t) aux);
    u8(j, with_aux ? 1 : 0);
    end(j);
}

void journal_unplaced_stop(struct journal *j) {
    begin(j, UNPLACED_STOP);
    end(j);
}

void journal_run_ended(struct journal *j, int kind, int32_t value, int64_t seconds, int32_t nanos) {
    begin(j, RUN_ENDED);
    u8(j, (uint8_t) kind);
    i32(j, value);
    i64(j, 0);
    i64(j, 0);
    i64(j, seconds);
    i32(j, nanos);
    end(j);
}

uint8_t *journal_memory_begin(struct journal *j, uint64_t address, size_t length) {
    begin(j, MEMORY_WRITTEN);
    i64(j, 0);
    i64(j, (int64_t) address);
    i32(j, (int32_t) length);
    reserve(j, length + 4);
    return j->buf + j->len;
}

void journal_memory_commit(struct journal *j, size_t filled) {
    int32_t n = (int32_t) filled;
    memcpy(j->buf + j->len - 4, &n, 4);
    j->len += filled;
    end(j);
}

void journal_memory_abandon(struct journal *j) {
    j->len = j->frame;
}

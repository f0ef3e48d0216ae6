#define _GNU_SOURCE
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p */
static int make_directories(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* An exclusive fcntl lock of the whole file (l_len 0), as FileChannel.lock() takes. */
static int lock_file(const char *path, int wait) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(fd, wait ? F_SETLKW : F_SETLK, &lock) != 0) {
        if (errno == EINTR) continue;
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* The largest N over directories runs/rNNNN (4+ digits). */
static long largest_run(const char *runs) {
    DIR *dir = opendir(runs);
    long largest = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        const char *name = e->d_name;
        size_t n = strlen(name);
        if (name[0] != 'r' || n < 5 || strspn(name + 1, "0123456789") != n - 1) continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", runs, name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        long sequence = strtol(name + 1, NULL, 10);
        if (sequence > largest) largest = sequence;
    }
    if (dir) closedir(dir);
    return largest;
}

int run_create(const char *database, struct run *run, char *error, size_t size) {
    char runs[4096], path[4096];
    snprintf(runs, sizeof runs, "%s/runs", database);
    if (make_directories(runs) != 0) {
        snprintf(error, size, "cannot create database directory %s: %s", database, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/catalog.lock", database);
    int catalog = lock_file(path, 1);
    if (catalog < 0) {
        snprintf(error, size, "cannot lock %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    for (long sequence = largest_run(runs) + 1;; sequence++) {
        snprintf(run->id, sizeof run->id, "r%04ld", sequence);
        snprintf(run->path, sizeof run->path, "%s/%s", runs, run->id);
        if (mkdir(run->path, 0755) == 0) {
            run->sequence = sequence;
            break;
        }
        if (errno != EEXIST) {
            snprintf(error, size, "cannot create %s: %s", run->path, strerror(errno));
            goto out;
        }
    }
    snprintf(path, sizeof path, "%s/writer.lock", run->path);
    run->writer_lock_fd = lock_file(path, 0);
    if (run->writer_lock_fd < 0) {
        snprintf(error, size, "cannot lock %s: %s", path, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/inputs.journal", run->path);
    run->journal_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (run->journal_fd < 0) {
        snprintf(error, size, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(catalog); /* releases catalog.lock */
    return rc;
}

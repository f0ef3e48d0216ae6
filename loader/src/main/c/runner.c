/* tracedb-run: the fast path of `tracedb run --cache FILE.tcache -- PROGRAM ARGS...`.
 *
 * Checks the cache (every checksum), finds the program as execvp would, refuses what the preload
 * shim cannot handle (static and set-id programs), then execs the program with the shim in
 * LD_PRELOAD. No JVM, no fork: the program replaces this process, so its stdio and exit status are
 * the command's. The shim does the rest before the program's main (see preload.c).
 *
 * Exit status when the program does not run: 2 bad usage, 1 a bad cache or an unsupported program,
 * 127 the program does not exist, 126 it cannot be executed (as env does).
 *
 * Two names, two jobs. Called `tracedb-run` (as the launcher script execs it), it is the runner
 * above, options first. Called `tracedb` (the symlink scripts/setup installs on PATH), it is the
 * installed front door of the whole command: `tracedb run ...` is run here with no launcher
 * script in between (the script is a #!/bin/sh script, and the kernel always starts its dash: a
 * dynamic glibc process, up to ~5 ms of CPU per command in this VM's slow stretches); anything
 * else (`run --ptrace`, the Java commands, `record --engine inputs`, --version, no argument) is
 * handed to the clone's `tracedb` script with the same arguments. The name, not the arguments,
 * tells them apart: `tracedb-run --help` is the runner's help and `tracedb --help` the command's,
 * and no argument list has to be guessed at (a program could be called `run`). The clone is
 * found from /proc/self/exe (ROOT/loader/target/native/tracedb-run, links resolved), so the link
 * may live anywhere. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "image.h"

#ifndef SHIM_NAME
#define SHIM_NAME "libtracedb-preload.so"
#endif

static const char *USAGE =
    "Usage: tracedb run --cache FILE.tcache [--stats [--db DIR] | --stats-stderr] [--verbose] [--] PROGRAM [ARGS...]\n"
    "Runs PROGRAM natively with the precompiled traces of FILE.tcache applied.\n"
    "  --cache FILE   the trace cache (from tracedb compile)\n"
    "  --stats        run the cache's counting code: each trace's entries, completions and side exits; at exit\n"
    "                 print them on stderr and keep them in the database as trace stats\n"
    "                 (DIR/trace-stats/sNNNN.tstats; tracedb runs lists them)\n"
    "  --db DIR       the database for --stats (default: $TRACEDB_HOME, else ./tracedb-data)\n"
    "  --stats-stderr count and print like --stats, but keep nothing\n"
    "  --verbose      say on stderr which modules got traces\n"
    "A module whose build or relied-on bytes differ from the cache gets no traces (one line says why);\n"
    "the program then runs as it would without tracedb.\n";

static int usage_error(const char *what) {
    fprintf(stderr, "tracedb run: %s\n", what);
    fputs("Try 'tracedb run --help'.\n", stderr);
    return 2;
}

/* Resolves `name` like execvp: with a '/', as is; else the first executable match on PATH. */
static int resolve(const char *name, char *out, size_t size) {
    if (strchr(name, '/') != NULL) {
        snprintf(out, size, "%s", name);
        return access(out, F_OK) == 0 ? 0 : -1;
    }
    const char *path = getenv("PATH");
    if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
    int found_not_executable = 0;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, size, "%.*s/%s", (int)(len ? len : 1), len ? path : ".", name);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0) return 0;
            found_not_executable = 1;
        }
        path += len + (colon ? 1 : 0);
    }
    return found_not_executable ? -2 : -1;
}

/* 1 when the program is an ELF without an interpreter (statically linked), 0 when dynamic or not
 * ELF (a #! script: its interpreter inherits the environment, so the shim applies to it). */
static int is_static_elf(const char *program) {
    int fd = open(program, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    Elf64_Ehdr eh;
    int result = 0;
    if (read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0
        && eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
        result = 1;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph) break;
            if (ph.p_type == PT_INTERP) {
                result = 0;
                break;
            }
        }
    }
    close(fd);
    return result;
}

/* This executable's own path, links resolved. */
static int self_path(char *out, size_t size) {
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0) return -1;
    out[n] = '\0';
    return 0;
}

/* The shim lives next to this executable. */
static int shim_path(char *out, size_t size) {
    char self[PATH_MAX];
    if (self_path(self, sizeof self) != 0) return -1;
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(out, size, "%s/%s", self, SHIM_NAME);
    return access(out, R_OK);
}

/* --stats: DB/trace-stats as an absolute path (the program may chdir before it exits), created if
 * missing. The database is --db, else $TRACEDB_HOME, else ./tracedb-data, as for every tracedb command. */
static int stats_directory(const char *db_arg, char *out, size_t size) {
    const char *home = getenv("TRACEDB_HOME");
    const char *db = db_arg != NULL ? db_arg : home != NULL && home[strspn(home, " \t")] != '\0' ? home : "tracedb-data";
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/trace-stats", db);
    if ((mkdir(db, 0777) != 0 && errno != EEXIST) || (mkdir(dir, 0777) != 0 && errno != EEXIST)) {
        fprintf(stderr, "tracedb: cannot keep trace stats in %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (realpath(dir, out) == NULL || access(out, W_OK | X_OK) != 0) {
        fprintf(stderr, "tracedb: cannot keep trace stats in %s: %s\n", dir, strerror(errno));
        return -1;
    }
    (void)size;
    return 0;
}

/* The runner on its options: argv[0] is the runner's path (called by the script) or "run" (the
 * front door's `tracedb run ...`), the options follow. `launcher` is the
 * tracedb script that static programs are handed back to (`run --ptrace`), or "" for none. */
static int run_command(int argc, char **argv, const char *launcher) {
    const char *cache_arg = NULL, *db_arg = NULL;
    int stats = 0, stats_kept = 0, verbose = 0, i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(a, "--cache") == 0 || strcmp(a, "-c") == 0) {
            if (++i >= argc) return usage_error("--cache needs a file");
            cache_arg = argv[i];
        } else if (strncmp(a, "--cache=", 8) == 0) {
            cache_arg = a + 8;
        } else if (strcmp(a, "--db") == 0) {
            if (++i >= argc) return usage_error("--db needs a directory");
            db_arg = argv[i];
        } else if (strncmp(a, "--db=", 5) == 0) {
            db_arg = a + 5;
        } else if (strcmp(a, "--stats") == 0) {
            stats = stats_kept = 1;
        } else if (strcmp(a, "--stats-stderr") == 0) {
            stats = 1;
        } else if (strcmp(a, "--ptrace") == 0) {
            return usage_error("--ptrace is the Java path: run it as tracedb run --ptrace ...");
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            verbose = 1;
        } else if (a[0] == '-') {
            char what[256];
            snprintf(what, sizeof what, "unknown option '%s'", a);
            return usage_error(what);
        } else {
            break;
        }
    }
    if (cache_arg == NULL) return usage_error("missing --cache FILE");
    if (i >= argc) return usage_error("missing the PROGRAM to run");

    char cache_file[PATH_MAX];
    if (realpath(cache_arg, cache_file) == NULL) {
        fprintf(stderr, "tracedb: trace cache %s: %s\n", cache_arg, errno == ENOENT ? "no such file" : strerror(errno));
        return 1;
    }
    struct tdb_cache cache;
    char err[PATH_MAX + 200];
    if (tdb_cache_open(cache_file, &cache, err, sizeof err) != 0) {
        fprintf(stderr, "tracedb: %s\n", err);
        return 1;
    }
    /* Heads to patch, in any module: with none (every trace dropped by compile's cost model), the
     * shim would only open and check the cache again and return (preload.c), so without --stats
     * the program runs with no shim at all: no ld.so work for it, and the environment untouched. */
    uint32_t heads = 0;
    for (uint32_t m = 0; m < cache.module_count; m++) heads += cache.modules[m].plain.entry_count;
    tdb_cache_close(&cache);

    char program[PATH_MAX];
    int found = resolve(argv[i], program, sizeof program);
    if (found == -1) {
        fprintf(stderr, "tracedb: %s: no such program\n", argv[i]);
        return 127;
    }
    if (found == -2 || access(program, X_OK) != 0) {
        fprintf(stderr, "tracedb: %s: not executable\n", argv[i]);
        return 126;
    }
    if (heads == 0 && !stats) {
        /* Nothing to apply, so nothing to refuse either (set-id and static programs included). The
         * variables the shim would have consumed are not passed on, as the shim would not. */
        if (verbose) fprintf(stderr, "tracedb: %s: no traces to apply; running %s without the shim\n", cache_file, program);
        unsetenv("TRACEDB_CACHE");
        unsetenv("TRACEDB_STATS");
        unsetenv("TRACEDB_VERBOSE");
        unsetenv("TRACEDB_LD_PRELOAD_WAS");
        execv(program, argv + i);
        int e = errno;
        fprintf(stderr, "tracedb: cannot execute %s: %s\n", program, strerror(e));
        return e == ENOENT ? 127 : 126;
    }
    struct stat st;
    if (stat(program, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
        fprintf(stderr, "tracedb: %s is set-user/group-id: the loader cannot preload into it; run it without --cache\n",
                program);
        return 1;
    }
    if (is_static_elf(program)) {
        if (launcher[0] == '\0') {
            fprintf(stderr, "tracedb: %s is statically linked: the preload shim cannot apply to it; "
                            "use tracedb run (its ptrace path applies caches to static programs)\n", program);
            return 1;
        }
        /* tracedb run --ptrace ARGS...: the same arguments, through the JVM */
        char **again = calloc((size_t)argc + 3, sizeof *again);
        if (again == NULL) return 1;
        again[0] = (char *)launcher;
        again[1] = "run";
        again[2] = "--ptrace";
        for (int k = 1; k < argc; k++) again[k + 2] = argv[k];
        execv(launcher, again);
        fprintf(stderr, "tracedb: cannot execute %s: %m\n", launcher);
        return 1;
    }
    char shim[PATH_MAX];
    if (shim_path(shim, sizeof shim) != 0) {
        fprintf(stderr, "tracedb: the loader shim %s is missing (rebuild: mvn -pl loader -am package)\n", shim);
        return 1;
    }

    /* The shim restores LD_PRELOAD to what it was, so the program's children do not inherit it. */
    const char *old = getenv("LD_PRELOAD");
    char preload[2 * PATH_MAX + 2];
    if (old != NULL && *old != '\0') {
        if (setenv("TRACEDB_LD_PRELOAD_WAS", old, 1) != 0) return 1;
        snprintf(preload, sizeof preload, "%s:%s", shim, old);
    } else {
        unsetenv("TRACEDB_LD_PRELOAD_WAS");
        snprintf(preload, sizeof preload, "%s", shim);
    }
    if (setenv("LD_PRELOAD", preload, 1) != 0 || setenv("TRACEDB_CACHE", cache_file, 1) != 0) {
        fprintf(stderr, "tracedb: cannot set the environment: %m\n");
        return 1;
    }
    if (stats_kept) {
        char dir[PATH_MAX];
        if (stats_directory(db_arg, dir, sizeof dir) != 0) return 1;
        setenv("TRACEDB_STATS", dir, 1);
    } else if (stats) {
        setenv("TRACEDB_STATS", "-", 1); /* counted and printed, not kept */
    } else {
        unsetenv("TRACEDB_STATS");
    }
    if (verbose) setenv("TRACEDB_VERBOSE", "1", 1); else unsetenv("TRACEDB_VERBOSE");

    execv(program, argv + i);
    int e = errno;
    fprintf(stderr, "tracedb: cannot execute %s: %s\n", program, strerror(e));
    return e == ENOENT ? 127 : 126;
}

/* The runner's own place in a clone; the front door finds the clone's root by taking it away. */
#define RUNNER_IN_CLONE "/loader/target/native/tracedb-run"

/* The launcher's staleness rule (exec_native in the tracedb script): the runner is out of date
 * when make's stamp is missing or any entry of the loader's C directory (dotfiles aside, as sh's
 * `*`) is newer than it. System calls only, no process: one stat of the stamp, one directory read
 * and an fstatat per source (7 now), where the script's dash interprets a loop. A clone without its C sources has nothing to rebuild from: not stale. */
static int runner_is_stale(const char *root) {
    char path[PATH_MAX];
    struct stat stamp, source;
    snprintf(path, sizeof path, "%s/loader/target/native/built", root);
    if (stat(path, &stamp) != 0) return 1;
    snprintf(path, sizeof path, "%s/loader/src/main/c", root);
    DIR *dir = opendir(path);
    if (dir == NULL) return 0;
    int stale = 0;
    for (struct dirent *e; !stale && (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.' || fstatat(dirfd(dir), e->d_name, &source, 0) != 0) continue;
        stale = source.st_mtim.tv_sec > stamp.st_mtim.tv_sec
                || (source.st_mtim.tv_sec == stamp.st_mtim.tv_sec && source.st_mtim.tv_nsec > stamp.st_mtim.tv_nsec);
    }
    closedir(dir);
    return stale;
}

/* Hands the whole command to the clone's script: `script ARGS...` with argv[0] its path, so that
 * the script finds its clone from $0 as when it is run directly. */
static int exec_script(const char *script, char **argv) {
    argv[0] = (char *)script;
    execv(script, argv);
    int e = errno;
    fprintf(stderr, "tracedb: cannot execute %s: %s\n", script, strerror(e));
    return e == ENOENT ? 127 : 126;
}

/* `tracedb ARGS...` through the installed link (see the top of this file). */
static int front_door(int argc, char **argv) {
    char root[PATH_MAX] = "";
    size_t tail = strlen(RUNNER_IN_CLONE);
    if (self_path(root, sizeof root) != 0 || strlen(root) <= tail
        || strcmp(root + strlen(root) - tail, RUNNER_IN_CLONE) != 0) {
        fprintf(stderr, "tracedb: this front door is %s, not a clone's .%s: link to the clone's own "
                        "(scripts/setup does)\n", root, RUNNER_IN_CLONE);
        return 1;
    }
    root[strlen(root) - tail] = '\0';
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/tracedb", root);
    /* as the script decides: `run`, but not `run --ptrace`, is the runner's */
    int runner = argv[1] != NULL && strcmp(argv[1], "run") == 0
                 && (argv[2] == NULL || strcmp(argv[2], "--ptrace") != 0);
    /* stale: the script rebuilds the runner with make, then runs the new one on the same arguments */
    if (!runner || runner_is_stale(root)) return exec_script(script, argv);
    return run_command(argc - 1, argv + 1, script);
}

int main(int argc, char **argv) {
    /* The launcher says where it is, so static programs can go to the Java ptrace path; the
     * program itself must not see that variable (nor its children a stale one). */
    const char *launcher = getenv("TRACEDB_LAUNCHER");
    char launcher_copy[PATH_MAX];
    snprintf(launcher_copy, sizeof launcher_copy, "%s", launcher ? launcher : "");
    unsetenv("TRACEDB_LAUNCHER");
    const char *name = argc > 0 ? strrchr(argv[0], '/') : NULL;
    name = name != NULL ? name + 1 : argc > 0 ? argv[0] : "";
    if (strcmp(name, "tracedb") == 0) return front_door(argc, argv);
    return run_command(argc, argv, launcher_copy);
}

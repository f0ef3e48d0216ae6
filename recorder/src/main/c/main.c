/* tracedb-record: `tracedb record --engine inputs` without a JVM. The launcher (the `tracedb`
 * script) execs it with the whole command line; it understands the options that command takes
 * for the inputs engine and hands anything else back to the Java command (the launcher again,
 * told to skip this route), so nothing the Java command accepts is lost. What it prints and
 * its exit status are the Java command's: one summary line (or the step-aside line), 127/126
 * for a program that cannot be started, the program's own status otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "launch.h"
#include "machine.h"
#include "rundir.h"
#include "session.h"

extern char **environ;

struct options {
    const char *database;
    const char *name;
    int quiet;
    char **env_settings;
    int env_count;
    char **command;
    int command_count;
};

/* Hands the whole command to the Java `record` (the launcher, told to skip this route). */
static void java_record(char **argv, const char *why) {
    const char *launcher = getenv("TRACEDB_LAUNCHER");
    if (!launcher) {
        fprintf(stderr, "tracedb: %s needs the Java recorder: run it through the tracedb launcher\n", why);
        exit(2);
    }
    setenv("TRACEDB_JAVA_RECORD", "1", 1);
    unsetenv("TRACEDB_LAUNCHER");
    argv[0] = (char *) launcher;
    execv(launcher, argv);
    fprintf(stderr, "tracedb: cannot run %s: %s\n", launcher, strerror(errno));
    exit(1);
}

/* `--opt VALUE` or `--opt=VALUE`: the value, advancing *i; NULL if arg is not this option. */
static const char *value_of(char **argv, int argc, int *i, const char *option) {
    size_t n = strlen(option);
    if (strncmp(argv[*i], option, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != 0 || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

static void parse(int argc, char **argv, struct options *o) {
    int i = 1, recording = 0, dashdash = 0;
    o->env_settings = calloc((size_t) argc, sizeof *o->env_settings);
    for (; i < argc; i++) {
        const char *v;
        if (!recording) {
            if (strcmp(argv[i], "record") == 0) recording = 1;
            else if ((v = value_of(argv, argc, &i, "--db"))) o->database = v;
            else if (strcmp(argv[i], "--debug") != 0) java_record(argv, argv[i]);
            continue;
        }
        if (strcmp(argv[i], "--") == 0) {
            dashdash = 1;
            i++;
            break;
        }
        if (argv[i][0] != '-') break;
        if ((v = value_of(argv, argc, &i, "--db"))) o->database = v;
        else if ((v = value_of(argv, argc, &i, "--name"))) o->name = v;
        else if ((v = value_of(argv, argc, &i, "--env"))) {
            if (strchr(v, '=') == NULL || v[0] == '=') java_record(argv, "--env without NAME=VALUE");
            o->env_settings[o->env_count++] = (char *) v;
        } else if ((v = value_of(argv, argc, &i, "--engine"))) {
            if (strcasecmp(v, "inputs") != 0) java_record(argv, "another engine");
        } else if (strcmp(argv[i], "--quiet") == 0) o->quiet = 1;
        else if (strcmp(argv[i], "--no-aslr") == 0 || strcmp(argv[i], "--debug") == 0) continue;
        else java_record(argv, argv[i]); /* --pid, --help, --aslr, …: the Java command's */
    }
    if (!recording || i >= argc) java_record(argv, "a record command without a program");
    o->command = argv + i;
    o->command_count = argc - i;
    /* without --, picocli would still take later options as tracedb's: leave that to it */
    for (int k = 1; !dashdash && k < o->command_count; k++)
        if (o->command[k][0] == '-') java_record(argv, o->command[k]);
}

/* The recorder's environment in its order, each --env replacing its variable in place (the last
 * one of that name) or appended: as the Java command builds it. */
static char **program_environment(const struct options *o) {
    int n = 0;
    while (environ[n]) n++;
    char **env = calloc((size_t) (n + o->env_count + 1), sizeof *env);
    int count = 0;
    for (int i = 0; i < n; i++)
        if (strncmp(environ[i], "TRACEDB_LAUNCHER=", 17) != 0) env[count++] = environ[i]; /* the launcher's, not the user's */
    for (int s = 0; s < o->env_count; s++) {
        const char *setting = o->env_settings[s];
        size_t prefix = (size_t) (strchr(setting, '=') - setting) + 1;
        int at = -1;
        for (int i = 0; i < count; i++)
            if (strncmp(env[i], setting, prefix) == 0) at = i;
        if (at >= 0) env[at] = (char *) setting;
        else env[count++] = (char *) setting;
    }
    env[count] = NULL;
    return env;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) (now.tv_sec - start->tv_sec) + (double) (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* "1,234" */
static const char *count(uint64_t n, char *buf, size_t size) {
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long) n), at = 0;
    for (int i = 0; i < len && at < (int) size - 1; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[at++] = ',';
        buf[at++] = digits[i];
    }
    buf[at] = 0;
    return buf;
}

static void status_text(const struct outcome *o, char *buf, size_t size) {
    snprintf(buf, size, "%s %d", o->exit_kind == 1 ? "signal" : "exit", o->exit_value);
}

/* A progress line only on a terminal, redrawn at most twice a second. */
static struct timespec started;
static double last_drawn;
static int progress_shown;

static void progress(const struct outcome *o, const struct journal *j) {
    double now = seconds_since(&started);
    if (now - last_drawn < 0.5) return;
    last_drawn = now;
    char syscalls[32], stops[32];
    fprintf(stderr, "\rrecording inputs: %s syscalls, %s ptrace stops, %.1f MB of journal\033[K",
            count(o->syscalls, syscalls, sizeof syscalls), count(o->stops, stops, sizeof stops),
            (double) journal_bytes(j) / 1e6);
    progress_shown = 1;
}

/* The status of the program, no longer traced, once it ends (it is still our child). */
static void await_exit(struct tracee *t, struct outcome *o) {
    if (t->alive) {
        ptrace(PTRACE_DETACH, t->pid, 0, 0);
        int status;
        while (waitpid(t->pid, &status, 0) == -1 && errno == EINTR) {}
        t->alive = 0;
        o->exit_kind = WIFSIGNALED(status) ? 1 : 0;
        o->exit_value = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
    } else {
        o->exit_kind = t->last.kind == STOP_KILLED ? 1 : 0;
        o->exit_value = t->last.value;
    }
}

int main(int argc, char **argv) {
    struct options o = {0};
    parse(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    if (!o.database) {
        const char *home = getenv("TRACEDB_HOME");
        o.database = home && strspn(home, " \t\n\r\f\v") != strlen(home) ? home : "tracedb-data";
    }
    char **env = program_environment(&o);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC, &started);

    char path[4096], error[4096];
    int rc = launch_resolve(o.command[0], env, path, sizeof path, error, sizeof error);
    struct tracee t;
    if (rc == 0) rc = launch(path, o.command, env, &t, error, sizeof error);
    if (rc != 0) {
        fprintf(stderr, "tracedb: %s\n", error);
        return rc;
    }

    struct run run;
    if (run_create(o.database, &run, error, sizeof error) != 0) {
        kill(t.pid, SIGKILL);
        fprintf(stderr, "tracedb: %s\n", error);
        return 1;
    }
    const char *slash = strrchr(o.command[0], '/');
    const char *name = o.name ? o.name : slash ? slash + 1 : o.command[0];
    struct journal *j = journal_open(run.journal_fd, name);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    struct machine m;
    machine_read(&m);
    int envc = 0;
    while (env[envc]) envc++;
    struct run_started start = {
        .seconds = wall.tv_sec, .nanos = (int32_t) wall.tv_nsec, .cwd = cwd,
        .argc = o.command_count, .argv = o.command, .envc = envc, .envp = env,
        .hostname = m.hostname, .kernel = m.kernel, .cpu_model = m.cpu_model, .page_size = m.page_size,
    };
    journal_run_started(j, &start);

    struct outcome out = {0};
    int shown = !o.quiet && isatty(2);
    int failed = session_record(&t, j, &out, shown ? progress : NULL) != 0;
    if (progress_shown) fprintf(stderr, "\r\033[K");
    if (failed) {
        journal_close(j);
        fprintf(stderr, "tracedb: recording stopped: %s (run %s left incomplete, program killed)\n", out.failure, run.id);
        return 1;
    }
    char status[32], stops[32];
    if (out.complete) {
        struct timespec end;
        clock_gettime(CLOCK_REALTIME, &end);
        journal_run_ended(j, out.exit_kind, out.exit_value, end.tv_sec, (int32_t) end.tv_nsec);
        if (journal_close(j) != 0) {
            fprintf(stderr, "tracedb: cannot write %s/inputs.journal: %s\n", run.path, strerror(errno));
            return 1;
        }
        status_text(&out, status, sizeof status);
        if (!o.quiet) {
            long millis = (long) (seconds_since(&started) * 1000);
            char elapsed[32];
            if (millis < 1000) snprintf(elapsed, sizeof elapsed, "%ld ms", millis);
            else snprintf(elapsed, sizeof elapsed, "%.2f s", (double) millis / 1000.0);
            fprintf(stderr, "tracedb: recorded %s, the program's inputs only: %s, %s, %s ptrace stops\n", run.id,
                    status, elapsed, count(out.stops, stops, sizeof stops));
        }
    } else {
        /* the journal is closed without RUN_ENDED (incomplete) and the run's writer lock let go
         * before the program, no longer traced, is waited for: the run can be imported meanwhile */
        journal_close(j);
        close(run.writer_lock_fd);
        await_exit(&t, &out);
        status_text(&out, status, sizeof status);
        fprintf(stderr, "tracedb: %s; run %s left incomplete with the inputs up to there; the program went on"
                " natively: %s\n", out.stepped_aside, run.id, status);
    }
    return out.exit_kind == 1 ? 128 + out.exit_value : out.exit_value;
}

#define _GNU_SOURCE
#include "machine.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Java's String.trim(): every character up to the space off both ends. */
static void trim(char *s) {
    size_t n = strlen(s);
    while (n > 0 && (unsigned char) s[n - 1] <= ' ') s[--n] = 0;
    size_t start = 0;
    while (s[start] && (unsigned char) s[start] <= ' ') start++;
    memmove(s, s + start, n - start + 1);
}

static void first_line(const char *path, char *out, size_t size) {
    FILE *f = fopen(path, "re");
    if (!f || !fgets(out, (int) size, f)) {
        snprintf(out, size, "unknown");
    } else {
        out[strcspn(out, "\n")] = 0;
        trim(out);
    }
    if (f) fclose(f);
}

void machine_read(struct machine *m) {
    first_line("/proc/sys/kernel/hostname", m->hostname, sizeof m->hostname);
    if (strcmp(m->hostname, "unknown") == 0 && gethostname(m->hostname, sizeof m->hostname) != 0)
        snprintf(m->hostname, sizeof m->hostname, "unknown");
    /* /proc/version names the build too, which tells two kernels of the same release apart */
    first_line("/proc/version", m->kernel, sizeof m->kernel);
    snprintf(m->cpu_model, sizeof m->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "re");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            line[strcspn(line, "\n")] = 0;
            snprintf(m->cpu_model, sizeof m->cpu_model, "%s", strchr(line, ':') + 1);
            trim(m->cpu_model);
            break;
        }
    }
    if (f) fclose(f);
    m->page_size = (int) sysconf(_SC_PAGESIZE);
}

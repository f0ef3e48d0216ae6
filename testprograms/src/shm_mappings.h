/* Mappings of files in /dev/shm, where the DBI recorder keeps its code cache: a process the
 * recorder let go (a child at its birth, the program after a step-aside) must have none left. */
#ifndef SHM_MAPPINGS_H
#define SHM_MAPPINGS_H

#include <stdio.h>
#include <string.h>

static int shm_mappings(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        if (strstr(line, " /dev/shm/")) n++;
    }
    if (maps) fclose(maps);
    return n;
}

#endif

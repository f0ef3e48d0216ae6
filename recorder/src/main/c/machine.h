/* The machine a run was recorded on, read as the store's MachineInfo reads it (RUN_STARTED). */
#ifndef TRACEDB_MACHINE_H
#define TRACEDB_MACHINE_H

struct machine {
    char hostname[256];
    char kernel[1024];
    char cpu_model[256];
    int page_size;
};

/* Fields that cannot be read are "unknown", rather than failing a recording over a description. */
void machine_read(struct machine *m);

#endif

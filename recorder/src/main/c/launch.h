/* Starts the program under ptrace, stopped at the syscall-exit-stop of its execve (nothing of it
 * has run), with ASLR off and the vDSO hidden: what machine's Launcher does for the inputs engine. */
#ifndef TRACEDB_LAUNCH_H
#define TRACEDB_LAUNCH_H

#include <stddef.h>

#include "tracee.h"

/* The program as an absolute, normalized path: as given if it contains a slash (relative to the
 * working directory), else the first executable match in the environment's PATH, as execvp does.
 * 0, or the exit status for the failure (127 not found, 126 not executable) with the message. */
int launch_resolve(const char *program, char *const envp[], char *resolved, size_t size, char *error, size_t esize);

/* Forks, execs path with exactly argv and envp under ptrace. 0, or 126 with the message. */
int launch(const char *path, char *const argv[], char *const envp[], struct tracee *t, char *error, size_t esize);

#endif

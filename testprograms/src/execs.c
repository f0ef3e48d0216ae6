/*
 * Replaces itself: a failing exec first (logged like any failed syscall, the program goes on),
 * then /bin/sh, which prints and exits 7. The recorder steps aside at the successful exec.
 */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("before exec\n");
    fflush(stdout);
    execl("/nonexistent/program", "program", (char *) NULL);
    perror("exec /nonexistent/program");
    fflush(stderr);
    execl("/bin/sh", "sh", "-c", "echo after exec; exit 7", (char *) NULL);
    return 1;
}

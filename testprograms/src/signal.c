/* A signal handler runs in the middle of the program: raise() delivers SIGUSR1 synchronously, the
 * handler counts, returns through the restorer, and main goes on. Exits 0 after two deliveries. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t handled;

static void on_usr1(int signo) {
    handled += signo == SIGUSR1;
}

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    sigaction(SIGUSR1, &action, NULL);
    raise(SIGUSR1);
    raise(SIGUSR1);
    printf("handled %d\n", (int)handled);
    puts("EXIT-SUCCESS");
    return handled == 2 ? 0 : 1;
}

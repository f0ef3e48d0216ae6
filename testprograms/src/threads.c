/* Creates a thread and joins it: what the recorder refuses (one run records one thread). */
#include <pthread.h>
#include <stdio.h>

static void *work(void *arg) {
    *(int *) arg += 1;
    return NULL;
}

int main(void) {
    int value = 41;
    pthread_t thread;
    if (pthread_create(&thread, NULL, work, &value) != 0) return 1;
    pthread_join(thread, NULL);
    printf("thread made %d\n", value);
    return 0;
}

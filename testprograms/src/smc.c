/* Self-modifying code in the program's own file mapping, which the step and DBI recorders step
 * aside for: a translation made before the code was rewritten would run the old code.
 *
 * smc [K [S]]  K iterations of a hash first (printed: the work the recording holds), then calls
 *              patched() (returns 0x11111111), makes its page of .text read-write-execute with
 *              mprotect, rewrites the immediate it returns to 0x22222222 and calls it again;
 *              prints both results, the hash carried on and how many /dev/shm mappings it has
 *              then (0: no recorder's code cache left in it); exits with status S (default 0),
 *              or raises signal -S if S is negative. (A W^X variant, the page made read-write
 *              without execute, cannot be written so: main's own code shares the page.)
 * smc MODE [K [S]]  the same hash, then code written into a file mapping instead, by MODE:
 *   remap      maps its own executable file's text page again with MAP_FIXED over itself (the same
 *              bytes: natively harmless) and calls patched() as before;
 *   file-rwx   writes patched()'s bytes into a file (a memfd) mapped shared read-write-execute,
 *              calls it, rewrites the immediate and calls it again;
 *   file-exec  writes them into a file (a memfd) mapped shared read-write, makes that mapping
 *              read-execute with mprotect, calls it, makes it writable again, rewrites it, calls it;
 *   file-write writes them into a file (a memfd) with write(), maps it shared read-execute only,
 *              calls it, rewrites the immediate in the file with lseek and write() (not through
 *              any mapping: the new bytes show up in the shared mapping) and calls it again;
 *   file-write-private  the same with a private mapping and pwritev(): a page of a private
 *              mapping that was only read, never written, is the file's page, so it shows them too.
 *   file-map-write  the file-write code mapped shared read-execute, then the file mapped a second
 *              time, shared read-write, and the immediate stored through that mapping;
 *   proc-mem   rewrites patched()'s immediate through /proc/self/mem (pwrite at its address: the
 *              kernel writes to the read-execute page itself, no mprotect) and calls it again.
 * Each prints the two results as above.
 * smc noexec [K [S]]  the same hash, then calls gone() (returns 0x33333333, alone in its own page
 *              of .text), takes execute permission from that page with mprotect (PROT_READ) and
 *              calls it again, which faults: a SIGSEGV handler checks that the fault is at gone()
 *              and jumps back; prints both outcomes and finishes as above (a recorder that ran a
 *              translation made before the mprotect would print gone()'s result twice);
 * smc noexec-fault [K [S]]  the same without a handler: the program dies of SIGSEGV at gone(). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "mix.h"
#include "shm_mappings.h"

/* mov eax, imm32; ret. Written by hand so that the immediate is at a known offset (1). */
__asm__(".text\n"
        ".globl patched\n"
        ".type patched, @function\n"
        "patched:\n"
        "    movl $0x11111111, %eax\n"
        "    ret\n"
        ".size patched, .-patched\n");
uint32_t patched(void);

/* mov eax, imm32; ret, alone in a page of .text (aligned to 4096 and padded to it), so that taking
 * execute permission from its page leaves main's code runnable. */
__asm__(".section .text.gone,\"ax\",@progbits\n"
        ".balign 4096\n"
        ".globl gone\n"
        ".type gone, @function\n"
        "gone:\n"
        "    movl $0x33333333, %eax\n"
        "    ret\n"
        ".size gone, .-gone\n"
        ".balign 4096\n"
        ".previous\n");
uint32_t gone(void);

static void fail(const char *what) {
    perror(what);
    exit(1);
}

/* Maps the text page holding patched() again from the executable file, at the same place: the
 * file offset of a page of text is its distance from the load base, __executable_start (the first
 * segment maps the file from offset 0). Reads no /proc/self/maps, whose lines differ under a recorder. */
extern char __executable_start[];

static void remap_own_text(long page_size) {
    uintptr_t page = (uintptr_t) (void *) patched & ~(uintptr_t) (page_size - 1);
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0) fail("open");
    if (mmap((void *) page, page_size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd,
             (off_t) (page - (uintptr_t) __executable_start)) == MAP_FAILED) {
        fail("mmap");
    }
    close(fd);
}

/* patched()'s bytes in a file's shared mapping: rwx from the start, or rw then r-x. */
static uint32_t (*file_code(int rwx, long page_size, unsigned char **bytes))(void) {
    /* A memfd (a file as JITs that double-map code use): unlike mkstemp's random name, the same
     * instructions in every run, so the recorders' logs compare. */
    int fd = memfd_create("smc", 0);
    if (fd < 0) fail("memfd_create");
    if (ftruncate(fd, page_size) != 0) fail("ftruncate");
    int prot = rwx ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_WRITE;
    unsigned char *page = mmap(NULL, page_size, prot, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED) fail("mmap");
    close(fd);
    memcpy(page, (void *) patched, 6);
    if (!rwx && mprotect(page, page_size, PROT_READ | PROT_EXEC) != 0) fail("mprotect");
    *bytes = page;
    return (uint32_t (*)(void)) (void *) page;
}

/* patched()'s bytes in a file (a memfd) written with write(), mapped read-execute only (shared or
 * private): the code is rewritten through the file, never through a mapping. */
static uint32_t (*file_written_code(int shared, long page_size, int *fd_out))(void) {
    int fd = memfd_create("smc", 0);
    if (fd < 0) fail("memfd_create");
    if (ftruncate(fd, page_size) != 0) fail("ftruncate");
    if (write(fd, (void *) patched, 6) != 6) fail("write");
    void *page = mmap(NULL, page_size, PROT_READ | PROT_EXEC, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (page == MAP_FAILED) fail("mmap");
    *fd_out = fd;
    return (uint32_t (*)(void)) page;
}

/* Where gone() faulted, for the SIGSEGV handler to check and jump back from. */
static sigjmp_buf fault_return;
static void *volatile fault_address;

static void on_fault(int signal, siginfo_t *info, void *context) {
    (void) signal;
    (void) context;
    fault_address = info->si_addr;
    siglongjmp(fault_return, 1);
}

/* Calls gone(), takes execute permission from its page, calls it again: returns what the second
 * call returned, or 0 if it faulted (caught by the handler if catch_fault, else the fault is fatal). */
static uint32_t call_gone_after_noexec(int catch_fault, long page_size) {
    uint32_t (*volatile target)(void) = gone;
    uint32_t original = target();
    if (catch_fault) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_fault;
        action.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSEGV, &action, NULL) != 0) fail("sigaction");
    }
    if (mprotect((void *) gone, page_size, PROT_READ) != 0) fail("mprotect");
    printf("gone() returned %#x, then execute permission was taken from its page\n", original);
    fflush(stdout);
    if (sigsetjmp(fault_return, 1) != 0) {
        printf("gone() faulted: SIGSEGV %s\n", fault_address == (void *) gone ? "at gone()" : "elsewhere");
        return 0;
    }
    uint32_t again = target();
    printf("gone() returned %#x again: it ran without execute permission\n", again);
    return again;
}

/* The hash carried on, the /dev/shm mappings, and the status S. */
static int finish(uint64_t seed, uint64_t iterations, int status) {
    printf("after: %016llx\n", (unsigned long long) mix(seed, iterations));
    printf("%d mappings from /dev/shm\n", shm_mappings());
    fflush(stdout);
    if (status < 0) {
        raise(-status);
    }
    return status;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 && (argv[1][0] < '0' || argv[1][0] > '9') && argv[1][0] != '-' ? argv[1] : "text";
    int first = strcmp(mode, "text") == 0 ? 1 : 2;
    uint64_t iterations = argc > first ? strtoull(argv[first], NULL, 10) : 1000;
    int status = argc > first + 1 ? atoi(argv[first + 1]) : 0;

    uint64_t before = mix(12345, iterations);
    printf("before: %016llx\n", (unsigned long long) before);
    fflush(stdout);
    long page_size = sysconf(_SC_PAGESIZE);
    uint32_t replacement = 0x22222222;
    uint32_t (*volatile call)(void) = patched;
    if (strcmp(mode, "remap") == 0) {
        uint32_t original = call();
        remap_own_text(page_size);
        uint32_t again = call();
        printf("patched() returned %#x, then %#x after remapping it\n", original, again);
        return finish(before ^ again, iterations, status);
    }
    if (strcmp(mode, "file-rwx") == 0 || strcmp(mode, "file-exec") == 0) {
        int rwx = strcmp(mode, "file-rwx") == 0;
        unsigned char *bytes;
        call = file_code(rwx, page_size, &bytes);
        uint32_t original = call();
        if (!rwx && mprotect(bytes, page_size, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) fail("mprotect");
        memcpy(bytes + 1, &replacement, sizeof replacement);
        uint32_t rewritten = call();
        printf("the file's code returned %#x, then %#x after rewriting it\n", original, rewritten);
        return finish(before ^ rewritten, iterations, status);
    }
    if (strcmp(mode, "file-write") == 0 || strcmp(mode, "file-write-private") == 0) {
        int shared = strcmp(mode, "file-write") == 0;
        int fd;
        call = file_written_code(shared, page_size, &fd);
        uint32_t original = call();
        if (shared) {
            if (lseek(fd, 1, SEEK_SET) != 1) fail("lseek");
            if (write(fd, &replacement, sizeof replacement) != sizeof replacement) fail("write");
        } else {
            struct iovec iov = {&replacement, sizeof replacement};
            if (pwritev(fd, &iov, 1, 1) != sizeof replacement) fail("pwritev");
        }
        uint32_t rewritten = call();
        printf("the file's code returned %#x, then %#x after rewriting it\n", original, rewritten);
        return finish(before ^ rewritten, iterations, status);
    }
    if (strcmp(mode, "file-map-write") == 0) {
        int fd;
        call = file_written_code(1, page_size, &fd);
        uint32_t original = call();
        unsigned char *writable = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (writable == MAP_FAILED) fail("mmap");
        memcpy(writable + 1, &replacement, sizeof replacement);
        uint32_t rewritten = call();
        printf("the file's code returned %#x, then %#x after rewriting it\n", original, rewritten);
        return finish(before ^ rewritten, iterations, status);
    }
    if (strcmp(mode, "proc-mem") == 0) {
        uint32_t original = call();
        int fd = open("/proc/self/mem", O_RDWR);
        if (fd < 0) fail("open /proc/self/mem");
        unsigned char *code = (unsigned char *) (void *) patched;
        if (pwrite(fd, &replacement, sizeof replacement, (off_t) (uintptr_t) (code + 1)) != sizeof replacement) fail("pwrite");
        close(fd);
        uint32_t rewritten = call();
        printf("patched() returned %#x, then %#x after rewriting it\n", original, rewritten);
        return finish(before ^ rewritten, iterations, status);
    }
    if (strcmp(mode, "noexec") == 0 || strcmp(mode, "noexec-fault") == 0) {
        return finish(before ^ call_gone_after_noexec(strcmp(mode, "noexec") == 0, page_size), iterations, status);
    }
    if (strcmp(mode, "text") != 0) {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    uint32_t original = call();
    unsigned char *code = (unsigned char *) (void *) patched;
    unsigned char *page = (unsigned char *) ((uintptr_t) code & ~(uintptr_t) (page_size - 1));
    /* Two pages: the immediate may straddle a page boundary. */
    if (mprotect(page, 2 * page_size, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    memcpy(code + 1, &replacement, sizeof replacement);
    uint32_t rewritten = call();
    printf("patched() returned %#x, then %#x after rewriting it\n", original, rewritten);
    return finish(before ^ rewritten, iterations, status);
}

package dev.tracedb.machine.linux;

/** Whether a launched program gets randomized addresses (ASLR). */
public enum AddressRandomization {
    /** As the system is configured ({@code /proc/sys/kernel/randomize_va_space}). */
    SYSTEM_DEFAULT,
    /**
     * {@code personality(ADDR_NO_RANDOMIZE)}: stack, heap, mmap, PIE and ld.so bases are the same
     * in every run, which makes runs reproducible (setarch -R does the same).
     */
    DISABLED
}

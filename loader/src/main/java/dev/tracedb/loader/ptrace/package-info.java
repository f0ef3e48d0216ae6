/**
 * The ptrace path of {@code tracedb run --cache}, for statically linked programs, which cannot
 * take the preload shim: the program is started stopped at its first instruction, the cache is
 * checked and applied from outside (remote mmap, writes through {@code /proc/PID/mem}), and the
 * program is detached to run natively. Same checks and same all-or-nothing per module as the shim;
 * slower to start (a JVM). With counting ({@code --stats}) the cache's counting code is installed
 * and each module's counters live in a file shared with the program ({@link
 * dev.tracedb.loader.ptrace.ModuleCounters}), read once it has exited. Not thread-safe: one run at
 * a time per instance.
 */
package dev.tracedb.loader.ptrace;

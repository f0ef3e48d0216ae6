package dev.tracedb.loader.ptrace;

import com.sun.jna.Native;

/**
 * Waits for a child of this JVM that is no longer traced and turns its wait status into a shell
 * exit status (128+N when signal N killed it). A detached tracee is still our child (we spawned
 * it), so its exit is ours to collect.
 */
final class ChildExit {
    static {
        Native.register("c");
    }

    private static final int EINTR = 4;

    private ChildExit() {
    }

    private static native int waitpid(int pid, int[] status, int options);

    static int waitFor(int pid) {
        int[] status = new int[1];
        while (waitpid(pid, status, 0) == -1) {
            int errno = Native.getLastError();
            if (errno != EINTR) {
                throw new IllegalStateException("waitpid(" + pid + ") failed: errno " + errno);
            }
        }
        int s = status[0];
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
    }
}

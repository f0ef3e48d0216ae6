package dev.tracedb.machine.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a child process with glibc {@code posix_spawn}, never with {@link ProcessBuilder}: the
 * JDK's reaper thread waits for every ProcessBuilder child and would steal its ptrace stops.
 *
 * <p>The child gets a clean slate: all signal dispositions reset to default and an empty signal
 * mask (a JVM thread blocks signals the program must not inherit), and every descriptor above 2
 * closed, so a program's first {@code open} returns 3 as it does when started from a shell and
 * no JVM file leaks into it. stdin, stdout and stderr are inherited unless redirected.
 * The child inherits the calling thread's CPU affinity.
 */
final class Spawner {
    private static final int CREATE_MODE = 0644;

    private Spawner() {}

    /** Where a standard descriptor of the child comes from; {@code null} paths mean inherit. */
    record Stdio(Path stdin, Path stdout, Path stderr) {
        static final Stdio INHERIT = new Stdio(null, null, null);
    }

    /** Spawns {@code path} with exactly {@code argv} and {@code env} ("NAME=value"); returns its pid. */
    static int spawn(String path, List<String> argv, List<String> env, Stdio stdio) {
        Memory actions = new Memory(LibC.FILE_ACTIONS_SIZE);
        Memory attr = new Memory(LibC.SPAWNATTR_SIZE);
        Memory sigset = new Memory(LibC.SIGSET_SIZE);
        check("posix_spawn_file_actions_init", LibC.posix_spawn_file_actions_init(actions));
        try {
            check("posix_spawnattr_init", LibC.posix_spawnattr_init(attr));
            try {
                redirect(actions, 0, stdio.stdin(), LibC.O_RDONLY);
                redirect(actions, 1, stdio.stdout(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC);
                redirect(actions, 2, stdio.stderr(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC);
                check("posix_spawn_file_actions_addclosefrom_np",
                        LibC.posix_spawn_file_actions_addclosefrom_np(actions, 3));
                LibC.sigfillset(sigset);
                check("posix_spawnattr_setsigdefault", LibC.posix_spawnattr_setsigdefault(attr, sigset));
                LibC.sigemptyset(sigset);
                check("posix_spawnattr_setsigmask", LibC.posix_spawnattr_setsigmask(attr, sigset));
                check("posix_spawnattr_setflags", LibC.posix_spawnattr_setflags(attr,
                        (short) (LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK)));
                int[] pid = new int[1];
                int error = LibC.posix_spawn(pid, path, actions, attr,
                        new StringArray(argv.toArray(String[]::new)),
                        new StringArray(env.toArray(String[]::new)));
                if (error != 0) {
                    throw new ErrnoException("posix_spawn(" + path + ")", error);
                }
                return pid[0];
            } finally {
                LibC.posix_spawnattr_destroy(attr);
            }
        } finally {
            LibC.posix_spawn_file_actions_destroy(actions);
        }
    }

    private static void redirect(Pointer actions, int fd, Path file, int flags) {
        if (file != null) {
            check("posix_spawn_file_actions_addopen(" + file + ")",
                    LibC.posix_spawn_file_actions_addopen(actions, fd, file.toString(), flags, CREATE_MODE));
        }
    }

    private static void check(String call, int error) {
        if (error != 0) {
            throw new ErrnoException(call, error);
        }
    }
}

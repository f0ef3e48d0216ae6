package dev.tracedb.machine.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteSyscallsTest extends NoStrayProcesses {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;

    private static Tracer tracer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("remote-syscalls-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    private Tracee launch(String program, String... args) {
        return Tracee.launch(tracer, LaunchOptions.builder(TestPrograms.program(program)).args(args)
                .environment(TestPrograms.ENV).stdout(tmp.resolve("stdout")).build());
    }

    @Test
    void getpidInsideTheTraceeAndEverythingRestored() {
        try (Tracee t = launch("exitcode")) {
            Registers before = t.registers();
            byte[] code = t.memory().read(before.rip().minus(2), 4);
            try (RemoteSyscalls remote = new RemoteSyscalls(t)) {
                assertEquals(t.pid(), remote.getpid());
                assertEquals(t.pid(), remote.getpid(), "repeatable");
            }
            assertEquals(before, t.registers());
            assertArrayEquals(code, t.memory().read(before.rip().minus(2), 4));
            assertEquals(new StopEvent.Exited(42), TraceeTest.runToEnd(t), "the program runs on unharmed");
        }
    }

    @Test
    void anonymousMappingIsReadableWritableAndUsableByTheTracee() throws IOException {
        Path written = tmp.resolve("written");
        try (Tracee t = launch("exitcode"); RemoteSyscalls remote = new RemoteSyscalls(t)) {
            RemoteAddress page = remote.mmap(RemoteAddress.NULL, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            assertEquals(0, page.value() & 4095, "page aligned: " + page);
            assertArrayEquals(new byte[8], t.memory().read(page, 8), "fresh anonymous memory is zero");

            byte[] hello = "hello from java".getBytes(StandardCharsets.US_ASCII);
            t.memory().write(page.plus(100), hello);
            assertArrayEquals(hello, t.memory().read(page.plus(100), hello.length));

            // The tracee itself writes the page's bytes to a file: the mapping is real to it.
            int fd = remote.open(written.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, 0600);
            assertEquals(hello.length, remote.check("write", SyscallNumber.WRITE, fd, page.plus(100).value(), hello.length));
            remote.closeFd(fd);
            assertEquals("hello from java", Files.readString(written));

            remote.munmap(page, 4096);
            assertThrows(RemoteMemory.RemoteMemoryException.class, () -> t.memory().read(page, 8));
        }
    }

    @Test
    void fileIsOpenedAndMappedInTheTracee() throws IOException {
        byte[] content = new byte[3 * 4096 + 17];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31 + 7);
        }
        Path file = Files.write(tmp.resolve("mapped.bin"), content);
        try (Tracee t = launch("exitcode")) {
            try (RemoteSyscalls remote = new RemoteSyscalls(t)) {
                int fd = remote.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
                assertTrue(fd >= 3, "fd " + fd);
                RemoteAddress mapped = remote.mmap(RemoteAddress.NULL, content.length, PROT_READ, MAP_PRIVATE, fd, 0);
                remote.closeFd(fd);
                assertArrayEquals(content, t.memory().read(mapped, content.length));
                remote.munmap(mapped, content.length);
            }
            assertEquals(new StopEvent.Exited(42), TraceeTest.runToEnd(t));
        }
    }

    @Test
    void atAnExecEventTheExecIsFinishedFirst() {
        LaunchOptions o = LaunchOptions.builder("/bin/sh").environment(TestPrograms.ENV)
                .args("-c", "exec " + TestPrograms.program("exitcode") + " 5").build();
        try (Tracee t = Tracee.launch(tracer, o)) {
            assertEquals(new StopEvent.EventStop(PtraceEvent.EXEC), t.cont());
            try (RemoteSyscalls remote = new RemoteSyscalls(t)) {
                assertEquals(t.pid(), remote.getpid(), "execve's own result did not overwrite ours");
            }
            assertEquals(new StopEvent.SyscallStop(), t.lastStop(), "left at execve's syscall-exit-stop");
            assertEquals(new StopEvent.Exited(5), TraceeTest.runToEnd(t));
        }
    }

    @Test
    void errorsCarryTheErrno() {
        try (Tracee t = launch("exitcode"); RemoteSyscalls remote = new RemoteSyscalls(t)) {
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> remote.open("/nonexistent/file", LibC.O_RDONLY, 0));
            assertEquals(2, e.errno());
            assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
        }
    }

    @Test
    void injectingAtEverySyscallStopChangesNothingTheProgramSees() throws IOException {
        // Every syscall-enter- and -exit-stop of a whole run, with (number, result, rip) at each:
        // identical with and without a remote getpid at each stop, so each of the program's own
        // calls ran exactly once, with its own result, and no stop was added or lost.
        List<String> plain = syscallTrace(false);
        List<String> injected = syscallTrace(true);
        assertTrue(plain.size() > 10, "a static glibc program makes a dozen syscalls: " + plain);
        assertEquals(plain, injected);
        assertTrue(Files.readString(tmp.resolve("stdout")).endsWith("EXIT-SUCCESS\n"));
    }

    private List<String> syscallTrace(boolean inject) {
        LaunchOptions o = LaunchOptions.builder(TestPrograms.program("loops-static")).args("2")
                .environment(TestPrograms.ENV).stdout(tmp.resolve("stdout"))
                .randomization(AddressRandomization.DISABLED).build();
        try (Tracee t = Tracee.launch(tracer, o)) {
            List<String> trace = new ArrayList<>();
            StopEvent stop;
            while ((stop = t.contToSyscall()) instanceof StopEvent.SyscallStop) {
                Registers r = t.registers();
                String result = r.rax() == t.pid() ? "PID" : Long.toString(r.rax()); // set_tid_address
                trace.add(r.get(Register.ORIG_RAX) + " -> " + result + " at " + r.rip());
                if (inject) {
                    try (RemoteSyscalls remote = new RemoteSyscalls(t)) {
                        assertEquals(t.pid(), remote.getpid());
                    }
                    assertEquals(r, t.registers(), "registers restored");
                }
            }
            assertEquals(new StopEvent.EventStop(PtraceEvent.EXIT), stop);
            assertEquals(new StopEvent.Exited(0), t.cont());
            return trace;
        }
    }
}

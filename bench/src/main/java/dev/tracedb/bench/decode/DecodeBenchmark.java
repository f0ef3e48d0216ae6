package dev.tracedb.bench.decode;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Section;
import dev.tracedb.machine.x86.decode.Decoder;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Decodes the whole {@code .text} of /bin/ls, and of libc (whose AVX-512 string functions go
 * through the fallback decoder), with full detail (operands, registers read and written, flags).
 * The primary score is passes over the section per second; the {@code instructions} secondary
 * score is decoded instructions per second. Run:
 * {@code java -jar bench/target/benchmarks.jar DecodeBenchmark} ({@code -p file=/bin/ls} for one file).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecodeBenchmark {

    @State(Scope.Thread)
    public static class LsText {
        @Param({"/bin/ls", "/lib/x86_64-linux-gnu/libc.so.6"})
        public String file;

        byte[] text;
        long address;
        Decoder decoder;

        @Setup(Level.Trial)
        public void setUp() {
            ElfImage ls = ElfImage.read(Path.of(file));
            Section section = ls.section(".text").orElseThrow();
            text = ls.sectionBytes(section);
            address = section.address();
            decoder = Decoder.open();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            decoder.close();
        }
    }

    /** Reported by JMH as a rate: instructions decoded per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long instructions;

        @Setup(Level.Iteration)
        public void reset() {
            instructions = 0;
        }
    }

    @Benchmark
    public void decodeLsTextWithDetail(LsText ls, Counters counters, Blackhole blackhole) {
        counters.instructions += ls.decoder.decodeAll(ls.text, ls.address, blackhole::consume);
    }
}

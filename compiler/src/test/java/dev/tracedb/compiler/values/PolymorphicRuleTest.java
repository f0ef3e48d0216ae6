package dev.tracedb.compiler.values;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolymorphicRuleTest {
    /** Counts {@code times[i]} passes of value {@code i + 1}. */
    private static ValueCounts counts(long... times) {
        ValueCounts c = new ValueCounts();
        for (int v = 0; v < times.length; v++) {
            for (long n = 0; n < times[v]; n++) c.add(v + 1);
        }
        return c;
    }

    @Test
    void aDominantValueIsOneGuardWhateverTheCompletedPassesSay() {
        assertEquals(List.of(1L), PolymorphicRule.DEFAULT.values(counts(960, 40), counts(10, 500)));
    }

    @Test
    void twoValuesThatTogetherHoldInTheCompletedPassesAreAChainMostFrequentFirst() {
        // fib's two recursive calls through one position: 49 / 49 %, a stray 2 %
        assertEquals(List.of(2L, 1L), PolymorphicRule.DEFAULT.values(counts(490, 500, 20), counts(490, 500, 20)));
        // ties: the smaller value first
        assertEquals(List.of(1L, 2L), PolymorphicRule.DEFAULT.values(counts(500, 500), counts(500, 500)));
    }

    @Test
    void valuesOfPassesThatLeaveTheTraceAreNotChosen() {
        // three opcodes at 30 % each, passes of one of them complete: one value is no chain
        assertEquals(List.of(), PolymorphicRule.DEFAULT.values(counts(300, 300, 300, 100), counts(0, 300)));
    }

    @Test
    void tooManyValuesTooRareOnesOrTooFewPassesMakeNoGuard() {
        assertEquals(List.of(), PolymorphicRule.DEFAULT.values(counts(250, 250, 250, 250), counts(250, 250, 250, 250)));
        assertEquals(List.of(1L, 2L, 3L, 4L),
                new PolymorphicRule(ValueRule.DEFAULT, 4, 0.05).values(counts(250, 250, 250, 250), counts(250, 250, 250, 250)));
        // 94 % + 4 %: the second value is below the 5 % each one needs, so 95 % is never reached
        assertEquals(List.of(), PolymorphicRule.DEFAULT.values(counts(940, 40, 20), counts(940, 40, 20)));
        assertEquals(List.of(), PolymorphicRule.DEFAULT.values(counts(45, 45), counts(45, 45)), "100 passes needed");
        assertEquals(List.of(), PolymorphicRule.SINGLE.values(counts(500, 500), counts(500, 500)), "one value at most");
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new PolymorphicRule(ValueRule.DEFAULT, 0, 0.05));
        assertThrows(IllegalArgumentException.class, () -> new PolymorphicRule(ValueRule.DEFAULT, 2, 0));
    }
}

package dev.tracedb.compiler.values;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rule's boundaries, and the value counts it is applied to. */
class ValueRuleTest {
    @Test
    void aGuardNeedsNinetyFivePercentOfAtLeastAHundredPasses() {
        ValueRule rule = ValueRule.DEFAULT;
        assertTrue(rule.guards(95, 100));
        assertFalse(rule.guards(94, 100));
        assertFalse(rule.guards(99, 99), "too few passes");
        assertTrue(rule.guards(950_000, 1_000_000));
        assertFalse(rule.guards(949_999, 1_000_000));
        assertThrows(IllegalArgumentException.class, () -> new ValueRule(0.5, 100), "a guard's value is a majority");
    }

    @Test
    void countsKeepTheMostFrequentValueAndCountEveryPass() {
        ValueCounts counts = new ValueCounts();
        for (int i = 0; i < 3; i++) counts.add(7);
        counts.add(5);
        counts.add(5);
        counts.add(5);
        assertEquals(5, counts.top(), "equal counts: the smaller value, so the choice is deterministic");
        counts.add(7);
        assertEquals(7, counts.top());
        assertEquals(4, counts.countOf(7));
        // past DISTINCT values, newcomers count as passes only: a value can only be under-counted
        for (int v = 100; v < 100 + 2 * ValueCounts.DISTINCT; v++) counts.add(v);
        assertEquals(7 + 2 * ValueCounts.DISTINCT, counts.passes());
        assertEquals(0, counts.countOf(100 + 2 * ValueCounts.DISTINCT - 1));
        assertEquals(7, counts.top());
    }
}

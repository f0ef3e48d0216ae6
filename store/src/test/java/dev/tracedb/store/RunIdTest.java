package dev.tracedb.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunIdTest {
    @Test
    void formatsParsesAndSortsNumerically() {
        assertEquals("r0007", new RunId(7).toString());
        assertEquals("r12345", new RunId(12345).toString());
        assertEquals(new RunId(42), RunId.parse("r0042"));
        List<RunId> ids = new ArrayList<>(List.of(new RunId(10000), new RunId(2), new RunId(999)));
        Collections.sort(ids);
        assertEquals(List.of(new RunId(2), new RunId(999), new RunId(10000)), ids);
        assertTrue(RunId.isRunId("r0001"));
        for (String bad : new String[] {"r1", "0001", "R0001", "r00x1", "", "r-001"}) {
            assertFalse(RunId.isRunId(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> RunId.parse(bad));
        }
        assertThrows(IllegalArgumentException.class, () -> new RunId(0));
    }
}

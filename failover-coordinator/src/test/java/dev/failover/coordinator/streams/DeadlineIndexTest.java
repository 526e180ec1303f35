package dev.failover.coordinator.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeadlineIndexTest {

    @Test
    void takesOnlyTheGroupsWhoseTimeHasComeAtTheDeadlineAndNotBefore() {
        DeadlineIndex index = new DeadlineIndex();
        index.schedule("a", 100);
        index.schedule("b", 200);
        index.schedule("c", 200);
        assertEquals(List.of(), index.due(99));
        assertEquals(List.of("a"), index.due(100));
        assertEquals(List.of("b", "c"), index.due(250));
        assertEquals(0, index.size());
    }

    @Test
    void reschedulingReplacesTheEntryAndNoDeadlineRemovesIt() {
        DeadlineIndex index = new DeadlineIndex();
        index.schedule("a", 100);
        index.schedule("a", 300);
        assertEquals(1, index.size());
        assertEquals(List.of(), index.due(200));
        index.schedule("a", Long.MAX_VALUE);
        assertEquals(0, index.size());
        assertEquals(List.of(), index.due(Long.MAX_VALUE - 1));
    }
}

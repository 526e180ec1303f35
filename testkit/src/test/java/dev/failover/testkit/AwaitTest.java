package dev.failover.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

    @Test
    void returnsTheFirstNonNullValue() {
        AtomicInteger calls = new AtomicInteger();
        String value =
                Await.value(Duration.ofSeconds(5), "third call", () -> calls.incrementAndGet() == 3 ? "yes" : null);
        assertEquals("yes", value);
        assertEquals(3, calls.get());
    }

    @Test
    void failsNamingWhatItWaitedForAndKeepsTheLastError() {
        AssertionError error = assertThrows(
                AssertionError.class,
                () -> Await.until(Duration.ofMillis(50), "the moon", () -> {
                    throw new IllegalStateException("still dark");
                }));
        assertTrue(error.getMessage().contains("the moon"), error.getMessage());
        assertEquals("still dark", error.getCause().getMessage());
    }
}

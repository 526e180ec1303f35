package dev.failover.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationsTest {

    @Test
    void everyUnitTheDefaultsUseIsRead() {
        Durations d = new Durations();
        assertEquals(Duration.ofMillis(200), d.convert("200ms"));
        assertEquals(Duration.ofMillis(250), d.convert("250"));
        assertEquals(Duration.ofSeconds(2), d.convert("2s"));
        assertEquals(Duration.ofMinutes(5), d.convert("5m"));
        assertEquals(Duration.ofHours(1), d.convert("1h"), "ctl history's default --since");
        assertEquals(Duration.ofDays(7), d.convert("7d"));
        assertThrows(CommandLine.TypeConversionException.class, () -> d.convert("1 week"));
    }
}

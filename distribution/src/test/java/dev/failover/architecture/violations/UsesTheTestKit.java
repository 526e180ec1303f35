package dev.failover.architecture.violations;

import dev.failover.testkit.Await;
import java.time.Duration;

/** Breaks the no-test-support rule: product code that waits the way tests do. */
public final class UsesTheTestKit {

    public Duration deadline() {
        return Await.scaled(Duration.ofSeconds(1));
    }
}

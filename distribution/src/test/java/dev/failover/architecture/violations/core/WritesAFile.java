package dev.failover.architecture.violations.core;

import java.io.FileWriter;
import java.io.IOException;

/** Breaks the pure-core rule: a core that does I/O. */
public final class WritesAFile {

    public void save(String decision) throws IOException {
        try (FileWriter out = new FileWriter("decision.txt")) {
            out.write(decision);
        }
    }
}

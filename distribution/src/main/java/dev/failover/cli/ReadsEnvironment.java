package dev.failover.cli;

import java.util.Map;

/** A command that reads {@code FAILOVER_*} variables: the launcher hands it the environment (tests, their own). */
interface ReadsEnvironment {

    void useEnvironment(Map<String, String> environment);
}

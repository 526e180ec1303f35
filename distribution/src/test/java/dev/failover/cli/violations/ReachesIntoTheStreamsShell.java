package dev.failover.cli.violations;

import dev.failover.coordinator.streams.CoordinatorTopology;

/** Breaks the launcher rule: a launcher class that builds on the coordinator's Kafka Streams shell. */
public final class ReachesIntoTheStreamsShell {

    public String describe() {
        return CoordinatorTopology.class.getName();
    }

    public Object topology(CoordinatorTopology topology) {
        return topology;
    }
}

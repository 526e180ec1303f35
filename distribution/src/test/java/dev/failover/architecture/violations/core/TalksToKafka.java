package dev.failover.architecture.violations.core;

import org.apache.kafka.common.TopicPartition;

/** Breaks the pure-core rule: a core that knows about Kafka. */
public final class TalksToKafka {

    public TopicPartition where(String group) {
        return new TopicPartition("failover.heartbeats", group.length());
    }
}

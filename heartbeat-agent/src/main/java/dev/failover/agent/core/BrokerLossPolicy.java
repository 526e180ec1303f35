package dev.failover.agent.core;

/**
 * What an ACTIVE agent does when it can no longer confirm its lease (it lost Kafka, or was paused past it).
 * Active/passive groups must stand down: a successor may be promoted a failure timeout later. Active/active groups
 * have no successor to collide with, so they keep serving and let the coordinator take them out if it must.
 */
public enum BrokerLossPolicy {
    STAND_DOWN,
    KEEP_SERVING
}

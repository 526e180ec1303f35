package dev.failover.wire;

/**
 * The default topic names. Every record's key is the group id as a UTF-8 string, so all records of a group land in
 * one partition: one writer of decisions per group, and Kafka's console tools show the keys as they are.
 */
public final class Topics {
    public static final String HEARTBEATS = "failover.heartbeats";
    public static final String ROLE_CHANGES = "failover.role-changes";
    public static final String STATE = "failover.state";
    public static final String COMMANDS = "failover.commands";
    public static final String DEAD_LETTERS = "failover.dead-letters";

    /** The coordinator's state store of groups; Kafka Streams backs it with {@link #groupStoreChangelog}. */
    public static final String GROUP_STORE = "failover-groups";

    /** The changelog topic behind the group store of the coordinator with application id {@code applicationId}. */
    public static String groupStoreChangelog(String applicationId) {
        return applicationId + "-" + GROUP_STORE + "-changelog";
    }

    private Topics() {}
}

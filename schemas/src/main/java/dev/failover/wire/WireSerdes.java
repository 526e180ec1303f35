package dev.failover.wire;

/** The serdes of every record type, one call each. */
public final class WireSerdes {
    private WireSerdes() {}

    public static AvroSerde<Heartbeat> heartbeat() {
        return new AvroSerde<>(WireType.HEARTBEAT);
    }

    public static AvroSerde<RoleChange> roleChange() {
        return new AvroSerde<>(WireType.ROLE_CHANGE);
    }

    public static AvroSerde<GroupState> groupState() {
        return new AvroSerde<>(WireType.GROUP_STATE);
    }

    public static AvroSerde<Command> command() {
        return new AvroSerde<>(WireType.COMMAND);
    }

    public static AvroSerde<StoredGroup> storedGroup() {
        return new AvroSerde<>(WireType.STORED_GROUP);
    }

    public static AvroSerde<Fence> fence() {
        return new AvroSerde<>(WireType.FENCE);
    }
}

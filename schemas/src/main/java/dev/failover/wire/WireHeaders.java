package dev.failover.wire;

/**
 * Names of the record headers the coordinator writes beside a value (the signing headers live with their code in
 * {@code dev.failover.wire.sign}; the fence seal in {@link FenceMarker}).
 */
public final class WireHeaders {

    /** On every role change: the decision settings it was decided under (what {@code ctl replay} runs with). */
    public static final String SETTINGS = "failover.settings";
    /** On a dead letter: why the record was refused. */
    public static final String ERROR = "failover.error";
    /** On a dead letter: where it was read ({@code topic-partition@offset}). */
    public static final String SOURCE = "failover.source";

    private WireHeaders() {}
}

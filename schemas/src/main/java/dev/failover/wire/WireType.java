package dev.failover.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * One kind of record on the wire: its generated class, its current schema and every schema version ever released
 * for it. Released versions live as resources {@code dev/failover/wire/released/<Name>.v<N>.avsc}, numbered from 1
 * without gaps; the compatibility test holds the current schema to each of them, and the decoder accepts each.
 *
 * <p>IMPORTANT: when a schema changes, copy the new full schema to the next {@code .vN.avsc} file. The build fails
 * until the current schema is among the released ones, and fails if the change breaks compatibility.
 */
public final class WireType<T extends SpecificRecordBase> {

    public static final WireType<Heartbeat> HEARTBEAT = new WireType<>(Heartbeat.class, Heartbeat.getClassSchema());
    public static final WireType<RoleChange> ROLE_CHANGE =
            new WireType<>(RoleChange.class, RoleChange.getClassSchema());
    public static final WireType<GroupState> GROUP_STATE =
            new WireType<>(GroupState.class, GroupState.getClassSchema());
    public static final WireType<Command> COMMAND = new WireType<>(Command.class, Command.getClassSchema());
    /** The coordinator's changelogged group store: internal, but versioned like the rest because it is restored. */
    public static final WireType<StoredGroup> STORED_GROUP =
            new WireType<>(StoredGroup.class, StoredGroup.getClassSchema());

    /** A coordinator task's fence marker, on the heartbeat topic under a reserved key (see {@link FenceMarker}). */
    public static final WireType<Fence> FENCE = new WireType<>(Fence.class, Fence.getClassSchema());

    private static final List<WireType<?>> ALL =
            List.of(HEARTBEAT, ROLE_CHANGE, GROUP_STATE, COMMAND, STORED_GROUP, FENCE);

    private final Class<T> recordClass;
    private final Schema current;
    private final List<Schema> released;

    private WireType(Class<T> recordClass, Schema current) {
        this.recordClass = recordClass;
        this.current = current;
        this.released = loadReleased(current.getName());
    }

    public static List<WireType<?>> all() {
        return ALL;
    }

    public String name() {
        return current.getName();
    }

    public Class<T> recordClass() {
        return recordClass;
    }

    public Schema currentSchema() {
        return current;
    }

    /** Every released version, oldest first (index 0 is v1). */
    public List<Schema> releasedSchemas() {
        return released;
    }

    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /** Which type and version a fingerprint belongs to, across all wire types; used to explain a mismatch. */
    static Optional<String> describe(long fingerprint) {
        return Optional.ofNullable(Registry.BY_FINGERPRINT.get(fingerprint));
    }

    private static List<Schema> loadReleased(String name) {
        List<Schema> versions = new ArrayList<>();
        for (int v = 1; ; v++) {
            String resource = "released/" + name + ".v" + v + ".avsc";
            try (InputStream in = WireType.class.getResourceAsStream(resource)) {
                if (in == null) {
                    break;
                }
                versions.add(new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read released schema " + resource, e);
            }
        }
        return Collections.unmodifiableList(versions);
    }

    @Override
    public String toString() {
        return name();
    }

    /** Lazily built so that the static fields above are initialised first. */
    private static final class Registry {
        static final Map<Long, String> BY_FINGERPRINT = new ConcurrentHashMap<>();

        static {
            for (WireType<?> type : ALL) {
                for (int i = 0; i < type.released.size(); i++) {
                    BY_FINGERPRINT.put(fingerprint(type.released.get(i)), type.name() + " v" + (i + 1));
                }
                BY_FINGERPRINT.putIfAbsent(fingerprint(type.current), type.name() + " (unreleased)");
            }
        }
    }
}

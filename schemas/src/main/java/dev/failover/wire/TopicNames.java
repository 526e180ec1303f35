package dev.failover.wire;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The five topic names one deployment uses, under the same keys for the coordinator, the agent and {@code ctl}
 * ({@value #HEARTBEATS_KEY}, ...): rename a topic for one and the others must be told the same name, or they stop
 * talking to each other.
 */
public record TopicNames(String heartbeats, String roleChanges, String state, String commands, String deadLetters) {

    public static final String HEARTBEATS_KEY = "topic.heartbeats";
    public static final String ROLE_CHANGES_KEY = "topic.role-changes";
    public static final String STATE_KEY = "topic.state";
    public static final String COMMANDS_KEY = "topic.commands";
    public static final String DEAD_LETTERS_KEY = "topic.dead-letters";

    /** Every key, in the order of the record's fields. */
    public static final List<String> KEYS =
            List.of(HEARTBEATS_KEY, ROLE_CHANGES_KEY, STATE_KEY, COMMANDS_KEY, DEAD_LETTERS_KEY);

    /** Each key's doc, for the configuration definitions of both sides. */
    public static final Map<String, String> DOCS = Map.of(
            HEARTBEATS_KEY, "Heartbeat topic.",
            ROLE_CHANGES_KEY, "Role-change topic.",
            STATE_KEY, "Compacted current-state topic.",
            COMMANDS_KEY, "Operator command topic.",
            DEAD_LETTERS_KEY, "Where records that cannot be used go, with the reason in a header.");

    public TopicNames {
        for (String name : new String[] {heartbeats, roleChanges, state, commands, deadLetters}) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a topic name must not be empty");
            }
        }
    }

    public static TopicNames defaults() {
        return new TopicNames(
                Topics.HEARTBEATS, Topics.ROLE_CHANGES, Topics.STATE, Topics.COMMANDS, Topics.DEAD_LETTERS);
    }

    /** The names from {@code settings} by key, each one unset taking its default. */
    public static TopicNames from(Function<String, String> settings) {
        TopicNames d = defaults();
        return new TopicNames(
                or(settings.apply(HEARTBEATS_KEY), d.heartbeats),
                or(settings.apply(ROLE_CHANGES_KEY), d.roleChanges),
                or(settings.apply(STATE_KEY), d.state),
                or(settings.apply(COMMANDS_KEY), d.commands),
                or(settings.apply(DEAD_LETTERS_KEY), d.deadLetters));
    }

    private static String or(String value, String fallback) {
        return value == null ? fallback : value;
    }
}

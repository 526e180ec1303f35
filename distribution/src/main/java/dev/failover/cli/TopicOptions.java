package dev.failover.cli;

import dev.failover.wire.SettingKeys;
import dev.failover.wire.TopicNames;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --topic KEY=NAME} for the commands that talk to the coordinator's topics without being given its settings
 * ({@code ctl}, {@code acls}): the same keys as the coordinator's and the agent's settings, and the same
 * {@code FAILOVER_TOPIC_*} variables, so a deployment with renamed topics names them once per place, the same way.
 */
final class TopicOptions {

    @Option(
            names = "--topic",
            paramLabel = "KEY=NAME",
            description = {
                "A topic's name, when the coordinator was given another than the default: topic.heartbeats,",
                "topic.role-changes, topic.state, topic.commands or topic.dead-letters; repeatable (FAILOVER_TOPIC_* too)."
            })
    Map<String, String> names = new LinkedHashMap<>();

    /** Environment read through a map handed in, so tests pass their own. */
    Map<String, String> environment = System.getenv();

    /** The defaults, under FAILOVER_TOPIC_* variables, under --topic; an unknown key is refused. */
    TopicNames topics() {
        Map<String, String> merged = new LinkedHashMap<>();
        for (String key : TopicNames.KEYS) {
            String fromEnv = environment.get(SettingKeys.environmentName(key));
            if (fromEnv != null) {
                merged.put(key, fromEnv);
            }
        }
        merged.putAll(names);
        for (String key : merged.keySet()) {
            if (!TopicNames.KEYS.contains(key)) {
                throw new IllegalArgumentException(
                        "--topic " + key + ": not a topic key; one of " + String.join(", ", TopicNames.KEYS));
            }
        }
        return TopicNames.from(merged::get);
    }
}

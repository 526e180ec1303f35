package dev.failover.coordinator.streams;

import dev.failover.wire.Command;
import dev.failover.wire.sign.RecordSigner;
import dev.failover.wire.sign.RecordVerifier;
import java.util.OptionalLong;
import org.apache.kafka.common.header.Headers;

/**
 * Whether an operator command may be acted on, when the coordinator trusts operator keys ({@code operator.trust.keys}).
 * A command passes when it is signed by one of them ({@link RecordSigner#signCommand}), for the group's current epoch
 * (a copy written again after the group moved on is refused), issued within {@code command.max.age.ms} of this
 * coordinator's wall clock, and its id was not answered before (a copy written again at once: PAUSE and RESUME keep
 * the epoch). Otherwise the reason is returned and the command is refused in the decision log, where {@code ctl} reads
 * it. The answered ids are remembered in the group's {@link GroupMemory}, stored with the group, so a copy written
 * right after the group moved to another instance is refused there too.
 */
final class CommandGate {

    private final RecordVerifier operatorKeys;
    private final long maxAgeMs;

    CommandGate(RecordVerifier operatorKeys, long maxAgeMs) {
        this.operatorKeys = operatorKeys;
        this.maxAgeMs = maxAgeMs;
    }

    /** Why {@code command} must be refused, or null if it may be acted on (always, when no operator key is trusted). */
    String refusal(
            String key,
            byte[] value,
            Headers headers,
            Command command,
            long currentEpoch,
            long wallMs,
            GroupMemory memory) {
        if (operatorKeys == null) {
            return null;
        }
        OptionalLong epoch = RecordSigner.commandEpoch(headers);
        RecordVerifier.Outcome outcome = epoch.isEmpty()
                ? RecordVerifier.Outcome.UNSIGNED
                : operatorKeys.check(RecordSigner.commandKind(epoch.getAsLong()), key, value, headers);
        if (outcome != RecordVerifier.Outcome.VALID) {
            return command.getType() + " refused: " + outcome.label() + " command; this coordinator acts only on "
                    + "commands signed by a trusted operator key (failover ctl --signing-key)";
        }
        if (epoch.getAsLong() != currentEpoch) {
            return command.getType() + " refused: signed for epoch " + epoch.getAsLong() + " but the group is at epoch "
                    + currentEpoch + " (written again later, or the group changed meanwhile: send it again)";
        }
        long skew = Math.abs(wallMs - command.getIssuedAtMs());
        if (skew > maxAgeMs) {
            return command.getType() + " refused: issued " + skew + " ms from this coordinator's clock, more than "
                    + "command.max.age.ms (" + maxAgeMs + "); check the clocks, or send it again";
        }
        if (memory.answered(command.getCommandId(), wallMs)) {
            return command.getType() + " refused: command " + command.getCommandId() + " was already answered";
        }
        memory.answer(command.getCommandId(), command.getIssuedAtMs() + maxAgeMs);
        return null;
    }
}

package dev.failover.wire;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one rule for group and node ids, applied the same way by the agent (its flags), the coordinator (every record
 * it reads) and {@code ctl}: 1 to {@value #MAX_LENGTH} characters, letters, digits, {@code .}, {@code _} and
 * {@code -}, starting with a letter or digit. So ids print safely in logs, metrics and shells, a group's stored
 * record stays small, and the reserved prefix {@code __} (fence markers) can never be a group.
 */
public final class Ids {

    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private Ids() {}

    /**
     * Why {@code id} is not a valid id, or empty when it is.
     *
     * @param what what the id names, for the message (e.g. {@code "group"}, {@code "--node"})
     */
    public static Optional<String> problem(String what, String id) {
        if (id == null || id.isEmpty()) {
            return Optional.of(what + " must not be empty");
        }
        if (id.length() > MAX_LENGTH) {
            return Optional.of(
                    what + " is " + id.length() + " characters long; at most " + MAX_LENGTH + " are allowed");
        }
        if (!VALID.matcher(id).matches()) {
            return Optional.of(what + " '" + id + "' may contain only letters, digits, '.', '_' and '-', and must "
                    + "start with a letter or digit");
        }
        return Optional.empty();
    }
}

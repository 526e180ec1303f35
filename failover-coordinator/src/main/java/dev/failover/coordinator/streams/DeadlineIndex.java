package dev.failover.coordinator.streams;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Which group must be looked at when: a punctuation takes only the groups whose time has come, so its cost grows
 * with the number of expiring groups, not with all groups. One entry per group; rescheduling replaces it.
 */
final class DeadlineIndex {

    private final NavigableMap<Long, List<String>> byTime = new TreeMap<>();
    private final Map<String, Long> byGroup = new HashMap<>();

    void schedule(String group, long atMs) {
        Long previous = byGroup.put(group, atMs);
        if (previous != null) {
            if (previous == atMs) {
                return;
            }
            List<String> groups = byTime.get(previous);
            groups.remove(group);
            if (groups.isEmpty()) {
                byTime.remove(previous);
            }
        }
        if (atMs == Long.MAX_VALUE) {
            byGroup.remove(group);
            return;
        }
        byTime.computeIfAbsent(atMs, t -> new ArrayList<>(1)).add(group);
    }

    /** Removes and returns every group due at or before {@code nowMs}. */
    List<String> due(long nowMs) {
        List<String> due = new ArrayList<>();
        var head = byTime.headMap(nowMs, true);
        head.values().forEach(due::addAll);
        head.clear();
        due.forEach(byGroup::remove);
        return due;
    }

    /** The earliest time any group is due, or {@code Long.MAX_VALUE}. */
    long earliest() {
        return byTime.isEmpty() ? Long.MAX_VALUE : byTime.firstKey();
    }

    int size() {
        return byGroup.size();
    }

    void clear() {
        byTime.clear();
        byGroup.clear();
    }
}

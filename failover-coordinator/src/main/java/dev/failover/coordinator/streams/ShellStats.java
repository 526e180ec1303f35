package dev.failover.coordinator.streams;

import java.util.concurrent.atomic.AtomicLong;

/** Counters the shell keeps for status and metrics, shared by every task of one instance. */
public final class ShellStats {
    public final AtomicLong heartbeats = new AtomicLong();
    public final AtomicLong decisions = new AtomicLong();
    public final AtomicLong deadLettered = new AtomicLong();
    public final AtomicLong punctuations = new AtomicLong();
    public final AtomicLong lastPunctuationNanos = new AtomicLong();
    public final AtomicLong brakeHolds = new AtomicLong();
    public final AtomicLong brakeEngaged = new AtomicLong();
    public final AtomicLong inconsistentMembers = new AtomicLong();
}

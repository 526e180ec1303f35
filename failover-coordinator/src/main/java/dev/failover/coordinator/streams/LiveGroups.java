package dev.failover.coordinator.streams;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Questions from the HTTP threads to the stream thread that holds a group: "what do you see of it now?". The
 * processor's liveness is plain state owned by its stream thread; rather than sharing it (concurrent maps on every
 * heartbeat), each task keeps an inbox here that it answers at its next record or punctuation (every
 * {@code punctuation.interval.ms} while it holds groups), on its own thread, with its own clocks. A question to a task
 * that does not punctuate (it holds no group) or has gone is never answered: the asker gives up after its timeout.
 */
public final class LiveGroups {

    /** One question: the group, and where its JSON answer (null when the task does not hold it) goes. */
    record Ask(String group, CompletableFuture<String> answer) {}

    private final Map<Integer, Queue<Ask>> inboxes = new ConcurrentHashMap<>();

    /** The inbox of the task of {@code partition}, open until {@link #close}. */
    Queue<Ask> open(int partition) {
        Queue<Ask> inbox = new ConcurrentLinkedQueue<>();
        inboxes.put(partition, inbox);
        return inbox;
    }

    /** The task has closed: its open questions are answered "not held here". */
    void close(int partition, Queue<Ask> inbox) {
        inboxes.remove(partition, inbox);
        for (Ask ask; (ask = inbox.poll()) != null; ) {
            ask.answer().complete(null);
        }
    }

    /**
     * Asks the task of {@code partition} (the group's partition) for {@code group}'s live view as JSON: completes
     * with null at once when no task of this instance runs that partition.
     */
    public CompletableFuture<String> ask(int partition, String group) {
        Queue<Ask> inbox = inboxes.get(partition);
        if (inbox == null) {
            return CompletableFuture.completedFuture(null);
        }
        Ask ask = new Ask(group, new CompletableFuture<>());
        inbox.add(ask);
        ask.answer().whenComplete((answer, failure) -> inbox.remove(ask)); // given up on: not left for the task
        return ask.answer();
    }
}

package dev.failover.cli;

import com.sun.tools.attach.VirtualMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The requests local broker processes have handled, by type, read from their own request metrics
 * ({@code kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*}) over a local JMX connection opened by
 * attaching to each process. A count of what a client made the brokers do: unlike their CPU share on a shared machine,
 * it does not drift with what else runs.
 */
final class BrokerRequests implements AutoCloseable {

    private final List<JMXConnector> connectors = new ArrayList<>();
    private final List<MBeanServerConnection> brokers = new ArrayList<>();

    BrokerRequests(List<Long> pids) throws Exception {
        for (long pid : pids) {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()));
                connectors.add(connector);
                brokers.add(connector.getMBeanServerConnection());
            } finally {
                vm.detach();
            }
        }
    }

    /** Requests handled so far by all the brokers together, per request type (summed over versions). */
    Map<String, Long> counts() throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        ObjectName pattern = new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*");
        for (MBeanServerConnection broker : brokers) {
            for (ObjectName name : broker.queryNames(pattern, null)) {
                Object count = broker.getAttribute(name, "Count");
                if (count instanceof Number n) {
                    counts.merge(name.getKeyProperty("request"), n.longValue(), Long::sum);
                }
            }
        }
        return counts;
    }

    /**
     * Per request type, how many a second between two {@link #counts()}, the busiest first; none below 0.05. Fetches
     * are split into a consumer's and a follower's (the brokers' own replication).
     */
    static String rates(Map<String, Long> before, Map<String, Long> after, double seconds) {
        Map<String, Double> rates = new TreeMap<>();
        after.forEach((type, count) -> {
            if (type.equals("Fetch")) {
                return; // the sum of FetchConsumer and FetchFollower, which are listed
            }
            double rate = (count - before.getOrDefault(type, 0L)) / seconds;
            if (rate >= 0.05) {
                rates.put(type, rate);
            }
        });
        double total = rates.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder text = new StringBuilder(String.format("%.1f requests/s", total));
        rates.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> text.append(String.format(", %s %.1f", e.getKey(), e.getValue())));
        return text.toString();
    }

    @Override
    public void close() {
        for (JMXConnector connector : connectors) {
            try {
                connector.close();
            } catch (java.io.IOException gone) {
                // the broker has stopped already: nothing left to close
            }
        }
    }
}

package dev.failover.agent.core;

import dev.failover.wire.Health;

/**
 * The health an agent reports: its probe's results counted with rise/fall (UNKNOWN until {@code rise} passes in a
 * row when a probe is configured, HEALTHY when none is), overridden by a failed hook (UNHEALTHY until a later hook
 * succeeds, so the coordinator can choose another node) and by leaving.
 */
public final class HealthTracker {

    private final int rise;
    private final int fall;
    private Health probed;
    private int passes;
    private int failures;
    private String detail;
    private String hookFailure;

    public HealthTracker(int rise, int fall, boolean probeConfigured) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1");
        }
        this.rise = rise;
        this.fall = fall;
        this.probed = probeConfigured ? Health.UNKNOWN : Health.HEALTHY;
        this.detail = probeConfigured ? "no probe result yet" : "no probe configured";
    }

    public synchronized void onProbe(boolean ok, String what) {
        detail = what;
        if (ok) {
            passes++;
            failures = 0;
            if (passes >= rise) {
                probed = Health.HEALTHY;
            }
        } else {
            failures++;
            passes = 0;
            if (failures >= fall) {
                probed = Health.UNHEALTHY;
            }
        }
    }

    public synchronized void onHook(boolean ok, String what) {
        hookFailure = ok ? null : what;
    }

    public synchronized Health reported(boolean leaving) {
        if (leaving) {
            return Health.LEAVING;
        }
        return hookFailure != null ? Health.UNHEALTHY : probed;
    }

    public synchronized String detail() {
        return hookFailure != null ? "hook failed: " + hookFailure : detail;
    }
}

package io.fdbmeta.layer.control;

/**
 * Running totals of one controller instance (since it was created), for demos and the simulation.
 * {@code detectorKeysRead} counts every key the failure detector read; {@code lastDetectorKeys} is
 * the last cycle's count and {@code maxDetectorKeys} the largest.
 */
public record ControllerStats(
    long ticks,
    long takeovers,
    long deposed,
    long nodesMarkedDead,
    long leasesMoved,
    long replicasRecreated,
    long rebalanceMoves,
    long movesAborted,
    long splits,
    long merges,
    long unsatisfiable,
    long refused,
    long fencedOff,
    long detectorCycles,
    long detectorKeysRead,
    long lastDetectorKeys,
    long maxDetectorKeys) {}

/**
 * The control loops: one active controller, elected through the {@code controller} lease, acting
 * only in transactions that check its term's epoch, so a deposed controller changes nothing.
 *
 * <h2>Pieces</h2>
 *
 * <ul>
 *   <li>{@link io.fdbmeta.layer.control.Controller}: runs the loops on a timer ({@code start}) or
 *       by hand ({@code create} + {@code tick}, as the simulation does); {@code plan} is the dry
 *       run behind {@code fdbmeta plan}. Settings in {@link
 *       io.fdbmeta.layer.control.ControllerConfig}; what it did in {@link
 *       io.fdbmeta.layer.control.ControllerEvent}s and {@link
 *       io.fdbmeta.layer.control.ControllerStats}; what it would do in {@link
 *       io.fdbmeta.layer.control.ControllerPlan}.
 *   <li>{@link io.fdbmeta.layer.control.ControllerElection}: the term and the fence.
 *   <li>{@code ControllerActions}: what the loops may do, applied in fenced transactions (or only
 *       recorded, for a plan).
 *   <li>{@code FailureDetector}: node-centric; scans only expired liveness entries, marks those
 *       nodes dead, moves their leases and re-creates their replicas through {@code range_by_node}.
 *   <li>{@code Rebalancer} (hysteresis, rate limits) and {@code SplitMergePlanner} (load-based
 *       splits and merges), both through {@link io.fdbmeta.layer.control.Placement}, which says why
 *       a constraint cannot be met rather than break it.
 *   <li>{@code FleetView}, {@code Move} and {@code Moves}: the controller's picture of the nodes
 *       and the replica moves in flight.
 * </ul>
 *
 * Depends on the core package only; never on {@link io.fdbmeta.layer.route}. Op records are written
 * through {@link io.fdbmeta.layer.OpLog}.
 */
@NullMarked
package io.fdbmeta.layer.control;

import org.jspecify.annotations.NullMarked;

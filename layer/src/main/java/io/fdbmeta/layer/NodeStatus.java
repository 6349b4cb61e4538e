package io.fdbmeta.layer;

/** Lifecycle of a storage node as the control plane sees it. */
public enum NodeStatus {
  /** Heartbeating; may hold leases and receive replicas. */
  LIVE,
  /** Alive but being emptied: keeps serving, receives nothing new. */
  DRAINING,
  /** Its liveness expired; its leases move to live replicas. */
  DEAD,
  /** Removed from the cluster by an operator; never comes back under this incarnation. */
  DECOMMISSIONED
}

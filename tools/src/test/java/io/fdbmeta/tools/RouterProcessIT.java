package io.fdbmeta.tools;

import static io.fdbmeta.tools.ServiceProcesses.call;
import static io.fdbmeta.tools.ServiceProcesses.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.fdbmeta.tools.ServiceProcesses.Service;
import io.fdbmeta.wire.RespClient;
import io.fdbmeta.wire.RespValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of one of two {@code fdbmeta router} processes: 3 nodes, a controller and 2 routers as
 * separate processes against a store server; a RESP client writes through router 1, which is
 * killed; the client reconnects to router 2, carries on, and reads back every acknowledged write.
 * Reproduce with {@code mvn -B -o verify -pl tools -am -Dit.test=RouterProcessIT -Dtest=NoSuchTest
 * -Dsurefire.failIfNoSpecifiedTests=false -DfailIfNoTests=false}.
 */
class RouterProcessIT {
  @TempDir Path tmp;

  private @Nullable ServiceProcesses cluster;

  @AfterEach
  void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void clientReconnectsToTheOtherRouterAfterKillNineAndReadsEveryAcknowledgedWrite()
      throws Exception {
    ServiceProcesses c = ServiceProcesses.start(tmp);
    cluster = c;
    List<FdbmetaProcess> nodeProcs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) nodeProcs.add(c.startNode("n" + i, i));
    FdbmetaProcess ctl = c.startController("ctl-1");
    FdbmetaProcess r1p = c.startRouter("router-1");
    FdbmetaProcess r2p = c.startRouter("router-2");
    for (int i = 0; i < 3; i++) ServiceProcesses.awaitNode("n" + (i + 1), nodeProcs.get(i));
    c.placeRanges(List.of("h", "p"), List.of("n1", "n2", "n3"), 3);
    ServiceProcesses.awaitActive(ctl);
    Service r1 = ServiceProcesses.awaitRouter("router-1", r1p);
    Service r2 = ServiceProcesses.awaitRouter("router-2", r2p);

    Map<String, String> acked = new LinkedHashMap<>();
    RespClient client = c.connect(r1);
    int i = 0;
    // writes through router 1 until every range answered (the nodes take up their leases)
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (acked.size() < 60 && System.nanoTime() < deadline) {
      String key = "abkqtz".charAt(i % 6) + "-" + i;
      if (ok(call(client, "SET", key, "v" + i))) acked.put(key, "v" + i);
      else Thread.sleep(50);
      i++;
    }
    assertThat(acked).as("writes acknowledged through router 1").hasSizeGreaterThanOrEqualTo(60);
    int beforeKill = acked.size();

    long killedAt = System.nanoTime();
    r1.process().kill();
    // the client sees the connection end, and reconnects to the other router
    long reconnectedAt = 0;
    int failedAfterKill = 0;
    int written = 0;
    while (written < 60) {
      String key = "abkqtz".charAt(i % 6) + "-" + i;
      RespValue v = call(client, "SET", key, "v" + i);
      if (ok(v)) {
        acked.put(key, "v" + i);
        written++;
      } else {
        failedAfterKill++;
        if (client == null || !client.isOpen()) {
          if (client != null) client.close();
          client = c.connect(r2);
          if (reconnectedAt == 0) reconnectedAt = System.nanoTime();
        }
      }
      i++;
    }
    List<String> lost = new ArrayList<>();
    for (Map.Entry<String, String> e : acked.entrySet()) {
      RespValue v = call(client, "GET", e.getKey());
      if (!(v instanceof RespValue.Bulk b && e.getValue().equals(b.utf8())))
        lost.add(e.getKey() + "=" + v);
    }
    client.close();
    System.out.printf(
        "RouterProcessIT: kill -9 of router-1 after %d acknowledged writes: the client reconnected"
            + " to router-2 %d ms after the kill (%d commands failed on the dead connection), wrote"
            + " %d more, read back %d of %d acknowledged writes%n",
        beforeKill,
        (reconnectedAt - killedAt) / 1_000_000,
        failedAfterKill,
        written,
        acked.size() - lost.size(),
        acked.size());
    assertThat(reconnectedAt).as("the client noticed the dead router").isPositive();
    assertThat(lost).as("acknowledged writes not read back").isEmpty();
    assertThat(r2.process().isAlive()).isTrue();
  }
}

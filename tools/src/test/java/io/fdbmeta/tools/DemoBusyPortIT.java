package io.fdbmeta.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * A demo whose RESP port is taken says which port and why, in one line. It said "fdbmeta: bind(..)
 * failed with error(-98): Address already in use (NativeIoException)" under native epoll, and
 * earlier "cannot open the router's admin port 0".
 */
class DemoBusyPortIT {
  @Test
  void busyRespPortIsNamedInTheError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Cli r = Cli.run("demo", "--duration", "5s", "--port", String.valueOf(port));
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.errLines())
          .singleElement()
          .asString()
          .contains("cannot listen on 127.0.0.1:" + port + " (--port): the port is taken");
    }
  }
}

package io.fdbmeta.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RespDecoderTest {
  private static final RespDecoder.Limits SMALL = new RespDecoder.Limits(8, 64, 32, 128);

  private static List<Object> decode(RespDecoder.Limits limits, byte[]... chunks) {
    EmbeddedChannel ch = new EmbeddedChannel(new RespDecoder(limits));
    for (byte[] c : chunks) ch.writeInbound(Unpooled.wrappedBuffer(c));
    List<Object> out = new ArrayList<>();
    for (Object o; (o = ch.readInbound()) != null; ) out.add(o);
    ch.finishAndReleaseAll();
    return out;
  }

  private static List<Object> decode(String... chunks) {
    byte[][] b = new byte[chunks.length][];
    for (int i = 0; i < chunks.length; i++) b[i] = chunks[i].getBytes(StandardCharsets.ISO_8859_1);
    return decode(SMALL, b);
  }

  private static List<String> words(Object o) {
    List<String> w = new ArrayList<>();
    for (byte[] a : ((RespCommand) o).args()) w.add(new String(a, StandardCharsets.ISO_8859_1));
    return w;
  }

  @Test
  void decodesPipelinedArrayCommands() {
    List<Object> out =
        decode("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nset\r\n$1\r\nb\r\n$0\r\n\r\n");
    assertThat(out).hasSize(2);
    assertThat(words(out.get(0))).containsExactly("GET", "a");
    assertThat(words(out.get(1))).containsExactly("set", "b", "");
    assertThat(((RespCommand) out.get(1)).name()).isEqualTo("SET");
  }

  @Test
  void bulkStringsAreBinarySafe() {
    byte[] value = {0, '\r', '\n', (byte) 0xff, '*', '$'};
    ByteBuf b = Unpooled.buffer();
    Resp.command(b, "SET".getBytes(StandardCharsets.US_ASCII), new byte[] {'\n', 0}, value);
    byte[] bytes = new byte[b.readableBytes()];
    b.readBytes(bytes);
    List<Object> out = decode(SMALL, bytes);
    assertThat(out).hasSize(1);
    RespCommand c = (RespCommand) out.get(0);
    assertThat(c.arg(1)).containsExactly('\n', 0);
    assertThat(c.arg(2)).containsExactly(value);
  }

  @Test
  void aCommandTrickledOneByteAtATimeDecodesOnce() {
    String cmd = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n";
    String[] bytes = new String[cmd.length()];
    for (int i = 0; i < cmd.length(); i++) bytes[i] = cmd.substring(i, i + 1);
    List<Object> out = decode(bytes);
    assertThat(out).hasSize(2);
    assertThat(words(out.get(0))).containsExactly("SET", "key", "value");
    assertThat(words(out.get(1))).containsExactly("PING");
  }

  @Test
  void inlineCommandsSplitOnWhitespace() {
    List<Object> out = decode("PING\r\n", "  echo \t hello  \n", "\r\n");
    assertThat(out).hasSize(2);
    assertThat(words(out.get(0))).containsExactly("PING");
    assertThat(words(out.get(1))).containsExactly("echo", "hello");
  }

  @Test
  void emptyArraysAreIgnored() {
    assertThat(decode("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")).hasSize(1);
  }

  @Test
  void garbageAfterValidCommandsYieldsTheCommandsThenOneError() {
    List<Object> out =
        decode("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n%4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    assertThat(out).hasSize(3);
    assertThat(words(out.get(1))).containsExactly("PING");
    assertThat(out.get(2))
        .isInstanceOfSatisfying(
            RespProtocolError.class,
            e -> assertThat(e.message()).contains("expected '$', got '%'"));
  }

  @Test
  void inputAfterAnErrorIsDiscarded() {
    List<Object> out = decode("*x\r\n", "*1\r\n$4\r\nPING\r\n");
    assertThat(out).singleElement().isInstanceOf(RespProtocolError.class);
  }

  @Test
  void rejectsLengthsBeyondTheLimitsBeforeReadingTheBody() {
    assertThat(decode("*9\r\n"))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class, e -> assertThat(e.message()).contains("multibulk length 9"));
    assertThat(decode("*1\r\n$65\r\n"))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class, e -> assertThat(e.message()).contains("bulk length 65"));
    assertThat(decode("*1\r\n$-1\r\n"))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class, e -> assertThat(e.message()).contains("bulk length -1"));
    assertThat(decode("*1\r\n$99999999999999999999\r\n"))
        .singleElement()
        .isInstanceOf(RespProtocolError.class);
    assertThat(
            decode(
                "*3\r\n$60\r\n" + "x".repeat(60) + "\r\n$60\r\n" + "y".repeat(60) + "\r\n$60\r\n"))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class,
            e -> assertThat(e.message()).contains("command larger than 128"));
  }

  @Test
  void rejectsHeaderLinesThatNeverEnd() {
    assertThat(decode("*1111111111111111111111111111"))
        .singleElement()
        .isInstanceOf(RespProtocolError.class);
    assertThat(decode("*1\r\n$1234")).isEmpty(); // may still complete
    assertThat(decode("PING " + "x".repeat(40)))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class, e -> assertThat(e.message()).contains("inline"));
  }

  @Test
  void rejectsBulkWithoutCrlfAndBadDigits() {
    assertThat(decode("*1\r\n$4\r\nPINGxx"))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class, e -> assertThat(e.message()).contains("CRLF"));
    assertThat(decode("*1\r\n$4x\r\n"))
        .singleElement()
        .isInstanceOfSatisfying(
            RespProtocolError.class, e -> assertThat(e.message()).contains("not a digit"));
    assertThat(decode("*\r\n")).singleElement().isInstanceOf(RespProtocolError.class);
    assertThat(decode("*1\n")).singleElement().isInstanceOf(RespProtocolError.class);
  }

  @Test
  void truncatedCommandProducesNothingYet() {
    assertThat(decode("*2\r\n$3\r\nGET\r\n$1\r\n")).isEmpty();
  }

  @Test
  void tellsWhetherACommandIsPartlyBuffered() {
    RespDecoder d = new RespDecoder(SMALL);
    EmbeddedChannel ch = new EmbeddedChannel(d);
    assertThat(d.hasPartialCommand()).isFalse();
    ch.writeInbound(Unpooled.wrappedBuffer("*2\r\n$3\r\nGE".getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(d.hasPartialCommand()).isTrue();
    ch.writeInbound(
        Unpooled.wrappedBuffer("T\r\n$1\r\na\r\nPI".getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(d.hasPartialCommand()).isTrue(); // an inline command's first bytes
    ch.writeInbound(Unpooled.wrappedBuffer("NG\r\n".getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(d.hasPartialCommand()).isFalse();
    ch.writeInbound(Unpooled.wrappedBuffer("*1\r\n".getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(d.hasPartialCommand()).isTrue(); // between a header and its arguments
    ch.writeInbound(Unpooled.wrappedBuffer("?".getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(d.hasPartialCommand()).isFalse(); // failed: nothing more will be decoded
    ch.finishAndReleaseAll();
  }

  /**
   * Issue 14, defect 1: an array header alone ({@code *1048576}) made the decoder allocate the
   * whole argument table (4 MB) before one argument arrived.
   */
  @Test
  void arrayHeaderAloneAllocatesNothing() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    EmbeddedChannel ch = new EmbeddedChannel(new RespDecoder());
    ByteBuf header = Unpooled.copiedBuffer("*1048576\r\n", StandardCharsets.US_ASCII);
    long before = threads.getCurrentThreadAllocatedBytes();
    ch.writeInbound(header);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).isLessThan(256 << 10);
    ch.finishAndReleaseAll();
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  @Test
  void anIncompleteCommandOverTheConnectionLimitIsRefused() {
    RespDecoder.Budget budget = new RespDecoder.Budget(1 << 20);
    EmbeddedChannel ch =
        new EmbeddedChannel(new RespDecoder(RespDecoder.Limits.DEFAULT, 1_000, budget));
    ch.writeInbound(ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n" + "x".repeat(2_000)));
    RespProtocolError e = ch.readInbound();
    assertThat(e.overLimit()).isTrue();
    assertThat(e.message()).contains("1000 bytes");
    assertThat(budget.used()).isZero();
    ch.finishAndReleaseAll();
  }

  @Test
  void incompleteCommandsOfAllConnectionsShareOneBudget() {
    RespDecoder.Budget budget = new RespDecoder.Budget(10_000);
    RespDecoder da = new RespDecoder(RespDecoder.Limits.DEFAULT, 8_000, budget);
    EmbeddedChannel a = new EmbeddedChannel(da);
    EmbeddedChannel b =
        new EmbeddedChannel(new RespDecoder(RespDecoder.Limits.DEFAULT, 8_000, budget));
    EmbeddedChannel c =
        new EmbeddedChannel(new RespDecoder(RespDecoder.Limits.DEFAULT, 8_000, budget));
    String head = "*2\r\n$3\r\nSET\r\n$7000\r\n";
    a.writeInbound(ascii(head + "x".repeat(6_000)));
    assertThat((Object) a.readInbound()).isNull();
    assertThat(budget.used()).isEqualTo(da.heldBytes()).isGreaterThan(6_000);
    b.writeInbound(ascii(head + "x".repeat(6_000)));
    RespProtocolError e = b.readInbound();
    assertThat(e.overLimit()).isTrue();
    assertThat(e.message()).startsWith("server busy");
    assertThat(budget.used()).isEqualTo(da.heldBytes());
    c.writeInbound(ascii(head));
    c.close();
    assertThat(budget.used())
        .as("a closed connection gives its share back")
        .isEqualTo(da.heldBytes());
    a.writeInbound(ascii("x".repeat(1_000) + "\r\n"));
    assertThat((Object) a.readInbound()).isInstanceOf(RespCommand.class);
    assertThat(budget.used()).isZero();
    a.finishAndReleaseAll();
    b.finishAndReleaseAll();
  }

  /**
   * With the pre-AUTH limits on, a handler that lifts them when it sees AUTH gets the command after
   * it decoded under the lifted limits, in the same read (the decoder stops after AUTH).
   */
  @Test
  void unauthenticatedLimitsApplyUntilTheHandlerLiftsThemAfterAuth() {
    RespDecoder decoder = new RespDecoder();
    List<Object> seen = new ArrayList<>();
    EmbeddedChannel ch =
        new EmbeddedChannel(
            decoder,
            new io.netty.channel.ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
                if (msg instanceof RespCommand c && c.name().equals("AUTH"))
                  decoder.limitUnauthenticated(false);
              }
            });
    decoder.limitUnauthenticated(true);
    String eleven = "*11\r\n" + "$1\r\nx\r\n".repeat(11);
    ch.writeInbound(
        Unpooled.copiedBuffer(
            "*2\r\n$4\r\nauth\r\n$1\r\np\r\n" + eleven, StandardCharsets.ISO_8859_1));
    assertThat(seen).hasSize(2);
    assertThat(((RespCommand) seen.get(1)).arity()).isEqualTo(10);
    decoder.limitUnauthenticated(true); // RESET
    ch.writeInbound(Unpooled.copiedBuffer(eleven, StandardCharsets.ISO_8859_1));
    assertThat(seen).hasSize(3);
    assertThat(((RespProtocolError) seen.get(2)).message())
        .isEqualTo("unauthenticated multibulk length");
    ch.finishAndReleaseAll();
    RespDecoder bulk = new RespDecoder();
    bulk.limitUnauthenticated(true);
    EmbeddedChannel b = new EmbeddedChannel(bulk);
    b.writeInbound(Unpooled.copiedBuffer("*1\r\n$16385\r\n", StandardCharsets.ISO_8859_1));
    assertThat(((RespProtocolError) b.readInbound()).message())
        .isEqualTo("unauthenticated bulk length");
    b.finishAndReleaseAll();
  }
}

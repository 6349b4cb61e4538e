package io.fdbmeta.tools;

import io.fdbmeta.layer.RangeCatalog;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fdbmeta init}: bootstraps the cluster's range catalog; safe to run again. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description =
        "Create the cluster's catalog: one root range covering every key. Safe to run again: "
            + "an initialised cluster is left as it is.")
final class InitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin JsonOption output = new JsonOption();

  @Override
  public Integer call() {
    try (MetaSession session = MetaSession.open(spec)) {
      RangeCatalog.Bootstrap b = session.catalog().init(session.db());
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        out.println(
            Json.object()
                .put("store", session.storeDescription())
                .put("cluster", session.cluster())
                .put("created", b.created())
                .put("range", Views.rangeJson(b.first())));
      } else if (b.created()) {
        out.println(
            "initialised cluster '"
                + session.cluster()
                + "' in "
                + session.storeDescription()
                + ": created root "
                + Views.rangeLine(b.first()));
      } else {
        out.println(
            "cluster '"
                + session.cluster()
                + "' in "
                + session.storeDescription()
                + " was already initialised; nothing changed (first "
                + Views.rangeLine(b.first())
                + ")");
      }
      out.flush();
      return 0;
    }
  }
}

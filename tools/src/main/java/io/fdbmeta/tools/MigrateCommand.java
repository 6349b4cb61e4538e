package io.fdbmeta.tools;

import io.fdbmeta.layer.Migrations;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fdbmeta migrate}: groups the online migration commands (the layer's {@link Migrations}).
 */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Online migrations of fdbmeta's own metadata: records are rewritten in short transactions"
          + " while everything serves, changes made meanwhile are replayed from the changelog,"
          + " and one transaction swaps the schema version.",
      "status shows where a cluster stands, plan what run would do, run migrates (resuming one"
          + " under way, after kill -9 too), abort puts records back."
    },
    subcommands = {
      MigrateCommand.Status.class,
      MigrateCommand.Plan.class,
      MigrateRunCommand.class,
      MigrateCommand.Abort.class
    })
final class MigrateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command: status, plan, run or abort");
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "The cluster's schema version and every migration started on it.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try (MetaSession session = MetaSession.open(spec)) {
        Migrations migrations = new Migrations(session.keyspace(), session.config());
        Migrations.Status s = migrations.status(session.db());
        MigrationViews.printStatus(spec.commandLine().getOut(), s, migrations);
        return 0;
      }
    }
  }

  @Command(
      name = "plan",
      mixinStandardHelpOptions = true,
      description =
          "What 'migrate run' would do: each pending migration and how many records it would"
              + " rewrite now (a dry run that reads every record and writes nothing).")
  static final class Plan implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try (MetaSession session = MetaSession.open(spec)) {
        Migrations migrations = new Migrations(session.keyspace(), session.config());
        MigrationViews.printPlan(
            spec.commandLine().getOut(),
            migrations.status(session.db()).schemaVersion(),
            migrations.plan(session.db()));
        return 0;
      }
    }
  }

  @Command(
      name = "abort",
      mixinStandardHelpOptions = true,
      description =
          "Stop the migration under way and put back the records it rewrote (those that can be put"
              + " back safely); the schema version stays. Resumable: run it again if it was"
              + " interrupted. A migration that already swapped cannot be aborted.")
  static final class Abort implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try (MetaSession session = MetaSession.open(spec)) {
        var out = spec.commandLine().getOut();
        var p =
            new Migrations(session.keyspace(), session.config())
                .abort(session.db(), MigrationViews.lines(out, spec.commandLine().getErr()));
        if (p == null) out.println("no migration is under way");
        return 0;
      }
    }
  }
}

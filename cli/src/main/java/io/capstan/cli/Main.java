package io.capstan.cli;

import io.capstan.runtime.client.ApiErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code capstan} command. */
@Command(name = "capstan",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Frameworks, lambda controllers, AppWrappers and virtual nodes for Kubernetes, in one operator.",
        subcommands = {
            DemoCommand.class,
            UpCommand.class,
            DownCommand.class,
            StatusCommand.class,
            KubectlCommand.class,
            RunCommand.class,
            HookTestCommand.class,
            OperatorCommand.class,
            NodeCommand.class,
            BarrierCommand.class,
            PrepareCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {"", "Launcher commands (./capstan only):",
            "  bench      Run a benchmark and print its figures (the benchmarks' own jar, built beside this one).",
            "  test       Install what a fresh machine lacks and run the whole test suite."})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Main()).setUsageHelpWidth(100);
        commandLine.getSubcommands().get("kubectl").setUnmatchedOptionsArePositionalParams(true).setStopAtPositional(true);
        commandLine.setExecutionExceptionHandler((error, cmd, parsed) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText("error: " + ApiErrors.describe(error)));
            if (Logging.isDebug()) {
                error.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return commandLine;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}

package io.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine commandLine = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int exit = commandLine.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void helpListsEverySubcommandOnOneLine() {
        Run help = run("--help");
        assertThat(help.exitCode()).isZero();
        for (String command : new String[] {"demo", "up", "down", "status", "kubectl", "operator", "prepare", "bench", "test"}) {
            assertThat(help.out()).containsPattern("(?m)^  " + command + " +\\S.*$");
        }
    }

    @Test
    void operatorWithAKubeconfigPointingNowhereSaysWhatToCheck(@TempDir Path dir) throws Exception {
        Path kubeconfig = dir.resolve("nowhere.kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: nowhere
                  cluster:
                    server: https://127.0.0.1:1
                    insecure-skip-tls-verify: true
                users:
                - name: nobody
                  user:
                    token: none
                contexts:
                - name: nowhere
                  context: {cluster: nowhere, user: nobody}
                current-context: nowhere
                """);

        Run operator = run("operator", "--kubeconfig", kubeconfig.toString(), "--metrics-bind-address", "0",
                "--health-probe-bind-address", "0");

        assertThat(operator.exitCode()).isEqualTo(1);
        assertThat(operator.err()).contains("cannot reach the Kubernetes API server at https://127.0.0.1:1")
                .contains("--kubeconfig");
    }

    @Test
    void operatorWithAMissingKubeconfigFileNamesIt(@TempDir Path dir) {
        Run operator = run("operator", "--kubeconfig", dir.resolve("absent").toString());
        assertThat(operator.exitCode()).isEqualTo(1);
        assertThat(operator.err()).contains("kubeconfig " + dir.resolve("absent") + " does not exist");
    }

    @Test
    void bindAddressesFollowControllerRuntimeConventions() {
        assertThat(OperatorCommand.address("0")).isNull();
        assertThat(OperatorCommand.address(":8080").getPort()).isEqualTo(8080);
        assertThat(OperatorCommand.address("127.0.0.1:9090").getHostString()).isEqualTo("127.0.0.1");
    }

    @Test
    void aBadLogLevelIsRejected() {
        Run operator = run("operator", "--log-level", "loud");
        assertThat(operator.exitCode()).isNotZero();
        assertThat(operator.err()).contains("unknown log level 'loud'");
    }

    @Test
    void aNodeRefusesAnEventRateThatMakesNoSenseBeforeItConnects(@TempDir Path dir) {
        // The kubeconfig does not exist: reaching its check would mean the flags were not checked first.
        String absent = dir.resolve("absent").toString();

        Run negative = run("node", "--provider", "mock", "--kubeconfig", absent, "--event-qps", "-1");
        assertThat(negative.exitCode()).isEqualTo(1);
        assertThat(negative.err()).contains("--event-qps -1.0 --event-burst 100: Event write rate must be 0 (no limit) "
                + "or positive, not -1.0")
                .doesNotContain("kubeconfig");

        Run noBurst = run("node", "--provider", "mock", "--kubeconfig", absent, "--event-qps", "5",
                "--event-burst", "0");
        assertThat(noBurst.exitCode()).isEqualTo(1);
        assertThat(noBurst.err()).contains("Event burst must be at least 1 when the write rate is limited, not 0");
    }

    @Test
    void anInvalidFrameworkConfigurationStopsTheOperatorBeforeItConnects(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("frameworkcontroller.yaml"), "workerNumber: 0\n");

        Run operator = run("operator", "--config", "framework=" + config);

        assertThat(operator.exitCode()).isEqualTo(1);
        assertThat(operator.err()).contains("Config Validation Failed").contains("workerNumber 0 should be positive");
    }

    @Test
    void theOperatorNamesItsModulesWhenAskedForOneItDoesNotHave(@TempDir Path dir) throws Exception {
        Run unknown = run("operator", "--enable", "framework,metacontroller");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("there is no module 'metacontroller'; the modules are appwrapper, framework, lambda, queue");

        Run nothing = run("operator", "--disable", "appwrapper,framework,lambda,queue");
        assertThat(nothing.exitCode()).isEqualTo(1);
        assertThat(nothing.err()).contains("no module left to run");

        Path config = Files.writeString(dir.resolve("frameworkcontroller.yaml"), "workerNumber: 4\n");
        Run disabledButConfigured = run("operator", "--disable", "framework", "--config", "framework=" + config);
        assertThat(disabledButConfigured.exitCode()).isEqualTo(1);
        assertThat(disabledButConfigured.err()).contains("a configuration file is given for the module 'framework', "
                + "which is not enabled");
    }

    @Test
    void runExplainsAMissingOrInvalidManifest(@TempDir Path dir) throws Exception {
        assertThat(run("run", "-f", dir.resolve("absent.yaml").toString()).exitCode()).isEqualTo(2);

        Path nameless = Files.writeString(dir.resolve("nameless.yaml"), """
                apiVersion: frameworkcontroller.microsoft.com/v1
                kind: Framework
                spec: {taskRoles: []}
                """);
        assertThat(run("run", "-f", nameless.toString()).exitCode()).isEqualTo(2);
    }

    @Test
    void barrierWithoutItsEnvironmentIsAPermanentFailure() {
        // FC_FRAMEWORK_NAMESPACE/NAME are only set inside a Framework's pods.
        assertThat(run("barrier").exitCode()).isEqualTo(210);
    }
}

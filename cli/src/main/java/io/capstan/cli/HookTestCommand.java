package io.capstan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.capstan.lambda.hook.HookClient;
import io.capstan.lambda.hook.ServiceRoutes;
import io.capstan.lambda.hosted.DryRun;
import io.capstan.runtime.client.ApiErrors;
import io.capstan.runtime.client.KubeClients;
import io.capstan.runtime.controller.ObjectKey;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "hook-test", mixinStandardHelpOptions = true,
        header = "Sync one object of a lambda controller once, as a dry run: print each hook request and answer, and "
                + "every write Capstan would make.",
        description = {"Runs the CompositeController's (or DecoratorController's) own sync for OBJECT once - customize, "
                + "sync or finalize hooks, every revision of a rolling update, the children's (or attachments') "
                + "merge, labels, annotations and status - with every write "
                + "sent to the API server as a dry run (dryRun=All): it is validated as the real one would be, and "
                + "nothing is kept. Prints the hook requests and answers, then the writes.",
            "",
            "The cluster is the embedded one when it is running, else the one of --kubeconfig, $KUBECONFIG or "
                + "~/.kube/config.",
            "",
            "Exit codes: 0 the sync would succeed; 1 it would fail (the error says why); 2 the controller or parent "
                + "does not exist or the controller cannot run."})
final class HookTestCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CONTROLLER",
            description = "The CompositeController's or DecoratorController's name.")
    String controller;

    @Parameters(index = "1", paramLabel = "OBJECT", description = "The parent's name; for a DecoratorController the "
            + "decorated object's, as KIND/NAME when it decorates several kinds (e.g. deployment/web).")
    String parent;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "default",
            description = "The parent's namespace, for a namespaced parent kind (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long the sync may take (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Cluster to use (default: see above).")
    Path kubeconfig;

    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A write the sync sent, as a dry run. */
    record Write(String method, URI uri, String body) {
    }

    /** Turns every write into a dry run, and keeps it for the report. */
    static final class DryRunWrites implements Interceptor {
        final List<Write> writes = new CopyOnWriteArrayList<>();

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (request.method().equals("GET")) {
                return;
            }
            URI uri = request.uri();
            String query = uri.getRawQuery() == null ? "dryRun=All" : uri.getRawQuery() + "&dryRun=All";
            URI dryRun = URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath() + "?" + query);
            builder.uri(dryRun);
            writes.add(new Write(request.method(), dryRun, request.bodyString()));
        }
    }

    @Override
    public Integer call() throws Exception {
        DryRunWrites dryRun = new DryRunWrites();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (KubernetesClient client = KubeClients.builder(RunCommand.clusterConfig(kubeconfig), http -> http.addOrReplaceInterceptor("dry-run",
                dryRun)).build()) {
            HookClient hooks = new HookClient(new SimpleMeterRegistry(), new ServiceRoutes(client),
                    (call, url, route) -> out.println("# the " + call.hook() + " hook is called at " + route.describe(url)),
                    (call, url, request, answer) -> {
                        out.println("# " + call.hook() + " hook " + url + " - request:");
                        out.println(pretty(request));
                        out.println("# answer:");
                        out.println(prettyText(answer));
                    });
            Exception failed;
            try {
                int slash = parent.indexOf('/');
                String kind = slash < 0 ? null : parent.substring(0, slash);
                String name = parent.substring(slash + 1);
                failed = DryRun.syncOnce(client, hooks, controller, kind, new ObjectKey(namespace, name),
                        Duration.ofSeconds(timeoutSeconds));
            } catch (IllegalArgumentException e) {
                System.err.println("capstan hook-test: " + e.getMessage());
                return 2;
            } catch (java.util.concurrent.TimeoutException e) {
                failed = e;
            }
            List<Write> changes = dryRun.writes.stream().filter(w -> !w.uri().getPath().contains("/events")).toList();
            out.println("# " + (changes.isEmpty() ? "no writes: the children and status already are what the hook wants"
                    : changes.size() + " write(s) the sync would make (each sent as a dry run, none kept):"));
            for (Write write : changes) {
                out.println(write.method() + " " + write.uri().getPath()
                        + (write.uri().getRawQuery() == null ? "" : "?" + write.uri().getRawQuery()));
                if (write.body() != null && !write.body().isEmpty()) {
                    out.println(prettyText(write.body()));
                }
            }
            if (failed != null) {
                System.err.println("capstan hook-test: the sync would fail: " + ApiErrors.describe(failed));
                return 1;
            }
            return 0;
        }
    }

    private static String pretty(JsonNode node) {
        return node.toPrettyString();
    }

    private static String prettyText(String json) {
        try {
            return PRETTY.writeValueAsString(PRETTY.readTree(json));
        } catch (Exception notJson) {
            return json;
        }
    }
}

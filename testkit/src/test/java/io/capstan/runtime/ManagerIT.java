package io.capstan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.capstan.runtime.controller.Controller;
import io.capstan.runtime.controller.ObjectKey;
import io.capstan.runtime.controller.Result;
import io.capstan.runtime.controller.Watches;
import io.capstan.runtime.events.EventReason;
import io.capstan.runtime.events.EventRecorder;
import io.capstan.testkit.EmbeddedCluster;
import io.capstan.testkit.TestCluster;
import io.capstan.testkit.TestNamespace;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A manager running one small controller: reconciles, Events, metrics and health endpoints. */
@EmbeddedCluster
class ManagerIT {

    enum Reasons implements EventReason {
        Seen,
        Broken;

        @Override
        public String reason() {
            return name();
        }

        @Override
        public Type type() {
            return this == Broken ? Type.Warning : Type.Normal;
        }
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    @Test
    void reconcilesServesHealthAndMetricsAndRecordsEvents(TestCluster cluster, TestNamespace namespace) throws Exception {
        Set<String> reconciled = ConcurrentHashMap.newKeySet();
        InetSocketAddress anyPort = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (KubernetesClient client = cluster.newClient();
                Manager manager = new Manager(client, new Manager.Settings(namespace.name(), anyPort, anyPort, null,
                        Duration.ofSeconds(30)))) {
            EventRecorder events = manager.eventRecorder("manager-it");
            var informer = manager.informers().informer(ConfigMap.class);
            Controller<ObjectKey> controller = Controller.<ObjectKey>builder("configmaps", key -> {
                ConfigMap seen = informer.getIndexer().getByKey(key.toString());
                if (seen != null) {
                    reconciled.add(key.name());
                    assertThat(seen.getMetadata().getManagedFields()).as("stripped from the cache").isNullOrEmpty();
                    events.record(seen, Reasons.Seen, "reconciled %s", key.name());
                }
                return Result.done();
            }).kind("ConfigMap").workers(2).metrics(manager.metrics().registry()).build();
            Watches.of(controller).forPrimary(informer);
            manager.add(controller);
            manager.start();
            int port = manager.serverAddresses().getFirst().getPort();

            cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder().withNewMetadata()
                    .withName("hello").endMetadata().build()).create();
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains("hello"));

            assertThat(get(port, "/healthz")).isEqualTo("200 ok\n");
            assertThat(get(port, "/readyz?verbose")).startsWith("200 ").contains("[+]informers-synced ok");
            assertThat(get(port, "/nothing-here")).startsWith("404 ");
            String metrics = get(port, "/metrics");
            assertThat(metrics).startsWith("200 ")
                    .contains("workqueue_depth{name=\"configmaps\"}")
                    .contains("workqueue_adds_total{name=\"configmaps\"}")
                    .contains("workqueue_queue_duration_seconds_bucket{name=\"configmaps\"")
                    .contains("controller_runtime_reconcile_total{controller=\"configmaps\",result=\"success\"}")
                    .contains("controller_runtime_reconcile_time_seconds_count{controller=\"configmaps\"}")
                    .contains("controller_runtime_max_concurrent_reconciles{controller=\"configmaps\"} 2.0");

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                List<Event> recorded = cluster.client().v1().events().inNamespace(namespace.name()).list().getItems();
                assertThat(recorded).anySatisfy(event -> {
                    assertThat(event.getReason()).isEqualTo("Seen");
                    assertThat(event.getInvolvedObject().getName()).isEqualTo("hello");
                    assertThat(event.getSource().getComponent()).isEqualTo("manager-it");
                });
            });
        }
    }

    @Test
    void childrenWakeTheirControllingOwnerAndMappedObjectsTheKeyTheyMapTo(TestCluster cluster, TestNamespace namespace)
            throws Exception {
        List<ObjectKey> reconciled = new java.util.concurrent.CopyOnWriteArrayList<>();
        var configMaps = cluster.client().configMaps().inNamespace(namespace.name());
        try (KubernetesClient client = cluster.newClient();
                Manager manager = new Manager(client, new Manager.Settings(namespace.name(), null, null, null,
                        Duration.ofSeconds(30)))) {
            Controller<ObjectKey> controller = Controller.<ObjectKey>builder("parents", key -> {
                reconciled.add(key);
                return Result.done();
            }).kind("ConfigMap").metrics(manager.metrics().registry()).build();
            Watches.of(controller)
                    .forPrimary(manager.informers().informer(ConfigMap.class, io.capstan.runtime.informer.Selectors.labels(
                            "role=parent")), Watches::specOrDeletionChanged)
                    .owns(manager.informers().informer(io.fabric8.kubernetes.api.model.Secret.class), "", "ConfigMap")
                    .watches(manager.informers().informer(ConfigMap.class, io.capstan.runtime.informer.Selectors.labels(
                            "parent")), cm -> new ObjectKey(cm.getMetadata().getNamespace(),
                            cm.getMetadata().getLabels().get("parent")));
            manager.add(controller);
            manager.start();
            ConfigMap parent = configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("parent")
                    .addToLabels("role", "parent").endMetadata().build()).create();
            ObjectKey parentKey = new ObjectKey(namespace.name(), "parent");
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains(parentKey));

            reconciled.clear();
            cluster.client().secrets().inNamespace(namespace.name()).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata().withName("child").addNewOwnerReference().withApiVersion("v1").withKind("ConfigMap")
                    .withName("parent").withUid(parent.getMetadata().getUid()).withController(true).endOwnerReference()
                    .endMetadata().build()).create();
            cluster.client().secrets().inNamespace(namespace.name()).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata().withName("not-controlled").addNewOwnerReference().withApiVersion("v1")
                    .withKind("ConfigMap").withName("other").withUid("0").withController(false).endOwnerReference()
                    .endMetadata().build()).create();
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains(parentKey));

            reconciled.clear();
            configMaps.resource(new ConfigMapBuilder().withNewMetadata().withName("mapped").addToLabels("parent", "elsewhere")
                    .endMetadata().build()).create();
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains(new ObjectKey(namespace.name(),
                    "elsewhere")));
            assertThat(reconciled).as("the secret without a controlling owner woke nobody")
                    .doesNotContain(new ObjectKey(namespace.name(), "other"));

            reconciled.clear();
            cluster.client().secrets().inNamespace(namespace.name()).withName("child").delete();
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains(parentKey));

            reconciled.clear();
            configMaps.withName("parent").edit(cm -> new ConfigMapBuilder(cm).addToData("status-like", "write").build());
            configMaps.withName("parent").delete();
            await().atMost(Duration.ofSeconds(10)).until(() -> reconciled.contains(parentKey));
            assertThat(reconciled).as("the data-only update (no new generation) was filtered, the deletion was not")
                    .containsOnlyOnce(parentKey);
        }
    }

    @Test
    void repeatedEventsAreAggregatedIntoOneWithACount(TestCluster cluster, TestNamespace namespace) {
        ConfigMap subject = cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("noisy").endMetadata().build()).create();
        try (KubernetesClient client = cluster.newClient(); EventRecorder events = new EventRecorder(client, "it", "host")) {
            for (int i = 0; i < 5; i++) {
                events.record(subject, Reasons.Seen, "same message");
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                List<Event> recorded = cluster.client().v1().events().inNamespace(namespace.name()).list().getItems();
                assertThat(recorded).hasSize(1);
                assertThat(recorded.getFirst().getCount()).isEqualTo(5);
            });
        }
    }

    @Test
    void theSpamFilterCapsEventsPerObject(TestCluster cluster, TestNamespace namespace) {
        ConfigMap subject = cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("flood").endMetadata().build()).create();
        try (KubernetesClient client = cluster.newClient(); EventRecorder events = new EventRecorder(client, "it", "host")) {
            for (int i = 0; i < 60; i++) {
                events.record(subject, Reasons.Seen, "distinct message " + i);
            }
        }
        List<Event> recorded = cluster.client().v1().events().inNamespace(namespace.name()).list().getItems();
        assertThat(recorded).as("burst of 25 per object").hasSize(25);
    }

    /** A limited recorder (as a node's is, like the kubelet's eventRecordQPS) holds Events back and loses none. */
    @Test
    void aWriteRateHoldsEventsBackInTheBacklogWithoutLosingThem(TestCluster cluster, TestNamespace namespace) {
        ConfigMap subject = cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("paced").endMetadata().build()).create();
        long started = System.nanoTime();
        try (KubernetesClient client = cluster.newClient();
                EventRecorder events = new EventRecorder(client, "it", "host", new EventRecorder.WriteRate(2, 3))) {
            for (int i = 0; i < 12; i++) {
                events.record(subject, Reasons.Seen, "message " + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> eventsIn(cluster, namespace).size() >= 3);
            // The burst of 3 is out; the other 9 need 4.5 s at 2 per second.
            assertThat(events.backlog()).as("Events still waiting for the rate").isPositive();

            await().atMost(Duration.ofSeconds(30)).until(() -> eventsIn(cluster, namespace).size() == 12);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("12 Events at 2/s after a burst of 3")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        assertThat(eventsIn(cluster, namespace)).extracting(Event::getMessage)
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, 12).mapToObj(i -> "message " + i)
                        .toList());
    }

    /** A node's Events give way to its status writes while those queue, in the order they were recorded. */
    @Test
    void eventsWaitWhileMoreImportantWritesQueue(TestCluster cluster, TestNamespace namespace) {
        ConfigMap subject = cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("patient").endMetadata().build()).create();
        java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (KubernetesClient client = cluster.newClient();
                EventRecorder events = new EventRecorder(client, "it", "host")) {
            events.yieldTo(busy::get, Duration.ofMinutes(1));
            events.record(subject, Reasons.Seen, "after the status writes");
            events.record(subject, Reasons.Broken, "after the status writes too");

            await("nothing written while busy").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> eventsIn(cluster, namespace).isEmpty());
            assertThat(events.backlog()).isEqualTo(2);

            busy.set(false);
            await().atMost(Duration.ofSeconds(10)).until(() -> eventsIn(cluster, namespace).size() == 2);
            assertThat(eventsIn(cluster, namespace)).extracting(Event::getReason)
                    .containsExactlyInAnyOrder("Seen", "Broken");
        }
    }

    @Test
    void anEventWaitsNoLongerThanItsLimit(TestCluster cluster, TestNamespace namespace) {
        ConfigMap subject = cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("impatient").endMetadata().build()).create();
        try (KubernetesClient client = cluster.newClient();
                EventRecorder events = new EventRecorder(client, "it", "host")) {
            events.yieldTo(() -> true, Duration.ofSeconds(2));
            events.record(subject, Reasons.Seen, "late but written");

            await().atMost(Duration.ofSeconds(15)).until(() -> eventsIn(cluster, namespace).size() == 1);
            Event written = eventsIn(cluster, namespace).getFirst();
            assertThat(java.time.Instant.parse(written.getMetadata().getCreationTimestamp()))
                    .as("created after the 2 s it may wait")
                    .isAfterOrEqualTo(java.time.Instant.parse(written.getFirstTimestamp()).plusSeconds(1));
        }
    }

    /** The backlog is bounded in total (20,000), not per writer: one object's many Events all wait their turn. */
    @Test
    void oneObjectsEventsAreNotDroppedBelowTheBacklogBound(TestCluster cluster, TestNamespace namespace) {
        ConfigMap subject = cluster.client().configMaps().inNamespace(namespace.name()).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("chatty").endMetadata().build()).create();
        try (KubernetesClient client = cluster.newClient();
                EventRecorder events = new EventRecorder(client, "it", "host", new EventRecorder.WriteRate(1, 1))) {
            for (int i = 0; i < 2_000; i++) {
                events.record(subject, Reasons.Seen, "message " + i);
            }
            // One writer serves this object; at one write per second at most a few have left the backlog.
            assertThat(events.backlog()).isGreaterThan(1_990);
        }
    }

    @Test
    void aWriteRateThatMakesNoSenseIsRefused() {
        assertThatThrownBy(() -> new EventRecorder.WriteRate(-1, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be 0 (no limit) or positive");
        assertThatThrownBy(() -> new EventRecorder.WriteRate(5, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("burst must be at least 1");
        assertThat(EventRecorder.WriteRate.UNLIMITED.limited()).isFalse();
    }

    private static List<Event> eventsIn(TestCluster cluster, TestNamespace namespace) {
        return cluster.client().v1().events().inNamespace(namespace.name()).list().getItems();
    }

    /**
     * Both refusals are HTTP 403: an Event about an object whose namespace is being deleted, and a recorder without
     * RBAC for Events. Only the second is a deployment mistake worth the one warning; the first used to take it.
     */
    @Test
    void onlyMissingRbacForEventsIsWarnedAbout(TestCluster cluster) throws Exception {
        KubernetesClient admin = cluster.client();
        String doomed = "events-terminating-" + Long.toHexString(System.nanoTime());
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(doomed).endMetadata().build())
                .create();
        // A finalizer nobody removes keeps the namespace Terminating while the test writes into it.
        ConfigMap held = admin.configMaps().inNamespace(doomed).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("held").withFinalizers("example.com/hold").endMetadata().build()).create();
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        Logger recorderLog = (Logger) LoggerFactory.getLogger(EventRecorder.class);
        warnings.start();
        recorderLog.addAppender(warnings);
        try {
            admin.namespaces().withName(doomed).delete();
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.configMaps().inNamespace(doomed).withName("held").get()
                    .getMetadata().getDeletionTimestamp() != null);
            try (KubernetesClient client = cluster.newClient();
                    EventRecorder events = new EventRecorder(client, "it", "host")) {
                events.record(held, Reasons.Seen, "into a namespace being deleted");
            }
            assertThat(warnings.list).as("no RBAC warning for a namespace being deleted").isEmpty();

            Config nobody = new ConfigBuilder(cluster.config()).withImpersonateUsername("nobody").build();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(nobody).build();
                    EventRecorder events = new EventRecorder(client, "it", "host")) {
                events.record(held, Reasons.Seen, "without RBAC");
            }
            assertThat(warnings.list).singleElement().satisfies(warning ->
                    assertThat(warning.getFormattedMessage()).contains("HTTP 403").contains("grant this component"));
        } finally {
            recorderLog.detachAppender(warnings);
            admin.configMaps().inNamespace(doomed).withName("held").edit(cm -> new ConfigMapBuilder(cm).editMetadata()
                    .withFinalizers(List.of()).endMetadata().build());
        }
    }
}

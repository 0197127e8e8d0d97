package io.capstan.runtime.informer;

import io.capstan.runtime.fabric8.Fabric8Informers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and owns the shared informers of one process. One informer per (type, scope, selectors) is shared by
 * every controller that asks for it; each caches objects without {@code managedFields}. Informers keep
 * retrying list/watch failures (for example while the API server restarts) instead of giving up.
 */
public final class Informers implements AutoCloseable {

    /** Objects per LIST page when an informer (re)lists: client-go's default. */
    static final long LIST_PAGE_SIZE = 500;

    private static final Logger log = LoggerFactory.getLogger(Informers.class);

    /**
     * How long an informer waits for one LIST answer: the API server's own limit for a request (its
     * {@code --request-timeout}, one minute), as client-go's reflector sets none of its own. With the client's 10 s,
     * a mock node's re-LIST of its 10,000 pods on a saturated server timed out 19 times.
     */
    static final int LIST_TIMEOUT_MILLIS = 60_000;

    private final KubernetesClient client;
    /** {@link #client} with {@link #LIST_TIMEOUT_MILLIS} as its request timeout, for the informers' lists. */
    private final KubernetesClient listClient;
    private final String namespace;
    private final Map<String, SharedIndexInformer<?>> informers = new LinkedHashMap<>();
    /** How many users {@link #acquire} handed each run-time informer to. */
    private final Map<SharedIndexInformer<?>, Integer> users = new java.util.IdentityHashMap<>();
    private boolean started;

    /**
     * @param namespace the watch scope for namespaced types, or null for all namespaces
     */
    public Informers(KubernetesClient client, String namespace) {
        this.client = client;
        this.listClient = client.newClient(new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
                .withRequestTimeout(LIST_TIMEOUT_MILLIS).build()).adapt(KubernetesClient.class);
        this.namespace = namespace;
    }

    public KubernetesClient client() {
        return client;
    }

    /** The watch scope: a namespace, or null for all namespaces. */
    public String namespace() {
        return namespace;
    }

    public <T extends HasMetadata> SharedIndexInformer<T> informer(Class<T> type) {
        return informer(type, Selectors.NONE);
    }

    /** The shared informer for a type within this process's watch scope, narrowed by selectors. */
    public synchronized <T extends HasMetadata> SharedIndexInformer<T> informer(Class<T> type, Selectors selectors) {
        return informer(type, type.getName(), selectors, namespace, () -> {
            var operation = listClient.resources(type);
            return narrow(namespace == null ? operation.inAnyNamespace() : operation.inNamespace(namespace), selectors);
        });
    }

    /** Like {@link #informer(Class, Selectors)} but always across all namespaces (e.g. a node's pods). */
    public synchronized <T extends HasMetadata> SharedIndexInformer<T> clusterWideInformer(Class<T> type,
            Selectors selectors) {
        return informer(type, type.getName(), selectors, null,
                () -> narrow(listClient.resources(type).inAnyNamespace(), selectors));
    }

    /** A shared informer for a type known only at run time (e.g. a CRD a user names). */
    public synchronized SharedIndexInformer<GenericKubernetesResource> genericInformer(
            ResourceDefinitionContext context, Selectors selectors) {
        String key = context.getGroup() + "/" + context.getVersion() + "/" + context.getPlural();
        String scope = context.isNamespaceScoped() ? namespace : null;
        return informer(GenericKubernetesResource.class, key, selectors, scope, () -> {
            var operation = listClient.genericKubernetesResources(context);
            return narrow(scope == null ? operation.inAnyNamespace() : operation.inNamespace(scope), selectors);
        });
    }

    /**
     * A shared informer for a kind that a user names at run time (a lambda controller's parent or child resource),
     * which may be asked for after the informers started: it is started at once then, and the caller waits for
     * {@link SharedIndexInformer#hasSynced()}. Each call counts one user; {@link #release} with the same context
     * stops the informer when its last user is gone.
     */
    public synchronized SharedIndexInformer<GenericKubernetesResource> acquire(ResourceDefinitionContext context) {
        SharedIndexInformer<GenericKubernetesResource> informer = genericInformerAnyTime(context);
        users.merge(informer, 1, Integer::sum);
        if (started && !informer.isRunning()) {
            informer.start();
        }
        return informer;
    }

    /** One user of {@link #acquire} is done with the informer. */
    public synchronized void release(ResourceDefinitionContext context) {
        String key = genericKey(context, Selectors.NONE);
        SharedIndexInformer<?> informer = informers.get(key);
        if (informer == null) {
            return;
        }
        Integer left = users.computeIfPresent(informer, (i, n) -> n - 1);
        if (left != null && left <= 0) {
            users.remove(informer);
            informers.remove(key);
            informer.stop();
        }
    }

    private SharedIndexInformer<GenericKubernetesResource> genericInformerAnyTime(ResourceDefinitionContext context) {
        String type = context.getGroup() + "/" + context.getVersion() + "/" + context.getPlural();
        String scope = context.isNamespaceScoped() ? namespace : null;
        return informer(GenericKubernetesResource.class, type, Selectors.NONE, scope, true, () -> {
            var operation = listClient.genericKubernetesResources(context);
            return scope == null ? operation.inAnyNamespace() : operation.inNamespace(scope);
        });
    }

    private String genericKey(ResourceDefinitionContext context, Selectors selectors) {
        String type = context.getGroup() + "/" + context.getVersion() + "/" + context.getPlural();
        return type + "|" + (context.isNamespaceScoped() ? namespace : null) + "|" + selectors;
    }

    private interface Source<T extends HasMetadata> {
        Informable<T> operation();
    }

    private <T extends HasMetadata> SharedIndexInformer<T> informer(Class<T> kind, String type, Selectors selectors,
            String scope, Source<T> source) {
        return informer(kind, type, selectors, scope, false, source);
    }

    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> SharedIndexInformer<T> informer(Class<T> kind, String type, Selectors selectors,
            String scope, boolean anyTime, Source<T> source) {
        String key = type + "|" + scope + "|" + selectors;
        SharedIndexInformer<?> existing = informers.get(key);
        if (existing != null) {
            return (SharedIndexInformer<T>) existing;
        }
        if (started && !anyTime) {
            throw new IllegalStateException("informer for " + type + " requested after the informers were started");
        }
        // Lists start from the server's watch cache and ask for pages, as client-go's reflector does: one LIST of
        // 10,000 Frameworks read from etcd on a busy server outlasted the client's 10 s request timeout and was
        // retried forever, leaving the cache without updates.
        SharedIndexInformer<T> informer = Fabric8Informers.create(kind, source.operation().withLimit(LIST_PAGE_SIZE),
                client);
        informer.itemStore(new CompactingStore<>());
        informer.exceptionHandler((isStarted, error) -> {
            log.warn("Watching {} failed ({}); retrying", type, error.getMessage());
            return true;
        });
        informers.put(key, informer);
        return informer;
    }

    private static <T extends HasMetadata, L, R> FilterWatchListDeletable<T, L, R> narrow(
            FilterWatchListDeletable<T, L, R> operation, Selectors selectors) {
        FilterWatchListDeletable<T, L, R> narrowed = operation;
        if (selectors.labels() != null) {
            narrowed = narrowed.withLabelSelector(selectors.labels());
        }
        for (Map.Entry<String, String> field : selectors.fields().entrySet()) {
            narrowed = narrowed.withField(field.getKey(), field.getValue());
        }
        return narrowed;
    }

    /** Starts every informer and waits until all have listed their objects once. */
    public void startAndSync(Duration timeout) throws TimeoutException, InterruptedException {
        List<CompletableFuture<Void>> syncs = new ArrayList<>();
        synchronized (this) {
            started = true;
            for (SharedIndexInformer<?> informer : informers.values()) {
                if (!informer.isRunning()) {
                    syncs.add(informer.start().toCompletableFuture());
                }
            }
        }
        try {
            CompletableFuture.allOf(syncs.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("an informer failed to start: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new TimeoutException("informer caches did not sync within " + timeout.toSeconds()
                    + "s; is the API server reachable and are list/watch permissions granted?");
        }
    }

    public synchronized boolean hasSynced() {
        // Informers acquired at run time are their users' to wait for: one that cannot list (a kind a user named
        // wrongly) must not make the whole process unready.
        return started && informers.values().stream().filter(informer -> !users.containsKey(informer))
                .allMatch(SharedIndexInformer::hasSynced);
    }

    @Override
    public synchronized void close() {
        informers.values().forEach(SharedIndexInformer::stop);
        informers.clear();
        users.clear();
    }
}

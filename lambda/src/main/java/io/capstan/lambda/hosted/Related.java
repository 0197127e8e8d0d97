package io.capstan.lambda.hosted;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.lambda.api.CompositeControllerSpec.Hook;
import io.capstan.lambda.api.Resources;
import io.capstan.lambda.hook.HookClient;
import io.capstan.lambda.hook.HookSecurity;
import io.capstan.runtime.Manager;
import io.capstan.runtime.controller.LabelSelectors;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The customize hook and the related objects it selects, as Metacontroller's pkg/controller/common/customize does it:
 * the hook is asked once per parent spec (its answer is kept per parent UID and generation for 20 minutes), an
 * informer is started for each related kind it names, and an event of a related object syncs every parent whose
 * rules select it.
 *
 * @param <K> the hosting controller's work-queue key for a parent
 */
final class Related<K> implements AutoCloseable {

    private static final Duration REMEMBER = Duration.ofMinutes(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Manager manager;
    private final KubernetesSerialization serialization;
    private final HookClient hooks;
    private final Hook customize;
    private final ObjectNode controllerObject;
    private final Consumer<K> wake;
    private final HookClient.Call call;
    private final HookSecurity security;
    private final Map<String, Kind> kinds = new ConcurrentHashMap<>();
    private final Map<K, Rules> rulesByParent = new ConcurrentHashMap<>();
    private volatile SharedIndexInformer<GenericKubernetesResource> namespaces;
    private volatile Resources namespaceKind;

    /** One related kind: its cache and the handler that wakes parents. */
    private record Kind(Resources resources, SharedIndexInformer<GenericKubernetesResource> cache,
            ResourceEventHandler<GenericKubernetesResource> handler) {
    }

    /** The customize answer for one parent instance (UID and generation), with what it selects by. */
    private record Rules(String uid, Long generation, long until, List<Rule> rules, HasMetadata parent) {
    }

    /** One of the customize hook's {@code relatedResources}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Rule(String apiVersion, String resource, LabelSelector labelSelector, LabelSelector namespaceSelector,
            String namespace, List<String> names) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record CustomizeResponse(List<Rule> relatedResources) {
    }

    Related(Manager manager, HookClient hooks, Hook customize, ObjectNode controllerObject, HookSecurity security,
            HookClient.Call call, Consumer<K> wake) {
        this.call = call;
        this.security = security;
        this.manager = manager;
        this.serialization = manager.client().getKubernetesSerialization();
        this.hooks = hooks;
        this.customize = customize;
        this.controllerObject = controllerObject;
        this.wake = wake;
        HookClient.url(customize.webhook());
        HookClient.timeout(customize.webhook());
    }

    /**
     * The {@code related} map of a sync request for this parent, keyed as the sync hook's version wants; empty while a
     * related kind's informer has not synced yet (the caller looks again shortly).
     *
     * @throws Exception when the customize hook fails or its rules are invalid
     */
    Optional<ObjectNode> forParent(K key, GenericKubernetesResource parent, boolean syncV2) throws Exception {
        Rules rules = rules(key, parent);
        ObjectNode related = JsonNodeFactory.instance.objectNode();
        boolean parentNamespaced = parent.getMetadata().getNamespace() != null;
        for (Rule rule : rules.rules()) {
            Kind kind = kind(rule);
            if (!kind.cache().hasSynced() || (rule.namespaceSelector() != null && !namespaces().hasSynced())) {
                return Optional.empty();
            }
            ObjectNode map = related.has(kind.resources().mapKey()) ? (ObjectNode) related.get(kind.resources().mapKey())
                    : related.putObject(kind.resources().mapKey());
            for (GenericKubernetesResource object : kind.cache().getStore().list()) {
                if (!selects(rule, kind.resources(), object, parent)) {
                    continue;
                }
                boolean otherNamespace = !Objects.equals(object.getMetadata().getNamespace(),
                        parent.getMetadata().getNamespace());
                if (!syncV2 && parentNamespaced && otherNamespace) {
                    // A v1 sync hook of a namespaced parent sees only its own namespace (Metacontroller's keys).
                    continue;
                }
                map.set(ObjectMaps.key(parent, object, syncV2), serialization.convertValue(object, ObjectNode.class));
            }
        }
        return Optional.of(related);
    }

    private Rules rules(K key, GenericKubernetesResource parent) throws Exception {
        Rules known = rulesByParent.get(key);
        if (known != null && known.uid().equals(parent.getMetadata().getUid())
                && Objects.equals(known.generation(), parent.getMetadata().getGeneration())
                && known.until() > System.nanoTime()) {
            return known;
        }
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.set("controller", controllerObject);
        request.set("parent", serialization.convertValue(parent, ObjectNode.class));
        String body = hooks.call(customize.webhook(), security, request, call,
                parent.getKind() + "/" + io.capstan.runtime.controller.ObjectKey.of(parent));
        CustomizeResponse response;
        try {
            response = JSON.readValue(body, CustomizeResponse.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the customize hook's answer cannot be decoded: " + e.getOriginalMessage(), e);
        }
        List<Rule> rules = response == null || response.relatedResources() == null ? List.of()
                : response.relatedResources().stream().filter(Objects::nonNull).toList();
        for (Rule rule : rules) {
            validate(rule, parent);
            kind(rule);
        }
        Rules fresh = new Rules(parent.getMetadata().getUid(), parent.getMetadata().getGeneration(),
                System.nanoTime() + REMEMBER.toNanos(), rules, parent);
        rulesByParent.put(key, fresh);
        return fresh;
    }

    /** Metacontroller's rules for what a rule may combine, and what a v1 hook of a namespaced parent may ask for. */
    private void validate(Rule rule, HasMetadata parent) {
        if (rule.apiVersion() == null || rule.resource() == null) {
            throw new IllegalArgumentException("a related resource needs apiVersion and resource");
        }
        if (rule.names() != null && !rule.names().isEmpty()
                && (rule.labelSelector() != null || rule.namespaceSelector() != null)) {
            throw new IllegalArgumentException("related " + rule.resource() + ": names cannot be combined with a selector");
        }
        if (rule.namespace() != null && rule.namespaceSelector() != null) {
            throw new IllegalArgumentException("related " + rule.resource()
                    + ": namespace cannot be combined with namespaceSelector");
        }
        String parentNamespace = parent.getMetadata().getNamespace();
        if (!customize.v2() && parentNamespace != null) {
            if (rule.namespace() != null && !rule.namespace().equals(parentNamespace)) {
                throw new IllegalArgumentException("related " + rule.resource() + ": a v1 customize hook of a namespaced "
                        + "parent may only name the parent's namespace, not " + rule.namespace() + " (use version: v2)");
            }
            if (rule.namespaceSelector() != null) {
                throw new IllegalArgumentException("related " + rule.resource() + ": a v1 customize hook of a namespaced "
                        + "parent cannot use namespaceSelector (use version: v2)");
            }
        }
    }

    private boolean selects(Rule rule, Resources kind, GenericKubernetesResource object, HasMetadata parent) {
        String namespace = object.getMetadata().getNamespace();
        GenericKubernetesResource ns = rule.namespaceSelector() == null || namespace == null ? null
                : namespaces().getIndexer().getByKey(namespace);
        return selects(rule, customize.v2(), parent.getMetadata().getNamespace(), kind.namespaced(), namespace,
                object.getMetadata().getName(), object.getMetadata().getLabels(),
                ns == null ? null : ns.getMetadata().getLabels());
    }

    /**
     * Whether a related rule selects an object, by Metacontroller's selection modes.
     *
     * @param namespaceLabels the labels of the object's namespace (null when unknown)
     */
    static boolean selects(Rule rule, boolean v2, String parentNamespace, boolean kindNamespaced, String namespace,
            String name, Map<String, String> labels, Map<String, String> namespaceLabels) {
        if (!v2 && parentNamespace != null && kindNamespaced && !parentNamespace.equals(namespace)) {
            return false;
        }
        if (rule.names() != null && !rule.names().isEmpty()) {
            return rule.names().contains(name) && (rule.namespace() == null || rule.namespace().equals(namespace));
        }
        if (rule.namespace() != null && !rule.namespace().equals(namespace)) {
            return false;
        }
        if (rule.namespaceSelector() != null) {
            if (namespaceLabels == null || !LabelSelectors.matches(rule.namespaceSelector(), namespaceLabels)) {
                return false;
            }
            return rule.labelSelector() == null || LabelSelectors.matches(rule.labelSelector(), labels);
        }
        if (rule.labelSelector() == null) {
            // Only a namespace: everything in it; nothing at all: nothing (a nil selector selects nothing).
            return rule.namespace() != null;
        }
        return LabelSelectors.matches(rule.labelSelector(), labels);
    }

    private Kind kind(Rule rule) {
        return kinds.computeIfAbsent(rule.apiVersion() + "|" + rule.resource(), k -> {
            Resources resources = Resources.discover(manager.client(), rule.apiVersion(), rule.resource());
            SharedIndexInformer<GenericKubernetesResource> cache = manager.informers().acquire(resources.context());
            ResourceEventHandler<GenericKubernetesResource> handler = Hosted.onEveryChange(
                    object -> wake(resources, object));
            cache.addEventHandler(handler);
            return new Kind(resources, cache, handler);
        });
    }

    private synchronized SharedIndexInformer<GenericKubernetesResource> namespaces() {
        if (namespaces == null) {
            namespaceKind = Resources.discover(manager.client(), "v1", "namespaces");
            namespaces = manager.informers().acquire(namespaceKind.context());
        }
        return namespaces;
    }

    /** A related object of {@code kind} changed: every parent whose rules select it syncs again. */
    private void wake(Resources kind, GenericKubernetesResource object) {
        List<K> parents = new ArrayList<>();
        rulesByParent.forEach((key, rules) -> {
            for (Rule rule : rules.rules()) {
                boolean sameKind = (rule.apiVersion() + "|" + rule.resource()).equals(kind.apiVersion() + "|"
                        + kind.plural());
                try {
                    if (sameKind && selects(rule, kind, object, rules.parent())) {
                        parents.add(key);
                        return;
                    }
                } catch (RuntimeException unreadable) {
                    // The parent's next sync reports its rules.
                }
            }
        });
        parents.forEach(wake);
    }

    /** The parent is gone: its rules no longer wake it. */
    void forget(K key) {
        rulesByParent.remove(key);
    }

    @Override
    public void close() {
        kinds.values().forEach(kind -> {
            kind.cache().removeEventHandler(kind.handler());
            manager.informers().release(kind.resources().context());
        });
        kinds.clear();
        if (namespaces != null) {
            manager.informers().release(namespaceKind.context());
        }
    }
}

package io.capstan.runtime.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserSequence;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads an object whose Java type its {@code apiVersion} and {@code kind} decide (the object of every watch event)
 * straight into that type. fabric8's {@code KubernetesDeserializer} first builds the whole object as a JSON tree to
 * look at those two fields, then converts the tree: for a pod, about as much work again as reading it, and the tree
 * holds the managedFields that {@link ClientSerialization} otherwise skips while parsing.
 *
 * <p>The API server writes {@code kind} and {@code apiVersion} first (Go writes TypeMeta first; unstructured objects
 * have sorted keys), so usually only those two fields are read before the rest streams into the resolved type. Objects
 * whose type is not registered, or that lack either field, go to fabric8's deserializer with the buffered fields put
 * back, and come out as they always did ({@code GenericKubernetesResource}, {@code RawExtension}).
 */
final class ResourceDeserializer extends JsonDeserializer<KubernetesResource> {

    private final KubernetesSerialization serialization;
    private final JsonDeserializer<?> fabric8;
    /**
     * Each type's deserializer, found once: Jackson's lookup of a root deserializer introspects the class's annotations
     * again on every call (for the type deserializer), 6 % of a node's CPU samples in a burst (JFR) when it ran for
     * every watch event. The deserializers belong to the one mapper this instance serves, as an ObjectReader's do.
     */
    private final Map<Class<?>, Typed> typed = new ConcurrentHashMap<>();

    /** A registered type's deserializer, and the kind the type names for itself (null if it has no metadata). */
    private record Typed(JsonDeserializer<Object> deserializer, String kind) {
    }

    ResourceDeserializer(KubernetesSerialization serialization, JsonDeserializer<?> fabric8) {
        this.serialization = serialization;
        this.fabric8 = fabric8;
    }

    @Override
    public KubernetesResource deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        if (!parser.isExpectedStartObjectToken()) {
            return (KubernetesResource) fabric8.deserialize(parser, context);
        }
        TokenBuffer head = context.bufferForInputBuffering(parser);
        head.writeStartObject();
        String kind = null;
        String apiVersion = null;
        int fields = 0;
        while (kind == null || apiVersion == null) {
            if (parser.nextToken() != JsonToken.FIELD_NAME) {
                // The object ended without both fields: fabric8 decides what it is.
                head.writeEndObject();
                return (KubernetesResource) fabric8.deserialize(replay(head, parser, false), context);
            }
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.VALUE_STRING && "kind".equals(field)) {
                kind = parser.getText();
            } else if (value == JsonToken.VALUE_STRING && "apiVersion".equals(field)) {
                apiVersion = parser.getText();
            }
            head.writeFieldName(field);
            head.copyCurrentStructure(parser);
            fields++;
        }
        Class<? extends KubernetesResource> type = serialization.getRegisteredKubernetesResource(apiVersion, kind);
        if (type == null) {
            return (KubernetesResource) fabric8.deserialize(replay(head, parser, true), context);
        }
        Typed found = typed(type, context);
        if (fields == 2 && kind.equals(found.kind())) {
            // The usual case: nothing but kind and apiVersion came before, and the type knows its kind. The rest is
            // read from the parser itself, without a replaying wrapper between every token and the deserializer.
            parser.nextToken();
            HasMetadata resource = (HasMetadata) found.deserializer().deserialize(parser, context);
            if (!apiVersion.equals(resource.getApiVersion())) {
                resource.setApiVersion(apiVersion);
            }
            return resource;
        }
        return (KubernetesResource) found.deserializer().deserialize(replay(head, parser, true), context);
    }

    private Typed typed(Class<? extends KubernetesResource> type, DeserializationContext context) throws IOException {
        Typed found = typed.get(type);
        if (found == null) {
            found = new Typed(context.findRootValueDeserializer(context.constructType(type)),
                    HasMetadata.class.isAssignableFrom(type) ? HasMetadata.getKind(type.asSubclass(HasMetadata.class))
                            : null);
            typed.put(type, found);
        }
        return found;
    }

    /** The buffered fields, then (when the object goes on) the rest of it from the parser, positioned at its start. */
    private static JsonParser replay(TokenBuffer head, JsonParser parser, boolean objectGoesOn) throws IOException {
        JsonParser buffered = head.asParser(parser);
        JsonParser whole = objectGoesOn ? JsonParserSequence.createFlattened(false, buffered, parser) : buffered;
        whole.nextToken();
        return whole;
    }
}

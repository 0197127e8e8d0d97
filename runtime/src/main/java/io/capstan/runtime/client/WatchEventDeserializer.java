package io.capstan.runtime.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserSequence;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads a watch event's object straight into its class. fabric8 reads every event's object into a JSON tree to find
 * its kind, then converts the tree into the class: the object is decoded twice, in every informer, for every change
 * in the cluster. The API server writes {@code kind} and {@code apiVersion} ahead of the rest (a built-in type's
 * first fields; a custom resource's first keys, which it sorts), so they are read ahead and the rest streams into
 * the class they name. An object whose kind comes later, or whose kind has no registered class, takes fabric8's
 * path, with the same result as before.
 */
final class WatchEventDeserializer extends StdDeserializer<WatchEvent> {

    private final Map<String, Class<? extends KubernetesResource>> classes = new ConcurrentHashMap<>();
    private volatile KubernetesSerialization kinds;

    WatchEventDeserializer() {
        super(WatchEvent.class);
    }

    /** The serialization whose registered kinds name the classes (it is built around this deserializer). */
    void resolveKindsWith(KubernetesSerialization serialization) {
        this.kinds = serialization;
    }

    @Override
    public WatchEvent deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        if (!parser.isExpectedStartObjectToken()) {
            return (WatchEvent) context.handleUnexpectedToken(WatchEvent.class, parser);
        }
        WatchEvent event = new WatchEvent();
        for (String field = parser.nextFieldName(); field != null; field = parser.nextFieldName()) {
            JsonToken value = parser.nextToken();
            switch (field) {
                case "type" -> event.setType(value == JsonToken.VALUE_NULL ? null : parser.getValueAsString());
                case "object" -> event.setObject(value == JsonToken.VALUE_NULL ? null : object(parser, context));
                default -> event.setAdditionalProperty(field, context.readValue(parser, Object.class));
            }
        }
        return event;
    }

    private KubernetesResource object(JsonParser parser, DeserializationContext context) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            return context.readValue(parser, KubernetesResource.class);
        }
        // What is read ahead is kept, so that the parser handed on sees the whole object: these tokens first, then
        // the stream from where the reading stopped (its current token included).
        TokenBuffer head = context.bufferForInputBuffering(parser);
        head.writeStartObject();
        String kind = null;
        String apiVersion = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME && (kind == null || apiVersion == null)) {
            String name = parser.currentName();
            boolean typeField = name.equals("kind") ? kind == null : name.equals("apiVersion") && apiVersion == null;
            if (!typeField) {
                break;
            }
            head.writeFieldName(name);
            if (parser.nextToken() != JsonToken.VALUE_STRING) {
                break;
            }
            head.writeString(parser.getText());
            if (name.equals("kind")) {
                kind = parser.getText();
            } else {
                apiVersion = parser.getText();
            }
        }
        Class<? extends KubernetesResource> type = kind == null || apiVersion == null ? null : registered(apiVersion, kind);
        JsonParser whole = JsonParserSequence.createFlattened(true, head.asParser(parser), parser);
        whole.nextToken();
        // Without a class, fabric8's deserializer of KubernetesResource finds one, or reads a generic resource.
        Class<? extends KubernetesResource> target = type != null ? type : KubernetesResource.class;
        return context.readValue(whole, target);
    }

    private Class<? extends KubernetesResource> registered(String apiVersion, String kind) {
        String key = apiVersion + '/' + kind;
        Class<? extends KubernetesResource> type = classes.get(key);
        if (type == null && kinds != null) {
            // Kinds are registered, never unregistered: a class once found stays right, a miss is asked again.
            type = kinds.getRegisteredKubernetesResource(apiVersion, kind);
            if (type != null) {
                classes.put(key, type);
            }
        }
        return type;
    }
}

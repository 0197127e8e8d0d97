package io.capstan.runtime.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;

/**
 * How Capstan's clients read JSON: lean, because informers read every object the cluster changes.
 * <ul>
 *   <li>One copy of each short string value is shared among all the objects read. Cached objects repeat the same
 *       values thousands of times (namespace, node name, image, phase, condition types, default tolerations,
 *       timestamps of a burst); sharing them cuts an informer's heap per object by a few kilobytes. Long values
 *       (e.g. last-applied-configuration annotations) are rarely repeated and are left alone.</li>
 *   <li>{@code metadata.managedFields} is skipped (see {@link #serialization()}).</li>
 * </ul>
 */
public final class ClientSerialization {

    /** Longer values are kept as read. */
    static final int MAX_SHARED_LENGTH = 128;

    private ClientSerialization() {
    }

    /**
     * fabric8's serialization with string values deduplicated and {@code metadata.managedFields} skipped when
     * reading; what every Capstan client uses. No Capstan component reads managedFields (the informer caches dropped
     * them after decoding), and a status write comes back on the writer's watch with about 2 KB of them: skipped
     * while parsing, they are never built. Writes are unchanged: an object sent without managedFields keeps the
     * server's, and server-side apply refuses them anyway.
     */
    public static KubernetesSerialization serialization() {
        // Jackson's own interning of field names goes through a global map whose size it checks on every new name;
        // its per-parser symbol tables already share the names, so the global step only costs (a busy node's watch
        // streams spent several percent of their CPU in it).
        ObjectMapper mapper = new ObjectMapper(JsonFactory.builder().disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build());
        mapper.registerModule(new SimpleModule("capstan-deduplicated-strings").addDeserializer(String.class,
                new Deserializer()));
        mapper.addMixIn(ObjectMeta.class, ManagedFieldsNotRead.class);
        return new KubernetesSerialization(mapper, true);
    }

    /** Skips {@code managedFields} when reading {@link ObjectMeta}; still writes them when a caller sets them. */
    @JsonIgnoreProperties(value = "managedFields", allowGetters = true, ignoreUnknown = true)
    private abstract static class ManagedFieldsNotRead {
    }

    static final class Deserializer extends StdScalarDeserializer<String> {

        Deserializer() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            String value = StringDeserializer.instance.deserialize(parser, context);
            // The JVM's string table holds its entries weakly: a value no object uses any more is collected.
            return value != null && value.length() <= MAX_SHARED_LENGTH ? value.intern() : value;
        }
    }
}

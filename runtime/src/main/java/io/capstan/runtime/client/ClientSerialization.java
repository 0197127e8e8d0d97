package io.capstan.runtime.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.HandlerInstantiator;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.capstan.runtime.fabric8.ResourceDeserializerHandlers;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;

/**
 * How Capstan's clients read JSON: lean, because informers read every object the cluster changes.
 * <ul>
 *   <li>One copy of each short string value is shared among all the objects read. Cached objects repeat the same
 *       values thousands of times (namespace, node name, image, phase, condition types, default tolerations,
 *       timestamps of a burst); sharing them cuts an informer's heap per object by a few kilobytes. Long values
 *       (e.g. last-applied-configuration annotations) are rarely repeated and are left alone.</li>
 *   <li>Map keys (labels, annotations, ConfigMap data, resource names) are shared the same way. Jackson's own
 *       sharing of field names is off: it keeps one symbol table for all parsers and copies it whenever a document
 *       brings a name it has not seen, and every pod brings one ({@code k:{"ip":"10.1.2.3"}} in its managedFields,
 *       one per pod IP). A node's watch then decoded each pod in about 48 µs instead of 22, and the table was thrown
 *       away and rebuilt every 6,000 names.</li>
 *   <li>{@code metadata.managedFields} is skipped (see {@link #serialization()}).</li>
 *   <li>Watch events are read straight into the type their kind names ({@link ResourceDeserializer}).</li>
 * </ul>
 */
public final class ClientSerialization {

    /** Longer values are kept as read. */
    static final int MAX_SHARED_LENGTH = 128;

    private ClientSerialization() {
    }

    /**
     * fabric8's serialization with string values deduplicated and {@code metadata.managedFields} skipped when
     * reading; one instance, which every Capstan client of the process uses. No Capstan component reads
     * managedFields (the informer caches dropped them after decoding), and a status write comes back on the writer's
     * watch with about 2 KB of them: skipped while parsing, they are never built. Writes are unchanged: an object
     * sent without managedFields keeps the server's, and server-side apply refuses them anyway.
     */
    public static KubernetesSerialization serialization() {
        return Shared.SERIALIZATION;
    }

    /**
     * One serialization for every client of the process: Jackson learns each model class once per mapper (its
     * properties, annotations, deserializers), and a fresh mapper per client made every node started in a warm
     * process learn them again: 15 % of a 2,000-pod burst's CPU samples (JFR), and C2 compilations of Jackson's
     * introspection on the cores the API server uses. A mapper is safe to share once configured.
     */
    private static final class Shared {
        static final KubernetesSerialization SERIALIZATION = create();
    }

    private static KubernetesSerialization create() {
        // Field names are neither canonicalized nor interned by Jackson (see the class comment): names that become
        // object fields are looked up and dropped, and map keys, the ones that stay, are shared by SharedKeys.
        ObjectMapper mapper = new ObjectMapper(JsonFactory.builder().disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());
        mapper.registerModule(new SimpleModule("capstan-deduplicated-strings").addDeserializer(String.class,
                new SharedValues()).addKeyDeserializer(String.class, new SharedKeys()));
        mapper.addMixIn(ObjectMeta.class, ManagedFieldsNotRead.class);
        return new LeanSerialization(mapper);
    }

    /**
     * fabric8's serialization, with objects typed by their kind read without a detour through a JSON tree, and JSON
     * text parsed as text.
     */
    private static final class LeanSerialization extends KubernetesSerialization {
        private final ObjectMapper mapper;

        LeanSerialization(ObjectMapper mapper) {
            super(mapper, true);
            this.mapper = mapper;
        }

        /**
         * Every watch event arrives as text. fabric8 encodes it to UTF-8 bytes, buffers them in a new 8 KB stream to
         * tell JSON from YAML, and (field names not canonicalized) decodes them back to characters: a tenth of a
         * pod event's decoding. JSON is parsed from the text itself; anything else goes the way fabric8 goes.
         */
        @Override
        public <T> T unmarshal(String text, Class<T> type) {
            if (!isJson(text)) {
                return super.unmarshal(text, type);
            }
            try {
                return mapper.readerFor(type).readValue(text);
            } catch (IOException e) {
                throw KubernetesClientException.launderThrowable(e);
            }
        }

        private static boolean isJson(String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (!Character.isWhitespace(c)) {
                    return c == '{' || c == '[';
                }
            }
            return false;
        }

        @Override
        protected void configureMapper(ObjectMapper mapper) {
            super.configureMapper(mapper);
            HandlerInstantiator fabric8 = mapper.getDeserializationConfig().getHandlerInstantiator();
            mapper.setConfig(mapper.getDeserializationConfig().with(new ResourceDeserializerHandlers(fabric8,
                    original -> new ResourceDeserializer(this, original))));
        }
    }

    /** Skips {@code managedFields} when reading {@link ObjectMeta}; still writes them when a caller sets them. */
    @JsonIgnoreProperties(value = "managedFields", allowGetters = true, ignoreUnknown = true)
    private abstract static class ManagedFieldsNotRead {
    }

    static final class SharedValues extends StdScalarDeserializer<String> {

        SharedValues() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            return shared(StringDeserializer.instance.deserialize(parser, context));
        }
    }

    static final class SharedKeys extends KeyDeserializer {

        @Override
        public Object deserializeKey(String key, DeserializationContext context) {
            return shared(key);
        }
    }

    private static String shared(String value) {
        // The JVM's string table holds its entries weakly: a value no object uses any more is collected.
        return value != null && value.length() <= MAX_SHARED_LENGTH ? value.intern() : value;
    }
}

package io.capstan.runtime.fabric8;

import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.cfg.HandlerInstantiator;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.jsontype.TypeIdResolver;
import com.fasterxml.jackson.databind.jsontype.TypeResolverBuilder;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.util.function.UnaryOperator;

/**
 * fabric8's Jackson handlers, except that where its model annotations ask for its {@code KubernetesDeserializer} (a
 * field that holds any resource kind) the deserializer {@code replacement} makes of fabric8's is used instead.
 */
public final class ResourceDeserializerHandlers extends HandlerInstantiator {

    private final HandlerInstantiator fabric8;
    private final UnaryOperator<JsonDeserializer<?>> replacement;

    public ResourceDeserializerHandlers(HandlerInstantiator fabric8, UnaryOperator<JsonDeserializer<?>> replacement) {
        this.fabric8 = fabric8;
        this.replacement = replacement;
    }

    @Override
    public JsonDeserializer<?> deserializerInstance(DeserializationConfig config, Annotated annotated,
            Class<?> deserializerClass) {
        JsonDeserializer<?> original = fabric8.deserializerInstance(config, annotated, deserializerClass);
        return deserializerClass == KubernetesDeserializer.class ? replacement.apply(original) : original;
    }

    @Override
    public KeyDeserializer keyDeserializerInstance(DeserializationConfig config, Annotated annotated,
            Class<?> keyDeserializerClass) {
        return fabric8.keyDeserializerInstance(config, annotated, keyDeserializerClass);
    }

    @Override
    public JsonSerializer<?> serializerInstance(SerializationConfig config, Annotated annotated, Class<?> serializerClass) {
        return fabric8.serializerInstance(config, annotated, serializerClass);
    }

    @Override
    public TypeResolverBuilder<?> typeResolverBuilderInstance(MapperConfig<?> config, Annotated annotated,
            Class<?> builderClass) {
        return fabric8.typeResolverBuilderInstance(config, annotated, builderClass);
    }

    @Override
    public TypeIdResolver typeIdResolverInstance(MapperConfig<?> config, Annotated annotated, Class<?> resolverClass) {
        return fabric8.typeIdResolverInstance(config, annotated, resolverClass);
    }
}

package io.capstan.runtime.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Requests sent through the client's HTTP stack (authentication, interceptors, retries) whose answer is not decoded
 * into a model object. Writes whose result the caller does not read (status patches, Events) are hot paths at scale,
 * and decoding each returned object was the largest share of a busy node's CPU; preconditions fabric8's DSL cannot
 * express (a delete guarded by UID) need this too.
 */
public final class RawRequests {

    public static final String JSON = "application/json";
    public static final String MERGE_PATCH = "application/merge-patch+json";
    public static final String JSON_PATCH = "application/json-patch+json";

    private static final String METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    private static final long TIMEOUT_SECONDS = 30;
    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private RawRequests() {
    }

    /**
     * Sends a write and checks it succeeded.
     *
     * @return the answer's body, not decoded (the written object, for most writes)
     * @throws KubernetesClientException with the HTTP status as its code when the API server refuses the write
     */
    public static String write(KubernetesClient client, String method, String path, String contentType, String body) {
        return checked(client, method, path, exchange(client, method, path, contentType, body, null));
    }

    /**
     * Sends a write of which the caller needs only the written object's resourceVersion, and asks the API server to
     * answer with the object's metadata alone ({@code PartialObjectMetadata}, served since Kubernetes 1.15): it then
     * encodes and sends the metadata instead of the whole object (a third of a running mock pod's answer).
     *
     * @return the written object's resourceVersion, or null if the answer has none
     * @throws KubernetesClientException with the HTTP status as its code when the API server refuses the write
     */
    public static String writeForResourceVersion(KubernetesClient client, String method, String path,
            String contentType, String body) {
        return resourceVersion(checked(client, method, path,
                exchange(client, method, path, contentType, body, METADATA_ONLY)));
    }

    /** The answer's body if the write succeeded; otherwise the refusal, with the server's Status when it sent one. */
    private static String checked(KubernetesClient client, String method, String path, HttpResponse<String> response) {
        if (response.code() < 200 || response.code() >= 300) {
            throw new KubernetesClientException(method + " " + path + " failed with HTTP " + response.code() + ": "
                    + response.body(), response.code(), status(client, response.body()));
        }
        return response.body();
    }

    /**
     * The {@code metadata.resourceVersion} of an object in JSON, read up to that field and no further (the server
     * writes metadata first, so that is a few hundred bytes of a pod); null if the text has none or is not an object.
     */
    public static String resourceVersion(String objectJson) {
        if (objectJson == null) {
            return null;
        }
        try (JsonParser parser = JSON_FACTORY.createParser(objectJson)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean metadata = "metadata".equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (!metadata || value != JsonToken.START_OBJECT) {
                    parser.skipChildren();
                    continue;
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    boolean version = "resourceVersion".equals(parser.currentName());
                    if (parser.nextToken() == JsonToken.VALUE_STRING && version) {
                        return parser.getText();
                    }
                    parser.skipChildren();
                }
                return null;
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The API server's Status in a refusal, so callers can tell its reason and causes apart; null if there is none. */
    private static Status status(KubernetesClient client, String body) {
        if (body == null || !body.startsWith("{")) {
            return null;
        }
        try {
            return client.getKubernetesSerialization().unmarshal(body, Status.class);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Sends a request and returns the answer, whatever its status. */
    public static HttpResponse<String> exchange(KubernetesClient client, String method, String path, String contentType,
            String body) {
        return exchange(client, method, path, contentType, body, null);
    }

    private static HttpResponse<String> exchange(KubernetesClient client, String method, String path,
            String contentType, String body, String accept) {
        String master = client.getMasterUrl().toString();
        String url = (master.endsWith("/") ? master.substring(0, master.length() - 1) : master) + path;
        HttpRequest.Builder builder = client.getHttpClient().newHttpRequestBuilder().uri(url)
                .method(method, contentType, body);
        if (accept != null) {
            builder.setHeader("Accept", accept);
        }
        HttpRequest request = builder.build();
        try {
            return client.getHttpClient().sendAsync(request, String.class).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesClientException("interrupted during " + method + " " + path, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KubernetesClientException(method + " " + path + " failed: " + e.getMessage(), e);
        }
    }

    /** The path of a named object, or of its collection when {@code name} is null. */
    public static String path(Class<? extends HasMetadata> type, String namespace, String name) {
        Resource resource = RESOURCES.get(type);
        return path(resource.apiPath(), resource.plural(), namespace, name);
    }

    /** The path of a named object of a kind known at run time ({@code group} empty for the core group). */
    public static String path(String group, String version, String plural, String namespace, String name) {
        return path(group == null || group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version, plural,
                namespace, name);
    }

    private static String path(String apiPath, String plural, String namespace, String name) {
        StringBuilder path = new StringBuilder(128).append(apiPath);
        if (namespace != null) {
            path.append("/namespaces/").append(encode(namespace));
        }
        path.append('/').append(plural);
        return name == null ? path.toString() : path.append('/').append(encode(name)).toString();
    }

    /**
     * A type's API path and plural, worked out once: fabric8 derives the plural with a dozen regular expressions,
     * 7 % of a node's status workers' CPU samples when it was done for every write.
     */
    private record Resource(String apiPath, String plural) {
    }

    private static final ClassValue<Resource> RESOURCES = new ClassValue<>() {
        @Override
        @SuppressWarnings("unchecked")
        protected Resource computeValue(Class<?> type) {
            Class<? extends HasMetadata> resource = (Class<? extends HasMetadata>) type;
            String group = HasMetadata.getGroup(resource);
            String version = HasMetadata.getVersion(resource);
            return new Resource(group == null || group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version,
                    HasMetadata.getPlural(resource));
        }
    };

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8);
    }
}

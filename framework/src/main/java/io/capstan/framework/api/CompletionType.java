package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.List;

/** {@code Succeeded} or {@code Failed}, with attributes among {@code Transient}, {@code Permanent}, {@code Conflict}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public class CompletionType {

    public static final String SUCCEEDED = "Succeeded";
    public static final String FAILED = "Failed";
    public static final String TRANSIENT = "Transient";
    public static final String PERMANENT = "Permanent";
    public static final String CONFLICT = "Conflict";

    public String name;
    public List<String> attributes = new ArrayList<>();

    public CompletionType() {
    }

    public CompletionType(String name, List<String> attributes) {
        this.name = name;
        this.attributes = new ArrayList<>(attributes);
    }

    @JsonIgnore
    public boolean isSucceeded() {
        return SUCCEEDED.equals(name);
    }

    @JsonIgnore
    public boolean isFailed() {
        return FAILED.equals(name);
    }

    public boolean has(String attribute) {
        return attributes != null && attributes.contains(attribute);
    }
}

package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** How an attempt ended: a code (see {@code CompletionCodes}), its phrase, its type and a human summary. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public class CompletionStatus {

    public Integer code;
    public String phrase;
    public CompletionType type = new CompletionType();
    public String diagnostics;
}

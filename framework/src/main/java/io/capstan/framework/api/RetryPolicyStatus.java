package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** Retries so far; {@code retryDelaySec} is set only while a retry is scheduled. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RetryPolicyStatus {

    public int totalRetriedCount;
    public int accountableRetriedCount;
    public Long retryDelaySec;
}

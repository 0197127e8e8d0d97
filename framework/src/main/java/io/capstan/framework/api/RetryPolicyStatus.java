package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** Retries so far; {@code retryDelaySec} is set only while a retry is scheduled. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public class RetryPolicyStatus {

    /** Every retry so far: the ground truth of the current attempt's id. */
    public int totalRetriedCount;
    /**
     * The retries compared with {@code maxRetryCount}: the total, less the Transient failures that fancy
     * retry does not count.
     */
    public int accountableRetriedCount;
    /**
     * Set only while a retry is scheduled and not yet done (state AttemptCompleted): the retry runs this long
     * after the state's transition time.
     */
    public Long retryDelaySec;
}

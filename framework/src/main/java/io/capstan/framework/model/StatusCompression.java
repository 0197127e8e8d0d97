package io.capstan.framework.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.framework.api.FrameworkAttemptStatus;
import io.capstan.framework.api.TaskRoleStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Large-Framework compression: etcd keeps objects under ~1.5 MB, so with {@code largeFrameworkCompression} the task
 * statuses of a big attempt (700 KiB of JSON or more) are stored gzipped and base64-encoded in
 * {@code taskRoleStatusesCompressed}, with {@code taskRoleStatuses} null.
 */
public final class StatusCompression {

    public static final int THRESHOLD_BYTES = 700 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusCompression() {
    }

    /** Compresses in place when large enough. */
    public static void compress(FrameworkAttemptStatus attempt) throws IOException {
        if (attempt.taskRoleStatuses == null) {
            return;
        }
        byte[] raw = JSON.writeValueAsBytes(attempt.taskRoleStatuses);
        if (raw.length < THRESHOLD_BYTES) {
            attempt.taskRoleStatusesCompressed = null;
            return;
        }
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(raw);
        }
        attempt.taskRoleStatusesCompressed = Base64.getEncoder().encodeToString(zipped.toByteArray());
        attempt.taskRoleStatuses = null;
    }

    /** Restores {@code taskRoleStatuses} when only the compressed form is present. */
    public static void decompress(FrameworkAttemptStatus attempt) throws IOException {
        if (attempt.taskRoleStatuses != null || attempt.taskRoleStatusesCompressed == null
                || attempt.taskRoleStatusesCompressed.isEmpty()) {
            return;
        }
        byte[] zipped = Base64.getDecoder().decode(attempt.taskRoleStatusesCompressed);
        try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(zipped))) {
            attempt.taskRoleStatuses = JSON.readValue(gzip.readAllBytes(), new TypeReference<List<TaskRoleStatus>>() {
            });
        }
        attempt.taskRoleStatusesCompressed = null;
    }
}

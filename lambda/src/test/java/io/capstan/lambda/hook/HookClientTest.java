package io.capstan.lambda.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.lambda.api.CompositeControllerSpec.ServiceReference;
import io.capstan.lambda.api.CompositeControllerSpec.Webhook;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HookClientTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"10s, 10000", "500ms, 500", "1m30s, 90000", "1.5s, 1500", "2h, 7200000", "0, 0"})
    void goDurations(String text, long millis) {
        assertThat(HookClient.parseGoDuration(text)).isEqualTo(Duration.ofMillis(millis));
    }

    private static Webhook webhook(String url, String timeout, String path, ServiceReference service) {
        return new Webhook(url, timeout, path, service, null, null, null, null, null, null);
    }

    @Test
    void aTimeoutOfNothingOrZeroIsTenSecondsAndGarbageIsRefused() {
        assertThat(HookClient.timeout(webhook("http://h", null, null, null))).hasSeconds(10);
        assertThat(HookClient.timeout(webhook("http://h", "0s", null, null))).hasSeconds(10);
        assertThat(HookClient.timeout(webhook("http://h", "-1s", null, null))).hasSeconds(10);
        assertThatThrownBy(() -> HookClient.timeout(webhook("http://h", "ten seconds", null, null)))
                .hasMessageContaining("invalid webhook timeout 'ten seconds'");
    }

    @Test
    void theUrlWinsElseTheServiceFormWithItsDefaults() {
        assertThat(HookClient.url(webhook("http://x/sync", null, "/ignored", null))).hasToString("http://x/sync");
        assertThat(HookClient.url(webhook(null, null, "/sync", new ServiceReference("hook", "ns", null, null))))
                .hasToString("http://hook.ns:80/sync");
        assertThat(HookClient.url(webhook(null, null, "/sync", new ServiceReference("hook", "ns", 8443, "https"))))
                .hasToString("https://hook.ns:8443/sync");
        assertThatThrownBy(() -> HookClient.url(webhook(null, null, null, new ServiceReference("h", "n", 80, null))))
                .hasMessage("invalid webhook config: must specify either a full 'url', or both 'service' and 'path'");
    }

    @Test
    void retryAfterIsSecondsOrADateAndOtherwiseAtOnce() {
        assertThat(HookClient.retryAfter(Optional.of("3"))).hasSeconds(3);
        assertThat(HookClient.retryAfter(Optional.empty())).isZero();
        assertThat(HookClient.retryAfter(Optional.of("soon"))).isZero();
        assertThat(HookClient.retryAfter(Optional.of("Wed, 21 Oct 2015 07:28:00 GMT"))).as("a date gone by").isZero();
    }
}

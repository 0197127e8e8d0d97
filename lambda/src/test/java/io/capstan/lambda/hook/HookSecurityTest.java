package io.capstan.lambda.hook;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HookSecurityTest {

    @ParameterizedTest(name = "{0} for {1}: {2}")
    @CsvSource({
        "hooks.example,        http://hooks.example/sync,        true",
        "HOOKS.example,        http://hooks.example/sync,        true",
        "hooks.example:80,     http://hooks.example/sync,        true",
        "hooks.example,        http://hooks.example:80/sync,     true",
        "hooks.example:443,    https://hooks.example/sync,       true",
        "hooks.example,        https://hooks.example:8443/sync,  false",
        "hooks.example:8443,   https://hooks.example:8443/sync,  true",
        "other.example,        http://hooks.example/sync,        false",
        "hook.ns:8080,         http://hook.ns:8080/sync,         true",
    })
    void anEndpointConfigMatchesItsHostWithDefaultPortsAlike(String configured, String url, boolean matches) {
        assertThat(HookSecurity.hostMatches(configured, URI.create(url))).isEqualTo(matches);
    }
}

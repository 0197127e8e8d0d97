package io.capstan.appwrapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AppWrapperConfigTest {

    @Test
    void anEmptyFileOrOneWithoutAnAppWrapperBlockKeepsAppWrappersDefaults() {
        assertThat(AppWrapperConfig.parse("")).isEqualTo(AppWrapperConfig.DEFAULTS);
        assertThat(AppWrapperConfig.parse("controllerManager: {health: {bindAddress: ':8081'}}\nwebhooksEnabled: true\n"))
                .isEqualTo(AppWrapperConfig.DEFAULTS);
    }

    @Test
    void thePeersSettingsAreReadWithGoDurationsOrNanoseconds() {
        var config = AppWrapperConfig.parse("""
                appwrapper:
                  userRBACAdmissionCheck: false
                  defaultQueueName: user-queue
                  schedulerName: scheduler-plugins-scheduler
                  faultTolerance:
                    admissionGracePeriod: 30s
                    warmupGracePeriod: 2m
                    resetPause: 10000000000
                    retryLimit: 5
                    deletionGracePeriod: 1m
                    successTTLCeiling: 1h
                """);

        assertThat(config.userRbacAdmissionCheck()).isFalse();
        assertThat(config.defaultQueueName()).isEqualTo("user-queue");
        assertThat(config.controller().schedulerName()).isEqualTo("scheduler-plugins-scheduler");
        var tolerance = config.controller().faultTolerance();
        assertThat(tolerance.admissionGracePeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(tolerance.warmupGracePeriod()).isEqualTo(Duration.ofMinutes(2));
        assertThat(tolerance.failureGracePeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(tolerance.retryPausePeriod()).isEqualTo(Duration.ofSeconds(10));
        assertThat(tolerance.retryLimit()).isEqualTo(5);
        assertThat(tolerance.forcefulDeletionGracePeriod()).isEqualTo(Duration.ofMinutes(1));
        assertThat(tolerance.successTtlCeiling()).isEqualTo(Duration.ofHours(1));
        assertThat(config.ignored()).isEmpty();
    }

    @Test
    void theOperatorConfigConfigMapIsReadAsTheFileItCarriesAndTheKueueIntegrationKeysAreAcceptedAndListed() {
        var config = AppWrapperConfig.parse("""
                kind: ConfigMap
                apiVersion: v1
                metadata: {name: operator-config}
                data:
                  config.yaml: |
                    appwrapper:
                      enableKueueIntegrations: true
                      disableChildAdmissionCtrl: true
                      defaultQueueName: default-queue
                    controllerManager:
                      leaderElection: true
                """);

        assertThat(config.defaultQueueName()).isEqualTo("default-queue");
        assertThat(config.userRbacAdmissionCheck()).isTrue();
        assertThat(config.ignored()).containsExactly("appwrapper.disableChildAdmissionCtrl",
                "appwrapper.enableKueueIntegrations");
    }

    @Test
    void mistakesAreRefusedWithTheKeyAtFault() {
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {defaultQueue: q}"))
                .hasMessageContaining("appwrapper.defaultQueue is not a setting").hasMessageContaining("defaultQueueName");
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {faultTolerance: {warmupGracePeriod: soon}}"))
                .hasMessageContaining("appwrapper.faultTolerance.warmupGracePeriod");
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {faultTolerance: {retryLimit: -1}}"))
                .hasMessageContaining("retryLimit must be a whole number");
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {userRBACAdmissionCheck: maybe}"))
                .hasMessageContaining("userRBACAdmissionCheck must be true or false");
        assertThatThrownBy(() -> AppWrapperConfig.parse("kind: ConfigMap\ndata: {other: x}"))
                .hasMessageContaining("no data key config.yaml");
    }

    @Test
    void settingsThatContradictEachOtherAreRefusedAsThePeerRefusesThemAtStart() {
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {faultTolerance: {admissionGracePeriod: 10m}}"))
                .hasMessageContaining("admissionGracePeriod").hasMessageContaining("warmupGracePeriod");
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {faultTolerance: {gracePeriodCeiling: 30s}}"))
                .hasMessageContaining("exceeds gracePeriodCeiling");
    }

    @Test
    void theAutopilotBlockNamesTheResourcesAndTheLabelValuesThatMarkThemUnhealthy() {
        var autopilot = AppWrapperConfig.parse("""
                appwrapper:
                  autopilot:
                    monitorNodes: false
                    preferNoScheduleWeight: 10
                    resourceTaints:
                      example.com/fpga:
                      - {key: health.example.com/fpga, value: BAD, effect: NoExecute}
                """).controller().autopilot();

        assertThat(autopilot.injectAntiAffinities()).isTrue();
        assertThat(autopilot.monitorNodes()).isFalse();
        assertThat(autopilot.preferNoScheduleWeight()).isEqualTo(10);
        assertThat(autopilot.resourceTaints()).containsOnlyKeys("example.com/fpga");
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {autopilot: {preferNoScheduleWeight: 0}}"))
                .hasMessageContaining("preferNoScheduleWeight must be a whole number from 1 to 100");
        assertThatThrownBy(() -> AppWrapperConfig.parse("appwrapper: {autopilot: {resourceTaints: {gpu: [{value: x}]}}}"))
                .hasMessageContaining("every taint needs a key and an effect");
    }
}

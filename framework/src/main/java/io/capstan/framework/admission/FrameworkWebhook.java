package io.capstan.framework.admission;

import io.capstan.framework.api.Framework;
import io.capstan.runtime.webhook.AdmissionWebhooks;
import java.util.List;

/** The Framework validating webhook as registered with the API server. */
public final class FrameworkWebhook {

    public static final String NAME = "frameworks.frameworkcontroller.capstan.io";

    private FrameworkWebhook() {
    }

    public static AdmissionWebhooks.Hook hook() {
        return AdmissionWebhooks.Hook.validating(NAME, FrameworkAdmission.PATH, Framework.GROUP, Framework.VERSION, "frameworks",
                List.of("CREATE", "UPDATE"), new FrameworkAdmission());
    }
}

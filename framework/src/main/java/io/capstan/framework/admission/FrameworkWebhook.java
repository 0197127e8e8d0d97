package io.capstan.framework.admission;

import io.capstan.framework.api.Framework;
import io.capstan.runtime.webhook.ValidatingWebhooks;
import java.util.List;

/** The Framework validating webhook as registered with the API server. */
public final class FrameworkWebhook {

    public static final String NAME = "frameworks.frameworkcontroller.capstan.io";

    private FrameworkWebhook() {
    }

    public static ValidatingWebhooks.Hook hook() {
        return new ValidatingWebhooks.Hook(NAME, FrameworkAdmission.PATH, Framework.GROUP, Framework.VERSION, "frameworks",
                List.of("CREATE", "UPDATE"), new FrameworkAdmission());
    }
}

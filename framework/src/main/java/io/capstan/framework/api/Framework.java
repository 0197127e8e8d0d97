package io.capstan.framework.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * FrameworkController's {@code frameworkcontroller.microsoft.com/v1} Framework: a group of heterogeneous task roles
 * whose pods share one life cycle, with retry and completion policies. Manifests written for Microsoft's controller
 * work unchanged.
 */
@Group(Framework.GROUP)
@Version(Framework.VERSION)
@Kind("Framework")
@Plural("frameworks")
@Singular("framework")
@ShortNames("fw")
@JsonInclude(JsonInclude.Include.ALWAYS)
public class Framework extends CustomResource<FrameworkSpec, FrameworkStatus> implements Namespaced {

    public static final String GROUP = "frameworkcontroller.microsoft.com";
    public static final String VERSION = "v1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    @Override
    protected FrameworkSpec initSpec() {
        return new FrameworkSpec();
    }
}

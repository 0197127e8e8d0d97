package io.capstan.appwrapper.api;

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
 * AppWrapper's {@code workload.codeflare.dev/v1beta2} AppWrapper: arbitrary Kubernetes objects deployed, watched,
 * retried and removed as one unit, and admitted by a queue as one gang. Manifests written for the peer work unchanged.
 */
@Group(AppWrapper.GROUP)
@Version(AppWrapper.VERSION)
@Kind(AppWrapper.KIND)
@Plural("appwrappers")
@Singular("appwrapper")
@ShortNames("aw")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AppWrapper extends CustomResource<AppWrapperSpec, AppWrapperStatus> implements Namespaced {

    public static final String GROUP = "workload.codeflare.dev";
    public static final String VERSION = "v1beta2";
    public static final String KIND = "AppWrapper";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    /** The {@code spec.managedBy} value (or none) under which this controller acts. */
    public static final String CONTROLLER_NAME = "workload.codeflare.dev/appwrapper-controller";
    /** On every wrapped object and pod template: the AppWrapper's name, by which its pods are found. */
    public static final String LABEL = "workload.codeflare.dev/appwrapper";
    /** Held while the AppWrapper may have resources deployed. */
    public static final String FINALIZER = "workload.codeflare.dev/finalizer";
    /** The prefix of the fault-tolerance annotations. */
    public static final String ANNOTATION_PREFIX = "workload.codeflare.dev.appwrapper/";
    public static final String QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

    @Override
    protected AppWrapperSpec initSpec() {
        return new AppWrapperSpec();
    }
}

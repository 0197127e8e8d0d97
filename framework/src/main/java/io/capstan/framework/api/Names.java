package io.capstan.framework.api;

import java.util.List;

/** Object names, annotation, label and environment variable keys FrameworkController users rely on. */
public final class Names {

    private Names() {
    }

    public static final String FRAMEWORK_NAMESPACE = "FC_FRAMEWORK_NAMESPACE";
    public static final String FRAMEWORK_NAME = "FC_FRAMEWORK_NAME";
    public static final String TASKROLE_NAME = "FC_TASKROLE_NAME";
    public static final String TASK_INDEX = "FC_TASK_INDEX";
    public static final String CONFIGMAP_NAME = "FC_CONFIGMAP_NAME";
    public static final String POD_NAME = "FC_POD_NAME";
    public static final String FRAMEWORK_UID = "FC_FRAMEWORK_UID";
    public static final String FRAMEWORK_ATTEMPT_ID = "FC_FRAMEWORK_ATTEMPT_ID";
    public static final String FRAMEWORK_ATTEMPT_INSTANCE_UID = "FC_FRAMEWORK_ATTEMPT_INSTANCE_UID";
    public static final String CONFIGMAP_UID = "FC_CONFIGMAP_UID";
    public static final String TASKROLE_UID = "FC_TASKROLE_UID";
    public static final String TASK_UID = "FC_TASK_UID";
    public static final String TASK_ATTEMPT_ID = "FC_TASK_ATTEMPT_ID";
    public static final String POD_UID = "FC_POD_UID";
    public static final String TASK_ATTEMPT_INSTANCE_UID = "FC_TASK_ATTEMPT_INSTANCE_UID";

    /** Annotations every pod gets, in the peer's order. */
    public static final List<String> POD_ANNOTATIONS = List.of(FRAMEWORK_NAMESPACE, FRAMEWORK_NAME, TASKROLE_NAME,
            TASK_INDEX, CONFIGMAP_NAME, POD_NAME, FRAMEWORK_UID, FRAMEWORK_ATTEMPT_ID, FRAMEWORK_ATTEMPT_INSTANCE_UID,
            CONFIGMAP_UID, TASKROLE_UID, TASK_UID, TASK_ATTEMPT_ID);

    /** Template placeholders replaced in every string of the pod template. */
    public static final List<String> PLACEHOLDERS = List.of(FRAMEWORK_NAMESPACE, FRAMEWORK_NAME, TASKROLE_NAME, TASK_INDEX,
            CONFIGMAP_NAME, POD_NAME);

    public static String configMapName(String framework) {
        return framework + "-attempt";
    }

    public static String podName(String framework, String role, int index) {
        return framework + "-" + role + "-" + index;
    }

    public static String attemptInstanceUid(int attemptId, String objectUid) {
        return attemptId + "_" + objectUid;
    }
}

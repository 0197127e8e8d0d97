package io.capstan.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against the embedded control plane (real etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler). The control plane is started once per test JVM, on first use, and shared; every test method
 * gets its own namespace named after the method. Test methods and constructors may declare parameters of type
 * {@link TestCluster} and {@link TestNamespace}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(EmbeddedClusterExtension.class)
public @interface EmbeddedCluster {
}

/**
 * Everything Capstan takes from fabric8 kubernetes-client beyond its public API, in one place. Written against
 * fabric8 <b>7.9.0</b>; {@code Fabric8InternalsTest} fails when the fabric8 on the class path is another version or no
 * longer has what these classes rely on, so an upgrade starts here.
 *
 * <ul>
 * <li>{@link io.capstan.runtime.fabric8.Fabric8Informers}: informers whose lists and watches are made as client-go's
 * reflector makes them. fabric8's public {@code inform()} builds its own lister-watcher; a different one can only be
 * given to {@code informers.impl.DefaultSharedIndexInformer} with the {@code informers.impl.ListerWatcher} interface,
 * and the client's executor is only reachable through {@code impl.BaseClient}.
 * <li>{@code io.fabric8.kubernetes.client.dsl.internal.ByteLineHttpWatch}: a watch over a plain HTTP stream. A
 * lister-watcher must return a {@code dsl.internal.AbstractWatchManager}, whose constructor and watch life cycle
 * ({@code watchEnded}, the request state) are package-private, so that one class lives in fabric8's package.
 * <li>{@link io.capstan.runtime.fabric8.ResourceDeserializerHandlers}: reads a resource straight into its kind where
 * fabric8's model annotations name its {@code internal.KubernetesDeserializer}; Jackson can only swap a deserializer
 * named by an annotation through a {@code HandlerInstantiator} that recognises that class.
 * </ul>
 */
package io.capstan.runtime.fabric8;

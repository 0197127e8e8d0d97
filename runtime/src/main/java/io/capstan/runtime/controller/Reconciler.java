package io.capstan.runtime.controller;

/**
 * Business logic of a controller: bring the world in line with what the key's object asks for. Called for one
 * key by at most one worker at a time. Throwing requeues the key with backoff and counts as an error.
 */
@FunctionalInterface
public interface Reconciler<K> {

    Result reconcile(K key) throws Exception;
}

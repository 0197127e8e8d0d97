package io.capstan.node.api;

/** The provider does not offer this kubelet API feature. Served as HTTP 501. */
public class NotImplementedException extends RuntimeException {

    public NotImplementedException(String feature) {
        super("501 not implemented: this provider does not support " + feature);
    }
}

package io.capstan.node.node;

/** Another live agent already serves a node of this name. */
public final class NodeNameConflictException extends RuntimeException {

    public NodeNameConflictException(String message) {
        super(message);
    }
}

package io.capstan.testkit;

/** The namespace a test method owns; deleted after the method. */
public record TestNamespace(String name) {

    @Override
    public String toString() {
        return name;
    }
}

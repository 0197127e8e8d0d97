package io.capstan.node.env;

import java.util.function.Function;

/**
 * Kubernetes' {@code $(VAR)} expansion, as the kubelet applies it to env values, commands and arguments:
 * {@code $(NAME)} becomes the variable's value when it is defined and stays literally {@code $(NAME)} when it is
 * not; {@code $$} is an escaped {@code $}; an unterminated {@code $(} is kept as written.
 */
public final class Expansion {

    private Expansion() {
    }

    /** @param lookup returns the value of a variable, or null when it is not defined */
    public static String expand(String input, Function<String, String> lookup) {
        if (input == null || input.indexOf('$') < 0) {
            return input;
        }
        StringBuilder out = new StringBuilder(input.length());
        int i = 0;
        while (i < input.length()) {
            char c = input.charAt(i);
            if (c != '$' || i + 1 >= input.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = input.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
            } else if (next == '(') {
                int close = input.indexOf(')', i + 2);
                if (close < 0) {
                    out.append("$(");
                    i += 2;
                } else {
                    String name = input.substring(i + 2, close);
                    String value = lookup.apply(name);
                    out.append(value != null ? value : "$(" + name + ")");
                    i = close + 1;
                }
            } else {
                out.append('$').append(next);
                i += 2;
            }
        }
        return out.toString();
    }
}

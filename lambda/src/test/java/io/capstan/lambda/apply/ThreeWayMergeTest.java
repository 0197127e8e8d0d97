package io.capstan.lambda.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Metacontroller's apply merge (its pkg/dynamic/apply/apply.go and apply_test.go cases), on JSON written by hand. */
class ThreeWayMergeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode json(String text) {
        try {
            return text.equals("null") ? null : (ObjectNode) JSON.readTree(text.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        a scalar the hook changed                   | {'a':1,'b':2}                       | {'a':1}                  | {'a':3}                  | {'a':3,'b':2}
        a field the hook stopped returning is gone  | {'a':1,'b':2,'c':3}                 | {'a':1,'b':2}            | {'a':1}                  | {'a':1,'c':3}
        without a last-applied nothing is removed   | {'a':1,'b':2}                       | null                     | {'a':5}                  | {'a':5,'b':2}
        a nested object merges field by field       | {'o':{'x':1,'y':2}}                 | {'o':{'x':1}}            | {'o':{'x':9,'z':3}}      | {'o':{'x':9,'y':2,'z':3}}
        a list of scalars is replaced               | {'l':[1,2,3]}                       | {'l':[1,2]}              | {'l':[4]}                | {'l':[4]}
        a list of objects without a key is replaced | {'l':[{'v':1},{'v':2}]}             | {'l':[{'v':1}]}          | {'l':[{'v':3}]}          | {'l':[{'v':3}]}
        a list-map by name keeps others' items      | {'c':[{'name':'a','x':1},{'name':'side','x':2}]} | {'c':[{'name':'a','x':1}]} | {'c':[{'name':'a','x':5}]} | {'c':[{'name':'a','x':5},{'name':'side','x':2}]}
        a list-map item the hook dropped is removed | {'c':[{'name':'a'},{'name':'b'}]}   | {'c':[{'name':'a'},{'name':'b'}]} | {'c':[{'name':'a'}]} | {'c':[{'name':'a'}]}
        new list-map items come after, in order     | {'c':[{'name':'a'}]}                | {'c':[{'name':'a'}]}     | {'c':[{'name':'c'},{'name':'a'},{'name':'b'}]} | {'c':[{'name':'a'},{'name':'c'},{'name':'b'}]}
        containerPort wins over name as the key     | {'p':[{'containerPort':80,'name':'x'}]} | {'p':[{'containerPort':80,'name':'x'}]} | {'p':[{'containerPort':80,'name':'y'}]} | {'p':[{'containerPort':80,'name':'y'}]}
        an empty list is replaced                   | {'l':[]}                            | {'l':[]}                 | {'l':[{'name':'a'}]}     | {'l':[{'name':'a'}]}
        a null the hook returns stays a null        | {'a':1}                             | {'a':1}                  | {'a':null}               | {'a':null}
        """)
    void merges(String what, String observed, String lastApplied, String desired, String expected) {
        assertThat(ThreeWayMerge.merge(json(observed), json(lastApplied), json(desired))).isEqualTo(json(expected));
    }

    @Test
    void theArgumentsAreNotChanged() {
        ObjectNode observed = json("{'a':1,'c':[{'name':'x','v':1}]}");
        ObjectNode last = json("{'a':1}");
        ObjectNode desired = json("{'c':[{'name':'x','v':2}]}");

        ThreeWayMerge.merge(observed, last, desired);

        assertThat(observed).isEqualTo(json("{'a':1,'c':[{'name':'x','v':1}]}"));
        assertThat(desired).isEqualTo(json("{'c':[{'name':'x','v':2}]}"));
    }

    @Test
    void anObjectThatWouldBecomeAScalarIsAnError() {
        assertThatThrownBy(() -> ThreeWayMerge.merge(json("{'o':{'x':1}}"), null, json("{'o':7}")))
                .isInstanceOf(ThreeWayMerge.MergeException.class).hasMessage("desired.o: expecting an object, got NUMBER");
    }
}

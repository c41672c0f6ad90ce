package statelab.repl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.flink.RestOption;

/**
 * What a REPL session remembers between commands: the REST URL of the cluster it talks to ({@code $rest}), the
 * last job id ({@code $job}), savepoint ({@code $savepoint}) and verdict ({@code $verdict}), and the last exit
 * code ({@code $?}). Results are read from the value a command printed, by the field names chained commands
 * already read from a pipe ({@code jobId}, {@code savepoint}, {@code verdict}, {@code restUrl}), so a new command
 * whose result carries one of them is remembered without being named here.
 */
public final class Session {
    /** Variable → the result field it remembers. */
    static final Map<String, String> FIELDS = Map.of("job", "jobId", "savepoint", "savepoint", "verdict", "verdict", "rest", "restUrl");
    private static final Pattern VARIABLE = Pattern.compile("\\$(\\?|\\{(\\w+)}|(\\w+))");

    private final Map<String, String> vars = new LinkedHashMap<>();
    private int lastExit;

    public Session() {
        vars.put("rest", RestOption.defaultUrl());
        vars.put("job", null);
        vars.put("savepoint", null);
        vars.put("verdict", null);
    }

    public String get(String name) {
        return vars.get(name);
    }

    public Map<String, String> vars() {
        return java.util.Collections.unmodifiableMap(vars);
    }

    public int lastExit() {
        return lastExit;
    }

    void exited(int code) {
        lastExit = code;
    }

    /** Sets a variable; {@code rest} becomes every command's default --rest-url. */
    public void set(String name, String value) {
        if (!vars.containsKey(name)) {
            throw Failure.of(ExitCode.USAGE, "unknown variable '%s': the variables are %s", name, String.join(", ", vars.keySet()));
        }
        if (name.equals("rest")) {
            if (value == null) {
                throw Failure.of(ExitCode.USAGE, "$rest cannot be unset; set it to another URL");
            }
            value = statelab.flink.FlinkRest.parseUrl(value).toString(); // a bad URL is refused here, not at the next command
            System.setProperty(RestOption.PROPERTY, value);
        }
        vars.put(name, value);
    }

    /** Replaces {@code $name}, {@code ${name}} and {@code $?}; an unset or unknown variable is a usage error. */
    public String expand(String line) {
        Matcher m = VARIABLE.matcher(line);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1).equals("?") ? "?" : m.group(2) != null ? m.group(2) : m.group(3);
            String value;
            if (name.equals("?")) {
                value = Integer.toString(lastExit);
            } else if (!vars.containsKey(name)) {
                throw Failure.of(ExitCode.USAGE, "unknown variable $%s: the variables are %s", name,
                        "$" + String.join(", $", vars.keySet()));
            } else if ((value = vars.get(name)) == null) {
                throw Failure.of(ExitCode.USAGE, "$%s is not set yet (see 'vars')", name);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * Remembers what a command's result says: its fields, and those of the records it holds, in order, so that the
     * last step of a composed result (experiment's resume) wins.
     */
    public void remember(Object result) {
        if (result == null) {
            return;
        }
        remember(Output.mapper().valueToTree(result));
    }

    private void remember(JsonNode node) {
        if (!node.isObject()) {
            return;
        }
        node.properties().forEach(e -> {
            if (e.getValue().isObject()) {
                remember(e.getValue());
            }
        });
        FIELDS.forEach((var, field) -> {
            JsonNode v = node.get(field);
            if (v != null && v.isTextual() && !v.asText().isBlank()) {
                if (var.equals("rest")) {
                    set(var, v.asText());
                } else {
                    vars.put(var, v.asText());
                }
            }
        });
    }

    /** What chained commands read in place of a pipe: result field → remembered value (see PipeInput). */
    public Map<String, String> chained() {
        Map<String, String> fields = new LinkedHashMap<>();
        FIELDS.forEach((var, field) -> {
            if (vars.get(var) != null) {
                fields.put(field, vars.get(var));
            }
        });
        return fields;
    }
}

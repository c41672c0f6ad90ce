package statelab.repl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Tab completion from the commands' own picocli model: command and subcommand names, option names (with their
 * descriptions), enum values, and the values a lab needs typed least: job ids of the connected cluster, savepoint
 * directories, the checkout's jobs, SST files of a savepoint ({@link Values}). Which values an argument takes is
 * read from its label ({@code JOB_ID}, {@code SAVEPOINT}, {@code PATH}, {@code JOB}) or option name, so a new
 * command gets completion by naming its parameters the way the others do.
 */
final class ReplCompleter implements Completer {
    private final Map<String, CommandSpec> commands;
    private final Values values;

    ReplCompleter(Map<String, CommandSpec> commands, Session session) {
        this.commands = commands;
        this.values = new Values(session);
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        candidates.addAll(candidates(line.words(), line.wordIndex()));
    }

    /** The candidates for word {@code index} of {@code words} (the word being typed may be partial or empty). */
    List<Candidate> candidates(List<String> words, int index) {
        List<Candidate> out = new ArrayList<>();
        if (index == 0) {
            commands.forEach((name, spec) -> out.add(candidate(name, "commands", first(spec.usageMessage().description()))));
            Shell.BUILTINS.forEach(b -> out.add(candidate(b, "REPL", null)));
            return out;
        }
        String first = words.get(0);
        if (first.equals("help")) {
            if (index == 1) {
                commands.keySet().forEach(name -> out.add(candidate(name, "commands", null)));
            }
            return out;
        }
        if (first.equals("source")) {
            out.addAll(values.paths(words.get(index), false));
            return out;
        }
        if (first.equals("set") || first.equals("unset")) {
            if (index == 1) {
                Session.FIELDS.keySet().forEach(v -> out.add(candidate(v, "variables", null)));
            }
            return out;
        }
        CommandSpec spec = commands.get(first);
        if (spec == null) {
            return out;
        }
        // walk subcommands (cluster start, ...), then count positionals up to the word being completed
        int positional = 0;
        OptionSpec pendingOption = null;
        boolean afterDashDash = false;
        for (int i = 1; i < index; i++) {
            String w = words.get(i);
            if (pendingOption != null) {
                pendingOption = null;
                continue;
            }
            if (afterDashDash) {
                continue;
            }
            if (w.equals("--")) {
                afterDashDash = true;
                continue;
            }
            if (positional == 0 && spec.subcommands().containsKey(w)) {
                spec = spec.subcommands().get(w).getCommandSpec();
                continue;
            }
            if (w.startsWith("-")) {
                OptionSpec o = spec.findOption(w.contains("=") ? w.substring(0, w.indexOf('=')) : w);
                if (o != null && !w.contains("=") && o.arity().max() > 0) {
                    pendingOption = o;
                }
                continue;
            }
            positional++;
        }
        if (afterDashDash) {
            return out; // the job's own arguments: the job's business
        }
        String word = words.get(index);
        if (pendingOption != null) {
            out.addAll(valuesFor(pendingOption, word, words));
            return out;
        }
        if (word.startsWith("-")) {
            for (OptionSpec o : spec.options()) {
                if (!o.hidden()) {
                    for (String n : o.names()) {
                        out.add(candidate(n, "options", first(o.description())));
                    }
                }
            }
            return out;
        }
        if (positional == 0 && !spec.subcommands().isEmpty()) {
            spec.subcommands().forEach((n, sub) -> out.add(candidate(n, "subcommands", first(sub.getCommandSpec().usageMessage().description()))));
            return out;
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.index().contains(positional)) {
                out.addAll(valuesFor(p, word, words));
                break;
            }
        }
        return out;
    }

    private List<Candidate> valuesFor(ArgSpec arg, String word, List<String> words) {
        List<Candidate> out = new ArrayList<>();
        if (arg.completionCandidates() != null) {
            arg.completionCandidates().forEach(c -> out.add(candidate(c, null, null)));
            if (!out.isEmpty()) {
                return out;
            }
        }
        String label = arg.paramLabel();
        String option = arg instanceof OptionSpec o ? o.longestName() : "";
        if (label.startsWith("JOB_ID")) {
            return values.jobIds();
        }
        if (label.startsWith("JOB ") || label.equals("JOB") || option.equals("--job")) {
            return values.jobNames();
        }
        if (label.startsWith("SAVEPOINT") || label.equals("PATH") || option.equals("--from-savepoint")) {
            return values.savepoints(word);
        }
        if (option.equals("--file") && label.equals("NAME")) {
            return values.sstFiles(savepointOnLine(words));
        }
        if (arg.type() == java.nio.file.Path.class || label.equals("FILE") || label.equals("DIR")) {
            return values.paths(word, label.equals("DIR"));
        }
        return out;
    }

    /** The savepoint a swap-sst line names (its first positional that is a directory), else the session's. */
    private String savepointOnLine(List<String> words) {
        for (String w : words.subList(1, words.size())) {
            if (!w.startsWith("-") && java.nio.file.Files.isDirectory(java.nio.file.Path.of(w))) {
                return w;
            }
        }
        return null;
    }

    static Candidate candidate(String value, String group, String description) {
        return new Candidate(value, value, group, description, null, null, true);
    }

    private static String first(String[] lines) {
        return lines == null || lines.length == 0 ? null : lines[0];
    }
}

package statelab.cli;

/**
 * Named points in the middle of a file update where a test can kill the process: with
 * {@code STATELAB_PAUSE_AT=<name>} in the environment, reaching that point prints
 * {@code statelab: paused at <name>} on stderr and sleeps a minute, long enough for a {@code kill -9}. Without
 * the variable (every normal run) a point costs one map lookup. The crash-safety tests use it to hit the
 * windows that a random kill almost never hits: between an undo record and its patch, between two patched
 * regions, between a complete temporary file and its rename.
 */
public final class CrashPoint {
    private static final String PAUSE_AT = System.getenv("STATELAB_PAUSE_AT");

    private CrashPoint() {}

    public static void reached(String name) {
        if (name.equals(PAUSE_AT)) {
            System.err.println("statelab: paused at " + name);
            System.err.flush();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.apache.flink:flink-clients:2.3.0
//DEPS org.slf4j:slf4j-api:2.0.17
//DEPS org.slf4j:slf4j-simple:2.0.17
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn
package statelab.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.rest.RestClient;
import org.apache.flink.runtime.rest.handler.async.AsynchronousOperationResult;
import org.apache.flink.runtime.rest.messages.EmptyRequestBody;
import org.apache.flink.runtime.rest.messages.JobMessageParameters;
import org.apache.flink.runtime.rest.messages.TriggerId;
import org.apache.flink.runtime.rest.messages.job.JobDetailsHeaders;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointInfo;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointStatusHeaders;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointStatusMessageParameters;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointTriggerHeaders;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointTriggerMessageParameters;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointTriggerRequestBody;
import org.apache.flink.runtime.rest.messages.queue.QueueStatus;
import org.apache.flink.util.concurrent.Executors;

/**
 * A measuring probe for bench/repl, not part of StateLab: what one native savepoint costs inside one warm JVM,
 * phase by phase, when the savepoint is taken the way StateLab's {@code savepoint} command takes it (Flink's
 * {@link RestClient} with a 10 s connection timeout and a direct executor, shut down with a 2 s deadline; GET the
 * job, POST the trigger, GET the status until it is complete), with the REST client either created and shut
 * down for every savepoint ({@code fresh}: what a REPL line does today, one client per command) or created once
 * ({@code reuse}), and the status polled every {@code POLL_MS}.
 *
 * <p>Usage: {@code RestProbe REST_URL JOB_ID MODE(fresh|reuse) POLL_MS WARMUP COUNT}. Prints one TSV line per
 * counted savepoint: {@code mode poll_ms i create_ms get_job_ms trigger_ms wait_ms polls close_ms total_ms}.
 */
public final class RestProbe {
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: RestProbe REST_URL JOB_ID fresh|reuse POLL_MS WARMUP COUNT");
            System.exit(2);
        }
        java.net.URI url = java.net.URI.create(args[0]);
        JobID jobId = JobID.fromHexString(args[1]);
        boolean fresh = args[2].equals("fresh");
        long pollMs = Long.parseLong(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int count = Integer.parseInt(args[5]);
        Configuration config = new Configuration();
        config.set(RestOptions.CONNECTION_TIMEOUT, Duration.ofSeconds(10));
        RestClient shared = fresh ? null : new RestClient(config, Executors.directExecutor());
        System.out.println("mode\tpoll_ms\ti\tcreate_ms\tget_job_ms\ttrigger_ms\twait_ms\tpolls\tclose_ms\ttotal_ms");
        for (int i = -warmup; i < count; i++) {
            long t0 = System.nanoTime();
            RestClient client = fresh ? new RestClient(config, Executors.directExecutor()) : shared;
            long t1 = System.nanoTime();
            JobMessageParameters jp = new JobMessageParameters();
            jp.jobPathParameter.resolve(jobId);
            client.sendRequest(url.getHost(), url.getPort(), JobDetailsHeaders.getInstance(), jp, EmptyRequestBody.getInstance())
                    .get(30, TimeUnit.SECONDS);
            long t2 = System.nanoTime();
            SavepointTriggerMessageParameters tp = new SavepointTriggerMessageParameters();
            tp.jobID.resolve(jobId);
            TriggerId trigger = client.sendRequest(url.getHost(), url.getPort(), SavepointTriggerHeaders.getInstance(), tp,
                    new SavepointTriggerRequestBody(null, false, SavepointFormatType.NATIVE, null)).get(30, TimeUnit.SECONDS).getTriggerId();
            long t3 = System.nanoTime();
            int polls = 0;
            while (true) {
                SavepointStatusMessageParameters sp = new SavepointStatusMessageParameters();
                sp.jobIdPathParameter.resolve(jobId);
                sp.triggerIdPathParameter.resolve(trigger);
                polls++;
                AsynchronousOperationResult<SavepointInfo> r = client.sendRequest(url.getHost(), url.getPort(),
                        SavepointStatusHeaders.getInstance(), sp, EmptyRequestBody.getInstance()).get(30, TimeUnit.SECONDS);
                if (r.queueStatus().getId() == QueueStatus.Id.COMPLETED) {
                    if (r.resource().getFailureCause() != null) {
                        throw new IllegalStateException("savepoint failed", r.resource().getFailureCause().deserializeError(
                                RestProbe.class.getClassLoader()));
                    }
                    break;
                }
                Thread.sleep(pollMs);
            }
            long t4 = System.nanoTime();
            if (fresh) {
                client.shutdown(Duration.ofSeconds(2));
            }
            long t5 = System.nanoTime();
            if (i >= 0) {
                System.out.printf(Locale.ROOT, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%.1f\t%.1f%n", args[2], pollMs, i, ms(t1 - t0),
                        ms(t2 - t1), ms(t3 - t2), ms(t4 - t3), polls, ms(t5 - t4), ms(t5 - t0));
            }
        }
        if (shared != null) {
            shared.shutdown(Duration.ofSeconds(2));
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}

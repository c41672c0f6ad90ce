# StateLab in one image: Java 17 and Maven from Debian, the checkout, and everything it downloads (JBang, Flink
# 2.3.0's jars from Maven Central as scripts/lib/cluster/runtime/FlinkDistribution.java names them, the commands and
# jobs compiled), resolved at build time so that a container downloads and compiles nothing.
#
# One image, three uses (docs/docker.md; the entrypoint is scripts/entrypoint.sh):
#   docker run --rm -v "$PWD/logs:/opt/flink/log" statelab     a cluster inside the container, the whole
#                                                              experiment, the verdict on stdout and as exit code
#   docker compose up                                          JobManager and TaskManager(s) as services
#   docker run -i --rm --network host statelab savepoint ...   any StateLab command, e.g. as a pipeline stage
#
# The base is Debian 12's minimal image (debian:bookworm-slim), which is all these machines can build on: no image
# registry is reachable from them, so the tests make it with mmdebstrap (`.ci/run`). Flink's own image is not used
# because it could not be built or tested here; Flink's jars are the local cluster's, resolved by the same code.
FROM debian:bookworm-slim

# Java 17 (the release pom.xml compiles for; JBang compiles the scripts with its javac), Maven (the launcher ./jbang
# fetches JBang with it, once), procps (ps, used by Flink's processes' diagnostics and handy with `docker exec`).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jdk-headless maven ca-certificates procps \
 && rm -rf /var/lib/apt/lists/*

# Certificate authorities to trust besides Debian's, as PEM text: what a network whose proxy inspects TLS needs before
# Maven Central can be reached (the tests pass this machine's; empty by default). One file per certificate, as
# update-ca-certificates and Java's trust store (/etc/ssl/certs/java/cacerts, which Maven and JBang use) expect.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" | awk '/BEGIN CERTIFICATE/ { n++ } n { print > ("/usr/local/share/ca-certificates/extra-" n ".crt") }' \
      && update-ca-certificates; \
    fi

# Flink runs as this user, never as root. uid 1000 is the first user of most Linux machines, so directories that
# user mounts are writable here as they are; any other uid works too (`--user "$(id -u):$(id -g)"`): everything the
# processes write at run time is writable by all users (the last RUN), and HOME does not depend on the uid.
RUN useradd --uid 1000 --user-group --create-home --home-dir /home/statelab statelab \
 && mkdir -p /opt/flink/log /opt/flink/checkpoints /opt/flink/savepoints \
 && ln -s log /opt/flink/logs \
 && chown -R statelab:statelab /opt/flink
ENV HOME=/home/statelab \
    LANG=C.UTF-8 \
    STATELAB_HOME=/home/statelab/.statelab

WORKDIR /opt/statelab
COPY --chown=statelab:statelab . /opt/statelab
USER statelab

# Everything downloaded and compiled now, in the image: JBang (bootstrap/lib), the StateLab commands' jar and the
# launcher's kept command line (bootstrap/.exec), the cluster's jars (~/.m2, the classpath in $STATELAB_HOME), the
# jobs' jars. `cluster prepare` is the same code `cluster start` resolves with. The launcher's stamp holds the
# modification times of the files it depends on; an image layer keeps whole seconds, so the one file made here
# (bootstrap/lib/.pom.sha256) is given a whole second first, or no kept line would match. Then each alias runs twice
# more: the first run keeps its command line (one JVM per command, no JBang) and lists the classes it loads, the second
# writes its class-data archive from that list - in the image, not in every container's first command. $STATELAB_HOME/jobs holds what
# `submit` records of each job for `savepoint` and `resume`: a volume mounted there lets a pipe of containers share it.
RUN ./jbang statelab --version \
 && ./jbang cluster prepare \
 && touch -d "@$(stat -c %Y bootstrap/lib/.pom.sha256)" bootstrap/lib/.pom.sha256 \
 && ./jbang statelab --version >/dev/null \
 && ./jbang cluster --version >/dev/null \
 && ./jbang statelab --version >/dev/null \
 && ./jbang cluster --version >/dev/null \
 && mkdir -p "$STATELAB_HOME/jobs" \
 && chmod -R a+rwX /home/statelab /opt/statelab /opt/flink

# The local cluster's layout with the container's paths: DIR=/opt/flink, so logs in /opt/flink/log (logs is a link
# to it), checkpoints and savepoints beside. Ports: REST 8081, JobManager RPC 6123.
EXPOSE 8081 6123
ENTRYPOINT ["/opt/statelab/scripts/entrypoint.sh"]
CMD ["lab"]

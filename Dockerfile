# syntax=docker/dockerfile:1
#
# StateLab's Flink cluster as an image: Flink's official image with the project's config.yaml and the jobs.
# docker-compose.yml runs it as a JobManager and a TaskManager; docs/docker.md says how to use it.
#
# This file has never been built: the machines StateLab is developed on have no Docker engine. DockerFilesTest
# checks it statically (base images against pom.xml, COPY sources, where config.yaml lands), and the build
# stage's mvn command was run by hand on a copy of exactly the files it copies.

# ---- build: the thin jobs jar ----------------------------------------------------------------------------------
# Java 17, the release pom.xml compiles for.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build

# Only what `package` compiles: pom.xml adds scripts/ and jobs/ as source roots. bench/src is a test-source
# root; with tests skipped Maven never reads it, so it stays out.
COPY pom.xml ./
COPY scripts ./scripts
COPY jobs ./jobs

# The cache mount keeps Flink's jars from Maven Central between builds, so editing a job does not download them
# again. The jar gets a fixed name here so that the final stage does not depend on the project version.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -Dmaven.test.skip=true package \
 && cp target/statelab-*-jobs.jar /build/statelab-jobs.jar

# ---- the cluster image -----------------------------------------------------------------------------------------
# Flink's official image, at the version the scripts and jobs are compiled against (pom.xml's flink.version).
# The tag follows the naming of Flink's Docker images for 2.x, <version>-java<N>; this exact tag was not pulled
# here (no engine), so its existence is unverified.
FROM flink:2.3.0-java17

LABEL org.opencontainers.image.title="statelab-flink" \
      org.opencontainers.image.description="Apache Flink with StateLab's config.yaml and jobs, for tampering with state" \
      org.opencontainers.image.version="0.1.0-SNAPSHOT" \
      dev.statelab.flink.version="2.3.0"

# The single source of configuration; docker-compose.yml overrides only container addresses via FLINK_PROPERTIES,
# which the image's entrypoint merges into this file at start. Owned like the rest of /opt/flink.
COPY --chown=flink:flink config.yaml /opt/flink/conf/config.yaml

# Only the jobs' own classes: Flink's, the RocksDB state backend and the datagen and file connectors come from the
# image's lib/. Submit it with `flink run -c statelab.jobs.WordCount` (or SumJob, Carts).
COPY --chown=flink:flink --from=build /build/statelab-jobs.jar /opt/flink/usrlib/statelab-jobs.jar

# The sources of the jobs and of the commands that drive the cluster, for reference inside the container (jbang
# itself is not installed; the commands run on the host, see docs/docker.md).
COPY jbang-catalog.json /opt/statelab/jbang-catalog.json
COPY jobs /opt/statelab/jobs
COPY scripts /opt/statelab/scripts

# config.yaml's checkpoint and savepoint directories, writable by the flink user that runs Flink. A named volume
# mounted here starts with this ownership; a host directory bind-mounted here keeps its own (docs/docker.md).
RUN mkdir -p /opt/flink/checkpoints /opt/flink/savepoints \
 && chown flink:flink /opt/flink/checkpoints /opt/flink/savepoints

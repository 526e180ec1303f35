# The failover distribution as an image: docker compose up builds it from this checkout.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl distribution -am package

FROM eclipse-temurin:17-jre
COPY --from=build /src/distribution/target/failover.jar /opt/failover/failover.jar
COPY --from=build /src/distribution/target/lib /opt/failover/lib
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-cp", "/opt/failover/failover.jar:/opt/failover/lib/*", "dev.failover.cli.FailoverCli"]

# MetricService, as ./build/run runs it: Release build, migrations applied at start, PORT 8001.
# Untested here (no Docker engine on the build machine); see the README's Operations section.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Node only to fetch the dashboard's two browser libraries (what build/lib.sh ensure_web_assets does).
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cd src/Metrics.Api/ClientLibs && npm ci --no-audit --no-fund \
 && mkdir -p ../wwwroot/lib \
 && cp node_modules/@microsoft/signalr/dist/browser/signalr.min.js node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css ../wwwroot/lib/
RUN dotnet publish src/Metrics.Api -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# The image's non-root user.
USER $APP_UID
ENV PORT=8001 ENVIRONMENT=production
EXPOSE 8001
# Ready: PostgreSQL reachable and migrated, not shutting down (bash's /dev/tcp: the image has no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# SIGTERM: graceful shutdown within SHUTDOWN_GRACE_SECONDS (default 30; keep docker's stop timeout above it).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "Metrics.Api.dll"]

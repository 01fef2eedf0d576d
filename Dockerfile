# syntax=docker/dockerfile:1
# The FlashSale server image: built with the .NET SDK, run on the ASP.NET Core runtime as the image's non-root
# user. One image for every role: FlashSale__Mode and FlashSale__Roles pick what a container runs.
#
#   docker build -t flashsale:local .
#
# How to run it (compose, Kubernetes, secrets): docs/deployment.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone: this layer is reused until a project file or a package version changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/FlashSale.Core/FlashSale.Core.csproj src/FlashSale.Core/
COPY src/FlashSale.Redis/FlashSale.Redis.csproj src/FlashSale.Redis/
COPY src/FlashSale.RabbitMq/FlashSale.RabbitMq.csproj src/FlashSale.RabbitMq/
COPY src/FlashSale.Postgres/FlashSale.Postgres.csproj src/FlashSale.Postgres/
COPY src/FlashSale.Sqlite/FlashSale.Sqlite.csproj src/FlashSale.Sqlite/
COPY src/FlashSale.Server/FlashSale.Server.csproj src/FlashSale.Server/
RUN dotnet restore src/FlashSale.Server/FlashSale.Server.csproj
COPY src/ src/
RUN dotnet publish src/FlashSale.Server/FlashSale.Server.csproj -c Release --no-restore -o /app/publish -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app/publish .
# The base image listens on 8080 (ASPNETCORE_HTTP_PORTS) and defines the non-root user `app` (APP_UID).
ENV ASPNETCORE_ENVIRONMENT=Production
EXPOSE 8080
USER $APP_UID
# The image has neither curl nor wget: bash opens the port itself (/dev/tcp) and wants "HTTP/1.1 200" from /health/live.
# A chiseled (shell-less) base image cannot run this: there, drop the HEALTHCHECK and rely on the orchestrator's
# HTTP probes (Kubernetes ignores HEALTHCHECK anyway). docs/deployment.md says more.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "port=${ASPNETCORE_HTTP_PORTS:-8080}; port=${port%%[;,]*}; exec 3<>/dev/tcp/127.0.0.1/$port && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 2 status <&3 && [[ $status == 'HTTP/1.1 200'* ]]"]
ENTRYPOINT ["dotnet", "FlashSale.Server.dll"]

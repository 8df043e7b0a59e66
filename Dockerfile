# FeedSync production image: only the FeedSync worker/dashboard/CLI. The Merchant API emulator and
# the tests are never copied (see .dockerignore), so WireMock cannot end up in the image.

# ---- build -------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ENV DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORKDIR /src

# Restore first with only the project/props files, so the package layer is reused until a
# package reference changes rather than on every source edit.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/FeedSync/FeedSync.csproj src/FeedSync/
RUN dotnet restore src/FeedSync/FeedSync.csproj

# Then the rest of the context (.dockerignore keeps out tests, the emulator, bin/obj, .git);
# FeedSync.csproj links config/*.json into the publish output. Copying the whole context rather
# than named folders keeps working when a folder is empty or absent in a fresh clone.
COPY . .
RUN dotnet publish src/FeedSync/FeedSync.csproj -c Release --no-restore --disable-build-servers -o /app

# ---- runtime -----------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime

# Run as uid 1000, not root. Create a named user only where the base image has none with that uid
# (Ubuntu-based upstream images already ship uid 1000; the Debian stand-in does not).
RUN if ! getent passwd 1000 >/dev/null; then \
      useradd --uid 1000 --user-group --create-home --home-dir /home/feedsync \
              --shell /usr/sbin/nologin feedsync; \
    fi

WORKDIR /app
COPY --from=build --chown=0:0 /app ./

# The dashboard listens on all interfaces inside the container (FeedSync's default is 127.0.0.1).
ENV DOTNET_ENVIRONMENT=Production \
    FeedSync__Dashboard__Url=http://0.0.0.0:8080
EXPOSE 8080
USER 1000:1000

# Same executable for worker and CLI: `docker run IMAGE resync --all` etc.; default is the worker.
ENTRYPOINT ["dotnet", "feedsync.dll"]
CMD ["run"]

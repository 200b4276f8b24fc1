# supportbot. Build: docker build -t supportbot .
# Socket Mode (no public URL):  docker run -v supportbot-data:/data \
#                                  -e SLACK_BOT_TOKEN=xoxb-… -e SLACK_APP_TOKEN=xapp-… supportbot
# HTTP mode (no app token):     docker run -p 3000:3000 -v supportbot-data:/data \
#                                  -e SLACK_BOT_TOKEN=xoxb-… -e SLACK_SIGNING_SECRET=… supportbot
# Either way port 3000 answers GET /healthz (the HEALTHCHECK); in HTTP mode it also takes POST /slack/events.
# A teams file: mount it and name it, e.g. -v "$PWD/config:/config:ro" -e SUPPORTBOT_CONFIG=/config/teams.yml
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/supportbot.db

RUN useradd --create-home --uid 10001 supportbot \
    && mkdir /data \
    && chown supportbot:supportbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir . \
    && cd / && rm -rf /app

USER supportbot
WORKDIR /home/supportbot
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]

CMD ["supportbot", "run", "--port", "3000"]

# Control Room: one image for the web server, the Celery worker and beat.
# Build: docker build -t controlroom .   Run the whole stack: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PRIVATE_MEDIA_ROOT=/data/private

# The app runs unprivileged. Uploaded member lists live in /data/private; a named volume mounted
# there starts out owned by this user because the directory already is.
RUN groupadd --system --gid 10001 controlroom \
    && useradd --system --uid 10001 --gid controlroom --no-create-home --home-dir /app \
       --shell /usr/sbin/nologin controlroom \
    && mkdir -p /data/private \
    && chown controlroom:controlroom /data/private \
    && chmod 0700 /data/private

WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root, so the running app cannot rewrite itself.
COPY . .

# The settings refuse to load without SECRET_KEY when DEBUG is off; this throwaway value exists
# only for this one command and is not kept in the image.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0

USER controlroom

EXPOSE 8000

CMD ["gunicorn", "controlroom.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

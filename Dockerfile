# The HTTP service only: the torch-free side plus FastAPI. No training stack, no data, no
# bundles in the image: bundles are mounted at /app/models (as `python -m training pull` leaves
# them) with the registry's public key, and the consultation store lives on a volume.
#   docker build -t hospital-service .
#   docker run -p 8000:8000 -v $PWD/models:/app/models:ro \
#     -v $PWD/var/keys/bundle_signing.pub:/app/var/keys/bundle_signing.pub:ro \
#     -v hospital-data:/app/var hospital-service
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HOSPITAL_HOST=0.0.0.0 \
    HOSPITAL_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY runtime runtime
COPY triage triage
COPY prescription prescription
COPY recommend recommend
COPY consultations consultations
COPY service service
RUN pip install '.[service]' && useradd --create-home --uid 10001 hospital \
    && mkdir -p /app/var /app/models && chown -R hospital /app/var

USER hospital
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["python", "-m", "service"]

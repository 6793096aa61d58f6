# The fzzf image: Airflow 3.3 with the project's package, DAGs, dbt project and expectations, pinned by pyproject.toml.
# One image for every Airflow service in docker-compose.yml (api-server, scheduler, dag-processor, triggerer, workers).
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/fzzf/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    FZZF_DATA_DIR=/data

# UID 50000 and GID 0 as in Airflow's own image, so volumes work the same way; tini reaps task processes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home airflow \
    && mkdir -p /opt/fzzf /data \
    && chown -R 50000:0 /opt/fzzf /data /opt/airflow

WORKDIR /opt/fzzf
# Dependencies first (the slow layer), from the pins alone: source edits then rebuild in seconds.
COPY --chown=50000:0 pyproject.toml README.md ./
RUN mkdir scrapers && touch scrapers/__init__.py \
    && pip install -e . \
    && pip check
COPY --chown=50000:0 scrapers ./scrapers
COPY --chown=50000:0 dags ./dags
COPY --chown=50000:0 dbt_project ./dbt_project
COPY --chown=50000:0 expectations ./expectations
# Editable on purpose: the package finds dbt_project/ and expectations/ beside itself (scrapers.settings.REPO_DIR).
RUN pip install --no-deps -e . && python -c "import scrapers.cli, scrapers.alerts.missing, scrapers.alerts.failures"

USER 50000
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--", "airflow"]
CMD ["version"]

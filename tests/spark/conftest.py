"""One local[2] Spark session for the Spark tests; skipped where pyspark or Java is missing
(`.ci/run` installs both, so CI runs them)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17 (Debian: openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    # py4j logs "Closing down clientserver connection" from __del__ after pytest has closed
    # its capture streams, which prints a "Logging error" traceback at exit
    logging.getLogger("py4j").setLevel(logging.WARNING)

    # The workers must run this interpreter (the venv), not the system's python3.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("hospital-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

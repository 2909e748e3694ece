-- Run once by the postgres image on first start: MLflow keeps its backend store beside Dagster.
CREATE DATABASE mlflow;

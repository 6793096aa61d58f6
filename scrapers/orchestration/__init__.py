"""Airflow's side: ``tasks`` holds what each task of the thin DAGs in ``dags/`` calls (plain Python, testable
without Airflow); ``airflow_local`` runs Airflow on this machine (``make airflow``)."""

"""fzzf: collect, clean, warehouse and gate the annual 法治政府建设 reports of Chinese governments.

The package holds every piece of logic; the Airflow DAGs in ``dags/`` and the ``fzzf`` CLI only call into it.
"""

__version__ = "0.1.0"

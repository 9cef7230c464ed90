"""Records archive for the public social media of a Swedish municipality.

The package holds the product's logic and imports no Airflow: the DAGs in ``dags/`` and the
command line (``archivectl``) are thin shells over the same functions.
"""

__version__ = "0.1.0"

PRODUCT = "social-records-archive"

"""Search over the archive: a derived full-text index (:mod:`.index`), the query language
(:mod:`.query`) and the reading of items Parquet shared with the thread view and exports
(:mod:`.items`)."""

from archive_lib.search.index import SearchIndex, SearchResults, index_path
from archive_lib.search.query import QueryError, SearchQuery

__all__ = ["QueryError", "SearchIndex", "SearchQuery", "SearchResults", "index_path"]

"""The warehouse build (write-audit-publish): ``build.run_build`` runs the landing gate, dbt (``dbt_runner``) into a
staged DuckDB file, the marts gate and ``publish`` (atomic); ``explain`` says why one report is or is not there.
``paths`` says where the staged, published and what-if files are; ``published`` answers read-only questions about a
built file (``fzzf missing``); ``connect`` opens one beside a dbt handle still open in the process."""

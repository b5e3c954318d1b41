"""The daily QA report: a UTC day's failures by check, robot, station, collector and hour,
written as Parquet and CSV into each factory's bucket and shown in Dagster."""

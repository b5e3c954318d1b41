"""QA operations: assessment history, versioned QA specs and re-assessment."""

"""Question set, evaluation runner, report, baseline and benchmark."""

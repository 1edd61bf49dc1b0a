"""Shared configuration for the hoidap packages (ingest, rag, ui, evals)."""

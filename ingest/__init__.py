"""Files → text → chunks → index."""

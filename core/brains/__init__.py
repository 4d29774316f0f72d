"""Brains: the ``Brain`` seam, the offline retrieval brain over the knowledge base, and the LLM brain."""

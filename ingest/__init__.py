"""Turns files into articles, articles into chunks, chunks into the store."""

"""Running the chain on many documents at once: the local process pool and the watch service."""

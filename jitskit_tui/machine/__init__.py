"""The benchmark image: its recipe, and the two routes that build it on a Docker host."""

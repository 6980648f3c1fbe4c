"""The evaluation harness: the C++ sources, and the Python that builds and drives them."""
